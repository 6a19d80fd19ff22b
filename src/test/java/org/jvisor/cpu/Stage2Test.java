package org.jvisor.cpu;

import static org.jvisor.cpu.PageTables.AF;
import static org.jvisor.cpu.PageTables.S2AP_R;
import static org.jvisor.cpu.PageTables.S2AP_W;
import static org.jvisor.cpu.PageTables.S2_DEVICE;
import static org.jvisor.cpu.PageTables.S2_NORMAL_WB;
import static org.jvisor.cpu.PageTables.S2_XN;
import static org.jvisor.cpu.PageTables.SH_INNER;
import static org.jvisor.cpu.PageTables.attrIndx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Stage 2 translation under HCR_EL2.VM and two-stage walks: faults exit to the host-owned EL2 with
 * ESR_EL2/FAR_EL2/HPFAR_EL2 as the Arm ARM defines them (D13.2.37 ISS encoding for a Data Abort).
 */
class Stage2Test {
    static final long RAM = TestMachine.RAM_BASE;
    static final long S1_POOL = RAM + 0x40_0000, S2_POOL = RAM + 0x80_0000;
    static final long S2_RW = AF | SH_INNER | S2_NORMAL_WB | S2AP_R | S2AP_W;
    static final long S1_NORMAL = AF | SH_INNER | attrIndx(0);
    static final long ESR_IL = 1L << 25, EC_DABT_LOW = 0x24L << 26, EC_IABT_LOW = 0x20L << 26;
    static final long WNR = 1L << 6, S1PTW = 1L << 7, CM = 1L << 8;

    final TestMachine m = new TestMachine(64 << 20);
    final Cpu cpu = m.cpu;
    final PhysicalBus bus = m.bus;
    /** Stage 2: 39-bit IPA, 4K granule, starting at level 1 (SL0=1). */
    final PageTables s2 = new PageTables(bus, S2_POOL, 12, 39, 1);

    Stage2Test() {
        // IPA 1G..2G is RAM, identity mapped (a level 1 block); IPA 0x8000_0000 pages are set per test.
        s2.map(0x4000_0000L, 0x4000_0000L, 1, S2_RW);
        cpu.sr.vtcrEl2 = 25 | 1L << 6 | 3L << 8 | 3L << 10 | 3L << 12 | 5L << 16;
        cpu.sr.vttbrEl2 = s2.root | 5L << 48;
        cpu.sr.hcrEl2 = SystemRegisters.HCR_VM | SystemRegisters.HCR_RW;
        cpu.mmu.contextChanged();
    }

    /** Guest stage 1 on: 39-bit VA, 4K pages, tables (at IPA = PA in RAM) from S1_POOL. */
    PageTables guestMmu() {
        PageTables pt = new PageTables(bus, S1_POOL, 12, 39);
        cpu.sr.tcr[1] = 25 | 25L << 16 | 2L << 30 | 5L << 32;
        cpu.sr.ttbr0[1] = pt.root;
        cpu.sr.mair[1] = 0x44_00_ffL;
        cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_M;
        cpu.mmu.contextChanged();
        return pt;
    }

    /** Performs {@code r} at EL1, expecting an exception to EL2; returns ESR_EL2 and goes back to EL1. */
    long el2Fault(Runnable r) {
        assertThrows(ExceptionTaken.class, r::run);
        assertEquals(2, cpu.currentEl());
        cpu.setElAndSpSel(1, 1);
        return cpu.sr.esr[2];
    }

    @Test
    void ipaToPaWithGuestMmuOff() {
        s2.map(0x8000_0000L, RAM + 0x1_0000, 3, S2_RW);
        bus.write(RAM + 0x1_0008, 8, 42);
        assertEquals(42, cpu.read64(0x8000_0008L));
        cpu.write64(0x8000_0010L, 43);
        assertEquals(43, bus.read(RAM + 0x1_0010, 8));
        assertEquals(42, cpu.read64(RAM + 0x1_0008)); // and the identity-mapped block
    }

    @Test
    void stage2TranslationFaultExitsToEl2() {
        s2.map(0x8000_0000L, RAM + 0x1_0000, 3, S2_RW);
        // Level 2 entry for IPA 0x9000_0000 is invalid
        assertEquals(EC_DABT_LOW | ESR_IL | 0x06, el2Fault(() -> cpu.read64(0x9000_0000L)));
        assertEquals(0x9000_0000L, cpu.sr.far[2]);
        assertEquals(0x9000_0000L >>> 12 << 4, cpu.sr.hpfarEl2);
        // Level 3 entry invalid, a write
        assertEquals(EC_DABT_LOW | ESR_IL | WNR | 0x07, el2Fault(() -> cpu.write64(0x8000_5008L, 1)));
        assertEquals(0x8000_5008L, cpu.sr.far[2]);
        assertEquals(0x8000_5000L >>> 12 << 4, cpu.sr.hpfarEl2);
        // Beyond the 39-bit IPA space: level 0
        assertEquals(EC_DABT_LOW | ESR_IL | 0x04, el2Fault(() -> cpu.read64(0x80_0000_0000L)));
    }

    @NeedsCross
    @Test
    void loadFromUnmappedIpaEndsTheRunWithEl2Trap() {
        m.load("""
                movz x0, #0x9000, lsl #16
                ldr x1, [x0, #8]
                hvc #1
                """);
        assertEquals(ExitReason.EL2_TRAP, m.run());
        long esr = cpu.sr.esr[2];
        assertEquals(0x24, esr >>> 26);
        assertEquals(0x05, esr & 0x3f); // nothing mapped in the IPA's 1G: level 1
        assertEquals(0, esr & (WNR | S1PTW));
        assertEquals(0x9000_0008L, cpu.sr.far[2]);
        assertEquals(0x9000_0000L >>> 12 << 4, cpu.sr.hpfarEl2);
        assertEquals(RAM + 4, cpu.sr.elr[2]);
    }

    @Test
    void fetchFromUnmappedOrExecuteNeverIpa() {
        s2.map(0x8000_0000L, RAM + 0x1_0000, 3, S2_RW | S2_XN);
        cpu.pc = 0x8000_0000L;
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(EC_IABT_LOW | ESR_IL | 0x0f, cpu.sr.esr[2]);
        assertEquals(0x8000_0000L, cpu.sr.far[2]);
        assertEquals(0x8000_0000L >>> 12 << 4, cpu.sr.hpfarEl2);
        cpu.setElAndSpSel(1, 1);
        cpu.pc = 0x8000_4000L;
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(EC_IABT_LOW | ESR_IL | 0x07, cpu.sr.esr[2]);
        assertEquals(0x8000_4000L >>> 12 << 4, cpu.sr.hpfarEl2);
    }

    @Test
    void stage2WritePermission() {
        s2.map(0x8000_1000L, RAM + 0x1_0000, 3, S2_RW & ~S2AP_W);
        s2.map(0x8000_2000L, RAM + 0x1_0000, 3, S2_RW & ~S2AP_R);
        bus.write(RAM + 0x1_0000, 8, 7);
        assertEquals(7, cpu.read64(0x8000_1000L));
        assertEquals(EC_DABT_LOW | ESR_IL | WNR | 0x0f, el2Fault(() -> cpu.write64(0x8000_1000L, 1)));
        assertEquals(0x8000_1000L >>> 12 << 4, cpu.sr.hpfarEl2);
        assertEquals(EC_DABT_LOW | ESR_IL | 0x0f, el2Fault(() -> cpu.read64(0x8000_2000L)));
        cpu.write64(0x8000_2000L, 9);
        assertEquals(9, bus.read(RAM + 0x1_0000, 8));
    }

    @Test
    void stage1WalkThroughStage2() {
        PageTables pt = guestMmu();
        s2.map(0x8000_0000L, RAM + 0x1_0000, 3, S2_RW);
        pt.map(0x1000L, 0x8000_0000L, 3, S1_NORMAL); // VA -> IPA -> PA
        pt.map(0x2000L, 0x9000_0000L, 3, S1_NORMAL); // VA -> unmapped IPA
        bus.write(RAM + 0x1_0008, 8, 11);
        assertEquals(11, cpu.read64(0x1008L));
        // Stage 2 fault on the final IPA: not a walk, HPFAR has the IPA of the data
        assertEquals(EC_DABT_LOW | ESR_IL | 0x06, el2Fault(() -> cpu.read64(0x2010L)));
        assertEquals(0x2010L, cpu.sr.far[2]);
        assertEquals(0x9000_0000L >>> 12 << 4, cpu.sr.hpfarEl2);
        // Stage 1 faults still go to EL1
        assertThrows(ExceptionTaken.class, () -> cpu.read64(0x5000L));
        assertEquals(1, cpu.currentEl());
        assertEquals(0x25L << 26 | ESR_IL | 0x07, cpu.sr.esr[1]);
    }

    @Test
    void stage2FaultOnTheStage1WalkSetsS1ptw() {
        PageTables pt = guestMmu();
        pt.map(0x1000L, 0x8000_0000L, 3, S1_NORMAL);
        // The guest's level 1 table is at an IPA that stage 2 does not map
        cpu.sr.ttbr0[1] = 0x9000_0000L;
        cpu.mmu.contextChanged();
        assertEquals(EC_DABT_LOW | ESR_IL | S1PTW | 0x05, el2Fault(() -> cpu.read64(0x4000_1000L)));
        assertEquals(0x4000_1000L, cpu.sr.far[2]);
        assertEquals(0x9000_0000L >>> 12 << 4, cpu.sr.hpfarEl2); // the IPA of the table, index 1 is in the same page
        // A level 3 table in a read-protected stage 2 page: a permission fault on the walk
        cpu.sr.ttbr0[1] = pt.root;
        long l3 = pt.entry(0x1000L, 3) & ~0xfffL;
        s2.map(0x8000_3000L, l3, 3, S2_RW & ~S2AP_R);
        pt.write(0x1000L, 2, 0x8000_3000L | 3);
        cpu.mmu.tlbi(TlbiOp.VMALLE1, 0, false);
        assertEquals(EC_DABT_LOW | ESR_IL | S1PTW | 0x0f, el2Fault(() -> cpu.read64(0x1000L)));
        assertEquals(0x8000_3000L >>> 12 << 4, cpu.sr.hpfarEl2);
    }

    @Test
    void hcrPtwMakesWalksOfDeviceMemoryFault() {
        PageTables pt = guestMmu();
        pt.map(0x1000L, 0x4000_0000L, 3, S1_NORMAL);
        long l3 = pt.entry(0x1000L, 3) & ~0xfffL;
        s2.map(0x8000_3000L, l3, 3, AF | S2_DEVICE | S2AP_R | S2AP_W);
        pt.write(0x1000L, 2, 0x8000_3000L | 3);
        cpu.mmu.contextChanged();
        cpu.read64(0x1000L); // without PTW, walks may read Device memory
        cpu.sr.hcrEl2 |= SystemRegisters.HCR_PTW;
        cpu.mmu.tlbi(TlbiOp.VMALLS12E1, 0, false);
        assertEquals(EC_DABT_LOW | ESR_IL | S1PTW | 0x0f, el2Fault(() -> cpu.read64(0x1000L)));
    }

    @Test
    void memoryAttributesCombineBothStages() {
        PageTables pt = guestMmu();
        s2.map(0x8000_0000L, RAM + 0x1_0000, 3, AF | S2_DEVICE | S2AP_R | S2AP_W);
        s2.map(0x8000_1000L, RAM + 0x1_0000, 3, AF | 0x5L << 2 | S2AP_R | S2AP_W); // Normal NC
        pt.map(0x1000L, 0x8000_0000L, 3, S1_NORMAL);
        pt.map(0x2000L, 0x8000_1000L, 3, S1_NORMAL);
        pt.map(0x3000L, 0x4000_0000L, 3, AF | attrIndx(1));
        cpu.read64(0x1000L);
        assertEquals(0x00, cpu.mmu.lastAttrs);
        cpu.read64(0x2000L);
        assertEquals(0x44, cpu.mmu.lastAttrs);
        cpu.read64(0x3000L);
        assertEquals(0x00, cpu.mmu.lastAttrs);
    }

    @Test
    void ipas2e1InvalidatesStage2Entries() {
        s2.map(0x8000_0000L, RAM + 0x1_0000, 3, S2_RW);
        bus.write(RAM + 0x1_0000, 8, 1);
        bus.write(RAM + 0x2_0000, 8, 2);
        assertEquals(1, cpu.read64(0x8000_0000L));
        s2.map(0x8000_0000L, RAM + 0x2_0000, 3, S2_RW);
        cpu.mmu.contextChanged();
        assertEquals(1, cpu.read64(0x8000_0000L));
        cpu.mmu.tlbi(TlbiOp.IPAS2E1, 0x8000_1000L >>> 12, false); // another page
        assertEquals(1, cpu.read64(0x8000_0000L));
        cpu.mmu.tlbi(TlbiOp.VMALLE1, 0, false); // stage 1 only
        assertEquals(1, cpu.read64(0x8000_0000L));
        cpu.mmu.tlbi(TlbiOp.IPAS2E1, 0x8000_0000L >>> 12, false);
        assertEquals(2, cpu.read64(0x8000_0000L));
        s2.map(0x8000_0000L, RAM + 0x1_0000, 3, S2_RW);
        cpu.mmu.tlbi(TlbiOp.VMALLS12E1, 0, false);
        assertEquals(1, cpu.read64(0x8000_0000L));
    }

    @Test
    void entriesAreTaggedWithTheVmid() {
        s2.map(0x8000_0000L, RAM + 0x1_0000, 3, S2_RW);
        bus.write(RAM + 0x1_0000, 8, 1);
        bus.write(RAM + 0x2_0000, 8, 2);
        assertEquals(1, cpu.read64(0x8000_0000L));
        s2.map(0x8000_0000L, RAM + 0x2_0000, 3, S2_RW);
        cpu.sr.vttbrEl2 = s2.root | 6L << 48; // another VM, same tables
        cpu.mmu.contextChanged();
        assertEquals(2, cpu.read64(0x8000_0000L));
        cpu.sr.vttbrEl2 = s2.root | 5L << 48;
        cpu.mmu.contextChanged();
        assertEquals(1, cpu.read64(0x8000_0000L)); // VMID 5's entry survived
        cpu.mmu.tlbi(TlbiOp.ALLE1, 0, false);
        assertEquals(2, cpu.read64(0x8000_0000L));
    }

    @Test
    void atInstructionsWithStage2() {
        PageTables pt = guestMmu();
        s2.map(0x8000_0000L, RAM + 0x1_0000, 3, S2_RW & ~S2AP_W);
        pt.map(0x1000L, 0x8000_0000L, 3, S1_NORMAL);
        // S1E1R gives the IPA, S12E1R the PA
        assertEquals(0x8000_0000L | 0xffL << 56 | 3 << 7 | 1 << 9 | 1 << 11, cpu.mmu.at(AtOp.S1E1R, 0x1234L));
        cpu.setElAndSpSel(2, 1);
        assertEquals((RAM + 0x1_0000) | 0xffL << 56 | 3 << 7 | 1 << 9 | 1 << 11, cpu.mmu.at(AtOp.S12E1R, 0x1234L));
        // A stage 2 fault in PAR: S=1
        assertEquals(1 | 0x0f << 1 | 1 << 9 | 1 << 11, cpu.mmu.at(AtOp.S12E1W, 0x1234L));
        // IPA beyond VTCR_EL2.T0SZ: stage 2 translation fault level 0 (as QEMU reports it)
        pt.map(0x6000L, 0x80_0000_0000L, 3, S1_NORMAL);
        assertEquals(0xa09, cpu.mmu.at(AtOp.S12E1R, 0x6000L));
        // A stage 2 fault on the walk, AT at EL2: PTW=1, S=1
        cpu.sr.ttbr0[1] = 0x9000_0000L;
        cpu.mmu.tlbi(TlbiOp.VMALLE1, 0, false);
        assertEquals(1 | 0x06 << 1 | 1 << 8 | 1 << 9 | 1 << 11, cpu.mmu.at(AtOp.S1E1R, 0x1234L));
        // ... and from EL1 it is a stage 2 Data Abort taken to EL2 (CM=1, WnR=1, S1PTW=1)
        cpu.setElAndSpSel(1, 1);
        cpu.insnPc = RAM + 0x40;
        assertEquals(EC_DABT_LOW | ESR_IL | CM | WNR | S1PTW | 0x06, el2Fault(() -> cpu.mmu.at(AtOp.S1E1R, 0x1234L)));
        assertEquals(0x1234L, cpu.sr.far[2]);
        assertEquals(RAM + 0x40, cpu.sr.elr[2]);
    }

    @Test
    void hcrDcTreatsStage1AsOffWithNormalMemory() {
        guestMmu();
        cpu.sr.hcrEl2 = SystemRegisters.HCR_DC | SystemRegisters.HCR_RW; // DC makes VM behave as 1
        cpu.mmu.contextChanged();
        s2.map(0x8000_0000L, RAM + 0x1_0000, 3, S2_RW);
        bus.write(RAM + 0x1_0000, 8, 5);
        assertEquals(5, cpu.read64(0x8000_0000L)); // flat VA = IPA although SCTLR_EL1.M is 1
        assertEquals(0xff, cpu.mmu.lastAttrs);
        // PAR values as QEMU reports them: Normal WB, non-shareable at stage 1, inner shareable with stage 2
        cpu.setElAndSpSel(2, 1);
        assertEquals(RAM + 0x1000 | 0xffL << 56 | 1 << 9 | 1 << 11, cpu.mmu.at(AtOp.S1E1R, RAM + 0x1000));
        assertEquals(RAM + 0x1000 | 0xffL << 56 | 3 << 7 | 1 << 9 | 1 << 11, cpu.mmu.at(AtOp.S12E1R, RAM + 0x1000));
        // Without DC and with the guest MMU off: Device-nGnRnE, Outer Shareable
        cpu.sr.hcrEl2 = SystemRegisters.HCR_VM | SystemRegisters.HCR_RW;
        cpu.sr.sctlr[1] &= ~SystemRegisters.SCTLR_M;
        assertEquals(RAM + 0x1000 | 2 << 7 | 1 << 9 | 1 << 11, cpu.mmu.at(AtOp.S12E1R, RAM + 0x1000));
    }

    @Test
    void invalidStartingLevelIsTranslationFaultLevelZero() {
        cpu.sr.vtcrEl2 = (cpu.sr.vtcrEl2 & ~(3L << 6)) | 3L << 6; // SL0=3 is reserved with 4K pages
        cpu.mmu.contextChanged();
        assertEquals(EC_DABT_LOW | ESR_IL | 0x04, el2Fault(() -> cpu.read64(RAM)));
        cpu.sr.vtcrEl2 = (cpu.sr.vtcrEl2 & ~(3L << 6)) | 2L << 6; // level 0 start: 39-bit IPA needs 1 entry
        cpu.mmu.contextChanged();
        assertEquals(EC_DABT_LOW | ESR_IL | 0x04, el2Fault(() -> cpu.read64(RAM)));
    }

    @Test
    void sixtyFourKStage2Granule() {
        // 64K pages, 42-bit IPA (T0SZ=22), SL0=1: level 2 start with 8 concatenated... 42-29=13 bits: one table
        PageTables s64 = new PageTables(bus, RAM + 0xc0_0000, 16, 42, 2);
        s64.map(0x1_0000_0000L, RAM + 0x3_0000, 3, S2_RW);
        s64.map(0x4000_0000L, 0x4000_0000L, 2, S2_RW); // 512M block
        cpu.sr.vtcrEl2 = 22 | 1L << 6 | 1L << 14 | 5L << 16;
        cpu.sr.vttbrEl2 = s64.root | 7L << 48;
        cpu.mmu.contextChanged();
        bus.write(RAM + 0x3_fff8, 8, 64);
        assertEquals(64, cpu.read64(0x1_0000_fff8L));
        assertEquals(64, cpu.read64(RAM + 0x3_fff8));
        assertEquals(EC_DABT_LOW | ESR_IL | 0x07, el2Fault(() -> cpu.read64(0x1_0001_0000L)));
        assertEquals(0x1_0001_0000L >>> 12 << 4, cpu.sr.hpfarEl2);
    }

    @Test
    void trapGeneralExceptionsDisablesStage1ForEl0() {
        PageTables pt = guestMmu();
        pt.map(0x8000_0000L, RAM, 3, S1_NORMAL | PageTables.AP_RW_ALL);
        s2.map(0x8000_0000L, RAM + 0x1_0000, 3, S2_RW);
        bus.write(RAM + 0x1_0000, 8, 3);
        bus.write(RAM, 8, 4);
        cpu.setElAndSpSel(0, 0);
        assertEquals(4, cpu.read64(0x8000_0000L)); // guest stage 1 applies
        cpu.sr.hcrEl2 |= SystemRegisters.HCR_TGE;
        cpu.mmu.contextChanged();
        assertEquals(3, cpu.read64(0x8000_0000L)); // SCTLR_EL1.M behaves as 0: VA = IPA, then stage 2
    }

    @Test
    void manyBroadcastsBeforeTheOtherProcessorRunsInvalidateEverything() {
        Cpu other = new Cpu(bus);
        other.sr.hcrEl2 = cpu.sr.hcrEl2;
        other.sr.vtcrEl2 = cpu.sr.vtcrEl2;
        other.sr.vttbrEl2 = cpu.sr.vttbrEl2;
        s2.map(0x8000_0000L, RAM + 0x1_0000, 3, S2_RW);
        bus.write(RAM + 0x1_0000, 8, 1);
        bus.write(RAM + 0x2_0000, 8, 2);
        assertEquals(1, other.read64(0x8000_0000L));
        s2.map(0x8000_0000L, RAM + 0x2_0000, 3, S2_RW);
        for (int i = 0; i < 100; i++) cpu.mmu.tlbi(TlbiOp.IPAS2E1, 0x9000_0L + i, true); // other IPAs
        other.mmu.applyRemoteInvalidations();
        assertEquals(2, other.read64(0x8000_0000L)); // the queue overflowed: everything was dropped
    }
}
