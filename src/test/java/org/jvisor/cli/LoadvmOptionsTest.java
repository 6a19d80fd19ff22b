package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run -loadvm} against QEMU's rule: the machine is the snapshot's, so the options that shape one are
 * refused with it (all of them named), while those that say how the machine is presented or served
 * (its console, monitor, debugger, tracing) are taken. Nothing boots: the options are judged first.
 */
class LoadvmOptionsTest {
    @Test
    void optionsThatShapeTheMachineAreRefusedAndNamed(@TempDir Path dir) {
        RunCommandTest.Result r = RunCommandTest.run("run", "-loadvm", dir.resolve("vm.snap").toString(), "-m", "256M", "-smp", "2",
                "-nic", "user", "-serial", "stdio", "--clock", "instructions");
        assertEquals(2, r.status(), r.err());
        assertEquals("jvisor: -loadvm: the machine is the snapshot's; -m, -smp, -nic, --clock cannot change it\n", r.err());
    }

    @Test
    void optionsThatServeTheMachineComeWithIt(@TempDir Path dir) {
        Path missing = dir.resolve("vm.snap");
        RunCommandTest.Result r = RunCommandTest.run("run", "-loadvm", missing.toString(), "-serial", "stdio", "-monitor", "none",
                "-nographic", "-display", "none", "-S", "--trace-traps", "500", "--translate", "off", "-no-reboot",
                "--on-reboot", "exit", "-accel", "tcg", "--trap", "kvm");
        assertTrue(r.status() != 0);
        assertFalse(r.err().contains("cannot change it"), r.err());
        assertTrue(r.err().contains(missing.toString()), "refused for its snapshot, which is missing: " + r.err());
    }
}
