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
    public Vm createVm() { return new Vm(GuestClock.HOST); }

    /** A VM whose system counter counts {@code clock}. */
    public Vm createVm(GuestClock clock) { return new Vm(clock); }
}
