package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.testing.NeedsCross;

/** {@code jvisor run --trace-traps MS}: a run shorter than a period still ends with the final counters' line. */
@NeedsCross
class TraceTrapsOptionTest {
    @Test
    void aShortRunPrintsItsFinalCounters(@TempDir Path dir) throws Exception {
        RunCommandTest.Result r = RunCommandTest.run("run", "-kernel", RunCommandTest.hello(dir).toString(), "-m", "64M",
                "-monitor", "none", "--trace-traps", "60000");
        assertEquals(0, r.status(), r.err());
        assertEquals("hello from the virt board\n", r.out());
        // per character the program polls UARTFR and writes UARTDR: two IO traps each; its one page of code and
        // data: one MEM trap; PSCI SYSTEM_OFF's HVC: one CPU trap
        int io = 2 * "hello from the virt board\n".length();
        assertTrue(r.err().matches("\\[000\\] \\d+\\.\\d{6}: kvm_vm_hw2: CPU trap 1, MEM trap 1, IO trap " + io + "\\R"), r.err());
    }
}
