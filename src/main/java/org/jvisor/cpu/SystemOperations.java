package org.jvisor.cpu;

import static org.jvisor.cpu.SystemRegisters.HCR_TDZ;
import static org.jvisor.cpu.SystemRegisters.HCR_TPCP;
import static org.jvisor.cpu.SystemRegisters.HCR_TPU;
import static org.jvisor.cpu.SystemRegisters.HCR_TSW;
import static org.jvisor.cpu.SystemRegisters.HCR_TTLB;

import java.util.ArrayList;
import java.util.List;

/**
 * The SYS operations of ARMv8.0 (op0 1): data and instruction cache maintenance (DC, IC), TLB
 * maintenance (TLBI) and address translation (AT). They sit in the system register table as write-only
 * entries so that their access rules and traps are checked like the registers' ones.
 *
 * <p>Caches are not modelled: maintenance by VA only checks that the address translates (reporting a
 * fault with ESR.CM set), except DC ZVA which zeroes memory and IC which drops decoded instructions.
 */
final class SystemOperations {
    static final int DC_IVAC = 1, DC_ISW = 2, DC_CSW = 3, DC_CISW = 4, DC_ZVA = 5, DC_CVAC = 6, DC_CVAU = 7, DC_CVAP = 8,
            DC_CIVAC = 9, IC_IALLUIS = 10, IC_IALLU = 11, IC_IVAU = 12, TLBI = 64, AT = 128;

    static final SysReg[] REGISTERS = build();

    private SystemOperations() {}

    private static SysReg op(String name, int op1, int crn, int crm, int op2, int id) {
        return new SysReg(name, 1, op1, crn, crm, op2, id).wo();
    }

    private static SysReg[] build() {
        List<SysReg> l = new ArrayList<>(List.of(
                op("IC IALLUIS", 0, 7, 1, 0, IC_IALLUIS).hcr(HCR_TPU),
                op("IC IALLU", 0, 7, 5, 0, IC_IALLU).hcr(HCR_TPU),
                op("DC IVAC", 0, 7, 6, 1, DC_IVAC).hcr(HCR_TPCP),
                op("DC ISW", 0, 7, 6, 2, DC_ISW).hcr(HCR_TSW),
                op("DC CSW", 0, 7, 10, 2, DC_CSW).hcr(HCR_TSW),
                op("DC CISW", 0, 7, 14, 2, DC_CISW).hcr(HCR_TSW),
                op("DC ZVA", 3, 7, 4, 1, DC_ZVA).el0(SysReg.EL0_DZE).hcr(HCR_TDZ),
                op("IC IVAU", 3, 7, 5, 1, IC_IVAU).el0(SysReg.EL0_UCI).hcr(HCR_TPU),
                op("DC CVAC", 3, 7, 10, 1, DC_CVAC).el0(SysReg.EL0_UCI).hcr(HCR_TPCP),
                op("DC CVAU", 3, 7, 11, 1, DC_CVAU).el0(SysReg.EL0_UCI).hcr(HCR_TPU),
                // DC CVAP needs FEAT_DPB, which ID_AA64ISAR1_EL1.DPB does not advertise: undefined (as QEMU's A57).
                op("DC CVAP", 3, 7, 12, 1, DC_CVAP).el0(SysReg.EL0_UCI).hcr(HCR_TPCP).feature(SysReg.FEAT_DPB),
                op("DC CIVAC", 3, 7, 14, 1, DC_CIVAC).el0(SysReg.EL0_UCI).hcr(HCR_TPCP)));
        // TLBI: EL1 forms (op1 0; CRm 3 Inner Shareable, CRm 7 local), trapped by HCR_EL2.TTLB.
        String[] el1 = {"VMALLE1", "VAE1", "ASIDE1", "VAAE1", null, "VALE1", null, "VAALE1"};
        for (int op2 = 0; op2 < 8; op2++) {
            if (el1[op2] == null) continue;
            TlbiOp t = TlbiOp.valueOf(el1[op2]);
            l.add(op("TLBI " + el1[op2] + "IS", 0, 8, 3, op2, TLBI + 2 * t.ordinal() + 1).hcr(HCR_TTLB));
            l.add(op("TLBI " + el1[op2], 0, 8, 7, op2, TLBI + 2 * t.ordinal()).hcr(HCR_TTLB));
        }
        // EL2 forms (op1 4): undefined below EL2.
        String[] el2 = {"ALLE2", "VAE2", null, null, "ALLE1", "VALE2", "VMALLS12E1", null};
        for (int op2 = 0; op2 < 8; op2++) {
            if (el2[op2] == null) continue;
            TlbiOp t = TlbiOp.valueOf(el2[op2]);
            l.add(op("TLBI " + el2[op2] + "IS", 4, 8, 3, op2, TLBI + 2 * t.ordinal() + 1).el2());
            l.add(op("TLBI " + el2[op2], 4, 8, 7, op2, TLBI + 2 * t.ordinal()).el2());
        }
        for (String s : new String[] {"IPAS2E1", "IPAS2LE1"}) {
            TlbiOp t = TlbiOp.valueOf(s);
            int op2 = s.equals("IPAS2E1") ? 1 : 5;
            l.add(op("TLBI " + s + "IS", 4, 8, 0, op2, TLBI + 2 * t.ordinal() + 1).el2());
            l.add(op("TLBI " + s, 4, 8, 4, op2, TLBI + 2 * t.ordinal()).el2());
        }
        // AT: S1E1*/S1E0* from EL1; S1E2* and the stage 1+2 forms from EL2 only.
        l.add(op("AT S1E1R", 0, 7, 8, 0, AT + AtOp.S1E1R.ordinal()));
        l.add(op("AT S1E1W", 0, 7, 8, 1, AT + AtOp.S1E1W.ordinal()));
        l.add(op("AT S1E0R", 0, 7, 8, 2, AT + AtOp.S1E0R.ordinal()));
        l.add(op("AT S1E0W", 0, 7, 8, 3, AT + AtOp.S1E0W.ordinal()));
        l.add(op("AT S1E2R", 4, 7, 8, 0, AT + AtOp.S1E2R.ordinal()).el2());
        l.add(op("AT S1E2W", 4, 7, 8, 1, AT + AtOp.S1E2W.ordinal()).el2());
        l.add(op("AT S12E1R", 4, 7, 8, 4, AT + AtOp.S12E1R.ordinal()).el2());
        l.add(op("AT S12E1W", 4, 7, 8, 5, AT + AtOp.S12E1W.ordinal()).el2());
        l.add(op("AT S12E0R", 4, 7, 8, 6, AT + AtOp.S12E0R.ordinal()).el2());
        l.add(op("AT S12E0W", 4, 7, 8, 7, AT + AtOp.S12E0W.ordinal()).el2());
        return l.toArray(new SysReg[0]);
    }

    private static final TlbiOp[] TLBI_OPS = TlbiOp.values();
    private static final AtOp[] AT_OPS = AtOp.values();

    static void execute(Cpu cpu, int id, long xt) {
        if (id >= AT) {
            cpu.sr.parEl1 = cpu.mmu.at(AT_OPS[id - AT], xt);
            return;
        }
        if (id >= TLBI) {
            int k = id - TLBI;
            // HCR_EL2.FB makes the local EL1 forms broadcast, as their Inner Shareable forms.
            boolean broadcast = (k & 1) != 0
                    || (cpu.currentEl() == 1 && (cpu.sr.hcrEl2 & SystemRegisters.HCR_FB) != 0);
            cpu.mmu.tlbi(TLBI_OPS[k >> 1], xt, broadcast);
            return;
        }
        switch (id) {
            case DC_ZVA -> zeroBlock(cpu, xt);
            case DC_IVAC -> checkTranslation(cpu, xt, Mmu.ACC_WRITE);
            case DC_CVAC, DC_CVAU, DC_CVAP, DC_CIVAC -> checkTranslation(cpu, xt, Mmu.ACC_READ);
            case DC_ISW, DC_CSW, DC_CISW -> { } // set/way maintenance of caches that are not modelled
            // The decoded code is shared by all processors: each refetches at its next chunk (see PhysicalBus).
            case IC_IALLU, IC_IALLUIS -> {
                cpu.bus.invalidateAllCode();
                cpu.syncCode();
            }
            case IC_IVAU -> {
                cpu.bus.invalidateCodeAt(checkTranslation(cpu, xt, Mmu.ACC_READ));
                cpu.syncCode();
            }
            default -> throw new IllegalStateException("operation id " + id);
        }
    }

    /**
     * DC ZVA: writes zeros to the aligned block of DCZID_EL0.BS words, as a store (faults are data aborts on
     * a write, FAR the address given). On any type of Device memory, including all data memory while
     * stage 1 is off, it is an Alignment fault, as the Arm ARM says (QEMU does not check this).
     */
    private static void zeroBlock(Cpu cpu, long va) {
        long base = va & -(long) IdRegisters.ZVA_BYTES;
        Mmu m = cpu.mmu;
        // The block lies in one page: one translation checks it all before anything is written.
        if (m.translate(va, Mmu.ACC_WRITE, cpu.mmuIdx) == Mmu.FAULT)
            throw cpu.dataAbort(va, Mmu.ACC_WRITE, m.faultStatus, m.faultStage2, m.faultS1ptw, m.faultIpa);
        if (m.lastIsDevice()) throw cpu.dataAbort(va, Mmu.ACC_WRITE, Esr.FSC_ALIGNMENT, false, false, 0);
        for (int i = 0; i < IdRegisters.ZVA_BYTES; i += 8) cpu.write64(base + i, 0);
    }

    /** Translates a cache maintenance address; a fault is a data abort with ESR.CM (and WnR) set. */
    private static long checkTranslation(Cpu cpu, long va, int acc) {
        long pa = cpu.mmu.translate(va, acc | Mmu.ACC_CM, cpu.mmuIdx);
        if (pa == Mmu.FAULT) {
            Mmu m = cpu.mmu;
            throw cpu.dataAbort(va, acc | Mmu.ACC_CM, m.faultStatus, m.faultStage2, m.faultS1ptw, m.faultIpa);
        }
        return pa;
    }
}
