package org.jvisor.cpu;

/**
 * Storage of the system registers. Registers banked by exception level are arrays indexed by EL
 * (index 0 unused), so exception entry and return can pick them by number as the pseudocode does.
 * Access rules, reset values and traps live in {@link SysRegTable}.
 */
public final class SystemRegisters {
    // Banked by exception level [0..3]
    public final long[] sctlr = new long[4];
    public final long[] vbar = new long[4];
    public final long[] esr = new long[4];
    public final long[] far = new long[4];
    public final long[] elr = new long[4];
    public final long[] spsr = new long[4];
    public final long[] tcr = new long[4];
    public final long[] mair = new long[4];
    public final long[] amair = new long[4];
    public final long[] ttbr0 = new long[4];
    public final long[] actlr = new long[4];
    public final long[] afsr0 = new long[4];
    public final long[] afsr1 = new long[4];
    public final long[] tpidr = new long[4];

    // EL1&0 regime
    public long ttbr1El1, cpacrEl1, parEl1, contextidrEl1, tpidrEl0, tpidrroEl0, csselrEl1, cntkctlEl1;
    public long disrEl1;

    // EL2
    public long hcrEl2, cptrEl2, hstrEl2, mdcrEl2, hpfarEl2, vttbrEl2, vtcrEl2, vpidrEl2, vmpidrEl2;
    public long cnthctlEl2, cntvoffEl2, ttbr1El2, contextidrEl2, hacrEl2;

    // Identification, reported as the profile says
    public long midr = 0x411FD070L; // Cortex-A57 r1p0
    public long mpidr = 0x80000000L; // uniprocessor bit clear, affinity 0
    public long revidr;

    // HCR_EL2 bits used by the processor
    public static final long HCR_VM = 1L, HCR_SWIO = 1L << 1, HCR_PTW = 1L << 2, HCR_FMO = 1L << 3, HCR_IMO = 1L << 4,
            HCR_AMO = 1L << 5, HCR_VF = 1L << 6, HCR_VI = 1L << 7, HCR_VSE = 1L << 8, HCR_FB = 1L << 9,
            HCR_BSU = 3L << 10, HCR_DC = 1L << 12, HCR_TWI = 1L << 13, HCR_TWE = 1L << 14, HCR_TID0 = 1L << 15,
            HCR_TID1 = 1L << 16, HCR_TID2 = 1L << 17, HCR_TID3 = 1L << 18, HCR_TSC = 1L << 19, HCR_TIDCP = 1L << 20,
            HCR_TACR = 1L << 21, HCR_TSW = 1L << 22, HCR_TPCP = 1L << 23, HCR_TPU = 1L << 24, HCR_TTLB = 1L << 25,
            HCR_TVM = 1L << 26, HCR_TGE = 1L << 27, HCR_TDZ = 1L << 28, HCR_HCD = 1L << 29, HCR_TRVM = 1L << 30,
            HCR_RW = 1L << 31, HCR_CD = 1L << 32, HCR_ID = 1L << 33, HCR_E2H = 1L << 34;

    // SCTLR bits used by the processor
    public static final long SCTLR_M = 1L, SCTLR_A = 1L << 1, SCTLR_C = 1L << 2, SCTLR_SA = 1L << 3,
            SCTLR_SA0 = 1L << 4, SCTLR_UMA = 1L << 9, SCTLR_SED = 1L << 8, SCTLR_I = 1L << 12,
            SCTLR_DZE = 1L << 14, SCTLR_UCT = 1L << 15, SCTLR_NTWI = 1L << 16, SCTLR_NTWE = 1L << 18,
            SCTLR_WXN = 1L << 19, SCTLR_SPAN = 1L << 23, SCTLR_E0E = 1L << 24, SCTLR_EE = 1L << 25,
            SCTLR_UCI = 1L << 26;

    /** The banked registers, in the order {@link #saveState} writes them. */
    private long[][] banked() {
        return new long[][] {sctlr, vbar, esr, far, elr, spsr, tcr, mair, amair, ttbr0, actlr, afsr0, afsr1, tpidr};
    }

    /**
     * Every register stored here, for a snapshot. Their values select nothing the processor indexes with
     * (the registers that do, such as CSSELR_EL1 and MDCR_EL2.HPMN, are bounded where they are used, and
     * checked by {@link #restoreState} against what a write could leave); {@link Cpu#restoreState} checks
     * the rest of the processor.
     */
    void saveState(StateWriter w) {
        w.tag("system registers");
        for (long[] b : banked()) w.putLongs(b);
        for (long v : new long[] {ttbr1El1, cpacrEl1, parEl1, contextidrEl1, tpidrEl0, tpidrroEl0, csselrEl1, cntkctlEl1,
                disrEl1, hcrEl2, cptrEl2, hstrEl2, mdcrEl2, hpfarEl2, vttbrEl2, vtcrEl2, vpidrEl2, vmpidrEl2, cnthctlEl2,
                cntvoffEl2, ttbr1El2, contextidrEl2, hacrEl2, midr, mpidr, revidr}) w.putLong(v);
    }

    void restoreState(StateReader r) {
        r.tag("system registers");
        for (long[] b : banked()) r.getLongs(b);
        ttbr1El1 = r.getLong();
        cpacrEl1 = r.getLong();
        parEl1 = r.getLong();
        contextidrEl1 = r.getLong();
        tpidrEl0 = r.getLong();
        tpidrroEl0 = r.getLong();
        csselrEl1 = within(r.getLong(), 0xF, "CSSELR_EL1");
        cntkctlEl1 = within(r.getLong(), 0x3FF, "CNTKCTL_EL1");
        disrEl1 = r.getLong();
        hcrEl2 = within(r.getLong(), ControlRegisters.HCR_BITS, "HCR_EL2");
        cptrEl2 = r.getLong();
        hstrEl2 = r.getLong();
        mdcrEl2 = within(r.getLong(), 0xFFF, "MDCR_EL2");
        hpfarEl2 = r.getLong();
        vttbrEl2 = r.getLong();
        vtcrEl2 = r.getLong();
        vpidrEl2 = r.getLong();
        vmpidrEl2 = r.getLong();
        cnthctlEl2 = within(r.getLong(), 0xFF, "CNTHCTL_EL2");
        cntvoffEl2 = r.getLong();
        ttbr1El2 = r.getLong();
        contextidrEl2 = r.getLong();
        hacrEl2 = r.getLong();
        midr = r.getLong();
        mpidr = r.getLong();
        revidr = r.getLong();
    }

    /** A saved register value with no bits outside {@code bits} (those a write through MSR can set). */
    static long within(long v, long bits, String name) {
        if ((v & ~bits) != 0) throw new StateException(name + " has bits no write can set: 0x" + Long.toHexString(v));
        return v;
    }

    /** Architectural reset values of a core coming out of reset into EL1 (as QEMU's virt board starts it). */
    void reset() {
        sctlr[1] = 0x30D00800L; // RES1 bits, MMU and caches off
        sctlr[2] = 0x30C50830L;
        hcrEl2 = 0;
    }
}
