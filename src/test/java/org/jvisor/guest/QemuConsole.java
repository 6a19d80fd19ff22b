package org.jvisor.guest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A guest run on QEMU with its serial console on stdio: the output collected as it comes, a line typed once
 * the shell prompts (bytes sent earlier may be dropped while the UART starts up), and a deadline for QEMU
 * to exit, after which the test fails with all the guest printed. QEMU is killed however the run ends.
 */
final class QemuConsole {
    /** QEMU's exit status, and the console with a leading newline and without carriage returns. */
    record Result(int status, String console) {}

    private QemuConsole() {}

    static Result run(List<String> command, String input, int timeoutSeconds) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (var in = p.getInputStream()) {
                    for (int b; (b = in.read()) >= 0; ) {
                        synchronized (out) {
                            out.write(b);
                            out.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // QEMU was killed
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            try (var stdin = p.getOutputStream()) {
                if (input != null) {
                    synchronized (out) {
                        while (!out.toString(StandardCharsets.ISO_8859_1).contains("~ # ") && p.isAlive() && System.nanoTime() < deadline) {
                            out.wait(1000);
                        }
                    }
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            boolean finished = p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (finished) reader.join();
            String console;
            synchronized (out) {
                console = "\n" + out.toString(StandardCharsets.ISO_8859_1).replace("\r", "");
            }
            assertTrue(finished, () -> "the guest did not power off within " + timeoutSeconds + " s; it printed:" + console);
            return new Result(p.exitValue(), console);
        } finally {
            p.destroyForcibly();
        }
    }
}
