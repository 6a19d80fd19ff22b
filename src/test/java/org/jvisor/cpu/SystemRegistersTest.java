package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/** MRS/MSR behaviour: round trips, RES0/RES1 bits, read-only registers, EL0 access, PSTATE fields. */
@NeedsCross
class SystemRegistersTest {
    private static long esrEc(long esr) { return esr >>> 26; }

    @Test
    void roundTripsThroughReadWriteRegisters() {
        TestMachine m = new TestMachine().load("""
                movz x0, #0x1234
                movk x0, #0xabcd, lsl #48
                msr tpidr_el1, x0
                mrs x1, tpidr_el1
                msr tpidr_el0, x0
                mrs x2, tpidr_el0
                msr tpidrro_el0, x0
                mrs x3, tpidrro_el0
                msr mair_el1, x0
                mrs x4, mair_el1
                msr far_el1, x0
                mrs x5, far_el1
                msr contextidr_el1, x0
                mrs x6, contextidr_el1
                hvc #0
                """);
        assertEquals(0, m.runToHvc());
        long v = 0xabcd000000001234L;
        for (int i = 1; i <= 5; i++) assertEquals(v, m.x(i), "x" + i);
        assertEquals(0x1234, m.x(6), "CONTEXTIDR_EL1 is 32 bits");
    }

    @Test
    void writesRespectRes0AndRes1() {
        TestMachine m = new TestMachine().load("""
                msr sctlr_el1, xzr
                mrs x1, sctlr_el1
                movn x0, #0
                msr vbar_el1, x0
                mrs x2, vbar_el1
                msr tcr_el1, x0
                mrs x3, tcr_el1
                msr spsel, xzr
                mrs x4, spsel
                msr spsel, x0
                mrs x5, spsel
                msr esr_el1, x0
                mrs x6, esr_el1
                hvc #0
                """);
        m.runToHvc();
        // SCTLR_EL1 RES1 bits 29, 28, 23 (SPAN: no PAN), 22, 20, 11 (Arm ARM, ARMv8.0)
        assertEquals(0x30D00800L, m.x(1));
        assertEquals(0xFFFFFFFFFFFFF800L, m.x(2), "VBAR_EL1[10:0] are RES0");
        assertEquals(0x00000077FFFFFFBFL, m.x(3), "TCR_EL1 v8.0 fields");
        assertEquals(0, m.x(4));
        assertEquals(1, m.x(5));
        assertEquals(0xFFFFFFFFL, m.x(6), "ESR_EL1[63:32] are RES0");
    }

    @Test
    void pstateRegisters() {
        TestMachine m = new TestMachine().load("""
                mrs x1, currentel
                mrs x2, daif
                msr daifclr, #0xf
                mrs x3, daif
                msr daifset, #0x5
                mrs x4, daif
                movz x0, #0x6000, lsl #16
                msr nzcv, x0
                mrs x5, nzcv
                hvc #0
                """);
        m.runToHvc();
        assertEquals(1 << 2, m.x(1), "CurrentEL at EL1");
        assertEquals(0x3c0, m.x(2), "masked at reset");
        assertEquals(0, m.x(3));
        assertEquals(0x140, m.x(4), "D and I");
        assertEquals(0x60000000L, m.x(5));
        assertEquals(true, m.cpu.z && m.cpu.c && !m.cpu.n && !m.cpu.v);
    }

    @Test
    void writingAReadOnlyRegisterIsUndefined() {
        TestMachine m = new TestMachine().load(Vectors.install() + """
                movz x0, #1
                msr midr_el1, x0
                hvc #0
                """ + Vectors.table());
        // MSR to an ID register is an unallocated encoding: Undefined Instruction at EL1.
        assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc());
        assertEquals(Esr.EC_UNKNOWN, esrEc(m.cpu.sr.esr[1]));
    }

    @Test
    void el2RegistersAreUndefinedAtEl1() {
        TestMachine m = new TestMachine().load(Vectors.install() + """
                mrs x0, hcr_el2
                hvc #0
                """ + Vectors.table());
        assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc());
        assertEquals(Esr.EC_UNKNOWN, esrEc(m.cpu.sr.esr[1]));
    }

    @Test
    void unallocatedEncodingIsUndefined() {
        TestMachine m = new TestMachine().load(Vectors.install() + """
                mrs x0, s3_0_c11_c0_0
                hvc #0
                """ + Vectors.table());
        assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc());
        assertEquals(Esr.EC_UNKNOWN, esrEc(m.cpu.sr.esr[1]));
    }

    @Test
    void implementationDefinedSpaceTrapsWithTidcp() {
        TestMachine m = new TestMachine().load("""
                mrs x7, s3_1_c15_c2_1
                hvc #0
                """);
        m.cpu.sr.hcrEl2 |= SystemRegisters.HCR_TIDCP;
        assertEquals(ExitReason.EL2_TRAP, m.run());
        long esr = m.cpu.sr.esr[2];
        assertEquals(Esr.EC_SYS64, esrEc(esr));
        // Op0 3, Op2 1, Op1 1, CRn 15, Rt 7, CRm 2, read
        assertEquals((3 << 20) | (1 << 17) | (1 << 14) | (15 << 10) | (7 << 5) | (2 << 1) | 1, esr & 0x1ffffff);
    }

    @Test
    void idRegistersAdvertiseTheImplementedProfile() {
        TestMachine m = new TestMachine().load("""
                mrs x1, id_aa64pfr0_el1
                mrs x2, id_aa64dfr0_el1
                mrs x3, id_aa64isar0_el1
                mrs x4, id_aa64mmfr0_el1
                mrs x5, id_pfr0_el1
                mrs x6, s3_0_c0_c7_7
                mrs x7, ctr_el0
                mrs x8, dczid_el0
                mrs x9, clidr_el1
                msr csselr_el1, xzr
                mrs x10, ccsidr_el1
                movz x0, #1
                msr csselr_el1, x0
                mrs x11, ccsidr_el1
                mrs x12, midr_el1
                mrs x13, mpidr_el1
                hvc #0
                """);
        m.runToHvc();
        assertEquals(0x111L, m.x(1), "EL0-2 AArch64 only, no EL3, FP and AdvSIMD without FP16");
        assertEquals(0x10305106L, m.x(2), "QEMU cortex-a57 ID_AA64DFR0_EL1");
        assertEquals(0x11120L, m.x(3), "CRC32, AES with PMULL, SHA1, SHA2 (QEMU cortex-a57)");
        assertEquals(0x24L, m.x(4) & 0xff, "44-bit PA (the Cortex-A57 TRM's PARange, as QEMU's cortex-a57), 16-bit ASID");
        assertEquals(m.cpu.features.idAa64Mmfr0(), m.x(4), "granules as the MMU implements them");
        assertEquals(0, m.x(5), "AArch32 ID registers read as zero");
        assertEquals(0, m.x(6), "unallocated ID space is RAZ");
        assertEquals(0x8444C004L, m.x(7), "Cortex-A57 CTR_EL0");
        assertEquals(4, m.x(8), "64-byte DC ZVA blocks");
        assertEquals(0x0A200023L, m.x(9));
        assertEquals(0x701FE00AL, m.x(10));
        assertEquals(0x201FE012L, m.x(11));
        assertEquals(0x411FD070L, m.x(12));
        assertEquals(0x80000000L, m.x(13));
    }

    @Test
    void el1SeesVpidrAndVmpidr() {
        TestMachine m = new TestMachine().load("""
                mrs x1, midr_el1
                mrs x2, mpidr_el1
                hvc #0
                """);
        m.cpu.sr.vpidrEl2 = 0x410FD034L;
        m.cpu.sr.vmpidrEl2 = 0x80000103L;
        m.runToHvc();
        assertEquals(0x410FD034L, m.x(1));
        assertEquals(0x80000103L, m.x(2));
    }

    @Test
    void el0ReadsItsRegistersAndIsTrappedFromOthers() {
        TestMachine m = new TestMachine().load(Vectors.install() + """
                movz x0, #0x77
                msr tpidrro_el0, x0
                """ + Vectors.enterEl0("el0") + """
            el0:
                mrs x1, tpidrro_el0
                mrs x2, dczid_el0
                mrs x3, nzcv
                mrs x4, ctr_el0
                svc #0
                """ + Vectors.table());
        // SCTLR_EL1.UCT is 0 at reset: CTR_EL0 from EL0 traps to EL1 with EC 0x18.
        assertEquals(Vectors.LOWER_SYNC, m.runToHvc());
        assertEquals(0x77, m.x(1));
        assertEquals(0x14, m.x(2), "DZP set: SCTLR_EL1.DZE is 0");
        long esr = m.cpu.sr.esr[1];
        assertEquals(Esr.EC_SYS64, esrEc(esr));
        assertEquals((3 << 20) | (1 << 17) | (3 << 14) | (0 << 10) | (4 << 5) | (0 << 1) | 1, esr & 0x1ffffff);
    }

    @Test
    void el0AccessAllowedByUctAndUma() {
        TestMachine m = new TestMachine().load(Vectors.install() + """
                movz x0, #0x8a00
                movk x0, #0x30d0, lsl #16
                msr sctlr_el1, x0
                """ + Vectors.enterEl0("el0") + """
            el0:
                mrs x4, ctr_el0
                msr daifset, #2
                mrs x5, daif
                svc #0
                """ + Vectors.table());
        assertEquals(Vectors.LOWER_SYNC, m.runToHvc());
        assertEquals(Esr.EC_SVC64, esrEc(m.cpu.sr.esr[1]));
        assertEquals(0x8444C004L, m.x(4));
        assertEquals(0x80, m.x(5));
    }

    @Test
    void el0DaifWithoutUmaTraps() {
        TestMachine m = new TestMachine().load(Vectors.install() + Vectors.enterEl0("el0") + """
            el0:
                msr daifclr, #2
                svc #0
                """ + Vectors.table());
        assertEquals(Vectors.LOWER_SYNC, m.runToHvc());
        long esr = m.cpu.sr.esr[1];
        assertEquals(Esr.EC_SYS64, esrEc(esr));
        // MSR DAIFClr: Op0 0, Op2 7, Op1 3, CRn 4, Rt 31, CRm 2, write
        assertEquals((7 << 17) | (3 << 14) | (4 << 10) | (31 << 5) | (2 << 1), esr & 0x1ffffff);
    }

    @Test
    void el1RegistersAreUndefinedAtEl0() {
        TestMachine m = new TestMachine().load(Vectors.install() + Vectors.enterEl0("el0") + """
            el0:
                mrs x0, sctlr_el1
                svc #0
                """ + Vectors.table());
        assertEquals(Vectors.LOWER_SYNC, m.runToHvc());
        assertEquals(Esr.EC_UNKNOWN, esrEc(m.cpu.sr.esr[1]));
    }

    @Test
    void spEl0IsUndefinedWhileItIsTheCurrentStackPointer() {
        TestMachine m = new TestMachine().load(Vectors.install() + """
                movz x0, #0x1000
                msr sp_el0, x0
                mrs x1, sp_el0
                msr spsel, xzr
                mrs x2, sp_el0
                hvc #0
                """ + Vectors.table());
        // Undefined at EL1 with SP_EL0 selected: vector "current EL with SP_EL0", synchronous (entry 0).
        assertEquals(0x100, m.runToHvc());
        assertEquals(0x1000, m.x(1));
        assertEquals(Esr.EC_UNKNOWN, esrEc(m.cpu.sr.esr[1]));
    }

    @Test
    void debugCommunicationsChannelIsIdle() {
        TestMachine m = new TestMachine().load("""
                movz x0, #0x41
                msr dbgdtrtx_el0, x0
                mrs x1, mdccsr_el0
                mrs x2, dbgdtrrx_el0
                hvc #0
                """);
        m.runToHvc();
        assertEquals(0, m.x(1), "TXfull and RXfull clear");
        assertEquals(0, m.x(2));
    }

    @Test
    void panWhenImplemented() {
        Features f = Features.cortexA57();
        f.pan = true;
        TestMachine m = new TestMachine(f).load("""
                msr pan, #1
                mrs x1, pan
                msr pan, #0
                mrs x2, pan
                movz x0, #0x40, lsl #16
                msr pan, x0
                mrs x3, pan
                mrs x4, id_aa64mmfr1_el1
                msr sctlr_el1, xzr
                mrs x5, sctlr_el1
                hvc #0
                """);
        m.runToHvc();
        assertEquals(1L << 22, m.x(1));
        assertEquals(0, m.x(2));
        assertEquals(1L << 22, m.x(3));
        assertEquals(1, (m.x(4) >>> 20) & 0xf, "ID_AA64MMFR1_EL1.PAN");
        assertEquals(0x30500800L, m.x(5), "SCTLR_EL1.SPAN is writable with PAN");
        assertEquals(true, m.cpu.pan);
    }

    @Test
    void panIsUndefinedWithoutTheFeature() {
        TestMachine m = new TestMachine().load(Vectors.install() + """
                msr pan, #1
                hvc #0
                """ + Vectors.table());
        assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc());
        assertEquals(Esr.EC_UNKNOWN, esrEc(m.cpu.sr.esr[1]));
        m = new TestMachine().load(Vectors.install() + """
                mrs x0, pan
                hvc #0
                """ + Vectors.table());
        assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc());
    }

    @Test
    void implementationDefinedSpaceFromEl0TrapsWithTidcp() {
        TestMachine m = new TestMachine().load(Vectors.install() + Vectors.enterEl0("el0") + """
            el0:
                msr s3_0_c15_c0_0, x3
                svc #0
                """ + Vectors.table());
        assertEquals(Vectors.LOWER_SYNC, m.runToHvc(), "undefined without TIDCP");
        assertEquals(Esr.EC_UNKNOWN, esrEc(m.cpu.sr.esr[1]));
        m = new TestMachine().load(Vectors.install() + Vectors.enterEl0("el0") + """
            el0:
                msr s3_0_c15_c0_0, x3
                svc #0
                """ + Vectors.table());
        m.cpu.sr.hcrEl2 |= SystemRegisters.HCR_TIDCP;
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(Esr.EC_SYS64, esrEc(m.cpu.sr.esr[2]));
        assertEquals((3 << 20) | (15 << 10) | (3 << 5), m.cpu.sr.esr[2] & 0x1ffffff);
    }
}
