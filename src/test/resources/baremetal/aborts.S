// aborts: loads and stores the hypervisor cannot satisfy from RAM, at EL1 with the MMU off (Device-nGnRnE),
// to an address no device claims (0x09100000: QEMU virt has nothing between its PVTIME page and the
// virtio-mmio transports; jvisor's board neither) and to a device register (the PL011's read-only
// UARTPeriphID0 at 0x09000fe0). For each access it prints what the instruction did: either the synchronous
// exception it took (ESR_EL1, FAR_EL1, ELR_EL1 as an offset from the access) and then steps over it, or
// "no abort" with the first destination register and the status register of a store-exclusive.
// A synchronous external abort on a data access (Arm ARM D17.2.40, ESR_ELx for EC 0x25) is
// ESR = 0x96000010 + 0x40 for a write (EC 0x25 DABT_CUR, IL, ISV 0, WnR, DFSC 0b010000), FAR = the VA.
    .include "common.inc"
    .equ NOWHERE, 0x09100000
    .equ PL011_ID, 0x09000fe0

// TRY "name", insn: runs insn with x1 = x2 = 0x1111, x3 = 0x3333, x5 = the address; reports.
.macro TRY name, addr, insn:vararg
    PUTS "\name: "
    ldr x5, =\addr
    mov x1, #0x1111
    mov x2, #0x1111
    mov x3, #0x3333
    mov x24, #0                        // the handler sets it
    adr x25, 9f
9:  \insn
    bl report
.endm

    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    INSTALL_VECTORS
    mov x0, #(3 << 20)                 // CPACR_EL1.FPEN: the FP/SIMD loads below must reach memory
    msr cpacr_el1, x0
    isb
    PUTS "aborts: unclaimed\n"
    TRY "ldaxr", NOWHERE, ldaxr x1, [x5]
    TRY "ldaxrh", NOWHERE, ldaxrh w1, [x5]
    TRY "ldxr w", NOWHERE, ldxr w1, [x5]
    TRY "ldxp", NOWHERE, ldxp x1, x2, [x5]
    TRY "ldaxp", NOWHERE, ldaxp x1, x2, [x5]
    TRY "stxr", NOWHERE, stxr w3, x1, [x5]
    TRY "stlxp", NOWHERE, stlxp w3, x1, x2, [x5]
    TRY "ldar", NOWHERE, ldar x1, [x5]
    TRY "stlr", NOWHERE, stlr x1, [x5]
    TRY "ldp", NOWHERE, ldp x1, x2, [x5]
    TRY "stp", NOWHERE, stp x1, x2, [x5]
    TRY "ldp post", NOWHERE, ldp x1, x2, [x5], #16
    TRY "ldr", NOWHERE, ldr x1, [x5]
    TRY "str", NOWHERE, str x1, [x5]
    TRY "ldr q", NOWHERE, ldr q1, [x5]
    TRY "st1", NOWHERE, st1 {v1.2d}, [x5]
    PUTS "aborts: device\n"
    TRY "ldr", PL011_ID, ldr w1, [x5]
    TRY "ldp w", PL011_ID, ldp w1, w2, [x5]
    TRY "ldaxr", PL011_ID, ldaxr w1, [x5]
    TRY "ldxp", PL011_ID, ldxp w1, w2, [x5]
    TRY "stxr", PL011_ID, stxr w3, w1, [x5]
    TRY "ldr q", PL011_ID, ldr q1, [x5]
    PUTS "aborts: done\n"
    POWER_OFF

// report: after an access; x24 = ESR_EL1 if it aborted (x26 = FAR_EL1, x27 = ELR_EL1 - the access).
report:
    mov x28, x30
    cbz x24, 1f
    PUTS "ESR_EL1="
    PUTHEX x24
    PUTS " FAR_EL1="
    PUTHEX x26
    PUTS " ELR-access="
    PUTHEX x27
    PUTS "\n"
    ret x28
1:  mov x13, x1
    PUTS "no abort x1="
    PUTHEX x13
    PUTS " w3="
    PUTHEX x3
    PUTS "\n"
    ret x28

// A synchronous exception from the access (x25): record it and step over the access; anything else ends the run.
on_exception:
    cmp x1, #4
    b.ne unexpected_exception
    mrs x24, esr_el1
    mrs x26, far_el1
    mrs x27, elr_el1
    sub x27, x27, x25
    str x24, [x0, #8 * 24]
    str x26, [x0, #8 * 26]
    str x27, [x0, #8 * 27]
    mrs x9, elr_el1
    add x9, x9, #4
    msr elr_el1, x9
    b exception_return

    VECTOR_TABLE

    .bss
    .balign 16
stack: .skip 16384
stack_top:
