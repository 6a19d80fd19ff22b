package org.jvisor.difftest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Delta debugging over units: repeatedly try the sequence without one chunk of units (halves, quarters...
 * down to single units), all candidates of a round in one batch, and keep the smallest that still fails.
 * Ends when no single unit can be dropped, so every remaining unit is needed for the failure.
 */
final class Minimiser {
    /** Says, for each candidate, whether it still fails. */
    interface Oracle {
        boolean[] failing(List<Sequence> candidates);
    }

    private Minimiser() {}

    static Sequence minimise(Sequence s, Oracle oracle) {
        Sequence cur = s;
        while (!cur.units().isEmpty()) {
            int n = cur.units().size();
            List<Sequence> candidates = new ArrayList<>();
            for (int parts = 2; parts < n; parts *= 2) {
                for (int p = 0; p < parts; p++) {
                    int from = p * n / parts, to = (p + 1) * n / parts;
                    if (to > from) candidates.add(without(cur, from, to));
                }
            }
            for (int i = 0; i < n; i++) candidates.add(without(cur, i, i + 1));
            boolean[] f = oracle.failing(candidates);
            Sequence best = null;
            for (int i = 0; i < candidates.size(); i++)
                if (f[i] && (best == null || candidates.get(i).units().size() < best.units().size())) best = candidates.get(i);
            if (best == null) break;
            cur = best;
        }
        return cur;
    }

    /**
     * Simplifies the initial state of a failing sequence: zeroes the registers, NZCV and scratch memory
     * (in 128-byte chunks, then 8-byte words) that the failure does not depend on, so a report shows only
     * the values that matter.
     */
    static Sequence simplifyState(Sequence s, Oracle oracle) {
        List<Sequence> cands = new ArrayList<>();
        for (int k = 0; k < 31; k++) {
            if (s.x()[k] == 0) continue;
            long[] x = s.x().clone();
            x[k] = 0;
            cands.add(s.withX(x));
        }
        if (s.nzcv() != 0) cands.add(s.withNzcv(0));
        s = combine(s, cands, oracle);
        if (s.fp() != null) {
            cands.clear();
            FpState f = s.fp();
            for (int k = 0; k < 32; k++)
                if (f.v()[2 * k] != 0 || f.v()[2 * k + 1] != 0) cands.add(s.withFp(f.withV(k, 0, 0)));
            if (f.fpcr() != 0) cands.add(s.withFp(f.withFpcr(0)));
            if (f.fpsr() != 0) cands.add(s.withFp(f.withFpsr(0)));
            s = combine(s, cands, oracle);
        }
        for (int size : new int[] {128, 8}) {
            cands.clear();
            for (int off = 0; off < s.scratch().length; off += size) {
                if (isZero(s.scratch(), off, size)) continue;
                byte[] m = s.scratch().clone();
                Arrays.fill(m, off, off + size, (byte) 0);
                cands.add(s.withScratch(m));
            }
            s = combine(s, cands, oracle);
        }
        return s;
    }

    /** Applies every single simplification that keeps the failure, if together they still fail; else the first. */
    private static Sequence combine(Sequence s, List<Sequence> cands, Oracle oracle) {
        if (cands.isEmpty()) return s;
        boolean[] f = oracle.failing(cands);
        long[] x = s.x().clone();
        int nzcv = s.nzcv();
        byte[] m = s.scratch().clone();
        long[] v = s.fp() == null ? null : s.fp().v().clone();
        int fpcr = s.fp() == null ? 0 : s.fp().fpcr(), fpsr = s.fp() == null ? 0 : s.fp().fpsr();
        Sequence first = null;
        for (int i = 0; i < f.length; i++) {
            if (!f[i]) continue;
            Sequence c = cands.get(i);
            if (first == null) first = c;
            for (int k = 0; k < 31; k++) if (c.x()[k] != s.x()[k]) x[k] = c.x()[k];
            if (c.nzcv() != s.nzcv()) nzcv = c.nzcv();
            for (int k = 0; k < m.length; k++) if (c.scratch()[k] != s.scratch()[k]) m[k] = c.scratch()[k];
            if (v != null) {
                for (int k = 0; k < 64; k++) if (c.fp().v()[k] != s.fp().v()[k]) v[k] = c.fp().v()[k];
                if (c.fp().fpcr() != s.fp().fpcr()) fpcr = c.fp().fpcr();
                if (c.fp().fpsr() != s.fp().fpsr()) fpsr = c.fp().fpsr();
            }
        }
        if (first == null) return s;
        Sequence all = new Sequence(x, s.spOffset(), nzcv, m, s.units(), s.profile(), v == null ? null : new FpState(v, fpcr, fpsr));
        return oracle.failing(List.of(all))[0] ? all : first;
    }

    private static boolean isZero(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) if (b[i] != 0) return false;
        return true;
    }

    private static Sequence without(Sequence s, int from, int to) {
        boolean[] keep = new boolean[s.units().size()];
        Arrays.fill(keep, true);
        Arrays.fill(keep, from, to, false);
        return s.keeping(keep);
    }
}
