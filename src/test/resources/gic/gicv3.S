// gicv3: reset values and write masks of the GICv3 distributor, redistributors and CPU interface
// system registers on QEMU virt (gic-version=3, secure=off: GICD_CTLR.DS=1; two CPUs, CPU 1 stays off),
// printed over the PL011.
    .include "common.inc"
    .equ GICD, 0x08000000
    .equ GICR, 0x080A0000
    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    INSTALL_VECTORS
    ldr x19, =GICD
    ldr x20, =GICR
    add x21, x20, #0x10000          // SGI_base of CPU 0
    add x22, x20, #0x20000          // RD_base of CPU 1

.macro RD base, off, name
    ldr x0, =\off
    ldr w13, [\base, x0]
    PUTS "\name="
    PUTHEX x13
    PUTS "\n"
.endm
.macro RDQ base, off, name
    ldr x0, =\off
    ldr x13, [\base, x0]
    PUTS "\name="
    PUTHEX x13
    PUTS "\n"
.endm
.macro RDB base, off, name
    ldr x0, =\off
    ldrb w13, [\base, x0]
    PUTS "\name="
    PUTHEX x13
    PUTS "\n"
.endm
.macro WR base, off, val
    ldr x1, =\off
    ldr w0, =\val
    str w0, [\base, x1]
.endm
.macro WRQ base, off, val
    ldr x1, =\off
    ldr x0, =\val
    str x0, [\base, x1]
.endm
.macro WRB base, off, val
    ldr x1, =\off
    mov w0, #\val
    strb w0, [\base, x1]
.endm
.macro SHOW name, reg
    mrs x13, \reg
    PUTS "\name="
    PUTHEX x13
    PUTS "\n"
.endm

    RD x19, 0x0000, "GICD_CTLR"
    RD x19, 0x0004, "GICD_TYPER"
    RD x19, 0x0008, "GICD_IIDR"
    RD x19, 0x0080, "GICD_IGROUPR0"
    RD x19, 0x0084, "GICD_IGROUPR1"
    RD x19, 0x0100, "GICD_ISENABLER0"
    RD x19, 0x0104, "GICD_ISENABLER1"
    RD x19, 0x0420, "GICD_IPRIORITYR8"
    RD x19, 0x0820, "GICD_ITARGETSR8"
    RD x19, 0x0c08, "GICD_ICFGR2"
    RD x19, 0x0d04, "GICD_IGRPMODR1"
    RDQ x19, 0x6100, "GICD_IROUTER32"
    RD x19, 0xffe8, "GICD_PIDR2"
    RD x19, 0xffe0, "GICD_PIDR0"
    RD x19, 0xffe4, "GICD_PIDR1"
    RD x19, 0xffec, "GICD_PIDR3"
    RD x19, 0xffd0, "GICD_PIDR4"
    RD x19, 0xfff0, "GICD_CIDR0"
    RD x19, 0xfffc, "GICD_CIDR3"
    WR x19, 0x0000, 0xffffffff
    RD x19, 0x0000, "GICD_CTLR after ~0"
    WR x19, 0x0000, 0
    RD x19, 0x0000, "GICD_CTLR after 0"
    WR x19, 0x0420, 0xffffffff
    RD x19, 0x0420, "GICD_IPRIORITYR8 after ~0"
    WRB x19, 0x0421, 0x5a
    RD x19, 0x0420, "GICD_IPRIORITYR8 after byte 0x5a at +1"
    WR x19, 0x0c08, 0xffffffff
    RD x19, 0x0c08, "GICD_ICFGR2 after ~0"
    WR x19, 0x0084, 0xffffffff
    RD x19, 0x0084, "GICD_IGROUPR1 after ~0"
    WR x19, 0x0d04, 0xffffffff
    RD x19, 0x0d04, "GICD_IGRPMODR1 after ~0"
    WRQ x19, 0x6100, 0xffffffffffffffff
    RDQ x19, 0x6100, "GICD_IROUTER32 after ~0"
    RD x19, 0x6104, "GICD_IROUTER32 high half"
    WR x19, 0x6104, 0x12
    RDQ x19, 0x6100, "GICD_IROUTER32 after high half 0x12"
    WR x19, 0x0100, 0x00000001
    RD x19, 0x0100, "GICD_ISENABLER0 after 1"
    WR x19, 0x0104, 0x00010001
    RD x19, 0x0104, "GICD_ISENABLER1 after 0x10001"
    WR x19, 0x0184, 0x00010001
    WR x19, 0x0204, 0x00000003
    RD x19, 0x0204, "GICD_ISPENDR1 after 3"
    WR x19, 0x0284, 0x00000003
    WR x19, 0x0304, 0x00000005
    RD x19, 0x0304, "GICD_ISACTIVER1 after 5"
    WR x19, 0x0384, 0xffffffff

    RD x20, 0x0000, "GICR_CTLR"
    RD x20, 0x0004, "GICR_IIDR"
    RDQ x20, 0x0008, "GICR_TYPER"
    RDQ x22, 0x0008, "GICR_TYPER(cpu1)"
    RD x20, 0x000c, "GICR_TYPER high half"
    RD x20, 0x0014, "GICR_WAKER"
    RD x22, 0x0014, "GICR_WAKER(cpu1)"
    RD x20, 0xffe8, "GICR_PIDR2"
    RD x20, 0xffe0, "GICR_PIDR0"
    RD x20, 0xfff0, "GICR_CIDR0"
    RD x21, 0x0080, "GICR_IGROUPR0"
    RD x21, 0x0100, "GICR_ISENABLER0"
    RD x21, 0x0400, "GICR_IPRIORITYR0"
    RD x21, 0x0c00, "GICR_ICFGR0"
    RD x21, 0x0c04, "GICR_ICFGR1"
    RD x21, 0x0d00, "GICR_IGRPMODR0"
    RD x21, 0xffe8, "SGI_base +0xffe8"
    WR x20, 0x0014, 0
    RD x20, 0x0014, "GICR_WAKER after 0"
    WR x20, 0x0014, 2
    RD x20, 0x0014, "GICR_WAKER after 2"
    WR x20, 0x0014, 0
    WR x21, 0x0080, 0xffffffff
    RD x21, 0x0080, "GICR_IGROUPR0 after ~0"
    WR x21, 0x0100, 0xffffffff
    RD x21, 0x0100, "GICR_ISENABLER0 after ~0"
    WR x21, 0x0180, 0xffffffff
    WR x21, 0x0c00, 0
    RD x21, 0x0c00, "GICR_ICFGR0 after 0"
    WR x21, 0x0c04, 0xffffffff
    RD x21, 0x0c04, "GICR_ICFGR1 after ~0"
    WR x21, 0x0400, 0xffffffff
    RD x21, 0x0400, "GICR_IPRIORITYR0 after ~0"
    WR x21, 0x0200, 0x00000003
    RD x21, 0x0200, "GICR_ISPENDR0 after 3"
    WR x21, 0x0280, 0xffffffff

    SHOW "ICC_SRE_EL1", s3_0_c12_c12_5
    SHOW "ICC_CTLR_EL1", s3_0_c12_c12_4
    SHOW "ICC_PMR_EL1", s3_0_c4_c6_0
    SHOW "ICC_BPR0_EL1", s3_0_c12_c8_3
    SHOW "ICC_BPR1_EL1", s3_0_c12_c12_3
    SHOW "ICC_RPR_EL1", s3_0_c12_c11_3
    SHOW "ICC_HPPIR1_EL1", s3_0_c12_c12_2
    SHOW "ICC_HPPIR0_EL1", s3_0_c12_c8_2
    SHOW "ICC_IAR1_EL1", s3_0_c12_c12_0
    SHOW "ICC_IGRPEN0_EL1", s3_0_c12_c12_6
    SHOW "ICC_IGRPEN1_EL1", s3_0_c12_c12_7
    SHOW "ICC_AP1R0_EL1", s3_0_c12_c9_0
    SHOW "ICC_AP0R0_EL1", s3_0_c12_c8_4
    mov x0, #-1
    msr s3_0_c4_c6_0, x0
    SHOW "ICC_PMR_EL1 after ~0", s3_0_c4_c6_0
    msr s3_0_c12_c12_3, xzr
    SHOW "ICC_BPR1_EL1 after 0", s3_0_c12_c12_3
    msr s3_0_c12_c8_3, xzr
    SHOW "ICC_BPR0_EL1 after 0", s3_0_c12_c8_3
    mov x0, #-1
    msr s3_0_c12_c8_3, x0
    SHOW "ICC_BPR0_EL1 after ~0", s3_0_c12_c8_3
    msr s3_0_c12_c12_4, x0
    SHOW "ICC_CTLR_EL1 after ~0", s3_0_c12_c12_4
    msr s3_0_c12_c12_4, xzr
    msr s3_0_c12_c12_5, xzr
    SHOW "ICC_SRE_EL1 after 0", s3_0_c12_c12_5
    msr s3_0_c12_c12_7, x0
    SHOW "ICC_IGRPEN1_EL1 after ~0", s3_0_c12_c12_7
    msr s3_0_c12_c12_7, xzr
    mrs x13, id_aa64pfr0_el1
    ubfx x13, x13, #24, #4
    PUTS "ID_AA64PFR0_EL1.GIC="
    PUTHEX x13
    PUTS "\n"
    PUTS "done\n"
    POWER_OFF

on_exception:
    mov x20, x1
    PUTS "exception entry "
    PUTHEX x20
    PUTS " ESR_EL1="
    mrs x21, esr_el1
    PUTHEX x21
    PUTS "\n"
    POWER_OFF

    VECTOR_TABLE

    .bss
    .balign 16
stack: .skip 16384
stack_top:
