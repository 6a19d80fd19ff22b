package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.ProgressListener;
import org.jvisor.guest.TestDebs;

/**
 * {@code jvisor guest --args}, read back by real shells (bash, and dash as POSIX sh), and the documentation's
 * commands that use it run as printed, on jvisor and on qemu-system-aarch64.
 */
class GuestArgsTest {
    @TempDir Path tmp;

    /** The words a shell makes of {@code line}: {@code eval "set -- LINE"} when {@code eval}, else {@code set -- $(cat)}. */
    private static List<String> words(String shell, String line, boolean eval) throws Exception {
        String script = eval ? "eval \"set -- $1\"; printf '%s\\0' \"$@\"" : "set -- $1; printf '%s\\0' \"$@\"";
        Process p = new ProcessBuilder(shell, "-c", script, "sh", line).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), shell + ": " + out);
        return out.isEmpty() ? List.of() : Arrays.asList(out.substring(0, out.length() - 1).split("\0", -1));
    }

    private static List<String> expected(GuestImage g) {
        return List.of("-kernel", g.kernel().toAbsolutePath().toString(), "-initrd", g.initrd().toAbsolutePath().toString());
    }

    @Test
    void argsAreTheDefaultGuestsKernelAndInitrd() throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        RunCommandTest.Result r = RunCommandTest.run("guest", "--args");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().endsWith("\n") && r.out().indexOf('\n') == r.out().length() - 1, "one line: " + r.out());
        String line = r.out().strip();
        for (String shell : List.of("bash", "dash")) {
            assertEquals(expected(g), words(shell, line, true), shell + " eval");
            assertEquals(expected(g), words(shell, line, false), shell + " $(...): the cache's paths need no quotes");
        }
        // what they name: an arm64 Image (booting.rst: magic "ARM\x64" at 0x38) and a gzip file (RFC 1952: 1f 8b)
        byte[] image = Files.readAllBytes(g.kernel());
        assertEquals(0x644d5241, ByteBuffer.wrap(image, 0x38, 4).order(ByteOrder.LITTLE_ENDIAN).getInt(), g.kernel().toString());
        byte[] initrd = Files.readAllBytes(g.initrd());
        assertEquals(0x1f, initrd[0] & 0xff);
        assertEquals(0x8b, initrd[1] & 0xff);
    }

    @Test
    void aCachePathWithSpacesQuotesAndDollarsSurvivesEval() throws Exception {
        Path xdg = tmp.resolve("my cache's $HOME * [x]");
        GuestImage g = DefaultGuest.fromDebs(TestDebs.kernelDeb(tmp.resolve("in")), TestDebs.busyboxDeb(tmp.resolve("in")),
                xdg.resolve("jvisor"));
        ProcessBuilder pb = new ProcessBuilder(java(), "-cp", System.getProperty("java.class.path"), "org.jvisor.cli.Main",
                "guest", "--args").redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("XDG_CACHE_HOME", xdg.toString());
        pb.environment().put("PATH", tmp.resolve("no-apt").toString());  // the cache is complete: no apt is asked
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), err);
        for (String shell : List.of("/bin/bash", "/bin/dash")) assertEquals(expected(g), words(shell, out.strip(), true), shell);
    }

    @Test
    void shellWordsRoundTrip() throws Exception {
        List<String> hard = List.of("plain/path-1.2+x%3a", "", "a b", "it's", "$HOME", "`id`", "*", "~", "back\\slash", "new\nline", "é");
        for (String shell : List.of("bash", "dash")) assertEquals(hard, words(shell, ShellWords.join(hard), true), shell);
        assertEquals("plain/path-1.2+x%3a", ShellWords.quote("plain/path-1.2+x%3a"));
    }

    /**
     * Each documentation line (README.md, docs/*.md) that uses {@code $(./jvisor guest --args)}, run by bash in a directory whose
     * {@code ./jvisor} starts this build's classes: the guest's shell gets {@code uname -r; exit} once it
     * prompts (the UART drops what comes before Linux opens it), then /init powers off.
     */
    @Test
    void theReadmesBootCommandsWorkAsPrinted() throws Exception {
        List<String> commands = readmeCommands();
        assertTrue(commands.stream().anyMatch(c -> c.startsWith("./jvisor run ")), commands.toString());
        assertTrue(commands.stream().anyMatch(c -> c.startsWith("qemu-system-aarch64 ")), commands.toString());
        assertTrue(commands.stream().anyMatch(c -> c.startsWith("eval ")), commands.toString());
        Path dir = Files.createDirectories(tmp.resolve("cwd"));
        Path launcher = dir.resolve("jvisor");
        Files.writeString(launcher, "#!/bin/sh\nexec " + ShellWords.join(List.of(java(), "-XX:+UseParallelGC", "-XX:-UseJumpTables",
                "-Xss16m", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "org.jvisor.cli.Main"))
                + " \"$@\"\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        String release = DefaultGuest.obtain(ProgressListener.NONE).kernelVersion();
        // the eval line is the one for paths that need quotes: give it such a path to the same cache
        Path spaced = Files.createDirectories(tmp.resolve("cache with spaces"));
        Files.createSymbolicLink(spaced.resolve("jvisor"), DefaultGuest.userCacheDir());
        for (String command : commands) {
            String console = boot(dir, command, command.startsWith("eval ") ? spaced : null);
            assertTrue(console.contains("\n" + release + "\n"), command + "\n" + console);
        }
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElseThrow();
    }

    /** The documentation's indented code lines (joined across trailing backslashes) that use {@code guest --args}. */
    private static List<String> readmeCommands() throws IOException {
        List<String> found = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        List<String> lines = new ArrayList<>(Files.readAllLines(Path.of("README.md")));
        try (var docs = Files.list(Path.of("docs"))) {
            for (Path d : docs.filter(f -> f.toString().endsWith(".md")).sorted().toList()) lines.addAll(Files.readAllLines(d));
        }
        for (String l : lines) {
            if (!l.startsWith("    ") && line.isEmpty()) continue;
            line.append(l.strip());
            if (line.charAt(line.length() - 1) == '\\') {
                line.setLength(line.length() - 1);
                continue;
            }
            if (line.toString().contains("$(./jvisor guest --args)")) found.add(line.toString());
            line.setLength(0);
        }
        return found;
    }

    private static String boot(Path dir, String command, Path xdgCacheHome) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", command).directory(dir.toFile()).redirectErrorStream(true);
        if (xdgCacheHome != null) pb.environment().put("XDG_CACHE_HOME", xdgCacheHome.toString());
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = p.getInputStream()) {
                for (int b; (b = in.read()) >= 0; ) {
                    synchronized (out) {
                        out.write(b);
                        out.notifyAll();
                    }
                }
            } catch (IOException e) {
                // the process was killed
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        synchronized (out) {
            while (!out.toString(StandardCharsets.ISO_8859_1).contains("~ # ") && p.isAlive() && System.nanoTime() < deadline) {
                out.wait(1000);
            }
        }
        try (var stdin = p.getOutputStream()) {
            stdin.write("uname -r; exit\n".getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // it ended before the prompt: the status below says so
        }
        boolean ended = p.waitFor(Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime())), TimeUnit.SECONDS);
        if (!ended) p.descendants().forEach(ProcessHandle::destroyForcibly);
        if (!ended) p.destroyForcibly();
        reader.join(10_000);
        String console;
        synchronized (out) {
            console = "\n" + out.toString(StandardCharsets.ISO_8859_1).replace("\r", "");
        }
        assertTrue(ended, command + ": did not end within 300 s:\n" + console);
        assertEquals(0, p.exitValue(), command + "\n" + console);
        return console;
    }
}
