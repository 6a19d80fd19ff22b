package org.jvisor.difftest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import org.jvisor.cpu.Decoder;
import org.jvisor.cpu.Encoding;
import org.jvisor.cpu.InstructionGroups;
import org.jvisor.cpu.Translation;

/**
 * The differential tester: generates sequences, runs them in batches in jvisor and under QEMU, compares
 * the outcomes, and minimises and describes every mismatch.
 */
public final class Difftest {
    /**
     * What to run. {@code maxReports}: how many mismatches are minimised and described (all are counted).
     * {@code jvisorRuns}: what jvisor executes of the generated program. {@code translation}: how every
     * jvisor processor of the run executes code (set on each, whatever the process default).
     */
    public record Options(int count, long seed, List<String> groups, int length, int batchSize, int maxReports,
                          JvisorRuns jvisorRuns, Translation translation) {
        public Options {
            java.util.Objects.requireNonNull(jvisorRuns);
            java.util.Objects.requireNonNull(translation);
        }

        /** The whole program, interpreted. */
        public Options(int count, long seed, List<String> groups, int length, int batchSize, int maxReports) {
            this(count, seed, groups, length, batchSize, maxReports, JvisorRuns.PROGRAM, Translation.OFF);
        }
    }

    /**
     * PROGRAM: the whole program, harness included, with its system calls and signals emulated as Linux
     * does them (both sides run the same bytes). SEQUENCES: only the sequences, the initial state set and
     * the result read in Java (a harness problem cannot hide or fake a mismatch).
     */
    public enum JvisorRuns { PROGRAM, SEQUENCES }

    /** One mismatch: the generated sequence and its minimised form, with the minimised form's report. */
    public record Mismatch(int index, int originalLength, int minimalLength, String report) {}

    public record Result(int sequences, int mismatches, List<Mismatch> reports, List<String> notes, String stats) {}

    private final Options opt;
    /** Test hook: changes jvisor's outcome of a sequence, to check that the tester reports what differs. */
    BiFunction<Sequence, Outcome, Outcome> jvisorTamper = (s, o) -> o;

    public Difftest(Options opt) {
        this.opt = opt;
    }

    public Result run() {
        List<String> notes = new ArrayList<>();
        Map<String, List<Encoding>> a57 = new LinkedHashMap<>(), lse = new LinkedHashMap<>();
        for (String g : opt.groups()) {
            List<Encoding> enc = InstructionGroups.encodings(g);
            if (enc.isEmpty()) {
                notes.add("group " + g + " has no encodings in jvisor yet: not tested");
                continue;
            }
            if (!g.equals("lse")) a57.put(g, enc);
            // LSE sequences mix in the groups cortex-a76 runs as an ARMv8.0 processor does; not sys, whose
            // space has ARMv8.2 additions there (DC CVAP...), nor FP/SIMD (FP16, dot product...).
            if (!g.equals("sys") && !InstructionGroups.FP_GROUPS.contains(g)) lse.put(g, enc);
        }
        if (!lse.containsKey("lse")) lse.clear();
        boolean fp = a57.keySet().stream().anyMatch(InstructionGroups.FP_GROUPS::contains);
        Generator genA57 = new Generator(opt.seed() * 31 + 1, a57, Profile.A57, fp);
        Generator genLse = new Generator(opt.seed() * 31 + 2, lse, Profile.LSE, false);
        if (genA57.isEmpty() && genLse.isEmpty()) {
            notes.add("no instruction group to test");
            return new Result(0, 0, List.of(), notes, "");
        }
        QemuRunner.checkAvailable();
        if (fp && opt.jvisorRuns() == JvisorRuns.PROGRAM && !ProgramRunner.canRunFpHarness())
            notes.add("jvisor cannot run the FP/SIMD harness yet (LDR/STR Q): FP/SIMD sequences run alone in jvisor"
                    + " (as with --jvisor-runs sequences)");
        if (!genA57.isEmpty()) checkHarness(Profile.A57, fp);
        if (!genLse.isEmpty()) checkHarness(Profile.LSE, false);
        double lseShare = genLse.isEmpty() ? 0 : genA57.isEmpty() ? 1 : 1.0 / (a57.size() + 1);
        Random pick = new Random(opt.seed());

        List<Mismatch> reports = new ArrayList<>();
        int mismatches = 0;
        List<Sequence> pendA57 = new ArrayList<>(), pendLse = new ArrayList<>();
        List<Integer> idxA57 = new ArrayList<>(), idxLse = new ArrayList<>();
        for (int i = 0; i < opt.count(); i++) {
            boolean isLse = pick.nextDouble() < lseShare;
            (isLse ? pendLse : pendA57).add((isLse ? genLse : genA57).next(opt.length()));
            (isLse ? idxLse : idxA57).add(i);
            boolean last = i == opt.count() - 1;
            for (int k = 0; k < 2; k++) {
                List<Sequence> pend = k == 0 ? pendA57 : pendLse;
                List<Integer> idx = k == 0 ? idxA57 : idxLse;
                if (pend.size() >= opt.batchSize() || (last && !pend.isEmpty())) {
                    mismatches += check(pend, idx, reports);
                    pend.clear();
                    idx.clear();
                }
            }
        }
        reports.sort(java.util.Comparator.comparingInt(Mismatch::index));
        StringBuilder st = new StringBuilder("instructions under test (generated / ended the sequence with a signal under QEMU):\n");
        for (var e : generated.entrySet())
            st.append(String.format("  %-40s %7d %7d%n", e.getKey(), e.getValue(), faulted.getOrDefault(e.getKey(), 0)));
        return new Result(opt.count(), mismatches, reports, notes, st.toString());
    }

    private final java.util.TreeMap<String, Integer> generated = new java.util.TreeMap<>(), faulted = new java.util.TreeMap<>();

    private int check(List<Sequence> batch, List<Integer> indices, List<Mismatch> reports) {
        List<Compared> res = compareAll(batch);
        int count = 0;
        for (int i = 0; i < batch.size(); i++) {
            for (Unit u : batch.get(i).units()) generated.merge(Decoder.nameOf(u.main().word()), 1, Integer::sum);
            Compared c = res.get(i);
            Outcome q = c.qemu();
            Layout l = c.layout();
            int k = c.index();
            if (q != null && q.signal() != 0 && q.faultPc() >= l.seqStart[k] && q.faultPc() < l.seqEnd[k])
                faulted.merge(Decoder.nameOf(l.code[(int) ((q.faultPc() - Layout.CODE_BASE) / 4)]), 1, Integer::sum);
            if (c.diff().isEmpty()) continue;
            count++;
            if (reports.size() < opt.maxReports()) reports.add(describe(indices.get(i), batch.get(i)));
        }
        return count;
    }

    /** The comparison of one sequence: what differs, QEMU's outcome (null if a side failed), where it ran. */
    record Compared(List<String> diff, Outcome qemu, Layout layout, int index) {}

    /**
     * Runs sequences (of one profile) on both sides, in one batch. If a side fails as a whole (QEMU or the
     * program in jvisor dies, a Java exception escapes jvisor), the batch is split until the sequence
     * that causes it is found, and that sequence is reported as a mismatch.
     */
    List<Compared> compareAll(List<Sequence> seqs) {
        Layout l = new Layout(seqs);
        Profile profile = seqs.getFirst().profile();
        String failure;
        try {
            QemuRunner.Run q = new QemuRunner.Run(l, profile);
            List<Outcome> jv;
            try {
                boolean program = opt.jvisorRuns() == JvisorRuns.PROGRAM && (!l.fp || ProgramRunner.canRunFpHarness());
                jv = program ? ProgramRunner.run(l, profile, opt.translation()) : JvisorRunner.run(l, profile, opt.translation());
                List<Outcome> t = new ArrayList<>();
                for (int i = 0; i < jv.size(); i++) t.add(jvisorTamper.apply(l.seqs.get(i), jv.get(i)));
                jv = t;
            } catch (IOException | RuntimeException e) {
                try {
                    q.outcomes(); // let QEMU finish and clean up
                } catch (IOException ignored) {
                    // jvisor's failure is the one to report
                }
                throw new SideFailed("jvisor failed: " + e);
            }
            List<Outcome> qemu;
            try {
                qemu = q.outcomes();
            } catch (IOException e) {
                throw new SideFailed("QEMU failed: " + e.getMessage());
            }
            List<Compared> out = new ArrayList<>();
            for (int i = 0; i < jv.size(); i++) {
                Outcome qo = qemu.get(i);
                boolean vUnknown = qo.faultAddrMeaningful() && qo.faultPc() >= Layout.CODE_BASE
                        && qo.faultPc() < Layout.CODE_BASE + 4L * l.code.length
                        && isSimdFpLoad(l.code[(int) ((qo.faultPc() - Layout.CODE_BASE) / 4)]);
                out.add(new Compared(Comparison.diff(jv.get(i), qo, l.recAddr[i], l.initialRecord(i), vUnknown), qo, l, i));
            }
            return out;
        } catch (SideFailed e) {
            failure = e.getMessage();
        } catch (IOException e) {
            failure = "QEMU failed: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (seqs.size() == 1) return List.of(new Compared(List.of(failure), null, l, 0));
        int half = seqs.size() / 2;
        List<Compared> out = new ArrayList<>(compareAll(seqs.subList(0, half)));
        out.addAll(compareAll(seqs.subList(half, seqs.size())));
        return out;
    }

    /** A SIMD&FP load (any addressing form, structures included): the L bit, bit 22, is set in all of them. */
    static boolean isSimdFpLoad(int w) {
        return Generator.isLoadStore(w) && (w & (1 << 26)) != 0 && (w & (1 << 22)) != 0;
    }

    private static final class SideFailed extends Exception {
        SideFailed(String message) {
            super(message, null, false, false);
        }
    }

    /** Whether each sequence mismatches (all must use the same profile). */
    boolean[] failing(List<Sequence> seqs) {
        boolean[] f = new boolean[seqs.size()];
        for (int from = 0; from < seqs.size(); from += opt.batchSize()) {
            List<Sequence> part = seqs.subList(from, Math.min(seqs.size(), from + opt.batchSize()));
            List<Compared> d = compareAll(part);
            for (int i = 0; i < part.size(); i++) f[from + i] = !d.get(i).diff().isEmpty();
        }
        return f;
    }

    /**
     * Runs a sequence of no instructions on each reference: it must come out as it went in, on both sides,
     * or the harness itself is broken and no result would mean anything.
     */
    private void checkHarness(Profile profile, boolean fp) {
        Sequence empty = new Generator(opt.seed(), Map.of(), profile, fp).next(0);
        Compared c = compareAll(List.of(empty)).getFirst();
        if (!c.diff().isEmpty())
            throw new IllegalStateException("the harness fails on an empty sequence (QEMU -cpu " + empty.profile().qemuCpu
                    + "): " + String.join("; ", c.diff()));
    }

    Mismatch describe(int index, Sequence s) {
        Sequence min = Minimiser.simplifyState(Minimiser.minimise(s, this::failing), this::failing);
        Compared c = compareAll(List.of(min)).getFirst();
        if (c.diff().isEmpty()) { // the failure did not reproduce alone: describe the whole sequence
            min = s;
            c = compareAll(List.of(s)).getFirst();
        }
        Layout l = c.layout();
        List<String> diff = c.diff();
        return new Mismatch(index, s.units().size(), min.units().size(), report(index, s, min, l, diff));
    }

    static String report(int index, Sequence orig, Sequence min, Layout l, List<String> diff) {
        StringBuilder b = new StringBuilder();
        b.append("mismatch in sequence ").append(index).append(" (QEMU -cpu ").append(min.profile().qemuCpu)
                .append("), minimised from ").append(orig.units().size()).append(" to ").append(min.units().size())
                .append(" instruction(s)\n");
        b.append("  initial state (registers not listed are 0):\n");
        long[] x = min.x();
        StringBuilder line = new StringBuilder();
        for (int k = 0; k < 31; k++) {
            if (x[k] == 0) continue;
            line.append(String.format(" %-4s%016x", "x" + k, x[k]));
            if (line.length() > 80) {
                b.append("   ").append(line).append('\n');
                line.setLength(0);
            }
        }
        if (!line.isEmpty()) b.append("   ").append(line).append('\n');
        b.append(String.format("    sp  %016x  nzcv %s%n", l.scratchAddr(0) + min.spOffset(), Comparison.flags(min.nzcv())));
        if (min.fp() != null) {
            FpState f = min.fp();
            for (int k = 0; k < 32; k++)
                if (f.v()[2 * k] != 0 || f.v()[2 * k + 1] != 0) b.append(String.format("    %-4s%s%n", "v" + k, Comparison.hex128(f.v(), k)));
            b.append(String.format("    fpcr %08x (RMode %d%s%s%s)  fpsr %08x (%s)%n", f.fpcr(), (f.fpcr() >>> 22) & 3,
                    (f.fpcr() & 1 << 24) != 0 ? " FZ" : "", (f.fpcr() & 1 << 25) != 0 ? " DN" : "",
                    (f.fpcr() & 1 << 26) != 0 ? " AHP" : "", f.fpsr(), Comparison.fpsrFlags(f.fpsr())));
        }
        List<String> mem = new ArrayList<>();
        byte[] m = min.scratch();
        for (int off = 0; off < m.length; off += 8) {
            long v = 0;
            for (int k = 7; k >= 0; k--) v = v << 8 | (m[off + k] & 0xff);
            if (v != 0) mem.add(String.format("[%08x] %016x", l.scratchAddr(0) + off, v));
        }
        b.append(String.format("    scratch memory %08x-%08x: ", l.scratchAddr(0), l.scratchAddr(0) + Layout.SCRATCH_SIZE - 1));
        if (mem.isEmpty()) b.append("all zero\n");
        else if (mem.size() > 32) b.append(mem.size()).append(" non-zero 64-bit words (JVISOR_DIFFTEST_KEEP=DIR keeps the program)\n");
        else {
            b.append("zero except\n");
            for (int i = 0; i < mem.size(); i += 3)
                b.append("      ").append(String.join("  ", mem.subList(i, Math.min(mem.size(), i + 3)))).append('\n');
        }
        b.append("  code:\n");
        int words = (int) ((l.seqEnd[0] - l.seqStart[0]) / 4);
        int[] w = new int[words];
        System.arraycopy(l.code, (int) ((l.seqStart[0] - Layout.CODE_BASE) / 4), w, 0, words);
        String[] dis = Disassembler.disassemble(w, l.seqStart[0]);
        for (int i = 0; i < words; i++)
            b.append(String.format("    %08x: %08x  %-40s [%s]%n", l.seqStart[0] + 4L * i, w[i], dis[i], Decoder.nameOf(w[i])));
        b.append(String.format("    %08x: (end)%n", l.seqEnd[0]));
        b.append("  differences (jvisor vs QEMU):\n");
        for (String d : diff) b.append("    ").append(d).append('\n');
        return b.toString();
    }
}
