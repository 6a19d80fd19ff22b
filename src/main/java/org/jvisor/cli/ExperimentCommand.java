package org.jvisor.cli;

import org.jvisor.lab.TrapChart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.GuestImageException;
import org.jvisor.vmm.InputFiles;
import org.jvisor.guest.ProgressListener;
import org.jvisor.lab.TrapComparison;
import org.jvisor.lab.TrapExperiment;
import org.jvisor.hyp.TrapConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jvisor experiment}: the seeds' experiments as commands. */
@Command(name = "experiment", description = "Run one of the experiments on the default guest.",
        subcommands = {ExperimentCommand.Traps.class})
final class ExperimentCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "traps", sortOptions = false, description = {
            "Boot the default guest to its shell once and save it; start each of its test programs from that",
            "snapshot (--trap deprivileged, which cannot be saved: one after the other in one boot), and count the",
            "CPU, MEM and IO traps of each: prints a table, writes the counter trace (traps.csv), the table",
            "(traps.txt), the guest's console (console.txt) and a chart (traps.png) into the output directory.",
            "With --trap given more than once, runs the same under each trap set and compares them (compare.txt,",
            "compare.csv, compare.png; each run's own files in a directory named after its set)."})
    static final class Traps implements Callable<Integer> {
        @Parameters(paramLabel = "PROGRAM[,ARG...]", arity = "0..*",
                description = "Programs in /home/root to run, arguments after commas (default: /bin/true mem,64 io,1000 divide access fork stack cpubench bomb,10).")
        List<String> programs = new ArrayList<>();

        @Option(names = {"-o", "--output"}, paramLabel = "DIR", defaultValue = "jvisor-out/traps",
                description = "Where the trace, table, console and chart go, created if needed (default ${DEFAULT-VALUE} under the"
                        + " working directory; jvisor's .gitignore lists jvisor-out/).")
        Path output;

        @Option(names = "-m", paramLabel = "SIZE", defaultValue = "512M", description = "Guest RAM (default ${DEFAULT-VALUE}).")
        String memory;

        @Option(names = "-smp", paramLabel = "N", defaultValue = "1", description = "Number of vCPUs (default ${DEFAULT-VALUE}).")
        int cpus;

        @Option(names = "--period", paramLabel = "MS", defaultValue = "100", description = "Trace sampling period (default ${DEFAULT-VALUE} ms).")
        long period;

        @Option(names = "--quiet", description = "Do not show the guest's console while it runs.")
        boolean quiet;

        @Option(names = "--trap", paramLabel = "SET", description = {
                "What the hypervisor traps: minimal, kvm (the default) or all, then +NAME/-NAME to add or remove one",
                "control (e.g. kvm,+TVM,+TRVM; 'jvisor run --trap help' lists them); or deprivileged: the kernel run at",
                "EL0 by classic trap-and-emulate (-M virt,trap-and-emulate=on; one vCPU). Repeat it to compare sets (the",
                "first is the baseline of the slowdowns)."})
        List<String> trapSets = new ArrayList<>();

        @Option(names = "--repeat", paramLabel = "N", defaultValue = "1",
                description = "With several --trap: run each set N times, interleaved, and compare the median runs (default ${DEFAULT-VALUE}).")
        int repeat;

        @Option(names = "--clock", paramLabel = "host|instructions", defaultValue = "host", description = {
                "Source of the system counter: the host's clock (the default), or retired instructions, with the RTC on",
                "that clock and no entropy device: the guest's run repeats to the instruction, so two rows of one",
                "program, each started from the same snapshot, count the same."})
        String clock;

        private boolean failedRun;

        @Mixin
        TranslateOption translate;

        @Override
        public Integer call() throws Exception {
            List<java.util.Set<TrapConfig.Trap>> sets = new ArrayList<>();
            for (String t : trapSets) {
                if (TrapOption.isHelp(t)) {
                    System.out.print(TrapOption.list());
                    return 0;
                }
                sets.add(TrapOption.parse(t));
                if (TrapOption.isDeprivileged(t) && cpus != 1) throw new UserError("--trap " + t + ": trap-and-emulate runs one vCPU, not -smp " + cpus);
            }
            long ram = GuestRam.parse(memory, 64L << 20, false);
            if (cpus < 1 || cpus > 8) throw new UserError("-smp " + cpus + ": 1 to 8 vCPUs");
            if (period <= 0) throw new UserError("--period must be positive");
            if (repeat < 1 || repeat > 99) throw new UserError("--repeat " + repeat + ": 1 to 99 rounds");
            if (!clock.equals("host") && !clock.equals("instructions")) throw new UserError("--clock: '" + clock + "' (expected host or instructions)");
            translate.apply();
            createOutput();
            if (sets.size() > 1) return compare(sets, ram);
            TrapExperiment.Report r = runOnce(trapSets.isEmpty() ? "kvm" : trapSets.getFirst(),
                    sets.isEmpty() ? TrapConfig.KVM : sets.getFirst(), ram, output);
            System.out.println("trace " + output.resolve("traps.csv") + ", chart " + output.resolve("traps.png"));
            return failed(r) ? 1 : 0;
        }

        /** Boots and runs the programs under {@code set}, prints the table, writes the run's files into {@code dir}. */
        private TrapExperiment.Report runOnce(String name, java.util.Set<TrapConfig.Trap> set, long ram, Path dir) throws Exception {
            TrapExperiment experiment;
            try {
                experiment = new TrapExperiment(obtainDefaultGuest(), ram, cpus, programs.isEmpty() ? TrapExperiment.DEFAULT_PROGRAMS : programs)
                        .samplePeriod(period).traps(name, set).deprivileged(TrapOption.isDeprivileged(name))
                        .repeatable(clock.equals("instructions"));
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            TrapExperiment.Report r;
            try {
                r = experiment.run(quiet ? null : System.out);
            } catch (org.jvisor.vmm.BootException e) {
                throw new UserError(e.getMessage());
            } catch (IOException e) { // the booted guest's snapshot, in the temporary directory
                throw new UserError("cannot save the booted guest in " + System.getProperty("java.io.tmpdir") + " for the programs to start from: "
                        + InputFiles.reason(e));
            }
            String table = table(r);
            System.out.println();
            System.out.print(table);
            try {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve("traps.txt"), table);
                Files.writeString(dir.resolve("traps.csv"), r.csv());
                Files.writeString(dir.resolve("console.txt"), r.console());
                TrapChart.write(r, dir.resolve("traps.png"));
            } catch (IOException e) {
                throw new UserError("-o " + output + ": cannot write the results: " + InputFiles.reason(e));
            }
            if (r.timedOut()) System.out.println("jvisor: a deadline stopped the guest");
            if (r.results().isEmpty()) System.out.println("jvisor: no program ran: the guest's console is in " + dir.resolve("console.txt"));
            return r;
        }

        private boolean failed(TrapExperiment.Report r) {
            int expected = programs.isEmpty() ? TrapExperiment.DEFAULT_PROGRAMS.size() : programs.size();
            return r.timedOut() || r.results().size() != expected;
        }

        /**
         * A warm-up run (the JVM compiles jvisor's hot code during its first boot, which would otherwise count
         * against whichever set runs first), then each set in turn, {@code repeat} rounds, then the comparison
         * of each set's median run (by total time).
         */
        private int compare(List<java.util.Set<TrapConfig.Trap>> sets, long ram) throws Exception {
            System.out.println("jvisor: a warm-up run under " + trapSets.getFirst() + ", not counted (the JVM compiles jvisor's hot code in its first boot)");
            failedRun |= failed(runOnce(trapSets.getFirst(), sets.getFirst(), ram, output.resolve("warm-up")));
            List<List<TrapExperiment.Report>> runs = new ArrayList<>();
            for (int i = 0; i < sets.size(); i++) runs.add(new ArrayList<>());
            for (int round = 1; round <= repeat; round++) {
                for (int i = 0; i < sets.size(); i++) {
                    String name = trapSets.get(i);
                    System.out.println("jvisor: trap set " + name + " (" + (i + 1) + " of " + sets.size() + ", round " + round + " of " + repeat + ")");
                    String dir = name.replaceAll("[^A-Za-z0-9._+-]", "_") + (repeat > 1 ? "-" + round : "");
                    TrapExperiment.Report r = runOnce(name, sets.get(i), ram, output.resolve(dir));
                    failedRun |= failed(r);
                    runs.get(i).add(r);
                }
            }
            List<TrapExperiment.Report> reports = new ArrayList<>();
            for (List<TrapExperiment.Report> l : runs) {
                List<TrapExperiment.Report> sorted = l.stream().sorted(java.util.Comparator.comparingLong(r -> r.totals().wallNanos())).toList();
                reports.add(sorted.get(sorted.size() / 2));
            }
            TrapComparison c = new TrapComparison(reports);
            String table = (repeat > 1 ? "each set's median of " + repeat + " interleaved runs (by total time), after a warm-up run\n"
                    : "one run of each set, after a warm-up run\n") + c.table();
            System.out.println();
            System.out.print(table);
            try {
                Files.writeString(output.resolve("compare.txt"), table);
                Files.writeString(output.resolve("compare.csv"), c.csv());
                c.chart(output.resolve("compare.png"));
            } catch (IOException e) {
                throw new UserError("-o " + output + ": cannot write the results: " + InputFiles.reason(e));
            }
            System.out.println("comparison " + output.resolve("compare.txt") + ", chart " + output.resolve("compare.png"));
            return failedRun ? 1 : 0;
        }

        /**
         * The output directory, made (with its parents) before the guest boots, so that a path that cannot
         * be one fails at once and in one line, not after the experiment's minutes.
         */
        private void createOutput() {
            if (Files.exists(output) && !Files.isDirectory(output)) throw new UserError("-o " + output + ": it exists and is not a directory");
            try {
                Files.createDirectories(output);
            } catch (IOException e) {
                throw new UserError("-o " + output + ": cannot create the directory: " + InputFiles.reason(e));
            }
            if (!Files.isWritable(output)) throw new UserError("-o " + output + ": the directory is not writable");
        }
    }

    /** The default guest from the user's cache, obtained through apt on first use; a user error where that cannot be. */
    static GuestImage obtainDefaultGuest() {
        return obtainDefaultGuest(false);
    }

    /** The default guest; {@code withKvm}: the variant with the KVM programs and a nested guest in /home/root. */
    static GuestImage obtainDefaultGuest(boolean withKvm) {
        try {
            return withKvm ? DefaultGuest.obtainWithKvm(ProgressListener.console()) : DefaultGuest.obtain(ProgressListener.console());
        } catch (GuestImageException e) {
            throw new UserError(e.getMessage());
        } catch (IOException e) {
            throw new UserError("cannot prepare the default guest in " + DefaultGuest.userCacheDir() + ": " + e);
        }
    }

    static String table(TrapExperiment.Report r) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-10s %-6s %10s %10s %10s %9s  %-14s %9s %9s%n",
                "program", "args", "CPU traps", "MEM traps", "IO traps", "wall s", "guest status", "RSS MiB", "heap MiB"));
        for (TrapExperiment.Result x : r.results()) {
            b.append(String.format(Locale.ROOT, "%-10s %-6s %10d %10d %10d %9.2f  %-14s %9d %9d%n", x.name(), x.args(),
                    x.delta().cpu(), x.delta().mem(), x.delta().io(), x.wallNanos() / 1e9, TrapExperiment.statusText(x.status()),
                    x.peakRssBytes() >> 20, x.peakHeapBytes() >> 20));
        }
        b.append(String.format(Locale.ROOT, "(guest RAM %d MiB; RSS and heap: the jvisor process's peaks while the program ran)%n", r.guestRamBytes() >> 20));
        String start = r.restores().text();
        if (!start.isEmpty()) b.append(start).append('\n');
        return b.toString();
    }
}
