package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * The EL2 trap controls of HCR_EL2, MDCR_EL2, CPTR_EL2 and CNTHCTL_EL2 (Arm ARM D13, "traps to EL2"):
 * a trapped access from EL1 ends the run with ESR_EL2 EC 0x18 and the ISS describing the access.
 */
@NeedsCross
class SysTrapsTest {
    /** ISS of EC 0x18. */
    static int iss(int op0, int op1, int crn, int crm, int op2, int rt, boolean read) {
        return (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | (read ? 1 : 0);
    }

    /** Runs {@code insn} at EL1 with x1 pointing into RAM after {@code setup}; returns ESR_EL2 or -1 if not trapped. */
    private static long run(String insn, Consumer<Cpu> setup) {
        TestMachine m = new TestMachine().load("""
                movz x1, #0x4000, lsl #16
                movk x1, #0x8000
                """ + insn + "\n hvc #0x77\n");
        setup.accept(m.cpu);
        assertEquals(ExitReason.EL2_TRAP, m.run());
        long esr = m.cpu.sr.esr[2];
        if ((esr >>> 26) == Esr.EC_HVC64 && (esr & 0xffff) == 0x77) return -1;
        assertEquals(TestMachine.RAM_BASE + 8, m.cpu.sr.elr[2], "ELR_EL2 is the trapped instruction");
        return esr;
    }

    private static void assertTrap(String insn, long hcr, int expectedIss) {
        long esr = run(insn, c -> c.sr.hcrEl2 |= hcr);
        assertEquals(Esr.EC_SYS64, esr >>> 26, insn);
        assertEquals(expectedIss, esr & 0x1ffffff, insn);
        assertEquals(-1, run(insn, c -> { }), insn + " without the trap bit");
    }

    @Test
    void tvmTrapsWritesOfVirtualMemoryControls() {
        long tvm = SystemRegisters.HCR_TVM;
        assertTrap("msr sctlr_el1, x1", tvm, iss(3, 0, 1, 0, 0, 1, false));
        assertTrap("msr ttbr0_el1, x1", tvm, iss(3, 0, 2, 0, 0, 1, false));
        assertTrap("msr ttbr1_el1, x1", tvm, iss(3, 0, 2, 0, 1, 1, false));
        assertTrap("msr tcr_el1, x1", tvm, iss(3, 0, 2, 0, 2, 1, false));
        assertTrap("msr esr_el1, x1", tvm, iss(3, 0, 5, 2, 0, 1, false));
        assertTrap("msr far_el1, x1", tvm, iss(3, 0, 6, 0, 0, 1, false));
        assertTrap("msr afsr0_el1, x1", tvm, iss(3, 0, 5, 1, 0, 1, false));
        assertTrap("msr afsr1_el1, x1", tvm, iss(3, 0, 5, 1, 1, 1, false));
        assertTrap("msr mair_el1, x1", tvm, iss(3, 0, 10, 2, 0, 1, false));
        assertTrap("msr amair_el1, x1", tvm, iss(3, 0, 10, 3, 0, 1, false));
        assertTrap("msr contextidr_el1, x1", tvm, iss(3, 0, 13, 0, 1, 1, false));
        assertEquals(-1, run("mrs x2, sctlr_el1", c -> c.sr.hcrEl2 |= tvm), "TVM does not trap reads");
        assertEquals(-1, run("msr vbar_el1, x1", c -> c.sr.hcrEl2 |= tvm), "VBAR_EL1 is not a TVM register");
    }

    @Test
    void trvmTrapsReads() {
        long trvm = SystemRegisters.HCR_TRVM;
        assertTrap("mrs x2, sctlr_el1", trvm, iss(3, 0, 1, 0, 0, 2, true));
        assertTrap("mrs x3, tcr_el1", trvm, iss(3, 0, 2, 0, 2, 3, true));
        assertTrap("mrs x4, contextidr_el1", trvm, iss(3, 0, 13, 0, 1, 4, true));
        assertEquals(-1, run("msr sctlr_el1, x1", c -> c.sr.hcrEl2 |= trvm), "TRVM does not trap writes");
    }

    @Test
    void tidTrapsIdentificationRegisters() {
        assertTrap("mrs x2, revidr_el1", SystemRegisters.HCR_TID1, iss(3, 0, 0, 0, 6, 2, true));
        assertTrap("mrs x2, aidr_el1", SystemRegisters.HCR_TID1, iss(3, 1, 0, 0, 7, 2, true));
        assertTrap("mrs x2, ctr_el0", SystemRegisters.HCR_TID2, iss(3, 3, 0, 0, 1, 2, true));
        assertTrap("mrs x2, ccsidr_el1", SystemRegisters.HCR_TID2, iss(3, 1, 0, 0, 0, 2, true));
        assertTrap("mrs x2, clidr_el1", SystemRegisters.HCR_TID2, iss(3, 1, 0, 0, 1, 2, true));
        assertTrap("msr csselr_el1, x1", SystemRegisters.HCR_TID2, iss(3, 2, 0, 0, 0, 1, false));
        assertTrap("mrs x2, id_aa64pfr0_el1", SystemRegisters.HCR_TID3, iss(3, 0, 0, 4, 0, 2, true));
        assertTrap("mrs x2, id_pfr0_el1", SystemRegisters.HCR_TID3, iss(3, 0, 0, 1, 0, 2, true));
        assertTrap("mrs x2, s3_0_c0_c7_7", SystemRegisters.HCR_TID3, iss(3, 0, 0, 7, 7, 2, true));
        assertEquals(-1, run("mrs x2, midr_el1", c -> c.sr.hcrEl2 |= SystemRegisters.HCR_TID1 | SystemRegisters.HCR_TID3));
    }

    @Test
    void tacrTrapsActlr() {
        assertTrap("mrs x2, actlr_el1", SystemRegisters.HCR_TACR, iss(3, 0, 1, 0, 1, 2, true));
        assertTrap("msr actlr_el1, x1", SystemRegisters.HCR_TACR, iss(3, 0, 1, 0, 1, 1, false));
    }

    @Test
    void cacheMaintenanceTraps() {
        assertTrap("dc isw, x1", SystemRegisters.HCR_TSW, iss(1, 0, 7, 6, 2, 1, false));
        assertTrap("dc csw, x1", SystemRegisters.HCR_TSW, iss(1, 0, 7, 10, 2, 1, false));
        assertTrap("dc cisw, x1", SystemRegisters.HCR_TSW, iss(1, 0, 7, 14, 2, 1, false));
        assertTrap("dc civac, x1", SystemRegisters.HCR_TPCP, iss(1, 3, 7, 14, 1, 1, false));
        assertTrap("dc cvac, x1", SystemRegisters.HCR_TPCP, iss(1, 3, 7, 10, 1, 1, false));
        assertTrap("dc ivac, x1", SystemRegisters.HCR_TPCP, iss(1, 0, 7, 6, 1, 1, false));
        assertTrap("dc cvau, x1", SystemRegisters.HCR_TPU, iss(1, 3, 7, 11, 1, 1, false));
        assertTrap("ic ivau, x1", SystemRegisters.HCR_TPU, iss(1, 3, 7, 5, 1, 1, false));
        assertTrap("ic iallu", SystemRegisters.HCR_TPU, iss(1, 0, 7, 5, 0, 31, false));
        assertTrap("ic ialluis", SystemRegisters.HCR_TPU, iss(1, 0, 7, 1, 0, 31, false));
        long esr = run("dc zva, x1", c -> c.sr.hcrEl2 |= SystemRegisters.HCR_TDZ);
        assertEquals(iss(1, 3, 7, 4, 1, 1, false), esr & 0x1ffffff);
    }

    @Test
    void ttlbTrapsTlbMaintenance() {
        assertTrap("tlbi vmalle1", SystemRegisters.HCR_TTLB, iss(1, 0, 8, 7, 0, 31, false));
        assertTrap("tlbi vmalle1is", SystemRegisters.HCR_TTLB, iss(1, 0, 8, 3, 0, 31, false));
        assertTrap("tlbi vae1, x1", SystemRegisters.HCR_TTLB, iss(1, 0, 8, 7, 1, 1, false));
        assertTrap("tlbi aside1is, x1", SystemRegisters.HCR_TTLB, iss(1, 0, 8, 3, 2, 1, false));
        assertTrap("tlbi vaale1, x1", SystemRegisters.HCR_TTLB, iss(1, 0, 8, 7, 7, 1, false));
    }

    @Test
    void el2OnlyOperationsAreUndefinedAtEl1() {
        TestMachine m = new TestMachine().load(Vectors.install() + """
                tlbi alle2
                hvc #0
                """ + Vectors.table());
        assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc());
        assertEquals(Esr.EC_UNKNOWN, m.cpu.sr.esr[1] >>> 26);
        m = new TestMachine().load(Vectors.install() + """
                at s12e1r, x1
                hvc #0
                """ + Vectors.table());
        assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc());
    }

    @Test
    void mdcrTrapsDebugAndPerformanceMonitors() {
        long mdcrTda = SysRegTable.MDCR_TDA, tdosa = SysRegTable.MDCR_TDOSA, tdra = SysRegTable.MDCR_TDRA;
        long esr = run("mrs x2, mdscr_el1", c -> c.sr.mdcrEl2 |= mdcrTda);
        assertEquals(iss(2, 0, 0, 2, 2, 2, true), esr & 0x1ffffff);
        esr = run("msr dbgbvr3_el1, x1", c -> c.sr.mdcrEl2 |= mdcrTda);
        assertEquals(iss(2, 0, 0, 3, 4, 1, false), esr & 0x1ffffff);
        esr = run("mrs x2, oslsr_el1", c -> c.sr.mdcrEl2 |= tdosa);
        assertEquals(iss(2, 0, 1, 1, 4, 2, true), esr & 0x1ffffff);
        assertEquals(-1, run("mrs x2, oslsr_el1", c -> c.sr.mdcrEl2 |= mdcrTda), "OS lock registers are TDOSA's");
        esr = run("mrs x2, mdrar_el1", c -> c.sr.mdcrEl2 |= tdra);
        assertEquals(iss(2, 0, 1, 0, 0, 2, true), esr & 0x1ffffff);
        esr = run("mrs x2, mdscr_el1", c -> c.sr.mdcrEl2 |= SysRegTable.MDCR_TDE);
        assertEquals(Esr.EC_SYS64, esr >>> 26, "TDE implies TDA");
        esr = run("mrs x2, pmccntr_el0", c -> c.sr.mdcrEl2 |= SysRegTable.MDCR_TPM);
        assertEquals(iss(3, 3, 9, 13, 0, 2, true), esr & 0x1ffffff);
        esr = run("msr pmcr_el0, x1", c -> c.sr.mdcrEl2 |= SysRegTable.MDCR_TPMCR);
        assertEquals(iss(3, 3, 9, 12, 0, 1, false), esr & 0x1ffffff);
        assertEquals(-1, run("mrs x2, pmccntr_el0", c -> c.sr.mdcrEl2 |= SysRegTable.MDCR_TPMCR), "TPMCR is PMCR only");
    }

    @Test
    void cptrTcpacTrapsCpacr() {
        long esr = run("mrs x2, cpacr_el1", c -> c.sr.cptrEl2 |= SysRegTable.CPTR_TCPAC);
        assertEquals(iss(3, 0, 1, 0, 2, 2, true), esr & 0x1ffffff);
    }

    @Test
    void cnthctlTrapsPhysicalCounterAndTimer() {
        long esr = run("mrs x2, cntpct_el0", c -> c.sr.cnthctlEl2 = SysRegTable.CNTHCTL_EL1PCEN);
        assertEquals(iss(3, 3, 14, 0, 1, 2, true), esr & 0x1ffffff);
        esr = run("msr cntp_ctl_el0, x1", c -> c.sr.cnthctlEl2 = SysRegTable.CNTHCTL_EL1PCTEN);
        assertEquals(iss(3, 3, 14, 2, 1, 1, false), esr & 0x1ffffff);
        assertEquals(-1, run("mrs x2, cntvct_el0", c -> c.sr.cnthctlEl2 = 0), "the virtual counter is not trapped");
        assertEquals(-1, run("msr cntv_ctl_el0, xzr", c -> c.sr.cnthctlEl2 = 0));
    }

    @Test
    void tscTrapsSmc() {
        long esr = run("smc #0x12", c -> c.sr.hcrEl2 |= SystemRegisters.HCR_TSC);
        assertEquals(Esr.EC_SMC64, esr >>> 26);
        assertEquals(0x12, esr & 0xffff);
    }

    @Test
    void el0TrapsGoToEl2UnderTge() {
        TestMachine m = new TestMachine().load(Vectors.install() + Vectors.enterEl0("el0") + """
            el0:
                mrs x4, ctr_el0
                svc #0
                """ + Vectors.table());
        // Enter EL0 first (ERET to EL0 is legal with TGE), then turn TGE on: the UCT trap goes to EL2.
        m.cpu.sr.hcrEl2 |= SystemRegisters.HCR_TGE;
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(Esr.EC_SYS64, m.cpu.sr.esr[2] >>> 26);
        assertEquals(iss(3, 3, 0, 0, 1, 4, true), m.cpu.sr.esr[2] & 0x1ffffff);
    }
}
