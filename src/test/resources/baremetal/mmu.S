// mmu: builds stage-1 tables for TTBR0_EL1 (4 KiB granule, 39-bit VA: T0SZ = 25, walks start at level 1),
// turns the MMU and caches on, and reads RAM through aliases.
//   L1[0]  1 GiB block at PA 0          Device-nGnRnE, XN   (the UART at 0x09000000)
//   L1[1]  -> L2: 64 x 2 MiB blocks     Normal WB, identity 0x40000000-0x47ffffff (all of RAM)
//   L1[2]  -> L2 -> L3: 4 KiB pages     VA 0x80000000 -> the page `shared` (an alias)
// Expected output:
//   "alias 0x80000000 reads 1122334455667788"   (written through the identity map)
//   "identity reads 00000000cafef00d"           (written through the alias)
//   "new alias 0x80001000 reads ..."            (an L3 entry added with the MMU on, then TLBI VAAE1)
//   a translation fault at level 3 reading VA 0x80002000: ESR_EL1 = 0x96000007, FAR_EL1 = 0x80002000
//   a permission fault at level 3 writing the alias after it was made read-only: ESR_EL1 = 0x9600004f
//   "MMU off again, shared[1] = ..." after clearing SCTLR_EL1.M
    .include "common.inc"

    .equ DESC_TABLE, 3
    .equ DESC_BLOCK, 1
    .equ DESC_PAGE, 3
    .equ ATTR_NORMAL, (1 << 2) | (3 << 8) | (1 << 10)   // AttrIndx 1, inner shareable, AF
    .equ ATTR_DEVICE, (0 << 2) | (1 << 10)              // AttrIndx 0, AF
    .equ AP_RO, (2 << 6)                                // AP = 10: read-only at EL1, no EL0 access
    .equ XN, (3 << 53)                                  // PXN | UXN

    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    INSTALL_VECTORS
    PUTS "mmu: building page tables\n"

    ldr x13, =l1_table
    ldr x0, =(ATTR_DEVICE | DESC_BLOCK | XN)
    str x0, [x13]                     // L1[0]: device block at PA 0
    ldr x14, =l2_ram
    orr x0, x14, #DESC_TABLE
    str x0, [x13, #8]                 // L1[1] -> l2_ram
    mov x15, #0
    ldr x16, =(0x40000000 | ATTR_NORMAL | DESC_BLOCK)
1:  str x16, [x14, x15, lsl #3]
    add x16, x16, #0x200000
    add x15, x15, #1
    cmp x15, #64
    b.ne 1b

    ldr x14, =l2_alias
    orr x0, x14, #DESC_TABLE
    str x0, [x13, #16]                // L1[2] -> l2_alias
    ldr x15, =l3_alias
    orr x0, x15, #DESC_TABLE
    str x0, [x14]                     // l2_alias[0] -> l3_alias
    ldr x16, =shared
    ldr x0, =(ATTR_NORMAL | DESC_PAGE | XN)
    orr x0, x0, x16
    str x0, [x15]                     // l3_alias[0]: VA 0x80000000 -> shared

    ldr x0, =0xff00                   // MAIR: attr0 Device-nGnRnE, attr1 Normal WB RW-allocate
    msr mair_el1, x0
    // TCR: T0SZ 25, IRGN0/ORGN0 WB-WA, SH0 inner, TG0 4 KiB, EPD1 (no TTBR1 walks), IPS 40 bits
    ldr x0, =(25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
    msr tcr_el1, x0
    msr ttbr0_el1, x13
    dsb ish
    isb
    tlbi vmalle1
    dsb ish
    isb
    mrs x0, sctlr_el1
    orr x0, x0, #1                    // M
    orr x0, x0, #(1 << 2)             // C
    orr x0, x0, #(1 << 12)            // I
    msr sctlr_el1, x0
    isb
    PUTS "mmu: on\n"

    ldr x16, =shared
    ldr x0, =0x1122334455667788
    str x0, [x16]
    mov x17, #0x80000000
    ldr x18, [x17]
    PUTS "alias 0x80000000 reads "
    PUTHEX x18
    PUTS "\n"

    ldr x0, =0xcafef00d
    str x0, [x17, #8]
    ldr x18, [x16, #8]
    PUTS "identity reads "
    PUTHEX x18
    PUTS "\n"

    // A second alias, mapped while the MMU is on.
    ldr x0, =(ATTR_NORMAL | DESC_PAGE | XN)
    orr x0, x0, x16
    str x0, [x15, #8]                 // l3_alias[1]: VA 0x80001000 -> shared
    dsb ishst
    ldr x0, =(0x80001000 >> 12)
    tlbi vaae1, x0
    dsb ish
    isb
    ldr x18, [x17, #0x1008]
    ldr x19, [x17, #0x1000]
    add x18, x18, x19
    PUTS "new alias 0x80001000 reads sum "
    PUTHEX x18
    PUTS "\n"

    // Unmapped page: translation fault, level 3 (the handler skips the load).
    ldr x18, [x17, #0x2000]
    PUTS "after translation fault\n"

    // Read-only alias: the write faults (permission, level 3, WnR).
    ldr x0, =(ATTR_NORMAL | DESC_PAGE | XN | AP_RO)
    orr x0, x0, x16
    str x0, [x15, #8]
    dsb ishst
    ldr x0, =(0x80001000 >> 12)
    tlbi vae1, x0
    dsb ish
    isb
    ldr x0, =0xdead
    str x0, [x17, #0x1010]
    ldr x18, [x17, #0x1008]           // reading is still allowed
    PUTS "read-only alias reads "
    PUTHEX x18
    PUTS "\n"

    // Back to the flat map.
    mrs x0, sctlr_el1
    bic x0, x0, #1
    msr sctlr_el1, x0
    isb
    ldr x18, [x16, #16]               // the faulting store must not have written
    ldr x19, [x16, #8]
    add x18, x18, x19
    PUTS "MMU off again, shared[1]+shared[2] = "
    PUTHEX x18
    PUTS "\n"
    POWER_OFF

// Data aborts at EL1: print the syndrome and step over the access; anything else is unexpected.
on_exception:
    mrs x21, esr_el1
    lsr x22, x21, #26
    cmp x22, #0x25                    // data abort, current EL
    b.ne unexpected_exception
    PUTS "data abort ESR_EL1="
    PUTHEX x21
    PUTS " FAR_EL1="
    mrs x0, far_el1
    bl puthex
    PUTS "\n"
    mrs x0, elr_el1
    add x0, x0, #4
    msr elr_el1, x0
    b exception_return

    VECTOR_TABLE

    .bss
    .balign 4096
l1_table: .skip 4096
l2_ram: .skip 4096
l2_alias: .skip 4096
l3_alias: .skip 4096
shared: .skip 4096
    .balign 16
stack: .skip 16384
stack_top:
