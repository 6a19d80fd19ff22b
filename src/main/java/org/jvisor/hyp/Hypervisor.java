package org.jvisor.hyp;

/**
 * jvisor's KVM: the entry point that /dev/kvm is. It holds no state; every {@link Vm} it creates is
 * independent (its own host physical address space, stage-2 tables, vCPUs and devices), so any number
 * of VMs can live in one JVM.
 *
 * <pre>{@code
 * Vm vm = new Hypervisor().createVm();
 * vm.setUserMemoryRegion(0, 0x4000_0000L, ram.size(), ram);
 * Vcpu vcpu = vm.createVcpu(0);
 * vcpu.setPc(0x4000_0000L);
 * while (true) switch (vcpu.run()) { ... }
 * }</pre>
 */
public final class Hypervisor {
    /** KVM_CREATE_VM, its counter on the host's clock. */
    public Vm createVm() { return new Vm(GuestClock.HOST, false); }

    /** A VM whose system counter counts {@code clock}. */
    public Vm createVm(GuestClock clock) { return new Vm(clock, false); }

    /**
     * A VM whose guest owns EL2 (QEMU's {@code -M virt,virtualization=on}): its vCPUs power on at EL2h and
     * run the guest's own hypervisor there, on a flat guest physical bus (no stage 2 of this hypervisor);
     * devices are served on the accessing vCPU's thread; PSCI is the firmware's, over SMC.
     */
    public Vm createVmOwningEl2(GuestClock clock) { return new Vm(clock, true); }

    /**
     * A VM run by classic trap-and-emulate (Popek and Goldberg's VMM, without EL2 doing the work): its vCPUs
     * run the guest kernel deprivileged at EL0, and every privileged instruction, exception and ERET of it is
     * emulated by the hypervisor on a virtual EL1; its page tables are shadowed. See {@link Deprivileged}.
     */
    public Vm createTrapAndEmulateVm(GuestClock clock) { return new Vm(clock, false, true); }
}
