// tinyos: a tiny operating system, the proof of trap-and-emulate (issue 17 point 3). It runs at EL1 on QEMU
// virt (gic-version=2), in a jvisor VM at EL1, and in a jvisor VM that runs it deprivileged at EL0: the
// three must print the same (Popek and Goldberg's equivalence).
//   1. sets VBAR_EL1, builds its page tables (4 KiB granule, 39-bit VA, identity, TTBR0):
//        L1[0] = the devices (UART, GIC) as a Device block, EL1 only
//        L1[1] -> L2 of 2 MiB blocks: 0x40200000 .text    kernel code, EL1 read-only, EL0 none
//                                     0x40400000 .data    kernel data, EL1 read/write, EL0 none
//                                     0x40600000 .user    the task's code, read-only at both, EL1 never executes
//                                     0x40800000 .udata   the task's data, read/write at both, never executed
//        VA 0x80000000 (L1[2]) is unmapped: the task's first touch faults and the kernel maps it on demand
//      and turns the MMU on; prints CurrentEL, an AT S1E1R of its data and MIDR_EL1; cleans a set/way;
//   2. takes three interrupts of the virtual timer (CNTV, PPI 27) through the GICv2 and counts them;
//   3. drops to the EL0 task with ERET. The task: SVC #1 (the kernel adds 1 to x0); loads from VA
//      0x80000000 (translation fault, the kernel maps the block, TLBIs and retries it); stores and loads it
//      back; SVC #2 (the kernel reads the task's word with LDTR and writes one with STTR); SVC #3 (the kernel
//      probes a kernel-only address with LDTR: a permission fault at the same EL, which it steps over);
//      loads kernel data (a permission fault from EL0, stepped over); SVC #0xff: the kernel prints its counts
//      and powers off with PSCI.
    .include "common.inc"

    .equ GICD, 0x08000000
    .equ GICC, 0x08010000
    .equ DESC_TABLE, 3
    .equ DESC_BLOCK, 1
    .equ ATTR_NORMAL, (1 << 2) | (3 << 8) | (1 << 10)   // AttrIndx 1, inner shareable, AF
    .equ ATTR_DEVICE, (0 << 2) | (1 << 10)              // AttrIndx 0, AF
    .equ AP_EL0_RW, (1 << 6)
    .equ AP_EL1_RO, (2 << 6)
    .equ AP_RO_BOTH, (3 << 6)
    .equ PXN, (1 << 53)
    .equ UXN, (1 << 54)
    .equ DEMAND_VA, 0x80000000
    .equ DEMAND_PA, 0x40a00000

    .text
    .global _start
_start:
    ldr x0, =kstack_top
    mov sp, x0
    INSTALL_VECTORS
    PUTS "tinyos: boot\n"

    ldr x13, =l1_table
    ldr x0, =(ATTR_DEVICE | DESC_BLOCK | PXN | UXN)
    str x0, [x13]
    ldr x14, =l2_ram
    orr x0, x14, #DESC_TABLE
    str x0, [x13, #8]
    ldr x0, =(0x40200000 | ATTR_NORMAL | DESC_BLOCK | AP_EL1_RO | UXN)
    str x0, [x14, #8]
    ldr x0, =(0x40400000 | ATTR_NORMAL | DESC_BLOCK | PXN | UXN)
    str x0, [x14, #16]
    ldr x0, =(0x40600000 | ATTR_NORMAL | DESC_BLOCK | AP_RO_BOTH | PXN)
    str x0, [x14, #24]
    ldr x0, =(0x40800000 | ATTR_NORMAL | DESC_BLOCK | AP_EL0_RW | PXN | UXN)
    str x0, [x14, #32]
    // The demand block's contents, written before it is mapped (the MMU is still off).
    ldr x0, =DEMAND_PA
    ldr x1, =0x5eed5eed5eed5eed
    str x1, [x0]

    ldr x0, =0xff00                 // Attr0 Device-nGnRnE, Attr1 Normal write-back
    msr mair_el1, x0
    ldr x0, =(25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
    msr tcr_el1, x0
    msr ttbr0_el1, x13
    isb
    mrs x0, sctlr_el1
    orr x0, x0, #1                  // M
    orr x0, x0, #(1 << 2)           // C
    orr x0, x0, #(1 << 12)          // I
    msr sctlr_el1, x0
    isb
    PUTS "tinyos: mmu on, CurrentEL="
    mrs x0, currentel
    bl puthex
    PUTS " PAR(kdata)="
    ldr x0, =irq_count
    at s1e1r, x0
    isb
    mrs x0, par_el1
    ldr x1, =0xfffffffff001
    and x0, x0, x1
    bl puthex
    PUTS " MIDR="
    mrs x0, midr_el1
    bl puthex
    PUTS "\n"
    dc cisw, xzr                    // set/way maintenance: KVM's HCR_EL2.TSW traps it to EL2

    // The virtual timer through the GICv2: three interrupts, each waited for with WFI.
    ldr x21, =GICD
    mov w0, #1
    str w0, [x21]                   // GICD_CTLR.EnableGrp0
    mov w0, #(1 << 27)
    str w0, [x21, #0x100]           // GICD_ISENABLER0: PPI 27
    ldr x22, =GICC
    mov w0, #0xff
    str w0, [x22, #4]               // GICC_PMR
    mov w0, #1
    str w0, [x22]                   // GICC_CTLR
    ldr x24, =irq_count
    mov x23, #3
1:  ldr x25, [x24]
    mov x0, #2000
    msr cntv_tval_el0, x0
    mov x0, #1
    msr cntv_ctl_el0, x0
    isb
2:  ldr x26, [x24]                  // with IRQ masked: an interrupt taken after the check cannot be missed
    cmp x26, x25
    b.ne 3f
    wfi
    msr daifclr, #2
    isb
    msr daifset, #2
    b 2b
3:  subs x23, x23, #1
    b.ne 1b
    PUTS "tinyos: timer interrupts="
    ldr x0, [x24]
    bl puthex
    PUTS "\n"

    // To the task.
    ldr x0, =ustack_top
    msr sp_el0, x0
    ldr x0, =task
    msr elr_el1, x0
    msr spsr_el1, xzr               // EL0t, interrupts unmasked
    eret

// ---- exceptions: x0 = register frame, x1 = vector entry ------------------------------------------------
on_exception:
    mov x19, x0
    mov x20, x1
    cmp x20, #5
    b.eq irq
    cmp x20, #9
    b.eq irq
    cmp x20, #8
    b.eq sync_lower
    cmp x20, #4
    b.eq sync_current
    b unexpected_exception

irq:
    ldr x21, =GICC
    ldr w22, [x21, #0x0c]           // GICC_IAR
    and w23, w22, #0x3ff
    cmp w23, #27
    b.ne 1f
    msr cntv_ctl_el0, xzr           // the timer off: its line drops
    ldr x24, =irq_count
    ldr x25, [x24]
    add x25, x25, #1
    str x25, [x24]
1:  str w22, [x21, #0x10]           // GICC_EOIR
    b exception_return

// A fault of the kernel's own LDTR probe (svc #3): prints the syndrome and steps over it.
sync_current:
    mrs x21, elr_el1
    ldr x22, =probe
    cmp x21, x22
    b.ne unexpected_exception_x20
    PUTS "kernel LDTR fault ESR="
    mrs x0, esr_el1
    bl puthex
    PUTS " FAR="
    mrs x0, far_el1
    bl puthex
    PUTS "\n"
    add x21, x21, #4
    msr elr_el1, x21
    b exception_return

unexpected_exception_x20:
    mov x1, x20
    b unexpected_exception

sync_lower:
    mrs x21, esr_el1
    lsr x22, x21, #26
    cmp x22, #0x15
    b.eq svc
    cmp x22, #0x24
    b.eq user_fault
    b unexpected_exception_x20

user_fault:
    mrs x24, far_el1
    PUTS "task fault ESR="
    mov x0, x21
    bl puthex
    PUTS " FAR="
    mov x0, x24
    bl puthex
    PUTS "\n"
    ldr x0, =fault_count
    ldr x1, [x0]
    add x1, x1, #1
    str x1, [x0]
    lsr x25, x24, #21
    cmp x25, #(DEMAND_VA >> 21)
    b.ne 1f
    // Demand mapping: L1[2] -> L2 whose first block is the task's new memory; then TLBI and retry.
    ldr x26, =l2_demand
    ldr x0, =(DEMAND_PA | ATTR_NORMAL | DESC_BLOCK | AP_EL0_RW | PXN | UXN)
    str x0, [x26]
    orr x0, x26, #DESC_TABLE
    ldr x27, =l1_table
    str x0, [x27, #16]
    dsb ishst
    lsr x0, x24, #12
    tlbi vae1, x0
    dsb ish
    isb
    b exception_return
1:  mrs x0, elr_el1                 // any other fault: step over the access
    add x0, x0, #4
    msr elr_el1, x0
    b exception_return

svc:
    and x23, x21, #0xffff
    ldr x0, =svc_count
    ldr x1, [x0]
    add x1, x1, #1
    str x1, [x0]
    PUTS "svc "
    mov x0, x23
    bl puthex
    PUTS " x0="
    ldr x0, [x19]
    bl puthex
    PUTS "\n"
    cmp x23, #1
    b.eq svc_add
    cmp x23, #2
    b.eq svc_copy
    cmp x23, #3
    b.eq svc_probe
    cmp x23, #0xff
    b.eq svc_exit
    b exception_return

svc_add:
    ldr x0, [x19]
    add x0, x0, #1
    str x0, [x19]
    b exception_return

// copy_from_user / copy_to_user: the task's pointer in x0, accessed with the task's permissions.
svc_copy:
    ldr x24, [x19]
    ldtr x25, [x24]
    ldtrb w26, [x24, #1]
    PUTS "kernel LDTR read "
    mov x0, x25
    bl puthex
    PUTS " LDTRB "
    mov x0, x26
    bl puthex
    PUTS "\n"
    add x25, x25, #0x100
    sttr x25, [x24, #8]
    add x26, x24, #0xffc            // unaligned, across a page boundary of the task's data
    sttr x25, [x26]
    ldtr x27, [x26]
    ldtrsh x28, [x26, #2]
    PUTS "kernel STTR/LDTR across pages "
    mov x0, x27
    bl puthex
    PUTS " LDTRSH "
    mov x0, x28
    bl puthex
    PUTS "\n"
    b exception_return

// LDTR of a kernel-only address: EL0 may not read it, so it faults although the kernel could.
svc_probe:
    mrs x27, elr_el1
    mrs x28, spsr_el1
    ldr x24, =irq_count
    mov x25, #0x77
probe:
    ldtr x25, [x24]
    msr elr_el1, x27
    msr spsr_el1, x28
    PUTS "kernel LDTR probe left x25="
    mov x0, x25
    bl puthex
    PUTS "\n"
    b exception_return

svc_exit:
    PUTS "tinyos: svcs="
    ldr x0, =svc_count
    ldr x0, [x0]
    bl puthex
    PUTS " task faults="
    ldr x0, =fault_count
    ldr x0, [x0]
    bl puthex
    PUTS " interrupts="
    ldr x0, =irq_count
    ldr x0, [x0]
    bl puthex
    PUTS "\ntinyos: done\n"
    POWER_OFF

    VECTOR_TABLE

// ---- the task (EL0) ----------------------------------------------------------------------------------
    .section .user, "ax"
task:
    mov x0, #0x41
    svc #1                          // x0 + 1
    mov x19, x0
    ldr x20, =DEMAND_VA
    ldr x21, [x20]                  // faults: mapped on demand, then reads the kernel's seed
    add x22, x21, x19
    str x22, [x20, #8]
    ldr x23, [x20, #8]
    ldr x24, =uword
    ldr x0, =0x1122334455667788
    str x0, [x24]
    mov x0, x24
    svc #2                          // the kernel reads uword with LDTR, writes uword+8 with STTR
    ldr x25, [x24, #8]
    mov x0, x25
    svc #3
    ldr x26, =irq_count
    mov x27, #0x99
    ldr x27, [x26]                  // kernel data: permission fault, stepped over (x27 stays 0x99)
    mov x0, x23
    svc #4                          // prints the demand page's round trip
    mov x0, x27
    svc #0xff
    b .

    .section .udata, "aw"
    .balign 16
uword:
    .quad 0, 0
    .balign 4096
    .space 4096
ustack_top:

    .data
    .balign 4096
l1_table:
    .space 4096
l2_ram:
    .space 4096
l2_demand:
    .space 4096
irq_count:
    .quad 0
svc_count:
    .quad 0
fault_count:
    .quad 0
    .balign 16
    .space 8192
kstack_top:
