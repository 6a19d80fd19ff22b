package org.jvisor.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
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

    /** QEMU's default GIC, a GICv2 with the virtualization extensions: KVM has no vgic-v3, and kvm-vmm falls back to a vgic-v2. */
    @Test
    void kvmVmmBootsTheNestedGuestOnAGicV2() throws Exception {
        String console = boot("virt,virtualization=on", "quiet jvisor.run=\"nested-linux quiet\"",
                "echo nested $((6 * 7)); grep -c GIC-0 /proc/interrupts; poweroff -f\n");
        assertTrue(Pattern.compile("\nnested 42\n[1-9]\\d*\n").matcher(console).find(),
                "the nested guest's interrupts come from a GICv2 (\"GIC-0\" in /proc/interrupts):" + console);
        assertTrue(console.contains("\nkvm-vmm: the guest powered off\nJVISOR-EXIT 0\n"), console);
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
        QemuConsole.Result r = QemuConsole.run(cmd, input, TIMEOUT_SECONDS);
        assertEquals(0, r.status(), () -> "QEMU exited with status " + r.status() + "; its output:" + r.console());
        return r.console();
    }
}
