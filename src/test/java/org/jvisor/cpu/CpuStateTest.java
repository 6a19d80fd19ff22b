package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * A processor saved at many points of a program and restored into a fresh one (RAM copied) finishes it
 * exactly as the same processor does when it just goes on: the same registers, system registers, memory
 * and instruction count. The program keeps everything live at once: an armed timer whose interrupts it
 * takes (the counter counting instructions), the PMU counting, FP registers, LDXR/STXR loops, EL0 code
 * calling EL1 with SVC, and a final WFI loop; the test checks the save points cover each of these.
 */
@NeedsCross
class CpuStateTest {
    private static final long RAM_SIZE = 8 << 20, DATA = TestMachine.RAM_BASE + 0x60_0000L;

    private static final String PROGRAM = """
                adr x0, vectors
                msr vbar_el1, x0
                movz x21, #0x4060, lsl #16
                add x22, x21, #8
                add x1, x21, #0x10000
                msr sp_el0, x1
                mov x1, #(3 << 20)
                msr cpacr_el1, x1
                isb
                fmov d0, #1.0
                fmov d1, #0.5
                mov x1, #8
                msr pmevtyper0_el0, x1
                movz x1, #0x8000, lsl #16
                orr x1, x1, #1
                msr pmcntenset_el0, x1
                mov x1, #1
                msr pmcr_el0, x1
                mov x1, #700
                msr cntp_tval_el0, x1
                mov x1, #1
                msr cntp_ctl_el0, x1
                msr daifclr, #2
                mov x6, #200
            1:  ldxr x1, [x21]
                fadd d0, d0, d1
                add x1, x1, #1
                stxr w2, x1, [x21]
                cbnz w2, 1b
                sub x6, x6, #1
                cbnz x6, 1b
                msr daifset, #2
                adr x1, el0code
                msr elr_el1, x1
                msr spsr_el1, xzr
                eret
            el0code:
                mov x7, #50
            2:  ldxr x1, [x22]
                fadd d2, d2, d0
                add x1, x1, #3
                stxr w2, x1, [x22]
                cbnz w2, 2b
                svc #1
                sub x7, x7, #1
                cbnz x7, 2b
                svc #2
                b .
            final:
            3:  wfi
                cmp x20, #6
                b.lo 3b
                mrs x8, pmevcntr0_el0
                mrs x9, pmccntr_el0
                mrs x10, cntpct_el0
                fmov x11, d0
                fmov x12, d2
                hvc #0

                .balign 2048
            vectors:
                .balign 0x80
                hvc #0x100
                .balign 0x80
                hvc #0x101
                .balign 0x80
                hvc #0x102
                .balign 0x80
                hvc #0x103
                .balign 0x80
                hvc #0x104
                .balign 0x80
                b irq
                .balign 0x80
                hvc #0x106
                .balign 0x80
                hvc #0x107
                .balign 0x80
                b svc
                .balign 0x80
                b irq
            irq:
                add x20, x20, #1
                str x20, [x21, #16]
                cmp x20, #6
                b.hs 4f
                mov x3, #900
                msr cntp_tval_el0, x3
                eret
            4:  msr cntp_ctl_el0, xzr
                eret
            svc:
                mrs x3, esr_el1
                and x3, x3, #0xffff
                add x23, x23, #1
                str x23, [x21, #24]
                cmp x3, #2
                b.eq 5f
                eret
            5:  adr x3, final
                msr elr_el1, x3
                mov x3, #5
                msr spsr_el1, x3
                eret
            """;

    /** More instructions than the program runs: a run that gets there is stuck. */
    private static final long END = 100_000;
    private static final long VECTORS = TestMachine.RAM_BASE + 0x800;

    /** What was live at a save point. */
    enum Live { EL0, EL1, HANDLER, EXCLUSIVE, FP, TIMER_ARMED, IRQ_PENDING, WFI }

    private static TestMachine machine() {
        TestMachine m = new TestMachine(RAM_SIZE);
        m.cpu.timer.setCounterSource(new InstructionClock().counter(m.cpu));
        m.cpu.timer.connect(GenericTimer.PHYSICAL, m.cpu::setIrqLine);
        return m;
    }

    /**
     * Runs until the instruction count reaches {@code until} or the program ends (HVC #0): returns true
     * then. A WFI skips the counter to the timer's deadline, as a VMM counting instructions does; with
     * {@code stopInWfi} the run stops at a WFI instead, before the skip.
     */
    private static boolean drive(TestMachine m, long until, boolean stopInWfi) {
        Cpu c = m.cpu;
        while (c.instret < until) {
            ExitReason r = c.run(until - c.instret);
            switch (r) {
                case BUDGET, STOPPED -> { }
                case WAIT_FOR_INTERRUPT -> {
                    if (stopInWfi) return false;
                    wake(c);
                }
                case EL2_TRAP -> {
                    long esr = c.sr.esr[2];
                    assertEquals(Esr.EC_HVC64, Esr.ec(esr), "exit at 0x" + Long.toHexString(c.sr.elr[2]));
                    assertEquals(0, esr & 0xffff, "an unexpected exception at 0x" + Long.toHexString(c.sr.elr[2]));
                    return true;
                }
                default -> throw new AssertionError("exit " + r);
            }
        }
        return false;
    }

    private static void wake(Cpu c) {
        assertTrue(c.timer.ticksToDeadline() != Long.MAX_VALUE, "WFI with no timer armed");
        clock(c).advanceTo(c.timer.deadline());
        c.timer.poll();
    }

    private static InstructionClock clock(Cpu c) { return ((InstructionClock.Counter) c.timer.counterSource()).clock(); }

    private static byte[] state(Cpu c) {
        StateWriter w = new StateWriter();
        c.saveState(w);
        return w.toByteArray();
    }

    private static TestMachine restored(TestMachine from) {
        byte[] s = state(from.cpu);
        TestMachine m = machine();
        m.bus.writeBytes(TestMachine.RAM_BASE, from.bus.readBytes(TestMachine.RAM_BASE, (int) RAM_SIZE));
        StateReader r = new StateReader(s);
        m.cpu.restoreState(r);
        r.end();
        clock(m.cpu).continueFrom(clock(from.cpu).count()); // the machine's counter, saved apart from its processor
        assertArrayEquals(s, state(m.cpu), "saved again at once, a restored processor writes what it read");
        return m;
    }

    private static Set<Live> live(Cpu c, boolean inWfi) {
        Set<Live> l = EnumSet.noneOf(Live.class);
        l.add(c.currentEl() == 0 ? Live.EL0 : Live.EL1);
        if (c.currentEl() == 1 && c.pc >= VECTORS && c.pc < VECTORS + 0x1000) l.add(Live.HANDLER);
        if (c.exclusiveValid) l.add(Live.EXCLUSIVE);
        if (c.vreg[0] != 0) l.add(Live.FP);
        if (c.timer.ticksToDeadline() != Long.MAX_VALUE) l.add(Live.TIMER_ARMED);
        if (c.irqLine()) l.add(Live.IRQ_PENDING);
        if (inWfi) l.add(Live.WFI);
        return l;
    }

    @Test
    void aRestoredProcessorGoesOnAsTheSavedOneWould() {
        TestMachine whole = machine().load(PROGRAM);
        assertTrue(drive(whole, END, false));
        long total = whole.cpu.instret;
        assertEquals(6, whole.x(20), "timer interrupts taken");
        assertEquals(51, whole.x(23), "SVCs taken");
        assertEquals(200, whole.bus.read(DATA, 8), "EL1's exclusive increments");
        assertEquals(150, whole.bus.read(DATA + 8, 8), "EL0's exclusive increments");

        Set<Live> covered = EnumSet.noneOf(Live.class);
        for (long n = 1; n < total; n += 61) covered.addAll(splitAt(n, Pause.BUDGET));
        // in WFI: stopped where a VMM would sleep, before skipping the counter, and after (the timer's IRQ pending)
        for (long n = total - 40; n < total; n += 13) {
            covered.addAll(splitAt(n, Pause.WFI));
            covered.addAll(splitAt(n, Pause.WFI_WOKEN));
        }
        assertEquals(EnumSet.allOf(Live.class), covered, "the save points cover everything the program keeps live");
    }

    /** Where a run is paused for a save: when its budget runs out, in a WFI, or once woken from it. */
    enum Pause { BUDGET, WFI, WFI_WOKEN }

    /** Runs to {@code n} (or the next WFI), then finishes twice: on this processor, and on a restored copy. */
    private Set<Live> splitAt(long n, Pause pause) {
        TestMachine going = machine().load(PROGRAM);
        boolean ended = drive(going, n, pause != Pause.BUDGET);
        boolean inWfi = !ended && going.cpu.instret < n;
        if (inWfi && pause == Pause.WFI_WOKEN) {
            wake(going.cpu);
            inWfi = false;
        }
        Set<Live> l = live(going.cpu, inWfi);
        TestMachine copy = restored(going);
        if (inWfi) {
            wake(going.cpu);
            wake(copy.cpu);
        }
        if (!ended) {
            assertTrue(drive(going, END, false), "paused at " + n + " " + l + ", pc 0x" + Long.toHexString(going.cpu.pc));
            assertTrue(drive(copy, END, false), "restored at " + n + " " + l + ", pc 0x" + Long.toHexString(copy.cpu.pc));
        }
        // (where a pause falls moves the timer's interrupts by a few instructions: chunks end there)
        assertEquals(6, going.x(20));
        assertEquals(51, going.x(23));
        assertEquals(going.cpu.instret, copy.cpu.instret, "instructions, restored at " + n);
        assertEquals(going.cpu.pc, copy.cpu.pc);
        assertArrayEquals(going.cpu.x, copy.cpu.x, "registers, restored at " + n + " " + l);
        assertArrayEquals(state(going.cpu), state(copy.cpu), "processor state, restored at " + n + " " + l);
        assertArrayEquals(going.bus.readBytes(DATA, 4096), copy.bus.readBytes(DATA, 4096), "memory, restored at " + n);
        return l;
    }

    // ---- a damaged or crafted state -----------------------------------------------------------------

    /** The offset of the one byte in which two states differ. */
    private static int differingByte(byte[] a, byte[] b) {
        assertEquals(a.length, b.length);
        int at = -1;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                assertEquals(-1, at, "the states differ in one byte");
                at = i;
            }
        }
        return at;
    }

    private static StateException restoreFails(byte[] s) {
        return assertThrows(StateException.class, () -> machine().cpu.restoreState(new StateReader(s)));
    }

    @Test
    void anExceptionLevelOfFiveIsRefused() {
        Cpu c = machine().cpu;
        byte[] el1 = state(c);
        c.setElAndSpSel(2, 1);
        int at = differingByte(el1, state(c));
        el1[at] = 5;
        assertEquals("exception level out of range: 5", restoreFails(el1).getMessage());
    }

    @Test
    void aStackPointerSelectionOfNineIsRefused() {
        Cpu c = machine().cpu;
        byte[] spx = state(c);
        c.setElAndSpSel(1, 0);
        byte[] sp0 = state(c);
        int spsel = differingByte(spx, sp0);
        spx[spsel] = 9;
        assertEquals("PSTATE.SP out of range: 9", restoreFails(spx).getMessage());
        c.setElAndSpSel(0, 0);
        byte[] el0 = state(c);
        assertEquals(spsel - 4, differingByte(sp0, el0), "PSTATE.EL comes just before PSTATE.SP");
        el0[spsel] = 1; // EL0 with SP_EL1 selected: no exception return can make it
        assertEquals("PSTATE.SP is 1 at EL0", restoreFails(el0).getMessage());
    }

    @Test
    void aTruncatedStateIsRefused() {
        byte[] s = state(machine().cpu);
        for (int len : new int[] {0, 3, 100, s.length / 2, s.length - 1}) {
            StateException e = restoreFails(java.util.Arrays.copyOf(s, len));
            assertTrue(e.getMessage().contains("ends early") || e.getMessage().contains("expected the state of"), e.getMessage());
        }
    }

    @Test
    void aWrongTagIsRefused() {
        StateWriter w = new StateWriter();
        w.tag("gic").putLong(0);
        assertEquals("expected the state of cpu at byte 0, found gic", restoreFails(w.toByteArray()).getMessage());
        byte[] s = state(machine().cpu);
        int pmu = indexOf(s, "pmu".getBytes());
        s[pmu] = 'q';
        assertTrue(restoreFails(s).getMessage().endsWith("found qmu"));
    }

    @Test
    void aRegisterValueNoWriteCanMakeIsRefused() {
        Cpu c = machine().cpu;
        byte[] a = state(c);
        c.pmu.selr = 1;
        int at = differingByte(a, state(c));
        byte[] b = state(c);
        b[at - 7] = (byte) 0x80; // PMSELR_EL0 negative: it would index the counters out of bounds
        assertTrue(restoreFails(b).getMessage().startsWith("PMSELR_EL0 has bits no write can set"));
    }

    private static int indexOf(byte[] s, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= s.length; i++) {
            for (int j = 0; j < what.length; j++) if (s[i + j] != what[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }
}
