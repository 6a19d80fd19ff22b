/**
 * The virtual machine monitor, jvisor's QEMU/kvmtool: the virt board, its vCPU threads, the MMIO bus and
 * guest memory as devices see it, and the Linux loader, built on {@code org.jvisor.hyp}. The devices, the
 * device tree and the debugging front ends are its sub-packages.
 */
package org.jvisor.vmm;
