package org.jvisor.cpu.simd;

import static org.jvisor.cpu.Fields.q;
import static org.jvisor.cpu.Fields.rd;
import static org.jvisor.cpu.Fields.rm;
import static org.jvisor.cpu.Fields.rn;
import static org.jvisor.cpu.simd.SimdLanes.get;
import static org.jvisor.cpu.simd.SimdLanes.lane;
import static org.jvisor.cpu.simd.SimdLanes.mask;
import static org.jvisor.cpu.simd.SimdLanes.place;
import static org.jvisor.cpu.simd.SimdLanes.sext;
import static org.jvisor.cpu.simd.SimdLanes.sget;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Encoding;

/**
 * Advanced SIMD integer arithmetic, shifts, compares, reductions, and their scalar forms. The table
 * holds one line per instruction; the op names the encoding class (three same, shift by immediate...)
 * and the handler takes the operation from the U bit and opcode field, as the Arm ARM's decode does.
 */
public final class SimdInteger {
    static final int SAME = 1, SAME_S = 2, DIFF = 3, DIFF_S = 4, MISC = 5, MISC_S = 6, SHIFT = 7, SHIFT_S = 8,
            ACROSS = 9, ELEM = 10, ELEM_S = 11, PAIR_S = 12;

    public static final Encoding[] ENCODINGS = flatten(
            same("SHADD", 0, "00000"), same("SQADD", 0, "00001"), same("SRHADD", 0, "00010"),
            same("SHSUB", 0, "00100"), same("SQSUB", 0, "00101"), same("CMGT", 0, "00110"),
            same("CMGE", 0, "00111"), same("SSHL", 0, "01000"), same("SQSHL", 0, "01001"),
            same("SRSHL", 0, "01010"), same("SQRSHL", 0, "01011"), same("SMAX", 0, "01100"),
            same("SMIN", 0, "01101"), same("SABD", 0, "01110"), same("SABA", 0, "01111"),
            same("ADD", 0, "10000"), same("CMTST", 0, "10001"), same("MLA", 0, "10010"),
            same("MUL", 0, "10011"), same("SMAXP", 0, "10100"), same("SMINP", 0, "10101"),
            same("SQDMULH", 0, "10110"), same("ADDP", 0, "10111"),
            same("UHADD", 1, "00000"), same("UQADD", 1, "00001"), same("URHADD", 1, "00010"),
            same("UHSUB", 1, "00100"), same("UQSUB", 1, "00101"), same("CMHI", 1, "00110"),
            same("CMHS", 1, "00111"), same("USHL", 1, "01000"), same("UQSHL", 1, "01001"),
            same("URSHL", 1, "01010"), same("UQRSHL", 1, "01011"), same("UMAX", 1, "01100"),
            same("UMIN", 1, "01101"), same("UABD", 1, "01110"), same("UABA", 1, "01111"),
            same("SUB", 1, "10000"), same("CMEQ", 1, "10001"), same("MLS", 1, "10010"),
            same("PMUL", 1, "10011"), same("UMAXP", 1, "10100"), same("UMINP", 1, "10101"),
            same("SQRDMULH", 1, "10110"),

            sameS("SQADD (scalar)", 0, "00001"), sameS("SQSUB (scalar)", 0, "00101"), sameS("CMGT (scalar)", 0, "00110"),
            sameS("CMGE (scalar)", 0, "00111"), sameS("SSHL (scalar)", 0, "01000"), sameS("SQSHL (scalar)", 0, "01001"),
            sameS("SRSHL (scalar)", 0, "01010"), sameS("SQRSHL (scalar)", 0, "01011"), sameS("ADD (scalar)", 0, "10000"),
            sameS("CMTST (scalar)", 0, "10001"), sameS("SQDMULH (scalar)", 0, "10110"),
            sameS("UQADD (scalar)", 1, "00001"), sameS("UQSUB (scalar)", 1, "00101"), sameS("CMHI (scalar)", 1, "00110"),
            sameS("CMHS (scalar)", 1, "00111"), sameS("USHL (scalar)", 1, "01000"), sameS("UQSHL (scalar)", 1, "01001"),
            sameS("URSHL (scalar)", 1, "01010"), sameS("UQRSHL (scalar)", 1, "01011"), sameS("SUB (scalar)", 1, "10000"),
            sameS("CMEQ (scalar)", 1, "10001"), sameS("SQRDMULH (scalar)", 1, "10110"),

            diff("SADDL", 0, "0000"), diff("SADDW", 0, "0001"), diff("SSUBL", 0, "0010"), diff("SSUBW", 0, "0011"),
            diff("ADDHN", 0, "0100"), diff("SABAL", 0, "0101"), diff("SUBHN", 0, "0110"), diff("SABDL", 0, "0111"),
            diff("SMLAL", 0, "1000"), diff("SQDMLAL", 0, "1001"), diff("SMLSL", 0, "1010"), diff("SQDMLSL", 0, "1011"),
            diff("SMULL", 0, "1100"), diff("SQDMULL", 0, "1101"),
            // PMULL with 8-bit elements only: size=11 (1Q) is the crypto extension's (Crypto.java)
            new Encoding("PMULL", "0Q001110001mmmmm111000nnnnnddddd", DIFF),
            diff("UADDL", 1, "0000"), diff("UADDW", 1, "0001"), diff("USUBL", 1, "0010"), diff("USUBW", 1, "0011"),
            diff("RADDHN", 1, "0100"), diff("UABAL", 1, "0101"), diff("RSUBHN", 1, "0110"), diff("UABDL", 1, "0111"),
            diff("UMLAL", 1, "1000"), diff("UMLSL", 1, "1010"), diff("UMULL", 1, "1100"),
            diffS("SQDMLAL (scalar)", "1001"), diffS("SQDMLSL (scalar)", "1011"), diffS("SQDMULL (scalar)", "1101"),

            misc("SADDLP", 0, "00010"), misc("SUQADD", 0, "00011"), misc("SADALP", 0, "00110"),
            misc("SQABS", 0, "00111"), misc("CMGT (zero)", 0, "01000"), misc("CMEQ (zero)", 0, "01001"),
            misc("CMLT (zero)", 0, "01010"), misc("ABS", 0, "01011"), misc("XTN", 0, "10010"), misc("SQXTN", 0, "10100"),
            misc("UADDLP", 1, "00010"), misc("USQADD", 1, "00011"), misc("UADALP", 1, "00110"),
            misc("SQNEG", 1, "00111"), misc("CMGE (zero)", 1, "01000"), misc("CMLE (zero)", 1, "01001"),
            misc("NEG", 1, "01011"), misc("SQXTUN", 1, "10010"), misc("SHLL", 1, "10011"), misc("UQXTN", 1, "10100"),
            miscS("SUQADD (scalar)", 0, "00011"), miscS("SQABS (scalar)", 0, "00111"), miscS("CMGT (zero, scalar)", 0, "01000"),
            miscS("CMEQ (zero, scalar)", 0, "01001"), miscS("CMLT (zero, scalar)", 0, "01010"), miscS("ABS (scalar)", 0, "01011"),
            miscS("SQXTN (scalar)", 0, "10100"),
            miscS("USQADD (scalar)", 1, "00011"), miscS("SQNEG (scalar)", 1, "00111"), miscS("CMGE (zero, scalar)", 1, "01000"),
            miscS("CMLE (zero, scalar)", 1, "01001"), miscS("NEG (scalar)", 1, "01011"), miscS("SQXTUN (scalar)", 1, "10010"),
            miscS("UQXTN (scalar)", 1, "10100"),

            shift("SSHR", 0, "00000"), shift("SSRA", 0, "00010"), shift("SRSHR", 0, "00100"), shift("SRSRA", 0, "00110"),
            shift("SHL", 0, "01010"), shift("SQSHL (immediate)", 0, "01110"), shift("SHRN", 0, "10000"),
            shift("RSHRN", 0, "10001"), shift("SQSHRN", 0, "10010"), shift("SQRSHRN", 0, "10011"), shift("SSHLL", 0, "10100"),
            shift("USHR", 1, "00000"), shift("USRA", 1, "00010"), shift("URSHR", 1, "00100"), shift("URSRA", 1, "00110"),
            shift("SRI", 1, "01000"), shift("SLI", 1, "01010"), shift("SQSHLU", 1, "01100"),
            shift("UQSHL (immediate)", 1, "01110"), shift("SQSHRUN", 1, "10000"), shift("SQRSHRUN", 1, "10001"),
            shift("UQSHRN", 1, "10010"), shift("UQRSHRN", 1, "10011"), shift("USHLL", 1, "10100"),
            shiftS("SSHR (scalar)", 0, "00000"), shiftS("SSRA (scalar)", 0, "00010"), shiftS("SRSHR (scalar)", 0, "00100"),
            shiftS("SRSRA (scalar)", 0, "00110"), shiftS("SHL (scalar)", 0, "01010"),
            shiftS("SQSHL (immediate, scalar)", 0, "01110"), shiftS("SQSHRN (scalar)", 0, "10010"),
            shiftS("SQRSHRN (scalar)", 0, "10011"),
            shiftS("USHR (scalar)", 1, "00000"), shiftS("USRA (scalar)", 1, "00010"), shiftS("URSHR (scalar)", 1, "00100"),
            shiftS("URSRA (scalar)", 1, "00110"), shiftS("SRI (scalar)", 1, "01000"), shiftS("SLI (scalar)", 1, "01010"),
            shiftS("SQSHLU (scalar)", 1, "01100"), shiftS("UQSHL (immediate, scalar)", 1, "01110"),
            shiftS("SQSHRUN (scalar)", 1, "10000"), shiftS("SQRSHRUN (scalar)", 1, "10001"),
            shiftS("UQSHRN (scalar)", 1, "10010"), shiftS("UQRSHRN (scalar)", 1, "10011"),

            across("SADDLV", 0, "00011"), across("SMAXV", 0, "01010"), across("SMINV", 0, "11010"),
            across("ADDV", 0, "11011"), across("UADDLV", 1, "00011"), across("UMAXV", 1, "01010"),
            across("UMINV", 1, "11010"),
            new Encoding("ADDP (scalar)", "01011110ss110001101110nnnnnddddd", PAIR_S),

            elem("MLA (by element)", 1, "0000"), elem("SMLAL (by element)", 0, "0010"),
            elem("SQDMLAL (by element)", 0, "0011"), elem("MLS (by element)", 1, "0100"),
            elem("SMLSL (by element)", 0, "0110"), elem("SQDMLSL (by element)", 0, "0111"),
            elem("MUL (by element)", 0, "1000"), elem("SMULL (by element)", 0, "1010"),
            elem("SQDMULL (by element)", 0, "1011"), elem("SQDMULH (by element)", 0, "1100"),
            elem("SQRDMULH (by element)", 0, "1101"), elem("UMLAL (by element)", 1, "0010"),
            elem("UMLSL (by element)", 1, "0110"), elem("UMULL (by element)", 1, "1010"),
            elemS("SQDMLAL (by element, scalar)", "0011"), elemS("SQDMLSL (by element, scalar)", "0111"),
            elemS("SQDMULL (by element, scalar)", "1011"), elemS("SQDMULH (by element, scalar)", "1100"),
            elemS("SQRDMULH (by element, scalar)", "1101"));

    /** The table's lines: single encodings and the shift-by-immediate groups of four. */
    private static Encoding[] flatten(Object... lines) {
        java.util.List<Encoding> out = new java.util.ArrayList<>();
        for (Object o : lines) {
            if (o instanceof Encoding e) out.add(e);
            else out.addAll(java.util.List.of((Encoding[]) o));
        }
        return out.toArray(new Encoding[0]);
    }

    private static Encoding same(String name, int u, String opc) {
        return new Encoding(name, "0Q" + u + "01110ss1mmmmm" + opc + "1nnnnnddddd", SAME);
    }

    private static Encoding sameS(String name, int u, String opc) {
        return new Encoding(name, "01" + u + "11110ss1mmmmm" + opc + "1nnnnnddddd", SAME_S);
    }

    private static Encoding diff(String name, int u, String opc) {
        return new Encoding(name, "0Q" + u + "01110ss1mmmmm" + opc + "00nnnnnddddd", DIFF);
    }

    private static Encoding diffS(String name, String opc) {
        return new Encoding(name, "01011110ss1mmmmm" + opc + "00nnnnnddddd", DIFF_S);
    }

    private static Encoding misc(String name, int u, String opc) {
        return new Encoding(name, "0Q" + u + "01110ss10000" + opc + "10nnnnnddddd", MISC);
    }

    private static Encoding miscS(String name, int u, String opc) {
        return new Encoding(name, "01" + u + "11110ss10000" + opc + "10nnnnnddddd", MISC_S);
    }

    /**
     * One line per immh's leading one (element size), so that immh=0000, the modified immediate space
     * (SimdPermute's MOVI/MVNI/ORR/BIC/FMOV), matches none of them: the decoder prefers more fixed bits.
     */
    private static Encoding[] shift(String name, int u, String opc) {
        return shifts(name, "0Q" + u + "011110", opc, SHIFT);
    }

    private static Encoding[] shiftS(String name, int u, String opc) {
        return shifts(name, "01" + u + "111110", opc, SHIFT_S);
    }

    private static Encoding[] shifts(String name, String head, String opc, int op) {
        String[] immh = {"1hhh", "01hh", "001h", "0001"};
        Encoding[] out = new Encoding[immh.length];
        for (int i = 0; i < immh.length; i++)
            out[i] = new Encoding(name, head + immh[i] + "bbb" + opc + "1nnnnnddddd", op);
        return out;
    }

    private static Encoding across(String name, int u, String opc) {
        return new Encoding(name, "0Q" + u + "01110ss11000" + opc + "10nnnnnddddd", ACROSS);
    }

    private static Encoding elem(String name, int u, String opc) {
        return new Encoding(name, "0Q" + u + "01111ssLMvvvv" + opc + "H0nnnnnddddd", ELEM);
    }

    private static Encoding elemS(String name, String opc) {
        return new Encoding(name, "01011111ssLMvvvv" + opc + "H0nnnnnddddd", ELEM_S);
    }

    private SimdInteger() {}

    public static void execute(Cpu cpu, int op, int insn) {
        switch (op) {
            case SAME -> threeSame(cpu, insn);
            case SAME_S -> threeSameScalar(cpu, insn);
            case DIFF -> threeDifferent(cpu, insn);
            case DIFF_S -> threeDifferentScalar(cpu, insn);
            case MISC -> SimdIntegerMisc.twoRegMisc(cpu, insn);
            case MISC_S -> SimdIntegerMisc.twoRegMiscScalar(cpu, insn);
            case SHIFT -> SimdShiftImmediate.vector(cpu, insn);
            case SHIFT_S -> SimdShiftImmediate.scalar(cpu, insn);
            case ACROSS -> SimdIntegerMisc.acrossLanes(cpu, insn);
            case ELEM -> byElement(cpu, insn);
            case ELEM_S -> byElementScalar(cpu, insn);
            case PAIR_S -> {
                if (((insn >>> 22) & 3) != 3) throw cpu.undefined();
                cpu.checkFpEnabled();
                int n = rn(insn);
                SimdLanes.writeScalar(cpu, rd(insn), cpu.vreg[2 * n] + cpu.vreg[2 * n + 1], 64);
            }
            default -> throw cpu.undefined();
        }
    }

    // ---- three same ----

    static final int SHADD = 0x00, SQADD = 0x01, SRHADD = 0x02, SHSUB = 0x04, SQSUB = 0x05, CMGT = 0x06, CMGE = 0x07,
            SSHL = 0x08, SQSHL = 0x09, SRSHL = 0x0a, SQRSHL = 0x0b, SMAX = 0x0c, SMIN = 0x0d, SABD = 0x0e, SABA = 0x0f,
            ADD = 0x10, CMTST = 0x11, MLA = 0x12, MUL = 0x13, SMAXP = 0x14, SMINP = 0x15, SQDMULH = 0x16, ADDP = 0x17,
            UHADD = 0x20, UQADD = 0x21, URHADD = 0x22, UHSUB = 0x24, UQSUB = 0x25, CMHI = 0x26, CMHS = 0x27,
            USHL = 0x28, UQSHL = 0x29, URSHL = 0x2a, UQRSHL = 0x2b, UMAX = 0x2c, UMIN = 0x2d, UABD = 0x2e, UABA = 0x2f,
            SUB = 0x30, CMEQ = 0x31, MLS = 0x32, PMUL = 0x33, UMAXP = 0x34, UMINP = 0x35, SQRDMULH = 0x36;

    private static void threeSame(Cpu cpu, int insn) {
        boolean q = q(insn) != 0;
        int size = (insn >>> 22) & 3, id = ((insn >>> 24) & 0x20) | ((insn >>> 11) & 31);
        int m = rm(insn), n = rn(insn), d = rd(insn);
        boolean ok = switch (id) {
            case SQADD, UQADD, SQSUB, UQSUB, CMGT, CMHI, CMGE, CMHS, SSHL, USHL, SQSHL, UQSHL, SRSHL, URSHL, SQRSHL,
                    UQRSHL, ADD, SUB, CMTST, CMEQ, ADDP -> size != 3 || q;
            case PMUL -> size == 0;
            case SQDMULH, SQRDMULH -> size == 1 || size == 2;
            default -> size != 3;
        };
        if (!ok) throw cpu.undefined();
        cpu.checkFpEnabled();
        int esize = 8 << size, per = 64 / esize;
        long[] v = cpu.vreg;
        if (id == SMAXP || id == SMINP || id == ADDP || id == UMAXP || id == UMINP) {
            if (esize < 64) {
                int op = id == ADDP ? 0 : (id & 1) == 0 ? 1 : 2;
                boolean signed = id == SMAXP || id == SMINP;
                long pn0 = SimdWords.pairwise(v[2 * n], esize, op, signed);
                long pm0 = SimdWords.pairwise(v[2 * m], esize, op, signed);
                if (q) {
                    long pn1 = SimdWords.pairwise(v[2 * n + 1], esize, op, signed);
                    long pm1 = SimdWords.pairwise(v[2 * m + 1], esize, op, signed);
                    SimdLanes.write(cpu, d, pn0 | (pn1 << 32), pm0 | (pm1 << 32), true);
                } else {
                    SimdLanes.write(cpu, d, pn0 | (pm0 << 32), 0, false);
                }
                return;
            }
            int base = id == ADDP ? ADD : id - 8; // SMAXP -> SMAX...
            int elems = q ? 2 * per : per, half = elems / 2;
            long lo = 0, hi = 0;
            for (int i = 0; i < elems; i++) {
                int src = i < half ? n : m, j = 2 * (i < half ? i : i - half);
                long r = same(cpu, base, get(cpu, src, j, esize), get(cpu, src, j + 1, esize), 0, esize);
                if (SimdLanes.inHigh(i, esize)) hi |= place(r, i, esize); else lo |= place(r, i, esize);
            }
            SimdLanes.write(cpu, d, lo, hi, q);
            return;
        }
        long lo = word(cpu, id, v[2 * n], v[2 * m], v[2 * d], esize);
        long hi = q ? word(cpu, id, v[2 * n + 1], v[2 * m + 1], v[2 * d + 1], esize) : 0;
        SimdLanes.write(cpu, d, lo, hi, q);
    }

    private static long word(Cpu cpu, int id, long a, long b, long acc, int esize) {
        switch (id) { // the string and memory routines' operations, on all lanes at once
            case ADD -> { return SimdWords.addLanes(a, b, esize); }
            case SUB -> { return SimdWords.subLanes(a, b, esize); }
            case CMEQ -> { return ~SimdWords.nonZeroLanes(a ^ b, esize); }
            default -> { }
        }
        long r = 0;
        for (int i = 0, per = 64 / esize; i < per; i++)
            r |= place(same(cpu, id, lane(a, i, esize), lane(b, i, esize), lane(acc, i, esize), esize), i, esize);
        return r;
    }

    private static void threeSameScalar(Cpu cpu, int insn) {
        int size = (insn >>> 22) & 3, id = ((insn >>> 24) & 0x20) | ((insn >>> 11) & 31);
        boolean ok = switch (id) {
            case SQADD, UQADD, SQSUB, UQSUB, SQSHL, UQSHL, SQRSHL, UQRSHL -> true;
            case SQDMULH, SQRDMULH -> size == 1 || size == 2;
            default -> size == 3;
        };
        if (!ok) throw cpu.undefined();
        cpu.checkFpEnabled();
        int esize = 8 << size;
        long a = cpu.vreg[2 * rn(insn)] & mask(esize), b = cpu.vreg[2 * rm(insn)] & mask(esize);
        SimdLanes.writeScalar(cpu, rd(insn), same(cpu, id, a, b, 0, esize), esize);
    }

    /** One element of a three-same operation; a, b, acc zero-extended. The result's low esize bits count. */
    static long same(Cpu c, int id, long a, long b, long acc, int esize) {
        long sa = sext(a, esize), sb = sext(b, esize);
        return switch (id) {
            case SHADD -> (sa + sb) >> 1;
            case UHADD -> (a + b) >>> 1;
            case SRHADD -> (sa + sb + 1) >> 1;
            case URHADD -> (a + b + 1) >>> 1;
            case SHSUB -> (sa - sb) >> 1;
            case UHSUB -> (a - b) >> 1;
            case SQADD -> SimdArith.addSat(c, sa, sb, esize, true);
            case UQADD -> SimdArith.addSat(c, a, b, esize, false);
            case SQSUB -> SimdArith.subSat(c, sa, sb, esize, true);
            case UQSUB -> SimdArith.subSat(c, a, b, esize, false);
            case CMGT -> sa > sb ? -1 : 0;
            case CMHI -> Long.compareUnsigned(a, b) > 0 ? -1 : 0;
            case CMGE -> sa >= sb ? -1 : 0;
            case CMHS -> Long.compareUnsigned(a, b) >= 0 ? -1 : 0;
            case CMTST -> (a & b) != 0 ? -1 : 0;
            case CMEQ -> a == b ? -1 : 0;
            case SSHL -> SimdArith.shiftByRegister(c, sa, b, esize, false, false, false);
            case USHL -> SimdArith.shiftByRegister(c, a, b, esize, true, false, false);
            case SRSHL -> SimdArith.shiftByRegister(c, sa, b, esize, false, true, false);
            case URSHL -> SimdArith.shiftByRegister(c, a, b, esize, true, true, false);
            case SQSHL -> SimdArith.shiftByRegister(c, sa, b, esize, false, false, true);
            case UQSHL -> SimdArith.shiftByRegister(c, a, b, esize, true, false, true);
            case SQRSHL -> SimdArith.shiftByRegister(c, sa, b, esize, false, true, true);
            case UQRSHL -> SimdArith.shiftByRegister(c, a, b, esize, true, true, true);
            case SMAX -> Math.max(sa, sb);
            case SMIN -> Math.min(sa, sb);
            case UMAX -> Math.max(a, b);
            case UMIN -> Math.min(a, b);
            case SABD -> SimdArith.absDiff(sa, sb);
            case UABD -> SimdArith.absDiff(a, b);
            case SABA -> acc + SimdArith.absDiff(sa, sb);
            case UABA -> acc + SimdArith.absDiff(a, b);
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case MLA -> acc + a * b;
            case MLS -> acc - a * b;
            case PMUL -> SimdArith.pmul8(a, b);
            case SQDMULH -> SimdArith.doublingMulHigh(c, sa, sb, esize, false);
            case SQRDMULH -> SimdArith.doublingMulHigh(c, sa, sb, esize, true);
            default -> throw c.undefined();
        };
    }

    // ---- three different ----

    static final int ADDL = 0, ADDW = 1, SUBL = 2, SUBW = 3, ADDHN = 4, ABAL = 5, SUBHN = 6, ABDL = 7, MLAL = 8,
            SQDMLAL = 9, MLSL = 10, SQDMLSL = 11, MULL = 12, SQDMULL = 13, PMULL = 14;

    private static void threeDifferent(Cpu cpu, int insn) {
        boolean q = q(insn) != 0, u = (insn & (1 << 29)) != 0;
        int size = (insn >>> 22) & 3, opc = (insn >>> 12) & 15;
        int m = rm(insn), n = rn(insn), d = rd(insn);
        if (size == 3 || ((opc == SQDMLAL || opc == SQDMLSL || opc == SQDMULL) && size == 0)
                || (opc == PMULL && size != 0)) throw cpu.undefined();
        cpu.checkFpEnabled();
        int esize = 8 << size, wide = 2 * esize, per = 64 / esize, part = q ? per : 0;
        if (opc == ADDHN || opc == SUBHN) {
            // narrowing high half: wide operands, narrow result written to the lower or upper half of Vd
            long r = 0;
            for (int i = 0; i < per; i++) {
                long a = get(cpu, n, i, wide), b = get(cpu, m, i, wide);
                long s = opc == ADDHN ? a + b : a - b;
                if (u) s += 1L << (esize - 1);
                r |= place(s >>> esize, i, esize);
            }
            if (q) cpu.vreg[2 * d + 1] = r; else SimdLanes.write(cpu, d, r, 0, false);
            return;
        }
        long lo = 0, hi = 0;
        for (int i = 0; i < per; i++) {
            long a = opc == ADDW || opc == SUBW
                    ? get(cpu, n, i, wide) // the wide operand's extension does not matter: results are wide
                    : (u ? get(cpu, n, i + part, esize) : sget(cpu, n, i + part, esize));
            long b = u ? get(cpu, m, i + part, esize) : sget(cpu, m, i + part, esize);
            long acc = get(cpu, d, i, wide);
            long r = switch (opc) {
                case ADDL, ADDW -> a + b;
                case SUBL, SUBW -> a - b;
                case ABAL -> acc + SimdArith.absDiff(a, b);
                case ABDL -> SimdArith.absDiff(a, b);
                case MLAL -> acc + a * b;
                case MLSL -> acc - a * b;
                case MULL -> a * b;
                case SQDMLAL -> SimdArith.addSat(cpu, sext(acc, wide), SimdArith.doublingMulLong(cpu, a, b, esize), wide, true);
                case SQDMLSL -> SimdArith.subSat(cpu, sext(acc, wide), SimdArith.doublingMulLong(cpu, a, b, esize), wide, true);
                case SQDMULL -> SimdArith.doublingMulLong(cpu, a, b, esize);
                case PMULL -> SimdArith.pmul8(a & 0xff, b & 0xff);
                default -> throw cpu.undefined();
            };
            if (SimdLanes.inHigh(i, wide)) hi |= place(r, i, wide); else lo |= place(r, i, wide);
        }
        SimdLanes.write(cpu, d, lo, hi, true);
    }

    private static void threeDifferentScalar(Cpu cpu, int insn) {
        int size = (insn >>> 22) & 3, opc = (insn >>> 12) & 15;
        if (size != 1 && size != 2) throw cpu.undefined();
        cpu.checkFpEnabled();
        int esize = 8 << size, wide = 2 * esize, d = rd(insn);
        long a = sget(cpu, rn(insn), 0, esize), b = sget(cpu, rm(insn), 0, esize);
        SimdLanes.writeScalar(cpu, d, doublingLong(cpu, opc, a, b, sget(cpu, d, 0, wide), esize), wide);
    }

    /** SQDMULL, SQDMLAL, SQDMLSL of one element (acc sign-extended). */
    private static long doublingLong(Cpu cpu, int opc, long a, long b, long acc, int esize) {
        long p = SimdArith.doublingMulLong(cpu, a, b, esize);
        return switch (opc) {
            case SQDMLAL -> SimdArith.addSat(cpu, acc, p, 2 * esize, true);
            case SQDMLSL -> SimdArith.subSat(cpu, acc, p, 2 * esize, true);
            default -> p;
        };
    }

    // ---- by element ----

    private static final int E_MLA = 0x10, E_MLAL = 0x02, E_SQDMLAL = 0x03, E_MLS = 0x14, E_MLSL = 0x06,
            E_SQDMLSL = 0x07, E_MUL = 0x08, E_MULL = 0x0a, E_SQDMULL = 0x0b, E_SQDMULH = 0x0c, E_SQRDMULH = 0x0d,
            E_UMLAL = 0x12, E_UMLSL = 0x16, E_UMULL = 0x1a;

    /** Rm and the index of an indexed element (size 01: H:L:M and V0-V15; size 10: H:L and M:Rm); -1 if reserved. */
    private static int elemRegIndex(int insn, int size) {
        int h = (insn >>> 11) & 1, l = (insn >>> 21) & 1, mbit = (insn >>> 20) & 1, rm = (insn >>> 16) & 15;
        if (size == 1) return (rm << 8) | (h << 2) | (l << 1) | mbit;
        if (size == 2) return (((mbit << 4) | rm) << 8) | (h << 1) | l;
        return -1;
    }

    private static void byElement(Cpu cpu, int insn) {
        boolean q = q(insn) != 0;
        int size = (insn >>> 22) & 3, id = ((insn >>> 25) & 0x10) | ((insn >>> 12) & 15);
        int ri = elemRegIndex(insn, size);
        if (ri < 0) throw cpu.undefined();
        cpu.checkFpEnabled();
        int m = ri >>> 8, idx = ri & 0xff, n = rn(insn), d = rd(insn);
        int esize = 8 << size, per = 64 / esize;
        boolean unsigned = (id & 0x10) != 0;
        switch (id) {
            case E_MLA, E_MLS, E_MUL, E_SQDMULH, E_SQRDMULH -> {
                int sid = switch (id) {
                    case E_MLA -> MLA;
                    case E_MLS -> MLS;
                    case E_MUL -> MUL;
                    case E_SQDMULH -> SQDMULH;
                    default -> SQRDMULH;
                };
                long b = get(cpu, m, idx, esize);
                long lo = 0, hi = 0;
                for (int i = 0; i < (q ? 2 * per : per); i++) {
                    long r = same(cpu, sid, get(cpu, n, i, esize), b, get(cpu, d, i, esize), esize);
                    if (SimdLanes.inHigh(i, esize)) hi |= place(r, i, esize); else lo |= place(r, i, esize);
                }
                SimdLanes.write(cpu, d, lo, hi, q);
            }
            default -> {
                int wide = 2 * esize, part = q ? per : 0;
                long b = unsigned ? get(cpu, m, idx, esize) : sget(cpu, m, idx, esize);
                long lo = 0, hi = 0;
                for (int i = 0; i < per; i++) {
                    long a = unsigned ? get(cpu, n, i + part, esize) : sget(cpu, n, i + part, esize);
                    long acc = get(cpu, d, i, wide);
                    long r = switch (id) {
                        case E_MLAL, E_UMLAL -> acc + a * b;
                        case E_MLSL, E_UMLSL -> acc - a * b;
                        case E_MULL, E_UMULL -> a * b;
                        case E_SQDMLAL -> doublingLong(cpu, SQDMLAL, a, b, sext(acc, wide), esize);
                        case E_SQDMLSL -> doublingLong(cpu, SQDMLSL, a, b, sext(acc, wide), esize);
                        default -> doublingLong(cpu, SQDMULL, a, b, 0, esize);
                    };
                    if (SimdLanes.inHigh(i, wide)) hi |= place(r, i, wide); else lo |= place(r, i, wide);
                }
                SimdLanes.write(cpu, d, lo, hi, true);
            }
        }
    }

    private static void byElementScalar(Cpu cpu, int insn) {
        int size = (insn >>> 22) & 3, opc = (insn >>> 12) & 15;
        int ri = elemRegIndex(insn, size);
        if (ri < 0) throw cpu.undefined();
        cpu.checkFpEnabled();
        int esize = 8 << size, d = rd(insn);
        long a = sget(cpu, rn(insn), 0, esize), b = sget(cpu, ri >>> 8, ri & 0xff, esize);
        switch (opc) {
            case E_SQDMULH -> SimdLanes.writeScalar(cpu, d, SimdArith.doublingMulHigh(cpu, a, b, esize, false), esize);
            case E_SQRDMULH -> SimdLanes.writeScalar(cpu, d, SimdArith.doublingMulHigh(cpu, a, b, esize, true), esize);
            case E_SQDMLAL -> SimdLanes.writeScalar(cpu, d, doublingLong(cpu, SQDMLAL, a, b, sget(cpu, d, 0, 2 * esize), esize), 2 * esize);
            case E_SQDMLSL -> SimdLanes.writeScalar(cpu, d, doublingLong(cpu, SQDMLSL, a, b, sget(cpu, d, 0, 2 * esize), esize), 2 * esize);
            default -> SimdLanes.writeScalar(cpu, d, doublingLong(cpu, SQDMULL, a, b, 0, esize), 2 * esize);
        }
    }
}
