package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The boot benchmark measures both machines on the same guest (here a bare-metal one printing the marker). */
class BootBenchCommandTest {
    @Test
    void timesJvisorAndQemuToTheMarker(@TempDir Path dir) throws Exception {
        Path kernel = RunCommandTest.hello(dir);
        Path initrd = Files.write(dir.resolve("initrd"), new byte[4096]);
        RunCommandTest.Result r = RunCommandTest.run("bench", "boot", "-kernel", kernel.toString(), "-initrd", initrd.toString(),
                "--marker", "hello from the virt board", "--runs", "1", "--timeout", "120");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(Pattern.compile("median: jvisor \\d+\\.\\d\\d s, qemu \\d+\\.\\d\\d s, jvisor/qemu \\d+\\.\\d\\d\n").matcher(r.out()).find(), r.out());
    }
}
