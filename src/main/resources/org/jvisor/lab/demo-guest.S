// The guest of `jvisor demo`: bare-metal A64 code, loaded as a raw binary at RAM + 0x80000 (0x40080000)
// on the virt board and entered at EL1 with the MMU off and interrupts masked. It provokes each kind of
// trap in turn and ends every step with a "step done" hypercall, at which the host reads the vCPU's trap
// counters: the counts between two such calls are exactly what that step caused.
//
// Kept under one 4 KiB page so that the code costs one stage-2 fault (at the first instruction fetch),
// position independent (adr, no literal pools). The embedded bytes beside this file are its assembly:
//
//   aarch64-linux-gnu-as -o demo-guest.o demo-guest.S
//   aarch64-linux-gnu-ld -N -Ttext=0x40080000 -e 0x40080000 -o demo-guest.elf demo-guest.o
//   aarch64-linux-gnu-objcopy -O binary demo-guest.elf demo-guest.bin
//
// (TrapDemoTest assembles this file and checks the embedded bytes against the result.)
//
// Hypercall protocol (SMCCC, HVC #0, vendor-specific hypervisor service range):
//   x0 = 0xC6000D00 step done: x1 = step number, x2 = a value to show, x3 = ESR_EL1 of any exception the
//                   guest took during the step (0: none); returns x0 = the GIC version (2 or 3)
//   x0 = 0xC6000D01 multiply: returns x0 = x1 * x2, computed in Java
// Registers: x19 GIC version, x21 ESR_EL1 of the last exception taken (cleared at each step), x20/x22/x23
// scratch. No stack, no memory written outside the pages of step 11.

        .equ DEMO_STEP,       0xC6000D00
        .equ DEMO_MUL,        0xC6000D01
        .equ PSCI_VERSION,    0x84000000
        .equ PSCI_SYSTEM_OFF, 0x84000008
        .equ GICD,            0x08000000        // distributor (GICv2 and GICv3)
        .equ GICC,            0x08010000        // GICv2 CPU interface
        .equ GICR,            0x080a0000        // GICv3 redistributor of CPU 0 (its SGI frame at +0x10000)
        .equ UART,            0x09000000        // PL011: UARTDR at +0
        .equ HIDESEEK,        0x0b000000        // HIDE at +0, SEEK at +1
        .equ FRESH,           0x40400000        // 4 MiB into RAM: past the code and the device tree
        .equ PAGES,           16

        .macro movl reg, imm                    // a 32-bit constant
        movz    \reg, #((\imm) & 0xffff)
        movk    \reg, #(((\imm) >> 16) & 0xffff), lsl #16
        .endm

        .macro done n, value=xzr
        mov     x2, \value
        mov     x3, x21
        mov     x21, xzr
        mov     x1, #\n
        movl    x0, DEMO_STEP
        hvc     #0
        .endm

entry:
        adr     x20, vectors
        msr     vbar_el1, x20
        isb
        mov     x21, xzr
        done    0                               // hello: the host answers with the GIC version
        mov     x19, x0

// 1: instructions that do not trap: reads of ordinary system registers, the counter, memory mapped at stage 2
        mrs     x20, midr_el1
        mrs     x20, sctlr_el1
        mrs     x20, id_aa64mmfr0_el1
        mrs     x20, cntvct_el0
        adr     x22, message
        ldrb    w23, [x22]                      // (MMU off: data is Device memory, so aligned accesses only)
        done    1

// 2: ACTLR_EL1 (HCR_EL2.TACR)
        mrs     x20, actlr_el1
        done    2

// 3: data cache clean and invalidate by set/way (HCR_EL2.TSW)
        dc      cisw, xzr
        done    3

// 4: an IMPLEMENTATION DEFINED register, Cortex-A57's L2CTLR_EL1 (HCR_EL2.TIDCP); the hypervisor makes it
//    Undefined: the guest's vector records ESR_EL1 and skips the instruction
        mrs     x20, s3_1_c11_c0_2
        done    4

// 5: the host has set HCR_EL2.TVM: writes to the MMU controls trap (reads do not)
        mrs     x20, sctlr_el1
        msr     sctlr_el1, x20
        mrs     x20, tcr_el1
        msr     tcr_el1, x20
        mrs     x20, mair_el1
        msr     mair_el1, x20
        done    5

// 6: the host has set HCR_EL2.TID3: reads of the ID registers trap
        mrs     x20, id_aa64pfr0_el1
        mrs     x20, id_aa64isar0_el1
        mrs     x20, id_aa64mmfr0_el1
        done    6, x20

// 7: the interrupt controller, set up to deliver the virtual timer's PPI 27: MMIO in the hypervisor
        cmp     x19, #3
        b.eq    1f
        movl    x20, GICD
        mov     w22, #1
        str     w22, [x20]                      // GICD_CTLR: EnableGrp0
        mov     w22, #(1 << 27)
        str     w22, [x20, #0x100]              // GICD_ISENABLER0: PPI 27
        movl    x20, GICC
        mov     w22, #0xf0
        str     w22, [x20, #4]                  // GICC_PMR
        mov     w22, #1
        str     w22, [x20]                      // GICC_CTLR: EnableGrp0
        b       2f
1:      movl    x20, GICD
        mov     w22, #2
        str     w22, [x20]                      // GICD_CTLR: EnableGrp1 (one security state)
        movl    x20, GICR
        str     wzr, [x20, #0x14]               // GICR_WAKER: ProcessorSleep = 0
        add     x20, x20, #0x10000
        mov     w22, #(1 << 27)
        str     w22, [x20, #0x80]               // GICR_IGROUPR0: PPI 27 in Group 1
        str     w22, [x20, #0x100]              // GICR_ISENABLER0: PPI 27
        mov     x22, #0xf0
        msr     icc_pmr_el1, x22                // the CPU interface's registers do not trap
        mov     x22, #1
        msr     icc_igrpen1_el1, x22
        isb
2:      done    7

// 8: WFI (HCR_EL2.TWI) until the virtual timer fires; interrupts stay masked, WFI wakes on them anyway
        mrs     x20, cntvct_el0
        add     x20, x20, #0x4000
        msr     cntv_cval_el0, x20
        mov     x20, #1
        msr     cntv_ctl_el0, x20               // ENABLE, not masked
        isb
        wfi
        msr     cntv_ctl_el0, xzr
        isb
        done    8

// 9: a hypercall of our own, answered in Java
        movl    x0, DEMO_MUL
        mov     x1, #6
        mov     x2, #7
        hvc     #0
        done    9, x0

// 10: SMC (HCR_EL2.TSC): PSCI_VERSION through the secure monitor call conduit
        movl    x0, PSCI_VERSION
        smc     #0
        done    10, x0

// 11: one store into each of PAGES fresh pages: each is a stage-2 translation fault that maps it
        movl    x20, FRESH
        mov     x22, #PAGES
3:      str     x22, [x20]
        add     x20, x20, #4096
        subs    x22, x22, #1
        b.ne    3b
        done    11

// 12: the same pages again: mapped now, no fault
        movl    x20, FRESH
        mov     x22, #PAGES
3:      ldr     x23, [x20]
        add     x20, x20, #4096
        subs    x22, x22, #1
        b.ne    3b
        done    12

// 13: a line to the PL011: each byte written to UARTDR is an MMIO exit served by the VMM
        movl    x20, UART
        adr     x22, message
4:      ldrb    w23, [x22], #1
        cbz     w23, 5f
        strb    w23, [x20]
        b       4b
5:      done    13

// 14: hide a byte in the stage-2 descriptor of IPA 0x40000000, seek it back. 'p' (0x70) lands in bits
//     [57:55], reserved for software; a byte with bit 3 set would set XN (bit 54), and with 2 MiB stage-2
//     blocks this code lies in that block
        movl    x20, HIDESEEK
        mov     w22, #'p'
        strb    w22, [x20]                      // HIDE
        ldrb    w23, [x20, #1]                  // SEEK
        done    14, x23

// 15: a software-generated interrupt to this CPU: GICv3 ICC_SGI1R_EL1 (trapped while HCR_EL2.IMO is
//     set), GICv2 GICD_SGIR (MMIO)
        cmp     x19, #3
        b.eq    6f
        movl    x20, GICD
        movl    w22, ((2 << 24) | 1)            // TargetListFilter 0b10 (this CPU only), SGI 1
        str     w22, [x20, #0xf00]
        b       7f
6:      movl    x22, ((1 << 24) | 1)            // INTID 1, TargetList: CPU 0 of affinity 0.0.0
        msr     icc_sgi1r_el1, x22
        isb
7:      done    15

// the end: PSCI SYSTEM_OFF
        movl    x0, PSCI_SYSTEM_OFF
        hvc     #0
        b       .

message:
        .asciz  "Hello from the guest, through the PL011!\n"

        .balign 4
// Any exception but the expected one: reported as step 255, then the guest powers off.
unexpected:
        mrs     x2, elr_el1
        mrs     x3, esr_el1
        mov     x1, #255
        movl    x0, DEMO_STEP
        hvc     #0
        movl    x0, PSCI_SYSTEM_OFF
        hvc     #0
        b       .

// Exception vectors: the synchronous one from the current EL records ESR_EL1 and skips the instruction.
        .balign 2048
vectors:
        .rept   4
        b       unexpected
        .balign 128
        .endr
        mrs     x21, esr_el1                    // +0x200: synchronous, current EL, SP_ELx
        mrs     x22, elr_el1
        add     x22, x22, #4
        msr     elr_el1, x22
        eret
        .rept   11
        .balign 128
        b       unexpected
        .endr
