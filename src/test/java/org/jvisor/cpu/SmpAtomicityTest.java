package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Several processors on one bus, each on its own host thread, update shared counters with the idioms
 * Linux uses (an LDAXR/STXR spinlock around a plain increment, LDXR/STXR and LSE atomic increments, a
 * CAS loop, 128-bit pair exclusives and CASP): on an SMP Arm machine no update is lost, so each counter
 * ends at exactly threads x N. A store-exclusive or an atomic made of a separate read and write lets
 * two processors both succeed and loses updates.
 */
@NeedsCross
class SmpAtomicityTest {
    static final long LOCK = 0x4010_0000L, COUNTER = 0x4010_0100L, PAIR = 0x4010_0200L;

    /** Processors sharing {@code m}'s bus and its identity map (Normal memory), all at the first instruction. */
    static List<Cpu> processors(TestMachine m, int count, Features features) {
        List<Cpu> cpus = new ArrayList<>();
        cpus.add(m.cpu);
        for (int i = 1; i < count; i++) {
            Cpu c = new Cpu(m.bus, features);
            c.sr.mair[1] = m.cpu.sr.mair[1];
            c.sr.tcr[1] = m.cpu.sr.tcr[1];
            c.sr.ttbr0[1] = m.cpu.sr.ttbr0[1];
            c.sr.sctlr[1] = m.cpu.sr.sctlr[1];
            c.tlbFlush();
            cpus.add(c);
        }
        for (int i = 0; i < count; i++) {
            Cpu c = cpus.get(i);
            c.pc = TestMachine.RAM_BASE;
            c.sp = TestMachine.RAM_BASE + (8 << 20) - (i << 16);
            c.x[0] = i;
        }
        return cpus;
    }

    /** Runs every processor on its own thread until each reaches {@code hvc #0}; fails on anything else. */
    static void runAll(List<Cpu> cpus) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (Cpu c : cpus) {
            Thread t = new Thread(() -> {
                try {
                    for (int i = 0; ; i++) {
                        ExitReason r = c.run(1_000_000);
                        if (r == ExitReason.EL2_TRAP) {
                            long esr = c.sr.esr[2];
                            if ((esr >>> 26) != Esr.EC_HVC64)
                                throw new AssertionError("unexpected trap ESR_EL2=0x" + Long.toHexString(esr) + " at 0x" + Long.toHexString(c.sr.elr[2]));
                            return;
                        }
                        if (r != ExitReason.BUDGET) throw new AssertionError("unexpected exit " + r);
                        if (i > 20_000) throw new AssertionError("guest did not finish, pc=0x" + Long.toHexString(c.pc));
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads.add(t);
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
    }

    /**
     * Runs {@code loopBody} {@code n} times on each of {@code cpus} processors: x0 = processor number,
     * x1 = LOCK, x2 = COUNTER, x5 = 1, x10 = COUNTER + 8.
     */
    static TestMachine count(String loopBody, int cpus, int n, Features features) throws InterruptedException {
        String program = """
                    ldr x1, =%d
                    ldr x2, =%d
                    ldr x9, =%d
                    mov x5, #1
                    add x10, x2, #8
                loop:
                %s
                    subs x9, x9, #1
                    b.ne loop
                    hvc #0
                    .ltorg
                """.formatted(LOCK, COUNTER, n, loopBody);
        TestMachine m = new TestMachine(16 << 20, features).load(program).normalMemory();
        runAll(processors(m, cpus, features));
        return m;
    }

    private static void countTo(String loopBody, int cpus, int n, Features features, int rounds) throws InterruptedException {
        for (int round = 0; round < rounds; round++)
            assertEquals((long) cpus * n, count(loopBody, cpus, n, features).bus.read(COUNTER, 8), "round " + round);
    }

    static final String SPINLOCK = """
            1:  ldaxr w3, [x1]
                cbnz w3, 1b
                stxr w4, w5, [x1]
                cbnz w4, 1b
                ldr x6, [x2]
                add x6, x6, #1
                str x6, [x2]
                stlr wzr, [x1]
            """;

    static final String EXCLUSIVE_INCREMENT = """
            1:  ldxr x6, [x2]
                add x6, x6, #1
                stxr w4, x6, [x2]
                cbnz w4, 1b
            """;

    @Test
    void spinlockProtectsAPlainIncrement() throws InterruptedException {
        countTo(SPINLOCK, 2, 100_000, Features.cortexA57(), 5);
    }

    @Test
    void spinlockWithFourProcessors() throws InterruptedException {
        countTo(SPINLOCK, 4, 10_000, Features.cortexA57(), 3);
        // The same lock taken with a store-release exclusive.
        countTo(SPINLOCK.replace("stxr w4", "stlxr w4"), 4, 10_000, Features.cortexA57(), 1);
    }

    @Test
    void exclusiveIncrementLosesNoUpdate() throws InterruptedException {
        countTo(EXCLUSIVE_INCREMENT, 2, 200_000, Features.cortexA57(), 5);
        countTo(EXCLUSIVE_INCREMENT, 4, 50_000, Features.cortexA57(), 2);
    }

    @Test
    void narrowExclusivesLoseNoUpdate() throws InterruptedException {
        // A byte per processor beside the other's (each counts its own), a shared halfword, a shared doubleword.
        int n = 20_000;
        TestMachine m = count("""
                    add x7, x2, #16
                    add x7, x7, x0
                1:  ldxrb w6, [x7]
                    add w6, w6, #1
                    stxrb w4, w6, [x7]
                    cbnz w4, 1b
                2:  ldaxrh w6, [x10]
                    add w6, w6, #1
                    stlxrh w4, w6, [x10]
                    cbnz w4, 2b
                3:  ldxr x6, [x2]
                    add x6, x6, #1
                    stxr w4, x6, [x2]
                    cbnz w4, 3b
                """, 2, n, Features.cortexA57());
        assertEquals(2L * n, m.bus.read(COUNTER, 8));
        assertEquals(2L * n, m.bus.read(COUNTER + 8, 2));
        assertEquals(n & 0xff, m.bus.read(COUNTER + 16, 1));
        assertEquals(n & 0xff, m.bus.read(COUNTER + 17, 1));
    }

    @Test
    void pairExclusivesUpdateBothHalvesAtomically() throws InterruptedException {
        // Both halves of a 16-byte pair count together; an increment of the counter beside it keeps the
        // total checked by countTo.
        String body = """
                    ldr x8, =%d
                1:  ldaxp x6, x7, [x8]
                    add x6, x6, #1
                    add x7, x7, #2
                    stlxp w4, x6, x7, [x8]
                    cbnz w4, 1b
                    add x11, x8, #16
                2:  ldxp w6, w7, [x11]
                    add w6, w6, #1
                    add w7, w7, #3
                    stxp w4, w6, w7, [x11]
                    cbnz w4, 2b
                3:  ldxr x6, [x2]
                    add x6, x6, #1
                    stxr w4, x6, [x2]
                    cbnz w4, 3b
                """.formatted(PAIR);
        int n = 50_000;
        for (int round = 0; round < 2; round++) {
            TestMachine m = new TestMachine().load("""
                        ldr x1, =%d
                        ldr x2, =%d
                        ldr x9, =%d
                    loop:
                    %s
                        subs x9, x9, #1
                        b.ne loop
                        hvc #0
                        .ltorg
                    """.formatted(LOCK, COUNTER, n, body)).normalMemory();
            runAll(processors(m, 2, Features.cortexA57()));
            assertEquals(2L * n, m.bus.read(COUNTER, 8));
            assertEquals(2L * n, m.bus.read(PAIR, 8));
            assertEquals(4L * n, m.bus.read(PAIR + 8, 8));
            assertEquals(2L * n, m.bus.read(PAIR + 16, 4));
            assertEquals(6L * n, m.bus.read(PAIR + 20, 4));
        }
    }

    static Features lse() {
        Features f = Features.cortexA57();
        f.lse = true;
        return f;
    }

    @Test
    void lseAtomicsLoseNoUpdate() throws InterruptedException {
        countTo("""
                    ldadd x5, x6, [x2]
                    ldaddalh w5, w6, [x10]
                """, 2, 200_000, lse(), 3);
        countTo("""
                    ldadd x5, x6, [x2]
                """, 4, 50_000, lse(), 1);
    }

    @Test
    void casLoopLosesNoUpdate() throws InterruptedException {
        countTo("""
                    ldr x6, [x2]
                1:  add x7, x6, #1
                    mov x8, x6
                    casal x8, x7, [x2]
                    cmp x8, x6
                    mov x6, x8
                    b.ne 1b
                """, 2, 100_000, lse(), 3);
    }

    @Test
    void caspUpdatesAPairAtomically() throws InterruptedException {
        String body = """
                    ldr x8, =%d
                    ldp x10, x11, [x8]
                1:  add x12, x10, #1
                    add x13, x11, #2
                    mov x14, x10
                    mov x15, x11
                    caspal x14, x15, x12, x13, [x8]
                    cmp x14, x10
                    ccmp x15, x11, #0, eq
                    mov x10, x14
                    mov x11, x15
                    b.ne 1b
                    stadd x5, [x2]
                """.formatted(PAIR);
        int n = 50_000;
        TestMachine m = new TestMachine(16 << 20, lse()).load("""
                    ldr x1, =%d
                    ldr x2, =%d
                    ldr x9, =%d
                    mov x5, #1
                loop:
                %s
                    subs x9, x9, #1
                    b.ne loop
                    hvc #0
                    .ltorg
                """.formatted(LOCK, COUNTER, n, body)).normalMemory();
        runAll(processors(m, 2, lse()));
        assertEquals(2L * n, m.bus.read(COUNTER, 8));
        assertEquals(2L * n, m.bus.read(PAIR, 8));
        assertEquals(4L * n, m.bus.read(PAIR + 8, 8));
    }
}
