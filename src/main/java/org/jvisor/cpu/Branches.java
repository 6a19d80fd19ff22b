package org.jvisor.cpu;

import static org.jvisor.cpu.Fields.imm14;
import static org.jvisor.cpu.Fields.imm19;
import static org.jvisor.cpu.Fields.imm26;
import static org.jvisor.cpu.Fields.rn;
import static org.jvisor.cpu.Fields.rt;

/** Branches: immediate, conditional, compare-and-branch, test-and-branch, and to register. */
final class Branches {
    static final int B = 1, BL = 2, B_COND = 3, CBZ = 4, CBNZ = 5, TBZ = 6, TBNZ = 7, BR = 8, BLR = 9, RET = 10;

    static final Encoding[] ENCODINGS = {
            new Encoding("B", "000101iiiiiiiiiiiiiiiiiiiiiiiiii", B),
            new Encoding("BL", "100101iiiiiiiiiiiiiiiiiiiiiiiiii", BL),
            new Encoding("B.cond", "01010100iiiiiiiiiiiiiiiiiii0cccc", B_COND),
            new Encoding("CBZ", "s0110100iiiiiiiiiiiiiiiiiiittttt", CBZ),
            new Encoding("CBNZ", "s0110101iiiiiiiiiiiiiiiiiiittttt", CBNZ),
            new Encoding("TBZ", "b0110110bbbbbiiiiiiiiiiiiiittttt", TBZ),
            new Encoding("TBNZ", "b0110111bbbbbiiiiiiiiiiiiiittttt", TBNZ),
            new Encoding("BR", "1101011000011111000000nnnnn00000", BR),
            new Encoding("BLR", "1101011000111111000000nnnnn00000", BLR),
            new Encoding("RET", "1101011001011111000000nnnnn00000", RET),
    };

    private Branches() {}

    static void execute(Cpu cpu, int op, int insn) {
        long pc = cpu.insnPc;
        switch (op) {
            case B -> cpu.pc = pc + ((long) imm26(insn) << 2);
            case BL -> {
                cpu.x[30] = pc + 4;
                cpu.pc = pc + ((long) imm26(insn) << 2);
            }
            case B_COND -> {
                if (cpu.conditionHolds(insn & 0xf)) cpu.pc = pc + ((long) imm19(insn) << 2);
            }
            case CBZ, CBNZ -> {
                long t = cpu.x[rt(insn)];
                if ((insn & 0x80000000) == 0) t = (int) t;
                if ((t == 0) == (op == CBZ)) cpu.pc = pc + ((long) imm19(insn) << 2);
            }
            case TBZ, TBNZ -> {
                int bit = ((insn >>> 26) & 0x20) | ((insn >>> 19) & 0x1f);
                boolean set = ((cpu.x[rt(insn)] >>> bit) & 1) != 0;
                if (set == (op == TBNZ)) cpu.pc = pc + ((long) imm14(insn) << 2);
            }
            case BR -> cpu.pc = cpu.x[rn(insn)];
            case BLR -> {
                long target = cpu.x[rn(insn)];
                cpu.x[30] = pc + 4;
                cpu.pc = target;
            }
            case RET -> cpu.pc = cpu.x[rn(insn)];
            default -> throw cpu.undefined();
        }
    }
}
