package org.jvisor.cpu;

import java.util.Arrays;

/**
 * Recognises a processor that makes no progress: it takes the same exception (same target EL, syndrome,
 * preferred return address and vector) over and over, with nothing in between but at most one vector
 * entry's worth of instructions and no exception return. This is what a kernel that is not a kernel does:
 * its first word is UNDEFINED, the exception goes to VBAR_EL1 (0 after reset), and the vector is either
 * outside RAM (the hypervisor injects an external abort at the vector, which is taken to the same vector:
 * a loop through EL2) or RAM full of zeros (UDF #0 at the vector, taken to the vector: a loop without a
 * single exit). Hardware spins there silently, and so does KVM; an emulator sees each exception.
 *
 * <p>Watched where exceptions are taken ({@link Cpu#takeException}), never in the instruction loop:
 * a few compares per exception. Exceptions that enter a host-owned EL2 are not watched (they are the
 * hypervisor's business, and alternate with what it injects); what the host then injects into the
 * guest is.
 *
 * <p>Why the rule cannot fire on a working guest: two identical exceptions with no ERET, at most
 * {@link #VECTOR_ENTRY} instructions retired and the same X and V registers, SP and PSTATE (NZCV,
 * DAIF, EL) before each, leave the processor in the same state at the vector: whatever ran in between
 * will run again with the same inputs, so from the second one on this processor alone can never leave
 * the loop. Only what those few instructions wrote elsewhere (memory, a system register), another vCPU
 * or a device could end it, and a working guest does not wait for another agent by faulting on the
 * same instruction until it is rescued. {@link #REPEATS} gives such a rescue time all the same, and is
 * still quick: measured on a loaded 2-core machine (cold JIT), 100,000 repeats took 17 ms inside the
 * guest and 140-390 ms through the hypervisor (a stage-2 exit and an injection each), so 10,000 take
 * about 2 ms and 15-40 ms. A handler that returns with ERET (interrupts at one WFI, demand paging,
 * SVCs at one PC: the usual case), that runs longer than a vector entry, or that changes a register
 * (a count) breaks the chain.
 */
public final class ExceptionLoopWatch {
    /** Identical exceptions in a row that make a loop (see the class comment for why this many). */
    public static final int REPEATS = 10_000;
    /**
     * Instructions that may retire between two exceptions of one loop: a vector entry's 0x80 bytes, so
     * that a vector that branches to a faulting place (or runs a few instructions first) is seen too.
     */
    public static final int VECTOR_ENTRY = 32;

    /** What the processor was doing when the loop was recognised. */
    public record ExceptionLoop(int el, long preferredReturn, long esr, long vector, int vectorOffset, int repeats) {
        /** ESR_ELx.EC, or -1 for an interrupt (which has no syndrome). */
        public int ec() { return esr < 0 ? -1 : Esr.ec(esr); }
    }

    private int el = -1, vectorOffset, repeats;
    private long from, esr, vector, instret, spsr, sp;
    private final long[] x = new long[31], v = new long[64];
    private ExceptionLoop found;

    /**
     * Called by {@link Cpu#takeException} before the processor's state changes ({@code spsr} is PSTATE
     * before entry); true when this exception completes a loop, which is then {@link #found()}. A hypervisor
     * that delivers exceptions itself (to a guest's virtual EL1) calls it the same way, with the virtual
     * PSTATE, from its own watch.
     */
    public boolean taken(Cpu cpu, int target, long preferredReturn, long esr, long vector, int vectorOffset, long spsr) {
        long retired = cpu.instret - instret;
        instret = cpu.instret;
        if (target != el || preferredReturn != from || esr != this.esr || vector != this.vector || retired > VECTOR_ENTRY) {
            el = target;
            from = preferredReturn;
            this.esr = esr;
            this.vector = vector;
            this.vectorOffset = vectorOffset;
            repeats = 0;
            return false;
        }
        // Registers are copied only once the cheap key repeats: a working guest rarely gets this far.
        if (repeats == 0 || spsr != this.spsr || cpu.sp != sp || !Arrays.equals(cpu.x, 0, 31, x, 0, 31) || !Arrays.equals(cpu.vreg, v)) {
            this.spsr = spsr;
            sp = cpu.sp;
            System.arraycopy(cpu.x, 0, x, 0, 31);
            System.arraycopy(cpu.vreg, 0, v, 0, 64);
            repeats = 1;
            return false;
        }
        if (++repeats < REPEATS) return false;
        found = new ExceptionLoop(target, preferredReturn, esr, vector, vectorOffset, repeats);
        repeats = 0; // a caller that runs the processor again gives it another REPEATS
        return true;
    }

    /** An exception return by the guest: its handler did its work and went back, the chain is broken. */
    public void exceptionReturned() {
        el = -1;
    }

    /** The last loop recognised (null: none since reset). */
    public ExceptionLoop found() { return found; }

    void reset() {
        el = -1;
        repeats = 0;
        found = null;
    }
}
