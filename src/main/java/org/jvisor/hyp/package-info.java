/**
 * The hypervisor, jvisor's KVM: VMs, vCPUs, memory slots, stage-2 tables, the exit handlers indexed by
 * ESR_EL2.EC, trap accounting, PSCI and in-hypervisor devices. It owns EL2 of the processors of
 * {@code org.jvisor.cpu} ({@code Cpu.hostOwnsEl2}) and depends on nothing else.
 */
package org.jvisor.hyp;
