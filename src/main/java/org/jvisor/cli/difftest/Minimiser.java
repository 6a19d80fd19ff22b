package org.jvisor.cli.difftest;

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

    private static Sequence without(Sequence s, int from, int to) {
        boolean[] keep = new boolean[s.units().size()];
        Arrays.fill(keep, true);
        Arrays.fill(keep, from, to, false);
        return s.keeping(keep);
    }
}
