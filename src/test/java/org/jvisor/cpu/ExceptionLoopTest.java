package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * {@link ExceptionLoopWatch}: a processor that takes the same exception over and over without progress
 * ends its run with {@link ExitReason#EXCEPTION_LOOP}; one whose handlers do their work does not. The
 * expected syndromes, vectors and return addresses are the Arm ARM's (DDI 0487, D1.10: an UNDEFINED
 * word is EC 0x00 with ELR the word's address; synchronous exceptions from the current EL with SP_ELx
 * use VBAR_ELx + 0x200; an external abort on an instruction fetch is EC 0x21 with IFSC 0x10).
 */
@NeedsCross
class ExceptionLoopTest {
    static final long RAM = TestMachine.RAM_BASE;
    /** Zero-filled RAM: every vector entry is UDF #0. */
    static final long ZERO_VECTORS = RAM + 0x10000;

    private static TestMachine machine(String source) {
        TestMachine m = new TestMachine().load(source);
        m.cpu.sr.vbar[1] = ZERO_VECTORS;
        return m;
    }

    /** A UDF at the vector itself: taken to the same vector forever, not one instruction retired. */
    @Test
    void undefinedVectorIsALoop() {
        TestMachine m = machine("udf #0");
        long start = System.nanoTime();
        assertEquals(ExitReason.EXCEPTION_LOOP, m.cpu.run(Long.MAX_VALUE));
        double ms = (System.nanoTime() - start) / 1e6;
        ExceptionLoopWatch.ExceptionLoop l = m.cpu.exceptionLoop();
        assertEquals(1, l.el());
        assertEquals(ZERO_VECTORS + 0x200, l.preferredReturn());
        assertEquals(ZERO_VECTORS + 0x200, l.vector());
        assertEquals(0x200, l.vectorOffset());
        assertEquals(Esr.EC_UNKNOWN, l.ec());
        assertEquals(1L << 25, l.esr(), "EC 0, IL 1, ISS 0");
        assertEquals(ExceptionLoopWatch.REPEATS, l.repeats());
        assertEquals(0, m.cpu.instret, "nothing retired");
        System.out.printf("in-processor exception loop recognised after %.1f ms%n", ms);
        // A caller that runs the processor again lets the loop go on, and hears of it again.
        assertEquals(ExitReason.EXCEPTION_LOOP, m.cpu.run(Long.MAX_VALUE));
        // A budget smaller than the repeats still ends the run with BUDGET.
        assertEquals(ExitReason.BUDGET, m.cpu.run(1000));
    }

    /** A vector outside RAM: the fetch is an external abort taken to the same vector (no EL2 in the way here). */
    @Test
    void vectorOutsideRamIsALoop() {
        TestMachine m = new TestMachine().load("udf #0");
        m.cpu.sr.vbar[1] = 0; // reset value: nothing at 0x200 on this bus
        assertEquals(ExitReason.EXCEPTION_LOOP, m.cpu.run(Long.MAX_VALUE));
        ExceptionLoopWatch.ExceptionLoop l = m.cpu.exceptionLoop();
        assertEquals(0x200, l.preferredReturn());
        assertEquals(0x200, l.vector());
        assertEquals(Esr.EC_IABT_CUR, l.ec());
        assertEquals(0x10, l.esr() & 0x3f, "IFSC: synchronous external abort");
    }

    /** A vector that branches to a place that faults back: one instruction in the vector, the fault outside. */
    @Test
    void vectorBranchingToAFaultIsALoop() {
        TestMachine m = new TestMachine().load("""
                udf #1
                .org 0x800 + 0x200
                b bad
                .org 0x1000
            bad:
                udf #2
                """);
        m.cpu.sr.vbar[1] = RAM + 0x800;
        assertEquals(ExitReason.EXCEPTION_LOOP, m.cpu.run(Long.MAX_VALUE));
        ExceptionLoopWatch.ExceptionLoop l = m.cpu.exceptionLoop();
        assertEquals(RAM + 0x1000, l.preferredReturn());
        assertEquals(RAM + 0xa00, l.vector());
        assertEquals(Esr.EC_UNKNOWN, l.ec());
    }

    /**
     * 300,000 SVCs at one PC, the handler counting in memory and returning with ERET: the registers are
     * the same at every SVC and few instructions run in between, but the ERET is progress.
     */
    @Test
    void svcsAtOnePcWithEretAreNoLoop() {
        TestMachine m = new TestMachine().load("""
                movz x8, #0x4010, lsl #16
            1:  svc #0
                b 1b
                .org 0x800 + 0x200
                ldr x9, [x8]
                add x9, x9, #1
                str x9, [x8]
                movz x10, #(300000 & 0xffff)
                movk x10, #(300000 >> 16), lsl #16
                cmp x9, x10
                mov x9, #0
                mov x10, #0
                b.hs 2f
                eret
            2:  hvc #0
                """);
        m.cpu.sr.vbar[1] = RAM + 0x800;
        assertEquals(0, m.runToHvc());
        assertEquals(300000, m.bus.read(RAM + 0x100000, 8));
        assertNull(m.cpu.exceptionLoop());
    }

    /** The same SVC 300,000 times, the handler counting in a register and branching back without ERET. */
    @Test
    void aHandlerThatCountsIsNoLoop() {
        TestMachine m = new TestMachine().load("""
                movz x7, #(300000 & 0xffff)
                movk x7, #(300000 >> 16), lsl #16
            1:  svc #0
                .org 0x800 + 0x200
                add x6, x6, #1
                cmp x6, x7
                b.lo 1b
                hvc #0
                """);
        m.cpu.sr.vbar[1] = RAM + 0x800;
        assertEquals(0, m.runToHvc());
        assertEquals(300000, m.x(6));
        assertNull(m.cpu.exceptionLoop());
    }

    /**
     * A fault at one PC 200,000 times, each handled in between (as demand paging does): an unaligned load
     * (an alignment fault with the MMU off, where data is Device memory), the handler aligning the
     * address and returning to the load, which then completes.
     */
    @Test
    void aFaultAtOnePcHandledEachTimeIsNoLoop() {
        TestMachine m = new TestMachine().load("""
                movz x5, #(200000 & 0xffff)
                movk x5, #(200000 >> 16), lsl #16
                movz x1, #0x4010, lsl #16
            1:  orr x1, x1, #1
            2:  ldr x0, [x1]
                subs x5, x5, #1
                b.ne 1b
                hvc #0
                .org 0x800 + 0x200
                and x1, x1, #~7
                eret
                """);
        m.cpu.sr.vbar[1] = RAM + 0x800;
        assertEquals(0, m.runToHvc());
        assertEquals(0, m.x(5));
        assertEquals(Esr.EC_DABT_CUR, m.cpu.sr.esr[1] >>> 26, "the load did fault");
        assertEquals(0x21, m.cpu.sr.esr[1] & 0x3f, "DFSC: alignment fault");
        assertNull(m.cpu.exceptionLoop());
    }

    /** A reset forgets a loop. */
    @Test
    void resetForgets() {
        TestMachine m = machine("udf #0");
        assertEquals(ExitReason.EXCEPTION_LOOP, m.cpu.run(Long.MAX_VALUE));
        assertNotNull(m.cpu.exceptionLoop());
        m.cpu.reset();
        assertNull(m.cpu.exceptionLoop());
    }
}
