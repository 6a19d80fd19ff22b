/*
 * Arm's PL011 UART (PrimeCell UART TRM, DDI 0183), emulated on KVM's MMIO exits: what Linux's amba-pl011
 * driver and its console use. Transmit goes to stdout at once; receive comes from stdin through a small
 * FIFO filled by another thread; the interrupt is a level on an SPI of the vGIC, set with KVM_IRQ_LINE.
 */
#ifndef PL011_H
#define PL011_H

#include <stdint.h>

#define PL011_BASE 0x09000000UL   /* where QEMU's virt board has it */
#define PL011_SIZE 0x1000UL
#define PL011_SPI  1              /* SPI 1: GIC interrupt 33 */

/* vm_fd: for KVM_IRQ_LINE. Starts the thread that reads stdin; puts a terminal on stdin in raw mode. */
void pl011_start(int vm_fd);
/* A guest load (is_write 0: *data receives the value) or store at offset from PL011_BASE. */
void pl011_access(uint64_t offset, int is_write, uint32_t *data);

#endif
