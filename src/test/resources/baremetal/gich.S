// gich: a guest hypervisor's use of the GICv2 virtualization extensions (IHI 0048B chapter 5). It starts
// at EL2h (QEMU's virt board with virtualization=on and its default GICv2), prints the GICH registers'
// reset values and write masks, then puts interrupts in the list registers and plays the virtual CPU's
// part itself through the GICV frame (acknowledge, EOI, deactivate: the frame is plain MMIO, reachable
// from EL2 too), printing what the list registers, GICH_ELRSR/EISR/MISR/APR/HCR and GICV_RPR say after
// each step. Nothing is taken as an interrupt: the distributor stays disabled. The output is compared
// with QEMU's (VirtualizationOnTest). GICV_AIAR/AEOIR/AHPPIR are left out: QEMU 7.2 does not implement them.
    .include "common.inc"
    .equ GICH, 0x08030000
    .equ GICV, 0x08040000
    .equ PENDING, 1 << 28
    .equ ACTIVE, 2 << 28
    .equ GRP1, 1 << 30
    .equ HW, 1 << 31
    .equ EOI, 1 << 19
    .equ PRIMASK_F8, 0x1f << 27

// SHOW name, base, offset: prints "name <32-bit value>".
.macro SHOW name, base, off
    PUTS "\name "
    ldr x13, =\base
    ldr w13, [x13, #\off]
    PUTHEX x13
    PUTS "\n"
.endm

// SET base, offset, value: a 32-bit store.
.macro SET base, off, value
    ldr x13, =\base
    ldr x14, =\value
    str w14, [x13, #\off]
.endm

.macro STATE
    SHOW gich_lr0, GICH, 0x100
    SHOW gich_lr1, GICH, 0x104
    SHOW gich_lr2, GICH, 0x108
    SHOW gich_elrsr0, GICH, 0x30
    SHOW gich_eisr0, GICH, 0x20
    SHOW gich_misr, GICH, 0x10
    SHOW gich_apr, GICH, 0xf0
    SHOW gich_hcr, GICH, 0x00
    SHOW gicv_rpr, GICV, 0x14
.endm

    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    adr x0, vectors
    msr vbar_el2, x0
    isb

    // reset values
    SHOW gich_vtr, GICH, 0x04
    SHOW gich_vmcr, GICH, 0x08
    STATE
    SHOW gicv_ctlr, GICV, 0x00
    SHOW gicv_pmr, GICV, 0x04
    SHOW gicv_bpr, GICV, 0x08
    SHOW gicv_abpr, GICV, 0x1c
    SHOW gicv_hppir, GICV, 0x18
    SHOW gicv_iidr, GICV, 0xfc
    // write masks
    SET GICH, 0x10c, 0xffffffff
    SHOW gich_lr3, GICH, 0x10c
    SET GICH, 0x10c, 0
    SET GICH, 0x00, 0xffffffff
    SHOW gich_hcr, GICH, 0x00
    SET GICH, 0x00, 0
    SET GICH, 0xf0, 0xffffffff
    SHOW gich_apr, GICH, 0xf0
    SHOW gicv_apr0, GICV, 0xd0
    SET GICH, 0xf0, 0
    SET GICH, 0x08, 0xffffffff
    SHOW gich_vmcr, GICH, 0x08
    SHOW gicv_ctlr, GICV, 0x00
    SHOW gicv_pmr, GICV, 0x04
    SHOW gicv_bpr, GICV, 0x08
    SHOW gicv_abpr, GICV, 0x1c
    SET GICH, 0x08, 0
    SHOW gich_vmcr, GICH, 0x08
    // GICV_CTLR, PMR, BPR and ABPR are GICH_VMCR's fields
    SET GICV, 0x00, 0xffffffff
    SET GICV, 0x04, 0xff
    SET GICV, 0x08, 5
    SET GICV, 0x1c, 6
    SHOW gich_vmcr, GICH, 0x08
    SET GICV, 0x08, 0
    SET GICV, 0x1c, 0
    SHOW gich_vmcr, GICH, 0x08
    SET GICH, 0x08, 0

    // A virtual SGI from CPU 3, Group 0: acknowledged with its CPUID, ended (EOImode 0 deactivates)
    PUTS "sgi\n"
    SET GICH, 0x100, (PENDING | (0x80 >> 3) << 23 | 3 << 10 | 5)
    SET GICH, 0x08, (PRIMASK_F8 | 1)
    SET GICH, 0x00, 1
    SHOW gicv_hppir, GICV, 0x18
    SHOW gicv_iar, GICV, 0x0c
    STATE
    SHOW gicv_iar, GICV, 0x0c
    SET GICV, 0x10, (3 << 10 | 5)
    STATE

    // Group 1: 1022 through GICV_IAR without AckCtl, acknowledged with it
    PUTS "group1\n"
    SET GICH, 0x104, (PENDING | GRP1 | (0x40 >> 3) << 23 | 33)
    SET GICH, 0x08, (PRIMASK_F8 | 2)
    SHOW gicv_hppir, GICV, 0x18
    SHOW gicv_iar, GICV, 0x0c
    SET GICH, 0x08, (PRIMASK_F8 | 2 | 4)
    SHOW gicv_hppir, GICV, 0x18
    SHOW gicv_iar, GICV, 0x0c
    SET GICV, 0x10, 33
    STATE

    // the priority mask and the running priority hold an interrupt back
    PUTS "masks\n"
    SET GICH, 0x100, (PENDING | (0x80 >> 3) << 23 | 40)
    SET GICH, 0x08, ((0x80 >> 3) << 27 | 1)
    SHOW gicv_hppir, GICV, 0x18
    SHOW gicv_iar, GICV, 0x0c
    SET GICH, 0x08, (PRIMASK_F8 | 1)
    SET GICH, 0xf0, (1 << (0x80 >> 3))
    SHOW gicv_iar, GICV, 0x0c
    SET GICH, 0xf0, (1 << (0x88 >> 3))
    SHOW gicv_iar, GICV, 0x0c
    SET GICV, 0x10, 40
    STATE
    SET GICV, 0x10, 40
    STATE
    SET GICH, 0xf0, 0

    // EOImode 1: the EOI drops the priority, GICV_DIR deactivates; a hardware interrupt (the virtual timer
    // linked to PPI 27, as KVM does) asks for no EOI maintenance
    PUTS "eoimode\n"
    SET GICH, 0x108, (HW | GRP1 | PENDING | (0xa0 >> 3) << 23 | 27 << 10 | 27)
    SET GICH, 0x08, (PRIMASK_F8 | 2 | 4 | 1 << 9)
    SHOW gicv_iar, GICV, 0x0c
    SET GICV, 0x10, 27
    STATE
    SET GICV, 0x1000, 27
    STATE

    // EOICount: an EOI or DIR of an interrupt no list register holds active
    PUTS "eoicount\n"
    SET GICH, 0xf0, (1 << (0x60 >> 3) | 1 << (0x80 >> 3))
    SET GICH, 0x00, (1 | 4)
    SET GICH, 0x08, (PRIMASK_F8 | 2)
    SET GICV, 0x10, 40
    STATE
    SET GICH, 0x08, (PRIMASK_F8 | 2 | 1 << 9)
    SET GICV, 0x10, 41
    SET GICV, 0x1000, 41
    STATE

    // maintenance conditions: EOI (an invalid list register asking for it), U, NP, VGrp0E/D, VGrp1E/D
    PUTS "maintenance\n"
    SET GICH, 0x100, (EOI | 42)
    SET GICH, 0x104, 0
    SET GICH, 0x108, 0
    SET GICH, 0x00, (1 | 2 | 8 | 0x10 | 0x20 | 0x40 | 0x80)
    SET GICH, 0x08, 1
    STATE
    SET GICH, 0x08, 2
    SHOW gich_misr, GICH, 0x10
    SET GICH, 0x104, (ACTIVE | 43)
    SET GICH, 0x108, (PENDING | 44)
    SHOW gich_misr, GICH, 0x10
    SHOW gich_elrsr0, GICH, 0x30
    SHOW gich_eisr0, GICH, 0x20

    PUTS "done\n"
    ldr x0, =PSCI_SYSTEM_OFF
    smc #0
1:  b 1b

on_exception:
    b unexpected_exception

    VECTOR_TABLE

    .bss
    .balign 16
    .space 4096
stack_top:
