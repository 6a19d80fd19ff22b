package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsQemu;

/** The boot benchmark measures both machines on the same guest (here a bare-metal one printing the marker). */
@NeedsCross
class BootBenchCommandTest {
    @NeedsQemu
    @Test
    void timesJvisorAndQemuToTheMarker(@TempDir Path dir) throws Exception {
        Path kernel = RunCommandTest.hello(dir);
        Path initrd = Files.write(dir.resolve("initrd"), new byte[4096]);
        RunCommandTest.Result r = RunCommandTest.run("bench", "boot", "-kernel", kernel.toString(), "-initrd", initrd.toString(),
                "--marker", "hello from the virt board", "--runs", "1", "--timeout", "120", "--translate", "off,on");
        assertEquals(0, r.status(), r.out() + r.err());
        // one row per translation mode, then QEMU's; each mode's time over QEMU's
        Matcher m = Pattern.compile("\n  run 1:  jvisor off +(\\d+\\.\\d\\d) s  jvisor on +(\\d+\\.\\d\\d) s  qemu +(\\d+\\.\\d\\d) s\n"
                + "task  machine +median s  jvisor/qemu\n"
                + "boot  jvisor off +\\1 +(\\d+\\.\\d\\d)\n"
                + "boot  jvisor on +\\2 +(\\d+\\.\\d\\d)\n"
                + "boot  qemu +\\3\n$").matcher(r.out());
        assertTrue(m.find(), r.out());
        double qemu = Double.parseDouble(m.group(3));
        for (int mode = 1; mode <= 2; mode++) {
            double ratio = Double.parseDouble(m.group(mode + 3));
            // the times are shown to 0.005 s, the ratio (of the unrounded times) to 0.005
            assertEquals(Double.parseDouble(m.group(mode)) / qemu, ratio, 0.0051 * (1 + ratio) / qemu + 0.0051, r.out());
        }
    }

    /** A QEMU (or jvisor) that exits before the marker: one line with its status and stderr, at once, not at the timeout. */
    @Test
    void aMachineThatExitsEarlyIsReportedAtOnceWithItsStderr(@TempDir Path dir) throws Exception {
        Path kernel = RunCommandTest.hello(dir);
        Path initrd = Files.write(dir.resolve("initrd"), new byte[4096]);
        Path qemu = Files.writeString(dir.resolve("qemu"), """
                #!/bin/sh
                echo 'qemu-system-aarch64: failed to find romfile "efi-virtio.rom"' >&2
                echo 'and a second line' >&2
                exit 3
                """);
        assertTrue(qemu.toFile().setExecutable(true));
        long t0 = System.nanoTime();
        RunCommandTest.Result r = RunCommandTest.run("bench", "boot", "-kernel", kernel.toString(), "-initrd", initrd.toString(),
                "--marker", "hello from the virt board", "--runs", "1", "--timeout", "300", "--qemu", qemu.toString());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(2, r.status(), r.out() + r.err());
        assertEquals("jvisor: " + qemu + " exited with status 3 before printing 'hello from the virt board': "
                + "qemu-system-aarch64: failed to find romfile \"efi-virtio.rom\" and a second line\n", r.err());
        assertTrue(Pattern.compile("\n  run 1:  jvisor \\w+ +\\d+\\.\\d\\d s\n$").matcher(r.out()).find(), "the run's line ended:\n" + r.out());
        assertTrue(seconds < 60, "reported after " + seconds + " s");

        Path missing = dir.resolve("missing");
        RunCommandTest.Result j = RunCommandTest.run("bench", "boot", "-kernel", missing.toString(), "-initrd", initrd.toString(),
                "--runs", "1", "--timeout", "300", "--no-qemu");
        assertEquals(2, j.status(), j.out() + j.err());
        assertTrue(j.err().startsWith("jvisor: jvisor run exited with status 2 before printing 'JVISOR-READY': jvisor: "), j.err());
        assertTrue(j.err().contains(missing.toString()) && j.err().indexOf('\n') == j.err().length() - 1, j.err());
    }

    /** -M reaches the machine; --marker-count waits for the N-th marker ("o" is printed 3 times by the guest's hello line). */
    @Test
    void machineOptionsAndTheNthMarker(@TempDir Path dir) throws Exception {
        Path kernel = RunCommandTest.hello(dir);
        Path initrd = Files.write(dir.resolve("initrd"), new byte[4096]);
        RunCommandTest.Result r = RunCommandTest.run("bench", "boot", "-M", "virt,gic-version=3", "-kernel", kernel.toString(),
                "-initrd", initrd.toString(), "--marker", "o", "--marker-count", "3", "--runs", "1", "--timeout", "120", "--no-qemu");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("; -M virt,gic-version=3, 1 vCPU(s); process start to 'o' x3, 1 runs each"), r.out());

        RunCommandTest.Result four = RunCommandTest.run("bench", "boot", "-kernel", kernel.toString(), "-initrd", initrd.toString(),
                "--marker", "o", "--marker-count", "4", "--runs", "1", "--timeout", "120", "--no-qemu");
        assertEquals(2, four.status(), four.out() + four.err());
        assertTrue(four.err().startsWith("jvisor: jvisor run exited with status 0 before printing 'o' 4 times"), four.err());

        RunCommandTest.Result bad = RunCommandTest.run("bench", "boot", "-M", "pc", "-kernel", kernel.toString(), "-initrd", initrd.toString(),
                "--runs", "1", "--no-qemu");
        assertEquals(2, bad.status(), bad.out() + bad.err());
        assertTrue(bad.err().startsWith("jvisor: jvisor run exited with status 2 before printing 'JVISOR-READY': jvisor: -M pc"), bad.err());
    }
}
