package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsQemu;

@NeedsQemu
class DifftestCommandTest {
    @Test
    void endsWithTheSummaryLine() {
        RunCommandTest.Result r = RunCommandTest.run("difftest", "--count", "50", "--seed", "3", "--groups", "branch,dp");
        assertEquals(0, r.status(), r.out() + r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals("50 sequences, 0 mismatches (translation: off)", lines[lines.length - 1]);
    }

    @Test
    void fpAndSimdGroupsRun() {
        RunCommandTest.Result r = RunCommandTest.run("difftest", "--count", "40", "--seed", "4", "--groups", "fp,simd");
        assertEquals(0, r.status(), r.out() + r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals("40 sequences, 0 mismatches (translation: off)", lines[lines.length - 1]);
    }

    @Test
    void theTranslationModeIsAppliedAndNamedInTheSummary() {
        RunCommandTest.Result r = RunCommandTest.run("difftest", "--count", "30", "--seed", "5", "--groups", "dp,branch", "--translate", "FORCE");
        assertEquals(0, r.status(), r.out() + r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals("30 sequences, 0 mismatches (translation: force)", lines[lines.length - 1]);
    }

    @Test
    void aBadTranslationModeIsOneLineAndAnError() {
        RunCommandTest.Result r = RunCommandTest.run("difftest", "--count", "1", "--translate", "always");
        assertEquals(2, r.status());
        assertEquals("jvisor: Invalid value for option '--translate': translation must be off, on or force,"
                + " not 'always'", r.err().strip());
        assertEquals("", r.out());
    }

    @Test
    void anUnknownGroupIsAUserError() {
        RunCommandTest.Result r = RunCommandTest.run("difftest", "--count", "1", "--groups", "vector");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("unknown group 'vector'"), r.err());
    }
}
