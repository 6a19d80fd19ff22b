package org.jvisor.cpu;

/**
 * Storage of the self-hosted debug registers (ARMv8.0: 6 breakpoints, the last 2 context-aware, and 4
 * watchpoints, as on Cortex-A57), plus the software step state the architecture keeps beside PSTATE.SS.
 * Access rules live with the other system registers; behaviour (step, breakpoints, watchpoints) in
 * {@link Debug}. After writing MDSCR_EL1, DBGBCR/DBGWCR, OSLSR (through OSLAR), OSDLR, DBGPRCR or
 * MDCR_EL2, call {@link Debug#update}.
 */
public final class DebugRegisters {
    public static final int BREAKPOINTS = 6, WATCHPOINTS = 4, CONTEXT_BREAKPOINTS = 2;
    public final long[] bvr = new long[BREAKPOINTS];
    public final long[] bcr = new long[BREAKPOINTS];
    public final long[] wvr = new long[WATCHPOINTS];
    public final long[] wcr = new long[WATCHPOINTS];
    public long mdscr;
    public long oslsr = 0b1010; // OS lock implemented and locked out of reset
    public long osdlr, dbgprcr, dbgclaim, mdccint;

    /** Something can raise a debug exception (see {@link Debug#update}); false keeps the fast path. */
    boolean armed;
    /** The instruction now executing started in the active-not-pending step state. */
    boolean stepping;
    /** An instruction was stepped since the last exception entry or return (ESR.ISV of the step exception). */
    boolean stepDone;
    /** The stepped instruction was a load-exclusive (ESR.EX of the step exception). */
    boolean stepEx;
    /** The address reported in FAR by the last watchpoint match. */
    long watchHit;

    /**
     * The registers and the step state the next step exception reports. Not saved: {@link #armed} (derived:
     * {@link Debug#update}), {@link #stepping} and {@link #watchHit} (they live within one instruction).
     */
    void saveState(StateWriter w) {
        w.tag("debug registers");
        w.putLongs(bvr).putLongs(bcr).putLongs(wvr).putLongs(wcr);
        w.putLong(mdscr).putLong(oslsr).putLong(osdlr).putLong(dbgprcr).putLong(dbgclaim).putLong(mdccint);
        w.putBoolean(stepDone).putBoolean(stepEx);
    }

    void restoreState(StateReader r) {
        r.tag("debug registers");
        r.getLongs(bvr);
        r.getLongs(bcr);
        r.getLongs(wvr);
        r.getLongs(wcr);
        mdscr = r.getLong();
        oslsr = r.getLong();
        // OSLM is fixed (implemented); only OSLK changes
        if ((oslsr & ~Debug.OSLSR_OSLK) != 0b1000) throw new StateException("OSLSR_EL1 out of range: 0x" + Long.toHexString(oslsr));
        osdlr = r.getLong();
        dbgprcr = r.getLong();
        dbgclaim = r.getLong();
        mdccint = r.getLong();
        stepDone = r.getBoolean();
        stepEx = r.getBoolean();
    }
}
