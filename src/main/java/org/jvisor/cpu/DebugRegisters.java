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
}
