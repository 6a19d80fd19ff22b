// sysregs: system registers an ARMv8.0 Cortex-A57 at EL1 shows identically on QEMU virt
// (-cpu cortex-a57) and on jvisor: identification and cache geometry, PMCR_EL0, the generic timer's
// frequency and ISTATUS, the OS lock, write masks of VBAR_EL1/SPSel/DAIF, PSTATE fields, and the
// undefined accesses (an unallocated register, a write to a read-only one, an EL2 register from EL1).
// Not compared: registers where the profiles differ on purpose (ID_AA64PFR0: no FP/EL3/AArch32 yet;
// ID_AA64ISAR0: no crypto; MMFR0: PA size; PMCEID0: fewer events) or that depend on host time.
    .include "common.inc"
    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    INSTALL_VECTORS

.macro SHOW name, reg
    mrs x13, \reg
    PUTS "\name="
    PUTHEX x13
    PUTS "\n"
.endm
    SHOW "MIDR_EL1", midr_el1
    SHOW "MPIDR_EL1", mpidr_el1
    SHOW "REVIDR_EL1", revidr_el1
    SHOW "AIDR_EL1", aidr_el1
    SHOW "CTR_EL0", ctr_el0
    SHOW "DCZID_EL0", dczid_el0
    SHOW "CLIDR_EL1", clidr_el1
    msr csselr_el1, xzr
    isb
    SHOW "CCSIDR(L1D)", ccsidr_el1
    mov x0, #1
    msr csselr_el1, x0
    isb
    SHOW "CCSIDR(L1I)", ccsidr_el1
    mov x0, #2
    msr csselr_el1, x0
    isb
    SHOW "CCSIDR(L2)", ccsidr_el1
    SHOW "CSSELR_EL1", csselr_el1
    SHOW "ID_AA64DFR0_EL1", id_aa64dfr0_el1
    SHOW "ID_AA64AFR0_EL1", id_aa64afr0_el1
    SHOW "ID_AA64MMFR2_EL1", s3_0_c0_c7_2
    SHOW "unallocated ID space", s3_0_c0_c7_7
    SHOW "PMCR_EL0", pmcr_el0
    SHOW "CNTFRQ_EL0", cntfrq_el0
    SHOW "CurrentEL", currentel
    SHOW "DAIF", daif
    SHOW "OSLSR_EL1", oslsr_el1

    // write masks (SHOW clobbers x0). VBAR_EL1[10:0] are RES0: QEMU keeps bits [10:5] (AArch32 heritage),
    // jvisor reads them as zero; both are allowed, so only the bits above are compared.
    mov x0, #-0x800
    msr vbar_el1, x0
    SHOW "VBAR_EL1 after ~0x7ff", vbar_el1
    INSTALL_VECTORS
    msr daifclr, #0xa
    SHOW "DAIF after clr A,F", daif
    msr daifset, #0xf
    mov x0, #0x3c0
    msr daif, x0
    mov x0, #0xf0000000
    msr nzcv, x0
    SHOW "NZCV", nzcv
    mov x0, #0xf0000000
    msr tpidr_el0, x0
    SHOW "TPIDR_EL0", tpidr_el0
    mov x0, #-1
    msr tpidrro_el0, x0
    SHOW "TPIDRRO_EL0", tpidrro_el0
    mov x0, #-1
    msr pmuserenr_el0, x0
    SHOW "PMUSERENR_EL0 after ~0", pmuserenr_el0
    msr pmuserenr_el0, xzr
    mov x0, #-1
    msr pmselr_el0, x0
    SHOW "PMSELR_EL0 after ~0", pmselr_el0
    msr cntkctl_el1, xzr
    SHOW "CNTKCTL_EL1", cntkctl_el1

    // the generic timer: a CVAL in the past is met at once, IMASK does not hide ISTATUS
    msr cntv_cval_el0, xzr
    mov x0, #1
    msr cntv_ctl_el0, x0
    isb
    SHOW "CNTV_CTL enabled, CVAL 0", cntv_ctl_el0
    mov x0, #3
    msr cntv_ctl_el0, x0
    isb
    SHOW "CNTV_CTL masked", cntv_ctl_el0
    msr cntv_ctl_el0, xzr
    mov x0, #-1
    msr cntp_cval_el0, x0
    mov x0, #1
    msr cntp_ctl_el0, x0
    isb
    SHOW "CNTP_CTL enabled, CVAL ~0", cntp_ctl_el0
    msr cntp_ctl_el0, xzr
    mrs x20, cntvct_el0
    mrs x21, cntvct_el0
    cmp x21, x20
    cset x13, hs
    PUTS "CNTVCT monotonic="
    PUTHEX x13
    PUTS "\n"

    // undefined accesses: each reports ESR_EL1 and is stepped over by the handler
    mrs x0, s3_0_c11_c0_0
    mov x0, #0
    msr midr_el1, x0
    mrs x0, hcr_el2
    mrs x0, cnthctl_el2
    tlbi alle2
    PUTS "done\n"
    POWER_OFF

// x0 = frame, x1 = vector entry: print the syndrome and step over the instruction
on_exception:
    mov x20, x1
    PUTS "exception entry "
    PUTHEX x20
    PUTS " ESR_EL1="
    mrs x21, esr_el1
    PUTHEX x21
    PUTS "\n"
    mrs x22, elr_el1
    add x22, x22, #4
    msr elr_el1, x22
    b exception_return

    VECTOR_TABLE

    .bss
    .balign 16
stack: .skip 16384
stack_top:
