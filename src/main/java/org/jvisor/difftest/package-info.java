/**
 * Differential testing of the processor against QEMU: random instruction sequences per group, run on
 * jvisor and under qemu-aarch64, compared register by register, and minimised when they differ.
 */
package org.jvisor.difftest;
