package org.jvisor.cpu;

/**
 * The system instruction space: exception generation (SVC/HVC/SMC/BRK/HLT), ERET, hints, barriers,
 * PSTATE writes, MRS/MSR and the SYS operations (DC, IC, TLBI, AT).
 */
final class SystemInstructions {
    static final int SVC = 1, HVC = 2, SMC = 3, BRK = 4, HLT = 5, HINT = 6, ERET = 7;

    static final Encoding[] ENCODINGS = {
            new Encoding("SVC", "11010100000iiiiiiiiiiiiiiii00001", SVC),
            new Encoding("HVC", "11010100000iiiiiiiiiiiiiiii00010", HVC),
            new Encoding("SMC", "11010100000iiiiiiiiiiiiiiii00011", SMC),
            new Encoding("BRK", "11010100001iiiiiiiiiiiiiiii00000", BRK),
            new Encoding("HLT", "11010100010iiiiiiiiiiiiiiii00000", HLT),
            new Encoding("HINT", "11010101000000110010mmmmooo11111", HINT),
            new Encoding("ERET", "11010110100111110000001111100000", ERET),
    };

    private SystemInstructions() {}

    static void execute(Cpu cpu, int op, int insn) {
        int imm16 = (insn >>> 5) & 0xffff;
        switch (op) {
            case SVC -> throw cpu.supervisorCall(imm16);
            case HVC -> {
                if (cpu.currentEl() == 0 || (cpu.sr.hcrEl2 & SystemRegisters.HCR_HCD) != 0) throw cpu.undefined();
                throw cpu.hypervisorCall(imm16);
            }
            case SMC -> {
                if (cpu.currentEl() == 0) throw cpu.undefined();
                // No EL3: SMC is undefined unless HCR_EL2.TSC traps it to EL2 first.
                if (cpu.currentEl() == 1 && (cpu.sr.hcrEl2 & SystemRegisters.HCR_TSC) != 0)
                    throw cpu.trapToEl2(Cpu.EC_SMC, imm16);
                throw cpu.undefined();
            }
            case BRK -> throw cpu.syncException(cpu.syncTargetEl() == 0 ? 1 : debugTargetEl(cpu), Cpu.EC_BRK, imm16);
            case HLT -> throw cpu.undefined(); // halting debug is not enabled from software
            case HINT -> { /* NOP, YIELD and unallocated hints execute as NOPs */ }
            case ERET -> {
                if (cpu.currentEl() == 0) throw cpu.undefined();
                cpu.exceptionReturn();
            }
            default -> throw cpu.undefined();
        }
    }

    /** The debug exception target: EL2 when MDCR_EL2.TDE or HCR_EL2.TGE routes it there, else EL1. */
    static int debugTargetEl(Cpu cpu) {
        if (cpu.currentEl() == 2) return 2;
        boolean tde = (cpu.sr.mdcrEl2 & (1L << 8)) != 0 || (cpu.sr.hcrEl2 & SystemRegisters.HCR_TGE) != 0;
        return tde ? 2 : 1;
    }
}
