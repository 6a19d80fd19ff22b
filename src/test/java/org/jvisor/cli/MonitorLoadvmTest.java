package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.testing.BootsLinux;
import org.jvisor.testing.NeedsTools;

/**
 * The monitor's {@code loadvm} as a person uses it, on a terminal: at the default guest's shell, Ctrl-A c and
 * {@code savevm}, back to the shell to change the guest (a file written), Ctrl-A c and {@code loadvm}, and
 * back to the shell, which must be the one saved: the file is not there, and the shell answers. QEMU's
 * {@code loadvm} does the same to a running machine (its disk aside: this guest has none).
 */
@BootsLinux
@NeedsTools
class MonitorLoadvmTest {
    private static final String CTRL_A_C = "\u0001c";

    @Test
    void loadvmPutsTheRunningGuestBackAsSaved(@TempDir Path snapshots) throws Exception {
        // the default guest as `jvisor run` starts it (from the booted-guest snapshot when there is one), the
        // monitor's snapshots in a directory of the test's own
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of("env", "JVISOR_SNAPSHOTS=" + snapshots, java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "org.jvisor.cli.Main", "run"));
        try (Processes.Terminal t = new Processes.Terminal(cmd)) {
            t.await("~ # ", 600); // a boot, when there is no booted-guest snapshot yet
            t.type(CTRL_A_C + "savevm at-prompt\r");
            t.await("saved 'at-prompt'");
            t.type(CTRL_A_C + "echo A > /x; cat /x; echo made-$((6*7))\r");
            t.await("made-42");
            assertTrue(t.output().replace("\r", "").contains("\nA\nmade-42"), "the file is written:\n" + t.output());
            // info status runs once loadvm has returned: the keyboard goes back to a guest already loaded
            t.type(CTRL_A_C + "loadvm at-prompt\rinfo status\r");
            t.await("VM status: running");
            assertFalse(t.output().contains("loadvm:"), "loadvm said something:\n" + t.output());
            t.type(CTRL_A_C + "cat /x || echo gone-$((6*7))\r");
            t.await("gone-42");
            assertTrue(t.output().contains("cat: can't open '/x': No such file or directory"), t.output());
            t.type("\u0001x");
            assertEquals(0, t.exitStatus(), t.output());
        }
    }
}
