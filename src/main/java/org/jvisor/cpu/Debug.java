package org.jvisor.cpu;

/**
 * The self-hosted debug architecture (ARMv8.0, AArch64 only): software step, hardware breakpoints and
 * watchpoints. Active only while {@link Cpu#debugActive} is set, so the normal path pays nothing for it;
 * {@link #update} recomputes that flag after any write to the debug control registers.
 *
 * <p>Where the Arm ARM leaves a choice CONSTRAINED UNPREDICTABLE (reserved watchpoint MASK values,
 * non-contiguous BAS, FAR of a breakpoint) this follows QEMU's choices.
 */
public final class Debug {
    public static final long MDSCR_SS = 1L, MDSCR_KDE = 1L << 13, MDSCR_MDE = 1L << 15;
    public static final long MDCR_EL2_TDE = 1L << 8;
    public static final long OSLSR_OSLK = 1L << 1, OSDLR_DLK = 1L, DBGPRCR_CORENPDRQ = 1L;

    private Debug() {}

    /**
     * Recomputes whether anything can raise a debug exception (software step enabled, or MDE with an
     * enabled breakpoint or watchpoint, and the OS lock and double lock clear). Call after writing
     * MDSCR_EL1, DBGBCR/DBGWCR, OSLAR/OSDLR/DBGPRCR or MDCR_EL2. Ends the chunk, and flushes the soft TLB
     * when arming so that every data access goes through the watchpoint check.
     */
    public static void update(Cpu cpu) {
        DebugRegisters d = cpu.dbg;
        boolean armed = false;
        if (!osLocked(d)) {
            if ((d.mdscr & MDSCR_SS) != 0) armed = true;
            if ((d.mdscr & MDSCR_MDE) != 0) {
                for (long bcr : d.bcr) armed |= (bcr & 1) != 0;
                for (long wcr : d.wcr) armed |= (wcr & 1) != 0;
            }
        }
        if (armed && !d.armed && !cpu.hostDebug.armed) cpu.tlbFlush();
        d.armed = armed;
        cpu.debugActive = armed || cpu.il || cpu.hostDebug.armed;
        cpu.endChunk();
    }

    /** OSLAR_EL1 write: bit 0 sets or clears the OS lock (OSLSR_EL1.OSLK). */
    public static void writeOslar(Cpu cpu, long value) {
        DebugRegisters d = cpu.dbg;
        d.oslsr = (value & 1) != 0 ? d.oslsr | OSLSR_OSLK : d.oslsr & ~OSLSR_OSLK;
        update(cpu);
    }

    private static boolean osLocked(DebugRegisters d) {
        boolean doubleLocked = (d.osdlr & OSDLR_DLK) != 0 && (d.dbgprcr & DBGPRCR_CORENPDRQ) == 0;
        return (d.oslsr & OSLSR_OSLK) != 0 || doubleLocked;
    }

    /** DebugTarget(): EL2 when MDCR_EL2.TDE or HCR_EL2.TGE route debug exceptions there, else EL1. */
    static int debugTarget(Cpu cpu) {
        boolean toEl2 = (cpu.sr.mdcrEl2 & MDCR_EL2_TDE) != 0 || (cpu.sr.hcrEl2 & SystemRegisters.HCR_TGE) != 0;
        return toEl2 ? 2 : 1;
    }

    /**
     * AArch64.GenerateDebugExceptionsFrom(from, mask): never under the OS lock or double lock; at the
     * debug target EL only with MDSCR_EL1.KDE set and PSTATE.D ({@code masked}) clear; always from a
     * lower EL; never from a higher one.
     */
    static boolean generateDebugExceptionsFrom(Cpu cpu, int from, boolean masked) {
        DebugRegisters d = cpu.dbg;
        if (osLocked(d)) return false;
        int target = debugTarget(cpu);
        if (from == target) return (d.mdscr & MDSCR_KDE) != 0 && !masked;
        return target > from;
    }

    static boolean generateDebugExceptions(Cpu cpu) {
        return generateDebugExceptionsFrom(cpu, cpu.el, (cpu.daif & Cpu.DAIF_D) != 0);
    }

    /** The EL a debug exception from the current EL is taken to and the EC for it ({@code lowEc} or lowEc+1). */
    private static ExceptionTaken debugException(Cpu cpu, int lowEc, int iss, long preferredReturn) {
        int target = Math.max(cpu.el, debugTarget(cpu));
        int ec = target > cpu.el ? lowEc : lowEc + 1;
        return cpu.takeException(target, Cpu.VECT_SYNC, preferredReturn, Esr.encode(ec, iss));
    }

    // ---- software step -----------------------------------------------------------------------------

    /**
     * AArch64.CheckSoftwareStep, before each instruction: in the active-pending state (step enabled,
     * PSTATE.SS clear) the Software Step exception is taken now, returning to this instruction; in the
     * active-not-pending state the instruction is stepped.
     */
    static void beforeStep(Cpu cpu) {
        DebugRegisters d = cpu.dbg;
        d.stepping = false;
        if (!d.armed || (d.mdscr & MDSCR_SS) == 0 || !generateDebugExceptions(cpu)) return;
        if (cpu.ss) {
            d.stepping = true;
            return;
        }
        // ISV says whether an instruction was stepped (EX valid) or the state was entered otherwise,
        // for example by an exception return with SPSR.SS clear after a stepped SVC.
        int iss = Esr.FSC_DEBUG;
        if (d.stepDone) iss |= Esr.ISS_STEP_ISV | (d.stepEx ? Esr.ISS_STEP_EX : 0);
        throw debugException(cpu, Esr.EC_SOFTSTP_LOW, iss, cpu.pc);
    }

    /** After an instruction completed without an exception: SSAdvance(). */
    static void afterStep(Cpu cpu, int insn) {
        DebugRegisters d = cpu.dbg;
        if (!d.stepping) return;
        d.stepping = false;
        cpu.ss = false;
        d.stepDone = true;
        d.stepEx = isLoadExclusive(insn);
    }

    /** SSAdvance() for instructions that complete by taking an exception (SVC, HVC): SPSR.SS reads 0. */
    static void ssAdvance(Cpu cpu) {
        DebugRegisters d = cpu.dbg;
        if (!d.stepping) return;
        d.stepping = false;
        cpu.ss = false;
    }

    /** LDXR/LDAXR (any size) and LDXP/LDAXP: the EX bit of a step exception. */
    private static boolean isLoadExclusive(int insn) {
        return (insn & 0x3fe00000) == 0x08400000 || (insn & 0xbfe00000) == 0x88600000;
    }

    /**
     * DebugExceptionReturnSS: PSTATE.SS after an exception return to {@code destEl} with {@code spsr}.
     * SPSR.SS is kept only when stepping is enabled (MDSCR_EL1.SS) and debug exceptions are disabled
     * where the ERET executes but enabled at the destination (with the destination's PSTATE.D).
     */
    static boolean exceptionReturnSs(Cpu cpu, long spsr, int destEl) {
        if ((cpu.dbg.mdscr & MDSCR_SS) == 0 || (spsr & (1L << 21)) == 0) return false;
        boolean atSource = generateDebugExceptions(cpu);
        boolean atDest = generateDebugExceptionsFrom(cpu, destEl, (spsr & Cpu.DAIF_D) != 0);
        return !atSource && atDest;
    }

    // ---- breakpoints -------------------------------------------------------------------------------

    /**
     * AArch64.CheckBreakpoint, after the fetch of the instruction at {@code pc} succeeded: a Breakpoint
     * exception (EC 0x30/0x31, IFSC 0x22) returning to the instruction. FAR is UNKNOWN; written 0 as QEMU does.
     */
    static void checkBreakpoints(Cpu cpu, long pc) {
        DebugRegisters d = cpu.dbg;
        if (!d.armed || (d.mdscr & MDSCR_MDE) == 0 || !generateDebugExceptions(cpu)) return;
        for (int n = 0; n < DebugRegisters.BREAKPOINTS; n++) {
            if (breakpointMatch(cpu, n, pc)) {
                cpu.sr.far[Math.max(cpu.el, debugTarget(cpu))] = 0;
                throw debugException(cpu, Esr.EC_BREAKPT_LOW, Esr.FSC_DEBUG, pc);
            }
        }
    }

    /** AArch64.BreakpointMatch for the breakpoint types of ARMv8.0 without EL3 (address and context ID). */
    static boolean breakpointMatch(Cpu cpu, int n, long pc) {
        long bcr = cpu.dbg.bcr[n];
        if ((bcr & 1) == 0) return false;
        int bt = (int) (bcr >>> 20) & 0xf;
        int pmc = (int) (bcr >>> 1) & 3;
        boolean hmc = (bcr & (1L << 13)) != 0;
        int ssc = (int) (bcr >>> 14) & 3;
        if (!stateMatch(cpu, ssc, hmc, pmc, true, cpu.el != 0)) return false;
        int lbn = (int) (bcr >>> 16) & 0xf;
        return switch (bt) {
            case 0b0000 -> addressMatch(cpu, n, pc);
            case 0b0001 -> addressMatch(cpu, n, pc) && linkedContextMatch(cpu, lbn);
            case 0b0010 -> isContextAware(n) && contextIdMatch(cpu, n);
            default -> false; // linked context (only a link target), VMID and reserved types
        };
    }

    /**
     * Address match of an A64 instruction: DBGBVR[n] with bits [1:0] ignored. A BAS of 0 never matches;
     * other BAS values select the whole instruction (QEMU's reading of the constrained cases).
     */
    private static boolean addressMatch(Cpu cpu, int n, long pc) {
        int bas = (int) (cpu.dbg.bcr[n] >>> 5) & 0xf;
        return bas != 0 && bas != 0b1100 && (cpu.dbg.bvr[n] & ~3L) == pc;
    }

    private static boolean isContextAware(int n) {
        return n >= DebugRegisters.BREAKPOINTS - DebugRegisters.CONTEXT_BREAKPOINTS;
    }

    private static boolean contextIdMatch(Cpu cpu, int n) {
        return (int) cpu.sr.contextidrEl1 == (int) cpu.dbg.bvr[n];
    }

    /** The linked breakpoint {@code lbn} must be an enabled context-aware linked context ID breakpoint that matches. */
    private static boolean linkedContextMatch(Cpu cpu, int lbn) {
        if (lbn >= DebugRegisters.BREAKPOINTS || !isContextAware(lbn)) return false;
        long bcr = cpu.dbg.bcr[lbn];
        return (bcr & 1) != 0 && ((bcr >>> 20) & 0xf) == 0b0011 && contextIdMatch(cpu, lbn);
    }

    /**
     * AArch64.StateMatch (Non-secure, no EL3): whether SSC, HMC and PMC/PAC select the current EL; for an
     * unprivileged access (LDTR/STTR at EL1) a watchpoint checks the EL0 selection.
     */
    static boolean stateMatch(Cpu cpu, int ssc, boolean hmc, int pxc, boolean breakpoint, boolean privileged) {
        boolean el2Match = (hmc && ((ssc << 2) | pxc) != 0b1000) || ssc == 0b11;
        boolean el1Match = (pxc & 1) != 0;
        boolean el0Match = (pxc & 2) != 0;
        boolean privMatch;
        if (!breakpoint && !privileged) privMatch = el0Match;
        else privMatch = switch (cpu.el) {
            case 2 -> el2Match;
            case 1 -> el1Match;
            default -> el0Match;
        };
        boolean securityMatch = switch (ssc) {
            case 0b00, 0b01 -> true; // both states, Non-secure
            case 0b10 -> false; // Secure only
            default -> hmc;
        };
        return privMatch && securityMatch;
    }

    // ---- watchpoints -------------------------------------------------------------------------------

    /**
     * AArch64.CheckWatchpoint for a data access of {@code size} bytes at {@code va} ({@code acc}: the
     * Mmu.ACC_* kind and flags): a Watchpoint exception (EC 0x34/0x35, DFSC 0x22, WnR, CM) returning to
     * the instruction. FAR is the first watched byte the access touches (within the latitude the Arm ARM
     * gives; QEMU reports the same).
     */
    static void checkWatchpoint(Cpu cpu, long va, int size, int acc) {
        DebugRegisters d = cpu.dbg;
        if (!d.armed || (d.mdscr & MDSCR_MDE) == 0 || !generateDebugExceptions(cpu)) return;
        boolean write = (acc & Mmu.ACC_WRITE) != 0;
        boolean cm = (acc & Mmu.ACC_CM) != 0;
        if (cm) return; // cache maintenance does not trigger watchpoints here (DC IVAC may; optional)
        boolean privileged = cpu.el != 0 && !((acc & Mmu.ACC_UNPRIV) != 0 && cpu.el == 1);
        for (int n = 0; n < DebugRegisters.WATCHPOINTS; n++) {
            if (watchpointMatch(cpu, n, va, size, privileged, write)) {
                int target = Math.max(cpu.el, debugTarget(cpu));
                cpu.sr.far[target] = d.watchHit;
                int iss = Esr.FSC_DEBUG | (write ? Esr.ISS_WNR : 0);
                throw debugException(cpu, Esr.EC_WATCHPT_LOW, iss, cpu.insnPc);
            }
        }
    }

    /** AArch64.WatchpointMatch: enabled, state, load/store control and any byte of the access watched. */
    static boolean watchpointMatch(Cpu cpu, int n, long va, int size, boolean privileged, boolean write) {
        long wcr = cpu.dbg.wcr[n];
        if ((wcr & 1) == 0) return false;
        int lsc = (int) (wcr >>> 3) & 3;
        if ((lsc & (write ? 2 : 1)) == 0) return false;
        int pac = (int) (wcr >>> 1) & 3;
        boolean hmc = (wcr & (1L << 13)) != 0;
        int ssc = (int) (wcr >>> 14) & 3;
        if (!stateMatch(cpu, ssc, hmc, pac, false, privileged)) return false;
        if ((wcr & (1L << 20)) != 0) {
            // WT: linked to a context breakpoint.
            if (!linkedContextMatch(cpu, (int) (wcr >>> 16) & 0xf)) return false;
        }
        // The watched range [lo, lo+len), then an overlap test with the access (WatchpointByteMatch for
        // every byte of the access).
        long wvr = cpu.dbg.wvr[n];
        int mask = (int) (wcr >>> 24) & 0x1f;
        long lo, len;
        if (mask == 1 || mask == 2) {
            return false; // reserved MASK: acts as disabled (QEMU's choice)
        } else if (mask != 0) {
            len = 1L << mask; // BAS is ignored; non-zero masked WVR bits are ignored
            lo = wvr & -len;
        } else {
            int bas = (int) (wcr >>> 5) & 0xff;
            if ((wvr & 4) != 0) bas &= 0xf; // word-aligned WVR: only BAS[3:0] apply
            if (bas == 0) return false;
            int first = Integer.numberOfTrailingZeros(bas);
            len = Integer.numberOfTrailingZeros(~(bas >>> first)); // the first contiguous run of bytes
            lo = ((wvr & 4) != 0 ? wvr & ~3L : wvr & ~7L) + first;
        }
        long a = va;
        if (topByteIgnored(cpu, va)) {
            // AddrTop is 55: compare bits [55:0] only.
            a = (va << 8) >> 8;
            lo = (lo << 8) >> 8;
        }
        if (Long.compareUnsigned(a - lo, len) < 0) {
            cpu.dbg.watchHit = va;
            return true;
        }
        if (Long.compareUnsigned(lo - a, size) < 0) {
            cpu.dbg.watchHit = va + (lo - a);
            return true;
        }
        return false;
    }

    /** Whether TBI makes the top byte of {@code va} irrelevant for the current translation regime. */
    private static boolean topByteIgnored(Cpu cpu, long va) {
        if (cpu.el == 2) return (cpu.sr.tcr[2] & (1L << 20)) != 0;
        long tcr = cpu.sr.tcr[1];
        return ((va >>> 55) & 1) == 0 ? (tcr & (1L << 37)) != 0 : (tcr & (1L << 38)) != 0;
    }
}
