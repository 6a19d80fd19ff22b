package org.jvisor.cli;

import org.jvisor.lab.BenchPrograms;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.ExitReason;
import org.jvisor.cpu.PhysicalBus;
import org.jvisor.cpu.Ram;
import org.jvisor.cpu.SystemRegisters;
import org.jvisor.cpu.Translation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jvisor bench}: guest MIPS of jvisor, at EL1 with the MMU on, in each translation mode asked for
 * (one JVM runs them all: the mode is each processor's), and of qemu-aarch64 (user mode, TCG) on the same
 * loops ({@link BenchPrograms}), in one run, with jvisor's ratio to QEMU. jvisor is warmed up first (the
 * JIT); QEMU is timed at two iteration counts and the difference taken, so its start-up is excluded.
 * Each figure is the median of several runs.
 */
@Command(name = "bench", subcommands = {BootBenchCommand.class, WorkloadBenchCommand.class},
        description = "Measures guest MIPS of jvisor (EL1, MMU on) and of qemu-aarch64 on an integer loop and a load/store loop.")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--iterations", description = "Loop iterations per timed jvisor run (default: ${DEFAULT-VALUE}).")
    long iterations = 20_000_000;

    @Option(names = "--runs", description = "Timed runs per measurement; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs = 5;

    @Option(names = "--warmup", description = "Untimed jvisor runs before measuring, for the JIT (default: ${DEFAULT-VALUE}).")
    int warmup = 3;

    @Option(names = "--qemu", description = "The qemu-aarch64 user-mode binary (default: ${DEFAULT-VALUE}).")
    String qemu = "qemu-aarch64-static";

    @Option(names = "--no-qemu", description = "Measure jvisor only.")
    boolean noQemu;

    @Option(names = "--loop", description = "Only this loop: integer or load/store (default: both).")
    String only;

    @Mixin
    TranslateOption.Modes translate;

    /** One measurement: guest MIPS by wall-clock time and by CPU time, and the loop's result (x3). */
    record Result(double mips, double cpuMips, long x3) {}

    static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    @Override
    public Integer call() throws Exception {
        if (iterations < 1000 || iterations > 0xffff_ffffL) throw new UserError("--iterations must be between 1000 and 4294967295");
        if (runs < 1 || warmup < 0) throw new UserError("--runs must be at least 1 and --warmup at least 0");
        if (only != null && Arrays.stream(BenchPrograms.LOOPS).noneMatch(l -> l.name().equals(only)))
            throw new UserError("unknown loop " + only + " (integer or load/store)");
        List<Translation> modes = translate.modes();
        System.out.printf("jvisor bench: %s; Java %s; %d iterations x %d runs (median)%n", hostCpu(),
                Runtime.version(), iterations, runs);
        String qemuPath = noQemu ? null : findQemu();
        if (!noQemu && qemuPath == null) System.out.println("(" + qemu + " not found: measuring jvisor only)");
        System.out.println("MIPS = guest instructions per microsecond of wall-clock time (and of CPU time, which a busy host");
        System.out.println("does not distort); jvisor/qemu is the ratio of the CPU-time figures (above 1: jvisor is faster).");
        row("loop", "insn/it", "machine", "MIPS wall / cpu", "jvisor/qemu");
        int status = 0;
        // Warm the JIT up on every selected loop and mode before timing any: the dispatch code is shared, and
        // compiled on one loop's profile alone it runs the other up to 15% slower, so the figures would depend on order.
        for (Translation mode : modes) {
            Machine warm = new Machine(mode);
            for (int w = 0; w < warmup; w++)
                for (BenchPrograms.Loop loop : BenchPrograms.LOOPS)
                    if (only == null || only.equals(loop.name())) warm.run(loop, Math.max(1000, iterations / 2));
        }
        for (BenchPrograms.Loop loop : BenchPrograms.LOOPS) {
            if (only != null && !only.equals(loop.name())) continue;
            List<Result> js = new ArrayList<>();
            for (Translation mode : modes) js.add(measureJvisor(loop, mode, iterations, runs, warmup));
            Result q = qemuPath == null ? null : measureQemu(qemuPath, loop, iterations, runs);
            for (int i = 0; i < modes.size(); i++) {
                Result j = js.get(i);
                row(loop.name(), loop.perIteration(), "jvisor " + TranslateOption.name(modes.get(i)), mips(j),
                        q == null ? "-" : String.format("%.3f", j.cpuMips() / q.cpuMips()));
                // every mode must compute what QEMU computes (its exit status: x3's low byte), and what the others compute
                if ((q != null && (q.x3() & 0xff) != (j.x3() & 0xff)) || j.x3() != js.get(0).x3()) {
                    System.out.printf("MISMATCH: %s loop result: jvisor %s x3=%016x%s%n", loop.name(), TranslateOption.name(modes.get(i)), j.x3(),
                            q == null ? "" : String.format(", qemu low byte %02x", q.x3()));
                    status = 1;
                }
            }
            if (q != null) row(loop.name(), loop.perIteration(), "qemu", mips(q), "");
        }
        return status;
    }

    /** A table row: loop, instructions per iteration, machine, MIPS, ratio. */
    private static void row(Object... columns) {
        System.out.println(String.format("%-11s %8s  %-13s %17s %12s", columns).stripTrailing());
    }

    private static String mips(Result r) { return String.format("%.0f / %.0f", r.mips(), r.cpuMips()); }

    // ---- jvisor ------------------------------------------------------------------------------------

    /** Runs the loops at EL1 with stage-1 translation on: code and buffer live at a VA that is not their PA. */
    static final class Machine {
        static final long RAM = 0x4000_0000L, RAM_SIZE = 64L << 20;
        /** VA [0x40000000, 0x40200000) maps, page by page, to PA [0x41000000, 0x41200000). */
        static final long VA_BASE = 0x4000_0000L, PA_BASE = 0x4100_0000L, TABLES = 0x4010_0000L;
        final PhysicalBus bus = new PhysicalBus();
        final Cpu cpu;

        Machine() {
            this(Translation.processDefault());
        }

        Machine(Translation translation) {
            bus.addRam(RAM, Ram.allocate(RAM_SIZE));
            cpu = new Cpu(bus);
            cpu.setTranslation(translation);
            // 4 KiB granule, 39-bit VA (walks start at level 1), Normal write-back memory (MAIR attr 1).
            long l1 = TABLES, l2 = TABLES + 0x1000, l3 = TABLES + 0x2000;
            bus.write(l1 + 8 * (VA_BASE >>> 30), 8, l2 | 3);
            bus.write(l2 + 8 * ((VA_BASE >>> 21) & 511), 8, l3 | 3);
            long attrs = (1L << 2) | (3L << 8) | (1L << 10) | 3; // AttrIndx 1, inner shareable, AF, page
            for (int i = 0; i < 512; i++) bus.write(l3 + 8L * i, 8, (PA_BASE + ((long) i << 12)) | attrs);
            cpu.sr.mair[1] = 0xff00;
            cpu.sr.tcr[1] = 25 | (1L << 8) | (1L << 10) | (3L << 12) | (1L << 23) | (2L << 32);
            cpu.sr.ttbr0[1] = l1;
            cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_M | SystemRegisters.SCTLR_C | SystemRegisters.SCTLR_I;
            cpu.tlbFlush();
        }

        static long pa(long va) { return va - VA_BASE + PA_BASE; }

        /** Runs the loop once; returns {instructions retired, wall nanoseconds, x3, CPU nanoseconds of this thread}. */
        long[] run(BenchPrograms.Loop loop, long iterations) {
            bus.writeBytes(pa(BenchPrograms.CODE_VA), BenchPrograms.code(loop, iterations, false));
            for (long a = 0; a < BenchPrograms.BUFFER_SIZE; a += 8) bus.write(pa(BenchPrograms.BUFFER_VA) + a, 8, 0);
            Arrays.fill(cpu.x, 0);
            cpu.setElAndSpSel(1, 1); // the previous run ended in the host-owned EL2
            cpu.pc = BenchPrograms.CODE_VA;
            long i0 = cpu.instret, c0 = THREADS.getCurrentThreadCpuTime(), t0 = System.nanoTime();
            ExitReason r;
            do {
                r = cpu.run(Long.MAX_VALUE / 2);
            } while (r == ExitReason.BUDGET || r == ExitReason.STOPPED);
            long t1 = System.nanoTime(), c1 = THREADS.getCurrentThreadCpuTime();
            long esr = cpu.sr.esr[2];
            if (r != ExitReason.EL2_TRAP || Esr.ec(esr) != Esr.EC_HVC64)
                throw new UserError(String.format("the %s loop did not finish in jvisor: %s, ESR_EL2=0x%x, ESR_EL1=0x%x, ELR_EL1=0x%x, pc=0x%x"
                                + " (an instruction it uses may be missing)", loop.name(), r, esr, cpu.sr.esr[1], cpu.sr.elr[1], cpu.pc));
            return new long[] {cpu.instret - i0, t1 - t0, cpu.x[3], c1 - c0};
        }
    }

    static Result measureJvisor(BenchPrograms.Loop loop, Translation mode, long iterations, int runs, int warmup) {
        Machine m = new Machine(mode);
        for (int i = 0; i < warmup; i++) m.run(loop, Math.max(1000, iterations / 2));
        double[] mips = new double[runs], cpuMips = new double[runs];
        long x3 = 0;
        for (int i = 0; i < runs; i++) {
            long[] r = m.run(loop, iterations);
            mips[i] = r[0] * 1e3 / r[1];
            cpuMips[i] = r[0] * 1e3 / r[3];
            x3 = r[2];
        }
        return new Result(median(mips), median(cpuMips), x3);
    }

    // ---- QEMU --------------------------------------------------------------------------------------

    String findQemu() {
        if (qemu.contains("/")) return Files.isExecutable(Path.of(qemu)) ? qemu : null;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, qemu);
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }

    /**
     * MIPS of qemu-aarch64 from runs at {@code iterations} and at 10 times as many: the difference in
     * instructions over the difference in median wall time. The result is the exit status of the shorter
     * run (x3's low byte at {@code iterations}, comparable with jvisor's).
     */
    static Result measureQemu(String qemuPath, BenchPrograms.Loop loop, long iterations, int runs) throws IOException, InterruptedException {
        long n1 = iterations, n2 = Math.min(0xffff_ffffL, iterations * 10);
        Path dir = Files.createTempDirectory("jvisor-bench");
        try {
            Path e1 = writeElf(dir.resolve("short"), loop, n1), e2 = writeElf(dir.resolve("long"), loop, n2);
            double[] t1 = new double[runs], t2 = new double[runs], c1 = new double[runs], c2 = new double[runs];
            int status = -1;
            for (int i = 0; i < runs; i++) {
                long[] a = runQemu(qemuPath, e1), b = runQemu(qemuPath, e2);
                t1[i] = a[0];
                c1[i] = a[2];
                status = (int) a[1];
                t2[i] = b[0];
                c2[i] = b[2];
            }
            double insns = (n2 - n1) * (double) loop.perIteration();
            double dt = median(t2) - median(t1), dc = median(c2) - median(c1);
            return new Result(dt > 0 ? insns * 1e3 / dt : Double.NaN, dc > 0 ? insns * 1e3 / dc : Double.NaN, status);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    static Path writeElf(Path p, BenchPrograms.Loop loop, long iterations) throws IOException {
        Files.write(p, BenchPrograms.linuxElf(loop, iterations));
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    /**
     * Runs a Linux ELF under qemu-aarch64; returns {wall nanoseconds, exit status, CPU nanoseconds}. The
     * CPU time (user + system) comes from the shell's {@code times} builtin, which reports its children.
     */
    static long[] runQemu(String qemuPath, Path elf) throws IOException, InterruptedException {
        String script = "\"$0\" -cpu cortex-a57 \"$1\"; s=$?; times; exit $s";
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", script, qemuPath, elf.toString()));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new UserError(qemuPath + " did not finish within 300 s");
        }
        long wall = System.nanoTime() - t0;
        return new long[] {wall, p.exitValue(), childCpuNanos(new String(out, java.nio.charset.StandardCharsets.UTF_8), wall)};
    }

    /** The second line of {@code times} output: "0m1.234s 0m0.010s" (children's user and system time). */
    static long childCpuNanos(String timesOutput, long fallback) {
        String[] lines = timesOutput.strip().split("\n");
        if (lines.length < 2) return fallback;
        long total = 0;
        for (String f : lines[lines.length - 1].trim().split("\\s+")) {
            var m = java.util.regex.Pattern.compile("(\\d+)m([\\d.]+)s").matcher(f);
            if (!m.matches()) return fallback;
            total += (long) ((Long.parseLong(m.group(1)) * 60 + Double.parseDouble(m.group(2))) * 1e9);
        }
        return total;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static String hostCpu() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo")))
                if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).trim() + ", " + Runtime.getRuntime().availableProcessors() + " cores";
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }
}
