// el0: runs code at EL0 under stage-1 translation and takes exceptions from it to EL1.
// Tables (4 KiB granule, 39-bit VA, identity): L1[0] = the UART as a Device block (EL1 only);
// L1[1] -> L2 of 2 MiB Normal blocks over RAM, EL1 read/write and EL0 no access, except
//   block 0x40200000 (.text):    AP = 11, read-only at EL0 and EL1, executable at both
//   block 0x40600000 (.el0data): AP = 01, read/write at EL0 and EL1, execute-never
// VA 0x80000000 and above is unmapped.
// EL1 drops to EL0 with ERET (SPSR_EL1 = 0x3c0: EL0t, DAIF masked). EL0 then:
//   1. SVC #0x11 with Z and C set     -> ESR_EL1 = 0x56000011, SPSR_EL1 = 0x600003c0; prints x0
//   2. LDR from VA 0x80000000         -> data abort from EL0: translation fault level 1, ESR 0x92000005
//   3. LDR from the EL1-only data     -> permission fault level 2, ESR 0x9200000e, FAR = that address
//   4. STR to its own (read-only) code -> permission fault level 2 with WnR, ESR 0x9200004e
//   5. UDF #0x55                       -> ESR_EL1 = 0x02000000
//   6. counts in its own data page and SVC #0x22 with the count; steps 1-6 run twice (count 1, then 2)
//   7. SVC #0xff                       -> EL1 prints the checksum of every value printed and powers off.
// After each data abort and the UDF, the handler steps ELR_EL1 over the instruction and returns to EL0.
    .include "common.inc"

    .equ DESC_TABLE, 3
    .equ DESC_BLOCK, 1
    .equ ATTR_NORMAL, (1 << 2) | (3 << 8) | (1 << 10)   // AttrIndx 1, inner shareable, AF
    .equ ATTR_DEVICE, (0 << 2) | (1 << 10)              // AttrIndx 0, AF
    .equ AP_EL0_RW, (1 << 6)
    .equ AP_RO_BOTH, (3 << 6)
    .equ PXN, (1 << 53)
    .equ UXN, (1 << 54)

    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    INSTALL_VECTORS
    PUTS "el0: building page tables\n"

    ldr x13, =l1_table
    ldr x0, =(ATTR_DEVICE | DESC_BLOCK | PXN | UXN)
    str x0, [x13]
    ldr x14, =l2_ram
    orr x0, x14, #DESC_TABLE
    str x0, [x13, #8]
    mov x15, #0
    ldr x16, =(0x40000000 | ATTR_NORMAL | DESC_BLOCK | UXN)
1:  str x16, [x14, x15, lsl #3]
    add x16, x16, #0x200000
    add x15, x15, #1
    cmp x15, #64
    b.ne 1b
    ldr x0, =(0x40200000 | ATTR_NORMAL | DESC_BLOCK | AP_RO_BOTH)
    str x0, [x14, #8]                 // block 1: .text
    ldr x0, =(0x40600000 | ATTR_NORMAL | DESC_BLOCK | AP_EL0_RW | PXN | UXN)
    str x0, [x14, #24]                // block 3: .el0data

    ldr x0, =0xff00
    msr mair_el1, x0
    ldr x0, =(25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
    msr tcr_el1, x0
    msr ttbr0_el1, x13
    dsb ish
    isb
    tlbi vmalle1
    dsb ish
    isb
    mrs x0, sctlr_el1
    orr x0, x0, #1
    orr x0, x0, #(1 << 2)
    orr x0, x0, #(1 << 12)
    msr sctlr_el1, x0
    isb
    PUTS "el0: MMU on, entering EL0\n"

    ldr x0, =el0_stack_top
    msr sp_el0, x0
    mov x0, #0x3c0
    msr spsr_el1, x0
    adr x0, el0_main
    msr elr_el1, x0
    mov x0, #0
    eret

// ---- EL0 -------------------------------------------------------------------------------------------
el0_main:
    ldr x5, =el0_counter
    mov x6, #2
2:  ldr x0, =0x5555aaaa
    cmp x0, x0                        // Z and C set: SPSR_EL1 shows NZCV = 0110
    svc #0x11
    mov x1, #0x80000000
    ldr x2, [x1]                      // unmapped
    ldr x1, =el1_secret
    ldr x2, [x1]                      // EL1 only
    adr x1, el0_main
    str x2, [x1]                      // read-only code
    udf #0x55
    ldr x7, [x5]
    add x7, x7, #1
    str x7, [x5]
    sub sp, sp, #16                   // the EL0 stack is usable too
    str x7, [sp]
    ldr x0, [sp], #16
    svc #0x22
    subs x6, x6, #1
    b.ne 2b
    svc #0xff
    b .

// ---- EL1 handler -----------------------------------------------------------------------------------
// putcs: prints x0 in hex and folds it into the checksum.
putcs:
    ldr x9, =checksum
    ldr x10, [x9]
    ror x10, x10, #59
    eor x10, x10, x0
    str x10, [x9]
    b puthex

on_exception:
    mov x19, x0
    cmp x1, #8                        // lower EL, AArch64, synchronous
    b.ne unexpected_exception
    mrs x21, esr_el1
    lsr x22, x21, #26
    cmp x22, #0x15
    b.eq el0_svc
    cmp x22, #0x24
    b.eq el0_dabt
    cmp x22, #0
    b.eq el0_undef
    b unexpected_exception

el0_svc:
    PUTS "SVC ESR_EL1="
    mov x0, x21
    bl putcs
    PUTS " SPSR_EL1="
    mrs x0, spsr_el1
    bl putcs
    PUTS " x0="
    ldr x0, [x19]
    bl putcs
    PUTS "\n"
    and x23, x21, #0xffff
    cmp x23, #0xff
    b.eq finish
    b exception_return

el0_dabt:
    PUTS "DABT ESR_EL1="
    mov x0, x21
    bl putcs
    PUTS " FAR_EL1="
    mrs x0, far_el1
    bl putcs
    PUTS " ELR_EL1="
    mrs x0, elr_el1
    bl putcs
    PUTS "\n"
    b skip_insn

el0_undef:
    PUTS "UNDEF ESR_EL1="
    mov x0, x21
    bl putcs
    PUTS " ELR_EL1="
    mrs x0, elr_el1
    bl putcs
    PUTS "\n"
skip_insn:
    mrs x0, elr_el1
    add x0, x0, #4
    msr elr_el1, x0
    b exception_return

finish:
    PUTS "checksum "
    ldr x0, =checksum
    ldr x0, [x0]
    bl puthex
    PUTS "\n"
    POWER_OFF

    VECTOR_TABLE

    .data
    .balign 8
checksum: .quad 0
el1_secret: .quad 0x5ec7e7

    .section .el0data, "aw"
    .balign 16
el0_counter: .quad 0
    .balign 16
    .skip 4096
el0_stack_top:

    .bss
    .balign 4096
l1_table: .skip 4096
l2_ram: .skip 4096
    .balign 16
stack: .skip 16384
stack_top:
