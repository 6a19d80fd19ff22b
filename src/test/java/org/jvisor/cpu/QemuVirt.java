package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A bare-metal program on the reference machine, qemu-system-aarch64's virt board with a Cortex-A57. */
public final class QemuVirt {
    private QemuVirt() {}

    /**
     * The program's UART output (stdout is exactly the UART with these flags), with {@code input} (or
     * nothing) on the UART's receive side; the program must power off within 30 s, with status 0 if
     * {@code checkStatus}.
     */
    public static String run(Path elf, String machine, int cpus, Path input, boolean checkStatus)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder("qemu-system-aarch64", "-M", machine, "-cpu", "cortex-a57", "-smp", String.valueOf(cpus),
                "-m", "128M", "-nic", "none", "-display", "none", "-monitor", "none", "-serial", "stdio", "-kernel", elf.toString())
                .redirectInput(input != null ? input.toFile() : new File("/dev/null"))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (var in = p.getInputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // the process was killed
            }
        });
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join(1000);
            throw new AssertionError("QEMU did not power off within 30 s; it printed:\n" + out.toString(StandardCharsets.ISO_8859_1));
        }
        reader.join();
        if (checkStatus) assertEquals(0, p.exitValue(), "QEMU exit status");
        return out.toString(StandardCharsets.ISO_8859_1);
    }
}
