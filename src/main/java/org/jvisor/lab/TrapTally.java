package org.jvisor.lab;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jvisor.hyp.TrapStats;
import org.jvisor.hyp.Vcpu;

/**
 * The vCPUs' trap counters summed at one moment, everything {@link TrapExperiment.Totals} reports: a run's
 * counters, or, with the programs started from a snapshot, the boot's plus what each restore added to them
 * (a restored vCPU's counters start from the snapshot's, so each restore's share is its reading minus the boot's).
 */
final class TrapTally {
    private final long[] counts;   // cpu, mem, io, virtual exceptions, virtual IRQs, shadow fills
    private final long[] byEc;
    private final Map<String, Long> sysRegTraps, emulated;

    private TrapTally(long[] counts, long[] byEc, Map<String, Long> sysRegTraps, Map<String, Long> emulated) {
        this.counts = counts;
        this.byEc = byEc;
        this.sysRegTraps = sysRegTraps;
        this.emulated = emulated;
    }

    /** The counters of {@code vcpus} now, summed. */
    static TrapTally of(List<Vcpu> vcpus) {
        long[] counts = new long[6], byEc = new long[64];
        Map<String, Long> regs = new LinkedHashMap<>(), emulated = new TreeMap<>();
        for (Vcpu v : vcpus) {
            TrapStats s = v.stats();
            s.sysRegTraps().forEach((k, n) -> regs.merge(k, n, Long::sum));
            s.emulated().forEach((k, n) -> emulated.merge(k, n, Long::sum));
            for (int ec = 0; ec < 64; ec++) {
                counts[3] += s.virtualExceptions(ec);
                byEc[ec] += s.exits(ec);
            }
            counts[4] += s.virtualInterrupts();
            counts[5] += s.shadowFills();
            counts[0] += s.cpuTraps();
            counts[1] += s.memTraps();
            counts[2] += s.ioTraps();
        }
        return new TrapTally(counts, byEc, regs, emulated);
    }

    /** This tally with {@code other}'s counts added, times {@code sign} (1 or -1). */
    private TrapTally add(TrapTally other, int sign) {
        long[] c = counts.clone(), e = byEc.clone();
        for (int i = 0; i < c.length; i++) c[i] += sign * other.counts[i];
        for (int i = 0; i < e.length; i++) e[i] += sign * other.byEc[i];
        Map<String, Long> regs = new LinkedHashMap<>(sysRegTraps), em = new TreeMap<>(emulated);
        other.sysRegTraps.forEach((k, n) -> regs.merge(k, sign * n, Long::sum));
        other.emulated.forEach((k, n) -> em.merge(k, sign * n, Long::sum));
        regs.values().removeIf(n -> n == 0);
        em.values().removeIf(n -> n == 0);
        return new TrapTally(c, e, regs, em);
    }

    TrapTally plus(TrapTally other) { return add(other, 1); }

    TrapTally minus(TrapTally other) { return add(other, -1); }

    TrapExperiment.Totals totals(String trapSet, long bootNanos, long wallNanos, long bootCpuNanos, long cpuNanos) {
        return new TrapExperiment.Totals(trapSet, bootNanos, wallNanos, bootCpuNanos, cpuNanos,
                new TrapExperiment.Counters(counts[0], counts[1], counts[2]), byEc, sysRegTraps,
                new TrapExperiment.Deprivileged(emulated, counts[3], counts[4], counts[5]));
    }
}
