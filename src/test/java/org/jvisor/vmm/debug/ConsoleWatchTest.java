package org.jvisor.vmm.debug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The console watch behind the monitor's wait-for, against expect's rules: output passes through untouched;
 * a text is found in what came since the previous match, even before the wait began; a match consumes the
 * output up to its end; a text split across writes is found; the board's end releases a waiter.
 */
class ConsoleWatchTest {
    static final long NOW = 0, SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void matchesConsumeAndTextsSplitAcrossWritesAreFound() throws Exception {
        ByteArrayOutputStream host = new ByteArrayOutputStream();
        ConsoleWatch w = new ConsoleWatch(host);
        w.write("login: login: ".getBytes(StandardCharsets.UTF_8));
        assertEquals(ConsoleWatch.Outcome.FOUND, w.await("login:", NOW));
        assertEquals(ConsoleWatch.Outcome.FOUND, w.await("login:", NOW), "the second occurrence");
        assertEquals(ConsoleWatch.Outcome.TIMED_OUT, w.await("login:", NOW), "both consumed");
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(100);
                for (byte b : "~ # caf\u00e9".getBytes(StandardCharsets.UTF_8)) w.write(b);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertEquals(ConsoleWatch.Outcome.FOUND, w.await("# caf\u00e9", 10 * SECOND), "byte by byte, UTF-8");
        writer.join();
        assertEquals("login: login: ~ # caf\u00e9", host.toString(StandardCharsets.UTF_8), "passed through unchanged");
    }

    @Test
    void aHostWatcherSeesTextWithoutTakingItFromTheMonitorsWaits() throws Exception {
        ConsoleWatch w = new ConsoleWatch(new ByteArrayOutputStream());
        w.write("~ # ".getBytes(StandardCharsets.US_ASCII));
        assertTrue(w.sees("~ # ", java.time.Duration.ZERO), "printed before the watch began");
        assertTrue(w.sees("~ # ", java.time.Duration.ZERO), "not consumed by the first look");
        assertEquals(ConsoleWatch.Outcome.FOUND, w.await("~ # ", NOW), "still there for wait-for");
        assertFalse(w.sees("~ # ", java.time.Duration.ofMillis(50)), "consumed by wait-for");
        w.end();
        assertFalse(w.sees("~ # ", java.time.Duration.ofSeconds(10)), "the run ended: at once");
    }

    @Test
    void onlyTheRecentUnmatchedOutputIsKept() throws Exception {
        ConsoleWatch w = new ConsoleWatch(new ByteArrayOutputStream());
        w.write("OLD".getBytes(StandardCharsets.US_ASCII));
        w.write(new byte[3 * ConsoleWatch.KEPT]);
        w.write("NEW".getBytes(StandardCharsets.US_ASCII));
        assertEquals(ConsoleWatch.Outcome.TIMED_OUT, w.await("OLD", NOW));
        assertEquals(ConsoleWatch.Outcome.FOUND, w.await("NEW", NOW));
    }

    @Test
    void theBoardsEndReleasesAWaiter() throws Exception {
        ConsoleWatch w = new ConsoleWatch(new ByteArrayOutputStream());
        Thread ender = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            w.end();
        });
        long t0 = System.nanoTime();
        assertEquals(ConsoleWatch.Outcome.ENDED, w.await("never", 60 * SECOND));
        assertTrue(System.nanoTime() - t0 < 30 * SECOND);
        ender.join();
    }
}
