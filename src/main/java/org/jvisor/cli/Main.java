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
        description = "A hypervisor for 64-bit Arm, in Java.",
        subcommands = {CommandLine.HelpCommand.class, DifftestCommand.class, BenchCommand.class, HelloCommand.class, ExitBenchCommand.class, GuestCommand.class, RunCommand.class, DemoCommand.class, ExperimentCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line; user errors print one line and give a non-zero status, never a stack trace. */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
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

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
