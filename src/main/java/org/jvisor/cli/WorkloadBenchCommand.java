package org.jvisor.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.jvisor.cpu.Translation;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.ProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jvisor bench workload}: real programs in the default guest, timed inside the guest so that boot is
 * excluded, in jvisor (each translation mode asked for) and in qemu-system-aarch64 (TCG), booted alternately
 * from one command ({@link BenchMachines}). The guest is driven as {@code jvisor experiment traps} drives it:
 * the kernel command line's {@code jvisor.run} is a shell command that /init runs, here one that prepares the
 * input files, then times each program between two reads of the shell's {@code $EPOCHREALTIME} and prints a
 * line {@code @jvisor-bench NAME STATUS START END OUTPUT}. That is the guest's clock (CLOCK_REALTIME, from the
 * generic timer's counter), which under jvisor follows the host's monotonic clock ({@code --clock host}, the
 * default) and under QEMU's TCG the host's clock too. Each program's output must be the same in every
 * machine (QEMU's is the reference).
 */
@Command(name = "workload", sortOptions = false,
        description = "Time programs inside the default guest (cpubench, sha256sum, gzip) in jvisor and in qemu-system-aarch64 (TCG),"
                + " booted alternately; prints the medians and jvisor/qemu.")
final class WorkloadBenchCommand implements Callable<Integer> {
    /** What the guest prints before each program's result. */
    static final String MARK = "@jvisor-bench";

    /**
     * A program run in the guest: {@code setup} (untimed, may be empty) prepares its input, {@code command} is
     * timed, and its output without what matches {@code varying} must equal QEMU's. No quotes: the whole
     * script is the kernel command line's {@code jvisor.run="..."}, and the workload is one single-quoted word.
     */
    record Workload(String name, String description, String setup, String command, Pattern varying) {
        Workload {
            if ((setup + command).matches(".*['\"].*")) throw new IllegalArgumentException(name + ": no quotes");
        }

        /** The part of its output that does not change from run to run. */
        String result(String output) { return varying == null ? output : varying.matcher(output).replaceAll(""); }
    }

    static final List<Workload> WORKLOADS = List.of(
            new Workload("cpubench", "the default guest's cpubench, 4000 rounds: integer work in registers and 16 KiB", "",
                    "cpubench 4000", Pattern.compile(" in [0-9.]+ ms")),
            new Workload("sha256sum", "busybox sha256sum of a 16 MiB file (zeros)", "head -c 16777216 /dev/zero >z",
                    "sha256sum z", null),
            new Workload("gzip", "busybox gzip -c of busybox itself (1.8 MB), counted by wc -c", "",
                    "gzip -c /bin/busybox | wc -c", null));

    @Parameters(paramLabel = "WORKLOAD", arity = "0..*", description = "Which to run: cpubench, sha256sum, gzip (default: all).")
    List<String> names = new ArrayList<>();

    @Option(names = "--runs", description = "Boots of each machine (default: ${DEFAULT-VALUE}); the median is reported.")
    int runs = 3;

    @Mixin
    TranslateOption.Modes translate;

    @Option(names = "--qemu", description = "qemu-system-aarch64 binary (default: ${DEFAULT-VALUE}).")
    String qemu = "qemu-system-aarch64";

    @Option(names = "--no-qemu", description = "Measure jvisor only.")
    boolean noQemu;

    @Option(names = "--timeout", description = "Seconds one boot with all its programs may take (default: ${DEFAULT-VALUE}).")
    int timeout = 900;

    /** One program's run in one machine: seconds by the guest's clock, exit status, output (lines joined by spaces). */
    record Sample(double seconds, int status, String output) {}

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || timeout < 1) throw new UserError("--runs and --timeout must be positive");
        List<Workload> chosen = chosen(names);
        List<Translation> modes = translate.modes();
        GuestImage g = DefaultGuest.obtain(ProgressListener.console());
        String append = append(chosen);
        PrintStream out = System.out;
        out.printf("jvisor bench workload: %s; Java %s; 1 vCPU, %s; %d runs each, alternately (median)%n",
                BenchCommand.hostCpu(), Runtime.version(), BenchMachines.MEMORY, runs);
        out.println("kernel " + g.kernel());
        for (Workload w : chosen) out.printf("  %-10s %s%n", w.name(), w.description());
        out.println("Each is timed inside the guest by its shell's $EPOCHREALTIME (the guest's clock, from the generic timer,");
        out.println("which follows the host's clock in jvisor and in QEMU): boot and the machine's start are not counted.");
        MedianTable table = new MedianTable();
        Map<String, String> reference = new LinkedHashMap<>(); // workload -> result: QEMU's when it runs, else the first machine's
        int status = 0;
        for (int i = 0; i < runs; i++) {
            Map<String, Map<String, Sample>> run = new LinkedHashMap<>(); // machine -> workload -> sample
            for (Translation mode : modes)
                run.put("jvisor " + TranslateOption.name(mode), measure("jvisor run", BenchMachines.jvisor(mode, "virt", 1, g.kernel(), g.initrd(), append), chosen, timeout));
            if (!noQemu) run.put(MedianTable.QEMU, measure(qemu, BenchMachines.qemu(qemu, "virt", 1, g.kernel(), g.initrd(), append), chosen, timeout));
            Map<String, Sample> ref = noQemu ? run.values().iterator().next() : run.get(MedianTable.QEMU);
            for (Workload w : chosen) reference.putIfAbsent(w.name(), w.result(ref.get(w.name()).output()));
            for (var e : run.entrySet()) {
                String machine = e.getKey();
                StringBuilder line = new StringBuilder(String.format("  run %d, %-11s", i + 1, machine + ":"));
                List<String> problems = new ArrayList<>();
                for (Workload w : chosen) {
                    Sample s = e.getValue().get(w.name());
                    line.append(String.format("  %s %.3f s", w.name(), s.seconds()));
                    if (s.status() != 0) {
                        problems.add(String.format("FAILED: %s in %s exited with status %d: '%s'", w.name(), machine, s.status(), s.output()));
                    } else if (!w.result(s.output()).equals(reference.get(w.name()))) {
                        problems.add(String.format("MISMATCH: %s in %s printed '%s', %s '%s'", w.name(), machine, s.output(),
                                noQemu ? "the first machine" : "qemu", reference.get(w.name())));
                    } else {
                        table.add(w.name(), machine, s.seconds());
                    }
                }
                out.println(line);
                problems.forEach(out::println);
                if (!problems.isEmpty()) status = 1;
            }
        }
        out.print(table.format("workload", 3));
        out.println("outputs" + (noQemu ? "" : " (qemu's)") + ":");
        reference.forEach((w, r) -> out.printf("  %-10s %s%n", w, r));
        return status;
    }

    /** The workloads named, in the order given, or all of them. */
    static List<Workload> chosen(List<String> names) {
        if (names.isEmpty()) return WORKLOADS;
        List<Workload> c = new ArrayList<>();
        for (String n : names) {
            Workload w = WORKLOADS.stream().filter(x -> x.name().equals(n)).findFirst().orElseThrow(() -> new UserError(
                    "unknown workload '" + n + "' (" + String.join(", ", WORKLOADS.stream().map(Workload::name).toList()) + ")"));
            if (c.contains(w)) throw new UserError("workload " + n + " given twice");
            c.add(w);
        }
        return c;
    }

    /**
     * The guest's shell command: the setups, then a function {@code t NAME 'COMMAND'} that times COMMAND
     * (output to a file, so that the console's speed is not counted) and prints the marker line, once per
     * workload.
     */
    static String script(List<Workload> workloads) {
        StringBuilder b = new StringBuilder();
        for (Workload w : workloads) if (!w.setup().isEmpty()) b.append(w.setup()).append("; ");
        b.append("t() { a=$EPOCHREALTIME; eval $2 >o; s=$?; b=$EPOCHREALTIME; echo " + MARK + " $1 $s $a $b $(cat o); }");
        for (Workload w : workloads) b.append("; t ").append(w.name()).append(" '").append(w.command()).append('\'');
        return b.toString();
    }

    /** The kernel command line of both machines. */
    static String append(List<Workload> workloads) {
        return "console=ttyAMA0 quiet jvisor.run=\"" + script(workloads) + "\"";
    }

    /**
     * Boots one machine with {@code command} and returns each workload's sample, read from the marker lines on
     * its console; the machine is stopped at {@code JVISOR-EXIT}, which /init prints when the script ended.
     */
    static Map<String, Sample> measure(String name, List<String> command, List<Workload> workloads, int timeoutSeconds)
            throws IOException, InterruptedException {
        Map<String, Sample> samples = new LinkedHashMap<>();
        StringBuilder line = new StringBuilder();
        WatchedProcess.run(name, command, "printing 'JVISOR-EXIT'", timeoutSeconds, b -> {
            if (b != '\n') {
                if (b != '\r' && line.length() < 4096) line.append((char) b);
                return false;
            }
            String l = line.toString();
            line.setLength(0);
            if (l.startsWith(MARK + " ")) {
                synchronized (samples) {
                    parse(l, samples);
                }
            }
            return l.startsWith("JVISOR-EXIT");
        });
        synchronized (samples) {
            for (Workload w : workloads)
                if (!samples.containsKey(w.name())) throw new UserError(name + ": no result for " + w.name() + " (the guest's script failed?)");
            return new LinkedHashMap<>(samples);
        }
    }

    /** A marker line, {@code @jvisor-bench NAME STATUS START END OUTPUT...}, into {@code samples}. */
    static void parse(String line, Map<String, Sample> samples) {
        String[] f = line.strip().split(" ", 6);
        if (f.length < 5) return;
        try {
            double seconds = (micros(f[4]) - micros(f[3])) / 1e6;
            samples.put(f[1], new Sample(seconds, Integer.parseInt(f[2]), f.length > 5 ? f[5] : ""));
        } catch (NumberFormatException e) {
            // not a line of ours after all
        }
    }

    /** {@code $EPOCHREALTIME} (seconds, a point, six digits) in microseconds. */
    static long micros(String epochRealtime) {
        int dot = epochRealtime.indexOf('.');
        if (dot < 0 || epochRealtime.length() - dot - 1 != 6) throw new NumberFormatException(epochRealtime);
        return Long.parseLong(epochRealtime.substring(0, dot)) * 1_000_000 + Long.parseLong(epochRealtime.substring(dot + 1));
    }
}
