package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvisor classify}: the table, the CSV, Theorem 1's answer, and bad options. */
class ClassifyCommandTest {
    @Test
    void tableOfCriticalRowsAndTheAnswerForBothDefaultSettings() {
        RunCommandTest.Result r = RunCommandTest.run("classify", "--only", "critical");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
        String out = r.out();
        assertTrue(out.contains("== linux: arm64 Linux 6.1's settings"), out);
        assertTrue(out.contains("== strictest: every EL0 enable off"), out);
        // Under Linux's settings CNTKCTL_EL1.EL0VCTEN lets EL0 read CNTVCT_EL0, which depends on CNTVOFF_EL2.
        assertTrue(out.lines().anyMatch(l -> l.matches("MRS X0, CNTVCT_EL0 +- +- +yes +yes +differs with VPIDR/VMPIDR/CNTVOFF_EL2 set: X0")), out);
        // --only critical keeps no privileged row.
        assertTrue(out.lines().noneMatch(l -> l.startsWith("MSR SCTLR_EL1")), out);
        assertTrue(out.contains("Theorem 1 under 'linux'"), out);
        assertTrue(out.contains("Theorem 1 under 'strictest'"), out);
        assertTrue(out.contains("Sensitive is a subset of privileged: no."), out);
    }

    @Test
    void csvHasTheSameRowsAsTheTable(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("classify.csv");
        RunCommandTest.Result r = RunCommandTest.run("classify", "--setting", "strictest", "--csv", csv.toString());
        assertEquals(0, r.status(), r.err());
        List<String> lines = Files.readAllLines(csv);
        assertEquals("setting,instruction,group,encoding,privileged,traps_at_el0_and_el1,control_sensitive,"
                + "behaviour_sensitive,critical,trap,state_changed,result_differed", lines.get(0));
        List<String> tableRows = r.out().lines().dropWhile(l -> !l.startsWith("INSTRUCTION"))
                .skip(1).takeWhile(l -> !l.isEmpty() && !l.startsWith("Not implemented")).toList();
        assertEquals(tableRows.size(), lines.size() - 1);
        // MSR SCTLR_EL1 at EL0 is UNDEFINED (EC 0x00); at EL1 it changes SCTLR_EL1 and with it translation.
        String sctlr = lines.stream().filter(l -> l.startsWith("strictest,\"MSR SCTLR_EL1, X0\",")).findFirst().orElseThrow();
        assertTrue(sctlr.startsWith("strictest,\"MSR SCTLR_EL1, X0\",MSR,0xd5181000,yes,no,yes,no,no,\"EL0: UNKNOWN (EC 0x0) to EL1"), sctlr);
        assertTrue(r.out().contains("CSV: " + csv), r.out());
    }

    @Test
    void csvToStandardOutputIsOnlyCsv() {
        RunCommandTest.Result r = RunCommandTest.run("classify", "--setting", "linux", "--only", "critical", "--csv", "-");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("setting,instruction,"), r.out());
        assertTrue(lines.size() > 1, r.out());
        // critical: not privileged, not trapping at both, sensitive one way or the other
        for (String l : lines.subList(1, lines.size()))
            assertTrue(l.matches("linux,.*,0x[0-9a-f]{8},no,no,(yes|no),(yes|no),yes,.*"), l);
    }

    @Test
    void badOptionsGiveOneLine() {
        RunCommandTest.Result r = RunCommandTest.run("classify", "--setting", "lax");
        assertEquals(2, r.status());
        assertEquals("jvisor: --setting: no setting 'lax' (choose from linux, strictest, permissive)\n", r.err());
        r = RunCommandTest.run("classify", "--only", "nice");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("jvisor: Invalid value for option '--only'") && r.err().lines().count() == 1, r.err());
        r = RunCommandTest.run("classify", "--csv", "/no/such/dir/x.csv");
        assertEquals(2, r.status());
        assertEquals("jvisor: --csv /no/such/dir/x.csv: no such directory /no/such/dir\n", r.err());
    }
}
