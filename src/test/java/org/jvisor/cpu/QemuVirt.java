package org.jvisor.cpu;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The reference machine, qemu-system-aarch64's virt board with a Cortex-A57, as the tests start it: with
 * {@code -nodefaults}, so that only the board's own devices (the PL011, the RTC, the GIC, the virtio-mmio
 * transports, and so the same device tree) and the ones a test names are there. Without it QEMU adds a
 * NIC whose option ROM (efi-virtio.rom) is in ipxe-qemu, which qemu-system-arm only recommends: on a
 * machine without it every run ends at once with {@code failed to find romfile}.
 */
public final class QemuVirt {
    private QemuVirt() {}

    /** qemu-system-aarch64 -M {@code machine} with no default devices, no display, then {@code options}. */
    public static List<String> command(String machine, String... options) {
        List<String> c = new ArrayList<>(List.of("qemu-system-aarch64", "-nodefaults", "-display", "none",
                "-M", machine, "-cpu", "cortex-a57"));
        c.addAll(List.of(options));
        return c;
    }

    /** A finished QEMU: its exit status, stdout and stderr. */
    public record Exit(int status, String out, String err) {
        /** Fails, naming the status and QEMU's stderr, unless QEMU exited with status 0. */
        public Exit requireSuccess(List<String> command) {
            if (status != 0) throw new AssertionError("QEMU exited with status " + status + ": " + String.join(" ", command)
                    + "\nstderr:\n" + err + "stdout:\n" + out);
            return this;
        }
    }

    /**
     * Runs {@code command} with {@code input} (or nothing) on stdin until it exits; if it has not after
     * {@code seconds}, it is killed and the test fails with what it printed.
     */
    public static Exit finish(List<String> command, Path input, int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectInput(input != null ? input.toFile() : new File("/dev/null")).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        Thread outReader = drain(p.getInputStream(), out), errReader = drain(p.getErrorStream(), err);
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            outReader.join(1000);
            errReader.join(1000);
            throw new AssertionError("QEMU did not exit within " + seconds + " s: " + String.join(" ", command) + "\nstderr:\n"
                    + text(err) + "stdout:\n" + text(out));
        }
        outReader.join();
        errReader.join();
        return new Exit(p.exitValue(), text(out), text(err));
    }

    /**
     * The program's UART output (stdout is exactly the UART with these flags), with {@code input} (or
     * nothing) on the UART's receive side; the program must power off within 30 s, and QEMU exit with
     * status 0.
     */
    public static String run(Path elf, String machine, int cpus, Path input) throws IOException, InterruptedException {
        List<String> cmd = command(machine, "-smp", String.valueOf(cpus), "-m", "128M", "-serial", "stdio", "-kernel", elf.toString());
        return finish(cmd, input, 30).requireSuccess(cmd).out();
    }

    /** Writes the device tree QEMU builds for {@code machine} (plus {@code options}) to {@code dtb}. */
    public static void dumpDtb(Path dtb, String machine, String... options) throws IOException, InterruptedException {
        List<String> cmd = command(machine + ",dumpdtb=" + dtb, options);
        finish(cmd, null, 30).requireSuccess(cmd);
    }

    private static Thread drain(InputStream in, ByteArrayOutputStream to) {
        return Thread.ofVirtual().start(() -> {
            try (in) {
                in.transferTo(to);
            } catch (IOException e) {
                // the process was killed
            }
        });
    }

    private static String text(ByteArrayOutputStream b) {
        return b.toString(StandardCharsets.ISO_8859_1);
    }
}
