// el2psci: a program that starts at EL2h, as QEMU's virt board with virtualization=on starts it, and
// calls PSCI through the SMC conduit that the board's firmware (standing in for the absent EL3) serves.
// It checks the order QEMU gives an SMC: HCR_EL2.TSC traps one from EL1 to EL2 first; from EL2 the
// firmware serves a PSCI call; a call it does not serve is UNDEFINED (taken to EL2 itself).
// Expected output (identical on QEMU virt,virtualization=on and jvisor):
//   CurrentEL 0000000000000008
//   PSCI_VERSION 0000000000010001
//   SMC 0x8400ff00 from EL2: EC 0000000000000000
// (EC only: QEMU 7.2 leaves IL clear in this UNDEFINED's syndrome, where the Arm ARM has it RES1 for EC 0.)
//   SMC from EL1 under TSC: ESR_EL2 000000005e000000
    .include "common.inc"
    .equ PSCI_VERSION, 0x84000000
    .equ HCR_RW, 1 << 31
    .equ HCR_TSC, 1 << 19
    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    adr x0, el2_vectors
    msr vbar_el2, x0
    isb
    PUTS "CurrentEL "
    mrs x13, CurrentEL
    PUTHEX x13
    PUTS "\n"

    ldr x0, =PSCI_VERSION
    smc #0
    mov x13, x0
    PUTS "PSCI_VERSION "
    PUTHEX x13
    PUTS "\n"

    ldr x0, =0x8400ff00             // not a PSCI function: no firmware serves it
    smc #0
    PUTS "SMC 0x8400ff00 from EL2: EC "
    lsr x20, x20, #26
    PUTHEX x20
    PUTS "\n"

    // Down to EL1h (AArch64, interrupts masked, MMU off) with HCR_EL2.TSC set: its SMC traps to EL2.
    ldr x0, =(HCR_RW | HCR_TSC)
    msr hcr_el2, x0
    mov x0, #0x3c5
    msr spsr_el2, x0
    adr x0, el1_code
    msr elr_el2, x0
    isb
    eret
el1_code:
    ldr x0, =PSCI_VERSION
    smc #0
    b .                             // never reached: the trap goes on at after_tsc, at EL2
after_tsc:
    PUTS "SMC from EL1 under TSC: ESR_EL2 "
    PUTHEX x20
    PUTS "\n"
    msr hcr_el2, xzr
    isb
    ldr x0, =PSCI_SYSTEM_OFF
    smc #0
    b .

// A synchronous exception from EL2 itself (the UNDEFINED SMC): note ESR_EL2, go on after the SMC.
el2_sync:
    mrs x20, esr_el2
    mrs x21, elr_el2
    add x21, x21, #4
    msr elr_el2, x21
    eret

// The SMC that TSC trapped from EL1: note ESR_EL2 and go on at EL2 (the stack is SP_EL2's, untouched).
lower_sync:
    mrs x20, esr_el2
    b after_tsc

unexpected:
    PUTS "unexpected exception: ESR_EL2 "
    mrs x13, esr_el2
    PUTHEX x13
    PUTS " ELR_EL2 "
    mrs x13, elr_el2
    PUTHEX x13
    PUTS "\n"
    ldr x0, =PSCI_SYSTEM_OFF
    smc #0
    b .

.macro VECTOR offset, target
    .org el2_vectors + \offset
    b \target
.endm
    .balign 2048
el2_vectors:
    VECTOR 0x000, unexpected
    VECTOR 0x080, unexpected
    VECTOR 0x100, unexpected
    VECTOR 0x180, unexpected
    VECTOR 0x200, el2_sync
    VECTOR 0x280, unexpected
    VECTOR 0x300, unexpected
    VECTOR 0x380, unexpected
    VECTOR 0x400, lower_sync
    VECTOR 0x480, unexpected
    VECTOR 0x500, unexpected
    VECTOR 0x580, unexpected
    VECTOR 0x600, unexpected
    VECTOR 0x680, unexpected
    VECTOR 0x700, unexpected
    VECTOR 0x780, unexpected

    .bss
    .balign 16
stack: .skip 16384
stack_top:
