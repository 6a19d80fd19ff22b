package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Translation;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code --translate}: on every command that runs guest code, its value read by {@link Translation#parse}
 * (any case), a bad one refused in one line before anything runs; the benchmarks take a list of modes.
 */
class TranslateOptionTest {
    /** The commands that run guest code, as typed; difftest has its own --translate. */
    static final List<List<String>> GUEST_COMMANDS = List.of(List.of("run"), List.of("demo"), List.of("hello"), List.of("exitbench"),
            List.of("experiment", "traps"), List.of("bench"), List.of("bench", "boot"), List.of("bench", "workload"));

    /** Tests share one JVM: give the process default back as it was. */
    private final Translation saved = Translation.processDefault();

    @AfterEach
    void restoreDefault() {
        Translation.setDefault(saved);
    }

    @Test
    void everyCommandThatRunsGuestCodeHasIt() {
        CommandSpec top = Main.commandLine(null).getCommandSpec();
        for (List<String> words : GUEST_COMMANDS) {
            CommandSpec c = top;
            for (String w : words) c = c.subcommands().get(w).getCommandSpec();
            assertTrue(c.findOption("--translate") != null, String.join(" ", words));
        }
    }

    @Test
    void aBadModeIsOneLineAndStatusTwoBeforeAnythingRuns() {
        for (List<String> words : GUEST_COMMANDS) {
            String value = words.get(0).equals("bench") ? "off,fast" : "fast";
            String[] args = concat(words, "--translate", value);
            RunCommandTest.Result r = RunCommandTest.run(args);
            assertEquals(2, r.status(), String.join(" ", args));
            assertEquals("", r.out(), String.join(" ", args));
            assertTrue(r.err().matches("jvisor: Invalid value for option '--translate'( \\(MODE\\[,MODE\\.\\.\\.]\\))?: "
                    + "translation must be off, on or force, not 'fast'\n"), r.err());
        }
        RunCommandTest.Result none = RunCommandTest.run("hello", "--translate");
        assertEquals(2, none.status());
        assertEquals("jvisor: Missing required parameter for option '--translate' (off|on|force)\n", none.err());
    }

    @Test
    void aBenchmarkMeasuresEachModeOnce() {
        for (List<String> words : List.of(List.of("bench"), List.of("bench", "boot"), List.of("bench", "workload"))) {
            RunCommandTest.Result r = RunCommandTest.run(concat(words, "--translate", "on,off,on"));
            assertEquals(2, r.status(), r.out());
            assertEquals("jvisor: --translate on,off,on: each mode once\n", r.err());
        }
    }

    @Test
    void theModeBecomesTheProcessDefaultAndTheGuestRunsTheSame() {
        for (String mode : List.of("off", "FORCE", "On")) {
            RunCommandTest.Result r = RunCommandTest.run("hello", "--translate", mode);
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().endsWith("guest output: 4\n[000] kvm_vm_hw2: CPU trap 1, MEM trap 1, IO trap 2\n"), r.out());
            assertEquals(Translation.parse(mode), Translation.processDefault());
        }
        Translation.setDefault(Translation.OFF);
        assertEquals(0, RunCommandTest.run("hello").status());
        assertEquals(Translation.OFF, Translation.processDefault(), "without the option the default stays");
    }

    @Test
    void aListOfModesParsesInOrder() {
        BenchCommand bench = new BenchCommand();
        new CommandLine(bench).parseArgs("--translate", "force,OFF,on");
        assertEquals(List.of(Translation.FORCE, Translation.OFF, Translation.ON), bench.translate.modes());
        BenchCommand none = new BenchCommand();
        new CommandLine(none).parseArgs();
        assertEquals(List.of(Translation.processDefault()), none.translate.modes());
    }

    /** Bash offers the modes as the option spells them (picocli alone would offer the enum's OFF, ON, FORCE). */
    @Test
    void bashCompletesTheModes() throws Exception {
        assertEquals(List.of("off", "on", "force"), HelpAndCompletionTest.complete("jvisor run --translate "));
        assertEquals(List.of("force"), HelpAndCompletionTest.complete("jvisor bench workload --translate f"));
    }

    static String[] concat(List<String> words, String... more) {
        return java.util.stream.Stream.concat(words.stream(), java.util.Arrays.stream(more)).toArray(String[]::new);
    }
}
