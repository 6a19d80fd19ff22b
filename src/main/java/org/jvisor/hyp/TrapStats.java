package org.jvisor.hyp;

/**
 * Trap counters of one vCPU, classified as in the seeds' experiment: CPU traps (system register and
 * coprocessor accesses, WFx, HVC, SMC, FP/SIMD), MEM traps (stage-2 faults on RAM, each mapping a page),
 * IO traps (MMIO accesses emulated, in the hypervisor or by the caller), plus one count per ESR_EL2.EC
 * as kvm_stat shows. Written only by the vCPU's thread; read from others as a best-effort snapshot.
 */
public final class TrapStats {
    long cpuTraps, memTraps, ioTraps;
    final long[] byEc = new long[64];

    public long cpuTraps() { return cpuTraps; }

    public long memTraps() { return memTraps; }

    public long ioTraps() { return ioTraps; }

    /** Exits with the given exception class (0..63). */
    public long exits(int ec) { return byEc[ec & 63]; }

    public long totalExits() {
        long t = 0;
        for (long c : byEc) t += c;
        return t;
    }

    @Override
    public String toString() { return "CPU trap " + cpuTraps + ", MEM trap " + memTraps + ", IO trap " + ioTraps; }
}
