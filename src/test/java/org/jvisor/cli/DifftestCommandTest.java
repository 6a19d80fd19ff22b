package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsQemu;

@NeedsQemu
class DifftestCommandTest {
    private record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int status = Main.execute(args);
            return new Run(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void endsWithTheSummaryLine() {
        Run r = run("difftest", "--count", "50", "--seed", "3", "--groups", "branch,dp");
        assertEquals(0, r.status(), r.out() + r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals("50 sequences, 0 mismatches (translation: off)", lines[lines.length - 1]);
    }

    @Test
    void fpAndSimdGroupsRun() {
        Run r = run("difftest", "--count", "40", "--seed", "4", "--groups", "fp,simd");
        assertEquals(0, r.status(), r.out() + r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals("40 sequences, 0 mismatches (translation: off)", lines[lines.length - 1]);
    }

    @Test
    void theTranslationModeIsAppliedAndNamedInTheSummary() {
        Run r = run("difftest", "--count", "30", "--seed", "5", "--groups", "dp,branch", "--translate", "FORCE");
        assertEquals(0, r.status(), r.out() + r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals("30 sequences, 0 mismatches (translation: force)", lines[lines.length - 1]);
    }

    @Test
    void aBadTranslationModeIsOneLineAndAnError() {
        Run r = run("difftest", "--count", "1", "--translate", "always");
        assertEquals(2, r.status());
        assertEquals("jvisor: Invalid value for option '--translate': translation must be off, on or force,"
                + " not 'always'", r.err().strip());
        assertEquals("", r.out());
    }

    @Test
    void anUnknownGroupIsAUserError() {
        Run r = run("difftest", "--count", "1", "--groups", "vector");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("unknown group 'vector'"), r.err());
    }
}
