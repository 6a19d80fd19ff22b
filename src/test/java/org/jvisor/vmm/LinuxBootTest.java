package org.jvisor.vmm;

import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.ProgressListener;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Year;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5's acceptance: Debian's arm64 kernel with the default guest's busybox initramfs boots on the virt
 * board to a shell, with one and two vCPUs, GICv2 and GICv3; the shell's answers come from the devices
 * (GIC, timer, PL011, PL031, virtio); a virtio disk is formatted, written, and read back on the next boot.
 * The guest comes from {@link DefaultGuest} (Debian's packages through apt, cached between runs).
 */
public class LinuxBootTest {
    private static final long TIMEOUT_SECONDS = 600;
    @TempDir Path tmp;

    record Boot(int status, String console, String log) {}

    /** Boots, types {@code input} at the shell prompt (if any), and waits for the guest to power off. */
    static Boot boot(int cpus, int gic, String append, List<BoardConfig.Drive> drives, String input) throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        BoardConfig config = new BoardConfig(256L << 20, cpus, gic, true, drives, g.kernel(), g.initrd(),
                "console=ttyAMA0 " + append, false);
        BoardRun.Result r = BoardRun.run(config, input, TIMEOUT_SECONDS);
        return new Boot(r.status(), "\n" + r.console(), r.log());
    }

    private static void assertBooted(Boot b) {
        assertEquals(0, b.status(), b.console() + b.log());
        assertEquals("", b.log(), b.console());
        assertTrue(b.console().contains("\nJVISOR-READY\n"), b.console());
        assertFalse(b.console().contains("insmod") && b.console().contains("failed"), b.console());
        assertTrue(b.console().contains("reboot: Power down"), b.console());
    }

    /** The shell's view of the board: uname, interrupts, CPUs, date from the RTC, poweroff. */
    private static void shellSeesTheBoard(int cpus, int gic) throws Exception {
        Boot b = boot(cpus, gic, "", List.of(),
                "uname -a; cat /proc/interrupts; cat /proc/cpuinfo; echo year=$(date +%Y); poweroff -f\n");
        assertBooted(b);
        String c = b.console();
        assertTrue(Pattern.compile("\nLinux \\S+ 6\\.1\\.\\S+ #1 SMP Debian .* aarch64 GNU/Linux\n").matcher(c).find(), c);
        // /proc/interrupts: the timer ticks on every CPU, the UART took the typed line, all through this GIC
        Matcher timer = Pattern.compile("\n\\s*\\d+:((?:\\s+\\d+){" + cpus + "})\\s+(?:GIC-0|GICv3)\\s+27 Level\\s+arch_timer\n").matcher(c);
        assertTrue(timer.find(), "arch_timer on PPI 27:\n" + c);
        for (String n : timer.group(1).trim().split("\\s+")) assertTrue(Long.parseLong(n) > 0, "timer ticks on every CPU: " + timer.group());
        assertTrue(Pattern.compile("(?:GIC-0|GICv3)\\s+33 Level\\s+uart-pl011\n").matcher(c).find(), c);
        assertTrue(Pattern.compile("(?:GIC-0|GICv3)\\s+34 Level\\s+rtc-pl031\n").matcher(c).find(), c);
        assertTrue(gic == 3 ? c.contains("GICv3: 224 SPIs implemented") && c.contains(" GICv3  27 Level") : c.contains(" GIC-0  27 Level"), c);
        if (cpus > 1) assertTrue(c.contains("IPI0:") && c.contains("smp: Brought up 1 node, " + cpus + " CPUs"), c);
        // /proc/cpuinfo: one entry per vCPU, a Cortex-A57 with the features the processor advertises
        assertEquals(cpus, Pattern.compile("\nprocessor\\s+: \\d+\n").matcher(c).results().count(), c);
        assertTrue(c.contains("CPU part\t: 0xd07") && c.contains("CPU implementer\t: 0x41"), c);
        assertTrue(Pattern.compile("Features\\s+: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid").matcher(c).find(), c);
        // date: the RTC gives the kernel the host's time
        int year = Year.now().getValue();
        assertTrue(c.contains("\nyear=" + year + "\n") || c.contains("\nyear=" + (year + 1) + "\n"), c);
    }

    @Test
    void oneCpuGicV2() throws Exception { shellSeesTheBoard(1, 2); }

    @Test
    void twoCpusGicV3() throws Exception { shellSeesTheBoard(2, 3); }

    /** virtio_mmio, virtio_blk, virtio_console load; a disk is formatted and written, and keeps its data across boots. */
    @Test
    void diskKeepsItsDataAcrossBoots() throws Exception {
        Path disk = tmp.resolve("disk.img");
        try (var f = java.nio.channels.FileChannel.open(disk, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            f.truncate(0).write(java.nio.ByteBuffer.wrap(new byte[1]), (32L << 20) - 1);
        }
        List<BoardConfig.Drive> drives = List.of(new BoardConfig.Drive(disk, false));
        Boot first = boot(2, 2, "jvisor.run=\"lsmod && ls -1 /dev/vda /dev/hvc0 && mke2fs -q /dev/vda && mount /dev/vda /mnt"
                + " && echo jvisor-was-here > /mnt/note && umount /mnt\"", drives, null);
        assertBooted(first);
        for (String m : List.of("virtio_mmio", "virtio_blk", "virtio_console", "virtio_rng"))
            assertTrue(Pattern.compile("\n" + m + "\\s+\\d+").matcher(first.console()).find(), m + " loaded:\n" + first.console());
        assertTrue(first.console().contains("\n/dev/hvc0\n/dev/vda\n") || first.console().contains("\n/dev/vda\n/dev/hvc0\n"), first.console());
        assertTrue(first.console().contains("JVISOR-EXIT 0"), first.console());
        byte[] image = Files.readAllBytes(disk);
        assertTrue(new String(image, StandardCharsets.ISO_8859_1).contains("jvisor-was-here"), "the write reached the image file");

        Boot second = boot(1, 3, "jvisor.run=\"mount /dev/vda /mnt && cat /mnt/note\"", drives, null);
        assertBooted(second);
        assertTrue(second.console().contains("\njvisor-was-here\nJVISOR-EXIT 0\n"), second.console());
    }
}
