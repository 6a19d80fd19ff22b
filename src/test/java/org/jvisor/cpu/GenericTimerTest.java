package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * The generic timer with the instruction-count counter source (one tick per retired instruction), so
 * values are repeatable: TVAL = CVAL - count, ISTATUS = ENABLE and count >= CVAL (Arm ARM D11).
 */
@NeedsCross
class GenericTimerTest {
    private static TestMachine machine(String src) {
        TestMachine m = new TestMachine().load(src);
        m.cpu.timer.setCounterSource(new InstructionClock().counter(m.cpu));
        return m;
    }

    @Test
    void frequencyAndCounters() {
        TestMachine m = machine("""
                mrs x1, cntfrq_el0
                mrs x2, cntpct_el0
                mrs x3, cntvct_el0
                hvc #0
                """);
        m.cpu.sr.cntvoffEl2 = 100;
        m.cpu.instret = 1000;
        m.runToHvc();
        assertEquals(62_500_000L, m.x(1));
        assertEquals(1001, m.x(2), "count when the second instruction executes");
        assertEquals(1002 - 100, m.x(3), "CNTVCT_EL0 = CNTPCT_EL0 - CNTVOFF_EL2");
    }

    @Test
    void tvalCountsDown() {
        TestMachine m = machine("""
                movz x0, #1000
                msr cntp_tval_el0, x0
                .rept 10
                nop
                .endr
                mrs x1, cntp_tval_el0
                mrs x2, cntp_cval_el0
                msr cntv_tval_el0, x0
                mrs x3, cntv_tval_el0
                hvc #0
                """);
        m.runToHvc();
        // written at count 1 (the MSR is the second instruction), read at count 12
        assertEquals(1000 - 11, m.x(1));
        assertEquals(1001, m.x(2));
        assertEquals(999, m.x(3));
    }

    @Test
    void negativeTvalAndIstatus() {
        TestMachine m = machine("""
                movz x0, #5
                msr cntp_tval_el0, x0
                movz x0, #1
                msr cntp_ctl_el0, x0
                mrs x1, cntp_ctl_el0
                .rept 10
                nop
                .endr
                mrs x2, cntp_ctl_el0
                mrs x3, cntp_tval_el0
                movz x0, #3
                msr cntp_ctl_el0, x0
                mrs x4, cntp_ctl_el0
                hvc #0
                """);
        List<Boolean> levels = new ArrayList<>();
        m.cpu.timer.connect(GenericTimer.PHYSICAL, levels::add);
        m.runToHvc();
        assertEquals(1, m.x(1), "enabled, not yet met");
        assertEquals(5, m.x(2), "ENABLE | ISTATUS");
        assertEquals(0xFFFFFFFFL & (6 - 16), m.x(3), "TVAL is negative once CVAL has passed (32 bits)");
        assertEquals(7, m.x(4), "IMASK does not hide ISTATUS");
        // The output went high with ISTATUS, and IMASK dropped it.
        assertEquals(List.of(false, true, false), levels);
        assertFalse(m.cpu.timer.output(GenericTimer.PHYSICAL));
    }

    @Test
    void timerInterruptIsTakenWhenWiredToTheIrqLine() {
        TestMachine m = machine(Vectors.install() + """
                movz x0, #100
                msr cntv_tval_el0, x0
                movz x0, #1
                msr cntv_ctl_el0, x0
                msr daifclr, #2
            loop:
                b loop
                """ + Vectors.table());
        m.cpu.timer.connect(GenericTimer.VIRTUAL, m.cpu::setIrqLine);
        assertEquals(Vectors.CUR_SPX_IRQ, m.runToHvc());
        assertTrue(m.cpu.timer.output(GenericTimer.VIRTUAL));
        assertEquals(GenericTimer.PPI_VIRTUAL, 27);
    }

    @Test
    void deadlines() {
        TestMachine m = machine("hvc #0");
        GenericTimer t = m.cpu.timer;
        assertEquals(Long.MAX_VALUE, t.ticksToDeadline(), "nothing armed");
        t.cval[GenericTimer.PHYSICAL] = t.physicalCount() + 300;
        t.ctl[GenericTimer.PHYSICAL] = 1;
        t.update();
        assertEquals(300, t.ticksToDeadline());
        assertEquals(Long.MAX_VALUE, t.nextDeadlineNanos(), "instruction counts do not advance with host time");
        ((InstructionClock.Counter) t.counterSource()).clock().advanceTo(t.deadline());
        t.poll();
        assertTrue(t.output(GenericTimer.PHYSICAL));
        t.setCounterSource(GenericTimer.HostClock.INSTANCE);
        t.cval[GenericTimer.PHYSICAL] = t.physicalCount() + 62_500_000L * 3600;
        t.update();
        assertNotEquals(Long.MAX_VALUE, t.nextDeadlineNanos());
        assertTrue(t.nextDeadlineNanos() - System.nanoTime() > 3000L * 1_000_000_000L, "an hour away");
    }

    @Test
    void el0AccessIsGatedByCntkctl() {
        TestMachine m = machine(Vectors.install() + Vectors.enterEl0("el0") + """
            el0:
                mrs x1, cntvct_el0
                mrs x2, cntpct_el0
                svc #0
                """ + Vectors.table());
        m.cpu.sr.cntkctlEl1 = SysRegTable.CNTKCTL_EL0VCTEN;
        assertEquals(Vectors.LOWER_SYNC, m.runToHvc());
        assertNotEquals(0, m.x(1));
        assertEquals(Esr.EC_SYS64, m.cpu.sr.esr[1] >>> 26, "EL0PCTEN is 0: CNTPCT_EL0 traps to EL1");
        assertEquals(SysTrapsTest.iss(3, 3, 14, 0, 1, 2, true), m.cpu.sr.esr[1] & 0x1ffffff);
    }

    @Test
    void cntfrqIsWritableOnlyAtEl2() {
        TestMachine m = machine(Vectors.install() + """
                msr cntfrq_el0, xzr
                hvc #0
                """ + Vectors.table());
        assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc());
        assertEquals(Esr.EC_UNKNOWN, m.cpu.sr.esr[1] >>> 26);
    }
}
