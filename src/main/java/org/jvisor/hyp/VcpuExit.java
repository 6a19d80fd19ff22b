package org.jvisor.hyp;

/**
 * Why {@link Vcpu#run()} returned, like the {@code exit_reason} of KVM_RUN. Every exit leaves the guest
 * in a state where the next {@code run()} resumes it: the exits that ask the caller something (an MMIO
 * read, a hypercall) take the answer first ({@link Vcpu#completeMmioRead}, {@link Vcpu#setX}).
 */
public sealed interface VcpuExit {

    /**
     * A guest access to an address no memory slot and no in-hypervisor device covers (KVM_EXIT_MMIO).
     * For a read, call {@link Vcpu#completeMmioRead} with the value (zero-extended; the hypervisor applies
     * the sign extension the instruction asks for) before the next run; for a write, {@code data} holds
     * the {@code size} bytes written. Either may instead be refused with {@link Vcpu#completeMmioUnclaimed},
     * which gives the guest an external data abort. The PC still points at the access until completion.
     */
    record Mmio(long address, int size, boolean write, long data) implements VcpuExit {}

    /**
     * An HVC (or SMC, {@code smc} set) with a non-zero immediate, which the hypervisor leaves to the caller;
     * the arguments are X0-X7. Set X0.. with {@link Vcpu#setX} before the next run, which continues after the call.
     */
    record Hypercall(int immediate, boolean smc, long[] args) implements VcpuExit {}

    /** PSCI SYSTEM_OFF or SYSTEM_RESET (KVM_EXIT_SYSTEM_EVENT). */
    record SystemEvent(Type type) implements VcpuExit {
        public enum Type { SHUTDOWN, RESET }
    }

    /** A debug event for the host's debugger (a halt, or a debug exception routed to EL2); {@code ec} is ESR_EL2.EC. */
    record Debug(int ec, long pc) implements VcpuExit {}

    /**
     * The hypervisor cannot go on (an exception class it does not handle, a bug): the vCPU stays stopped and every further run returns this exit again.
     */
    record InternalError(String reason, String registers) implements VcpuExit {
        @Override
        public String toString() { return "InternalError: " + reason + "\n" + registers; }
    }

    /**
     * The guest makes no progress: it took the same exception {@code repeats} times in a row, from
     * {@code pc} to {@code vector} at EL{@code el}, with nothing but a vector entry's instructions and no
     * exception return in between (see {@link org.jvisor.cpu.ExceptionLoopWatch}): a kernel that is not
     * one, or one that broke its vectors. {@code ec} is ESR_ELx.EC, or -1 for an interrupt;
     * {@code vectorOffset} (0x200: synchronous, current EL with SP_ELx) tells which. KVM cannot see this
     * (the hardware loops on its own); a VMM usually ends the run. Running the vCPU again lets the loop go
     * on, and it is reported again.
     */
    record ExceptionLoop(int el, long pc, int ec, long vector, int vectorOffset, int repeats) implements VcpuExit {}

    /** {@link Vcpu#kick()} was called (from any thread), like a signal ending KVM_RUN with EINTR. */
    record Interrupted() implements VcpuExit {}
}
