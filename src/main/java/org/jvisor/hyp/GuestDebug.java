package org.jvisor.hyp;

import java.util.List;

/**
 * The host debugger's settings for one vCPU, as KVM_SET_GUEST_DEBUG takes them (its control flags and
 * hardware breakpoint/watchpoint registers): set them whole with {@link Vcpu#setGuestDebug} while the vCPU
 * is not running, and read why a {@link VcpuExit.Debug} halted with {@link Vcpu#debugStop}. Unlike KVM's
 * few debug registers, the lists have no length limit: the processor, not the guest's debug registers,
 * checks them, so the guest can neither see nor change them.
 *
 * @param singleStep   the next run executes one instruction, or takes one exception to the guest and halts
 *                     at its handler's first instruction, then halts (interrupts stay pending meanwhile)
 * @param breakpoints  guest virtual PCs that halt before the instruction there executes
 * @param watchpoints  guest virtual data ranges whose accesses halt before the access
 */
public record GuestDebug(boolean singleStep, List<Long> breakpoints, List<Watchpoint> watchpoints) {
    /** Nothing set: the processor runs its fast loop. */
    public static final GuestDebug NONE = new GuestDebug(false, List.of(), List.of());

    public GuestDebug {
        breakpoints = List.copyOf(breakpoints);
        watchpoints = List.copyOf(watchpoints);
    }

    public GuestDebug withSingleStep(boolean on) { return new GuestDebug(on, breakpoints, watchpoints); }

    /** Which accesses a watchpoint halts on (GDB's Z2, Z3, Z4). */
    public enum Access { WRITE, READ, ACCESS }

    /** {@code length} (at least 1) bytes from {@code address}. */
    public record Watchpoint(long address, long length, Access access) {
        public Watchpoint {
            if (length < 1) throw new IllegalArgumentException("watchpoint length " + length);
        }
    }

    /**
     * Why the processor last halted for the debugger: {@code address} is the PC of a breakpoint, the
     * watched address an access hit, 0 after a step or with no halt.
     */
    public record Stop(Reason reason, long address) {}

    public enum Reason { NONE, BREAKPOINT, STEP, WATCH_WRITE, WATCH_READ, WATCH_ACCESS }
}
