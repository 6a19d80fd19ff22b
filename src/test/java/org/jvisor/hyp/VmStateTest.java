package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Ram;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * The VM's own state (stage-2 views and their tables' allocator, the trap configuration, stage-2 blocks)
 * saved and restored, with the table memory copied as the lead's snapshot copies it: the restored VM
 * translates every IPA as the original, allocates the same table pages next, and refuses tables a file
 * made up (a table page reached twice or free, a mapping of memory that is not RAM, the table memory
 * writable).
 */
class VmStateTest {
    static final long RAM = 0x4000_0000L, RAM_SIZE = 8L << 20;

    static Vm vm() {
        Vm vm = new Hypervisor().createVm();
        vm.setUserMemoryRegion(0, RAM, RAM_SIZE, Ram.allocate(RAM_SIZE));
        vm.createVcpu(0);
        return vm;
    }

    /** Pages and a block mapped in view 0, a second view mapping a page elsewhere, a table freed, KVM's traps + TVM. */
    static Vm programmed() {
        Vm vm = vm();
        MemorySlot s = vm.slots().get(0);
        for (long ipa = RAM; ipa < RAM + 0x10_000; ipa += 0x1000) vm.stage2().mapPage(ipa, s.hostAddress(ipa));
        vm.stage2().mapBlock(RAM + 0x40_0000, s.hostAddress(RAM + 0x40_0000));
        vm.stage2().mapPage(0x80_0000_0000L - 0x1000, s.hostAddress(RAM)); // its own level-2 and level-3 tables
        vm.stage2().table().unmap(0x80_0000_0000L - 0x1000, 0x1000);          // and both freed again
        int v = vm.createStage2View();
        vm.stage2View(v).mapPage(RAM, s.hostAddress(RAM + 0x20_0000));
        vm.trapConfig().traps(TrapConfig.parse("kvm,+TVM,+TDA"));
        vm.setStage2Blocks(true);
        return vm;
    }

    static byte[] save(Vm vm) {
        StateWriter w = new StateWriter();
        vm.saveState(w);
        return w.toByteArray();
    }

    static Vm restored(Vm original, byte[] state, Consumer<Vm> craftTables) {
        Vm vm = vm();
        vm.stage2TableMemory().segment().copyFrom(original.stage2TableMemory().segment());
        craftTables.accept(vm);
        StateReader r = new StateReader(state);
        vm.restoreState(r);
        r.end();
        return vm;
    }

    static List<Long> translations(Vm vm) {
        List<Long> t = new ArrayList<>();
        for (int v = 0; v < vm.stage2ViewCount(); v++) {
            Stage2PageTable table = vm.stage2View(v).table();
            t.add(vm.stage2View(v).vttbr());
            for (long ipa = RAM; ipa < RAM + RAM_SIZE; ipa += 0x1000) t.add(table.translate(ipa));
            t.add(table.lookup(RAM + 0x40_0000));
            t.add((long) table.tablePages());
        }
        return t;
    }

    @Test
    void aRestoredVmTranslatesAndAllocatesAsTheOriginal() {
        Vm original = programmed();
        Vm restored = restored(original, save(original), vm -> {});
        assertEquals(2, restored.stage2ViewCount());
        assertEquals(translations(original), translations(restored));
        assertEquals(original.tablePages().pagesInUse(), restored.tablePages().pagesInUse());
        assertEquals(original.trapConfig().traps(), restored.trapConfig().traps());
        assertEquals(original.trapConfig().hcr(), restored.trapConfig().hcr());
        assertTrue(restored.stage2Blocks());
        assertEquals(original.stage2View(1).vmid(), restored.stage2View(1).vmid());
        // Going on: the same table pages are handed out next (the free list's order is kept).
        MemorySlot s = original.slots().get(0);
        for (Vm vm : new Vm[] {original, restored}) {
            vm.stage2().mapPage(0x10_0000_0000L, s.hostAddress(RAM));
            vm.stage2View(1).mapPage(0x20_0000_0000L, s.hostAddress(RAM));
        }
        assertEquals(translations(original), translations(restored));
        assertEquals(original.tablePages().allocate(1), restored.tablePages().allocate(1));
        assertArrayEquals(save(original), save(restored));
    }

    @Test
    void aTrapAndEmulateVmKeepsItsReadOnlyViewOfTheTables() {
        Vm a = new Hypervisor().createTrapAndEmulateVm(GuestClock.HOST), b = new Hypervisor().createTrapAndEmulateVm(GuestClock.HOST);
        for (Vm vm : new Vm[] {a, b}) vm.setUserMemoryRegion(0, RAM, RAM_SIZE, Ram.allocate(RAM_SIZE));
        a.stage2().mapPage(RAM, a.slots().get(0).hostAddress(RAM));
        b.stage2TableMemory().segment().copyFrom(a.stage2TableMemory().segment());
        b.restoreState(new StateReader(save(a)));
        assertEquals(Vm.TABLES_BASE + 0x3000, b.stage2().table().translate(ShadowStage1.IPA_BASE + 0x3000));
        assertEquals(a.stage2().table().lookup(ShadowStage1.IPA_BASE), b.stage2().table().lookup(ShadowStage1.IPA_BASE));
        assertEquals(a.slots().get(0).hostAddress(RAM), b.stage2().table().translate(RAM));
        assertArrayEquals(save(a), save(b));
    }

    @Test
    void aVmOwnedByItsGuestHasNoTablesToSave() {
        Vm a = new Hypervisor().createVmOwningEl2(GuestClock.HOST);
        assertNull(a.stage2TableMemory());
        a.trapConfig().traps(TrapConfig.ALL);
        Vm b = new Hypervisor().createVmOwningEl2(GuestClock.HOST);
        b.restoreState(new StateReader(save(a)));
        assertEquals(TrapConfig.ALL, b.trapConfig().traps());
        assertThrows(StateException.class, () -> vm().restoreState(new StateReader(save(a))), "another kind of VM");
    }

    /** Descriptor {@code index} of the table at {@code pa} in the fresh VM's table memory. */
    static void poke(Vm vm, long pa, int index, long desc) {
        vm.stage2TableMemory().segment().set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, pa - Vm.TABLES_BASE + 8L * index, desc);
    }

    static long peek(Vm vm, long pa, int index) {
        return vm.stage2TableMemory().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, pa - Vm.TABLES_BASE + 8L * index);
    }

    @Test
    void tablesAFileMadeUpAreRefused() {
        Vm original = programmed();
        byte[] state = save(original);
        long root0 = original.stage2().table().root(), root1 = original.stage2View(1).table().root();
        int ramIndex = (int) (RAM >>> 30); // the level-1 entry that covers guest RAM
        long level2 = peek(original, root0, ramIndex) & Stage2Descriptor.OA_MASK;
        long leafAttrs = Stage2PageTable.leafAttributes(Stage2PageTable.R | Stage2PageTable.W);
        List<Consumer<Vm>> crafted = List.of(
                vm -> poke(vm, root1, ramIndex, peek(vm, root0, ramIndex)),           // view 1 shares view 0's level-2 table
                vm -> poke(vm, root0, 5, root0 | 3),                                  // a loop back to the root
                vm -> poke(vm, root0, 5, (Vm.TABLES_BASE + Vm.TABLES_SIZE - 0x1000) | 3), // a page never handed out
                vm -> poke(vm, level2, 100, 0x7_0000_0000L | leafAttrs | 1),           // a block of no RAM
                vm -> poke(vm, level2, 100, Vm.TABLES_BASE | leafAttrs | 1),            // the tables, writable
                vm -> poke(vm, level2, 101, s2(vm) | 1 | leafAttrs),                  // a block not 2 MiB aligned
                vm -> poke(vm, level3(vm, level2), 0, peek(vm, level3(vm, level2), 0) & ~2L)); // a level-3 entry in the reserved encoding
        for (Consumer<Vm> c : crafted) {
            StateException e = assertThrows(StateException.class, () -> restored(original, state, c));
            assertTrue(e.getMessage().startsWith("stage-2 tables: "), e.getMessage());
        }
        // the same tables, read-only, are what a trap-and-emulate VM's view shows: allowed
        restored(original, state, vm -> poke(vm, level2, 100, Vm.TABLES_BASE | Stage2PageTable.leafAttributes(Stage2PageTable.R) | 1));
    }

    /** The level-3 table under entry 0 of {@code level2} (guest RAM's first 2 MiB, mapped by pages). */
    private static long level3(Vm vm, long level2) { return peek(vm, level2, 0) & Stage2Descriptor.OA_MASK; }

    /** A host address inside RAM but not 2 MiB aligned. */
    private static long s2(Vm vm) { return vm.slots().get(0).hostAddress(RAM) + 0x1000; }

    /** The VM's state, written by hand as a crafted file would have it, after the trap configuration. */
    static byte[] vmState(long next, long[] free, int views, long... rootsAndVmids) {
        StateWriter w = new StateWriter().tag("vm").putBoolean(false).putBoolean(false);
        w.tag("trap config").putLong(TrapConfig.KVM_DEFAULT).putLong(0).putLong(0).putLong(0);
        w.putBoolean(false);
        w.tag("stage-2 table pages").putLong(next).putLongs(free);
        w.putInt(views);
        for (int i = 0; i < rootsAndVmids.length; i += 2) w.putLong(rootsAndVmids[i]).putInt((int) rootsAndVmids[i + 1]);
        return w.toByteArray();
    }

    @Test
    void craftedAllocatorsViewsAndTrapsAreRefused() {
        long b = Vm.TABLES_BASE;
        Vm fresh = vm();
        fresh.restoreState(new StateReader(vmState(b + 0x2000, new long[0], 1, b, 1))); // the shape is right
        List<byte[]> bad = List.of(
                vmState(b + 0x2000, new long[0], 1, b, 2),                   // VMID 2 for view 0
                vmState(b + 0x2000, new long[0], 0),                          // no view
                vmState(b + 0x2000, new long[0], 256),                        // more views than VMIDs
                vmState(b + 0x2000, new long[0], 1, b + 0x1000, 1),          // another root for view 0
                vmState(b + 0x1000, new long[0], 1, b, 1),                    // the root's second page never handed out
                vmState(b + 0x2000, new long[] {b + 0x1000}, 1, b, 1),        // ... or free
                vmState(b - 0x1000, new long[0], 1, b, 1),                    // a high-water mark below the region
                vmState(b + Vm.TABLES_SIZE + 0x1000, new long[0], 1, b, 1),   // ... above it
                vmState(b + 0x4000, new long[] {b + 0x3000, b + 0x3000}, 1, b, 1), // a page free twice
                vmState(b + 0x4000, new long[] {b + 0x3001}, 1, b, 1),        // not a page
                new StateWriter().tag("vm").putBoolean(false).putBoolean(false).tag("trap config").putLong(0).putLong(0).putLong(0).putLong(0).toByteArray(),
                new StateWriter().tag("vm").putBoolean(false).putBoolean(false).tag("trap config").putLong(TrapConfig.KVM_DEFAULT).putLong(1).putLong(0).putLong(0).toByteArray(),
                new StateWriter().tag("vm").putBoolean(false).putBoolean(true).toByteArray());
        for (byte[] s : bad) assertThrows(StateException.class, () -> vm().restoreState(new StateReader(s)));
    }
}
