// pl011echo: reads the PL011's identification and reset registers, enables the UART (FIFO off: the
// 1-character holding register, which QEMU and jvisor fill alike) and echoes each received character
// with the flag and data registers, alternating 32-bit and 8-bit reads of UARTDR, until a '.'.
// Run by org.jvisor.vmm.Pl011BareMetalTest on QEMU virt and on jvisor with the vmm's Pl011; the outputs
// must be identical.
    .include "common.inc"

.macro SHOWREG name, off
    PUTS "\name="
    ldr w13, [x20, #\off]
    PUTHEX x13
    PUTS "\n"
.endm

    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    INSTALL_VECTORS
    ldr x20, =UART_BASE

    PUTS "id"
    mov x21, #0xfe0
1:  PUTS " "
    ldr w13, [x20, x21]
    PUTHEX x13
    add x21, x21, #4
    cmp x21, #0x1000
    b.ne 1b
    PUTS "\n"

    // (not FR: QEMU receives while UARTEN is clear, so its RXFE depends on when the input arrived)
    SHOWREG RSR, 0x04
    SHOWREG ILPR, 0x20
    SHOWREG IBRD, 0x24
    SHOWREG FBRD, 0x28
    SHOWREG LCR_H, 0x2c
    SHOWREG CR, 0x30
    SHOWREG IFLS, 0x34
    SHOWREG IMSC, 0x38
    SHOWREG DMACR, 0x48

    PUTS "narrow "
    ldrb w13, [x20, #0xfe8]
    PUTHEX x13
    PUTS " "
    ldrh w13, [x20, #0x30]
    PUTHEX x13
    PUTS " "
    ldrb w13, [x20, #0xffc]
    PUTHEX x13
    PUTS "\n"

    // baud rate and line settings are stored and read back
    mov w13, #0x27
    str w13, [x20, #0x24]
    mov w13, #0x4
    str w13, [x20, #0x28]
    mov w13, #0x300
    movk w13, #0, lsl #16
    add w13, w13, #1
    str w13, [x20, #0x30]       // CR = UARTEN | TXE | RXE
    SHOWREG IBRD, 0x24
    SHOWREG FBRD, 0x28
    SHOWREG CR, 0x30

    mov x22, #0
2:  ldr w13, [x20, #0x18]
    tbnz w13, #4, 2b            // wait while FR.RXFE
    mov x23, x13
    tbnz x22, #0, 3f
    ldr w24, [x20]              // UARTDR, 32-bit
    b 4f
3:  ldrb w24, [x20]             // UARTDR, 8-bit (earlycon's width)
4:  add x22, x22, #1
    PUTS "fr="
    PUTHEX x23
    PUTS " dr="
    PUTHEX x24
    PUTS "\n"
    and w24, w24, #0xff
    cmp w24, #'.'
    b.ne 2b
    PUTS "echoed "
    PUTHEX x22
    PUTS "\n"
    POWER_OFF

on_exception:
    b unexpected_exception
    VECTOR_TABLE

    .bss
    .balign 16
stack: .skip 16384
stack_top:
