package org.jvisor.cpu;

import static org.jvisor.cpu.SystemRegisters.HCR_TID1;
import static org.jvisor.cpu.SystemRegisters.HCR_TID2;
import static org.jvisor.cpu.SystemRegisters.HCR_TID3;

import java.util.ArrayList;
import java.util.List;

/**
 * Identification registers: the ID profile of a plain ARMv8.0-A Cortex-A57-like core, advertising exactly
 * what is implemented (values compared with QEMU's {@code -cpu cortex-a57} where the features agree), the
 * cache description (CTR, CLIDR, CCSIDR selected by CSSELR, DCZID), and VPIDR_EL2/VMPIDR_EL2 through
 * which a hypervisor shows a guest its identity.
 */
final class IdRegisters {
    static final int MIDR = 1, MPIDR = 2, REVIDR = 3, AIDR = 4, CTR = 5, DCZID = 6, CLIDR = 7, CCSIDR = 8, CSSELR = 9,
            VPIDR = 10, VMPIDR = 11, AA64PFR0 = 12, AA64DFR0 = 13, AA64ISAR0 = 14, AA64MMFR0 = 15, AA64MMFR1 = 16,
            RAZ = 17;

    /** Cortex-A57: 64-byte lines everywhere, CWG/ERG 16 words, PIPT instruction cache (as QEMU reports). */
    static final long CTR_A57 = 0x8444C004L;
    /** The smallest instruction cache line, CTR_EL0.IminLine (log2 of words): what one IC IVAU invalidates. */
    static final int IMIN_LINE_BYTES = 4 << (int) (CTR_A57 & 15);
    /** L1 I+D separate, L2 unified; LoUIS 1, LoC 2, LoUU 1. */
    static final long CLIDR_A57 = 0x0A200023L;
    /** CCSIDR for L1 data (32 KiB), L1 instruction (48 KiB), L2 unified (2 MiB), as QEMU reports. */
    static final long CCSIDR_L1D = 0x701FE00AL, CCSIDR_L1I = 0x201FE012L, CCSIDR_L2 = 0x70FFE07AL;
    /** DC ZVA zeroes 2^4 words: 64 bytes. */
    static final int DCZID_BS = 4, ZVA_BYTES = 4 << DCZID_BS;

    /**
     * ID_AA64PFR0_EL1: EL0, EL1, EL2 AArch64 only (1), EL3 not implemented (0), FP and AdvSIMD implemented
     * without half-precision arithmetic (0: FEAT_FP16 is not), no GIC system registers (0; 1 while a GICv3
     * CPU interface is attached).
     */
    static final long PFR0_VALUE = 0x1L | (0x1L << 4) | (0x1L << 8) | (0x0L << 12) | (0x0L << 16) | (0x0L << 20);
    /** ID_AA64DFR0_EL1: debug v8 (6), PMUv3 (1), 6 breakpoints, 4 watchpoints, 2 context-aware (QEMU's A57 value). */
    static final long DFR0_VALUE = 0x6L | (0x1L << 8) | ((long) (DebugRegisters.BREAKPOINTS - 1) << 12)
            | ((long) (DebugRegisters.WATCHPOINTS - 1) << 20) | (0x1L << 28);

    static final SysReg[] REGISTERS = build();

    private IdRegisters() {}

    private static SysReg r(String name, int op0, int op1, int crn, int crm, int op2, int id) {
        return new SysReg(name, op0, op1, crn, crm, op2, id);
    }

    private static SysReg[] build() {
        List<SysReg> l = new ArrayList<>();
        l.add(r("MIDR_EL1", 3, 0, 0, 0, 0, MIDR).ro());
        l.add(r("MPIDR_EL1", 3, 0, 0, 0, 5, MPIDR).ro());
        l.add(r("REVIDR_EL1", 3, 0, 0, 0, 6, REVIDR).ro().hcr(HCR_TID1));
        l.add(r("CCSIDR_EL1", 3, 1, 0, 0, 0, CCSIDR).ro().hcr(HCR_TID2));
        l.add(r("CLIDR_EL1", 3, 1, 0, 0, 1, CLIDR).ro().hcr(HCR_TID2));
        l.add(r("AIDR_EL1", 3, 1, 0, 0, 7, AIDR).ro().hcr(HCR_TID1));
        l.add(r("CSSELR_EL1", 3, 2, 0, 0, 0, CSSELR).hcr(HCR_TID2).mask(0xF).reset(0));
        l.add(r("CTR_EL0", 3, 3, 0, 0, 1, CTR).ro().el0(SysReg.EL0_UCT).hcr(HCR_TID2));
        l.add(r("DCZID_EL0", 3, 3, 0, 0, 7, DCZID).ro().el0(SysReg.EL0_ALWAYS));
        l.add(r("VPIDR_EL2", 3, 4, 0, 0, 0, VPIDR).el2().mask(0xFFFFFFFFL));
        l.add(r("VMPIDR_EL2", 3, 4, 0, 0, 5, VMPIDR).el2().mask(0xFF41FFFFFFL, 0x80000000L));
        // ID group 3 (op0 3, op1 0, CRn 0, CRm 1..7): all of it exists and traps with TID3; what is not
        // allocated, and the AArch32 ID registers of this AArch64-only core, read as zero.
        String[][] names = {
                {"ID_PFR0_EL1", "ID_PFR1_EL1", "ID_DFR0_EL1", "ID_AFR0_EL1", "ID_MMFR0_EL1", "ID_MMFR1_EL1", "ID_MMFR2_EL1", "ID_MMFR3_EL1"},
                {"ID_ISAR0_EL1", "ID_ISAR1_EL1", "ID_ISAR2_EL1", "ID_ISAR3_EL1", "ID_ISAR4_EL1", "ID_ISAR5_EL1", "ID_MMFR4_EL1", "ID_ISAR6_EL1"},
                {"MVFR0_EL1", "MVFR1_EL1", "MVFR2_EL1", null, "ID_PFR2_EL1", "ID_DFR1_EL1", "ID_MMFR5_EL1", null},
                {"ID_AA64PFR0_EL1", "ID_AA64PFR1_EL1", null, null, "ID_AA64ZFR0_EL1", "ID_AA64SMFR0_EL1", null, null},
                {"ID_AA64DFR0_EL1", "ID_AA64DFR1_EL1", null, null, "ID_AA64AFR0_EL1", "ID_AA64AFR1_EL1", null, null},
                {"ID_AA64ISAR0_EL1", "ID_AA64ISAR1_EL1", "ID_AA64ISAR2_EL1", null, null, null, null, null},
                {"ID_AA64MMFR0_EL1", "ID_AA64MMFR1_EL1", "ID_AA64MMFR2_EL1", null, null, null, null, null},
        };
        for (int crm = 1; crm <= 7; crm++) {
            for (int op2 = 0; op2 < 8; op2++) {
                String name = names[crm - 1][op2];
                int id = RAZ;
                if (crm == 4 && op2 == 0) id = AA64PFR0;
                if (crm == 5 && op2 == 0) id = AA64DFR0;
                if (crm == 6 && op2 == 0) id = AA64ISAR0;
                if (crm == 7 && op2 == 0) id = AA64MMFR0;
                if (crm == 7 && op2 == 1) id = AA64MMFR1;
                if (name == null) name = "S3_0_C0_C" + crm + "_" + op2;
                l.add(r(name, 3, 0, 0, crm, op2, id).ro().hcr(HCR_TID3));
            }
        }
        return l.toArray(new SysReg[0]);
    }

    /** VPIDR_EL2 and VMPIDR_EL2 reset to the processor's own MIDR and MPIDR (set those before reset). */
    static void reset(Cpu cpu) {
        cpu.sr.vpidrEl2 = cpu.sr.midr;
        cpu.sr.vmpidrEl2 = cpu.sr.mpidr;
    }

    static long read(Cpu cpu, int id) {
        SystemRegisters s = cpu.sr;
        boolean guest = cpu.currentEl() < 2;
        return switch (id) {
            case MIDR -> guest ? s.vpidrEl2 : s.midr;
            case MPIDR -> guest ? s.vmpidrEl2 : s.mpidr;
            case REVIDR -> s.revidr;
            case AIDR -> 0;
            case CTR -> CTR_A57;
            case DCZID -> DCZID_BS | (zvaProhibited(cpu) ? 1 << 4 : 0);
            case CLIDR -> CLIDR_A57;
            case CCSIDR -> switch ((int) s.csselrEl1) {
                case 0 -> CCSIDR_L1D;
                case 1 -> CCSIDR_L1I;
                case 2 -> CCSIDR_L2;
                default -> 0; // no such cache: UNKNOWN
            };
            case CSSELR -> s.csselrEl1;
            case VPIDR -> s.vpidrEl2;
            case VMPIDR -> s.vmpidrEl2;
            case AA64PFR0 -> PFR0_VALUE | (cpu.gicCpuInterface() != null ? 1L << 24 : 0);
            case AA64DFR0 -> DFR0_VALUE;
            case AA64ISAR0 -> cpu.features.idAa64Isar0();
            case AA64MMFR0 -> cpu.features.idAa64Mmfr0();
            case AA64MMFR1 -> cpu.features.idAa64Mmfr1();
            case RAZ -> 0;
            default -> throw new IllegalStateException("register id " + id);
        };
    }

    static void write(Cpu cpu, int id, long v) {
        SystemRegisters s = cpu.sr;
        switch (id) {
            case CSSELR -> s.csselrEl1 = v;
            case VPIDR -> s.vpidrEl2 = v;
            case VMPIDR -> s.vmpidrEl2 = v;
            default -> throw new IllegalStateException("register id " + id);
        }
    }

    /** DCZID_EL0.DZP: DC ZVA would be trapped or undefined at the current EL. */
    static boolean zvaProhibited(Cpu cpu) {
        int el = cpu.currentEl();
        if (el == 0 && (cpu.sr.sctlr[1] & SystemRegisters.SCTLR_DZE) == 0) return true;
        return el < 2 && (cpu.sr.hcrEl2 & SystemRegisters.HCR_TDZ) != 0;
    }
}
