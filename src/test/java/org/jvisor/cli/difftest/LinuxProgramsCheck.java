package org.jvisor.cli.difftest;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every static Linux program of {@code src/test/resources/linux}, run in jvisor and under QEMU (see
 * {@link LinuxPrograms}). Not in the default run (the class name does not end in Test) until the FP/SIMD
 * instructions they need are on main: {@code mvn test -Dtest=LinuxProgramsCheck}. Each test fails, naming
 * the first instruction jvisor could not run or the first line that differs.
 */
class LinuxProgramsCheck {
    @BeforeAll
    static void qemu() {
        QemuRunner.checkAvailable();
    }

    @Test
    void startup() throws Exception {
        LinuxPrograms.check("startup");
    }

    @Test
    void hello() throws Exception {
        LinuxPrograms.check("hello");
    }

    @Test
    void printfOfDoublesAndFloats() throws Exception {
        LinuxPrograms.check("printf");
    }

    @Test
    void mathFunctionsRoundingModesAndFlags() throws Exception {
        LinuxPrograms.check("math");
    }

    @Test
    void stringFunctionsAtEveryAlignment() throws Exception {
        LinuxPrograms.check("strings");
    }

    @Test
    void vectorisedLoops() throws Exception {
        LinuxPrograms.check("vector");
    }
}
