package org.jvisor.hyp;

import static org.jvisor.hyp.Guest.*;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * WFE (Arm ARM D1.6, "Wait for Event"): with no event registered the processor may wait until a WFE wake-up
 * event: an interrupt, another PE's SEV, or the generic timer's event stream (an event each time bit EVNTI of
 * the count changes in the EVNTDIR direction). jvisor's vCPU thread sleeps there, as it does in WFI, instead
 * of burning a host core: unless the exclusive monitor is armed (a spin-wait on a memory location, whose
 * event jvisor does not signal), where WFE completes at once, as it always may.
 */
@NeedsCross
class WfeSleepTest {
    /** CNTKCTL_EL1: EVNTEN, EVNTI = 10 (an event every 2048 ticks, 33 us at 62.5 MHz), EVNTDIR 0. */
    static final int CNTKCTL_STREAM = 4 | (10 << 4), PERIOD = 2048;

    @Test
    void aWfeWithNothingToWakeItSleepsUntilAnInterrupt() throws Exception {
        new Guest(OFF).vcpu.run(); // class initialization and decoding tables: not part of the measurement
        // The first WFE may consume the event that the entry's exception return registered.
        Guest g = new Guest("wfe\nwfe\nwfe\n" + OFF);
        var mx = ManagementFactory.getThreadMXBean();
        long[] cpuNs = new long[1];
        VcpuExit[] exit = new VcpuExit[1];
        Thread t = Thread.ofPlatform().start(() -> {
            exit[0] = g.vcpu.run();
            cpuNs[0] = mx.getCurrentThreadCpuTime();
        });
        while (!g.vcpu.isIdle()) Thread.onSpinWait();
        Thread.sleep(300);
        assertTrue(t.isAlive(), "the WFE completed with nothing to complete it: " + exit[0]);
        g.vcpu.setIrqLine(true); // a wake-up event even while PSTATE masks the IRQ (it stays masked here)
        t.join(10_000);
        assertTrue(isShutdown(exit[0]), String.valueOf(exit[0]));
        // A busy wait would burn the whole 300 ms; a sleeping thread spends only the run's own setup.
        assertTrue(cpuNs[0] < 200_000_000L, "vCPU thread CPU time " + cpuNs[0] + " ns");
    }

    /** Each WFE after the first completes only at the stream's next event: 10 of them span 9 periods or more. */
    @Test
    void theEventStreamEndsEachWfe() {
        Guest g = new Guest("""
                movz x0, #%d
                msr cntkctl_el1, x0
                isb
                wfe
                mrs x1, cntvct_el0
                mov x2, #10
                1: wfe
                subs x2, x2, #1
                b.ne 1b
                mrs x3, cntvct_el0
                """.formatted(CNTKCTL_STREAM) + OFF);
        assertTrue(isShutdown(g.vcpu.run()));
        long elapsed = g.vcpu.x(3) - g.vcpu.x(1);
        assertTrue(elapsed >= 9L * PERIOD, "10 WFEs took " + elapsed + " ticks; the stream has an event every " + PERIOD);
    }

    /** With the exclusive monitor armed (LDXR), a WFE waiting for a store completes at once, as before. */
    @Test
    void aWfeAfterALoadExclusiveCompletesAtOnce() {
        Guest g = new Guest("""
                adr x4, word
                mrs x1, cntvct_el0
                mov x2, #1000
                1: ldxr x5, [x4]
                wfe
                subs x2, x2, #1
                b.ne 1b
                mrs x3, cntvct_el0
                """ + OFF + """
                .balign 8
                word: .quad 0
                """);
        // Nothing else could end these WFEs (no interrupt, no stream, no other vCPU): a sleep would never end.
        assertTrue(isShutdown(assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> g.vcpu.run())));
    }
}
