package org.jvisor.hyp;

/**
 * What a VM's system counter (CNTPCT_EL0, and so its generic timers) counts, chosen when the VM is created
 * ({@link Hypervisor#createVm(GuestClock)}).
 */
public enum GuestClock {
    /** The host's monotonic clock: guest time is wall-clock time. */
    HOST,
    /**
     * The instructions each vCPU retires (one tick each), skipped forward to the next timer deadline when
     * every vCPU waits, as QEMU's icount: a run is repeatable to the instruction.
     */
    INSTRUCTIONS
}
