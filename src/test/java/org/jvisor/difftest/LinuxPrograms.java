package org.jvisor.difftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jvisor.cpu.Features;
import org.jvisor.cpu.Translation;

/**
 * Static Linux programs from {@code src/test/resources/linux}, built with the cross compiler at test time,
 * run under {@code qemu-aarch64-static -cpu cortex-a57} and in jvisor ({@link LinuxUserRunner}): standard
 * output and exit status must be identical.
 */
final class LinuxPrograms {
    static final long MAX_INSTRUCTIONS = 2_000_000_000L;

    private LinuxPrograms() {}

    /** Compiler flags per program: start-up without libc uses integer registers only; vector is built at -O3. */
    static List<String> flags(String name) {
        return switch (name) {
            case "startup" -> List.of("-O2", "-nostdlib", "-ffreestanding", "-mgeneral-regs-only");
            case "vector" -> List.of("-O3");
            case "crypto" -> List.of("-O2", "-march=armv8-a+crypto+crc");
            default -> List.of("-O2");
        };
    }

    static Path build(String name) throws IOException, InterruptedException {
        Path src;
        try {
            src = Path.of(LinuxPrograms.class.getResource("/linux/" + name + ".c").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        Path dir = Files.createDirectories(Path.of("target", "linux-programs"));
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("aarch64-linux-gnu-gcc", "-static"));
        cmd.addAll(flags(name));
        cmd.addAll(List.of("-o", out.toString(), src.toString(), "-lm"));
        if (name.equals("startup")) cmd.removeLast();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) fail("cannot build " + name + ": " + cmd + "\n" + msg);
        return out;
    }

    /** The program's stdout and exit status under QEMU, and QEMU's (and the program's) stderr for the messages. */
    record Run(String stdout, int status, String stderr) {
        String why() {
            return "QEMU exited with " + status + (stderr.isBlank() ? "" : ", its stderr: " + stderr.strip());
        }
    }

    static Run qemu(Path exe) throws IOException, InterruptedException {
        Path err = Files.createTempFile("qemu", ".err");
        try {
            Process p = new ProcessBuilder(QemuRunner.QEMU, "-cpu", "cortex-a57", exe.toString()).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("QEMU did not finish within 120 s: " + exe);
            }
            return new Run(out, p.exitValue(), Files.readString(err, StandardCharsets.ISO_8859_1));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** Builds {@code name}, runs it on both sides and asserts the same output and exit status. */
    static LinuxUserRunner.Result check(String name) throws Exception {
        Path exe = build(name);
        Run q = qemu(exe);
        LinuxUserRunner.Result j = LinuxUserRunner.run(Files.readAllBytes(exe), List.of(exe.toString()),
                Features.cortexA57(), Translation.processDefault(), MAX_INSTRUCTIONS);
        String why = j.failure() != null ? "jvisor: " + j.failure() : "jvisor exited with " + j.exitStatus();
        if (!j.unknownSyscalls().isEmpty()) why += "; system calls not emulated: " + j.unknownSyscalls();
        if (j.failure() != null || !q.stdout().equals(j.stdoutText()))
            fail(name + ": " + why + "; " + q.why() + "\n" + firstDifference(q.stdout(), j.stdoutText()));
        assertEquals(q.status(), j.exitStatus(), name + ": exit status; " + why + "; " + q.why());
        System.out.println("linux program " + name + ": " + j.instructions() + " instructions in jvisor"
                + (j.unknownSyscalls().isEmpty() ? "" : ", system calls not emulated (-ENOSYS): " + j.unknownSyscalls()));
        return j;
    }

    static String firstDifference(String want, String got) {
        String[] a = want.split("\n", -1), b = got.split("\n", -1);
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            String x = i < a.length ? a[i] : "(none)", y = i < b.length ? b[i] : "(none)";
            if (!x.equals(y)) return "first different line " + (i + 1) + ":\n  QEMU:   " + x + "\n  jvisor: " + y;
        }
        return "";
    }
}
