package org.jvisor.difftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every static Linux program of {@code src/test/resources/linux}, run in jvisor and under QEMU (see
 * {@link LinuxPrograms}): the same standard output and exit status. A failure names the first instruction
 * jvisor could not run, or the first line that differs.
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

    @Test
    void glibcStartupAndStdio() throws Exception {
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
    void conversionsDecimalIntegerAndHalfPrecision() throws Exception {
        LinuxPrograms.check("convert");
    }

    @Test
    void arithmeticInEveryRoundingModeWithFlushToZeroAndDefaultNan() throws Exception {
        LinuxPrograms.check("arith");
    }

    @Test
    void aesShaPmullAndCrc32Intrinsics() throws Exception {
        LinuxPrograms.check("crypto");
    }

    @Test
    void vectorisedLoops() throws Exception {
        LinuxPrograms.check("vector");
    }

    @Test
    void neonIntegerIntrinsicsAtLaneLimitsWithSaturation() throws Exception {
        LinuxPrograms.check("neon_int");
    }
}
