package org.jvisor.cpu;

import static org.jvisor.cpu.SystemRegisters.HCR_TACR;

/**
 * The control registers of the EL1&amp;0 and EL2 regimes and the special-purpose registers (PSTATE fields,
 * banked SP, ELR, SPSR), stored in {@link SystemRegisters} and in the processor's PSTATE.
 */
final class ControlRegisters {
    static final int SCTLR_EL1 = 1, ACTLR_EL1 = 2, CPACR_EL1 = 3, TTBR0_EL1 = 4, TTBR1_EL1 = 5, TCR_EL1 = 6,
            AFSR0_EL1 = 7, AFSR1_EL1 = 8, ESR_EL1 = 9, FAR_EL1 = 10, PAR_EL1 = 11, MAIR_EL1 = 12, AMAIR_EL1 = 13,
            VBAR_EL1 = 14, ISR_EL1 = 15, CONTEXTIDR_EL1 = 16, TPIDR_EL1 = 17, TPIDR_EL0 = 18, TPIDRRO_EL0 = 19,
            SPSR_EL1 = 20, ELR_EL1 = 21, SP_EL0 = 22, SPSEL = 23, CURRENTEL = 24, PAN = 25, NZCV = 26, DAIF = 27,
            SPSR_EL2 = 28, ELR_EL2 = 29, SP_EL1 = 30, SCTLR_EL2 = 31, ACTLR_EL2 = 32, HCR_EL2 = 33, MDCR_EL2 = 34,
            CPTR_EL2 = 35, HSTR_EL2 = 36, HACR_EL2 = 37, TTBR0_EL2 = 38, TCR_EL2 = 39, VTTBR_EL2 = 40, VTCR_EL2 = 41,
            AFSR0_EL2 = 42, AFSR1_EL2 = 43, ESR_EL2 = 44, FAR_EL2 = 45, HPFAR_EL2 = 46, MAIR_EL2 = 47, AMAIR_EL2 = 48,
            VBAR_EL2 = 49, RVBAR_EL2 = 50, TPIDR_EL2 = 51;

    /** SPSR_ELx bits of ARMv8.0 (N, Z, C, V, SS, IL, D, A, I, F, M[4:0]); PAN (bit 22) is added when implemented. */
    static final long SPSR_MASK = 0xF03003DFL, SPSR_PAN = 1L << 22;
    /** SCTLR_EL1: the v8.0 control bits (bit 23, SPAN, is RES1 unless PAN is implemented: see write). */
    static final long SCTLR_EL1_BITS = 0x078DD3BFL, SCTLR_EL1_RES1 = 0x30500800L;
    static final long SCTLR_EL2_BITS = 0x0208100FL, SCTLR_EL2_RES1 = 0x30C50830L;
    static final long TCR_EL1_BITS = 0x00000077FFFFFFBFL;
    static final long TCR_EL2_BITS = 0x0017FF3FL, TCR_EL2_RES1 = 0x80800000L;
    static final long VTCR_EL2_BITS = 0x0007FFFFL, VTCR_EL2_RES1 = 0x80000000L;
    static final long TTBR_EL1_BITS = 0xFFFFFFFFFFFFFFFEL, TTBR_EL2_BITS = 0x0000FFFFFFFFFFFEL,
            VTTBR_BITS = 0x00FFFFFFFFFFFFFEL;
    /** HCR_EL2 bits of ARMv8.0 (VM..ID); RW is RES1 because EL1 is AArch64-only. */
    static final long HCR_BITS = 0x3FFFFFFFFL;
    static final long CPTR_EL2_BITS = SysRegTable.CPTR_TFP | SysRegTable.CPTR_TTA | SysRegTable.CPTR_TCPAC,
            CPTR_EL2_RES1 = 0x33FFL;

    private static SysReg r(String name, int op0, int op1, int crn, int crm, int op2, int id) {
        return new SysReg(name, op0, op1, crn, crm, op2, id);
    }

    static final SysReg[] REGISTERS = {
            // EL1&0 regime controls; the virtual memory controls are trapped by HCR_EL2.TVM/TRVM
            r("SCTLR_EL1", 3, 0, 1, 0, 0, SCTLR_EL1).tvm().mask(SCTLR_EL1_BITS, SCTLR_EL1_RES1).reset(0x30D00800L),
            r("ACTLR_EL1", 3, 0, 1, 0, 1, ACTLR_EL1).hcr(HCR_TACR).reset(0),
            r("CPACR_EL1", 3, 0, 1, 0, 2, CPACR_EL1).cptr(SysRegTable.CPTR_TCPAC)
                    // FPEN stays writable though FP/SIMD comes with the next issue, so firmware sees its write
                    .mask(0x00300000L).reset(0),
            r("TTBR0_EL1", 3, 0, 2, 0, 0, TTBR0_EL1).tvm().mask(TTBR_EL1_BITS),
            r("TTBR1_EL1", 3, 0, 2, 0, 1, TTBR1_EL1).tvm().mask(TTBR_EL1_BITS),
            r("TCR_EL1", 3, 0, 2, 0, 2, TCR_EL1).tvm().mask(TCR_EL1_BITS).reset(0),
            r("SPSR_EL1", 3, 0, 4, 0, 0, SPSR_EL1),
            r("ELR_EL1", 3, 0, 4, 0, 1, ELR_EL1),
            r("SP_EL0", 3, 0, 4, 1, 0, SP_EL0),
            r("SPSel", 3, 0, 4, 2, 0, SPSEL).mask(1),
            r("CurrentEL", 3, 0, 4, 2, 2, CURRENTEL).ro(),
            r("PAN", 3, 0, 4, 2, 3, PAN).feature(SysReg.FEAT_PAN).mask(1L << 22),
            r("AFSR0_EL1", 3, 0, 5, 1, 0, AFSR0_EL1).tvm().mask(0xFFFFFFFFL).reset(0),
            r("AFSR1_EL1", 3, 0, 5, 1, 1, AFSR1_EL1).tvm().mask(0xFFFFFFFFL).reset(0),
            r("ESR_EL1", 3, 0, 5, 2, 0, ESR_EL1).tvm().mask(0xFFFFFFFFL),
            r("FAR_EL1", 3, 0, 6, 0, 0, FAR_EL1).tvm(),
            r("PAR_EL1", 3, 0, 7, 4, 0, PAR_EL1),
            r("MAIR_EL1", 3, 0, 10, 2, 0, MAIR_EL1).tvm(),
            r("AMAIR_EL1", 3, 0, 10, 3, 0, AMAIR_EL1).tvm().reset(0),
            r("VBAR_EL1", 3, 0, 12, 0, 0, VBAR_EL1).mask(~0x7FFL),
            r("ISR_EL1", 3, 0, 12, 1, 0, ISR_EL1).ro(),
            r("CONTEXTIDR_EL1", 3, 0, 13, 0, 1, CONTEXTIDR_EL1).tvm().mask(0xFFFFFFFFL).reset(0),
            r("TPIDR_EL1", 3, 0, 13, 0, 4, TPIDR_EL1),
            // EL0-visible
            r("NZCV", 3, 3, 4, 2, 0, NZCV).el0(SysReg.EL0_ALWAYS).mask(0xF0000000L),
            r("DAIF", 3, 3, 4, 2, 1, DAIF).el0(SysReg.EL0_UMA).mask(0x3C0L),
            r("TPIDR_EL0", 3, 3, 13, 0, 2, TPIDR_EL0).el0(SysReg.EL0_ALWAYS),
            r("TPIDRRO_EL0", 3, 3, 13, 0, 3, TPIDRRO_EL0).el0(SysReg.EL0_ALWAYS).el0ReadOnly(),
            // EL2
            r("SCTLR_EL2", 3, 4, 1, 0, 0, SCTLR_EL2).el2().mask(SCTLR_EL2_BITS, SCTLR_EL2_RES1).reset(SCTLR_EL2_RES1),
            r("ACTLR_EL2", 3, 4, 1, 0, 1, ACTLR_EL2).el2().reset(0),
            r("HCR_EL2", 3, 4, 1, 1, 0, HCR_EL2).el2().mask(HCR_BITS, SystemRegisters.HCR_RW).reset(0),
            r("MDCR_EL2", 3, 4, 1, 1, 1, MDCR_EL2).el2().mask(0xFFFL).reset(Pmu.COUNTERS),
            r("CPTR_EL2", 3, 4, 1, 1, 2, CPTR_EL2).el2().mask(CPTR_EL2_BITS, CPTR_EL2_RES1).reset(0),
            r("HSTR_EL2", 3, 4, 1, 1, 3, HSTR_EL2).el2().mask(0xFFFFL).reset(0),
            r("HACR_EL2", 3, 4, 1, 1, 7, HACR_EL2).el2().reset(0),
            r("TTBR0_EL2", 3, 4, 2, 0, 0, TTBR0_EL2).el2().mask(TTBR_EL2_BITS),
            r("TCR_EL2", 3, 4, 2, 0, 2, TCR_EL2).el2().mask(TCR_EL2_BITS, TCR_EL2_RES1),
            r("VTTBR_EL2", 3, 4, 2, 1, 0, VTTBR_EL2).el2().mask(VTTBR_BITS),
            r("VTCR_EL2", 3, 4, 2, 1, 2, VTCR_EL2).el2().mask(VTCR_EL2_BITS, VTCR_EL2_RES1),
            r("SPSR_EL2", 3, 4, 4, 0, 0, SPSR_EL2).el2(),
            r("ELR_EL2", 3, 4, 4, 0, 1, ELR_EL2).el2(),
            r("SP_EL1", 3, 4, 4, 1, 0, SP_EL1).el2(),
            r("AFSR0_EL2", 3, 4, 5, 1, 0, AFSR0_EL2).el2().mask(0xFFFFFFFFL).reset(0),
            r("AFSR1_EL2", 3, 4, 5, 1, 1, AFSR1_EL2).el2().mask(0xFFFFFFFFL).reset(0),
            r("ESR_EL2", 3, 4, 5, 2, 0, ESR_EL2).el2().mask(0xFFFFFFFFL),
            r("FAR_EL2", 3, 4, 6, 0, 0, FAR_EL2).el2(),
            r("HPFAR_EL2", 3, 4, 6, 0, 4, HPFAR_EL2).el2().mask(0x00000FFFFFFFFFF0L),
            r("MAIR_EL2", 3, 4, 10, 2, 0, MAIR_EL2).el2(),
            r("AMAIR_EL2", 3, 4, 10, 3, 0, AMAIR_EL2).el2().reset(0),
            r("VBAR_EL2", 3, 4, 12, 0, 0, VBAR_EL2).el2().mask(~0x7FFL),
            // EL2 is the highest EL, so it has the reset vector register (reset at address 0)
            r("RVBAR_EL2", 3, 4, 12, 0, 1, RVBAR_EL2).el2().ro(),
            r("TPIDR_EL2", 3, 4, 13, 0, 2, TPIDR_EL2).el2(),
    };

    private ControlRegisters() {}

    static long read(Cpu cpu, int id) {
        SystemRegisters s = cpu.sr;
        return switch (id) {
            case SCTLR_EL1 -> s.sctlr[1];
            case ACTLR_EL1 -> s.actlr[1];
            case CPACR_EL1 -> s.cpacrEl1;
            case TTBR0_EL1 -> s.ttbr0[1];
            case TTBR1_EL1 -> s.ttbr1El1;
            case TCR_EL1 -> s.tcr[1];
            case AFSR0_EL1 -> s.afsr0[1];
            case AFSR1_EL1 -> s.afsr1[1];
            case ESR_EL1 -> s.esr[1];
            case FAR_EL1 -> s.far[1];
            case PAR_EL1 -> s.parEl1;
            case MAIR_EL1 -> s.mair[1];
            case AMAIR_EL1 -> s.amair[1];
            case VBAR_EL1 -> s.vbar[1];
            case ISR_EL1 -> isr(cpu);
            case CONTEXTIDR_EL1 -> s.contextidrEl1;
            case TPIDR_EL1 -> s.tpidr[1];
            case TPIDR_EL0 -> s.tpidrEl0;
            case TPIDRRO_EL0 -> s.tpidrroEl0;
            case SPSR_EL1 -> s.spsr[1];
            case ELR_EL1 -> s.elr[1];
            case SP_EL0 -> {
                checkSpEl0(cpu);
                yield cpu.getSpEl(0);
            }
            case SPSEL -> cpu.spSel();
            case CURRENTEL -> (long) cpu.currentEl() << 2;
            case PAN -> cpu.pan ? 1L << 22 : 0;
            case NZCV -> (long) cpu.nzcv() << 28;
            case DAIF -> cpu.daif;
            case SPSR_EL2 -> s.spsr[2];
            case ELR_EL2 -> s.elr[2];
            case SP_EL1 -> cpu.getSpEl(1);
            case SCTLR_EL2 -> s.sctlr[2];
            case ACTLR_EL2 -> s.actlr[2];
            case HCR_EL2 -> s.hcrEl2;
            case MDCR_EL2 -> s.mdcrEl2;
            case CPTR_EL2 -> s.cptrEl2;
            case HSTR_EL2 -> s.hstrEl2;
            case HACR_EL2 -> s.hacrEl2;
            case TTBR0_EL2 -> s.ttbr0[2];
            case TCR_EL2 -> s.tcr[2];
            case VTTBR_EL2 -> s.vttbrEl2;
            case VTCR_EL2 -> s.vtcrEl2;
            case AFSR0_EL2 -> s.afsr0[2];
            case AFSR1_EL2 -> s.afsr1[2];
            case ESR_EL2 -> s.esr[2];
            case FAR_EL2 -> s.far[2];
            case HPFAR_EL2 -> s.hpfarEl2;
            case MAIR_EL2 -> s.mair[2];
            case AMAIR_EL2 -> s.amair[2];
            case VBAR_EL2 -> s.vbar[2];
            case RVBAR_EL2 -> 0;
            case TPIDR_EL2 -> s.tpidr[2];
            default -> throw new IllegalStateException("register id " + id);
        };
    }

    static void write(Cpu cpu, int id, long v) {
        SystemRegisters s = cpu.sr;
        switch (id) {
            case SCTLR_EL1 -> {
                if (!cpu.features.pan) v |= SystemRegisters.SCTLR_SPAN;
                s.sctlr[1] = translationControl(cpu, s.sctlr[1], v);
            }
            case ACTLR_EL1 -> s.actlr[1] = v;
            case CPACR_EL1 -> s.cpacrEl1 = v;
            case TTBR0_EL1 -> s.ttbr0[1] = translationControl(cpu, s.ttbr0[1], v);
            case TTBR1_EL1 -> s.ttbr1El1 = translationControl(cpu, s.ttbr1El1, v);
            case TCR_EL1 -> s.tcr[1] = translationControl(cpu, s.tcr[1], v);
            case AFSR0_EL1 -> s.afsr0[1] = v;
            case AFSR1_EL1 -> s.afsr1[1] = v;
            case ESR_EL1 -> s.esr[1] = v;
            case FAR_EL1 -> s.far[1] = v;
            case PAR_EL1 -> s.parEl1 = v;
            case MAIR_EL1 -> s.mair[1] = translationControl(cpu, s.mair[1], v);
            case AMAIR_EL1 -> s.amair[1] = v;
            case VBAR_EL1 -> s.vbar[1] = v;
            case CONTEXTIDR_EL1 -> s.contextidrEl1 = v;
            case TPIDR_EL1 -> s.tpidr[1] = v;
            case TPIDR_EL0 -> s.tpidrEl0 = v;
            case TPIDRRO_EL0 -> s.tpidrroEl0 = v;
            case SPSR_EL1 -> s.spsr[1] = v & spsrMask(cpu);
            case ELR_EL1 -> s.elr[1] = v;
            case SP_EL0 -> {
                checkSpEl0(cpu);
                cpu.setSpEl(0, v);
            }
            case SPSEL -> cpu.setElAndSpSel(cpu.currentEl(), (int) v & 1);
            case PAN -> {
                cpu.pan = v != 0;
                cpu.updateMmuIdx();
            }
            case NZCV -> cpu.setNzcv((int) (v >>> 28));
            case DAIF -> {
                cpu.daif = (int) v;
                cpu.endChunk(); // an unmasked pending interrupt is taken before the next instruction
            }
            case SPSR_EL2 -> s.spsr[2] = v & spsrMask(cpu);
            case ELR_EL2 -> s.elr[2] = v;
            case SP_EL1 -> cpu.setSpEl(1, v);
            case SCTLR_EL2 -> s.sctlr[2] = translationControl(cpu, s.sctlr[2], v);
            case ACTLR_EL2 -> s.actlr[2] = v;
            case HCR_EL2 -> {
                s.hcrEl2 = translationControl(cpu, s.hcrEl2, v);
                cpu.endChunk(); // virtual interrupts and routing may have changed
            }
            case MDCR_EL2 -> {
                cpu.pmu.accrue(); // HPMN and HPME change which counters count
                s.mdcrEl2 = v;
                cpu.pmu.configChanged();
                Debug.update(cpu); // TDE routes debug exceptions
            }
            case CPTR_EL2 -> s.cptrEl2 = v;
            case HSTR_EL2 -> s.hstrEl2 = v;
            case HACR_EL2 -> s.hacrEl2 = v;
            case TTBR0_EL2 -> s.ttbr0[2] = translationControl(cpu, s.ttbr0[2], v);
            case TCR_EL2 -> s.tcr[2] = translationControl(cpu, s.tcr[2], v);
            case VTTBR_EL2 -> s.vttbrEl2 = translationControl(cpu, s.vttbrEl2, v);
            case VTCR_EL2 -> s.vtcrEl2 = translationControl(cpu, s.vtcrEl2, v);
            case AFSR0_EL2 -> s.afsr0[2] = v;
            case AFSR1_EL2 -> s.afsr1[2] = v;
            case ESR_EL2 -> s.esr[2] = v;
            case FAR_EL2 -> s.far[2] = v;
            case HPFAR_EL2 -> s.hpfarEl2 = v;
            case MAIR_EL2 -> s.mair[2] = translationControl(cpu, s.mair[2], v);
            case AMAIR_EL2 -> s.amair[2] = v;
            case VBAR_EL2 -> s.vbar[2] = v;
            case TPIDR_EL2 -> s.tpidr[2] = v;
            default -> throw new IllegalStateException("register id " + id);
        }
    }

    /** A register the translation regime depends on: the fast TLB caches its old value, drop it on change. */
    private static long translationControl(Cpu cpu, long old, long v) {
        if (old != v) cpu.mmu.contextChanged();
        return v;
    }

    private static long spsrMask(Cpu cpu) {
        return cpu.features.pan ? SPSR_MASK | SPSR_PAN : SPSR_MASK;
    }

    /** MRS/MSR SP_EL0 while SP_EL0 is the current stack pointer is UNDEFINED. */
    private static void checkSpEl0(Cpu cpu) {
        if (cpu.currentEl() > 0 && cpu.spSel() == 0) throw cpu.undefined();
    }

    /**
     * ISR_EL1: the pending A, I, F bits. At EL1/EL0 an interrupt class routed to EL2 by HCR_EL2.{AMO,IMO,FMO}
     * shows its virtual interrupt instead (HCR_EL2.VSE/VI/VF, or the virtual CPU interface's), as the guest sees it.
     */
    static long isr(Cpu cpu) {
        long hcr = cpu.sr.hcrEl2, virtual = hcr | cpu.virtualLines;
        boolean guest = cpu.currentEl() < 2 && (hcr & SystemRegisters.HCR_TGE) == 0;
        long v = 0;
        if (guest && (hcr & SystemRegisters.HCR_AMO) != 0 ? (hcr & SystemRegisters.HCR_VSE) != 0 : cpu.serrorLine()) v |= 1 << 8;
        if (guest && (hcr & SystemRegisters.HCR_IMO) != 0 ? (virtual & SystemRegisters.HCR_VI) != 0 : cpu.irqLine()) v |= 1 << 7;
        if (guest && (hcr & SystemRegisters.HCR_FMO) != 0 ? (virtual & SystemRegisters.HCR_VF) != 0 : cpu.fiqLine()) v |= 1 << 6;
        return v;
    }
}
