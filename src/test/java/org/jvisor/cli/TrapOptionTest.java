package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.testing.NeedsCross;

/** {@code --trap}: a misspelt set is one line, help lists the controls, a valid set runs the guest. */
@NeedsCross
class TrapOptionTest {
    @Test
    void badSetsAreOneLine() {
        for (String[] c : new String[][] {{"most", "'most' is not a trap level"}, {"kvm,+TXX", "'TXX' is not a trap"},
                {"kvm,TVM", "+NAME or -NAME"}}) {
            RunCommandTest.Result r = RunCommandTest.run("run", "--trap", c[0]);
            assertEquals(2, r.status(), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("jvisor: --trap " + c[0] + ": ") && r.err().contains(c[1]), r.err());
        }
        RunCommandTest.Result r = RunCommandTest.run("run", "--trap", "all", "-M", "virt,virtualization=on");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("the guest's own hypervisor decides"), r.err());
    }

    @Test
    void theExperimentChecksItsTrapSetsBeforeBooting() {
        RunCommandTest.Result r = RunCommandTest.run("experiment", "traps", "--trap", "kvm", "--trap", "everything");
        assertEquals(2, r.status(), r.err());
        assertEquals("jvisor: --trap everything: 'everything' is not a trap level (minimal, kvm or all)", r.err().strip());
        r = RunCommandTest.run("experiment", "traps", "--trap", "kvm", "--trap", "all", "--repeat", "0");
        assertEquals(2, r.status(), r.err());
        assertEquals("jvisor: --repeat 0: 1 to 99 rounds", r.err().strip());
        r = RunCommandTest.run("experiment", "traps", "--trap", "kvm", "--trap", "deprivileged", "-smp", "2");
        assertEquals(2, r.status(), r.err());
        assertEquals("jvisor: --trap deprivileged: trap-and-emulate runs one vCPU, not -smp 2", r.err().strip());
        r = RunCommandTest.run("run", "--trap", "deprivileged");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("-M virt,trap-and-emulate=on"), r.err());
        r = RunCommandTest.run("experiment", "traps", "--trap", "help");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("\n  TVM "), r.out());
    }

    @Test
    void helpListsEveryControl() {
        RunCommandTest.Result r = RunCommandTest.run("run", "--trap", "help");
        assertEquals(0, r.status(), r.err());
        for (String n : org.jvisor.hyp.TrapConfig.names().split(" ")) assertTrue(r.out().contains("\n  " + n + " "), n + " in\n" + r.out());
    }

    @Test
    void aBareMetalGuestRunsTheSameUnderEveryTrap(@TempDir Path dir) throws Exception {
        RunCommandTest.Result r = RunCommandTest.run("run", "-kernel", RunCommandTest.hello(dir).toString(), "-m", "64M",
                "-monitor", "none", "--trap", "all");
        assertEquals(0, r.status(), r.err());
        assertEquals("hello from the virt board\n", r.out());
    }
}
