package org.jvisor.lab;

import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.vmm.BoardConfig;
import org.jvisor.vmm.BootException;
import org.jvisor.vmm.VirtBoard;
import org.jvisor.vmm.snapshot.SnapshotException;
import org.jvisor.vmm.snapshot.SnapshotFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import org.jvisor.hyp.TrapConfig;
import org.jvisor.hyp.TrapStats;

/**
 * The seeds' trap experiment: the default guest's {@code /home/root/traps} script runs each program between
 * two console lines, {@code @jvisor-start N SPEC} and {@code @jvisor-end N SPEC STATUS}, and the counters
 * are read when the last byte of such a line reaches the PL011 ({@link TrapWatcher}). The guest boots once
 * to its shell and is saved; each program then starts from that snapshot, typed at the restored shell, so
 * every row starts from the identical machine and none sees what an earlier one left. A VM that cannot be
 * saved (trap-and-emulate) runs the programs one after the other in one boot instead, started by the
 * kernel command line's {@code jvisor.run="traps PROGRAM ..."}; the guest then powers itself off after the
 * last. A host-side deadline per program stops the board otherwise.
 *
 * <pre>{@code
 *   TrapExperiment.Report r = new TrapExperiment(image, 512L << 20, 1, List.of("mem,64", "io,1000")).run(System.out);
 * }</pre>
 */
public final class TrapExperiment {
    /** The programs and arguments run when none are given: bomb last, as it leaves the guest's memory scattered when they share one boot. */
    public static final List<String> DEFAULT_PROGRAMS = List.of(
            "/bin/true", "mem,64", "io,1000", "divide", "access", "fork", "stack", "cpubench", "bomb,10");

    /** Where {@link #repeatable} starts the RTC (SnapshotLinuxTest's date: any fixed one will do). */
    private static final Instant REPEATABLE_RTC = Instant.parse("2026-01-01T00:00:00Z");

    /** Trap counters summed over the vCPUs (or of one vCPU). */
    public record Counters(long cpu, long mem, long io) {
        Counters minus(Counters o) { return new Counters(cpu - o.cpu, mem - o.mem, io - o.io); }

        static Counters of(TrapStats s) { return new Counters(s.cpuTraps(), s.memTraps(), s.ioTraps()); }
    }

    /**
     * One program's run: the counters' differences between its two markers, its wall time and the CPU time
     * the vCPU threads used meanwhile (what it cost, where wall time moves with the host's load), the status the
     * guest's shell saw (128 + signal when a signal ended it; -1 if it never ended), and the host process's
     * peak resident set and Java heap while it ran (sampled).
     */
    public record Result(String spec, Counters delta, long wallNanos, int status, long peakRssBytes, long peakHeapBytes,
                         String output, long cpuNanos) {
        public Result(String spec, Counters delta, long wallNanos, int status, long peakRssBytes, long peakHeapBytes, String output) {
            this(spec, delta, wallNanos, status, peakRssBytes, peakHeapBytes, output, 0);
        }

        /** The program's name, without its arguments: {@code mem} for {@code mem,64}. */
        public String name() {
            String n = spec.split(",")[0];
            return n.substring(n.lastIndexOf('/') + 1);
        }

        public String args() {
            int c = spec.indexOf(',');
            return c < 0 ? "" : spec.substring(c + 1).replace(',', ' ');
        }
    }

    /**
     * The whole run, summed over the vCPUs: the boot's time (from power-on to the shell's prompt, where the
     * snapshot is saved; in one boot, to the first program's start marker; -1 if it never came) and the
     * whole run's (to the last program's end); the CPU time the vCPU threads used in the boot and in all
     * (what the processor and the hypervisor cost, which the host's other load barely changes); the trap
     * counters, the exits by exception class (ESR_EL2.EC, 64 entries) and the system-register traps by
     * register, with the trap set it ran under. Started from a snapshot, the counts and the CPU time are
     * the boot's to the prompt plus each restore's from the snapshot to its program's end marker (the
     * typed command's echo and the shell's fork and exec included); in one boot, everything to the end.
     */
    public record Totals(String trapSet, long bootNanos, long wallNanos, long bootCpuNanos, long cpuNanos, Counters counters,
                         long[] exitsByEc, Map<String, Long> sysRegTraps, Deprivileged deprivileged) {
        static final Totals NONE = new Totals("", -1, 0, 0, 0, new Counters(0, 0, 0), new long[64], Map.of(), Deprivileged.NONE);

        public Totals(String trapSet, long bootNanos, long wallNanos, long bootCpuNanos, long cpuNanos, Counters counters,
                      long[] exitsByEc, Map<String, Long> sysRegTraps) {
            this(trapSet, bootNanos, wallNanos, bootCpuNanos, cpuNanos, counters, exitsByEc, sysRegTraps, Deprivileged.NONE);
        }

        /** Every exit to the hypervisor, by its class: to EL2, and with the kernel deprivileged its traps to EL1 too. */
        public long exits() { return java.util.Arrays.stream(exitsByEc).sum(); }
    }

    /**
     * With the kernel deprivileged (trap-and-emulate), what its exits to the hypervisor's EL1 (counted by
     * class in the exits too) did: the instructions emulated (by name), the exceptions and interrupts
     * delivered to its virtual EL1, and the shadow stage 1 entries filled.
     */
    public record Deprivileged(Map<String, Long> emulated, long virtualExceptions, long virtualInterrupts, long shadowFills) {
        static final Deprivileged NONE = new Deprivileged(Map.of(), 0, 0, 0);

        /** The instructions emulated, all together. */
        public long emulatedTotal() { return emulated.values().stream().mapToLong(Long::longValue).sum(); }

        boolean any() { return emulatedTotal() + virtualExceptions + shadowFills > 0; }
    }

    /**
     * One vCPU's running totals at a time (seconds since the experiment started); {@code event} marks a
     * program's start or end. Each restore's counters start again from the snapshot's.
     */
    public record Sample(double seconds, int vcpu, Counters counters, String event) {}

    /**
     * How the programs were started: each from one snapshot of the guest booted to its shell
     * ({@code restores} of them), with the time the boot took to the prompt, the save's, and the restores'
     * all together; or, {@code restores} 0, one after the other in one boot, {@code oneBootBecause}.
     */
    public record Restores(long bootNanos, long saveNanos, long restoreNanos, int restores, String oneBootBecause) {
        static final Restores NONE = new Restores(0, 0, 0, 0, null);

        static Restores oneBoot(String because) { return new Restores(0, 0, 0, 0, because); }

        /** One line for the table: what the snapshot saved against a boot for each program; empty if nothing ran. */
        public String text() {
            if (restores == 0) return oneBootBecause == null ? "" : "the programs ran one after the other in one boot (" + oneBootBecause + ")";
            return String.format(Locale.ROOT, "booted once to the shell in %.1f s, saved in %.2f s; %d programs each started from that"
                    + " snapshot, restored in %.2f s in all (%.0f ms each); booting for each program would have taken about %d x %.1f s = %.0f s",
                    bootNanos / 1e9, saveNanos / 1e9, restores, restoreNanos / 1e9, restoreNanos / 1e6 / restores, restores,
                    bootNanos / 1e9, restores * bootNanos / 1e9);
        }
    }

    /**
     * Everything the run gave: per-program results in order, the trace, the console transcript (the boot's,
     * then each restore's), the board's exit status (with restores, the first that was not 0), whether a
     * deadline stopped the guest, and how the programs were started.
     */
    public record Report(List<Result> results, List<Sample> samples, String console, int boardStatus, boolean timedOut,
                         long guestRamBytes, Totals totals, Restores restores) {
        public Report(List<Result> results, List<Sample> samples, String console, int boardStatus, boolean timedOut, long guestRamBytes) {
            this(results, samples, console, boardStatus, timedOut, guestRamBytes, Totals.NONE, Restores.NONE);
        }

        public Report(List<Result> results, List<Sample> samples, String console, int boardStatus, boolean timedOut,
                      long guestRamBytes, Totals totals) {
            this(results, samples, console, boardStatus, timedOut, guestRamBytes, totals, Restores.NONE);
        }

        /** The trace's columns, the first line of {@link #csv()}. */
        public static final String CSV_HEADER = "seconds,vcpu,cpu_traps,mem_traps,io_traps,event";

        /**
         * The trace as CSV: {@link #CSV_HEADER}, then one row per sample, lines ending in LF; a field with a
         * comma, a double quote or a line break (an event such as {@code start mem,64}) is quoted as RFC 4180
         * says, so every row has the header's six fields for any CSV reader.
         */
        public String csv() {
            StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
            for (Sample s : samples) {
                b.append(String.format(Locale.ROOT, "%.3f,%d,%d,%d,%d,", s.seconds(), s.vcpu(), s.counters().cpu(),
                        s.counters().mem(), s.counters().io())).append(csvField(s.event())).append('\n');
            }
            return b.toString();
        }

        /** RFC 4180 2.6-2.7: enclosed in double quotes when it holds one, a comma or a line break; inner quotes doubled. */
        static String csvField(String f) {
            if (f.indexOf(',') < 0 && f.indexOf('"') < 0 && f.indexOf('\n') < 0 && f.indexOf('\r') < 0) return f;
            return '"' + f.replace("\"", "\"\"") + '"';
        }
    }

    private final GuestImage image;
    private final long ramSize;
    private final int cpus;
    private final List<String> programs;
    private long periodMillis = 100;
    private long bootSeconds = 900, programSeconds = 300;
    private Set<TrapConfig.Trap> traps = TrapConfig.KVM;
    private String trapSet = "kvm";
    private boolean deprivileged, oneBoot, repeatable;

    public TrapExperiment(GuestImage image, long ramSize, int cpus, List<String> programs) {
        for (String p : programs) {
            if (!p.matches("[A-Za-z0-9_./-]+(,[A-Za-z0-9_.-]+)*")) throw new IllegalArgumentException("program '" + p + "': letters, digits, ./_- and commas between arguments");
        }
        this.image = image;
        this.ramSize = ramSize;
        this.cpus = cpus;
        this.programs = List.copyOf(programs);
    }

    /** How often the trace samples the counters (default 100 ms). */
    public TrapExperiment samplePeriod(long millis) {
        if (millis <= 0) throw new IllegalArgumentException("period " + millis);
        periodMillis = millis;
        return this;
    }

    /**
     * Host-side deadlines: for the boot up to the shell's prompt (in one boot, to the first program), and
     * for each program (a bomb's own seconds come on top).
     */
    public TrapExperiment deadlines(long bootSeconds, long programSeconds) {
        this.bootSeconds = bootSeconds;
        this.programSeconds = programSeconds;
        return this;
    }

    /** The traps the hypervisor sets ({@link TrapConfig#traps(Set)}; default KVM's), named {@code name} in the report. */
    public TrapExperiment traps(String name, Set<TrapConfig.Trap> set) {
        trapSet = name;
        traps = Set.copyOf(set);
        return this;
    }

    /**
     * Runs the guest kernel deprivileged at EL0, by classic trap-and-emulate
     * ({@link org.jvisor.hyp.Hypervisor#createTrapAndEmulateVm}; one vCPU), {@link #traps} still saying what
     * EL2 traps besides.
     */
    public TrapExperiment deprivileged(boolean on) {
        if (on && cpus != 1) throw new IllegalArgumentException("trap-and-emulate runs one vCPU, not " + cpus);
        deprivileged = on;
        return this;
    }

    /**
     * Runs the programs one after the other in one boot, as trap-and-emulate must (a later program then
     * sees what the earlier ones left), instead of each from the booted guest's snapshot.
     */
    public TrapExperiment oneBoot(boolean on) {
        oneBoot = on;
        return this;
    }

    /**
     * Makes the guest's run repeat to the instruction, as SnapshotLinuxTest's: the system counter counts
     * retired instructions, the RTC follows it from a fixed date, and there is no entropy device (whose
     * answers are the host's). From one snapshot, the same program then counts the same traps each time.
     */
    public TrapExperiment repeatable(boolean on) {
        repeatable = on;
        return this;
    }

    /** The kernel command line's {@code jvisor.run} for these programs. */
    String command() { return "traps " + String.join(" ", programs); }

    /**
     * Runs the programs and returns when the last one has ended or a deadline stopped the guest; the
     * guest's console goes to {@code echo} too (may be null). Each program starts from one snapshot of the
     * guest booted to its shell ({@link Restores}), unless the VM cannot be saved (trap-and-emulate) or
     * {@link #oneBoot} asked for one boot.
     */
    public Report run(OutputStream echo) throws IOException, InterruptedException, BootException {
        if (deprivileged) return runInOneBoot(echo, "a trap-and-emulate VM cannot be saved");
        return oneBoot ? runInOneBoot(echo, "as asked") : runFromSnapshot(echo);
    }

    private BoardConfig config(String bootargs) {
        return new BoardConfig(ramSize, cpus, 2, false, List.of(), image.kernel(), image.initrd(), bootargs, repeatable,
                !repeatable, true, Duration.ZERO, repeatable ? REPEATABLE_RTC : null, false, deprivileged);
    }

    /** The programs one after the other in one boot, started by the kernel command line's {@code jvisor.run}. */
    private Report runInOneBoot(OutputStream echo, String because) throws IOException, InterruptedException, BootException {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrapWatcher watcher = new TrapWatcher(echo, bootSeconds, programSeconds);
        try (VirtBoard board = VirtBoard.build(config("console=ttyAMA0 jvisor.run=\"" + command() + "\""), watcher, printStream(log), false)) {
            board.vm().trapConfig().traps(traps);
            watcher.attach(board, false);
            watcher.start();
            Running run = new Running(board);
            Thread sampler = sampler(watcher);
            boolean timedOut;
            try {
                timedOut = run.awaitEnd(watcher);
                if (timedOut) run.stop(124);
                watcher.detach();
            } finally {
                stop(sampler);
            }
            long first = watcher.firstStart();
            Totals totals = TrapTally.of(board.vcpus()).totals(trapSet, first < 0 ? -1 : first - watcher.started(),
                    System.nanoTime() - watcher.started(), watcher.bootCpu(), watcher.lastCpu());
            return new Report(watcher.results(), watcher.samples(), watcher.transcript() + log.toString(StandardCharsets.UTF_8),
                    run.status, timedOut, ramSize, totals, Restores.oneBoot(because));
        }
    }

    /**
     * Boots the guest to its shell once and saves it to a temporary file; then, for each program, restores
     * that file into a new board, types {@code ./traps PROGRAM} at the shell and pauses the board at the
     * program's end marker. The totals are the boot's (to the prompt) plus what each restore added, from
     * the snapshot to its end marker: the typed command's echo and the shell's fork and exec too.
     */
    private Report runFromSnapshot(OutputStream echo) throws IOException, InterruptedException, BootException {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream logStream = printStream(log);
        TrapWatcher watcher = new TrapWatcher(echo, bootSeconds, programSeconds);
        Path file = Files.createTempFile("jvisor-traps-", ".jvsnap");
        Thread sampler = null;
        try {
            TrapTally boot;
            long bootNanos, bootCpu, saveNanos;
            try (VirtBoard board = VirtBoard.build(config("console=ttyAMA0"), watcher, logStream, false)) {
                board.vm().trapConfig().traps(traps);
                watcher.attach(board, false);
                watcher.start();
                Running run = new Running(board);
                sampler = sampler(watcher);
                if (!board.consoleWatch().waitFor(DefaultGuest.PROMPT, Duration.ofSeconds(bootSeconds))) {
                    boolean timedOut = run.thread.isAlive();
                    if (timedOut) run.stop(124);
                    watcher.detach();
                    return new Report(List.of(), watcher.samples(), watcher.transcript() + log.toString(StandardCharsets.UTF_8),
                            run.status, timedOut, ramSize, TrapTally.of(board.vcpus()).totals(trapSet, -1,
                            System.nanoTime() - watcher.started(), 0, 0), Restores.NONE);
                }
                bootNanos = System.nanoTime() - watcher.started();
                board.pause();
                bootCpu = watcher.cpuTime();
                boot = TrapTally.of(board.vcpus());
                long t = System.nanoTime();
                board.save(file, "the default guest booted to its shell, for jvisor experiment traps");
                saveNanos = System.nanoTime() - t;
                run.stop(0);
                watcher.detach();
            }
            SnapshotFile snapshot;
            try {
                snapshot = SnapshotFile.open(file);
            } catch (SnapshotException e) {
                throw new IOException(e.getMessage(), e);
            }
            TrapTally all = boot;
            long cpu = bootCpu, restoreNanos = 0;
            int status = 0;
            boolean timedOut = false;
            for (String program : programs) {
                long t = System.nanoTime();
                try (VirtBoard board = VirtBoard.restore(snapshot, watcher, watcher, logStream, false)) {
                    restoreNanos += System.nanoTime() - t;
                    board.vm().trapConfig().traps(traps); // the snapshot's already; the set named is what runs
                    watcher.attach(board, true);
                    byte[] typed = ("./traps " + program + "\n").getBytes(StandardCharsets.US_ASCII);
                    board.consoleInput().receive(typed, 0, typed.length); // waiting on the line before the guest runs
                    Running run = new Running(board);
                    boolean late = run.awaitEnd(watcher);
                    if (run.thread.isAlive()) board.pause();
                    cpu += watcher.cpuTime();
                    all = all.plus(TrapTally.of(board.vcpus()).minus(boot));
                    run.stop(late ? 124 : 0);
                    watcher.detach();
                    timedOut |= late;
                    if (status == 0) status = run.status;
                }
            }
            stop(sampler);
            Totals totals = all.totals(trapSet, bootNanos, System.nanoTime() - watcher.started(), bootCpu, cpu);
            return new Report(watcher.results(), watcher.samples(), watcher.transcript() + log.toString(StandardCharsets.UTF_8),
                    status, timedOut, ramSize, totals, new Restores(bootNanos, saveNanos, restoreNanos, programs.size(), null));
        } finally {
            if (sampler != null) stop(sampler);
            Files.deleteIfExists(file);
        }
    }

    private static PrintStream printStream(ByteArrayOutputStream log) { return new PrintStream(log, true, StandardCharsets.UTF_8); }

    private Thread sampler(TrapWatcher watcher) {
        return Thread.ofPlatform().daemon().name("jvisor-experiment-sampler").start(() -> watcher.sampleEvery(periodMillis));
    }

    private static void stop(Thread sampler) throws InterruptedException {
        sampler.interrupt();
        sampler.join(5_000);
    }

    /** A board running on a thread of its own. */
    private static final class Running {
        final VirtBoard board;
        final Thread thread;
        volatile int status = -1;

        Running(VirtBoard board) {
            this.board = board;
            thread = Thread.ofPlatform().name("jvisor-experiment-board").start(() -> {
                try {
                    status = board.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }

        /**
         * Waits until the guest stops by itself, or the program of a restored board has ended (its vCPUs
         * then pause), or the watcher's deadline passed: true then.
         */
        boolean awaitEnd(TrapWatcher watcher) throws InterruptedException {
            while (thread.isAlive() && !watcher.programEnded()) {
                if (watcher.overdue()) return true;
                thread.join(20);
            }
            return false;
        }

        void stop(int exitStatus) throws InterruptedException {
            board.stop(exitStatus);
            thread.join(30_000);
        }
    }

    /** A guest program's exit status as a shell shows it: a signal by its name. */
    public static String statusText(int s) {
        if (s < 0) return "did not end";
        if (s > 128 && s < 128 + 32) {
            String[] names = {"", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
                    "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM"};
            int sig = s - 128;
            return s + " (" + (sig < names.length ? names[sig] : "signal " + sig) + ")";
        }
        return Integer.toString(s);
    }
}
