package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The same guest under jvisor in a process of its own (for what needs one: an environment such as TZ, a
 * terminal) and under qemu-system-aarch64, the reference, with the same options.
 */
final class Processes {
    private Processes() {}

    /** qemu-system-aarch64 -M virt -cpu cortex-a57 with a raw binary loaded as jvisor loads it (RAM + 0x80000). */
    static List<String> qemu(Path kernel, String... options) {
        List<String> cmd = new ArrayList<>(List.of("qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a57", "-m", "128M",
                "-kernel", kernel.toString()));
        cmd.addAll(List.of(options));
        return cmd;
    }

    /** {@code jvisor run} with a raw binary in a new JVM, this test's class path. */
    static List<String> jvisor(Path kernel, String... options) {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "org.jvisor.cli.Main", "run", "-m", "64M", "-kernel", kernel.toString()));
        cmd.addAll(List.of(options));
        return cmd;
    }

    /** Runs {@code cmd} with {@code stdin} (or /dev/null) and extra environment; it must end within 60 s. */
    static RunCommandTest.Result run(List<String> cmd, Map<String, String> env, String stdin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        if (stdin == null) pb.redirectInput(new File("/dev/null"));
        Process p = pb.start();
        if (stdin != null) {
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        Thread o = drain(p.getInputStream(), out), e = drain(p.getErrorStream(), err);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not end within 60 s; it printed:\n" + out + err);
        }
        o.join();
        e.join();
        return new RunCommandTest.Result(p.exitValue(), out.toString(StandardCharsets.ISO_8859_1), err.toString(StandardCharsets.ISO_8859_1));
    }

    static Thread drain(InputStream in, ByteArrayOutputStream to) {
        return Thread.ofVirtual().start(() -> {
            try (in) {
                byte[] b = new byte[4096];
                for (int n; (n = in.read(b)) >= 0; ) {
                    synchronized (to) {
                        to.write(b, 0, n);
                    }
                }
            } catch (IOException ex) {
                // the process is gone
            }
        });
    }

    /**
     * A command on a terminal of its own: util-linux's script(1) runs it on a new pseudo-terminal, so that
     * raw mode, Ctrl-C and Ctrl-A behave as when a person types.
     */
    static final class Terminal implements AutoCloseable {
        private final Process p;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Terminal(List<String> cmd) throws IOException {
            // script runs the line with $SHELL -c, or sh -c when SHELL is unset (a container's root shell, env -i);
            // dash stays as the parent and would die of Ctrl-C itself: exec makes the command the terminal's process
            String line = "exec " + cmd.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
            p = new ProcessBuilder("script", "-qfec", line, "/dev/null").redirectErrorStream(true).start();
            drain(p.getInputStream(), out);
        }

        String output() {
            synchronized (out) {
                return out.toString(StandardCharsets.ISO_8859_1);
            }
        }

        /** Waits until the output contains {@code text} (at most 60 s). */
        void await(String text) throws InterruptedException { await(text, 60); }

        /** Waits until the output contains {@code text} (at most {@code seconds}: a Linux boot takes longer than 60). */
        void await(String text, long seconds) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (!output().contains(text)) {
                assertTrue(System.nanoTime() < end, "no '" + text + "' within " + seconds + " s; the terminal shows:\n" + output());
                Thread.sleep(20);
            }
        }

        void type(String keys) throws IOException {
            p.getOutputStream().write(keys.getBytes(StandardCharsets.ISO_8859_1));
            p.getOutputStream().flush();
        }

        /** The command's exit status (script -e passes it on), waiting at most 60 s. */
        int exitStatus() throws InterruptedException {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running; the terminal shows:\n" + output());
            return p.exitValue();
        }

        @Override
        public void close() {
            p.destroyForcibly();
        }
    }
}
