package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every command and subcommand, found by walking jvisor's picocli model: -h/--help, the usage's
 * {@code -kernel FILE} form, QEMU-style single-dash options (no clustering), and the bash completion and
 * man pages the build writes into target/ (bash itself runs the completion function).
 */
class HelpAndCompletionTest {
    static final Path TARGET = Path.of("target");

    /** Every command that is not hidden, the top one first, with the words that reach it. */
    static List<CommandSpec> commands() {
        List<CommandSpec> all = new ArrayList<>();
        collect(Main.commandLine(null).getCommandSpec(), all);
        return all;
    }

    private static void collect(CommandSpec spec, List<CommandSpec> into) {
        if (spec.usageMessage().hidden()) return;
        into.add(spec);
        for (CommandLine sub : spec.subcommands().values())
            if (!into.contains(sub.getCommandSpec())) collect(sub.getCommandSpec(), into);
    }

    static String[] words(CommandSpec spec, String... more) {
        List<String> w = new ArrayList<>(Arrays.asList(spec.qualifiedName().split(" ")));
        w.remove(0); // "jvisor"
        w.addAll(Arrays.asList(more));
        return w.toArray(String[]::new);
    }

    @Test
    void everyCommandAnswersHelpWithItsUsageAndStatusZero() {
        List<CommandSpec> commands = commands();
        assertTrue(commands.size() >= 12, "commands found: " + commands.size());
        for (CommandSpec c : commands) {
            for (String flag : List.of("-h", "--help")) {
                RunCommandTest.Result r = RunCommandTest.run(words(c, flag));
                assertEquals(0, r.status(), c.qualifiedName() + " " + flag + ": " + r.err());
                assertEquals("", r.err(), c.qualifiedName() + " " + flag);
                assertTrue(r.out().contains("Usage: " + c.qualifiedName() + " "), c.qualifiedName() + " " + flag + ":\n" + r.out());
            }
        }
        assertTrue(RunCommandTest.run("run", "--help").out().contains("-kernel FILE"));
    }

    /** qemu-system-aarch64 takes -kernel FILE, never -kernel=FILE; no usage may show the latter. */
    @Test
    void usageShowsEveryOptionValueAfterASpace() {
        for (CommandSpec c : commands()) {
            String usage = RunCommandTest.run(words(c, "--help")).out();
            for (OptionSpec o : c.options()) {
                if (o.arity().max() == 0) continue;
                for (String name : o.names()) {
                    assertFalse(usage.contains(name + "="), c.qualifiedName() + ": '" + name + "=' in\n" + usage);
                    if (!o.hidden()) assertTrue(usage.contains(name + " ") || usage.contains(name + ","), c.qualifiedName() + ": " + name);
                }
            }
        }
    }

    /** -serial was once read as -s followed by -erial; now an unknown option is named as typed, in one line, status 2. */
    @Test
    void anUnknownOptionIsNamedAsTyped() {
        for (String[] args : new String[][] {{"run", "-sS"}, {"run", "-serialx", "stdio"}, {"run", "-kernel=x"}, {"bench", "--frobnicate"},
                {"experiment", "traps", "-xyz"}}) {
            RunCommandTest.Result r = RunCommandTest.run(args);
            String typed = Arrays.stream(args).filter(a -> a.startsWith("-")).findFirst().orElseThrow();
            assertEquals(2, r.status(), String.join(" ", args));
            assertEquals("", r.out(), String.join(" ", args));
            assertTrue(r.err().startsWith("jvisor: Unknown option") && r.err().contains("'" + typed + "'"), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        }
    }

    // ---- bash completion (target/jvisor_completion, written by picocli.AutoComplete at build time) ----

    /** What bash's programmable completion offers for the last word of {@code line}, through the function jvisor's script registers. */
    static List<String> complete(String line) throws IOException, InterruptedException {
        Path script = TARGET.resolve("jvisor_completion");
        assertTrue(Files.isRegularFile(script), script + " is written by the build (mvn process-classes)");
        String bash = """
                source "$1" 2>/dev/null
                f=$(complete -p jvisor | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p')
                COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}
                read -ra COMP_WORDS <<< "$2"
                case "$2" in *' ') COMP_WORDS+=("");; esac
                COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
                "$f" jvisor "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
                printf '%s\\n' "${COMPREPLY[@]}"
                """;
        Process p = new ProcessBuilder("bash", "-c", bash, "bash", script.toString(), line).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.lines().filter(s -> !s.isBlank()).map(String::strip).toList();
    }

    @Test
    void bashCompletesCommandsSubcommandsAndOptions() throws Exception {
        assertEquals(List.of("run"), complete("jvisor ru"));
        assertEquals(List.of("-kernel"), complete("jvisor run -ker"));
        assertEquals(List.of("-nodefaults"), complete("jvisor run -nod"));
        assertEquals(List.of("boot"), complete("jvisor bench bo"));
        assertEquals(List.of("--quiet"), complete("jvisor experiment traps --qu"));
        List<String> top = complete("jvisor ");
        for (CommandLine sub : Main.commandLine(null).getSubcommands().values())
            assertTrue(top.contains(sub.getCommandName()), sub.getCommandName() + " not in " + top);
    }

    // ---- man pages (target/man, AsciiDoc from picocli-codegen's ManPageGenerator, troff by Asciidoctor) ----

    /** A page's text with troff's escapes for '-', quotes and fonts undone, enough to find option names in it. */
    static String manText(Path page) throws IOException {
        return Files.readString(page).replace("\\-", "-").replace("\\(aq", "'").replaceAll("\\\\f[BIRP]", "").replace("\\&", "");
    }

    @Test
    void everyCommandHasAManPageListingItsOptions() throws Exception {
        for (CommandSpec c : commands()) {
            Path page = TARGET.resolve("man").resolve(c.qualifiedName("-") + ".1");
            assertTrue(Files.isRegularFile(page), page + " is written by the build (mvn process-classes)");
            String text = manText(page);
            assertTrue(text.contains(".TH \"" + c.qualifiedName("-").toUpperCase(java.util.Locale.ROOT) + "\" \"1\""), page + ":\n" + text);
            for (OptionSpec o : c.options()) {
                if (o.hidden()) continue;
                for (String name : o.names()) {
                    assertTrue(text.contains(name), page + " does not mention " + name + " (stale? mvn clean)");
                    if (o.arity().max() > 0) assertFalse(text.contains(name + "="), page + ": " + name + "=");
                }
            }
        }
    }
}
