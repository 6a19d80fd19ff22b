package org.jvisor.cpu.simd;

import static org.jvisor.cpu.Fields.imm8;
import static org.jvisor.cpu.Fields.ra;
import static org.jvisor.cpu.Fields.rd;
import static org.jvisor.cpu.Fields.rm;
import static org.jvisor.cpu.Fields.rn;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Encoding;

/** Scalar floating point: arithmetic, fused multiply-add, square root, min/max, compares, conditional select and compare, conversions between precisions and to/from integers and fixed point, rounding, FMOV. */
public final class FpScalar {
    static final int FMOV_REG = 1, FABS = 2, FNEG = 3, FSQRT = 4, FCVT = 5, FRINT = 6, FCMP = 7, FMOV_IMM = 8,
            FCCMP = 9, FP_2SOURCE = 10, FCSEL = 11, FP_3SOURCE = 12, CVT_FIXED = 13, CVT_INT = 14;

    // Half precision (type 11) is FEAT_FP16 except in FCVT; the handlers check the type field.
    public static final Encoding[] ENCODINGS = {
            new Encoding("FMOV (register)", "00011110TT100000010000nnnnnddddd", FMOV_REG),
            new Encoding("FABS (scalar)", "00011110TT100000110000nnnnnddddd", FABS),
            new Encoding("FNEG (scalar)", "00011110TT100001010000nnnnnddddd", FNEG),
            new Encoding("FSQRT (scalar)", "00011110TT100001110000nnnnnddddd", FSQRT),
            new Encoding("FCVT", "00011110TT10001oo10000nnnnnddddd", FCVT),
            new Encoding("FRINT<r> (scalar)", "00011110TT1001rrr10000nnnnnddddd", FRINT),
            new Encoding("FCMP/FCMPE", "00011110TT1mmmmm001000nnnnnez000", FCMP),
            new Encoding("FMOV (scalar, immediate)", "00011110TT1iiiiiiii10000000ddddd", FMOV_IMM),
            new Encoding("FCCMP/FCCMPE", "00011110TT1mmmmmcccc01nnnnnoffff", FCCMP),
            new Encoding("FP data-processing (2 source)", "00011110TT1mmmmmoooo10nnnnnddddd", FP_2SOURCE),
            new Encoding("FCSEL", "00011110TT1mmmmmcccc11nnnnnddddd", FCSEL),
            new Encoding("FP data-processing (3 source)", "00011111TTommmmmoaaaaannnnnddddd", FP_3SOURCE),
            new Encoding("FP <-> fixed-point conversions", "f0011110TT0rrooossssssnnnnnddddd", CVT_FIXED),
            new Encoding("FP <-> integer conversions", "f0011110TT1rrooo000000nnnnnddddd", CVT_INT),
    };

    private FpScalar() {}

    /** Single or double precision from the type field; anything else (half is FEAT_FP16) is unallocated. */
    private static int arithSize(Cpu cpu, int insn) {
        int type = (insn >>> 22) & 3;
        if (type > 1) throw cpu.undefined();
        return type == 0 ? 32 : 64;
    }

    private static long read(Cpu cpu, int n, int size) {
        long v = cpu.vreg[2 * n];
        return size == 64 ? v : v & ((1L << size) - 1);
    }

    private static void write(Cpu cpu, int d, long v, int size) {
        cpu.vreg[2 * d] = size == 64 ? v : v & ((1L << size) - 1);
        cpu.vreg[2 * d + 1] = 0;
    }

    public static void execute(Cpu cpu, int op, int insn) {
        int d = rd(insn), n = rn(insn), m = rm(insn);
        switch (op) {
            case FMOV_REG, FABS, FNEG, FSQRT -> {
                int size = arithSize(cpu, insn);
                cpu.checkFpEnabled();
                long a = read(cpu, n, size);
                long r = switch (op) {
                    case FMOV_REG -> a;
                    case FABS -> FpCore.abs(a, size);
                    case FNEG -> FpCore.neg(a, size);
                    default -> FpCore.sqrt(cpu, a, size);
                };
                write(cpu, d, r, size);
            }
            case FCVT -> {
                int from = precision((insn >>> 22) & 3), to = precision((insn >>> 15) & 3);
                if (from == 0 || to == 0 || from == to) throw cpu.undefined();
                cpu.checkFpEnabled();
                write(cpu, d, FpCore.convert(cpu, read(cpu, n, from), from, to, FpCore.rounding(cpu)), to);
            }
            case FRINT -> {
                int size = arithSize(cpu, insn);
                int r = (insn >>> 15) & 7;
                if (r == 5) throw cpu.undefined();
                cpu.checkFpEnabled();
                int rounding = switch (r) {
                    case 0 -> FpCore.ROUND_NEAREST_EVEN;
                    case 1 -> FpCore.ROUND_POS_INF;
                    case 2 -> FpCore.ROUND_NEG_INF;
                    case 3 -> FpCore.ROUND_ZERO;
                    case 4 -> FpCore.ROUND_TIES_AWAY;
                    default -> FpCore.rounding(cpu);
                };
                write(cpu, d, FpCore.roundInt(cpu, read(cpu, n, size), size, rounding, r == 6), size);
            }
            case FCMP -> {
                int size = arithSize(cpu, insn);
                cpu.checkFpEnabled();
                long b = (insn & 8) != 0 ? 0 : read(cpu, m, size);
                cpu.setNzcv(FpCore.compare(cpu, read(cpu, n, size), b, size, (insn & 16) != 0));
            }
            case FMOV_IMM -> {
                int size = arithSize(cpu, insn);
                cpu.checkFpEnabled();
                write(cpu, d, vfpExpandImm(imm8(insn), size), size);
            }
            case FCCMP -> {
                int size = arithSize(cpu, insn);
                cpu.checkFpEnabled();
                if (cpu.conditionHolds((insn >>> 12) & 15))
                    cpu.setNzcv(FpCore.compare(cpu, read(cpu, n, size), read(cpu, m, size), size, (insn & 16) != 0));
                else
                    cpu.setNzcv(insn & 15);
            }
            case FP_2SOURCE -> {
                int size = arithSize(cpu, insn);
                int opc = (insn >>> 12) & 15;
                if (opc > 8) throw cpu.undefined();
                cpu.checkFpEnabled();
                long a = read(cpu, n, size), b = read(cpu, m, size);
                long r = switch (opc) {
                    case 0 -> FpCore.mul(cpu, a, b, size);
                    case 1 -> FpCore.div(cpu, a, b, size);
                    case 2 -> FpCore.add(cpu, a, b, size);
                    case 3 -> FpCore.sub(cpu, a, b, size);
                    case 4 -> FpCore.max(cpu, a, b, size);
                    case 5 -> FpCore.min(cpu, a, b, size);
                    case 6 -> FpCore.maxNum(cpu, a, b, size);
                    case 7 -> FpCore.minNum(cpu, a, b, size);
                    default -> FpCore.neg(FpCore.mul(cpu, a, b, size), size); // FNMUL
                };
                write(cpu, d, r, size);
            }
            case FCSEL -> {
                int size = arithSize(cpu, insn);
                cpu.checkFpEnabled();
                write(cpu, d, read(cpu, cpu.conditionHolds((insn >>> 12) & 15) ? n : m, size), size);
            }
            case FP_3SOURCE -> {
                int size = arithSize(cpu, insn);
                cpu.checkFpEnabled();
                boolean o1 = (insn & (1 << 21)) != 0, o0 = (insn & (1 << 15)) != 0;
                long a = read(cpu, ra(insn), size), x = read(cpu, n, size), y = read(cpu, m, size);
                // The negations come before the fused operation, so a NaN operand comes out with its sign flipped.
                if (o1) a = FpCore.neg(a, size);
                if (o0 != o1) x = FpCore.neg(x, size);
                write(cpu, d, FpCore.mulAdd(cpu, a, x, y, size), size);
            }
            case CVT_FIXED -> convertFixed(cpu, insn, d, n);
            case CVT_INT -> convertInt(cpu, insn, d, n);
            default -> throw cpu.undefined();
        }
    }

    /** The FCVT type fields: 00 single, 01 double, 11 half; 0 for the reserved 10. */
    private static int precision(int type) {
        return type == 0 ? 32 : type == 1 ? 64 : type == 3 ? 16 : 0;
    }

    /** VFPExpandImm: sign, a 3-bit exponent, a 4-bit fraction. */
    static long vfpExpandImm(int imm8, int size) {
        int e = FpCore.expBits(size), f = FpCore.fracBits(size);
        long sign = (long) (imm8 >>> 7) << (size - 1);
        long b6 = (imm8 >>> 6) & 1;
        long exp = ((b6 ^ 1) << (e - 1)) | ((b6 == 1 ? (1L << (e - 3)) - 1 : 0) << 2) | ((imm8 >>> 4) & 3);
        return sign | (exp << f) | ((long) (imm8 & 15) << (f - 4));
    }

    /** FCVTZS/FCVTZU (vector to fixed-point general register) and SCVTF/UCVTF (general fixed-point to vector). */
    private static void convertFixed(Cpu cpu, int insn, int d, int n) {
        boolean sf = insn < 0;
        int size = arithSize(cpu, insn);
        int rmode = (insn >>> 19) & 3, opcode = (insn >>> 16) & 7, scale = (insn >>> 10) & 63;
        if (!sf && scale < 32) throw cpu.undefined();
        int fbits = 64 - scale, intSize = sf ? 64 : 32;
        if (rmode == 3 && opcode <= 1) {
            cpu.checkFpEnabled();
            cpu.setX(d, FpCore.toFixed(cpu, read(cpu, n, size), fbits, opcode == 1, FpCore.ROUND_ZERO, size, intSize));
        } else if (rmode == 0 && (opcode == 2 || opcode == 3)) {
            cpu.checkFpEnabled();
            write(cpu, d, FpCore.fixedToFp(cpu, cpu.x[n], fbits, opcode == 3, FpCore.rounding(cpu), intSize, size), size);
        } else {
            throw cpu.undefined();
        }
    }

    /** FCVT<r>S/U (to general register), SCVTF/UCVTF (integer), FMOV (general). */
    private static void convertInt(Cpu cpu, int insn, int d, int n) {
        boolean sf = insn < 0;
        int type = (insn >>> 22) & 3, rmode = (insn >>> 19) & 3, opcode = (insn >>> 16) & 7;
        int intSize = sf ? 64 : 32;
        if (opcode >= 6) {
            // FMOV: W<->S, X<->D, X<->V.D[1]; the half-precision forms are FEAT_FP16.
            boolean ok = rmode == 0 ? (sf ? type == 1 : type == 0) : rmode == 1 && sf && type == 2;
            if (!ok) throw cpu.undefined();
            cpu.checkFpEnabled();
            if (opcode == 6) {
                long v = type == 2 ? cpu.vreg[2 * n + 1] : cpu.vreg[2 * n];
                cpu.setX(d, sf ? v : v & 0xFFFF_FFFFL);
            } else if (type == 2) {
                cpu.vreg[2 * d + 1] = cpu.x[n];
            } else {
                write(cpu, d, cpu.x[n], intSize);
            }
            return;
        }
        int size = arithSize(cpu, insn);
        if (opcode <= 1 || ((opcode == 4 || opcode == 5) && rmode == 0)) {
            cpu.checkFpEnabled();
            int rounding = opcode >= 4 ? FpCore.ROUND_TIES_AWAY : switch (rmode) {
                case 0 -> FpCore.ROUND_NEAREST_EVEN;
                case 1 -> FpCore.ROUND_POS_INF;
                case 2 -> FpCore.ROUND_NEG_INF;
                default -> FpCore.ROUND_ZERO;
            };
            cpu.setX(d, FpCore.toFixed(cpu, read(cpu, n, size), 0, (opcode & 1) != 0, rounding, size, intSize));
        } else if ((opcode == 2 || opcode == 3) && rmode == 0) {
            cpu.checkFpEnabled();
            write(cpu, d, FpCore.fixedToFp(cpu, cpu.x[n], 0, opcode == 3, FpCore.rounding(cpu), intSize, size), size);
        } else {
            throw cpu.undefined();
        }
    }
}
