package org.jvisor.difftest;

/**
 * One word of a generated unit. Most are fixed; some carry an operand that only exists once the
 * sequence is laid out (a branch offset, the address of a later unit, an address in the data area), so
 * the minimiser can drop units and the layout recomputes them.
 */
record Insn(int word, Fix fix, int arg) {
    enum Fix {
        /** The word as it is. */
        NONE,
        /** Branch offset fields (imm26 at [25:0], imm19 at [23:5], imm14 at [18:5]) to the start of unit {@code arg}. */
        BRANCH26, BRANCH19, BRANCH14,
        /** MOVZ (bits [15:0]) / MOVK (bits [31:16]) of the address of unit {@code arg}. */
        CODE_LO, CODE_HI,
        /** MOVZ / MOVK of the address {@code arg} bytes into the sequence's scratch area. */
        DATA_LO, DATA_HI
    }

    static Insn fixed(int word) { return new Insn(word, Fix.NONE, 0); }

    /** The word with its operand filled in, given where it is and where its targets are. */
    int resolve(long pc, long[] unitAddr, long scratch) {
        return switch (fix) {
            case NONE -> word;
            case BRANCH26 -> (word & ~0x03ffffff) | (int) (((unitAddr[arg] - pc) >> 2) & 0x03ffffff);
            case BRANCH19 -> (word & ~(0x7ffff << 5)) | (int) (((unitAddr[arg] - pc) >> 2) & 0x7ffff) << 5;
            case BRANCH14 -> (word & ~(0x3fff << 5)) | (int) (((unitAddr[arg] - pc) >> 2) & 0x3fff) << 5;
            case CODE_LO -> imm16(unitAddr[arg]);
            case CODE_HI -> imm16(unitAddr[arg] >>> 16);
            case DATA_LO -> imm16(scratch + arg);
            case DATA_HI -> imm16((scratch + arg) >>> 16);
        };
    }

    private int imm16(long v) {
        return (word & ~(0xffff << 5)) | ((int) v & 0xffff) << 5;
    }

    /** The unit this word refers to, or -1. */
    int targetUnit() {
        return switch (fix) {
            case BRANCH26, BRANCH19, BRANCH14, CODE_LO, CODE_HI -> arg;
            default -> -1;
        };
    }

    Insn retarget(int unit) { return new Insn(word, fix, unit); }
}
