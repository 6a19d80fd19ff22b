package org.jvisor.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A machine started as a child process by a benchmark, its console (stdout) watched byte by byte until the
 * watcher has seen what it waits for; the process is then stopped. A process that exits first is reported
 * at once, with its status and stderr, and one that takes too long at its deadline, with its last output:
 * each as one {@link UserError} line.
 */
final class WatchedProcess {
    private WatchedProcess() {}

    /** Sees the console's bytes in order, on one thread; true once it has what it waits for. */
    @FunctionalInterface
    interface Watcher {
        boolean accept(int b);
    }

    /**
     * Starts {@code command} ({@code name} in messages) and feeds its stdout to {@code watcher}; returns the
     * nanoseconds (of {@link System#nanoTime}) from the start to the byte that satisfied the watcher.
     * {@code waitingFor} says what, as in "exited with status 2 before <i>printing 'X'</i>".
     */
    static long run(String name, List<String> command, String waitingFor, int timeoutSeconds, Watcher watcher)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p;
        try {
            p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            throw new UserError("cannot start " + command.get(0) + ": " + e.getMessage());
        }
        p.getOutputStream().close();
        long[] at = {-1};
        Tail out = new Tail(), err = new Tail();
        Thread errReader = Thread.ofPlatform().daemon().start(() -> err.readAll(p.getErrorStream()));
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (InputStream in = p.getInputStream()) {
                boolean done = false;
                for (int b; (b = in.read()) >= 0; ) {
                    out.add(b);
                    if (!done && watcher.accept(b)) {
                        done = true;
                        synchronized (at) {
                            at[0] = System.nanoTime();
                            at.notifyAll();
                        }
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        boolean exited;
        synchronized (at) {
            long deadline = t0 + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (at[0] < 0 && p.isAlive() && System.nanoTime() < deadline) at.wait(100);
            exited = at[0] < 0 && !p.isAlive();
        }
        if (exited) {
            reader.join(1000); // its last output, which may hold what was waited for after all
            errReader.join(1000);
        }
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        reader.join(1000);
        synchronized (at) {
            if (at[0] >= 0) return at[0] - t0;
        }
        if (exited) {
            String why = !err.isEmpty() ? err.last(400) : !out.isEmpty() ? "its last output: " + out.last(200) : "no output";
            throw new UserError(name + " exited with status " + p.exitValue() + " before " + waitingFor + ": " + why);
        }
        throw new UserError(name + " timed out after " + timeoutSeconds + " s, before " + waitingFor + "; last output: " + out.last(200));
    }

    /** The last few thousand characters a stream printed. */
    private static final class Tail {
        private final StringBuilder text = new StringBuilder();

        synchronized void add(int b) {
            if (text.length() > 4000) text.delete(0, 2000);
            text.append((char) b);
        }

        void readAll(InputStream in) {
            try (in) {
                for (int b; (b = in.read()) >= 0; ) add(b);
            } catch (IOException e) {
                // the process ended
            }
        }

        synchronized boolean isEmpty() {
            return text.toString().isBlank();
        }

        /** Its last {@code n} characters on one line. */
        synchronized String last(int n) {
            String s = text.toString().strip().replaceAll("\\s+", " ");
            return s.length() > n ? "..." + s.substring(s.length() - n) : s;
        }
    }
}
