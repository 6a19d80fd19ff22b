package org.jvisor.hyp;

import static org.jvisor.cpu.SystemRegisters.*;

/**
 * What a guest traps to the hypervisor: the HCR_EL2 value its vCPUs run with, in one place. The default
 * is the set KVM/arm64 gives its guests (HCR_GUEST_FLAGS): stage 2 on, physical interrupts routed to
 * EL2, WFI, SMC, implementation-defined registers, ACTLR and set/way cache maintenance trapped, barriers
 * upgraded to inner shareable, virtual memory controls (TVM/TRVM) not trapped. Change it at any time, from
 * any thread (each vCPU applies it at its next entry into the guest; kick a running one to make that soon),
 * e.g. {@code vm.trapConfig().set(HCR_TVM)} to see every write to the MMU registers.
 */
public final class TrapConfig {
    /** KVM's HCR_GUEST_FLAGS for an AArch64 guest, without the features this processor lacks. */
    public static final long KVM_DEFAULT = HCR_VM | HCR_SWIO | HCR_PTW | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB
            | (1L << 10) /* BSU=inner shareable */ | HCR_TWI | HCR_TSC | HCR_TIDCP | HCR_TACR | HCR_TSW | HCR_RW;

    private volatile long hcr = KVM_DEFAULT;

    public long hcr() { return hcr; }

    /** Replaces the whole value (VM, the stage-2 enable, is always kept). */
    public TrapConfig hcr(long value) {
        hcr = value | HCR_VM;
        return this;
    }

    public synchronized TrapConfig set(long bits) { return hcr(hcr | bits); }

    public synchronized TrapConfig clear(long bits) { return hcr(hcr & ~bits); }
}
