package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/** The host's breakpoints, watchpoints and single step (what a GDB stub uses), and the debugger's translation. */
@NeedsCross
class HostDebugTest {
    private static final long B = TestMachine.RAM_BASE;

    @Test
    void breakpointHaltsBeforeTheInstructionThenRunsThroughIt() {
        TestMachine m = new TestMachine().load("""
                mov x0, #1
                mov x1, #2
                mov x2, #3
                hvc #0
                """);
        m.cpu.hostDebug.addBreakpoint(B + 4);
        assertEquals(ExitReason.DEBUG_HALT, m.run());
        assertEquals(B + 4, m.cpu.pc);
        assertEquals(1, m.x(0));
        assertEquals(0, m.x(1), "the instruction at the breakpoint has not executed");
        assertEquals(new HostDebug.Stop(HostDebug.StopKind.BREAKPOINT, B + 4), m.cpu.hostDebug.stop());
        m.runToHvc(); // resumed at the breakpoint: it runs through it
        assertEquals(3, m.x(2));
        m.cpu.hostDebug.clear();
        assertFalse(m.cpu.debugActive, "nothing set: the fast loop again");
    }

    @Test
    void stepExecutesOneInstructionOrEntersTheExceptionHandler() {
        TestMachine m = new TestMachine().load("""
                adr x0, vectors
                msr vbar_el1, x0
                isb
                mov x1, #7
                svc #0x42
                hvc #1
                .balign 2048
            vectors:
                .skip 0x200
                mov x3, #9
                hvc #0
                """);
        m.cpu.hostDebug.addBreakpoint(B + 12);
        assertEquals(ExitReason.DEBUG_HALT, m.run());
        m.cpu.hostDebug.removeBreakpoint(B + 12);
        m.cpu.hostDebug.setStep(true);
        assertEquals(ExitReason.DEBUG_HALT, m.run());
        assertEquals(B + 16, m.cpu.pc);
        assertEquals(7, m.x(1));
        assertEquals(HostDebug.StopKind.STEP, m.cpu.hostDebug.stop().kind());
        // the SVC: the step ends at the first instruction of its handler (current EL, SPx: VBAR + 0x200)
        m.cpu.hostDebug.setStep(true);
        assertEquals(ExitReason.DEBUG_HALT, m.run());
        assertEquals(B + 0x800 + 0x200, m.cpu.pc);
        assertEquals(1, m.cpu.currentEl());
        assertEquals((long) Esr.EC_SVC64 << 26 | 1L << 25 | 0x42, m.cpu.sr.esr[1]);
        assertEquals(0, m.x(3), "the handler's first instruction has not executed");
        m.cpu.hostDebug.setStep(false);
        assertEquals(0, m.runToHvc());
        assertEquals(9, m.x(3));
    }

    @Test
    void watchpointsHaltBeforeTheAccessOfTheirKindOnly() {
        TestMachine m = new TestMachine().load("""
                movz x2, #0x4010, lsl #16
                mov x1, #0x55
                ldr x3, [x2]
                str w1, [x2, #12]
                ldr x4, [x2, #8]
                hvc #0
                """);
        long var = 0x4010_0008L;
        m.cpu.hostDebug.addWatchpoint(var, 8, HostDebug.WATCH_WRITE);
        m.cpu.hostDebug.addWatchpoint(var, 1, HostDebug.WATCH_READ);
        // the load of [var-8, var) touches neither; the store to var+4 is in the written range
        assertEquals(ExitReason.DEBUG_HALT, m.run());
        assertEquals(B + 12, m.cpu.pc, "stopped at the store, not after it");
        assertEquals(0, m.bus.read(var, 8), "the store has not happened");
        assertEquals(new HostDebug.Stop(HostDebug.StopKind.WATCH_WRITE, var + 4), m.cpu.hostDebug.stop());
        // resumed: the store runs through its watchpoint; the read watchpoint stops the next load
        assertEquals(ExitReason.DEBUG_HALT, m.run());
        assertEquals(B + 16, m.cpu.pc);
        assertEquals(0x55L << 32, m.bus.read(var, 8));
        assertEquals(new HostDebug.Stop(HostDebug.StopKind.WATCH_READ, var), m.cpu.hostDebug.stop());
        m.runToHvc();
        assertEquals(0x55L << 32, m.x(4));
    }

    @Test
    void debugTranslateWalksTheTablesWithoutSideEffects() {
        TestMachine m = new TestMachine().load("hvc #0").normalMemory();
        m.cpu.mmu.faultStatus = 0x77;
        assertEquals(B + 0x12345, m.cpu.mmu.debugTranslate(B + 0x12345, 1));
        assertEquals(0x0900_0000L, m.cpu.mmu.debugTranslate(0x0900_0000L, 0));
        assertEquals(Mmu.FAULT, m.cpu.mmu.debugTranslate(0x1_0000_0000L, 1), "no descriptor for the 4th GiB");
        assertEquals(Mmu.FAULT, m.cpu.mmu.debugTranslate(1L << 40, 1), "beyond T0SZ's 39 bits");
        assertEquals(Mmu.FAULT, m.cpu.mmu.debugTranslate(0xffff_0000_0000_0000L, 1), "TTBR1 walks disabled (EPD1)");
        assertEquals(0x77, m.cpu.mmu.faultStatus, "no fault state written");
        // descriptors from another reader (a VMM reads guest RAM by IPA): an identity block at level 1
        long ttbr = m.cpu.sr.ttbr0[1];
        long pa = m.cpu.mmu.debugTranslate(0x4000_1000L, 1, a -> a == ttbr + 8 ? 0x8000_0000L | 0x701 : m.bus.read(a, 8));
        assertEquals(0x8000_1000L, pa);
        // MMU off: flat
        m.cpu.sr.sctlr[1] &= ~SystemRegisters.SCTLR_M;
        assertEquals(0x1234L, m.cpu.mmu.debugTranslate(0x1234L, 1));
        assertTrue(m.cpu.mmu.debugTranslate(1L << 50, 1) == Mmu.FAULT, "beyond the PA size");
    }
}
