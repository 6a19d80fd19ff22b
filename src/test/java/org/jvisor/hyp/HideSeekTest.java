package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.Ram;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Hide/seek (issue 6), checked against the behaviour and the Arm ARM: a byte in bits [58:51] of the
 * stage-2 descriptor for IPA 0x4000_0000, refused accesses as synchronous external data aborts (ESR_EL1
 * EC 0x25, IL, FSC 0x10, WnR for writes; FAR_EL1 the address; ELR_EL1 the access), stage-2 XN (bit 54)
 * honoured on instruction fetch while bits 51-53 are ignored by an ARMv8.0 processor.
 */
@NeedsCross
class HideSeekTest {
    static final long RAM = 0x4000_0000L, RAM_SIZE = 4L << 20, CODE = RAM + 0x1_0000, TARGET = HideSeek.TARGET_IPA;
    /** Where the guest's exception handler logs ESR_EL1 (words), FAR_EL1 and ELR_EL1 (doublewords). */
    static final long ESRS = 0x2000, FARS = 0x2100, ELRS = 0x2200;
    static final long RESULTS = RAM + 0x10_0000;

    /** A VM with RAM at 0x4000_0000, hide/seek, and a guest at {@code code} (outside the page at 0x4000_0000). */
    static final class HsGuest {
        final Vm vm;
        final Vcpu vcpu;
        final List<String> log = new ArrayList<>();
        final long code;

        HsGuest(String main) { this(new Hypervisor().createVm(), RAM, CODE, main); }

        HsGuest(Vm vm, long ram, long code, String main) {
            this.vm = vm;
            this.code = code;
            vm.setUserMemoryRegion(0, ram, RAM_SIZE, Ram.allocate(RAM_SIZE));
            HideSeek.install(vm, log::add);
            vm.writeGuest(code, Asm.assemble(source(code, main), code));
            vcpu = vm.createVcpu(0);
            vcpu.setPc(code);
        }

        /**
         * x9 = HIDE; x20/x21/x24 walk the ESR/FAR/ELR logs, x22 counts exceptions. The handler skips an
         * aborted load or store; for an instruction abort it returns to X30 (the caller of a BLR).
         */
        static String source(long code, String main) {
            return String.format("""
                    adr x10, vectors
                    msr vbar_el1, x10
                    isb
                    movz x9, #0x0b00, lsl #16
                    ldr x20, =0x%x
                    ldr x21, =0x%x
                    ldr x24, =0x%x
                    mov x22, #0
                    """, code + ESRS, code + FARS, code + ELRS) + main + Guest.OFF + """
                    .ltorg
                    .balign 0x800
                    vectors:
                    .skip 0x200
                    mrs x10, esr_el1
                    str w10, [x20], #4
                    mrs x11, far_el1
                    str x11, [x21], #8
                    mrs x11, elr_el1
                    str x11, [x24], #8
                    add x22, x22, #1
                    lsr x10, x10, #26
                    cmp x10, #0x21
                    b.eq 1f
                    add x11, x11, #4
                    msr elr_el1, x11
                    eret
                    1: msr elr_el1, x30
                    eret
                    """;
        }

        VcpuExit run() { return vcpu.run(); }

        long esr(int i) { return vm.readGuest64(code + ESRS + 4L * i) & 0xffffffffL; }

        long far(int i) { return vm.readGuest64(code + FARS + 8L * i); }

        long elr(int i) { return vm.readGuest64(code + ELRS + 8L * i); }
    }

    /** The leaf descriptor for 0x4000_0000 in {@code view}, read through the walker; 0 if none. */
    static long leaf(GuestStage2 view) {
        long[] found = {0};
        view.table().walk(TARGET, Stage2PageTable.PAGE_SIZE, (ipa, level, desc) -> {
            found[0] = desc;
            return desc;
        });
        return found[0];
    }

    @Test
    void hideThenSeekEveryByteInsideTheHypervisor() {
        HsGuest g = new HsGuest(String.format("""
                ldr x3, =0x%x
                mov x1, #0
                1: strb w1, [x9]
                ldrb w2, [x9, #1]
                strb w2, [x3, x1]
                add x1, x1, #1
                cmp x1, #256
                b.ne 1b
                """, RESULTS));
        VcpuExit e = g.run();
        assertTrue(Guest.isShutdown(e), "served without an exit to the caller: " + e);
        byte[] seen = g.vm.readGuest(RESULTS, 256);
        for (int v = 0; v < 256; v++) assertEquals(v, seen[v] & 0xff, "seek after hiding " + v);
        assertEquals(512, g.vcpu.stats().ioTraps(), "each hide and seek is one IO trap");
        assertEquals(0xffL << 51, leaf(g.vm.stage2()) & HideSeek.MASK, "the last byte hidden, 255, is in bits [58:51]");
        assertEquals(0, g.vcpu.x(22), "no abort");
        assertEquals(List.of(), g.log);
    }

    @Test
    void wrongWidthsAndDirectionsAbortInTheGuestWhichGoesOn() {
        HsGuest g = new HsGuest("""
                mov x1, #0x77
                adr x25, first
                first:
                strh w1, [x9]
                str w1, [x9]
                str x1, [x9]
                ldrh w2, [x9]
                ldr w2, [x9]
                ldr x2, [x9]
                ldrb w2, [x9]
                strb w1, [x9, #1]
                ldrb w2, [x9, #2]
                strh w1, [x9, #2]
                mov x1, #0x5a
                strb w1, [x9]
                ldrb w23, [x9, #1]
                """);
        assertTrue(Guest.isShutdown(g.run()));
        long[] far = {0, 0, 0, 0, 0, 0, 0, 1, 2, 2};
        boolean[] write = {true, true, true, false, false, false, false, true, false, true};
        assertEquals(10, g.vcpu.x(22), "ten refused accesses");
        long first = g.vcpu.x(25);
        for (int i = 0; i < 10; i++) {
            long esr = g.esr(i);
            assertEquals(Esr.EC_DABT_CUR, (int) (esr >>> 26), "EC: data abort from EL1, access " + i);
            assertEquals(0x10, esr & 0x3f, "DFSC: synchronous external abort, access " + i);
            assertEquals(write[i], (esr & 1 << 6) != 0, "WnR, access " + i);
            assertEquals(1L << 25, esr & 1L << 25, "IL");
            assertEquals(HideSeek.BASE + far[i], g.far(i), "FAR_EL1, access " + i);
            assertEquals(first + 4L * i, g.elr(i), "ELR_EL1: the access itself, access " + i);
        }
        assertEquals(0x5a, g.vcpu.x(23), "the device still works after the aborts");
        assertEquals(10, g.log.size(), "one line per refused access: " + g.log);
        assertTrue(g.log.get(0).contains("2-byte write at 0x0b000000"), g.log.get(0));
        assertTrue(g.log.get(7).contains("1-byte write at 0x0b000001"), g.log.get(7));
        assertEquals(12, g.vcpu.stats().ioTraps(), "the refused accesses are IO traps too, then a hide and a seek");
    }

    @Test
    void aHideChangesOnlyBits51To58OfTheDescriptor() {
        HsGuest g = new HsGuest("""
                movz x8, #0x4000, lsl #16
                ldr x1, [x8]
                hvc #1
                mov x1, #0xff
                strb w1, [x9]
                hvc #1
                ldr x2, =0x1122334455667788
                str x2, [x8]
                ldr x3, [x8]
                mov x1, #0
                strb w1, [x9]
                hvc #1
                """);
        assertInstanceOf(VcpuExit.Hypercall.class, g.run());
        long before = leaf(g.vm.stage2());
        MemorySlot slot = g.vm.slots().get(0);
        assertEquals(slot.hostAddress(TARGET), Stage2Descriptor.outputAddress(before));
        assertEquals(0, before & HideSeek.MASK);
        assertInstanceOf(VcpuExit.Hypercall.class, g.run());
        long hidden = leaf(g.vm.stage2());
        assertEquals(HideSeek.MASK, before ^ hidden, "only bits [58:51] changed");
        assertEquals(slot.hostAddress(TARGET), Stage2Descriptor.outputAddress(hidden), "output address");
        long perms = Stage2Descriptor.S2AP_R | Stage2Descriptor.S2AP_W | Stage2Descriptor.AF
                | Stage2Descriptor.MEMATTR_MASK | Stage2Descriptor.SH_MASK | 3;
        assertEquals(before & perms, hidden & perms, "S2AP, AF, memory type, shareability, page type");
        assertInstanceOf(VcpuExit.Hypercall.class, g.run());
        assertEquals(0x1122334455667788L, g.vcpu.x(3), "data accesses to the page still work with 0xff hidden");
        assertEquals(0x1122334455667788L, g.vm.readGuest64(TARGET), "and reach the same memory");
        assertEquals(before, leaf(g.vm.stage2()), "hiding 0 restores the descriptor");
    }

    @Test
    void worksBeforeTheGuestTouchedTheTargetPage() {
        HsGuest g = new HsGuest("""
                movz x8, #0x4000, lsl #16
                mov x1, #0x5a
                strb w1, [x9]
                ldrb w2, [x9, #1]
                ldr x3, [x8]
                str x3, [x8, #8]
                ldrb w4, [x9, #1]
                """);
        assertEquals(0, g.vm.stage2().table().lookup(TARGET), "not mapped before the run");
        assertTrue(Guest.isShutdown(g.run()));
        assertEquals(0x5a, g.vcpu.x(2));
        assertEquals(0x5a, g.vcpu.x(4), "the guest's own accesses to the page keep the hidden byte");
        assertEquals(1, g.vcpu.stats().memTraps(), "only the code page faulted: the device mapped 0x4000_0000");
        assertEquals(3, g.vcpu.stats().ioTraps());
    }

    @Test
    void withStage2BlocksTheByteLivesInTheBlockDescriptor() {
        Vm vm = new Hypervisor().createVm();
        vm.setStage2Blocks(true);
        HsGuest g = new HsGuest(vm, RAM, RAM + 0x20_0000, """
                mov x1, #0xa5
                strb w1, [x9]
                ldrb w2, [x9, #1]
                movz x8, #0x4000, lsl #16
                ldr x3, [x8, #0x1000]
                ldrb w4, [x9, #1]
                """);
        assertTrue(Guest.isShutdown(g.run()));
        assertEquals(0xa5, g.vcpu.x(2));
        assertEquals(0xa5, g.vcpu.x(4));
        long desc = leaf(vm.stage2());
        assertEquals(1, desc & 3, "a level-2 block");
        assertEquals(0xa5L << 51, desc & HideSeek.MASK);
        assertEquals(1, g.vcpu.stats().memTraps(), "the code's block; the device mapped the first block");
    }

    @Test
    void hiddenXnMakesThePageNonExecutableUntilClearedWhileBits51To53AreIgnored() {
        HsGuest g = new HsGuest("""
                movz x8, #0x4000, lsl #16
                mov x0, #0
                blr x8
                mov x25, x0
                mov w1, #0x08
                strb w1, [x9]
                mov x0, #0
                blr x8
                mov x26, x0
                ldrb w27, [x9, #1]
                ldr w28, [x8]
                mov w1, #0xf7
                strb w1, [x9]
                mov x0, #0
                blr x8
                mov x19, x0
                """);
        g.vm.writeGuest(TARGET, Asm.assemble("mov x0, #42\nret\n", TARGET));
        assertTrue(Guest.isShutdown(g.run()));
        assertEquals(42, g.vcpu.x(25), "executable before");
        assertEquals(1, g.vcpu.x(22), "one abort");
        assertEquals(0, g.vcpu.x(26), "XN hidden: the call did not run");
        assertEquals(0x86000010L, g.esr(0), "ESR_EL1: instruction abort from EL1, IL, synchronous external abort");
        assertEquals(TARGET, g.far(0));
        assertEquals(TARGET, g.elr(0), "ELR_EL1: the fetch");
        assertEquals(8, g.vcpu.x(27), "the byte stays hidden");
        assertEquals(Asm.assemble("mov x0, #42\n", TARGET)[0] & 0xff, g.vcpu.x(28) & 0xff, "data reads still work");
        assertEquals(42, g.vcpu.x(19), "0xf7: DBM, Contiguous and XN[0] set, XN clear: executable (ARMv8.0)");
        assertEquals(3, g.vcpu.stats().exits(Esr.EC_IABT_LOW),
                "the first fetches from the code page and from 0x4000_0000, then one stage-2 permission fault");
        assertEquals(List.of(), g.log);
    }

    @Test
    void aHideReachesTheTlbOfAnotherVcpuRunningCodeInThePage() throws Exception {
        long flags = RAM + 0x20_0000; // [0] calls made by vCPU 1, [8] its abort, [16] ESR_EL1, [24] ELR_EL1
        Vm vm = new Hypervisor().createVm();
        vm.setUserMemoryRegion(0, RAM, RAM_SIZE, Ram.allocate(RAM_SIZE));
        HideSeek.install(vm, s -> { });
        vm.writeGuest(TARGET, Asm.assemble("add x0, x0, #1\nret\n", TARGET));
        vm.writeGuest(CODE, Asm.assemble(String.format("""
                movz x9, #0x0b00, lsl #16
                ldr x10, =0x%x
                1: ldr x1, [x10]
                cmp x1, #100
                b.lt 1b
                mov w1, #0x08
                strb w1, [x9]
                2: ldr x1, [x10, #8]
                cbz x1, 2b
                hvc #1
                .ltorg
                """, flags), CODE));
        long code1 = CODE + 0x1000;
        vm.writeGuest(code1, Asm.assemble(String.format("""
                adr x11, vectors
                msr vbar_el1, x11
                isb
                ldr x10, =0x%x
                movz x8, #0x4000, lsl #16
                mov x0, #0
                1: blr x8
                str x0, [x10]
                b 1b
                .ltorg
                .balign 0x800
                vectors:
                .skip 0x200
                mrs x12, esr_el1
                str x12, [x10, #16]
                mrs x12, elr_el1
                str x12, [x10, #24]
                mov x12, #1
                str x12, [x10, #8]
                hvc #2
                """, flags), code1));
        Vcpu v0 = vm.createVcpu(0), v1 = vm.createVcpu(1, true);
        v0.setPc(CODE);
        v1.setPc(code1);
        VcpuExit[] exits = new VcpuExit[2];
        Thread t1 = Thread.ofPlatform().start(() -> exits[1] = v1.run());
        Thread t0 = Thread.ofPlatform().start(() -> exits[0] = v0.run());
        t0.join(60_000);
        t1.join(60_000);
        if (t0.isAlive() || t1.isAlive()) {
            v0.kick();
            v1.kick();
            fail("the vCPU calling into 0x4000_0000 never saw the hidden XN");
        }
        assertEquals(1, assertInstanceOf(VcpuExit.Hypercall.class, exits[0]).immediate());
        assertEquals(2, assertInstanceOf(VcpuExit.Hypercall.class, exits[1]).immediate());
        assertTrue(vm.readGuest64(flags) >= 100, "vCPU 1 ran the page's code before the hide");
        assertEquals(0x86000010L, vm.readGuest64(flags + 16), "then an instruction abort at the fetch");
        long elr = vm.readGuest64(flags + 24);
        assertTrue(elr == TARGET || elr == TARGET + 4, "ELR_EL1: one of the page's two instructions (the hide may land"
                + " between them): 0x" + Long.toHexString(elr));
    }

    @Test
    void eachStage2ViewHidesItsOwnByte() {
        HsGuest g = new HsGuest("""
                mov w1, #0x11
                strb w1, [x9]
                movz x0, #0xFF00
                movk x0, #0xC600, lsl #16
                mov x1, #1
                hvc #0
                ldrb w25, [x9, #1]
                mov w1, #0x22
                strb w1, [x9]
                ldrb w26, [x9, #1]
                movz x0, #0xFF00
                movk x0, #0xC600, lsl #16
                mov x1, #0
                hvc #0
                ldrb w27, [x9, #1]
                """);
        int view = g.vm.createStage2View();
        assertTrue(Guest.isShutdown(g.run()));
        assertEquals(0, g.vcpu.x(25), "view 1 starts with nothing hidden");
        assertEquals(0x22, g.vcpu.x(26));
        assertEquals(0x11, g.vcpu.x(27), "view 0 kept its byte");
        assertEquals(0x22L << 51, leaf(g.vm.stage2View(view)) & HideSeek.MASK);
        assertEquals(0x11L << 51, leaf(g.vm.stage2()) & HideSeek.MASK);
    }

    @Test
    void withoutRamAtTheTargetBothRegistersAbort() {
        long ram = 0x8000_0000L;
        HsGuest g = new HsGuest(new Hypervisor().createVm(), ram, ram, """
                mov w1, #1
                strb w1, [x9]
                ldrb w2, [x9, #1]
                """);
        assertTrue(Guest.isShutdown(g.run()));
        assertEquals(2, g.vcpu.x(22));
        assertEquals(0x96000050L, g.esr(0));
        assertEquals(0x96000010L, g.esr(1));
        assertEquals(2, g.log.size());
        assertTrue(g.log.get(0).contains("no RAM"), g.log.get(0));
    }
}
