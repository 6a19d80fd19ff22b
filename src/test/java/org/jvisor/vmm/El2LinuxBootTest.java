package org.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.QemuVirt;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.ProgressListener;
import org.jvisor.testing.BootsLinux;
import org.jvisor.testing.NeedsQemu;

/**
 * Issue 16: Debian's kernel booted with EL2 its own ({@code -M virt,virtualization=on}) starts its built-in
 * KVM, as it does on QEMU 7.2 in the same mode: every CPU enters at EL2, KVM prints the same lines (its vGIC's
 * too: on a GICv3's system registers, or on a GICv2's virtualization frames), and {@code /dev/kvm} exists. The GIC, timer, UART and virtio devices serve it from the guest's own bus.
 */
@BootsLinux
@NeedsQemu
class El2LinuxBootTest {
    private static final long TIMEOUT_SECONDS = 600;

    @TempDir Path tmp;

    private static String boot(int cpus, int gic, List<BoardConfig.Drive> drives) throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        BoardConfig config = new BoardConfig(256L << 20, cpus, gic, false, drives, g.kernel(), g.initrd(),
                "console=ttyAMA0 jvisor.run=\"ls -l /dev/kvm && lsmod\"", false, true, true, Duration.ZERO, null, true);
        BoardRun.Result r = BoardRun.run(config, null, TIMEOUT_SECONDS);
        String c = "\n" + r.console();
        assertEquals(0, r.status(), c + r.log());
        assertEquals("", r.log(), c);
        assertTrue(c.contains("\nJVISOR-EXIT 0\n") && c.contains("reboot: Power down"), c);
        assertTrue(c.contains("CPU: All CPU(s) started at EL2"), c);
        if (cpus > 1) assertTrue(c.contains("smp: Brought up 1 node, " + cpus + " CPUs"), c);
        assertTrue(Pattern.compile("\ncrw------- +1 root +root +10, +232 .*/dev/kvm\n").matcher(c).find(), "/dev/kvm, misc minor 232:\n" + c);
        for (String m : List.of("virtio_mmio", "virtio_rng", "virtio_console"))
            assertTrue(Pattern.compile("\n" + m + "\\s+\\d+").matcher(c).find(), m + " loaded:\n" + c);
        return c;
    }

    /** KVM's lines ("kvm [1]: ..."), without the timestamps. */
    private static List<String> kvmLines(String console) {
        return console.lines().map(l -> l.replaceFirst("^\\[ *[0-9.]+\\] ", "")).filter(l -> l.startsWith("kvm [1]: ")).toList();
    }

    /** The same kernel and initramfs on QEMU 7.2 with the same options. */
    private static String qemu(int cpus, int gic) throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        List<String> cmd = QemuVirt.command("virt,virtualization=on,gic-version=" + gic, "-smp", String.valueOf(cpus), "-m", "256M",
                "-serial", "stdio", "-no-reboot", "-kernel", g.kernel().toString(), "-initrd", g.initrd().toString(),
                "-append", "console=ttyAMA0 readyoff");
        return QemuVirt.finish(cmd, null, 120).requireSuccess(cmd).out().replace("\r", "");
    }

    private static void kvmAsOnQemu(int cpus, int gic) throws Exception {
        String ours = boot(cpus, gic, List.of());
        String theirs = qemu(cpus, gic);
        List<String> expected = kvmLines(theirs);
        assertTrue(expected.contains("kvm [1]: vgic interrupt IRQ9"), "QEMU's run:\n" + theirs);
        assertTrue(expected.contains("kvm [1]: Hyp mode initialized successfully"), "QEMU's run:\n" + theirs);
        assertEquals(expected.stream().collect(Collectors.joining("\n")), kvmLines(ours).stream().collect(Collectors.joining("\n")), ours);
    }

    @Test
    void oneCpuGicV2() throws Exception { kvmAsOnQemu(1, 2); }

    @Test
    void twoCpusGicV3() throws Exception { kvmAsOnQemu(2, 3); }
}
