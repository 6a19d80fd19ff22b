package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.ExitReason;
import org.jvisor.cpu.PhysicalBus;
import org.jvisor.cpu.SystemRegisters;
import org.jvisor.cpu.TestMachine;
import org.jvisor.testing.NeedsCross;

/**
 * Stage-2 tables built by {@link Stage2PageTable} and used by the processor's MMU: a guest at EL1 (MMU
 * off, so VA = IPA) runs under HCR_EL2.VM=1 with VTTBR_EL2/VTCR_EL2 from the table. Expected values are the
 * Arm ARM's: the descriptor format, ESR_EL2 ISS for aborts from a lower EL (EC 0x24 data, 0x20 instruction,
 * DFSC 0b0001LL translation and 0b0011LL permission faults at level LL), HPFAR_EL2.FIPA = IPA[39:12] in [35:4].
 */
@NeedsCross
class Stage2PageTableTest {
    static final long RAM = TestMachine.RAM_BASE;
    /** Host memory for the tables: the last 16 MiB of the machine's RAM, never mapped into the guest. */
    static final long TABLES = RAM + (48 << 20), TABLES_SIZE = 16 << 20;
    static final long DATA = RAM + 0x20_0000; // host PA of guest data pages
    static final long ESR_IL = 1L << 25, WNR = 1L << 6;
    static final int RW = Stage2PageTable.R | Stage2PageTable.W, RWX = RW | Stage2PageTable.X;

    final TestMachine m = new TestMachine(64 << 20);
    final Cpu cpu = m.cpu;
    final PhysicalBus bus = m.bus;
    final TablePageAllocator pages = new TablePageAllocator(bus, TABLES, TABLES_SIZE);
    final List<long[]> invalidations = new ArrayList<>();
    final Stage2Invalidator tlbi = Stage2Invalidator.broadcastFrom(cpu);
    final Stage2PageTable s2 = new Stage2PageTable(pages, (ipa, size) -> {
        invalidations.add(new long[] {ipa, size});
        tlbi.invalidate(ipa, size);
    });

    Stage2PageTableTest() {
        // The test code at IPA = PA = RAM_BASE (where TestMachine.load puts it), executable.
        s2.map(RAM, RAM, 0x1_0000, RWX);
        cpu.sr.hcrEl2 = SystemRegisters.HCR_VM | SystemRegisters.HCR_RW;
        cpu.sr.vtcrEl2 = s2.vtcr();
        cpu.sr.vttbrEl2 = s2.vttbr(5);
        cpu.mmu.contextChanged();
    }

    /** Runs {@code code} at EL1 until it exits to EL2; returns ESR_EL2. */
    long run(String code) {
        m.load(code);
        cpu.setElAndSpSel(1, 1); // back to the guest after the previous exit
        assertEquals(ExitReason.EL2_TRAP, m.run());
        return cpu.sr.esr[2];
    }

    static long hvc(int imm) {
        return (long) Esr.EC_HVC64 << 26 | ESR_IL | imm;
    }

    @Test
    void registerValuesFollowTheArmArm() {
        // T0SZ=24 | SL0=1 | IRGN0=1 | ORGN0=1 | SH0=3 | TG0=0 | PS=2 (40 bits) | RES1 bit 31
        assertEquals(0x8002_3558L, s2.vtcr());
        assertEquals(s2.root() | 7L << 48, s2.vttbr(7));
        assertEquals(0, s2.root() & 0x1fff); // two concatenated level-1 tables: 8 KiB aligned
        assertThrows(IllegalArgumentException.class, () -> s2.vttbr(256));
    }

    @Test
    void pageDescriptorsAreInTheArchitecturesFormat() {
        s2.map(0x8000_0000L, DATA, 0x1000, RW);
        s2.map(0x8000_1000L, DATA + 0x5000, 0x1000, Stage2PageTable.R | Stage2PageTable.X);
        s2.map(0x8000_2000L, 0x0900_0000L, 0x1000, RW | Stage2PageTable.DEVICE);
        // valid page (0b11), MemAttr 0b1111, S2AP, SH=0b11, AF, XN at bit 54
        assertEquals(DATA | 3 | 0xf << 2 | 3 << 6 | 3 << 8 | 1 << 10 | 1L << 54, s2.lookup(0x8000_0000L));
        assertEquals(DATA + 0x5000 | 3 | 0xf << 2 | 1 << 6 | 3 << 8 | 1 << 10, s2.lookup(0x8000_1fffL));
        assertEquals(0x0900_0000L | 3 | 1 << 2 | 3 << 6 | 3 << 8 | 1 << 10 | 1L << 54, s2.lookup(0x8000_2000L));
        assertEquals(0, s2.lookup(0x8000_3000L));
        assertEquals(DATA + 0x5123, s2.translate(0x8000_1123L));
        assertEquals(-1, s2.translate(0x8000_3000L));
        // The level-1 entry for 2G..3G and the level-2 entry for 2G..2G+2M are table descriptors in our memory
        long l1 = bus.read(s2.root() + 8 * 2, 8);
        assertEquals(3, l1 & 0xfff);
        long l2 = bus.read(l1 & ~0xfffL, 8);
        assertEquals(3, l2 & 0xfff);
        assertEquals(true, pages.contains(l2 & ~0xfffL));
        assertEquals(s2.lookup(0x8000_0000L), bus.read(l2 & ~0xfffL, 8));
    }

    @Test
    void loadsAndStoresLandAtTheMappedHostAddresses() {
        s2.map(0x8000_0000L, DATA + 0x3000, 0x1000, RW);
        s2.map(0x8000_1000L, DATA + 0x1000, 0x2000, RW);
        bus.write(DATA + 0x3008, 8, 0x1111);
        bus.write(DATA + 0x1ff8, 8, 0x2222);
        assertEquals(hvc(0), run("""
                movz x0, #0x8000, lsl #16
                ldr x1, [x0, #8]
                ldr x2, [x0, #0x1ff8]
                mov x3, #77
                str x3, [x0, #0x2010]
                hvc #0
                """));
        assertEquals(0x1111, m.x(1));
        assertEquals(0x2222, m.x(2));
        assertEquals(77, bus.read(DATA + 0x2010, 8));
    }

    @Test
    void unmappedIpaIsAStage2TranslationFault() {
        s2.map(0x8000_0000L, DATA, 0x1000, RW);
        // The level-2 entry for 0x9000_0000 is invalid: DFSC 0b000110
        long esr = run("""
                movz x0, #0x9000, lsl #16
                ldr x1, [x0, #0x18]
                hvc #0
                """);
        assertEquals(0x06, esr & 0x3f);
        assertEquals(Esr.EC_DABT_LOW, esr >>> 26);
        assertEquals(0, esr & WNR);
        assertEquals(0x9000_0018L, cpu.sr.far[2]);
        assertEquals(0x9000_0000L >>> 12 << 4, cpu.sr.hpfarEl2);
        assertEquals(RAM + 4, cpu.sr.elr[2]);
        // The next page of a mapped one: level 3
        esr = run("""
                movz x0, #0x8000, lsl #16
                str x0, [x0, #0x1000]
                hvc #0
                """);
        assertEquals(0x07, esr & 0x3f);
        assertEquals(WNR, esr & WNR);
        assertEquals(0x8000_1000L >>> 12 << 4, cpu.sr.hpfarEl2);
    }

    @Test
    void readOnlyPageFaultsOnWrite() {
        s2.map(0x8000_0000L, DATA, 0x1000, Stage2PageTable.R);
        bus.write(DATA, 8, 5);
        assertEquals(hvc(0), run("""
                movz x0, #0x8000, lsl #16
                ldr x1, [x0]
                hvc #0
                """));
        assertEquals(5, m.x(1));
        long esr = run("""
                movz x0, #0x8000, lsl #16
                str x0, [x0, #8]
                hvc #0
                """);
        assertEquals(Esr.EC_DABT_LOW, esr >>> 26);
        assertEquals(0x0f, esr & 0x3f); // permission fault, level 3
        assertEquals(WNR, esr & WNR);
        assertEquals(0x8000_0000L >>> 12 << 4, cpu.sr.hpfarEl2);
        assertEquals(5, bus.read(DATA, 8));
        assertEquals(0, bus.read(DATA + 8, 8));
    }

    @Test
    void executeNeverPageIsAnInstructionAbort() {
        s2.map(0x8000_0000L, DATA, 0x1000, RW); // no X: XN=1
        s2.map(0x8000_1000L, DATA + 0x1000, 0x1000, Stage2PageTable.R | Stage2PageTable.X);
        bus.write(DATA, 4, 0xd4000022L); // hvc #1
        bus.write(DATA + 0x1000, 4, 0xd4000042L); // hvc #2
        long esr = run("""
                movz x0, #0x8000, lsl #16
                br x0
                """);
        assertEquals((long) Esr.EC_IABT_LOW << 26 | ESR_IL | 0x0f, esr);
        assertEquals(0x8000_0000L, cpu.sr.far[2]);
        assertEquals(0x8000_0000L >>> 12 << 4, cpu.sr.hpfarEl2);
        assertEquals(hvc(2), run("""
                movz x0, #0x8000, lsl #16
                add x0, x0, #0x1000
                br x0
                """));
    }

    @Test
    void walkVisitsExactlyTheLeavesInTheRange() {
        s2.map(0x8000_0000L, DATA, 0x3000, RW);            // 3 pages
        s2.map(0x8000_5000L, DATA, 0x1000, RW);            // 1 page after a hole
        s2.map(0x8020_0000L, DATA + 0x1000, 0x1000, RW);   // next 2M region
        s2.map(0x1_0000_0000L, DATA, 0x1000, RW);          // another GiB
        int before = invalidations.size();
        List<String> seen = new ArrayList<>();
        s2.walk(0x8000_1000L, 0x8020_1000L - 0x8000_1000L, (ipa, level, desc) -> {
            seen.add(Long.toHexString(ipa) + "@" + level + "->" + Long.toHexString(desc & Stage2Descriptor.OA_MASK));
            return desc;
        });
        assertEquals(List.of("80001000@3->" + Long.toHexString(DATA + 0x1000),
                "80002000@3->" + Long.toHexString(DATA + 0x2000),
                "80005000@3->" + Long.toHexString(DATA),
                "80200000@3->" + Long.toHexString(DATA + 0x1000)), seen);
        seen.clear();
        s2.walk(0, 1L << 40, (ipa, level, desc) -> {
            seen.add(Long.toHexString(ipa));
            return desc;
        });
        assertEquals(List.of("40000000", "40001000", "40002000", "40003000", "40004000", "40005000", "40006000",
                "40007000", "40008000", "40009000", "4000a000", "4000b000", "4000c000", "4000d000", "4000e000",
                "4000f000", "80000000", "80001000", "80002000", "80005000", "80200000", "100000000"), seen);
        assertEquals(before, invalidations.size()); // visits that return the descriptor change nothing
    }

    @Test
    void visitorRewritingSoftwareBitsKeepsTheTranslation() {
        s2.map(0x8000_0000L, DATA, 0x2000, RW);
        bus.write(DATA + 0x1000, 8, 0x55);
        assertEquals(hvc(0), run("""
                movz x0, #0x8000, lsl #16
                ldr x1, [x0, #0x1000]
                hvc #0
                """)); // the translation is now in the TLB
        long before = s2.lookup(0x8000_1000L);
        invalidations.clear();
        s2.walk(0x8000_1000L, 0x1000, (ipa, level, desc) -> Stage2Descriptor.withSoftwareBits(desc, 0xa));
        long after = s2.lookup(0x8000_1000L);
        assertEquals(before | 0xaL << 55, after);
        assertEquals(0xa, Stage2Descriptor.softwareBits(after));
        assertEquals(s2.lookup(0x8000_0000L) + 0x1000, after & ~(0xfL << 55)); // the neighbour is untouched
        assertEquals(1, invalidations.size());
        assertEquals(0x8000_1000L, invalidations.get(0)[0]);
        assertEquals(0x1000L, invalidations.get(0)[1]);
        assertEquals(hvc(0), run("""
                movz x0, #0x8000, lsl #16
                ldr x1, [x0, #0x1000]
                mov x2, #66
                str x2, [x0, #0x1008]
                hvc #0
                """));
        assertEquals(0x55, m.x(1));
        assertEquals(66, bus.read(DATA + 0x1008, 8));
    }

    @Test
    void allocatorLimitFailsCleanly() {
        TablePageAllocator small = new TablePageAllocator(bus, TABLES + 0x80_0000, 0x10_0000, 4);
        Stage2PageTable t = new Stage2PageTable(small, Stage2Invalidator.NONE);
        assertEquals(2, small.pagesInUse()); // the root
        t.map(0x8000_0000L, DATA, 0x1000, RW); // a level-2 and a level-3 table
        assertEquals(4, small.pagesInUse());
        t.map(0x8000_1000L, DATA, 0x1000, RW); // same tables
        assertThrows(Stage2MemoryExhausted.class, () -> t.map(0x8020_0000L, DATA, 0x1000, RW));
        assertThrows(Stage2MemoryExhausted.class, () -> t.map(0xc000_0000L, DATA, 0x1000, RW));
        assertEquals(4, small.pagesInUse());
        assertEquals(DATA | 0x7ffL | 1L << 54, t.lookup(0x8000_0000L));
        assertEquals(0, t.lookup(0x8020_0000L));
        List<Long> leaves = new ArrayList<>();
        t.walk(0, 1L << 40, (ipa, level, desc) -> {
            leaves.add(ipa);
            return desc;
        });
        assertEquals(List.of(0x8000_0000L, 0x8000_1000L), leaves);
        assertEquals(4, t.tablePages());
    }

    /** The valid leaves in a range as "ipa@level". */
    List<String> leaves(long ipa, long size) {
        List<String> out = new ArrayList<>();
        s2.walk(ipa, size, (a, level, desc) -> {
            out.add(Long.toHexString(a) + "@" + level);
            return desc;
        });
        return out;
    }

    @Test
    void blocksWhenAskedAndAligned() {
        long block = Stage2PageTable.BLOCK_SIZE;
        s2.map(0x8000_0000L, DATA, 2 * block + 0x2000, RW | Stage2PageTable.BLOCKS);
        // block descriptor: bits [1:0] = 0b01, OA[47:21]
        assertEquals(DATA | 1 | 0xf << 2 | 3 << 6 | 3 << 8 | 1 << 10 | 1L << 54, s2.lookup(0x801f_f000L));
        assertEquals(List.of("80000000@2", "80200000@2", "80400000@3", "80401000@3"), leaves(0x8000_0000L, 1L << 30));
        assertEquals(DATA + 0x1f_fff8, s2.translate(0x801f_fff8L));
        bus.write(DATA + 0x30_0008, 8, 0x3333);
        assertEquals(hvc(0), run("""
                movz x0, #0x8030, lsl #16
                ldr x1, [x0, #8]
                str x1, [x0, #0x10]
                hvc #0
                """));
        assertEquals(0x3333, m.x(1));
        assertEquals(0x3333, bus.read(DATA + 0x30_0010, 8));
        // A PA that is not 2 MiB aligned, or an IPA range shorter than a block: pages
        s2.map(0xc000_0000L, DATA + 0x1000, block, RW | Stage2PageTable.BLOCKS);
        assertEquals(512, leaves(0xc000_0000L, block).size());
        s2.map(0xc020_0000L, DATA, block - 0x1000, RW | Stage2PageTable.BLOCKS);
        assertEquals(511, leaves(0xc020_0000L, block).size());
        // Without BLOCKS: pages
        s2.map(0xc040_0000L, DATA, block, RW);
        assertEquals("c0400000@3", leaves(0xc040_0000L, block).getFirst());
    }

    @Test
    void remappingBreaksBeforeMakeAndTheGuestSeesTheNewPage() {
        s2.map(0x8000_0000L, DATA, 0x1000, RW);
        bus.write(DATA, 8, 1);
        bus.write(DATA + 0x1000, 8, 2);
        String load = """
                movz x0, #0x8000, lsl #16
                ldr x1, [x0]
                hvc #0
                """;
        run(load);
        assertEquals(1, m.x(1)); // the old translation is in the TLB now
        invalidations.clear();
        s2.map(0x8000_0000L, DATA + 0x1000, 0x1000, RW);
        assertEquals(1, invalidations.size());
        assertEquals(DATA + 0x1000, s2.translate(0x8000_0000L));
        run(load);
        assertEquals(2, m.x(1));
    }

    @Test
    void breakBeforeMakeOnlyWhereTheArchitectureAsksForIt() {
        List<Long> atInvalidation = new ArrayList<>();
        Stage2PageTable[] self = new Stage2PageTable[1];
        Stage2PageTable t = new Stage2PageTable(pages, (ipa, size) -> atInvalidation.add(self[0].lookup(ipa)));
        self[0] = t;
        t.map(0x8000_0000L, DATA, 0x1000, Stage2PageTable.R);
        assertEquals(List.of(), atInvalidation); // an invalid entry is never in a TLB
        t.map(0x8000_0000L, DATA, 0x1000, RW); // permissions only: write the new value, then invalidate
        assertEquals(List.of(t.lookup(0x8000_0000L)), atInvalidation);
        atInvalidation.clear();
        t.map(0x8000_0000L, DATA + 0x1000, 0x1000, RW); // another output address: break first
        assertEquals(List.of(0L), atInvalidation);
        atInvalidation.clear();
        t.map(0x8000_0000L, DATA + 0x1000, 0x1000, RW | Stage2PageTable.DEVICE); // another memory type: break first
        assertEquals(List.of(0L), atInvalidation);
        atInvalidation.clear();
        t.map(0x8000_0000L, DATA + 0x1000, 0x1000, RW | Stage2PageTable.DEVICE); // the same: nothing happens
        assertEquals(List.of(), atInvalidation);
        long page = t.lookup(0x8000_0000L);
        // Contiguous changes the size a TLB may cache the entry at: break first, in both directions
        t.walk(0x8000_0000L, 0x1000, (ipa, level, desc) -> desc | Stage2Descriptor.CONTIGUOUS);
        assertEquals(List.of(0L), atInvalidation);
        atInvalidation.clear();
        t.walk(0x8000_0000L, 0x1000, (ipa, level, desc) -> desc & ~Stage2Descriptor.CONTIGUOUS);
        assertEquals(List.of(0L), atInvalidation);
        atInvalidation.clear();
        // XN, DBM (permissions) and the software bits: write, then invalidate
        for (long bit : new long[] {Stage2Descriptor.XN, Stage2Descriptor.DBM, 1L << 53, 1L << 58}) {
            t.walk(0x8000_0000L, 0x1000, (ipa, level, desc) -> desc ^ bit);
            assertEquals(List.of(page ^ bit), atInvalidation, Long.toHexString(bit));
            atInvalidation.clear();
            t.walk(0x8000_0000L, 0x1000, (ipa, level, desc) -> desc ^ bit);
            atInvalidation.clear();
        }
    }

    @Test
    void mappingAPageInsideABlockSplitsIt() {
        s2.map(0x8000_0000L, DATA, Stage2PageTable.BLOCK_SIZE, RW | Stage2PageTable.BLOCKS);
        bus.write(DATA + 0x1_0000, 8, 10);
        bus.write(DATA + 0x5_0000, 8, 20);
        bus.write(DATA + 0x6_0000, 8, 30);
        String load = """
                movz x0, #0x8000, lsl #16
                add x0, x0, #0x10, lsl #12
                ldr x1, [x0]
                add x0, x0, #0x40, lsl #12
                ldr x2, [x0]
                hvc #0
                """;
        run(load);
        assertEquals(10, m.x(1));
        assertEquals(20, m.x(2));
        invalidations.clear();
        s2.map(0x8005_0000L, DATA + 0x6_0000, 0x1000, Stage2PageTable.R);
        // block -> table: a break of the whole 2 MiB; then the page of the new table that changes
        assertEquals(2, invalidations.size());
        assertEquals(0x8000_0000L, invalidations.get(0)[0]);
        assertEquals(Stage2PageTable.BLOCK_SIZE, invalidations.get(0)[1]);
        assertEquals(0x8005_0000L, invalidations.get(1)[0]);
        assertEquals(0x1000L, invalidations.get(1)[1]);
        assertEquals(512, leaves(0x8000_0000L, Stage2PageTable.BLOCK_SIZE).size());
        // the rest of the block keeps its mapping and attributes, as pages
        assertEquals(DATA + 0x1_0000 | 3 | 0xf << 2 | 3 << 6 | 3 << 8 | 1 << 10 | 1L << 54, s2.lookup(0x8001_0000L));
        run(load);
        assertEquals(10, m.x(1));
        assertEquals(30, m.x(2));
    }

    @Test
    void mappingABlockOverPagesFreesTheirTable() {
        s2.map(0x8000_0000L, DATA, 0x3000, RW);
        int used = pages.pagesInUse();
        s2.map(0x8000_0000L, DATA, Stage2PageTable.BLOCK_SIZE, RW | Stage2PageTable.BLOCKS);
        assertEquals(used - 1, pages.pagesInUse());
        assertEquals(List.of("80000000@2"), leaves(0x8000_0000L, Stage2PageTable.BLOCK_SIZE));
        assertEquals(s2.tablePages(), pages.pagesInUse());
    }

    @Test
    void unmapFaultsAgainAndGivesTablesBack() {
        int empty = pages.pagesInUse();
        s2.map(0x8000_0000L, DATA, 0x2000, RW);
        s2.map(0x1_0000_0000L, DATA, 0x1000, RW);
        assertEquals(empty + 4, pages.pagesInUse());
        String load = """
                movz x0, #0x8000, lsl #16
                ldr x1, [x0, #0x1000]
                hvc #0
                """;
        assertEquals(hvc(0), run(load));
        invalidations.clear();
        s2.unmap(0x8000_1000L, 0x1000);
        assertEquals(1, invalidations.size()); // the page; its table still maps 0x8000_0000
        assertEquals(0x07, run(load) & 0x3f); // stage-2 translation fault at level 3: not a stale TLB entry
        assertEquals(empty + 4, pages.pagesInUse());
        s2.unmap(0x8000_0000L, 0x4000_0000L);
        s2.unmap(0x1_0000_0000L, 0x1000);
        assertEquals(empty, pages.pagesInUse());
        assertEquals(0x05, run(load) & 0x3f); // now the level-1 entry is invalid
        assertEquals(List.of(), leaves(0x8000_0000L, 0x1_0000_0000L));
    }

    @Test
    void unmappingPartOfABlockKeepsTheRest() {
        s2.map(0x8000_0000L, DATA, Stage2PageTable.BLOCK_SIZE, RW | Stage2PageTable.BLOCKS);
        s2.unmap(0x8000_1000L, 0x1000);
        assertEquals(511, leaves(0x8000_0000L, Stage2PageTable.BLOCK_SIZE).size());
        assertEquals(0, s2.lookup(0x8000_1000L));
        assertEquals(DATA + 0x2000, s2.translate(0x8000_2000L));
        assertEquals(0x07, run("""
                movz x0, #0x8000, lsl #16
                ldr x1, [x0, #0x1000]
                hvc #0
                """) & 0x3f);
    }

    @Test
    void walkFlagsSelectTablesAndInvalidEntries() {
        s2.map(0x8000_0000L, DATA, 0x1000, RW);
        List<String> seen = new ArrayList<>();
        s2.walk(0x8000_0000L, 0x2000, Stage2PageTable.WALK_LEAF | Stage2PageTable.WALK_INVALID
                | Stage2PageTable.WALK_TABLE_PRE | Stage2PageTable.WALK_TABLE_POST, (ipa, level, desc) -> {
                    seen.add(Long.toHexString(ipa) + "@" + level + (Stage2Descriptor.isTable(desc, level) ? "T"
                            : Stage2Descriptor.isValid(desc) ? "L" : "-"));
                    return desc;
                });
        assertEquals(List.of("80000000@1T", "80000000@2T", "80000000@3L", "80001000@3-", "80000000@2T", "80000000@1T"), seen);
        seen.clear();
        s2.walk(0xc000_0000L, 0x1000, Stage2PageTable.WALK_INVALID, (ipa, level, desc) -> {
            seen.add(Long.toHexString(ipa) + "@" + level);
            return desc;
        });
        assertEquals(List.of("c0000000@1"), seen); // an invalid entry is seen at the level where the walk stops
    }

    @Test
    void hideAndSeekInTheSoftwareBits() {
        // The later device's use: four bits of data in the descriptor for IPA 0x4000_0000 (our code page)
        for (int v : new int[] {0xf, 0x5, 0}) {
            s2.walk(RAM, 0x1000, (ipa, level, desc) -> ipa == RAM ? Stage2Descriptor.withSoftwareBits(desc, v) : desc);
            int[] found = {-1};
            s2.walk(RAM, 0x1000, (ipa, level, desc) -> {
                found[0] = Stage2Descriptor.softwareBits(desc);
                return desc;
            });
            assertEquals(v, found[0]);
            assertEquals(RAM, s2.translate(RAM));
            assertEquals(hvc(3), run("hvc #3")); // the guest's code page still runs
        }
    }

    @Test
    void badArgumentsAreHostErrors() {
        assertThrows(IllegalArgumentException.class, () -> s2.map(0x8000_0800L, DATA, 0x1000, RW));
        assertThrows(IllegalArgumentException.class, () -> s2.map(0x8000_0000L, DATA + 8, 0x1000, RW));
        assertThrows(IllegalArgumentException.class, () -> s2.map(0xff_ffff_f000L, DATA, 0x2000, RW)); // past 40 bits
        assertThrows(IllegalArgumentException.class, () -> s2.map(0x8000_0000L, DATA, 0x1000, Stage2PageTable.X | Stage2PageTable.DEVICE));
        assertThrows(IllegalArgumentException.class, () -> s2.unmap(0x8000_0000L, 0));
        assertEquals(0, s2.lookup(1L << 40));
        s2.map(0xff_ffff_f000L, DATA, 0x1000, RW); // the last page of the IPA space
        assertEquals(DATA, s2.translate(0xff_ffff_f000L));
    }

    @Test
    void releaseGivesEveryPageBack() {
        int before = pages.pagesInUse();
        Stage2PageTable view = new Stage2PageTable(pages, Stage2Invalidator.NONE);
        view.map(0x8000_0000L, DATA, 0x3000, RW);
        view.map(0x2_0000_0000L, DATA, Stage2PageTable.BLOCK_SIZE, RW | Stage2PageTable.BLOCKS);
        assertEquals(before + 2 + 2 + 1, pages.pagesInUse());
        view.release();
        assertEquals(before, pages.pagesInUse());
        assertEquals(RAM, s2.translate(RAM)); // the VM's own table is untouched
    }

    @Test
    void otherVcpusDropTheOldTranslationToo() {
        Cpu other = new Cpu(bus);
        other.sr.hcrEl2 = cpu.sr.hcrEl2;
        other.sr.vtcrEl2 = s2.vtcr();
        other.sr.vttbrEl2 = s2.vttbr(5);
        other.setElAndSpSel(1, 1);
        s2.map(0x8000_0000L, DATA, 0x1000, RW);
        bus.write(DATA, 8, 1);
        bus.write(DATA + 0x1000, 8, 2);
        m.load("""
                movz x0, #0x8000, lsl #16
                ldr x1, [x0]
                hvc #0
                """);
        other.pc = RAM;
        assertEquals(ExitReason.EL2_TRAP, other.run(1000));
        assertEquals(1, other.x[1]); // in the other processor's TLB now
        s2.map(0x8000_0000L, DATA + 0x1000, 0x1000, RW); // the hook runs TLBI ...IS on cpu, broadcast
        other.setElAndSpSel(1, 1);
        other.pc = RAM;
        assertEquals(ExitReason.EL2_TRAP, other.run(1000));
        assertEquals(2, other.x[1]);
    }
}
