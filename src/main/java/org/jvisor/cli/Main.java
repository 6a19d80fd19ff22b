package org.jvisor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code jvisor} command. Subcommands live in one small class each. What is set here holds for every
 * subcommand at any depth (scope INHERIT): -h/--help and -V/--version, and option values given as the next
 * argument ({@code -kernel FILE}, as qemu-system-aarch64 takes them; usage and man pages show them so).
 */
@Command(name = "jvisor", scope = CommandLine.ScopeType.INHERIT, mixinStandardHelpOptions = true, separator = " ",
        version = "jvisor 0.1.0",
        description = "A hypervisor for 64-bit Arm, in Java.")
public class Main implements Runnable {
    /**
     * The whole command tree, as usage, bash completion and the man pages show it (the build generates those
     * from this class). A run that names a subcommand builds only that one on a bare {@link Main}: picocli
     * builds each command's model by reflection, and building every command cost ~0.1 s per start (then with
     * picocli's own jar, whose Java 5 class files the JDK's AOT cache cannot hold; target/lib's is now built
     * from picocli's sources for this release, see pom.xml).
     */
    @Command(subcommands = {CommandLine.HelpCommand.class, DifftestCommand.class, BenchCommand.class,
            HelloCommand.class, ExitBenchCommand.class, GuestCommand.class, RunCommand.class, DemoCommand.class,
            ExperimentCommand.class, ClassifyCommand.class, SnapshotCommand.class, SwitchCommand.class})
    public static final class Full extends Main {
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line; user errors print one line and give a non-zero status, never a stack trace. */
    public static int execute(String... args) {
        CommandLine cl = commandLine(args.length > 0 ? args[0] : null);
        // QEMU's options are single-dash words: -serial is one option, not -s followed by -erial.
        cl.setPosixClusteredShortOptionsAllowed(false);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof UserError) {
                cmd.getErr().println("jvisor: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("jvisor: " + ex.getMessage());
            return 2;
        });
        return cl.execute(args);
    }

    /** The whole command line, or only the subcommand {@code first} names (the help command needs them all). */
    static CommandLine commandLine(String first) {
        for (Class<?> c : Full.class.getAnnotation(Command.class).subcommands()) {
            if (c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(first)) {
                return new CommandLine(new Main()).addSubcommand(c);
            }
        }
        return new CommandLine(new Full());
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
