package org.jvisor.cpu;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * -Djvisor.translate.profile=true: counts, per op, the instructions run interpreted, inline in translated
 * code and through {@link TranslatedRuntime#fallback}, and how translated methods are left; printed at exit.
 * Off (the default) the checks fold away: {@link #ON} is a constant.
 */
final class TranslationProfile {
    static final boolean ON = System.getProperty("jvisor.translate.profile") != null;
    /** -Djvisor.translate.profile=el0: count only what runs at EL0 (a workload's own code, not the boot's). */
    private static final boolean EL0 = "el0".equals(System.getProperty("jvisor.translate.profile"));

    static final int INTERPRETED = 0, INLINE = 1, FALLBACK = 2, SLOW_PATH = 3, KINDS = 4, UNCOUNT_INLINE = -1;
    static final String[] KIND_NAMES = {"interp", "inline", "fallbk", "slow"};
    /** Ways out of a translated method. */
    static final int EXIT_BUDGET = 0, EXIT_OUTSIDE = 1, EXIT_INDIRECT = 2, EXIT_FALLBACK = 3, EXIT_BREAK = 4, EXITS = 5;
    static final String[] EXIT_NAMES = {"budget", "outside region", "indirect branch", "fallback left", "break on loop"};

    private static final AtomicLongArray COUNTS = new AtomicLongArray(KINDS << 16);
    private static final int[] SAMPLE = new int[1 << 16];
    private static final AtomicLongArray EXIT = new AtomicLongArray(EXITS);
    private static final AtomicLongArray ENTRY_LEN = new AtomicLongArray(20); // log2 histogram
    static long entries, entryInsns;
    private static final List<CodePage> PAGES = Collections.synchronizedList(new ArrayList<>());

    static {
        if (ON) Runtime.getRuntime().addShutdownHook(new Thread(TranslationProfile::print));
    }

    private TranslationProfile() {}

    static void count(Cpu cpu, int kind, int op, int insn) {
        if (EL0 && cpu.el != 0) return;
        if (kind == UNCOUNT_INLINE) {
            COUNTS.decrementAndGet((INLINE << 16) | op);
            return;
        }
        COUNTS.incrementAndGet((kind << 16) | op);
        SAMPLE[op] = insn;
    }

    static void exit(Cpu cpu, int why) {
        if (!EL0 || cpu.el == 0) EXIT.incrementAndGet(why);
    }

    static void entry(Cpu cpu, long insns) {
        if (EL0 && cpu.el != 0) return;
        entries++;
        entryInsns += insns;
        ENTRY_LEN.incrementAndGet(Math.min(19, 64 - Long.numberOfLeadingZeros(insns)));
    }

    static void interpreted(Cpu cpu, CodePage page, int i, int op, int insn) {
        if (EL0 && cpu.el != 0) return;
        count(cpu, INTERPRETED, op, insn);
        if (page.profileInterpreted++ == 0) {
            page.profileCounts = new long[1024];
            PAGES.add(page);
        }
        page.profileCounts[i]++;
    }

    private static String name(int op) {
        int g = op >>> 12;
        if (g <= 0 || g >= Executor.GROUPS.length) return "op " + op;
        for (Encoding e : Executor.GROUPS[g]) if (e.op() == (op & 0xfff) && e.matches(SAMPLE[op])) return e.name();
        for (Encoding e : Executor.GROUPS[g]) if (e.op() == (op & 0xfff)) return e.name();
        return "op " + op;
    }

    private static void print() {
        long[] tot = new long[KINDS];
        List<Integer> ops = new ArrayList<>();
        for (int op = 0; op < 1 << 16; op++) {
            long s = 0;
            for (int k = 0; k < KINDS; k++) {
                long c = COUNTS.get((k << 16) | op);
                tot[k] += c;
                s += c;
            }
            if (s > 0) ops.add(op);
        }
        long all = tot[0] + tot[1] + tot[2] + tot[3];
        StringBuilder b = new StringBuilder("translate.profile: instructions ").append(all);
        for (int k = 0; k < KINDS; k++) b.append(String.format(", %s %d (%.1f%%)", KIND_NAMES[k], tot[k], 100.0 * tot[k] / all));
        b.append('\n');
        ops.sort((x, y) -> {
            long a = 0, c = 0;
            for (int k = 0; k < KINDS; k++) {
                if (k == INLINE) continue;
                a += COUNTS.get((k << 16) | x);
                c += COUNTS.get((k << 16) | y);
            }
            return Long.compare(c, a);
        });
        b.append("  not inline, by op (interp / inline / fallback / slow path):\n");
        for (int i = 0; i < Math.min(45, ops.size()); i++) {
            int op = ops.get(i);
            b.append(String.format("  %-44s %12d %12d %12d %12d  %08x%n", name(op), COUNTS.get(op), COUNTS.get((1 << 16) | op),
                    COUNTS.get((2 << 16) | op), COUNTS.get((3 << 16) | op), SAMPLE[op]));
        }
        b.append(String.format("  entries %d, %.1f insns per entry; exits:", entries, entries == 0 ? 0.0 : (double) entryInsns / entries));
        for (int e = 0; e < EXITS; e++) b.append(String.format(" %s %d,", EXIT_NAMES[e], EXIT.get(e)));
        b.append("\n  insns per entry (log2 buckets):");
        for (int i = 0; i < 20; i++) if (ENTRY_LEN.get(i) > 0) b.append(String.format(" <%d:%d", 1L << i, ENTRY_LEN.get(i)));
        List<CodePage> pages;
        synchronized (PAGES) {
            pages = new ArrayList<>(PAGES);
        }
        pages.sort((x, y) -> Long.compare(y.profileInterpreted, x.profileInterpreted));
        b.append(String.format("%n  pages with interpreted code: %d; top:", pages.size()));
        for (int i = 0; i < Math.min(25, pages.size()); i++) {
            CodePage p = pages.get(i);
            int maxHeat = 0, hot = 0;
            for (long s : p.slots) {
                int h = CodePage.heat(s);
                if (h != Translator.NEVER) maxHeat = Math.max(maxHeat, h);
                else hot++;
            }
            b.append(String.format("%n    pa %x: %d interpreted, translated %s (%d translations), max heat %d, never %d",
                    p.region.base + p.offset, p.profileInterpreted, p.translated != null, p.translations, maxHeat, hot));
            if (i < 3) {
                b.append("\n      interpreted ranges (index: count):");
                for (int k = 0; k < 1024; ) {
                    if (p.profileCounts[k] * 2000 < p.profileInterpreted) {
                        k++;
                        continue;
                    }
                    int s = k;
                    long sum = 0;
                    while (k < 1024 && p.profileCounts[k] * 2000 >= p.profileInterpreted) sum += p.profileCounts[k++];
                    b.append(String.format(" %d-%d:%d", s, k - 1, sum));
                }
                if (p.translated != null) {
                    b.append("\n      translated entries:");
                    for (int[] es : p.translated.entries) b.append(' ').append(java.util.Arrays.toString(es));
                    b.append("\n      in blocks:");
                    for (int k = 0; k < 1024; k++) if (p.translated.blockAt(k) >= 0) b.append(' ').append(k);
                }
                b.append("\n      never:");
                for (int k = 0; k < 1024; k++) if (CodePage.heat(p.slots[k]) == Translator.NEVER) b.append(' ').append(k);
            }
        }
        System.err.println(b);
    }
}
