package org.jvisor.cpu;

/** Data processing with immediates: PC-relative, add/sub, logical, move wide, bitfield, extract. */
final class DataProcessingImmediate {
    static final int MOVN = 1, MOVZ = 2, MOVK = 3;

    static final Encoding[] ENCODINGS = {
            new Encoding("MOVN", "s00100101hhiiiiiiiiiiiiiiiiddddd", MOVN),
            new Encoding("MOVZ", "s10100101hhiiiiiiiiiiiiiiiiddddd", MOVZ),
            new Encoding("MOVK", "s11100101hhiiiiiiiiiiiiiiiiddddd", MOVK),
    };

    private DataProcessingImmediate() {}

    static void execute(Cpu cpu, int op, int insn) {
        switch (op) {
            case MOVN, MOVZ, MOVK -> moveWide(cpu, op, insn);
            default -> throw cpu.undefined();
        }
    }

    private static void moveWide(Cpu cpu, int op, int insn) {
        boolean sf = insn < 0;
        int hw = (insn >>> 21) & 3;
        if (!sf && hw > 1) throw cpu.undefined();
        int shift = hw * 16;
        long imm = (long) ((insn >>> 5) & 0xffff) << shift;
        int d = insn & 31;
        long r = switch (op) {
            case MOVN -> ~imm;
            case MOVZ -> imm;
            default -> (cpu.x[d] & ~(0xffffL << shift)) | imm;
        };
        cpu.setX(d, sf ? r : r & 0xffffffffL);
    }
}
