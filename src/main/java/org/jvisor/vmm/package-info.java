/**
 * The virtual machine monitor, jvisor's QEMU/kvmtool: the virt board, its devices, the device tree and the
 * Linux loader, built on {@code org.jvisor.hyp}.
 */
package org.jvisor.vmm;
