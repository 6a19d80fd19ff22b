// ich: a guest hypervisor's use of the GICv3 virtual CPU interface. It starts at EL2h (QEMU's virt board
// with virtualization=on,gic-version=3), prints the ICH_*_EL2 registers' reset values and write masks,
// then puts interrupts in the list registers and runs small EL1 functions (call_el1: ERET to EL1h with
// IRQ and FIQ unmasked, back at EL2 on their HVC) whose IRQ/FIQ handler acknowledges and ends the virtual
// interrupts through the ICC registers, which are ICV_ under HCR_EL2.IMO/FMO; after each, EL2 prints what
// the list registers, ICH_ELRSR/EISR/MISR and ICH_HCR_EL2 say. The output is compared with QEMU's
// (GicVirtualInterfaceQemuTest); it touches no physical GIC register.
    .include "common.inc"
    .equ HCR_RW, 1 << 31
    .equ HCR_IMO, 1 << 4
    .equ HCR_FMO, 1 << 3
    .equ PENDING, 1 << 62
    .equ HW, 1 << 61
    .equ GROUP1, 1 << 60
    .equ EOI, 1 << 41

// SHOW reg: prints "reg <value>".
.macro SHOW reg
    PUTS "\reg "
    mrs x13, \reg
    PUTHEX x13
    PUTS "\n"
.endm

// SET reg, value
.macro SET reg, value
    ldr x0, =\value
    msr \reg, x0
.endm

// LR n, state, group, priority, vintid[, extra]: writes ICH_LR<n>_EL2.
.macro LR n, state, group, prio, vintid, extra=0
    ldr x0, =(\state | \group | (\prio << 48) | \vintid | \extra)
    msr ich_lr\n\()_el2, x0
.endm

// RUN_EL1 function: runs it at EL1 and prints the virtual interface's state afterwards.
.macro RUN_EL1 function
    adr x0, \function
    bl call_el1
    bl show_state
.endm

    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    ldr x0, =el1_stack_top
    msr sp_el1, x0
    adr x0, el2_vectors
    msr vbar_el2, x0
    adr x0, vectors
    msr vbar_el1, x0
    isb

    // reset values
    SHOW ich_vtr_el2
    SHOW ich_vmcr_el2
    SHOW ich_hcr_el2
    SHOW ich_elrsr_el2
    SHOW ich_eisr_el2
    SHOW ich_misr_el2
    SHOW ich_ap0r0_el2
    SHOW ich_ap1r0_el2
    SHOW ich_lr0_el2
    // write masks (the interface is disabled: nothing is signalled)
    mov x0, #-1
    msr ich_lr3_el2, x0
    SHOW ich_lr3_el2
    msr ich_lr3_el2, xzr
    mov x0, #-1
    msr ich_ap0r0_el2, x0
    SHOW ich_ap0r0_el2
    msr ich_ap0r0_el2, xzr
    mov x0, #-1
    msr ich_vmcr_el2, x0
    SHOW ich_vmcr_el2
    msr ich_vmcr_el2, xzr
    SHOW ich_vmcr_el2
    ldr x0, =0xfffffffe             // all but En
    msr ich_hcr_el2, x0
    SHOW ich_hcr_el2
    msr ich_hcr_el2, xzr

    ldr x0, =(HCR_RW | HCR_IMO | HCR_FMO)
    msr hcr_el2, x0
    isb

    PUTS "-- two Group 1 interrupts, the EOI maintenance bit on one\n"
    LR 0, PENDING, GROUP1, 0xa0, 27, EOI
    LR 1, PENDING, GROUP1, 0x90, 28
    SET ich_vmcr_el2, (2 | (0xf0 << 24))
    SET ich_hcr_el2, 3              // En, UIE
    mov x25, #0                     // the handler ends each interrupt with EOIR
    RUN_EL1 unmask

    PUTS "-- EOImode 1 and a hardware interrupt\n"
    LR 0, PENDING, GROUP1, 0x50, 27, (HW | (27 << 32))
    LR 1, 0, 0, 0, 0
    SET ich_hcr_el2, 1
    mov x25, #1                     // the handler drops the priority, prints, then deactivates with DIR
    RUN_EL1 eoimode1

    PUTS "-- EOIs of interrupts no list register holds\n"
    LR 0, 0, 0, 0, 0
    SET ich_ap1r0_el2, ((1 << 16) | (1 << 20)) // active at 0x80 and 0xa0 (their list registers reused)
    SET ich_vmcr_el2, (2 | (0xf0 << 24))
    SET ich_hcr_el2, 5              // En, LRENPIE
    RUN_EL1 stray_eoi

    PUTS "-- Group 0 is a virtual FIQ\n"
    LR 0, PENDING, 0, 0x40, 99
    SET ich_vmcr_el2, (1 | (0xf0 << 24))
    SET ich_hcr_el2, 1
    mov x25, #0
    RUN_EL1 unmask

    PUTS "-- the priority mask and preemption\n"
    LR 0, PENDING, GROUP1, 0x80, 50
    SET ich_vmcr_el2, (2 | (0x80 << 24))
    RUN_EL1 masked
    SET ich_ap1r0_el2, (1 << 12)   // running at 0x60
    LR 0, PENDING, GROUP1, 0x60, 51
    LR 1, PENDING, GROUP1, 0x58, 52
    SET ich_vmcr_el2, (2 | (0xf0 << 24))
    RUN_EL1 unmask
    SET ich_ap1r0_el2, 0
    LR 0, 0, 0, 0, 0
    LR 1, 0, 0, 0, 0

    PUTS "-- the ICV registers are views of ICH_VMCR_EL2\n"
    SET ich_vmcr_el2, 0
    RUN_EL1 views

    PUTS "-- maintenance conditions\n"
    LR 1, PENDING, GROUP1, 0x80, 33
    SET ich_vmcr_el2, 2
    SET ich_hcr_el2, (1 | 2 | 8 | 0x20 | 0x40)
    SHOW ich_misr_el2
    LR 1, 0, 0, 0, 0
    SHOW ich_misr_el2
    SET ich_hcr_el2, (1 | 0x10 | 0x80)
    SHOW ich_misr_el2

    PUTS "-- traps\n"
    SET ich_hcr_el2, (1 << 12)      // TALL1
    RUN_EL1 read_iar1
    SET ich_hcr_el2, (1 << 11)      // TALL0
    RUN_EL1 write_igrpen0
    SET ich_hcr_el2, (1 << 10)      // TC
    RUN_EL1 read_pmr
    SET ich_hcr_el2, (1 << 14)      // TDIR
    RUN_EL1 write_dir
    SET ich_hcr_el2, 0

    PUTS "-- UNDEFINED: the active priority registers beyond 32 preemption levels, virtual and physical\n"
    RUN_EL1 undefined_aprs
    SET hcr_el2, HCR_RW
    RUN_EL1 undefined_aprs

    PUTS "done\n"
    ldr x0, =PSCI_SYSTEM_OFF
    smc #0
    b .

// call_el1: runs the EL1 function at x0 (EL1h, interrupts masked: the function unmasks them where it
// wants them taken) until its HVC (or a trap) brings EL2 back to lower_sync, which returns here.
call_el1:
    msr elr_el2, x0
    mov x0, #0x3c5
    msr spsr_el2, x0
    mov x27, x30
    mov x26, sp
    isb
    eret

lower_sync:
    mov sp, x26
    mrs x13, esr_el2
    lsr x0, x13, #26
    cmp x0, #0x16                   // HVC: the function returned
    b.eq 1f
    PUTS "trap ESR_EL2 "
    PUTHEX x13
    PUTS "\n"
1:  br x27

show_state:
    mov x24, x30
    SHOW ich_lr0_el2
    SHOW ich_lr1_el2
    SHOW ich_ap0r0_el2
    SHOW ich_ap1r0_el2
    SHOW ich_elrsr_el2
    SHOW ich_eisr_el2
    SHOW ich_misr_el2
    SHOW ich_hcr_el2
    br x24

// ---- EL1 ------------------------------------------------------------------------------------------

unmask:
    SHOW isr_el1
    msr daifclr, #3
    isb
    nop
    msr daifset, #3
    hvc #0

eoimode1:
    mov x0, #2
    msr icc_ctlr_el1, x0
    SHOW icc_ctlr_el1
    msr daifclr, #3
    isb
    nop
    msr daifset, #3
    hvc #0

stray_eoi:
    mov x0, #40
    msr icc_eoir1_el1, x0
    SHOW icc_rpr_el1
    mov x0, #2
    msr icc_ctlr_el1, x0
    mov x0, #42
    msr icc_eoir1_el1, x0
    SHOW icc_rpr_el1
    mov x0, #41
    msr icc_dir_el1, x0
    msr icc_ctlr_el1, xzr
    hvc #0

masked:
    SHOW icc_iar1_el1
    SHOW icc_hppir1_el1
    SHOW isr_el1
    mov x0, #0x88
    msr icc_pmr_el1, x0
    SHOW icc_pmr_el1
    msr daifclr, #3
    isb
    nop
    msr daifset, #3
    hvc #0

views:
    mov x0, #0xff
    msr icc_pmr_el1, x0
    msr icc_bpr0_el1, xzr
    mov x0, #7
    msr icc_bpr1_el1, x0
    mov x0, #1
    msr icc_igrpen1_el1, x0
    SHOW icc_igrpen1_el1
    SHOW icc_igrpen0_el1
    SHOW icc_bpr0_el1
    SHOW icc_bpr1_el1
    SHOW icc_ctlr_el1
    mov x0, #1
    msr icc_ctlr_el1, x0
    SHOW icc_bpr1_el1
    SHOW icc_rpr_el1
    SHOW icc_pmr_el1
    hvc #0

read_iar1:
    mrs x3, icc_iar1_el1
    hvc #0
write_igrpen0:
    msr icc_igrpen0_el1, x3
    hvc #0
read_pmr:
    mrs x3, icc_pmr_el1
    hvc #0
write_dir:
    msr icc_dir_el1, x3
    hvc #0

undefined_aprs:
    mrs x3, icc_ap0r1_el1
    msr icc_ap1r3_el1, x3
    hvc #0

// The EL1 exceptions: IRQ and FIQ from EL1 (entries 5 and 6) are virtual interrupts to handle; a
// synchronous one (entry 4) is printed and stepped over.
on_exception:
    cmp x1, #4
    b.eq el1_sync
    cmp x1, #5
    b.eq irq
    cmp x1, #6
    b.eq fiq
    b unexpected_exception

irq:
    PUTS "IRQ: HPPIR1 "
    mrs x13, icc_hppir1_el1
    PUTHEX x13
    PUTS " IAR1 "
    mrs x14, icc_iar1_el1
    PUTHEX x14
    PUTS " RPR "
    mrs x13, icc_rpr_el1
    PUTHEX x13
    PUTS " HPPIR1 "
    mrs x13, icc_hppir1_el1
    PUTHEX x13
    msr icc_eoir1_el1, x14
    PUTS " after EOIR1: RPR "
    mrs x13, icc_rpr_el1
    PUTHEX x13
    cbz x25, 1f
    msr icc_dir_el1, x14
1:  PUTS "\n"
    b exception_return

el1_sync:
    PUTS "EL1 synchronous exception: ESR_EL1 "
    mrs x13, esr_el1
    PUTHEX x13
    PUTS "\n"
    mrs x13, elr_el1
    add x13, x13, #4
    msr elr_el1, x13
    b exception_return

fiq:
    PUTS "FIQ: IAR1 "
    mrs x13, icc_iar1_el1
    PUTHEX x13
    PUTS " HPPIR0 "
    mrs x13, icc_hppir0_el1
    PUTHEX x13
    PUTS " IAR0 "
    mrs x14, icc_iar0_el1
    PUTHEX x14
    PUTS " RPR "
    mrs x13, icc_rpr_el1
    PUTHEX x13
    msr icc_eoir0_el1, x14
    PUTS " after EOIR0: RPR "
    mrs x13, icc_rpr_el1
    PUTHEX x13
    PUTS "\n"
    b exception_return

    VECTOR_TABLE

unexpected_el2:
    PUTS "unexpected exception at EL2: ESR_EL2 "
    mrs x13, esr_el2
    PUTHEX x13
    PUTS " ELR_EL2 "
    mrs x13, elr_el2
    PUTHEX x13
    PUTS "\n"
    ldr x0, =PSCI_SYSTEM_OFF
    smc #0
    b .

.macro EL2_VECTOR offset, target
    .org el2_vectors + \offset
    b \target
.endm
    .balign 2048
el2_vectors:
    EL2_VECTOR 0x000, unexpected_el2
    EL2_VECTOR 0x080, unexpected_el2
    EL2_VECTOR 0x100, unexpected_el2
    EL2_VECTOR 0x180, unexpected_el2
    EL2_VECTOR 0x200, unexpected_el2
    EL2_VECTOR 0x280, unexpected_el2
    EL2_VECTOR 0x300, unexpected_el2
    EL2_VECTOR 0x380, unexpected_el2
    EL2_VECTOR 0x400, lower_sync
    EL2_VECTOR 0x480, unexpected_el2
    EL2_VECTOR 0x500, unexpected_el2
    EL2_VECTOR 0x580, unexpected_el2
    EL2_VECTOR 0x600, unexpected_el2
    EL2_VECTOR 0x680, unexpected_el2
    EL2_VECTOR 0x700, unexpected_el2
    EL2_VECTOR 0x780, unexpected_el2

    .bss
    .balign 16
stack: .skip 16384
stack_top:
el1_stack: .skip 16384
el1_stack_top:
