package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsQemu;
import org.jvisor.vmm.BoardConfig;

/**
 * {@code -m} larger than the host's memory: refused in one line, as qemu-system-aarch64 refuses it under
 * Linux's default overcommit policy, unless {@code --ram-overcommit}; then the guest boots (its RAM is
 * mapped lazily, and this one touches a few pages of it).
 */
@NeedsCross
@NeedsQemu
class GuestRamTest {
    /** The kernel's own count of RAM + swap, what its overcommit heuristic weighs one mapping against. */
    private static long hostRamAndSwap() throws Exception {
        long kib = 0;
        for (String l : Files.readAllLines(Path.of("/proc/meminfo")))
            if (l.startsWith("MemTotal:") || l.startsWith("SwapTotal:")) kib += Long.parseLong(l.replaceAll("[^0-9]", ""));
        return kib << 10;
    }

    @Test
    void moreThanTheHostHasIsRefusedAsQemuDoesUnlessOvercommitIsAsked(@TempDir Path dir) throws Exception {
        long host = hostRamAndSwap();
        String m = ((host >> 30) + 2) + "G";
        assumeTrue(((host >> 30) + 2) << 30 <= BoardConfig.MAX_RAM, "this host has more memory than the virt board can give a guest");
        Path kernel = RunCommandTest.hello(dir);

        RunCommandTest.Result r = RunCommandTest.run("run", "-kernel", kernel.toString(), "-m", m);
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].startsWith("jvisor: -m " + m + ": more than this host's memory (") && lines[0].endsWith("(--ram-overcommit allows it)"),
                lines[0]);
        RunCommandTest.Result experiment = RunCommandTest.run("experiment", "traps", "-m", m, "-o", dir.resolve("out").toString());
        assertEquals(2, experiment.status(), experiment.err());
        assertTrue(experiment.err().startsWith("jvisor: -m " + m + ": more than this host's memory"), experiment.err());

        // The reference: QEMU's one mapping of guest RAM is refused by Linux's heuristic (mode 0, the default).
        if (Files.readString(Path.of("/proc/sys/vm/overcommit_memory")).strip().equals("0")) {
            RunCommandTest.Result q = Processes.run(Processes.qemu(kernel, "-m", m, "-nodefaults", "-display", "none", "-serial", "stdio"), Map.of(), null);
            assertEquals(1, q.status(), q.out() + q.err());
            assertTrue(q.err().contains("cannot set up guest memory 'mach-virt.ram': Cannot allocate memory"), q.err());
        }

        RunCommandTest.Result over = RunCommandTest.run("run", "-kernel", kernel.toString(), "-m", m, "--ram-overcommit");
        assertEquals(0, over.status(), over.err());
        assertEquals("hello from the virt board\n", over.out(), over.err());
    }
}
