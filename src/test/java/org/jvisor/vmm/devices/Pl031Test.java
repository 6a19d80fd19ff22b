package org.jvisor.vmm.devices;

import static org.jvisor.vmm.devices.Pl031.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The PL031 against its TRM (DDI 0224) and what Linux's rtc-pl031 does with it. */
class Pl031Test {
    /** A clock the test moves. */
    static final class TestClock implements InstantSource {
        volatile Instant now = Instant.parse("2026-11-21T07:30:00.250Z");

        @Override
        public Instant instant() { return now; }

        void advance(long seconds) { now = now.plusSeconds(seconds); }
    }

    final TestClock clock = new TestClock();
    final Pl011Test.Line irq = new Pl011Test.Line();
    final Pl031 rtc = new Pl031(irq, clock);

    long r(int off) { return rtc.read(off, 4); }

    void w(int off, long v) { rtc.write(off, 4, v); }

    @AfterEach
    void close() { rtc.close(); }

    @Test
    void identifiesAsAPl031() {
        int[] id = {0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
        for (int i = 0; i < 8; i++) assertEquals(id[i], r(0xfe0 + 4 * i));
        // Linux's amba match for rtc-pl031: id 0x00041031 under mask 0x000fffff
        long periph = r(0xfe0) | r(0xfe4) << 8 | r(0xfe8) << 16 | r(0xfec) << 24;
        assertEquals(0x00041031, periph & 0x000fffff);
    }

    @Test
    void dataRegisterCountsTheClocksSecondsSinceTheEpoch() {
        long epoch = clock.now.getEpochSecond();
        assertEquals(epoch, r(DR));
        clock.advance(59);
        assertEquals(epoch + 59, r(DR));
        assertEquals(1, r(CR), "always running");
        w(CR, 0);
        assertEquals(1, r(CR));
        assertEquals(0, r(MR));
        assertEquals(0, r(LR));
        assertEquals(0, r(IMSC));
        assertEquals(0, r(RIS));
        assertEquals(0, r(MIS));
    }

    @Test
    void theSystemClockGivesTheHostsTime() {
        try (Pl031 host = new Pl031(irq)) {
            long before = Instant.now().getEpochSecond();
            long dr = host.read(DR, 4);
            long after = Instant.now().getEpochSecond();
            assertTrue(dr >= before && dr <= after, dr + " not in [" + before + ", " + after + "]");
        }
    }

    @Test
    void loadSetsTheCountWithoutTouchingTheClock() {
        Instant host = clock.now;
        w(LR, 1_000_000);
        assertEquals(1_000_000, r(DR));
        assertEquals(1_000_000, r(LR));
        assertEquals(host, clock.now);
        clock.advance(5);
        assertEquals(1_000_005, r(DR));
        w(LR, 0xffff_fffeL);
        clock.advance(3);
        assertEquals(1, r(DR), "the 32-bit count wraps");
    }

    @Test
    void matchRaisesTheAlarmWhenTheCountGetsThere() {
        long now = r(DR);
        w(ICR, AI);
        w(IMSC, AI);
        w(MR, now + 3);
        assertEquals(now + 3, r(MR));
        rtc.tick();
        assertEquals(0, r(RIS));
        clock.advance(2);
        rtc.tick();
        assertEquals(0, r(RIS));
        assertFalse(irq.level);
        clock.advance(1);
        rtc.tick();
        assertEquals(AI, r(RIS));
        assertEquals(AI, r(MIS));
        assertTrue(irq.level);
        w(ICR, AI); // rtc-pl031's interrupt handler
        assertEquals(0, r(RIS));
        assertFalse(irq.level);
        clock.advance(10);
        rtc.tick();
        assertEquals(0, r(RIS), "a match fires once");
    }

    @Test
    void maskedMatchSetsOnlyTheRawStatus() {
        w(MR, r(DR) + 1);
        clock.advance(1);
        rtc.tick();
        assertEquals(AI, r(RIS));
        assertEquals(0, r(MIS));
        assertFalse(irq.level);
        w(IMSC, AI);
        assertTrue(irq.level);
        w(IMSC, 0);
        assertFalse(irq.level);
    }

    @Test
    void matchEqualToTheCountFiresAtOnceAndAPastOneWaitsForTheWrap() {
        w(IMSC, AI);
        w(MR, r(DR));
        assertTrue(irq.level);
        w(ICR, AI);
        w(MR, r(DR) - 1);
        clock.advance(1000);
        rtc.tick();
        assertFalse(irq.level, "2^32 - 1 seconds away");
    }

    @Test
    void loadingTheCountReevaluatesTheMatch() {
        w(IMSC, AI);
        w(MR, 5000);
        w(LR, 4998);
        clock.advance(1);
        rtc.tick();
        assertFalse(irq.level);
        clock.advance(1);
        rtc.tick();
        assertTrue(irq.level);
    }

    /** Linux's update-interrupt emulation (hwclock waiting for a second boundary) needs the match on the host's time. */
    @Test
    void theAlarmThreadFiresOnTheHostClock() throws InterruptedException {
        CountDownLatch fired = new CountDownLatch(1);
        try (Pl031 host = new Pl031(l -> {
            if (l) fired.countDown();
        })) {
            host.write(IMSC, 4, AI);
            host.write(MR, 4, host.read(DR, 4) + 1);
            assertTrue(fired.await(10, TimeUnit.SECONDS), "no alarm within 10 s of a match 1 s ahead");
            assertEquals(AI, host.read(MIS, 4));
        }
    }

    @Test
    void narrowReadsAndUnusedOffsets() {
        w(LR, 0x12345678);
        assertEquals(0x78, rtc.read(DR, 1));
        assertEquals(0x1234, rtc.read(DR + 2, 2));
        w(MR, 0xabcdef01L);
        assertEquals(0xabcdef01_12345678L, rtc.read(DR, 8), "an 8-byte read: DR, then MR above it");
        assertEquals(0, r(0x20));
        assertEquals(0, r(0xfdc));
        w(0x20, 1);
        assertEquals(0, r(ICR));
    }
}
