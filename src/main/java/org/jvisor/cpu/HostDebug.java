package org.jvisor.cpu;

import java.util.Arrays;

/**
 * Debugging of the processor by the host (a GDB stub), invisible to the guest and independent of its
 * debug registers: any number of breakpoints on virtual PCs, watchpoints on virtual data addresses, and
 * single step. A hit ends {@link Cpu#run} with {@link ExitReason#DEBUG_HALT} before the instruction
 * executes (a watched access is abandoned and the instruction retried on resume), as external debug's
 * halting does; {@link #stop()} says why.
 *
 * <p>While nothing is set the processor runs its fast loop untouched; with anything set, it runs one
 * instruction at a time with these checks ({@link Cpu#debugActive}). Change it only while the processor
 * is outside {@link Cpu#run} (the board paused), from any thread: the pause orders the accesses.
 */
public final class HostDebug {
    /** Watchpoint kinds (GDB's Z2, Z3, Z4). */
    public static final int WATCH_WRITE = 1, WATCH_READ = 2, WATCH_ACCESS = 3;

    /** Why the processor halted: a breakpoint, a completed step, a watched access (with its address), or none. */
    public enum StopKind { NONE, BREAKPOINT, STEP, WATCH_WRITE, WATCH_READ, WATCH_ACCESS }

    public record Stop(StopKind kind, long address) {}

    private final Cpu cpu;
    private long[] breakpoints = new long[0];
    /** Watchpoints as triples: start, length, kind. */
    private long[] watchpoints = new long[0];
    private boolean step;
    boolean armed;

    // Run-loop state (the processor's own thread).
    private long stepStartPc;
    private boolean stepExecuted;
    /** The PC of the last halt by a breakpoint or watchpoint: the first instruction there on resume runs through it. */
    private long resumePc = -1;
    private boolean passThrough;
    private StopKind stopKind = StopKind.NONE;
    private long stopAddress;

    HostDebug(Cpu cpu) {
        this.cpu = cpu;
    }

    public void addBreakpoint(long va) {
        for (long b : breakpoints) if (b == va) return;
        breakpoints = Arrays.copyOf(breakpoints, breakpoints.length + 1);
        breakpoints[breakpoints.length - 1] = va;
        update();
    }

    public boolean removeBreakpoint(long va) {
        for (int i = 0; i < breakpoints.length; i++) {
            if (breakpoints[i] == va) {
                long[] b = new long[breakpoints.length - 1];
                System.arraycopy(breakpoints, 0, b, 0, i);
                System.arraycopy(breakpoints, i + 1, b, i, b.length - i);
                breakpoints = b;
                update();
                return true;
            }
        }
        return false;
    }

    /** Watches {@code length} (at least 1) bytes from {@code va} for accesses of {@code kind}. */
    public void addWatchpoint(long va, long length, int kind) {
        if (length < 1 || kind < WATCH_WRITE || kind > WATCH_ACCESS) throw new IllegalArgumentException("watchpoint " + length + "/" + kind);
        for (int i = 0; i < watchpoints.length; i += 3)
            if (watchpoints[i] == va && watchpoints[i + 1] == length && watchpoints[i + 2] == kind) return;
        watchpoints = Arrays.copyOf(watchpoints, watchpoints.length + 3);
        watchpoints[watchpoints.length - 3] = va;
        watchpoints[watchpoints.length - 2] = length;
        watchpoints[watchpoints.length - 1] = kind;
        update();
    }

    public boolean removeWatchpoint(long va, long length, int kind) {
        for (int i = 0; i < watchpoints.length; i += 3) {
            if (watchpoints[i] == va && watchpoints[i + 1] == length && watchpoints[i + 2] == kind) {
                long[] w = new long[watchpoints.length - 3];
                System.arraycopy(watchpoints, 0, w, 0, i);
                System.arraycopy(watchpoints, i + 3, w, i, w.length - i);
                watchpoints = w;
                update();
                return true;
            }
        }
        return false;
    }

    /**
     * With {@code on}, the next {@link Cpu#run} executes one instruction, or takes one exception to the
     * guest (then halts at the first instruction of its handler), and halts. Interrupts stay pending
     * while stepping, as QEMU's gdbstub masks them by default.
     */
    public void setStep(boolean on) {
        step = on;
        stepStartPc = cpu.pc;
        stepExecuted = false;
        update();
    }

    public boolean stepping() { return step; }

    /** Removes every breakpoint and watchpoint and ends stepping (a debugger detaches). */
    public void clear() {
        breakpoints = new long[0];
        watchpoints = new long[0];
        step = false;
        resumePc = -1;
        update();
    }

    /** Why the last {@link ExitReason#DEBUG_HALT} happened. */
    public Stop stop() { return new Stop(stopKind, stopAddress); }

    private void update() {
        boolean a = step || breakpoints.length > 0 || watchpoints.length > 0;
        // Arming flushes the soft TLB so that every data access takes the slow path with its checks.
        if (a && !armed) cpu.tlbFlush();
        armed = a;
        cpu.debugActive = cpu.dbg.armed || cpu.il || a;
        cpu.endChunk();
    }

    // ---- the processor's side ----------------------------------------------------------------------

    /** Before the instruction at {@code pc} (its fetch succeeded): true to halt instead of executing it. */
    boolean haltBefore(long pc) {
        // The instruction a halt stopped at, and the one a step starts from, run through their own
        // breakpoints and watchpoints (GDB steps over them so, and any other client must get past them).
        passThrough = pc == resumePc || (step && !stepExecuted && pc == stepStartPc);
        resumePc = -1;
        if (step && (stepExecuted || pc != stepStartPc)) return halt(StopKind.STEP, 0);
        if (!passThrough) {
            for (long b : breakpoints) {
                if (b == pc) {
                    resumePc = pc;
                    return halt(StopKind.BREAKPOINT, pc);
                }
            }
        }
        return false;
    }

    /** The instruction completed. */
    void executed() {
        stepExecuted = true;
        passThrough = false;
    }

    /** A data access of {@code size} bytes at {@code va}: halts (abandoning the instruction) on a watched one. */
    void checkAccess(long va, int size, boolean write) {
        if (passThrough || watchpoints.length == 0) return;
        long[] w = watchpoints;
        for (int i = 0; i < w.length; i += 3) {
            int kind = (int) w[i + 2];
            if ((kind & (write ? WATCH_WRITE : WATCH_READ)) == 0) continue;
            long lo = w[i], len = w[i + 1];
            long hit;
            if (Long.compareUnsigned(va - lo, len) < 0) hit = va;
            else if (Long.compareUnsigned(lo - va, size) < 0) hit = lo;
            else continue;
            StopKind k = kind == WATCH_ACCESS ? StopKind.WATCH_ACCESS : write ? StopKind.WATCH_WRITE : StopKind.WATCH_READ;
            halt(k, hit);
            resumePc = cpu.insnPc;
            cpu.pc = cpu.insnPc;
            throw ExceptionTaken.INSTANCE;
        }
    }

    private boolean halt(StopKind kind, long address) {
        stopKind = kind;
        stopAddress = address;
        cpu.requestExit(ExitReason.DEBUG_HALT);
        return true;
    }
}
