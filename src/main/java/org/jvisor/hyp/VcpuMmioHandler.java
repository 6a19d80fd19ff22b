package org.jvisor.hyp;

/**
 * An in-hypervisor device whose registers depend on which vCPU accesses them (a GIC's banked
 * registers: the CPU interface, SGI/PPI state). Like {@link org.jvisor.cpu.MmioHandler}, with the
 * accessing vCPU; called on that vCPU's thread. Throw {@link org.jvisor.cpu.BusError} to refuse an access.
 */
public interface VcpuMmioHandler {
    long read(Vcpu vcpu, long offset, int size);

    void write(Vcpu vcpu, long offset, int size, long value);
}
