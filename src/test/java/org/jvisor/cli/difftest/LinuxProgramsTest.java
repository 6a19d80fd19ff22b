package org.jvisor.cli.difftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Static Linux programs that pass in jvisor, in the default run. {@link LinuxProgramsCheck} has all of them
 * (run it with {@code -Dtest=LinuxProgramsCheck}); a program moves here once it passes on main.
 */
class LinuxProgramsTest {
    @BeforeAll
    static void qemu() {
        QemuRunner.checkAvailable();
    }

    @Test
    void startupWithoutLibc() throws Exception {
        LinuxUserRunner.Result r = LinuxPrograms.check("startup");
        assertEquals(3, r.exitStatus());
        assertTrue(r.stdoutText().contains("mmap zeroed=1\n"), r.stdoutText());
        assertTrue(r.unknownSyscalls().isEmpty(), r.unknownSyscalls().toString());
    }
}
