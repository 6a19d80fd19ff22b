package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.jvisor.testing.NeedsTools;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;

/**
 * {@code jvisor experiment traps} writes its files outside the sources: by default under the working
 * directory's {@code jvisor-out/}, which git ignores in a checkout of jvisor (asked of git itself).
 */
class ExperimentOutputTest {
    @NeedsTools
    @Test
    void theDefaultOutputIsIgnoredByGit() throws Exception {
        ExperimentCommand.Traps traps = new ExperimentCommand.Traps();
        new CommandLine(traps).parseArgs();
        assertEquals(Path.of("jvisor-out", "traps"), traps.output);
        for (String file : new String[] {"traps.csv", "traps.txt", "traps.png", "console.txt"}) {
            Process git = new ProcessBuilder("git", "check-ignore", "-q", traps.output.resolve(file).toString())
                    .redirectErrorStream(true).start();
            assertTrue(git.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, git.exitValue(), "git check-ignore " + file + ": " + new String(git.getInputStream().readAllBytes()));
        }
        // and the sources are not: the check is not vacuous
        Process git = new ProcessBuilder("git", "check-ignore", "-q", "src/main/java/org/jvisor/cli/ExperimentCommand.java").start();
        assertTrue(git.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, git.exitValue());
    }

    @Test
    void helpSaysWhereTheFilesGo() {
        String usage = new CommandLine(new ExperimentCommand.Traps()).getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertFalse(usage.isEmpty());
        assertTrue(usage.replaceAll("\\s+", " ").contains("default jvisor-out/traps under the working directory"), usage);
    }
}
