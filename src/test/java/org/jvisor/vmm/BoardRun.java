package org.jvisor.vmm;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Runs a board in the test's process until the guest powers off: its console captured, optionally a line
 * typed at the shell's prompt, a deadline after which the run is stopped and the test fails with all the
 * guest printed.
 */
final class BoardRun {
    /** How the run ended: the board's exit status, the console, and what the board logged. */
    record Result(int status, String console, String log) {}

    /** The console's bytes, readable while the guest writes them. */
    static final class Transcript extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
            notifyAll();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
            notifyAll();
        }

        synchronized String text() { return bytes.toString(StandardCharsets.ISO_8859_1).replace("\r", ""); }

        synchronized boolean await(String s, long deadline) throws InterruptedException {
            while (!text().contains(s)) {
                long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (ms <= 0) return false;
                wait(Math.min(ms, 1000));
            }
            return true;
        }
    }

    private BoardRun() {}

    /**
     * Builds the board, runs it, types {@code input} (if not null) once the shell prompts, and waits
     * {@code timeoutSeconds} at most for the guest to power off.
     */
    static Result run(BoardConfig config, String input, long timeoutSeconds) throws Exception {
        return run(config, input, timeoutSeconds, board -> {});
    }

    /** Runs {@code board} on a thread of its own, which puts its exit status in {@code status[0]}. */
    static Thread start(VirtBoard board, int[] status) {
        return Thread.ofPlatform().name("board").start(() -> {
            try {
                status[0] = board.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** As {@link #run(BoardConfig, String, long)}, giving the board to {@code after} once the guest has powered off. */
    static Result run(BoardConfig config, String input, long timeoutSeconds, java.util.function.Consumer<VirtBoard> after) throws Exception {
        Transcript console = new Transcript();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (VirtBoard board = VirtBoard.build(config, console, new PrintStream(log, true), false)) {
            int[] status = {-1};
            Thread runner = start(board, status);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            // typed once the shell prompts: the UART takes input only once Linux has opened it
            if (input != null && console.await("~ # ", deadline)) {
                byte[] b = input.getBytes(StandardCharsets.UTF_8);
                board.consoleInput().receive(b, 0, b.length);
            }
            runner.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (runner.isAlive()) {
                board.stop(99);
                runner.join(10_000);
                throw new AssertionError("the guest did not power off within " + timeoutSeconds + " s; it printed:\n" + console.text());
            }
            after.accept(board);
            return new Result(status[0], console.text(), log.toString(StandardCharsets.UTF_8));
        }
    }
}
