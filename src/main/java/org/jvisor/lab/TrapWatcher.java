package org.jvisor.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jvisor.hyp.Vcpu;
import org.jvisor.vmm.VirtBoard;

/**
 * The trap experiment's console: passes the guest's output on, keeps a bounded transcript, and acts on the
 * marker lines of {@code /home/root/traps} as their newline arrives. That happens on the vCPU thread
 * emulating the guest's store to UARTDR, so the writing vCPU's counters are exact at that instant (the
 * guest is inside the echo's write(2), just outside the program) and the others' are read at the same time.
 * A sampler thread also reads every vCPU's counters for the trace. One watcher serves the boards of one
 * experiment in turn (a boot, then the restores of its snapshot): the transcript, the results and the trace
 * run on across them, the trace's time from {@link #start}.
 */
final class TrapWatcher extends OutputStream {
    /** A marker line's prefix; the guest's /home/root/traps prints them. */
    static final String MARK = "@jvisor-";
    private static final int MAX_TRANSCRIPT = 8 << 20;

    private final OutputStream echo;
    private final long bootSeconds, programSeconds;
    private final ByteArrayOutputStream transcript = new ByteArrayOutputStream();
    private final StringBuilder line = new StringBuilder();
    private final List<TrapExperiment.Result> results = new ArrayList<>();
    private final List<TrapExperiment.Sample> samples = new ArrayList<>();
    private volatile VirtBoard board;
    private volatile boolean pauseAtEnd, ended;
    private volatile long started, firstStart = -1, bootCpu, lastCpu, deadline;
    private String currentSpec;
    private long programStart, programCpu, peakRss, peakHeap;
    private int outputStart;
    private TrapExperiment.Counters before;

    /** {@code echo}: where the console goes too (may be null); the deadlines as {@link TrapExperiment#deadlines}. */
    TrapWatcher(OutputStream echo, long bootSeconds, long programSeconds) {
        this.echo = echo;
        this.bootSeconds = bootSeconds;
        this.programSeconds = programSeconds;
    }

    /** The experiment starts (its first board powers on): the trace's time zero, the boot's deadline from now. */
    void start() {
        started = System.nanoTime();
        deadline = started + TimeUnit.SECONDS.toNanos(bootSeconds);
    }

    long started() { return started; }

    /**
     * Watches {@code b}'s markers from now on. {@code restored}: a board restored to the shell, which is
     * given one program: its deadline starts now, and at that program's end marker every vCPU is asked to
     * pause, so that its counters stay as the marker left them ({@link #programEnded}).
     */
    synchronized void attach(VirtBoard b, boolean restored) {
        board = b;
        pauseAtEnd = restored;
        ended = false;
        lastCpu = 0;
        if (restored) deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(programSeconds);
    }

    /** The board's run is over: a program it was running when stopped is a result with status -1. */
    synchronized void detach() {
        if (currentSpec != null) {
            long now = System.nanoTime();
            results.add(new TrapExperiment.Result(currentSpec, sampleAll(now, "stopped " + currentSpec).minus(before),
                    now - programStart, -1, peakRss, peakHeap, ""));
            currentSpec = null;
        }
        board = null;
    }

    /** Whether the program of a restored board has printed its end marker. */
    boolean programEnded() { return ended; }

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
        VirtBoard b = board;
        if (!text.startsWith(MARK) || b == null) return;
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
        } else if (f[0].equals(MARK + "end") && f.length == 4 && f[2].equals(currentSpec)) {
            TrapExperiment.Counters after = sampleAll(now, "end " + currentSpec);
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
            results.add(new TrapExperiment.Result(currentSpec, after.minus(before), now - programStart, status, peakRss, peakHeap,
                    out.replace("\r", ""), lastCpu - programCpu));
            currentSpec = null;
            deadline = now + TimeUnit.SECONDS.toNanos(programSeconds);
            if (pauseAtEnd) {
                b.requestPause();
                ended = true;
            }
        }
    }

    private static long bombSeconds(String spec) {
        String[] a = spec.split(",");
        try {
            return a.length > 1 ? Long.parseLong(a[1]) : 10;
        } catch (NumberFormatException e) {
            return 10;
        }
    }

    /** Every vCPU's counters now, as trace rows marked {@code event}; their sum (zero between boards). */
    private TrapExperiment.Counters sampleAll(long now, String event) {
        VirtBoard b = board;
        long cpu = 0, mem = 0, io = 0;
        if (b == null) return new TrapExperiment.Counters(0, 0, 0);
        double t = (now - started) / 1e9;
        for (Vcpu v : b.vcpus()) {
            TrapExperiment.Counters c = TrapExperiment.Counters.of(v.stats());
            synchronized (samples) {
                samples.add(new TrapExperiment.Sample(t, v.id(), c, event));
            }
            cpu += c.cpu();
            mem += c.mem();
            io += c.io();
        }
        return new TrapExperiment.Counters(cpu, mem, io);
    }

    /** The sampler thread's loop: the trace every {@code millis}, and the process's peaks while a program runs. */
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

    /** The CPU time the board's vCPU threads have used (while they live). */
    long cpuTime() {
        VirtBoard b = board;
        long t = 0;
        if (b != null) for (Vcpu v : b.vcpus()) t += v.threadCpuNanos();
        return t;
    }

    /** When the first program's start marker came (System.nanoTime), or -1. */
    long firstStart() { return firstStart; }

    /** The vCPU threads' CPU time at the first start marker and at the last end marker, on the board that printed them. */
    long bootCpu() { return bootCpu; }

    long lastCpu() { return lastCpu; }

    boolean overdue() { return System.nanoTime() - deadline > 0; }

    synchronized List<TrapExperiment.Result> results() { return List.copyOf(results); }

    List<TrapExperiment.Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    synchronized String transcript() { return transcript.toString(StandardCharsets.ISO_8859_1).replace("\r", ""); }

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
}
