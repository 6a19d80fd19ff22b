// targets: interrupt delivery on a GICv2 without writing GICD_ITARGETSR (QEMU virt, gic-version=2,
// secure=off; run with one CPU and with two, CPU 1 staying off). A uniprocessor GIC's ITARGETSRs are
// RAZ/WI and every interrupt targets the one processor (IHI 0048B 4.3.12); with two CPU interfaces an
// SPI whose targets field is 0 goes nowhere. Printed over the PL011:
//   - GICD_TYPER, the banked ITARGETSR0/7 and an SPI's ITARGETSR24 before and after writing ~0 to it;
//   - an SPI (INTID 100) pended through GICD_ISPENDR and a device's line (the PL031's alarm, INTID 34),
//     each enabled with its priority set and its ITARGETSR never written: whether the IRQ arrived.
    .include "common.inc"
    .equ GICD, 0x08000000
    .equ GICC, 0x08010000
    .equ RTC, 0x09010000
    .equ SOFT_SPI, 100
    .equ RTC_SPI, 34
    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    INSTALL_VECTORS
    ldr x19, =GICD
    ldr x20, =GICC
    ldr x21, =RTC
    mov x24, #1023                  // INTID of the last IRQ taken (the handler sets it)

.macro RD base, off, name
    ldr w13, [\base, #\off]
    PUTS "\name="
    PUTHEX x13
    PUTS "\n"
.endm
.macro WR base, off, val
    ldr w0, =\val
    str w0, [\base, #\off]
.endm

    RD x19, 0x004, "GICD_TYPER"
    RD x19, 0x800, "GICD_ITARGETSR0"
    RD x19, 0x81c, "GICD_ITARGETSR7"
    RD x19, 0x860, "GICD_ITARGETSR24"
    WR x19, 0x860, 0xffffffff
    RD x19, 0x860, "GICD_ITARGETSR24 after ~0"
    WR x19, 0x860, 0               // back to the reset value: INTID 96-99 target nobody again on an MP GIC

    // distributor and CPU interface on, as a bare-metal program would: no ITARGETSR write
    WR x19, 0x000, 1                // GICD_CTLR.EnableGrp0 (Group 0 is IRQ without FIQEn)
    WR x20, 0x004, 0xf0             // GICC_PMR
    WR x20, 0x000, 1                // GICC_CTLR.EnableGrp0
    mov w0, #0xa0
    strb w0, [x19, #(0x400 + SOFT_SPI)]
    strb w0, [x19, #(0x400 + RTC_SPI)]
    mov w0, #(1 << (SOFT_SPI % 32))
    str w0, [x19, #(0x100 + 4 * (SOFT_SPI / 32))]  // GICD_ISENABLER3
    str w0, [x19, #(0x200 + 4 * (SOFT_SPI / 32))]  // GICD_ISPENDR3
    RD x20, 0x018, "GICC_HPPIR"
    bl wait_irq
    PUTS "INTID 100 (ISPENDR): IRQ "
    bl report
    WR x19, (0x280 + 4 * (SOFT_SPI / 32)), (1 << (SOFT_SPI % 32))  // GICD_ICPENDR3: whatever did not arrive
    mov x24, #1023

    // the PL031's alarm: match at the next second, interrupt unmasked
    mov w0, #(1 << (RTC_SPI % 32))
    str w0, [x19, #(0x100 + 4 * (RTC_SPI / 32))]   // GICD_ISENABLER1
    ldr w0, [x21, #0x00]            // RTCDR
    add w0, w0, #1
    str w0, [x21, #0x04]            // RTCMR
    mov w0, #1
    str w0, [x21, #0x10]            // RTCIMSC
    bl wait_irq
    ldr w13, [x21, #0x14]           // RTCRIS: the alarm itself fired either way
    PUTS "PL031 RTCRIS="
    PUTHEX x13
    PUTS "\nINTID 34 (PL031 alarm): IRQ "
    bl report
    PUTS "done\n"
    POWER_OFF

// wait_irq: IRQs unmasked until one was taken (x24 != 1023) or 3 s of the virtual counter passed
wait_irq:
    mrs x22, cntvct_el0
    mrs x23, cntfrq_el0
    add x23, x23, x23, lsl #1
    add x22, x22, x23
    msr daifclr, #2
    isb
1:  cmp x24, #1023
    b.ne 2f
    mrs x23, cntvct_el0
    cmp x23, x22
    b.lo 1b
2:  msr daifset, #2
    isb
    ret

// report: "arrived, GICC_IAR=..." or "did not arrive"
report:
    mov x25, x30
    cmp x24, #1023
    b.eq 1f
    PUTS "arrived, GICC_IAR="
    PUTHEX x24
    PUTS "\n"
    ret x25
1:  PUTS "did not arrive\n"
    ret x25

// x0 = register frame, x1 = vector entry: 5 (IRQ, current EL with SPx) acknowledges, quietens the RTC,
// ends the interrupt and hands its INTID back in the frame's x24
on_exception:
    cmp x1, #5
    b.ne unexpected_exception
    ldr w2, [x20, #0x0c]            // GICC_IAR
    mov w3, #1
    str w3, [x21, #0x1c]            // RTCICR (harmless for the other SPI)
    str w2, [x20, #0x10]            // GICC_EOIR
    str x2, [x0, #(8 * 24)]
    b exception_return

    VECTOR_TABLE

    .bss
    .balign 16
stack: .skip 16384
stack_top:
