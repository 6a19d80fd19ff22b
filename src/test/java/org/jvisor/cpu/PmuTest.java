package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/** PMUv3: event counting from retired instructions, software increment, overflow and its interrupt, access control. */
@NeedsCross
class PmuTest {
    @Test
    void countsInstructionsAndCycles() {
        TestMachine m = new TestMachine().load("""
                movz x0, #0x08
                msr pmevtyper0_el0, x0
                movz x0, #1
                msr pmcr_el0, x0
                movz x0, #0x8000, lsl #16
                movk x0, #1
                msr pmcntenset_el0, x0
                .rept 100
                nop
                .endr
                mrs x1, pmevcntr0_el0
                mrs x2, pmccntr_el0
                mrs x3, pmcr_el0
                mrs x4, pmceid0_el0
                hvc #0
                """);
        m.runToHvc();
        // INST_RETIRED over 100 NOPs; whether the enabling MSR itself is counted is not architected.
        assertTrue(m.x(1) >= 100 && m.x(1) <= 102, "INST_RETIRED " + m.x(1));
        assertTrue(m.x(2) >= 100 && m.x(2) <= 103, "CPU_CYCLES " + m.x(2));
        assertEquals(0x41013001L, m.x(3), "Cortex-A57 PMCR_EL0: IMP 0x41, IDCODE 1, N 6, E");
        assertEquals(0x20101L, m.x(4), "SW_INCR, INST_RETIRED, CPU_CYCLES");
    }

    @Test
    void softwareIncrement() {
        TestMachine m = new TestMachine().load("""
                msr pmevtyper1_el0, xzr
                movz x0, #1
                msr pmcr_el0, x0
                movz x0, #2
                msr pmcntenset_el0, x0
                msr pmswinc_el0, x0
                msr pmswinc_el0, x0
                movz x0, #1
                msr pmswinc_el0, x0
                movz x0, #1
                msr pmselr_el0, x0
                mrs x1, pmxevcntr_el0
                hvc #0
                """);
        m.runToHvc();
        assertEquals(2, m.x(1));
    }

    @Test
    void overflowSetsPmovssetAndRaisesTheInterrupt() {
        TestMachine m = new TestMachine().load("""
                movz x0, #0x08
                msr pmevtyper0_el0, x0
                movn x0, #0xf, lsl #0
                msr pmevcntr0_el0, x0
                movz x0, #1
                msr pmintenset_el1, x0
                msr pmcr_el0, x0
                msr pmcntenset_el0, x0
                .rept 30
                nop
                .endr
                mrs x1, pmovsset_el0
                mrs x2, pmevcntr0_el0
                hvc #0
                """);
        List<Boolean> irq = new ArrayList<>();
        m.cpu.pmu.connect(irq::add);
        m.runToHvc();
        assertEquals(1, m.x(1), "counter 0 overflowed");
        assertTrue(m.x(2) < 30, "the 32-bit counter wrapped: " + m.x(2));
        assertEquals(List.of(false, true), irq);
        assertEquals(Pmu.PPI, 23);
    }

    @Test
    void el0AccessNeedsPmuserenr() {
        TestMachine m = new TestMachine().load(Vectors.install() + """
                movz x0, #1
                msr pmuserenr_el0, x0
                """ + Vectors.enterEl0("el0") + """
            el0:
                mrs x1, pmuserenr_el0
                mrs x2, pmcr_el0
                svc #0
                """ + Vectors.table());
        assertEquals(Vectors.LOWER_SYNC, m.runToHvc());
        assertEquals(Esr.EC_SVC64, m.cpu.sr.esr[1] >>> 26);
        assertEquals(1, m.x(1));
        assertEquals(0x41013000L, m.x(2));

        m = new TestMachine().load(Vectors.install() + Vectors.enterEl0("el0") + """
            el0:
                mrs x1, pmuserenr_el0
                mrs x2, pmccntr_el0
                svc #0
                """ + Vectors.table());
        assertEquals(Vectors.LOWER_SYNC, m.runToHvc());
        assertEquals(Esr.EC_SYS64, m.cpu.sr.esr[1] >>> 26, "PMUSERENR_EL0.EN and CR clear: trapped to EL1");
        assertEquals(SysTrapsTest.iss(3, 3, 9, 13, 0, 2, true), m.cpu.sr.esr[1] & 0x1ffffff);
    }

    @Test
    void hpmnReservesCountersForEl2() {
        TestMachine m = new TestMachine().load(Vectors.install() + """
                mrs x1, pmcr_el0
                movn x0, #0
                msr pmcntenset_el0, x0
                mrs x2, pmcntenset_el0
                mrs x3, pmevcntr3_el0
                hvc #0
                """ + Vectors.table());
        m.cpu.sr.mdcrEl2 = 2;
        assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc());
        assertEquals(2, (m.x(1) >>> 11) & 0x1f, "PMCR_EL0.N reads MDCR_EL2.HPMN below EL2");
        assertEquals(0x80000003L, m.x(2), "counters at or above HPMN are RAZ/WI");
        assertEquals(Esr.EC_UNKNOWN, m.cpu.sr.esr[1] >>> 26, "PMEVCNTR3_EL0 is undefined at EL1");
    }
}
