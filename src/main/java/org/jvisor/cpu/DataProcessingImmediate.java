package org.jvisor.cpu;

import static org.jvisor.cpu.Fields.imm12;
import static org.jvisor.cpu.Fields.imm16;
import static org.jvisor.cpu.Fields.rd;
import static org.jvisor.cpu.Fields.rm;
import static org.jvisor.cpu.Fields.rn;

/** Data processing with immediates: PC-relative, add/sub, logical, move wide, bitfield, extract. */
final class DataProcessingImmediate {
    static final int MOVN = 1, MOVZ = 2, MOVK = 3, ADR = 4, ADRP = 5, ADD = 6, ADDS = 7, SUB = 8, SUBS = 9,
            AND = 10, ORR = 11, EOR = 12, ANDS = 13, SBFM = 14, BFM = 15, UBFM = 16, EXTR = 17;

    static final Encoding[] ENCODINGS = {
            new Encoding("ADR", "0ll10000hhhhhhhhhhhhhhhhhhhddddd", ADR),
            new Encoding("ADRP", "1ll10000hhhhhhhhhhhhhhhhhhhddddd", ADRP),
            new Encoding("ADD (immediate)", "s00100010hiiiiiiiiiiiinnnnnddddd", ADD),
            new Encoding("ADDS (immediate)", "s01100010hiiiiiiiiiiiinnnnnddddd", ADDS),
            new Encoding("SUB (immediate)", "s10100010hiiiiiiiiiiiinnnnnddddd", SUB),
            new Encoding("SUBS (immediate)", "s11100010hiiiiiiiiiiiinnnnnddddd", SUBS),
            new Encoding("AND (immediate)", "s00100100Nrrrrrrjjjjjjnnnnnddddd", AND),
            new Encoding("ORR (immediate)", "s01100100Nrrrrrrjjjjjjnnnnnddddd", ORR),
            new Encoding("EOR (immediate)", "s10100100Nrrrrrrjjjjjjnnnnnddddd", EOR),
            new Encoding("ANDS (immediate)", "s11100100Nrrrrrrjjjjjjnnnnnddddd", ANDS),
            new Encoding("MOVN", "s00100101hhiiiiiiiiiiiiiiiiddddd", MOVN),
            new Encoding("MOVZ", "s10100101hhiiiiiiiiiiiiiiiiddddd", MOVZ),
            new Encoding("MOVK", "s11100101hhiiiiiiiiiiiiiiiiddddd", MOVK),
            new Encoding("SBFM", "s00100110Nrrrrrrjjjjjjnnnnnddddd", SBFM),
            new Encoding("BFM", "s01100110Nrrrrrrjjjjjjnnnnnddddd", BFM),
            new Encoding("UBFM", "s10100110Nrrrrrrjjjjjjnnnnnddddd", UBFM),
            new Encoding("EXTR", "s00100111N0mmmmmjjjjjjnnnnnddddd", EXTR),
    };

    /** DecodeBitMasks(N:immr:imms) of every logical immediate, indexed by insn bits [22:10]; 0 = reserved. */
    static final long[] LOGICAL_IMM = new long[1 << 13];

    static {
        for (int k = 0; k < LOGICAL_IMM.length; k++)
            LOGICAL_IMM[k] = Alu.decodeBitMasks(k >>> 12, k & 0x3f, (k >>> 6) & 0x3f);
    }

    private DataProcessingImmediate() {}

    static void execute(Cpu cpu, int op, int insn) {
        int d = rd(insn);
        switch (op) {
            case ADD -> {
                long r = cpu.xOrSp(rn(insn)) + addSubImm(insn);
                cpu.setXOrSp(d, insn < 0 ? r : r & 0xffffffffL);
            }
            case SUB -> {
                long r = cpu.xOrSp(rn(insn)) - addSubImm(insn);
                cpu.setXOrSp(d, insn < 0 ? r : r & 0xffffffffL);
            }
            case ADDS, SUBS -> {
                long x = cpu.xOrSp(rn(insn)), imm = addSubImm(insn);
                int carry = 0;
                if (op == SUBS) {
                    imm = ~imm;
                    carry = 1;
                }
                cpu.setX(d, insn < 0 ? Alu.addWithCarry64(cpu, x, imm, carry)
                        : Alu.addWithCarry32(cpu, (int) x, (int) imm, carry));
            }
            case AND, ORR, EOR, ANDS -> logicalImmediate(cpu, op, insn, d);
            case MOVN, MOVZ, MOVK -> moveWide(cpu, op, insn);
            case SBFM, BFM, UBFM -> bitfield(cpu, op, insn, d);
            case EXTR -> extract(cpu, insn, d);
            case ADR -> cpu.setX(d, cpu.insnPc + adrImm(insn));
            case ADRP -> cpu.setX(d, (cpu.insnPc & ~0xfffL) + (adrImm(insn) << 12));
            default -> throw cpu.undefined();
        }
    }

    /** imm12, shifted left by 12 when sh is set. */
    private static long addSubImm(int insn) {
        return (long) imm12(insn) << (((insn >>> 22) & 1) * 12);
    }

    /** The signed 21-bit immhi:immlo of ADR/ADRP. */
    static long adrImm(int insn) {
        return ((long) ((insn << 8) >> 13) << 2) | ((insn >>> 29) & 3);
    }

    private static void logicalImmediate(Cpu cpu, int op, int insn, int d) {
        boolean sf = insn < 0;
        if (!sf && (insn & (1 << 22)) != 0) throw cpu.undefined();
        long imm = LOGICAL_IMM[(insn >>> 10) & 0x1fff];
        if (imm == 0) throw cpu.undefined();
        long x = cpu.x[rn(insn)];
        long r = switch (op) {
            case AND, ANDS -> x & imm;
            case ORR -> x | imm;
            default -> x ^ imm;
        };
        if (!sf) r &= 0xffffffffL;
        if (op == ANDS) {
            if (sf) Alu.setLogicFlags64(cpu, r);
            else Alu.setLogicFlags32(cpu, (int) r);
            cpu.setX(d, r);
        } else {
            cpu.setXOrSp(d, r);
        }
    }

    private static void moveWide(Cpu cpu, int op, int insn) {
        boolean sf = insn < 0;
        int hw = (insn >>> 21) & 3;
        if (!sf && hw > 1) throw cpu.undefined();
        int shift = hw * 16;
        long imm = (long) imm16(insn) << shift;
        int d = rd(insn);
        long r = switch (op) {
            case MOVN -> ~imm;
            case MOVZ -> imm;
            default -> (cpu.x[d] & ~(0xffffL << shift)) | imm;
        };
        cpu.setX(d, sf ? r : r & 0xffffffffL);
    }

    /**
     * SBFM/BFM/UBFM without building the masks: when imms >= immr the field src[imms:immr] goes to the
     * bottom (the *FX/BFXIL aliases), otherwise src[imms:0] goes to bit datasize-immr (the *FIZ/BFI/LSL
     * aliases). SBFM replicates the field's top bit above it; BFM keeps the destination's other bits.
     */
    static void bitfield(Cpu cpu, int op, int insn, int d) {
        boolean sf = insn < 0;
        int r = (insn >>> 16) & 0x3f, s = (insn >>> 10) & 0x3f;
        if (sf) {
            if ((insn & (1 << 22)) == 0) throw cpu.undefined();
        } else if ((insn & ((1 << 22) | (1 << 21) | (1 << 15))) != 0) {
            throw cpu.undefined();
        }
        int datasize = sf ? 64 : 32;
        long src = cpu.x[rn(insn)];
        long res;
        if (s >= r) {
            int width = s - r + 1;
            long field = src >>> r;
            if (op == SBFM) field = (field << (64 - width)) >> (64 - width);
            else field &= -1L >>> (64 - width);
            res = op == BFM ? (cpu.x[d] & ~(-1L >>> (64 - width))) | field : field;
        } else {
            int pos = datasize - r;
            long ones = -1L >>> (63 - s);
            long field = op == SBFM ? (src << (63 - s)) >> (63 - s) : src & ones;
            res = field << pos;
            if (op == BFM) res = (cpu.x[d] & ~(ones << pos)) | res;
        }
        cpu.setX(d, sf ? res : res & 0xffffffffL);
    }

    static void extract(Cpu cpu, int insn, int d) {
        boolean sf = insn < 0;
        int lsb = (insn >>> 10) & 0x3f;
        if (sf != ((insn & (1 << 22)) != 0) || (!sf && lsb >= 32)) throw cpu.undefined();
        long n = cpu.x[rn(insn)], m = cpu.x[rm(insn)];
        if (sf) {
            // (n << 1) << (63 - lsb) is n << (64 - lsb), and 0 when lsb is 0 (a single Java shift by 64 is not).
            cpu.setX(d, (m >>> lsb) | ((n << 1) << (63 - lsb)));
        } else {
            cpu.setX(d, (((n << 32) | (m & 0xffffffffL)) >>> lsb) & 0xffffffffL);
        }
    }
}
