/**
 * The flattened device tree: a writer of the DTB format and the virt board's tree, node for node as QEMU's.
 */
package org.jvisor.vmm.fdt;
