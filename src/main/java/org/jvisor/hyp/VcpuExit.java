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
     *
     * <p>Like KVM's {@code kvm_run}, each vCPU has one of these, filled in again at every such exit: it is
     * valid until the next {@link Vcpu#run()} (keep a {@link #copy()} to hold on to one). An MMIO storm
     * then allocates nothing per exit.
     */
    final class Mmio implements VcpuExit {
        private long address, data;
        private int size;
        private boolean write;

        public Mmio(long address, int size, boolean write, long data) { set(address, size, write, data); }

        Mmio set(long address, int size, boolean write, long data) {
            this.address = address;
            this.size = size;
            this.write = write;
            this.data = data;
            return this;
        }

        public long address() { return address; }
        public int size() { return size; }
        public boolean write() { return write; }
        public long data() { return data; }

        /** A copy that later exits do not change. */
        public Mmio copy() { return new Mmio(address, size, write, data); }

        @Override
        public boolean equals(Object o) {
            return o instanceof Mmio m && m.address == address && m.size == size && m.write == write && m.data == data;
        }

        @Override
        public int hashCode() { return Long.hashCode(address * 31 + data) * 31 + size * 2 + (write ? 1 : 0); }

        @Override
        public String toString() { return "Mmio[address=" + address + ", size=" + size + ", write=" + write + ", data=" + data + "]"; }
    }

    /**
     * An HVC (or SMC, {@code smc} set) with a non-zero immediate, which the hypervisor leaves to the caller;
     * the arguments are X0-X7. Set X0.. with {@link Vcpu#setX} before the next run, which continues after the call.
     * One per vCPU, filled in again at every such exit, like {@link Mmio}: valid until the next run.
     */
    final class Hypercall implements VcpuExit {
        private int immediate;
        private boolean smc;
        private final long[] args = new long[8];

        Hypercall() {}

        Hypercall set(int immediate, boolean smc, long[] x) {
            this.immediate = immediate;
            this.smc = smc;
            System.arraycopy(x, 0, args, 0, 8);
            return this;
        }

        public int immediate() { return immediate; }
        public boolean smc() { return smc; }
        /** X0-X7 at the call (the array is this exit's own: read it before the next run). */
        public long[] args() { return args; }

        @Override
        public String toString() { return "Hypercall[immediate=" + immediate + ", smc=" + smc + ", args=" + java.util.Arrays.toString(args) + "]"; }
    }

    /**
     * PSCI SYSTEM_OFF, SYSTEM_RESET, or SYSTEM_RESET2's warm reset (KVM_EXIT_SYSTEM_EVENT; KVM flags the
     * last KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2). Linux asks for a warm reset only when told to (its
     * {@code reboot=warm}, or {@code reboot=panic_warm} for the restart after a panic with {@code panic=N}).
     * ALL_CPUS_OFF: the last powered-on vCPU called PSCI CPU_OFF, so nothing can power one on again (KVM
     * has no such event: the VMM would wait forever). NOTHING_CAN_WAKE: every vCPU is off or asleep (WFI,
     * WFE, CPU_SUSPEND) with no timer armed and no interrupt the interrupt controller could deliver to it.
     */
    record SystemEvent(Type type) implements VcpuExit {
        public enum Type { SHUTDOWN, RESET, WARM_RESET, ALL_CPUS_OFF, NOTHING_CAN_WAKE }
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
    record Interrupted() implements VcpuExit {
        static final Interrupted INSTANCE = new Interrupted();
    }
}
