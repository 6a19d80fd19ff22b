package org.jvisor.hyp;

import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;
import org.jvisor.cpu.SysRegTable;

/**
 * Trap counters of one vCPU, classified as in the seeds' experiment: CPU traps (system register and
 * coprocessor accesses, WFx, HVC, SMC, FP/SIMD), MEM traps (stage-2 faults on RAM, each mapping a page),
 * IO traps (MMIO accesses emulated, in the hypervisor or by the caller), plus one count per ESR_EL2.EC
 * as kvm_stat shows. Written only by the vCPU's thread; read from others as a best-effort snapshot.
 */
public final class TrapStats {
    long cpuTraps, memTraps, ioTraps;
    final long[] byEc = new long[64];
    /** When the guest owns EL2 ({@link NestedTrapCounter}): interrupts that took its guest to EL2, and its kernel's calls into its EL2. */
    long interrupts, hostCalls;
    /**
     * Trap-and-emulate ({@link Deprivileged}): exceptions delivered to the guest's virtual EL1, by virtual
     * exception class (interrupts apart), and shadow page table fills (their own count: MEM traps are stage 2's).
     */
    long virtualInterrupts, shadowFills;
    final long[] virtualByEc = new long[64];
    /**
     * Trap-and-emulate: the instructions the hypervisor emulated for the guest's virtual EL1: MRS and MSR by
     * register and SYS by operation (SysRegTable's order, the last slot unallocated), the rest by {@link #OTHERS}.
     * Arrays, not a map: millions of these are counted in a Linux boot.
     */
    private final long[] emulatedMrs = new long[SysRegTable.count() + 1], emulatedMsr = new long[SysRegTable.count() + 1],
            emulatedSys = new long[SysRegTable.count() + 1];
    static final String[] OTHERS = {"ERET", "HVC", "SMC", "LDTR", "STTR", "LDTRS (64-bit)", "LDTRS (32-bit)", "MSR DAIFSet",
            "MSR DAIFClr", "MSR SPSel", "MSR PAN"};
    static final int ERET = 0, HVC = 1, SMC = 2, MSR_DAIFSET = 7, MSR_DAIFCLR = 8, MSR_SPSEL = 9, MSR_PAN = 10;
    private final long[] emulatedOthers = new long[OTHERS.length];
    /** EC 0x18 traps per register or operation, in SysRegTable's order; the last slot: unallocated encodings. */
    private final long[] bySysReg = new long[SysRegTable.count() + 1];

    public long cpuTraps() { return cpuTraps; }

    public long memTraps() { return memTraps; }

    public long ioTraps() { return ioTraps; }

    /** When the guest owns EL2: interrupts taken to its EL2 from its guest (0 otherwise: jvisor's vGIC takes none). */
    public long interrupts() { return interrupts; }

    /** When the guest owns EL2: exceptions taken to its EL2 from its own kernel, its stage 2 off (hypercalls, not traps). */
    public long hostCalls() { return hostCalls; }

    /** Exits with the given exception class (0..63). */
    public long exits(int ec) { return byEc[ec & 63]; }

    void sysRegTrap(int key) {
        int i = SysRegTable.indexAt(key);
        bySysReg[i < 0 ? bySysReg.length - 1 : i]++;
    }

    /**
     * The EC 0x18 traps by register or operation name (MRS and MSR of one register together; "unallocated"
     * for IMPLEMENTATION DEFINED and unknown encodings), only those with any, in encoding order.
     */
    public java.util.Map<String, Long> sysRegTraps() {
        java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < bySysReg.length; i++) {
            if (bySysReg[i] != 0) m.put(i == bySysReg.length - 1 ? "unallocated" : SysRegTable.nameOfIndex(i), bySysReg[i]);
        }
        return m;
    }

    /** Trap-and-emulate: synchronous exceptions delivered to the guest's virtual EL1 with this virtual EC. */
    public long virtualExceptions(int ec) { return virtualByEc[ec & 63]; }

    /** Trap-and-emulate: interrupts delivered to the guest's virtual EL1. */
    public long virtualInterrupts() { return virtualInterrupts; }

    /** Trap-and-emulate: shadow stage 1 entries filled from the guest's tables. */
    public long shadowFills() { return shadowFills; }

    /** Trap-and-emulate: the emulated instructions by name (MRS/MSR with their register, TLBI/AT/DC/IC by operation), sorted. */
    public java.util.Map<String, Long> emulated() {
        java.util.Map<String, Long> m = new java.util.TreeMap<>();
        for (int i = 0; i < emulatedMrs.length; i++) {
            String name = i == emulatedMrs.length - 1 ? "unallocated" : SysRegTable.nameOfIndex(i);
            if (emulatedMrs[i] != 0) m.put("MRS " + name, emulatedMrs[i]);
            if (emulatedMsr[i] != 0) m.put("MSR " + name, emulatedMsr[i]);
            if (emulatedSys[i] != 0) m.put(i == emulatedSys.length - 1 ? "SYS unallocated" : name, emulatedSys[i]);
        }
        for (int i = 0; i < OTHERS.length; i++) if (emulatedOthers[i] != 0) m.put(OTHERS[i], emulatedOthers[i]);
        return m;
    }

    /** Counts an emulated MRS ({@code read}), MSR or SYS (op0 1) of the register or operation at {@code key}. */
    void emulated(int key, boolean read) {
        int i = SysRegTable.indexAt(key);
        if (i < 0) i = emulatedMrs.length - 1;
        if (key >>> 14 == 1) emulatedSys[i]++;
        else if (read) emulatedMrs[i]++;
        else emulatedMsr[i]++;
    }

    /** Counts an emulated instruction of {@link #OTHERS}. */
    void emulated(int other) { emulatedOthers[other]++; }

    public long totalExits() {
        long t = 0;
        for (long c : byEc) t += c;
        return t;
    }

    @Override
    public String toString() {
        String s = "CPU trap " + cpuTraps + ", MEM trap " + memTraps + ", IO trap " + ioTraps;
        if (shadowFills == 0) return s;
        long virtual = 0;
        for (long c : virtualByEc) virtual += c;
        return s + ", virtual exceptions " + virtual + ", virtual IRQs " + virtualInterrupts + ", shadow fills " + shadowFills;
    }

    /** The counters, for a snapshot: a restored VM's {@code info traps} goes on counting from them. */
    void saveState(StateWriter w) {
        w.tag("trap counters");
        for (long v : new long[] {cpuTraps, memTraps, ioTraps, interrupts, hostCalls, virtualInterrupts, shadowFills}) w.putLong(v);
        for (long[] a : arrays()) w.putLongs(a);
    }

    void restoreState(StateReader r) {
        r.tag("trap counters");
        cpuTraps = r.getLong();
        memTraps = r.getLong();
        ioTraps = r.getLong();
        interrupts = r.getLong();
        hostCalls = r.getLong();
        virtualInterrupts = r.getLong();
        shadowFills = r.getLong();
        for (long[] a : arrays()) r.getLongs(a); // sized by SysRegTable: a build with other registers is refused here
    }

    private long[][] arrays() {
        return new long[][] {byEc, virtualByEc, emulatedMrs, emulatedMsr, emulatedSys, emulatedOthers, bySysReg};
    }
}
