// gicv2: reset values and write masks of the GICv2 distributor and CPU interface on QEMU virt
// (gic-version=2, secure=off, two CPUs; CPU 1 stays off), printed over the PL011.
    .include "common.inc"
    .equ GICD, 0x08000000
    .equ GICC, 0x08010000
    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    INSTALL_VECTORS
    ldr x19, =GICD
    ldr x20, =GICC

// RD base, offset, "name": prints the 32-bit register at base+offset
.macro RD base, off, name
    ldr w13, [\base, #\off]
    PUTS "\name="
    PUTHEX x13
    PUTS "\n"
.endm
.macro RDB base, off, name
    ldrb w13, [\base, #\off]
    PUTS "\name="
    PUTHEX x13
    PUTS "\n"
.endm
// WR base, offset, value
.macro WR base, off, val
    ldr w0, =\val
    str w0, [\base, #\off]
.endm
.macro WRB base, off, val
    mov w0, #\val
    strb w0, [\base, #\off]
.endm

    RD x19, 0x000, "GICD_CTLR"
    RD x19, 0x004, "GICD_TYPER"
    RD x19, 0x008, "GICD_IIDR"
    RD x19, 0x080, "GICD_IGROUPR0"
    RD x19, 0x084, "GICD_IGROUPR1"
    RD x19, 0x100, "GICD_ISENABLER0"
    RD x19, 0x104, "GICD_ISENABLER1"
    RD x19, 0x180, "GICD_ICENABLER0"
    RD x19, 0x200, "GICD_ISPENDR0"
    RD x19, 0x300, "GICD_ISACTIVER0"
    RD x19, 0x400, "GICD_IPRIORITYR0"
    RD x19, 0x420, "GICD_IPRIORITYR8"
    RD x19, 0x800, "GICD_ITARGETSR0"
    RD x19, 0x81c, "GICD_ITARGETSR7"
    RD x19, 0x820, "GICD_ITARGETSR8"
    RD x19, 0xc00, "GICD_ICFGR0"
    RD x19, 0xc04, "GICD_ICFGR1"
    RD x19, 0xc08, "GICD_ICFGR2"
    RD x19, 0xf00, "GICD_SGIR"
    RD x19, 0xf10, "GICD_CPENDSGIR0"
    RD x19, 0xf20, "GICD_SPENDSGIR0"
    RD x19, 0xfe0, "GICD_PIDR0"
    RD x19, 0xfe4, "GICD_PIDR1"
    RD x19, 0xfe8, "GICD_PIDR2"
    RD x19, 0xfec, "GICD_PIDR3"
    RD x19, 0xfd0, "GICD_PIDR4"
    RD x19, 0xff0, "GICD_CIDR0"
    RD x19, 0xff4, "GICD_CIDR1"
    RD x19, 0xff8, "GICD_CIDR2"
    RD x19, 0xffc, "GICD_CIDR3"
    RD x19, 0x0c0, "reserved 0xc0"
    // write masks
    WR x19, 0x000, 0xffffffff
    RD x19, 0x000, "GICD_CTLR after ~0"
    WR x19, 0x000, 0
    WR x19, 0x420, 0xffffffff
    RD x19, 0x420, "GICD_IPRIORITYR8 after ~0"
    WRB x19, 0x421, 0x5a
    RD x19, 0x420, "GICD_IPRIORITYR8 after byte 0x5a at +1"
    RDB x19, 0x422, "GICD_IPRIORITYR8 byte +2"
    WR x19, 0x400, 0xffffffff
    RD x19, 0x400, "GICD_IPRIORITYR0 after ~0"
    WR x19, 0x820, 0xffffffff
    RD x19, 0x820, "GICD_ITARGETSR8 after ~0"
    WRB x19, 0x822, 0x02
    RD x19, 0x820, "GICD_ITARGETSR8 after byte 2 at +2"
    WR x19, 0x800, 0xffffffff
    RD x19, 0x800, "GICD_ITARGETSR0 after ~0"
    WR x19, 0xc00, 0
    RD x19, 0xc00, "GICD_ICFGR0 after 0"
    WR x19, 0xc04, 0xffffffff
    RD x19, 0xc04, "GICD_ICFGR1 after ~0"
    WR x19, 0xc08, 0xffffffff
    RD x19, 0xc08, "GICD_ICFGR2 after ~0"
    WR x19, 0x084, 0xffffffff
    RD x19, 0x084, "GICD_IGROUPR1 after ~0"
    WR x19, 0x084, 0
    WR x19, 0x080, 0xffffffff
    RD x19, 0x080, "GICD_IGROUPR0 after ~0"
    WR x19, 0x080, 0
    WR x19, 0x180, 0xffffffff
    RD x19, 0x100, "GICD_ISENABLER0 after ICENABLER0 ~0"
    WR x19, 0x100, 0xffffffff
    RD x19, 0x100, "GICD_ISENABLER0 after ISENABLER0 ~0"
    WR x19, 0x104, 0x00010001
    RD x19, 0x104, "GICD_ISENABLER1 after 0x10001"
    WR x19, 0x184, 0x00010001
    WR x19, 0x204, 0x00000003
    RD x19, 0x204, "GICD_ISPENDR1 after 3"
    RD x19, 0x284, "GICD_ICPENDR1"
    WR x19, 0x284, 0x00000003
    RD x19, 0x204, "GICD_ISPENDR1 after ICPENDR1 3"
    WR x19, 0x304, 0x00000005
    RD x19, 0x304, "GICD_ISACTIVER1 after 5"
    WR x19, 0x384, 0x00000001
    RD x19, 0x304, "GICD_ISACTIVER1 after ICACTIVER1 1"
    WR x19, 0x384, 0xffffffff
    WRB x19, 0xf21, 0x01
    RD x19, 0xf20, "GICD_SPENDSGIR0 after byte 1 at +1"
    RD x19, 0x200, "GICD_ISPENDR0 then"
    WR x19, 0xf20, 0x03000000
    RD x19, 0xf20, "GICD_SPENDSGIR0 after 0x03000000"
    WR x19, 0xf10, 0xffffffff
    RD x19, 0xf20, "GICD_SPENDSGIR0 after CPENDSGIR0 ~0"
    RD x19, 0x200, "GICD_ISPENDR0 then"

    RD x20, 0x000, "GICC_CTLR"
    RD x20, 0x004, "GICC_PMR"
    RD x20, 0x008, "GICC_BPR"
    RD x20, 0x00c, "GICC_IAR"
    RD x20, 0x014, "GICC_RPR"
    RD x20, 0x018, "GICC_HPPIR"
    RD x20, 0x01c, "GICC_ABPR"
    RD x20, 0x0d0, "GICC_APR0"
    RD x20, 0x0e0, "GICC_NSAPR0"
    RD x20, 0x0fc, "GICC_IIDR"
    WR x20, 0x004, 0xffffffff
    RD x20, 0x004, "GICC_PMR after ~0"
    WR x20, 0x008, 0
    RD x20, 0x008, "GICC_BPR after 0"
    WR x20, 0x01c, 0
    RD x20, 0x01c, "GICC_ABPR after 0"
    WR x20, 0x008, 0xffffffff
    RD x20, 0x008, "GICC_BPR after ~0"
    WR x20, 0x000, 0xffffffff
    RD x20, 0x000, "GICC_CTLR after ~0"
    WR x20, 0x000, 0

    // without a GICv3 CPU interface: no GIC system registers (ID_AA64PFR0_EL1.GIC = 0, ICC_* UNDEFINED)
    mrs x13, id_aa64pfr0_el1
    ubfx x13, x13, #24, #4
    PUTS "ID_AA64PFR0_EL1.GIC="
    PUTHEX x13
    PUTS "\n"
    mrs x0, s3_0_c4_c6_0            // ICC_PMR_EL1
    msr s3_0_c12_c12_7, x0          // ICC_IGRPEN1_EL1
    mrs x0, s3_0_c12_c12_5          // ICC_SRE_EL1
    PUTS "done\n"
    POWER_OFF

// x1 = vector entry: prints the syndrome and steps over the instruction
on_exception:
    mov x22, x1
    PUTS "exception entry "
    PUTHEX x22
    PUTS " ESR_EL1="
    mrs x21, esr_el1
    PUTHEX x21
    PUTS "\n"
    mrs x22, elr_el1
    add x22, x22, #4
    msr elr_el1, x22
    b exception_return

    VECTOR_TABLE

    .bss
    .balign 16
stack: .skip 16384
stack_top:
