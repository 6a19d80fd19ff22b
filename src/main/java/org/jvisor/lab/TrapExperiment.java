package org.jvisor.lab;

import org.jvisor.guest.GuestImage;
import org.jvisor.vmm.BoardConfig;
import org.jvisor.vmm.BootException;
import org.jvisor.vmm.VirtBoard;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import org.jvisor.hyp.TrapConfig;
import org.jvisor.hyp.TrapStats;
import org.jvisor.hyp.Vcpu;

/**
 * The seeds' trap experiment as one run: the default guest boots on the virt board with
 * {@code jvisor.run="traps PROGRAM ..."}, and its {@code /home/root/traps} script runs each program between
 * two console lines, {@code @jvisor-start N SPEC} and {@code @jvisor-end N SPEC STATUS}. The counters are
 * read when the last byte of such a line reaches the PL011: that happens on the vCPU thread emulating the
 * guest's store to UARTDR, so the writing vCPU's counters are exact at that instant (the guest is inside
 * the echo's write(2), between the two programs) and the others' are a snapshot taken at the same time. A
 * sampler thread also reads every vCPU's counters each {@code periodMillis} for the trace. The guest
 * powers itself off after the last program; a host-side deadline per program stops the board otherwise.
 *
 * <pre>{@code
 *   TrapExperiment.Report r = new TrapExperiment(image, 512L << 20, 1, List.of("mem,64", "io,1000")).run(System.out);
 * }</pre>
 */
public final class TrapExperiment {
    /** The programs and arguments run when none are given: bomb last, as it leaves the guest's memory scattered. */
    public static final List<String> DEFAULT_PROGRAMS = List.of(
            "/bin/true", "mem,64", "io,1000", "divide", "access", "fork", "stack", "cpubench", "bomb,10");

    /** A marker line's prefix; the guest's /home/root/traps prints them. */
    static final String MARK = "@jvisor-";
    private static final int MAX_TRANSCRIPT = 8 << 20;

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
     * The whole run, summed over the vCPUs: the time from power-on to the first program's start marker (the
     * boot; -1 if it never came) and to the power-off; the CPU time the vCPU threads used up to the first
     * start marker and up to the last program's end marker (what the processor and the hypervisor cost,
     * which the host's other load barely changes); the trap counters, the exits by exception class
     * (ESR_EL2.EC, 64 entries) and the
     * system-register traps by register, with the trap set it ran under.
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

    /** One vCPU's running totals at a time (seconds since the board started); {@code event} marks a program's start or end. */
    public record Sample(double seconds, int vcpu, Counters counters, String event) {}

    /**
     * Everything the run gave: per-program results in order, the trace, the console transcript, the
     * board's exit status, and whether a deadline stopped the guest.
     */
    public record Report(List<Result> results, List<Sample> samples, String console, int boardStatus, boolean timedOut,
                         long guestRamBytes, Totals totals) {
        public Report(List<Result> results, List<Sample> samples, String console, int boardStatus, boolean timedOut, long guestRamBytes) {
            this(results, samples, console, boardStatus, timedOut, guestRamBytes, Totals.NONE);
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
    private boolean deprivileged;

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

    /** Host-side deadlines: for the boot up to the first program, and for each program (a bomb's own seconds come on top). */
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

    /** The kernel command line's {@code jvisor.run} for these programs. */
    String command() { return "traps " + String.join(" ", programs); }

    /** Boots, runs the programs, and returns when the guest powered off or a deadline stopped it; the guest's console goes to {@code echo} too (may be null). */
    public Report run(OutputStream echo) throws IOException, InterruptedException, BootException {
        BoardConfig config = new BoardConfig(ramSize, cpus, 2, false, List.of(), image.kernel(), image.initrd(),
                "console=ttyAMA0 jvisor.run=\"" + command() + "\"", false, true, true, java.time.Duration.ZERO, null, false, deprivileged);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Watcher watcher = new Watcher(echo);
        try (VirtBoard board = VirtBoard.build(config, watcher, new PrintStream(log, true, StandardCharsets.UTF_8), false)) {
            watcher.board = board;
            board.vm().trapConfig().traps(traps);
            int[] status = {-1};
            Thread runner = Thread.ofPlatform().name("jvisor-experiment-board").start(() -> {
                try {
                    status[0] = board.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            watcher.started = System.nanoTime();
            Thread sampler = Thread.ofPlatform().daemon().name("jvisor-experiment-sampler").start(() -> watcher.sampleEvery(periodMillis));
            boolean timedOut = false;
            try {
                while (runner.isAlive()) {
                    runner.join(200);
                    if (runner.isAlive() && watcher.overdue()) {
                        timedOut = true;
                        board.stop(124);
                        runner.join(30_000);
                        break;
                    }
                }
            } finally {
                sampler.interrupt();
                sampler.join(5_000);
            }
            String console = watcher.transcript() + log.toString(StandardCharsets.UTF_8);
            return new Report(watcher.results(), watcher.samples(), console, status[0], timedOut, ramSize, watcher.totals(trapSet));
        }
    }

    /** The console: passes bytes on, keeps a bounded transcript, and acts on marker lines as their newline arrives. */
    private final class Watcher extends OutputStream {
        private final OutputStream echo;
        private final ByteArrayOutputStream transcript = new ByteArrayOutputStream();
        private final StringBuilder line = new StringBuilder();
        private final List<Result> results = new ArrayList<>();
        private final List<Sample> samples = new ArrayList<>();
        volatile VirtBoard board;
        volatile long started;
        private volatile long firstStart = -1, bootCpu, lastCpu, programCpu;
        private int index;            // the program running, 0-based; -1 between programs
        private String currentSpec;
        private long programStart, peakRss, peakHeap;
        private int outputStart;
        private Counters before;
        private volatile long deadline;

        Watcher(OutputStream echo) {
            this.echo = echo;
            index = -1;
        }

        @Override
        public void write(int b) throws IOException { write(new byte[] {(byte) b}, 0, 1); }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (echo != null) echo.write(b, off, len);
            if (transcript.size() < MAX_TRANSCRIPT) transcript.write(b, off, Math.min(len, MAX_TRANSCRIPT - transcript.size()));
            for (int i = off; i < off + len; i++) {
                char c = (char) (b[i] & 0xff);
                if (c == '\n') {
                    if (line.length() > 0 && line.charAt(0) == '@') marker(line.toString().strip());
                    line.setLength(0);
                } else if (line.length() < 256) {
                    line.append(c);
                }
            }
        }

        @Override
        public void flush() throws IOException {
            if (echo != null) echo.flush();
        }

        /** On the vCPU thread that wrote the line's last byte. */
        private void marker(String text) {
            if (!text.startsWith(MARK) || board == null) return;
            String[] f = text.split(" ");
            long now = System.nanoTime();
            if (f[0].equals(MARK + "start") && f.length == 3) {
                currentSpec = f[2];
                programCpu = cpuTime();
                if (firstStart < 0) {
                    firstStart = now;
                    bootCpu = programCpu;
                }
                before = sampleAll(now, "start " + currentSpec);
                programStart = now;
                peakRss = rss();
                peakHeap = heap();
                outputStart = transcript.size();
                long extra = currentSpec.startsWith("bomb") ? bombSeconds(currentSpec) : 0;
                deadline = now + TimeUnit.SECONDS.toNanos(programSeconds + extra);
                index++;
            } else if (f[0].equals(MARK + "end") && f.length == 4 && f[2].equals(currentSpec)) {
                Counters after = sampleAll(now, "end " + currentSpec);
                lastCpu = cpuTime();
                int status;
                try {
                    status = Integer.parseInt(f[3]);
                } catch (NumberFormatException e) {
                    status = -1;
                }
                String out = transcript.toString(StandardCharsets.ISO_8859_1).substring(Math.min(outputStart, transcript.size()));
                int cut = out.lastIndexOf(MARK + "end");
                if (cut >= 0) out = out.substring(0, cut);
                results.add(new Result(currentSpec, after.minus(before), now - programStart, status, peakRss, peakHeap,
                        out.replace("\r", ""), lastCpu - programCpu));
                currentSpec = null;
                deadline = now + TimeUnit.SECONDS.toNanos(programSeconds);
            }
        }

        private long bombSeconds(String spec) {
            String[] a = spec.split(",");
            try {
                return a.length > 1 ? Long.parseLong(a[1]) : 10;
            } catch (NumberFormatException e) {
                return 10;
            }
        }

        /** Every vCPU's counters now, as trace rows marked {@code event}; their sum. */
        private Counters sampleAll(long now, String event) {
            long cpu = 0, mem = 0, io = 0;
            double t = (now - started) / 1e9;
            for (Vcpu v : board.vcpus()) {
                Counters c = Counters.of(v.stats());
                synchronized (samples) {
                    samples.add(new Sample(t, v.id(), c, event));
                }
                cpu += c.cpu;
                mem += c.mem;
                io += c.io;
            }
            return new Counters(cpu, mem, io);
        }

        void sampleEvery(long millis) {
            while (!Thread.currentThread().isInterrupted()) {
                sampleAll(System.nanoTime(), "");
                long r = rss(), h = heap();
                synchronized (this) {
                    if (currentSpec != null) {
                        peakRss = Math.max(peakRss, r);
                        peakHeap = Math.max(peakHeap, h);
                    }
                }
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private long cpuTime() {
            long t = 0;
            for (Vcpu v : board.vcpus()) t += v.threadCpuNanos();
            return t;
        }

        /** After the run: the board's vCPUs' totals. */
        Totals totals(String trapSet) {
            long[] byEc = new long[64];
            long cpu = 0, mem = 0, io = 0, virtualExceptions = 0, virtualIrqs = 0, fills = 0;
            Map<String, Long> regs = new java.util.LinkedHashMap<>(), emulated = new java.util.TreeMap<>();
            for (Vcpu v : board.vcpus()) {
                TrapStats s = v.stats();
                s.sysRegTraps().forEach((k, n) -> regs.merge(k, n, Long::sum));
                s.emulated().forEach((k, n) -> emulated.merge(k, n, Long::sum));
                for (int ec = 0; ec < 64; ec++) virtualExceptions += s.virtualExceptions(ec);
                virtualIrqs += s.virtualInterrupts();
                fills += s.shadowFills();
                for (int ec = 0; ec < 64; ec++) byEc[ec] += s.exits(ec);
                cpu += s.cpuTraps();
                mem += s.memTraps();
                io += s.ioTraps();
            }
            return new Totals(trapSet, firstStart < 0 ? -1 : firstStart - started, System.nanoTime() - started, bootCpu, lastCpu,
                    new Counters(cpu, mem, io), byEc, regs, new Deprivileged(emulated, virtualExceptions, virtualIrqs, fills));
        }

        boolean overdue() {
            long d = deadline;
            if (d == 0) d = started + TimeUnit.SECONDS.toNanos(bootSeconds);
            return System.nanoTime() - d > 0;
        }

        synchronized List<Result> results() {
            List<Result> r = new ArrayList<>(results);
            if (currentSpec != null) {
                r.add(new Result(currentSpec, sampleAll(System.nanoTime(), "stopped " + currentSpec).minus(before),
                        System.nanoTime() - programStart, -1, peakRss, peakHeap, ""));
            }
            return r;
        }

        List<Sample> samples() {
            synchronized (samples) {
                return List.copyOf(samples);
            }
        }

        synchronized String transcript() { return transcript.toString(StandardCharsets.ISO_8859_1).replace("\r", ""); }
    }

    /** This process's resident set (VmRSS), or 0 where /proc is not there. */
    static long rss() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return 0;
    }

    private static long heap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
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
