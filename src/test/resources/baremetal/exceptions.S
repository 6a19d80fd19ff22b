// exceptions: installs VBAR_EL1 and takes synchronous exceptions at EL1 (MMU off), printing ESR_EL1,
// ELR_EL1 and SPSR_EL1 for each, then returns with ERET.
//   1. SVC #0x1234 from EL1h  -> entry 4 (current EL, SPx), ESR = 0x56001234 (EC 0x15, IL);
//      ELR = the instruction after the SVC; the handler returns the ESR in x0.
//   2. BRK #0x42 from EL1h    -> entry 4, ESR = 0xf2000042 (EC 0x3c); ELR = the BRK itself, so the
//      handler steps over it.
//   3. UDF #0x99 from EL1h    -> entry 4, ESR = 0x02000000 (EC 0, IL); ELR = the UDF; stepped over.
//   4. SVC #7 from EL1t (SPSel = 0) -> entry 0 (current EL, SP0); SPSR.M = EL1t (0x3c4).
// SPSR_EL1 is 0x3c5 (EL1h, DAIF masked as at reset) plus the flags (0x600003c5 for the first SVC, after
// a CMP of equal values) for the EL1h cases. Finally prints the count of
// exceptions taken (4) and a register that survived them.
    .include "common.inc"
    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    INSTALL_VECTORS
    PUTS "exceptions: vectors installed\n"
    ldr x28, =0x0123456789abcdef      // must survive every exception

    mov x0, #0x1111
    cmp x0, x0                        // NZCV is UNKNOWN out of reset (QEMU has Z set): define it
    svc #0x1234
    mov x13, x0
    PUTS "after SVC x0="
    PUTHEX x13
    PUTS "\n"

    brk #0x42
    PUTS "after BRK\n"

    udf #0x99
    PUTS "after UDF\n"

    ldr x0, =el0_stack_top
    msr sp_el0, x0
    msr spsel, #0
    svc #7
    msr spsel, #1
    mrs x13, spsel
    PUTS "after SVC from EL1t, SPSel="
    PUTHEX x13
    PUTS "\n"

    PUTS "exceptions taken: "
    ldr x0, =count
    ldr x0, [x0]
    bl puthex
    PUTS "\nx28="
    PUTHEX x28
    PUTS "\n"
    POWER_OFF

// x0 = frame, x1 = vector entry
on_exception:
    mov x19, x0
    mov x20, x1
    ldr x0, =count
    ldr x1, [x0]
    add x1, x1, #1
    str x1, [x0]
    PUTS "entry "
    PUTHEX x20
    PUTS " ESR_EL1="
    mrs x21, esr_el1
    PUTHEX x21
    PUTS " ELR_EL1="
    mrs x22, elr_el1
    PUTHEX x22
    PUTS " SPSR_EL1="
    mrs x23, spsr_el1
    PUTHEX x23
    PUTS "\n"
    lsr x24, x21, #26
    cmp x24, #0x15
    b.eq 1f
    // BRK and UDF report the instruction itself: step over it
    add x22, x22, #4
    msr elr_el1, x22
    b exception_return
1:  str x21, [x19]                    // SVC: return the syndrome in x0
    b exception_return

    VECTOR_TABLE

    .data
    .balign 8
count: .quad 0

    .bss
    .balign 16
stack: .skip 16384
stack_top:
    .skip 4096
el0_stack_top:
