package org.jvisor.cpu;

import static org.jvisor.cpu.PageTables.AF;
import static org.jvisor.cpu.PageTables.AP_RO_ALL;
import static org.jvisor.cpu.PageTables.AP_RO_EL1;
import static org.jvisor.cpu.PageTables.AP_RW_ALL;
import static org.jvisor.cpu.PageTables.AP_RW_EL1;
import static org.jvisor.cpu.PageTables.NG;
import static org.jvisor.cpu.PageTables.PXN;
import static org.jvisor.cpu.PageTables.SH_INNER;
import static org.jvisor.cpu.PageTables.UXN;
import static org.jvisor.cpu.PageTables.attrIndx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Stage 1 translation of the EL1&0 and EL2 regimes: tables are built in guest RAM from Java, accesses are
 * made through the processor's memory API (as a load or store would) and faults are checked in ESR/FAR as
 * the Arm ARM (DDI 0487, D5 and D13) defines them.
 */
class MmuTest {
    static final long RAM = TestMachine.RAM_BASE;
    static final long POOL = RAM + 0x40_0000;
    /** MAIR: Attr0 Normal WB, Attr1 Device-nGnRnE, Attr2 Normal NC, Attr3 Device-nGnRE. */
    static final long MAIR = 0x04_44_00_ffL;
    static final long NORMAL = AF | SH_INNER | attrIndx(0);
    static final long TCR_IPS_48 = 5L << 32, TCR_TG1_4K = 2L << 30;

    final TestMachine m = new TestMachine(64 << 20);
    final Cpu cpu = m.cpu;
    final PhysicalBus bus = m.bus;

    /** TTBR0 tables for a 39-bit VA space with 4K pages: level 1 start. */
    PageTables enableMmu39() {
        PageTables pt = new PageTables(bus, POOL, 12, 39);
        cpu.sr.tcr[1] = 25 | 25L << 16 | TCR_TG1_4K | TCR_IPS_48;
        cpu.sr.ttbr0[1] = pt.root;
        cpu.sr.mair[1] = MAIR;
        cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_M;
        cpu.mmu.contextChanged();
        return pt;
    }

    long read(long va) {
        return cpu.read64(va);
    }

    /** Performs {@code r}, expecting a synchronous exception to EL1; returns ESR_EL1. */
    long faultEsr(Runnable r) {
        assertThrows(ExceptionTaken.class, r::run);
        return cpu.sr.esr[1];
    }

    static long dabtCur(int dfsc) { return 0x25L << 26 | 1L << 25 | dfsc; }

    static long dabtCurWrite(int dfsc) { return 0x25L << 26 | 1L << 25 | 1L << 6 | dfsc; }

    /** Puts {@code hvc #0x200} at the current-EL vector and {@code hvc #0x400} at the lower-EL one. */
    void installVectors(long vbar) {
        cpu.sr.vbar[1] = vbar;
        bus.write(vbar + 0x200, 4, 0xd4000002L | 0x200 << 5);
        bus.write(vbar + 0x400, 4, 0xd4000002L | 0x400 << 5);
    }

    @Test
    void fourKPagesAndTwoMegabyteBlocks() {
        PageTables pt = enableMmu39();
        pt.map(RAM, RAM, 2, NORMAL); // identity 2M block
        pt.map(0x1000_0000L, RAM + 0x20_3000, 3, NORMAL);
        pt.map(0x1000_1000L, RAM + 0x20_1000, 3, NORMAL);
        bus.write(RAM + 0x1238, 8, 0x1111);
        bus.write(RAM + 0x20_3010, 8, 0x2222);
        bus.write(RAM + 0x20_1ff8, 8, 0x3333);
        assertEquals(0x1111, read(RAM + 0x1238));
        assertEquals(0x2222, read(0x1000_0010L));
        assertEquals(0x3333, read(0x1000_1ff8L));
        cpu.write64(0x1000_0018L, 0x4444);
        assertEquals(0x4444, bus.read(RAM + 0x20_3018, 8));
        assertEquals(0xff, cpu.mmu.lastAttrs);
    }

    @Test
    void fortyEightBitVaStartsAtLevelZero() {
        PageTables pt = new PageTables(bus, POOL, 12, 48);
        assertEquals(0, pt.startLevel);
        pt.map(0x0000_8123_4560_0000L, RAM + 0x30_0000, 2, NORMAL);
        pt.map(0x0000_7fff_ffff_f000L, RAM + 0x10_0000, 3, NORMAL);
        pt.map(0x0000_4000_0000_0000L, RAM, 1, NORMAL); // 1G block
        cpu.sr.tcr[1] = 16 | TCR_IPS_48;
        cpu.sr.ttbr0[1] = pt.root;
        cpu.sr.mair[1] = MAIR;
        cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_M;
        cpu.mmu.contextChanged();
        bus.write(RAM + 0x31_2340, 8, 0xabc);
        bus.write(RAM + 0x10_0ff0, 8, 0xdef);
        bus.write(RAM + 0x2_0000, 8, 0x123);
        assertEquals(0xabc, read(0x0000_8123_4571_2340L));
        assertEquals(0xdef, read(0x0000_7fff_ffff_fff0L));
        assertEquals(0x123, read(0x0000_4000_0002_0000L));
        // Unmapped: level 0 entry invalid -> translation fault level 0; level 1 entry invalid -> level 1...
        assertEquals(dabtCur(0x04), faultEsr(() -> read(0x0000_0100_0000_0000L)));
        assertEquals(0x0000_0100_0000_0000L, cpu.sr.far[1]);
        assertEquals(dabtCur(0x05), faultEsr(() -> read(0x0000_8100_0000_0000L)));
        assertEquals(dabtCur(0x06), faultEsr(() -> read(0x0000_8123_4540_0000L)));
        assertEquals(dabtCur(0x07), faultEsr(() -> read(0x0000_7fff_ffff_e000L)));
        // Beyond the 48-bit range of TTBR0 (bit 48 set, TBI off): translation fault level 0
        assertEquals(dabtCur(0x04), faultEsr(() -> read(0x0001_0000_0000_0000L)));
    }

    @Test
    void ttbr1MapsTheTopOfTheAddressSpace() {
        PageTables lo = enableMmu39();
        lo.map(RAM, RAM, 2, NORMAL);
        PageTables hi = new PageTables(bus, POOL + 0x10_0000, 12, 39);
        cpu.sr.ttbr1El1 = hi.root;
        cpu.mmu.contextChanged();
        long kva = 0xffff_ff80_0000_0000L;
        hi.map(kva, RAM + 0x20_0000, 2, NORMAL);
        hi.map(0xffff_ffff_ffff_f000L, RAM + 0x1000, 3, NORMAL);
        bus.write(RAM + 0x20_0100, 8, 77);
        bus.write(RAM + 0x1ff8, 8, 88);
        assertEquals(77, read(kva + 0x100));
        assertEquals(88, read(0xffff_ffff_ffff_fff8L));
        // Between the two halves (VA bits [63:39] neither all 0 nor all 1): translation fault level 0.
        assertEquals(dabtCur(0x04), faultEsr(() -> read(0xffff_ff00_0000_0000L)));
        assertEquals(dabtCur(0x04), faultEsr(() -> read(0x0000_0080_0000_0000L)));
        // TCR_EL1.EPD1 disables walks from TTBR1: translation fault level 0 on a miss.
        cpu.sr.tcr[1] |= 1L << 23;
        cpu.mmu.contextChanged();
        assertEquals(dabtCur(0x04), faultEsr(() -> read(0xffff_ff80_4000_0000L)));
    }

    @Test
    void topByteIgnoredWhenTbiSet() {
        PageTables pt = enableMmu39();
        pt.map(RAM, RAM, 2, NORMAL);
        bus.write(RAM + 0x5000, 8, 0x55);
        long tagged = 0x5a00_0000_0000_0000L | RAM + 0x5000;
        assertEquals(dabtCur(0x04), faultEsr(() -> read(tagged)));
        assertEquals(tagged, cpu.sr.far[1]);
        cpu.sr.tcr[1] |= 1L << 37; // TBI0
        cpu.mmu.contextChanged();
        assertEquals(0x55, read(tagged));
    }

    @Test
    void tnszGivesTheStartingLevel() {
        // T0SZ=33 (31-bit VA, 4K): starts at level 1 with a 2-entry table... 31-12=19 -> ceil(19/9)=3 levels: level 1
        PageTables pt = new PageTables(bus, POOL, 12, 31);
        assertEquals(1, pt.startLevel);
        pt.map(0x4000_0000L, RAM, 2, NORMAL);
        cpu.sr.tcr[1] = 33 | TCR_IPS_48;
        cpu.sr.ttbr0[1] = pt.root;
        cpu.sr.mair[1] = MAIR;
        cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_M;
        cpu.mmu.contextChanged();
        bus.write(RAM + 0x8, 8, 9);
        assertEquals(9, read(0x4000_0008L));
        assertEquals(dabtCur(0x04), faultEsr(() -> read(0x8000_0000L)));
        // T0SZ=39 (25-bit VA): level 2 start
        PageTables p2 = new PageTables(bus, POOL + 0x10_0000, 12, 25);
        assertEquals(2, p2.startLevel);
        p2.map(0x20_0000L, RAM, 2, NORMAL);
        cpu.sr.tcr[1] = 39 | TCR_IPS_48;
        cpu.sr.ttbr0[1] = p2.root;
        cpu.mmu.tlbi(TlbiOp.VMALLE1, 0, false);
        assertEquals(9, read(0x20_0008L));
        assertEquals(dabtCur(0x04), faultEsr(() -> read(0x200_0000L)));
    }

    @Test
    void addressSizeFaults() {
        PageTables pt = enableMmu39();
        pt.map(RAM, RAM, 2, NORMAL);
        pt.map(0x2000_0000L, 0x1_0000_0000L, 2, NORMAL); // beyond a 32-bit IPS
        pt.map(0x3000_0000L, 0x1_0000_0000L, 3, NORMAL);
        cpu.sr.tcr[1] = (cpu.sr.tcr[1] & ~(7L << 32)); // IPS = 32 bits
        cpu.mmu.contextChanged();
        assertEquals(dabtCur(0x02), faultEsr(() -> read(0x2000_0000L)));
        assertEquals(dabtCur(0x03), faultEsr(() -> read(0x3000_0000L)));
        bus.write(RAM + 0x10, 8, 8);
        assertEquals(8, read(RAM + 0x10));
    }

    @Test
    void ttbrBeyondOutputSizeIsAddressSizeFaultLevelZero() {
        enableMmu39();
        cpu.sr.ttbr0[1] = 0x1_0000_0000L;
        cpu.sr.tcr[1] = (cpu.sr.tcr[1] & ~(7L << 32)); // IPS = 32 bits
        cpu.mmu.contextChanged();
        assertEquals(dabtCur(0x00), faultEsr(() -> read(0x1000L)));
    }

    @Test
    void mmuOffChecksThePhysicalAddressSize() {
        bus.write(RAM + 0x10, 8, 5);
        assertEquals(5, read(RAM + 0x10));
        assertEquals(0x00, cpu.mmu.lastAttrs); // Device-nGnRnE
        assertEquals(dabtCur(0x00), faultEsr(() -> read(0x0001_0000_0000_0000L)));
        assertEquals(0x0001_0000_0000_0000L, cpu.sr.far[1]);
        // Nothing at the PA: a synchronous external abort (not on a walk)
        assertEquals(dabtCur(0x10), faultEsr(() -> read(0x1000L)));
    }

    @Test
    void walkHittingNothingIsExternalAbortOnWalk() {
        PageTables pt = enableMmu39();
        pt.write(0x4000_0000L, 1, 0x8000_0000L | 3); // level 1 table descriptor pointing at no memory
        assertEquals(dabtCur(0x16), faultEsr(() -> read(0x4000_0000L)));
        cpu.sr.ttbr0[1] = 0x1000_0000L;
        cpu.mmu.contextChanged();
        assertEquals(dabtCur(0x15), faultEsr(() -> read(0x1000L)));
    }

    @Test
    void reservedAndInvalidDescriptors() {
        PageTables pt = enableMmu39();
        pt.write(0x1000L, 3, RAM | NORMAL | 1); // 0b01 at level 3 is reserved: translation fault
        assertEquals(dabtCur(0x07), faultEsr(() -> read(0x1000L)));
        // A 4K-granule level 0 block does not exist: with a 48-bit VA, level 0 0b01 is a translation fault level 0.
        PageTables p48 = new PageTables(bus, POOL + 0x20_0000, 12, 48);
        p48.write(0, 0, NORMAL | 1);
        cpu.sr.tcr[1] = 16 | TCR_IPS_48;
        cpu.sr.ttbr0[1] = p48.root;
        cpu.mmu.contextChanged();
        assertEquals(dabtCur(0x04), faultEsr(() -> read(0x1000L)));
    }

    @Test
    void accessFlagFault() {
        PageTables pt = enableMmu39();
        pt.map(0x1000L, RAM, 3, NORMAL & ~AF);
        pt.map(0x20_0000L, RAM, 2, NORMAL & ~AF);
        assertEquals(dabtCur(0x0b), faultEsr(() -> read(0x1000L)));
        assertEquals(dabtCurWrite(0x0a), faultEsr(() -> cpu.write64(0x20_0008L, 1)));
        assertEquals(0x20_0008L, cpu.sr.far[1]);
    }

    @Test
    void accessPermissions() {
        PageTables pt = enableMmu39();
        pt.map(0x1000L, RAM + 0x1000, 3, NORMAL | AP_RW_EL1);
        pt.map(0x2000L, RAM + 0x2000, 3, NORMAL | AP_RO_EL1);
        pt.map(0x3000L, RAM + 0x3000, 3, NORMAL | AP_RW_ALL);
        pt.map(0x4000L, RAM + 0x4000, 3, NORMAL | AP_RO_ALL);
        // EL1
        cpu.write64(0x1008L, 1);
        assertEquals(0, read(0x2008L));
        assertEquals(dabtCurWrite(0x0f), faultEsr(() -> cpu.write64(0x2008L, 1)));
        cpu.write64(0x3008L, 3);
        assertEquals(dabtCurWrite(0x0f), faultEsr(() -> cpu.write64(0x4008L, 1)));
        // EL0: faults are taken to EL1 from a lower EL (EC 0x24)
        cpu.setElAndSpSel(0, 0);
        long lower = 0x24L << 26 | 1L << 25;
        assertEquals(lower | 0x0f, faultEsr(() -> read(0x1008L)));
        cpu.setElAndSpSel(0, 0);
        assertEquals(lower | 0x0f, faultEsr(() -> read(0x2008L)));
        cpu.setElAndSpSel(0, 0);
        assertEquals(3, read(0x3008L));
        cpu.write64(0x3008L, 4);
        assertEquals(0, read(0x4008L));
        assertEquals(lower | 1 << 6 | 0x0f, faultEsr(() -> cpu.write64(0x4008L, 1)));
        // LDTR/STTR at EL1 are checked as EL0
        assertEquals(1, cpu.currentEl());
        assertEquals(dabtCur(0x0f), faultEsr(() -> cpu.read(0x1008L, 8, Mmu.ACC_UNPRIV)));
        assertEquals(4, cpu.read(0x3008L, 8, Mmu.ACC_UNPRIV));
    }

    @Test
    void hierarchicalTablePermissions() {
        PageTables pt = enableMmu39();
        pt.map(0x1000L, RAM + 0x1000, 3, NORMAL | AP_RW_ALL);
        pt.map(0x4000_1000L, RAM + 0x1000, 3, NORMAL | AP_RW_ALL);
        pt.setTableBits(0x4000_0000L, 2, PageTables.AP_TABLE_RO | PageTables.AP_TABLE_NO_EL0);
        cpu.write64(0x1008L, 1);
        assertEquals(1, read(0x4000_1008L));
        assertEquals(dabtCurWrite(0x0f), faultEsr(() -> cpu.write64(0x4000_1008L, 1)));
        assertEquals(dabtCur(0x0f), faultEsr(() -> cpu.read(0x4000_1008L, 8, Mmu.ACC_UNPRIV)));
    }

    /** Code at {@code va}: {@code movz x0, #1; hvc #0}. */
    void putCode(long pa) {
        bus.write(pa, 4, 0xd2800020L);
        bus.write(pa + 4, 4, 0xd4000002L);
    }

    @Test
    void executeNeverAndInstructionAborts() {
        PageTables pt = enableMmu39();
        pt.map(RAM, RAM, 2, NORMAL | UXN); // code, tables and vectors
        installVectors(RAM + 0x800);
        pt.map(0x1000L, RAM + 0x1_0000, 3, NORMAL | AP_RO_ALL);          // executable at EL0 and EL1
        pt.map(0x2000L, RAM + 0x1_0000, 3, NORMAL | AP_RO_ALL | PXN);    // EL0 only
        pt.map(0x3000L, RAM + 0x1_0000, 3, NORMAL | AP_RO_ALL | UXN);    // EL1 only
        pt.map(0x4000L, RAM + 0x1_0000, 3, NORMAL | AP_RW_ALL);          // EL0-writable: never EL1-executable
        putCode(RAM + 0x1_0000);
        for (long va : new long[] {0x1000L, 0x3000L}) {
            cpu.pc = va;
            cpu.x[0] = 0;
            assertEquals(0, m.runToHvc());
            assertEquals(1, m.x(0));
            cpu.setElAndSpSel(1, 1);
        }
        for (long va : new long[] {0x2000L, 0x4000L, 0x5000L}) {
            cpu.pc = va;
            assertEquals(0x200, m.runToHvc());
            int ifsc = va == 0x5000L ? 0x07 : 0x0f;
            assertEquals(0x21L << 26 | 1L << 25 | ifsc, cpu.sr.esr[1]);
            assertEquals(va, cpu.sr.far[1]);
            assertEquals(va, cpu.sr.elr[1]);
            cpu.setElAndSpSel(1, 1);
        }
        // EL0
        for (long va : new long[] {0x1000L, 0x2000L, 0x4000L}) {
            cpu.setElAndSpSel(0, 0);
            cpu.pc = va;
            cpu.x[0] = 0;
            // hvc at EL0 is undefined: the program stops at the lower-EL vector with EC 0
            assertEquals(0x400, m.runToHvc());
            assertEquals(0, cpu.sr.esr[1] >>> 26);
            assertEquals(1, m.x(0));
        }
        cpu.setElAndSpSel(0, 0);
        cpu.pc = 0x3000L;
        assertEquals(0x400, m.runToHvc());
        assertEquals(0x20L << 26 | 1L << 25 | 0x0f, cpu.sr.esr[1]);
        assertEquals(0x3000L, cpu.sr.far[1]);
    }

    @Test
    void wxnMakesWritableMemoryExecuteNever() {
        PageTables pt = enableMmu39();
        pt.map(RAM, RAM, 2, NORMAL | AP_RO_EL1);
        installVectors(RAM + 0x800);
        pt.map(0x1000L, RAM + 0x1_0000, 3, NORMAL | AP_RW_EL1);
        putCode(RAM + 0x1_0000);
        cpu.pc = 0x1000L;
        assertEquals(0, m.runToHvc());
        cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_WXN;
        cpu.mmu.tlbi(TlbiOp.VMALLE1, 0, false);
        cpu.setElAndSpSel(1, 1);
        cpu.pc = 0x1000L;
        assertEquals(0x200, m.runToHvc());
        assertEquals(0x21L << 26 | 1L << 25 | 0x0f, cpu.sr.esr[1]);
    }

    @Test
    void panBlocksPrivilegedDataAccessToUserMemory() {
        PageTables pt = enableMmu39();
        pt.map(0x1000L, RAM + 0x1000, 3, NORMAL | AP_RW_ALL);
        pt.map(0x2000L, RAM + 0x2000, 3, NORMAL | AP_RO_ALL);
        pt.map(0x3000L, RAM + 0x3000, 3, NORMAL | AP_RW_EL1);
        bus.write(RAM + 0x2000, 8, 2);
        assertEquals(2, read(0x2000L));
        cpu.pan = true;
        cpu.updateMmuIdx();
        assertEquals(dabtCur(0x0f), faultEsr(() -> read(0x2000L)));
        assertEquals(dabtCurWrite(0x0f), faultEsr(() -> cpu.write64(0x1000L, 1)));
        cpu.write64(0x3000L, 3);
        // Unprivileged accesses are not affected by PAN
        assertEquals(2, cpu.read(0x2000L, 8, Mmu.ACC_UNPRIV));
        // AT S1E1R ignores PAN, AT S1E1RP applies it
        assertEquals(0, cpu.mmu.at(AtOp.S1E1R, 0x2000L) & 1);
        assertEquals(1 | 0x0f << 1 | 1 << 11, cpu.mmu.at(AtOp.S1E1RP, 0x2000L));
        cpu.pan = false;
        cpu.updateMmuIdx();
        assertEquals(2, read(0x2000L));
    }

    @Test
    void staleTranslationUntilTlbi() {
        PageTables pt = enableMmu39();
        pt.map(0x1000L, RAM + 0x1_0000, 3, NORMAL);
        bus.write(RAM + 0x1_0000, 8, 1);
        bus.write(RAM + 0x2_0000, 8, 2);
        assertEquals(1, read(0x1000L));
        pt.map(0x1000L, RAM + 0x2_0000, 3, NORMAL);
        cpu.mmu.contextChanged(); // even with the fast TLB flushed, the architectural TLB holds on
        assertEquals(1, read(0x1000L));
        cpu.mmu.tlbi(TlbiOp.VAE1, 0x1000L >>> 12, false);
        assertEquals(2, read(0x1000L));
        // Removing the mapping: still translated until TLBI VALE1
        pt.write(0x1000L, 3, 0);
        assertEquals(2, read(0x1000L));
        cpu.mmu.tlbi(TlbiOp.VALE1, 0x1000L >>> 12, false);
        assertEquals(dabtCur(0x07), faultEsr(() -> read(0x1000L)));
    }

    @Test
    void tlbiByVaInvalidatesTheWholeBlock() {
        PageTables pt = enableMmu39();
        pt.map(0x20_0000L, RAM + 0x20_0000, 2, NORMAL);
        bus.write(RAM + 0x20_0000, 8, 1);
        bus.write(RAM + 0xa0_0000, 8, 2);
        assertEquals(1, read(0x20_0000L));
        pt.map(0x20_0000L, RAM + 0xa0_0000, 2, NORMAL);
        cpu.mmu.tlbi(TlbiOp.VAE1, 0x40_0000L >>> 12, false); // other blocks: no effect
        cpu.mmu.tlbi(TlbiOp.VAE1, 0x1f_f000L >>> 12, false);
        assertEquals(1, read(0x20_0000L));
        cpu.mmu.tlbi(TlbiOp.VAAE1, (0x20_0000L + 0x1f_f000) >>> 12, false); // last page of the block
        assertEquals(2, read(0x20_0000L));
    }

    @Test
    void nonGlobalEntriesAreTaggedWithTheAsid() {
        PageTables a = enableMmu39();
        PageTables b = new PageTables(bus, POOL + 0x10_0000, 12, 39);
        a.map(0x1000L, RAM + 0x1_0000, 3, NORMAL | NG);
        b.map(0x1000L, RAM + 0x2_0000, 3, NORMAL | NG);
        a.map(0x8000L, RAM + 0x3_0000, 3, NORMAL); // global
        b.map(0x8000L, RAM + 0x1_0000, 3, NORMAL);
        bus.write(RAM + 0x1_0000, 8, 1);
        bus.write(RAM + 0x2_0000, 8, 2);
        bus.write(RAM + 0x3_0000, 8, 3);
        long ttbA = a.root | 1L << 48, ttbB = b.root | 2L << 48;
        cpu.sr.ttbr0[1] = ttbA;
        cpu.mmu.contextChanged();
        assertEquals(1, read(0x1000L));
        assertEquals(3, read(0x8000L));
        cpu.sr.ttbr0[1] = ttbB;
        cpu.mmu.contextChanged();
        assertEquals(2, read(0x1000L));
        assertEquals(3, read(0x8000L)); // the global entry of ASID 1's tables matches any ASID
        // Back to ASID 1 after its tables changed: the entry tagged with ASID 1 is still used
        a.map(0x1000L, RAM + 0x3_0000, 3, NORMAL | NG);
        cpu.sr.ttbr0[1] = ttbA;
        cpu.mmu.contextChanged();
        assertEquals(1, read(0x1000L));
        cpu.mmu.tlbi(TlbiOp.ASIDE1, 2L << 48, false); // another ASID: no effect
        assertEquals(1, read(0x1000L));
        cpu.mmu.tlbi(TlbiOp.VAE1, 2L << 48 | 1, false); // right VA, wrong ASID
        assertEquals(1, read(0x1000L));
        cpu.mmu.tlbi(TlbiOp.ASIDE1, 1L << 48, false);
        assertEquals(3, read(0x1000L));
        assertEquals(3, read(0x8000L)); // ASIDE1 leaves global entries
        cpu.mmu.tlbi(TlbiOp.VMALLE1, 0, false);
        cpu.sr.ttbr0[1] = ttbB;
        cpu.mmu.contextChanged();
        assertEquals(1, read(0x8000L));
    }

    @Test
    void tcrA1TakesTheAsidFromTtbr1AndAsSelectsSixteenBits() {
        PageTables a = enableMmu39();
        a.map(0x1000L, RAM + 0x1_0000, 3, NORMAL | NG);
        bus.write(RAM + 0x1_0000, 8, 1);
        bus.write(RAM + 0x2_0000, 8, 2);
        cpu.sr.tcr[1] |= 1L << 22 | 1L << 36; // A1, 16-bit ASIDs
        cpu.sr.ttbr0[1] = a.root | 0x7L << 48;
        cpu.sr.ttbr1El1 = 0x1234L << 48;
        cpu.mmu.contextChanged();
        assertEquals(1, read(0x1000L));
        a.map(0x1000L, RAM + 0x2_0000, 3, NORMAL | NG);
        cpu.mmu.tlbi(TlbiOp.ASIDE1, 0x7L << 48, false);
        assertEquals(1, read(0x1000L));
        cpu.mmu.tlbi(TlbiOp.ASIDE1, 0x34L << 48, false); // only the low 8 bits: a different 16-bit ASID
        assertEquals(1, read(0x1000L));
        cpu.mmu.tlbi(TlbiOp.ASIDE1, 0x1234L << 48, false);
        assertEquals(2, read(0x1000L));
    }

    @Test
    void el2RegimeUsesTtbr0El2() {
        PageTables pt = new PageTables(bus, POOL, 12, 39);
        pt.map(0x1000L, RAM + 0x1_0000, 3, AF | attrIndx(0) | AP_RO_EL1); // AP[1] is RES1 at EL2
        pt.map(0x2000L, RAM + 0x2_0000, 3, AF | attrIndx(1) | UXN);
        bus.write(RAM + 0x1_0008, 8, 1);
        cpu.sr.tcr[2] = 25 | 5L << 16;
        cpu.sr.ttbr0[2] = pt.root;
        cpu.sr.mair[2] = MAIR;
        cpu.sr.sctlr[2] |= SystemRegisters.SCTLR_M;
        cpu.hostOwnsEl2 = false;
        cpu.setElAndSpSel(2, 1);
        assertEquals(1, read(0x1008L));
        assertThrows(ExceptionTaken.class, () -> cpu.write64(0x1008L, 1));
        assertEquals(0x25L << 26 | 1L << 25 | 1 << 6 | 0x0f, cpu.sr.esr[2]);
        assertEquals(0, read(0x2000L));
        assertEquals(0x00, cpu.mmu.lastAttrs);
        assertFalse(cpu.mmu.lastExecutable);
        assertTrue(cpu.mmu.lastWritable);
        // EL1 entries are not used for EL2
        cpu.mmu.tlbi(TlbiOp.VMALLE1, 0, false);
        pt.map(0x1000L, RAM + 0x2_0000, 3, AF | attrIndx(0));
        assertEquals(1, read(0x1008L));
        cpu.mmu.tlbi(TlbiOp.VAE2, 1, false);
        assertEquals(0, read(0x1008L));
    }

    @Test
    void sixteenAndSixtyFourKGranules() {
        // 16K, 36-bit VA: level 1 start (36-14=22 -> 2 levels of 11 bits: levels 2,3... ceil(22/11)=2 -> level 2)
        PageTables p16 = new PageTables(bus, POOL, 14, 36);
        assertEquals(2, p16.startLevel);
        p16.map(0x4000L, RAM + 0x4_0000, 3, NORMAL);
        p16.map(0x200_0000L, RAM + 0x200_0000, 2, NORMAL); // 32M block
        cpu.sr.tcr[1] = 28 | 2L << 14 | TCR_IPS_48;
        cpu.sr.ttbr0[1] = p16.root;
        cpu.sr.mair[1] = MAIR;
        cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_M;
        cpu.mmu.contextChanged();
        bus.write(RAM + 0x4_3ff8, 8, 16);
        bus.write(RAM + 0x3ff_fff8, 8, 32);
        assertEquals(16, read(0x7ff8L));
        assertEquals(32, read(0x3ff_fff8L));
        // 64K, 48-bit VA: level 1 start; 512M blocks at level 2
        PageTables p64 = new PageTables(bus, POOL + 0x20_0000, 16, 48);
        assertEquals(1, p64.startLevel);
        p64.map(0x1234_0000L << 16, RAM + 0x5_0000, 3, NORMAL);
        p64.map(0x2000_0000L, RAM & ~0x1fff_ffffL, 2, NORMAL);
        cpu.sr.tcr[1] = 16 | 1L << 14 | TCR_IPS_48;
        cpu.sr.ttbr0[1] = p64.root;
        cpu.mmu.tlbi(TlbiOp.VMALLE1, 0, false);
        bus.write(RAM + 0x5_fff0, 8, 64);
        assertEquals(64, read((0x1234_0000L << 16) + 0xfff0));
        assertEquals(32, read(0x2000_0000L + (RAM & 0x1fff_ffffL) + 0x3ff_fff8L));
        // 16K via TG1 for TTBR1 (TG1=01)
        PageTables hi = new PageTables(bus, POOL + 0x40_0000, 14, 36);
        hi.map(0xffff_fff0_0000_4000L, RAM + 0x4_0000, 3, NORMAL);
        cpu.sr.tcr[1] = 16 | 28L << 16 | 1L << 30 | TCR_IPS_48;
        cpu.sr.ttbr1El1 = hi.root;
        cpu.mmu.contextChanged();
        assertEquals(16, read(0xffff_fff0_0000_7ff8L));
        assertEquals(1L << 20, cpu.features.idAa64Mmfr0() & 0xfff00000L);
    }

    @Test
    void atReportsTranslationsInPar() {
        PageTables pt = enableMmu39();
        pt.map(0x1000L, RAM + 0x1_0000, 3, NORMAL | AP_RO_EL1);
        pt.map(0x2000L, RAM + 0x2_0000, 3, AF | attrIndx(1));
        pt.map(0x3000L, RAM + 0x3_0000, 3, NORMAL & ~AF);
        // Success: PA, SH (inner shareable), ATTR from MAIR, NS and bit 11 (RES1)
        assertEquals((RAM + 0x1_0000) | 0xffL << 56 | 3 << 7 | 1 << 9 | 1 << 11, cpu.mmu.at(AtOp.S1E1R, 0x1abcL));
        // Device memory reports as Outer Shareable
        assertEquals((RAM + 0x2_0000) | 2 << 7 | 1 << 9 | 1 << 11, cpu.mmu.at(AtOp.S1E1W, 0x2000L));
        // Faults: F=1, FST in [6:1]
        assertEquals(1 | 0x0f << 1 | 1 << 11, cpu.mmu.at(AtOp.S1E1W, 0x1000L));
        assertEquals(1 | 0x0f << 1 | 1 << 11, cpu.mmu.at(AtOp.S1E0R, 0x1000L));
        assertEquals(1 | 0x0b << 1 | 1 << 11, cpu.mmu.at(AtOp.S1E1R, 0x3000L));
        assertEquals(1 | 0x07 << 1 | 1 << 11, cpu.mmu.at(AtOp.S1E1R, 0x4000L));
        // Values checked on QEMU (virt, cortex-a57): Normal NC reports Outer Shareable, VA out of range
        pt.map(0x7000L, RAM + 0x7_0000, 3, AF | 2L << 8 | attrIndx(2));
        assertEquals((RAM + 0x7_0000) | 0x44L << 56 | 2 << 7 | 1 << 9 | 1 << 11, cpu.mmu.at(AtOp.S1E1R, 0x7000L));
        assertEquals(0x809, cpu.mmu.at(AtOp.S1E1R, 0x80_0000_0000L));
        // MMU off at EL2: flat, Device-nGnRnE
        assertEquals(0x1234_5000L | 2 << 7 | 1 << 9 | 1 << 11, cpu.mmu.at(AtOp.S1E2R, 0x1234_5678L));
    }

    @Test
    void broadcastTlbiReachesTheOtherProcessors() {
        Cpu other = new Cpu(bus);
        PageTables pt = enableMmu39();
        pt.map(0x1000L, RAM + 0x1_0000, 3, NORMAL);
        bus.write(RAM + 0x1_0000, 8, 1);
        bus.write(RAM + 0x2_0000, 8, 2);
        other.sr.tcr[1] = cpu.sr.tcr[1];
        other.sr.ttbr0[1] = cpu.sr.ttbr0[1];
        other.sr.mair[1] = MAIR;
        other.sr.sctlr[1] = cpu.sr.sctlr[1];
        assertEquals(1, other.read64(0x1000L));
        assertEquals(1, read(0x1000L));
        pt.map(0x1000L, RAM + 0x2_0000, 3, NORMAL);
        cpu.mmu.tlbi(TlbiOp.VAE1, 1, false); // local only
        assertEquals(2, read(0x1000L));
        assertEquals(1, other.read64(0x1000L));
        cpu.mmu.tlbi(TlbiOp.VAE1, 1, true);
        assertTrue(other.mmu.remotePending);
        // The other processor applies it at its next chunk boundary: run it for one instruction.
        putCode(RAM + 0x3_0000);
        other.pc = RAM + 0x3_0000;
        other.sr.sctlr[1] &= ~SystemRegisters.SCTLR_M;
        other.mmu.contextChanged();
        other.run(1);
        other.sr.sctlr[1] |= SystemRegisters.SCTLR_M;
        other.mmu.contextChanged();
        assertFalse(other.mmu.remotePending);
        assertEquals(2, other.read64(0x1000L));
    }

    @Test
    void tlbStaysBounded() {
        PageTables pt = enableMmu39();
        for (long i = 0; i < 64; i++) pt.map(i << 21, RAM, 2, NORMAL);
        int pages = 3 * ArchTlb.SIZE;
        for (long i = 0; i < pages; i++) pt.map(0x4000_0000L + (i << 12), RAM + 0x1_0000, 3, NORMAL);
        bus.write(RAM + 0x1_0008, 8, 7);
        // Far more pages than entries: lookups keep working, evicting old entries.
        for (int round = 0; round < 2; round++)
            for (long i = 0; i < pages; i++) assertEquals(7, read(0x4000_0008L + (i << 12)));
        int valid = 0;
        for (int k : cpu.mmu.tlb.key) if (k != 0) valid++;
        assertTrue(valid <= ArchTlb.SIZE);
    }

    @Test
    void sixteenKGranuleWithFortyEightBitVaStartsWithATwoEntryLevelZero() {
        PageTables pt = new PageTables(bus, POOL, 14, 48);
        assertEquals(0, pt.startLevel);
        pt.map(0x0000_8000_0000_4000L, RAM + 0x4_0000, 3, NORMAL);
        pt.map(0x0000_0000_0000_4000L, RAM + 0x8_0000, 3, NORMAL);
        cpu.sr.tcr[1] = 16 | 2L << 14 | TCR_IPS_48;
        cpu.sr.ttbr0[1] = pt.root;
        cpu.sr.mair[1] = MAIR;
        cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_M;
        cpu.mmu.contextChanged();
        bus.write(RAM + 0x4_0008, 8, 1);
        bus.write(RAM + 0x8_0008, 8, 2);
        assertEquals(1, read(0x0000_8000_0000_4008L));
        assertEquals(2, read(0x0000_0000_0000_4008L));
        assertEquals(dabtCur(0x05), faultEsr(() -> read(0x0000_4000_0000_0000L)));
        // 47-bit VA with 16K: level 1 start
        assertEquals(1, new PageTables(bus, POOL + 0x20_0000, 14, 47).startLevel);
    }
}
