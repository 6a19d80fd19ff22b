package org.jvisor.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jvisor.cpu.QemuVirt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.testing.BootsLinux;
import org.jvisor.testing.NeedsQemu;
import org.jvisor.testing.NeedsTools;

/**
 * The default guest booted on the reference machine, QEMU's virt board with virtio-mmio devices, to show
 * that the initramfs and its /init do what jvisor's own boot relies on: the modules load, JVISOR-READY is
 * printed, {@code readyoff} and {@code jvisor.run} power off, and an ext4 disk made by the host mounts.
 */
@BootsLinux
@NeedsQemu
class DefaultGuestQemuBootTest {
    @TempDir Path tmp;

    private String boot(String append, Path disk) throws Exception {
        return boot(append, disk, null);
    }

    private String boot(String append, Path disk, String input) throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        List<String> cmd = QemuVirt.command("virt", "-m", "256M", "-serial", "stdio", "-no-reboot",
                "-kernel", g.kernel().toString(), "-initrd", g.initrd().toString(), "-append", "console=ttyAMA0 " + append,
                "-device", "virtio-rng-device", "-device", "virtio-serial-device", "-chardev", "null,id=c1",
                "-device", "virtconsole,chardev=c1");
        if (disk != null) {
            cmd.addAll(List.of("-drive", "if=none,format=raw,id=d0,file=" + disk, "-device", "virtio-blk-device,drive=d0"));
        }
        QemuConsole.Result r = QemuConsole.run(cmd, input, 240);
        String console = r.console();
        assertEquals(0, r.status(), () -> "QEMU exited with status " + r.status() + "; its output (stderr included):" + console);
        assertFalse(console.contains("failed"), console);
        assertTrue(console.contains("\nJVISOR-READY\n"), console);
        return console;
    }

    @Test
    void readyoffPowersOffRightAfterTheMarker() throws Exception {
        String console = boot("quiet readyoff", null);
        assertFalse(console.contains("JVISOR-EXIT"), console);
        assertTrue(console.contains("reboot: Power down"), console);
    }

    @Test
    void withoutACommandAShellRunsOnTheConsoleAndItsExitPowersOff() throws Exception {
        String console = boot("quiet", null, "echo $((6 * 7)) $HOME; tty; exit\n");
        assertTrue(console.contains("\n42 /home/root\n/dev/ttyAMA0\n"), "a shell with the console as its terminal:\n" + console);
        assertTrue(console.contains("reboot: Power down"), console);
    }

    @NeedsTools
    @Test
    void runsTheCommandLinesCommandWithTheVirtioDevicesAndAnExt4Disk() throws Exception {
        Path files = Files.createDirectories(tmp.resolve("files"));
        Files.writeString(files.resolve("hello"), "hello from an ext4 disk\n");
        Path disk = tmp.resolve("disk.img");
        Process mkfs = new ProcessBuilder("mke2fs", "-q", "-F", "-t", "ext4", "-d", files.toString(), disk.toString(), "8M")
                .redirectErrorStream(true).start();
        String mkfsOut = new String(mkfs.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, mkfs.waitFor(), mkfsOut);

        String console = boot("quiet jvisor.run=\"mount /dev/vda /mnt && cat /mnt/hello && ls -1 /dev/hvc0 /dev/hwrng"
                + " && cat /sys/class/misc/hw_random/rng_current && pwd && echo written > /mnt/new\"", disk);
        assertTrue(console.contains("\nhello from an ext4 disk\n/dev/hvc0\n/dev/hwrng\nvirtio_rng.0\n/home/root\nJVISOR-EXIT 0\n"), console);

        // the file written (disk still mounted) reached the image: /init syncs before powering off
        String again = boot("quiet jvisor.run=\"mount -o ro /dev/vda /mnt && cat /mnt/new\"", disk);
        assertTrue(again.contains("\nwritten\nJVISOR-EXIT 0\n"), again);

        String failing = boot("quiet jvisor.run=false", null);
        assertTrue(failing.contains("\nJVISOR-EXIT 1\n"), failing);
    }
}
