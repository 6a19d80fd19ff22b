package org.jvisor.cpu;

import static org.jvisor.cpu.GicCpuInterface.Register.*;
import static org.jvisor.cpu.SystemRegisters.HCR_FMO;
import static org.jvisor.cpu.SystemRegisters.HCR_IMO;

import org.jvisor.cpu.GicCpuInterface.Register;

/**
 * The GICv3 CPU interface system registers (ICC_*_EL1), forwarded to the {@link GicCpuInterface} the
 * processor has attached; UNDEFINED without one. The SGI generation registers trap to EL2 when
 * HCR_EL2.IMO or FMO is set, as the GICv3 architecture specifies for a hypervisor that virtualizes them.
 */
final class GicSysRegs {
    private static final Register[] BY_ID = Register.values();
    /** ICC_SRE_EL1: SRE, DFB, DIB all RAO/WI (the system register interface is the only one). */
    static final int SRE = BY_ID.length;
    static final long SRE_VALUE = 7;
    /**
     * ICC_SRE_EL2: SRE, DFB, DIB RAO/WI, and Enable RAO/WI (EL1 may use ICC_SRE_EL1), as on a GIC with only
     * the system register interface; Linux's EL2 set-up reads SRE back to decide whether the GIC is a v3.
     */
    static final int SRE_EL2 = SRE + 1;
    static final long SRE_EL2_VALUE = 0xF;
    /** ICH_HCR_EL2, stored: the virtual CPU interface it controls is not implemented yet. */
    static final int ICH_HCR = SRE + 2;

    private static SysReg r(String name, int crn, int crm, int op2, int id) {
        return new SysReg(name, 3, 0, crn, crm, op2, id).feature(SysReg.FEAT_GIC);
    }

    static final SysReg[] REGISTERS = {
            r("ICC_PMR_EL1", 4, 6, 0, PMR.ordinal()),
            r("ICC_IAR0_EL1", 12, 8, 0, IAR0.ordinal()).ro(),
            r("ICC_EOIR0_EL1", 12, 8, 1, EOIR0.ordinal()).wo(),
            r("ICC_HPPIR0_EL1", 12, 8, 2, HPPIR0.ordinal()).ro(),
            r("ICC_BPR0_EL1", 12, 8, 3, BPR0.ordinal()),
            r("ICC_AP0R0_EL1", 12, 8, 4, AP0R0.ordinal()),
            r("ICC_AP0R1_EL1", 12, 8, 5, AP0R1.ordinal()),
            r("ICC_AP0R2_EL1", 12, 8, 6, AP0R2.ordinal()),
            r("ICC_AP0R3_EL1", 12, 8, 7, AP0R3.ordinal()),
            r("ICC_AP1R0_EL1", 12, 9, 0, AP1R0.ordinal()),
            r("ICC_AP1R1_EL1", 12, 9, 1, AP1R1.ordinal()),
            r("ICC_AP1R2_EL1", 12, 9, 2, AP1R2.ordinal()),
            r("ICC_AP1R3_EL1", 12, 9, 3, AP1R3.ordinal()),
            r("ICC_DIR_EL1", 12, 11, 1, DIR.ordinal()).wo(),
            r("ICC_RPR_EL1", 12, 11, 3, RPR.ordinal()).ro(),
            r("ICC_SGI1R_EL1", 12, 11, 5, SGI1R.ordinal()).wo().hcr(HCR_IMO | HCR_FMO),
            r("ICC_ASGI1R_EL1", 12, 11, 6, ASGI1R.ordinal()).wo().hcr(HCR_IMO | HCR_FMO),
            r("ICC_SGI0R_EL1", 12, 11, 7, SGI0R.ordinal()).wo().hcr(HCR_IMO | HCR_FMO),
            r("ICC_IAR1_EL1", 12, 12, 0, IAR1.ordinal()).ro(),
            r("ICC_EOIR1_EL1", 12, 12, 1, EOIR1.ordinal()).wo(),
            r("ICC_HPPIR1_EL1", 12, 12, 2, HPPIR1.ordinal()).ro(),
            r("ICC_BPR1_EL1", 12, 12, 3, BPR1.ordinal()),
            r("ICC_CTLR_EL1", 12, 12, 4, CTLR.ordinal()),
            r("ICC_SRE_EL1", 12, 12, 5, SRE),
            r("ICC_IGRPEN0_EL1", 12, 12, 6, IGRPEN0.ordinal()),
            r("ICC_IGRPEN1_EL1", 12, 12, 7, IGRPEN1.ordinal()),
            el2("ICC_SRE_EL2", 12, 9, 5, SRE_EL2),
            el2("ICH_HCR_EL2", 12, 11, 0, ICH_HCR).mask(0xF800_7FFFL),
    };

    private static SysReg el2(String name, int crn, int crm, int op2, int id) {
        return new SysReg(name, 3, 4, crn, crm, op2, id).feature(SysReg.FEAT_GIC).el2().reset(0);
    }

    private GicSysRegs() {}

    static long read(Cpu cpu, int id) {
        if (id == SRE) return SRE_VALUE;
        if (id == SRE_EL2) return SRE_EL2_VALUE;
        if (id == ICH_HCR) return cpu.ichHcrEl2;
        GicCpuInterface gic = cpu.gicCpuInterface();
        if (gic == null) throw new IllegalArgumentException("no GIC CPU interface attached");
        Register r = BY_ID[id];
        long v = gic.read(r);
        if (r == IAR0 || r == IAR1) cpu.breakLoop = true; // the acknowledge changed the interrupt output
        return v;
    }

    static void write(Cpu cpu, int id, long v) {
        if (id == SRE || id == SRE_EL2) return;
        if (id == ICH_HCR) { cpu.ichHcrEl2 = v; return; }
        GicCpuInterface gic = cpu.gicCpuInterface();
        if (gic == null) throw new IllegalArgumentException("no GIC CPU interface attached");
        gic.write(BY_ID[id], v);
        cpu.breakLoop = true; // an EOI, PMR or enable change may change the interrupt output
    }
}
