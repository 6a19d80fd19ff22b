package org.jvisor.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.QemuVirt;
import org.jvisor.testing.BootsLinux;
import org.jvisor.testing.NeedsGuest;
import org.jvisor.testing.NeedsQemu;

/**
 * The programs of {@link DefaultGuest#withKvm} on the reference machine: QEMU 7.2's virt board with
 * {@code virtualization=on,gic-version=3} boots the default guest's kernel at EL2, where it starts KVM (non-VHE
 * on the Cortex-A57), and the programs run on that KVM. Each run takes ~5 s for kvm-hello-world and ~10-15 s
 * for a nested boot on this machine; the timeouts are generous for a loaded one.
 */
@BootsLinux
@NeedsQemu
@NeedsGuest
class KvmGuestQemuTest {
    private static final int TIMEOUT_SECONDS = 240;

    /** The outer guest's RAM: its initramfs holds the nested kernel (33 MiB), and the nested guest has 256 MiB. */
    private static final String RAM = "384M";

    @Test
    void kvmHelloWorldPrintsTheGuestsResultAndItsMmioExits() throws Exception {
        String console = boot("quiet jvisor.run=kvm-hello-world", null);
        assertEquals(12586269025L, KvmHelloWorldOutput.fibonacci(50));
        assertTrue(console.contains(KvmHelloWorldOutput.expected()), console);
    }

    @Test
    void kvmVmmBootsTheNestedGuestToItsShell() throws Exception {
        // The first prompt is the nested guest's: the outer one runs nested-linux instead of a shell.
        String console = boot("quiet jvisor.run=\"nested-linux quiet\"",
                "echo nested $((6 * 7)); cat /proc/cmdline; uname -r; poweroff -f\n");
        String release = DefaultGuest.obtain(ProgressListener.NONE).kernelVersion();
        assertTrue(console.contains("\nnested 42\nconsole=ttyAMA0 quiet\n" + release + "\n"), console);
        assertTrue(console.contains("\nkvm-vmm: the guest powered off\nJVISOR-EXIT 0\n"), console);
        assertEquals(2, console.lines().filter("JVISOR-READY"::equals).count(), "both guests reach /init's marker:\n" + console);
    }

    @Test
    void kvmVmmStartsASecondVcpuThroughKvmsPsci() throws Exception {
        String console = boot("quiet jvisor.run=\"NESTED_CPUS=2 nested-linux quiet jvisor.run=nproc\"", null);
        assertTrue(console.contains("\n2\nJVISOR-EXIT 0\n"), console);
        assertTrue(console.contains("\nkvm-vmm: the guest powered off\nJVISOR-EXIT 0\n"), console);
    }

    @Test
    void withoutEl2ThereIsNoDevKvmAndTheProgramsSaySo() throws Exception {
        String console = boot("virt,gic-version=3", "quiet jvisor.run=\"kvm-hello-world; kvm-vmm -k nested/Image\"", null);
        String why = ": /dev/kvm: No such file or directory (this kernel must run at EL2 with KVM: under jvisor or QEMU,"
                + " -M virt,virtualization=on)\n";
        assertTrue(console.contains("\nkvm-hello-world" + why + "kvm-vmm" + why + "JVISOR-EXIT 1\n"), console);
    }

    /**
     * Boots {@link DefaultGuest#withKvm} under QEMU until it powers off; {@code input}, if any, is typed once
     * the first shell prompt shows (a PL011 driver that is starting drops what came before). QEMU is killed
     * if it has not finished in time, and the test fails with what it printed.
     */
    private static String boot(String append, String input) throws Exception {
        return boot("virt,virtualization=on,gic-version=3", append, input);
    }

    private static String boot(String machine, String append, String input) throws Exception {
        GuestImage g = DefaultGuest.obtainWithKvm(ProgressListener.NONE);
        List<String> cmd = QemuVirt.command(machine, "-m", RAM, "-serial", "stdio",
                "-no-reboot", "-kernel", g.kernel().toString(), "-initrd", g.initrd().toString(),
                "-append", "console=ttyAMA0 " + append);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
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
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
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
            assertTrue(finished, () -> "the guest did not power off within " + TIMEOUT_SECONDS + " s; it printed:" + console);
            assertEquals(0, p.exitValue(), () -> "QEMU exited with status " + p.exitValue() + "; its output:" + console);
            return console;
        } finally {
            p.destroyForcibly();
        }
    }
}
