package org.jvisor.cpu;

import static org.jvisor.cpu.GicCpuInterface.Register.*;
import static org.jvisor.cpu.GicVirtualInterface.HCR_TALL0;
import static org.jvisor.cpu.GicVirtualInterface.HCR_TALL1;
import static org.jvisor.cpu.GicVirtualInterface.HCR_TC;
import static org.jvisor.cpu.GicVirtualInterface.HCR_TDIR;
import static org.jvisor.cpu.SystemRegisters.HCR_FMO;
import static org.jvisor.cpu.SystemRegisters.HCR_IMO;

import org.jvisor.cpu.GicCpuInterface.Register;

/**
 * The GICv3 CPU interface system registers: the ICC_*_EL1 registers, forwarded to the {@link GicCpuInterface}
 * the processor has attached, and the virtualization registers ICH_*_EL2 of its {@link GicVirtualInterface};
 * UNDEFINED without an attached interface.
 *
 * <p>Who answers an ICC access at EL1 follows the ICC registers' pseudocode (IHI 0069): with the guest
 * owning EL2 and HCR_EL2.TGE clear, a Group 0 register (IAR0, EOIR0, HPPIR0, BPR0, AP0R0, IGRPEN0) is its
 * ICV_ twin when HCR_EL2.FMO is set, a Group 1 register when IMO is set, and the common ones (CTLR, PMR,
 * RPR, DIR) when either is. The SGI generation registers trap to EL2 under IMO or FMO instead. ICH_HCR_EL2's
 * TALL0, TALL1, TC and TDIR trap the matching EL1 accesses, ICC or ICV, to EL2. When the host owns EL2 the
 * GIC model it attached is what EL1 reaches (it stands in for the virtual interface).
 *
 * <p>With 5 priority and preemption bits (QEMU's cortex-a57) there is one active priorities register per
 * group: ICC/ICV_AP0R1-3, AP1R1-3 and ICH_AP0R1-3, AP1R1-3 are UNDEFINED, as are ICH_LR4-15 beyond the
 * four list registers.
 */
final class GicSysRegs {
    private static final Register[] BY_ID = Register.values();
    /** ICC_SRE_EL1: SRE, DFB, DIB all RAO/WI (the system register interface is the only one). Ids below are the Registers'. */
    static final int SRE = 25;
    static final long SRE_VALUE = 7;
    /**
     * ICC_SRE_EL2: SRE, DFB, DIB RAO/WI, and Enable RAO/WI (EL1 may use ICC_SRE_EL1), as on a GIC with only
     * the system register interface; Linux's EL2 set-up reads SRE back to decide whether the GIC is a v3.
     */
    static final int SRE_EL2 = SRE + 1;
    static final long SRE_EL2_VALUE = 0xF;
    static final int ICH_HCR = SRE + 2, ICH_VTR = SRE + 3, ICH_MISR = SRE + 4, ICH_EISR = SRE + 5, ICH_ELRSR = SRE + 6,
            ICH_VMCR = SRE + 7, ICH_AP0R0 = SRE + 8, ICH_AP1R0 = SRE + 9, ICH_LR0 = SRE + 10;

    /** The HCR_EL2 bits under which an ICC register is its ICV_ twin at EL1 (0: never). */
    private static final long[] VIRTUAL_WHEN = new long[BY_ID.length];

    private static SysReg r(String name, int crn, int crm, int op2, Register reg, long ichTraps) {
        long route = switch (reg) {
            case IAR0, EOIR0, HPPIR0, BPR0, AP0R0, IGRPEN0 -> HCR_FMO;
            case IAR1, EOIR1, HPPIR1, BPR1, AP1R0, IGRPEN1 -> HCR_IMO;
            case CTLR, PMR, RPR, DIR -> HCR_IMO | HCR_FMO;
            default -> 0;
        };
        VIRTUAL_WHEN[reg.ordinal()] = route;
        return new SysReg(name, 3, 0, crn, crm, op2, reg.ordinal()).feature(SysReg.FEAT_GIC).ich(ichTraps);
    }

    static final SysReg[] REGISTERS;

    static {
        if (BY_ID.length != SRE) throw new IllegalStateException("the ids after the ICC registers' start at " + BY_ID.length);
        java.util.List<SysReg> regs = new java.util.ArrayList<>(java.util.List.of(
                r("ICC_PMR_EL1", 4, 6, 0, PMR, HCR_TC),
                r("ICC_IAR0_EL1", 12, 8, 0, IAR0, HCR_TALL0).ro(),
                r("ICC_EOIR0_EL1", 12, 8, 1, EOIR0, HCR_TALL0).wo(),
                r("ICC_HPPIR0_EL1", 12, 8, 2, HPPIR0, HCR_TALL0).ro(),
                r("ICC_BPR0_EL1", 12, 8, 3, BPR0, HCR_TALL0),
                r("ICC_AP0R0_EL1", 12, 8, 4, AP0R0, HCR_TALL0),
                r("ICC_AP1R0_EL1", 12, 9, 0, AP1R0, HCR_TALL1),
                r("ICC_DIR_EL1", 12, 11, 1, DIR, HCR_TC | HCR_TDIR).wo(),
                r("ICC_RPR_EL1", 12, 11, 3, RPR, HCR_TC).ro(),
                r("ICC_SGI1R_EL1", 12, 11, 5, SGI1R, HCR_TC).wo().hcr(HCR_IMO | HCR_FMO),
                r("ICC_ASGI1R_EL1", 12, 11, 6, ASGI1R, HCR_TC).wo().hcr(HCR_IMO | HCR_FMO),
                r("ICC_SGI0R_EL1", 12, 11, 7, SGI0R, HCR_TC).wo().hcr(HCR_IMO | HCR_FMO),
                r("ICC_IAR1_EL1", 12, 12, 0, IAR1, HCR_TALL1).ro(),
                r("ICC_EOIR1_EL1", 12, 12, 1, EOIR1, HCR_TALL1).wo(),
                r("ICC_HPPIR1_EL1", 12, 12, 2, HPPIR1, HCR_TALL1).ro(),
                r("ICC_BPR1_EL1", 12, 12, 3, BPR1, HCR_TALL1),
                r("ICC_CTLR_EL1", 12, 12, 4, CTLR, HCR_TC),
                new SysReg("ICC_SRE_EL1", 3, 0, 12, 12, 5, SRE).feature(SysReg.FEAT_GIC),
                r("ICC_IGRPEN0_EL1", 12, 12, 6, IGRPEN0, HCR_TALL0),
                r("ICC_IGRPEN1_EL1", 12, 12, 7, IGRPEN1, HCR_TALL1),
                el2("ICC_SRE_EL2", 12, 9, 5, SRE_EL2),
                el2("ICH_AP0R0_EL2", 12, 8, 0, ICH_AP0R0).mask(0xFFFF_FFFFL),
                el2("ICH_AP1R0_EL2", 12, 9, 0, ICH_AP1R0).mask(0xFFFF_FFFFL),
                el2("ICH_HCR_EL2", 12, 11, 0, ICH_HCR).mask(GicVirtualInterface.HCR_MASK),
                el2("ICH_VTR_EL2", 12, 11, 1, ICH_VTR).ro(),
                el2("ICH_MISR_EL2", 12, 11, 2, ICH_MISR).ro(),
                el2("ICH_EISR_EL2", 12, 11, 3, ICH_EISR).ro(),
                el2("ICH_ELRSR_EL2", 12, 11, 5, ICH_ELRSR).ro(),
                el2("ICH_VMCR_EL2", 12, 11, 7, ICH_VMCR).mask(GicVirtualInterface.VMCR_MASK)));
        for (int n = 0; n < GicVirtualInterface.LIST_REGISTERS; n++)
            regs.add(el2("ICH_LR" + n + "_EL2", 12, 12 + (n >>> 3), n & 7, ICH_LR0 + n).mask(GicVirtualInterface.LR_MASK));
        REGISTERS = regs.toArray(new SysReg[0]);
    }

    private static SysReg el2(String name, int crn, int crm, int op2, int id) {
        return new SysReg(name, 3, 4, crn, crm, op2, id).feature(SysReg.FEAT_GIC).el2();
    }

    private GicSysRegs() {}

    /** Whether an access to ICC register {@code id} from the current EL is an ICV_ access. */
    private static boolean virtual(Cpu cpu, int id) {
        long hcr = cpu.sr.hcrEl2;
        return (hcr & VIRTUAL_WHEN[id]) != 0 && cpu.currentEl() == 1 && !cpu.hostOwnsEl2
                && (hcr & SystemRegisters.HCR_TGE) == 0;
    }

    static long read(Cpu cpu, int id) {
        if (id >= SRE) return readOwn(cpu, id);
        Register r = BY_ID[id];
        if (virtual(cpu, id)) return cpu.gicVirtualInterface().read(r);
        GicCpuInterface gic = cpu.gicCpuInterface();
        if (gic == null) throw new IllegalArgumentException("no GIC CPU interface attached");
        long v = gic.read(r);
        if (r == IAR0 || r == IAR1) cpu.breakLoop = true; // the acknowledge changed the interrupt output
        return v;
    }

    private static long readOwn(Cpu cpu, int id) {
        if (id == SRE) return SRE_VALUE;
        if (id == SRE_EL2) return SRE_EL2_VALUE;
        GicVirtualInterface v = cpu.gicVirtualInterface();
        if (v == null) throw new IllegalArgumentException("no GIC CPU interface attached");
        return switch (id) {
            case ICH_HCR -> v.hcr;
            case ICH_VTR -> GicVirtualInterface.VTR;
            case ICH_MISR -> v.misr();
            case ICH_EISR -> v.eisr();
            case ICH_ELRSR -> v.elrsr();
            case ICH_VMCR -> v.vmcr;
            case ICH_AP0R0 -> v.apr(0);
            case ICH_AP1R0 -> v.apr(1);
            default -> v.lr[id - ICH_LR0];
        };
    }

    static void write(Cpu cpu, int id, long value) {
        if (id == SRE || id == SRE_EL2) return;
        if (id > SRE_EL2) {
            writeIch(cpu, id, value);
            return;
        }
        Register r = BY_ID[id];
        if (virtual(cpu, id)) {
            cpu.gicVirtualInterface().write(r, value);
            return;
        }
        GicCpuInterface gic = cpu.gicCpuInterface();
        if (gic == null) throw new IllegalArgumentException("no GIC CPU interface attached");
        gic.write(r, value);
        cpu.breakLoop = true; // an EOI, PMR or enable change may change the interrupt output
    }

    private static void writeIch(Cpu cpu, int id, long value) {
        GicVirtualInterface v = cpu.gicVirtualInterface();
        if (v == null) throw new IllegalArgumentException("no GIC CPU interface attached");
        switch (id) {
            case ICH_HCR -> v.writeHcr(value);
            case ICH_VMCR -> v.writeVmcr(value);
            case ICH_AP0R0 -> v.writeApr(0, value);
            case ICH_AP1R0 -> v.writeApr(1, value);
            default -> v.writeLr(id - ICH_LR0, value);
        }
    }
}
