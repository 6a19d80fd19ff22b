package org.jvisor.cpu;

/**
 * Storage of the self-hosted debug registers (ARMv8.0: 6 breakpoints, 4 watchpoints as on Cortex-A57).
 * Access rules live with the other system registers; behaviour (step, breakpoints, watchpoints) in
 * {@link Debug}.
 */
public final class DebugRegisters {
    public static final int BREAKPOINTS = 6, WATCHPOINTS = 4;
    public final long[] bvr = new long[BREAKPOINTS];
    public final long[] bcr = new long[BREAKPOINTS];
    public final long[] wvr = new long[WATCHPOINTS];
    public final long[] wcr = new long[WATCHPOINTS];
    public long mdscr;
    public long oslsr = 0b1010; // OS lock implemented and locked out of reset
    public long osdlr, dbgprcr, dbgclaim, mdccint;
}
