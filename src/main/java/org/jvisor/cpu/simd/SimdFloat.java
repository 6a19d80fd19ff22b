package org.jvisor.cpu.simd;

import static org.jvisor.cpu.Fields.q;
import static org.jvisor.cpu.Fields.rd;
import static org.jvisor.cpu.Fields.rm;
import static org.jvisor.cpu.Fields.rn;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Encoding;

/**
 * Advanced SIMD floating point (vector and the scalar forms of vector instructions), single and double
 * precision; half precision only in the FCVTL/FCVTN conversions (FEAT_FP16 is not implemented, so its
 * encodings are not listed and stay unallocated). All arithmetic is {@link FpCore}'s.
 *
 * <p>An op is a form (bits [11:6]: three-same, pairwise, two-register misc, ...) and a function (bits
 * [5:0]) that the scalar and vector forms share. Every lane is read before the destination is written,
 * because the destination may be a source.
 */
public final class SimdFloat {
    // Forms.
    private static final int SAME = 1, SCALAR_SAME = 2, PAIR = 3, SCALAR_PAIR = 4, MISC = 5, SCALAR_MISC = 6,
            ACROSS = 7, ELEM = 8, SCALAR_ELEM = 9, FIXED = 10, SCALAR_FIXED = 11;

    // Functions of two operands (the three-same, pairwise, across-lanes and by-element forms).
    static final int ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAX = 4, MIN = 5, MAXNM = 6, MINNM = 7, MULX = 8,
            ABD = 9, RECPS = 10, RSQRTS = 11, CMEQ = 12, CMGE = 13, CMGT = 14, ACGE = 15, ACGT = 16, MLA = 17,
            MLS = 18;

    // Functions of one operand (two-register misc). The ten FCVTxx are consecutive, signed before unsigned.
    static final int ABS = 0, NEG = 1, SQRT = 2, RINTN = 3, RINTA = 4, RINTP = 5, RINTM = 6, RINTZ = 7, RINTX = 8,
            RINTI = 9, CVTNS = 10, CVTNU = 11, CVTMS = 12, CVTMU = 13, CVTAS = 14, CVTAU = 15, CVTPS = 16,
            CVTPU = 17, CVTZS = 18, CVTZU = 19, SCVTF = 20, UCVTF = 21, RECPE = 22, RSQRTE = 23, URECPE = 24,
            URSQRTE = 25, RECPX = 26, CMEQ0 = 27, CMGE0 = 28, CMGT0 = 29, CMLE0 = 30, CMLT0 = 31, CVTL = 32,
            CVTN = 33, CVTXN = 34;

    // Fixed-point conversions (shift by immediate).
    static final int FX_SCVTF = 0, FX_UCVTF = 1, FX_FCVTZS = 2, FX_FCVTZU = 3;

    private static int op(int form, int fn) { return (form << 6) | fn; }

    public static final Encoding[] ENCODINGS = {
            // Advanced SIMD three same (size<1> selects the function, size<0> is sz).
            new Encoding("FMAXNM (vector)", "0Q0011100z1mmmmm110001nnnnnddddd", op(SAME, MAXNM)),
            new Encoding("FMINNM (vector)", "0Q0011101z1mmmmm110001nnnnnddddd", op(SAME, MINNM)),
            new Encoding("FMLA (vector)", "0Q0011100z1mmmmm110011nnnnnddddd", op(SAME, MLA)),
            new Encoding("FMLS (vector)", "0Q0011101z1mmmmm110011nnnnnddddd", op(SAME, MLS)),
            new Encoding("FADD (vector)", "0Q0011100z1mmmmm110101nnnnnddddd", op(SAME, ADD)),
            new Encoding("FSUB (vector)", "0Q0011101z1mmmmm110101nnnnnddddd", op(SAME, SUB)),
            new Encoding("FMULX (vector)", "0Q0011100z1mmmmm110111nnnnnddddd", op(SAME, MULX)),
            new Encoding("FCMEQ (vector, register)", "0Q0011100z1mmmmm111001nnnnnddddd", op(SAME, CMEQ)),
            new Encoding("FMAX (vector)", "0Q0011100z1mmmmm111101nnnnnddddd", op(SAME, MAX)),
            new Encoding("FMIN (vector)", "0Q0011101z1mmmmm111101nnnnnddddd", op(SAME, MIN)),
            new Encoding("FRECPS (vector)", "0Q0011100z1mmmmm111111nnnnnddddd", op(SAME, RECPS)),
            new Encoding("FRSQRTS (vector)", "0Q0011101z1mmmmm111111nnnnnddddd", op(SAME, RSQRTS)),
            new Encoding("FMAXNMP (vector)", "0Q1011100z1mmmmm110001nnnnnddddd", op(PAIR, MAXNM)),
            new Encoding("FMINNMP (vector)", "0Q1011101z1mmmmm110001nnnnnddddd", op(PAIR, MINNM)),
            new Encoding("FADDP (vector)", "0Q1011100z1mmmmm110101nnnnnddddd", op(PAIR, ADD)),
            new Encoding("FABD (vector)", "0Q1011101z1mmmmm110101nnnnnddddd", op(SAME, ABD)),
            new Encoding("FMUL (vector)", "0Q1011100z1mmmmm110111nnnnnddddd", op(SAME, MUL)),
            new Encoding("FCMGE (vector, register)", "0Q1011100z1mmmmm111001nnnnnddddd", op(SAME, CMGE)),
            new Encoding("FCMGT (vector, register)", "0Q1011101z1mmmmm111001nnnnnddddd", op(SAME, CMGT)),
            new Encoding("FACGE (vector)", "0Q1011100z1mmmmm111011nnnnnddddd", op(SAME, ACGE)),
            new Encoding("FACGT (vector)", "0Q1011101z1mmmmm111011nnnnnddddd", op(SAME, ACGT)),
            new Encoding("FMAXP (vector)", "0Q1011100z1mmmmm111101nnnnnddddd", op(PAIR, MAX)),
            new Encoding("FMINP (vector)", "0Q1011101z1mmmmm111101nnnnnddddd", op(PAIR, MIN)),
            new Encoding("FDIV (vector)", "0Q1011100z1mmmmm111111nnnnnddddd", op(SAME, DIV)),

            // Advanced SIMD scalar three same.
            new Encoding("FMULX (scalar)", "010111100z1mmmmm110111nnnnnddddd", op(SCALAR_SAME, MULX)),
            new Encoding("FCMEQ (scalar, register)", "010111100z1mmmmm111001nnnnnddddd", op(SCALAR_SAME, CMEQ)),
            new Encoding("FRECPS (scalar)", "010111100z1mmmmm111111nnnnnddddd", op(SCALAR_SAME, RECPS)),
            new Encoding("FRSQRTS (scalar)", "010111101z1mmmmm111111nnnnnddddd", op(SCALAR_SAME, RSQRTS)),
            new Encoding("FABD (scalar)", "011111101z1mmmmm110101nnnnnddddd", op(SCALAR_SAME, ABD)),
            new Encoding("FCMGE (scalar, register)", "011111100z1mmmmm111001nnnnnddddd", op(SCALAR_SAME, CMGE)),
            new Encoding("FCMGT (scalar, register)", "011111101z1mmmmm111001nnnnnddddd", op(SCALAR_SAME, CMGT)),
            new Encoding("FACGE (scalar)", "011111100z1mmmmm111011nnnnnddddd", op(SCALAR_SAME, ACGE)),
            new Encoding("FACGT (scalar)", "011111101z1mmmmm111011nnnnnddddd", op(SCALAR_SAME, ACGT)),

            // Advanced SIMD two-register misc.
            new Encoding("FCMGT (vector, zero)", "0Q0011101z100000110010nnnnnddddd", op(MISC, CMGT0)),
            new Encoding("FCMEQ (vector, zero)", "0Q0011101z100000110110nnnnnddddd", op(MISC, CMEQ0)),
            new Encoding("FCMLT (vector, zero)", "0Q0011101z100000111010nnnnnddddd", op(MISC, CMLT0)),
            new Encoding("FABS (vector)", "0Q0011101z100000111110nnnnnddddd", op(MISC, ABS)),
            new Encoding("FCMGE (vector, zero)", "0Q1011101z100000110010nnnnnddddd", op(MISC, CMGE0)),
            new Encoding("FCMLE (vector, zero)", "0Q1011101z100000110110nnnnnddddd", op(MISC, CMLE0)),
            new Encoding("FNEG (vector)", "0Q1011101z100000111110nnnnnddddd", op(MISC, NEG)),
            new Encoding("FCVTN", "0Q0011100z100001011010nnnnnddddd", op(MISC, CVTN)),
            new Encoding("FCVTL", "0Q0011100z100001011110nnnnnddddd", op(MISC, CVTL)),
            new Encoding("FCVTXN", "0Q1011100z100001011010nnnnnddddd", op(MISC, CVTXN)),
            new Encoding("FRINTN (vector)", "0Q0011100z100001100010nnnnnddddd", op(MISC, RINTN)),
            new Encoding("FRINTM (vector)", "0Q0011100z100001100110nnnnnddddd", op(MISC, RINTM)),
            new Encoding("FRINTP (vector)", "0Q0011101z100001100010nnnnnddddd", op(MISC, RINTP)),
            new Encoding("FRINTZ (vector)", "0Q0011101z100001100110nnnnnddddd", op(MISC, RINTZ)),
            new Encoding("FRINTA (vector)", "0Q1011100z100001100010nnnnnddddd", op(MISC, RINTA)),
            new Encoding("FRINTX (vector)", "0Q1011100z100001100110nnnnnddddd", op(MISC, RINTX)),
            new Encoding("FRINTI (vector)", "0Q1011101z100001100110nnnnnddddd", op(MISC, RINTI)),
            new Encoding("FCVTNS (vector)", "0Q0011100z100001101010nnnnnddddd", op(MISC, CVTNS)),
            new Encoding("FCVTMS (vector)", "0Q0011100z100001101110nnnnnddddd", op(MISC, CVTMS)),
            new Encoding("FCVTAS (vector)", "0Q0011100z100001110010nnnnnddddd", op(MISC, CVTAS)),
            new Encoding("SCVTF (vector, integer)", "0Q0011100z100001110110nnnnnddddd", op(MISC, SCVTF)),
            new Encoding("FCVTPS (vector)", "0Q0011101z100001101010nnnnnddddd", op(MISC, CVTPS)),
            new Encoding("FCVTZS (vector, integer)", "0Q0011101z100001101110nnnnnddddd", op(MISC, CVTZS)),
            new Encoding("URECPE", "0Q0011101z100001110010nnnnnddddd", op(MISC, URECPE)),
            new Encoding("FRECPE (vector)", "0Q0011101z100001110110nnnnnddddd", op(MISC, RECPE)),
            new Encoding("FCVTNU (vector)", "0Q1011100z100001101010nnnnnddddd", op(MISC, CVTNU)),
            new Encoding("FCVTMU (vector)", "0Q1011100z100001101110nnnnnddddd", op(MISC, CVTMU)),
            new Encoding("FCVTAU (vector)", "0Q1011100z100001110010nnnnnddddd", op(MISC, CVTAU)),
            new Encoding("UCVTF (vector, integer)", "0Q1011100z100001110110nnnnnddddd", op(MISC, UCVTF)),
            new Encoding("FCVTPU (vector)", "0Q1011101z100001101010nnnnnddddd", op(MISC, CVTPU)),
            new Encoding("FCVTZU (vector, integer)", "0Q1011101z100001101110nnnnnddddd", op(MISC, CVTZU)),
            new Encoding("URSQRTE", "0Q1011101z100001110010nnnnnddddd", op(MISC, URSQRTE)),
            new Encoding("FRSQRTE (vector)", "0Q1011101z100001110110nnnnnddddd", op(MISC, RSQRTE)),
            new Encoding("FSQRT (vector)", "0Q1011101z100001111110nnnnnddddd", op(MISC, SQRT)),

            // Advanced SIMD scalar two-register misc.
            new Encoding("FCMGT (scalar, zero)", "010111101z100000110010nnnnnddddd", op(SCALAR_MISC, CMGT0)),
            new Encoding("FCMEQ (scalar, zero)", "010111101z100000110110nnnnnddddd", op(SCALAR_MISC, CMEQ0)),
            new Encoding("FCMLT (scalar, zero)", "010111101z100000111010nnnnnddddd", op(SCALAR_MISC, CMLT0)),
            new Encoding("FCMGE (scalar, zero)", "011111101z100000110010nnnnnddddd", op(SCALAR_MISC, CMGE0)),
            new Encoding("FCMLE (scalar, zero)", "011111101z100000110110nnnnnddddd", op(SCALAR_MISC, CMLE0)),
            new Encoding("FCVTXN (scalar)", "011111100z100001011010nnnnnddddd", op(SCALAR_MISC, CVTXN)),
            new Encoding("FCVTNS (scalar)", "010111100z100001101010nnnnnddddd", op(SCALAR_MISC, CVTNS)),
            new Encoding("FCVTMS (scalar)", "010111100z100001101110nnnnnddddd", op(SCALAR_MISC, CVTMS)),
            new Encoding("FCVTAS (scalar)", "010111100z100001110010nnnnnddddd", op(SCALAR_MISC, CVTAS)),
            new Encoding("SCVTF (scalar, integer)", "010111100z100001110110nnnnnddddd", op(SCALAR_MISC, SCVTF)),
            new Encoding("FCVTPS (scalar)", "010111101z100001101010nnnnnddddd", op(SCALAR_MISC, CVTPS)),
            new Encoding("FCVTZS (scalar, integer)", "010111101z100001101110nnnnnddddd", op(SCALAR_MISC, CVTZS)),
            new Encoding("FRECPE (scalar)", "010111101z100001110110nnnnnddddd", op(SCALAR_MISC, RECPE)),
            new Encoding("FRECPX", "010111101z100001111110nnnnnddddd", op(SCALAR_MISC, RECPX)),
            new Encoding("FCVTNU (scalar)", "011111100z100001101010nnnnnddddd", op(SCALAR_MISC, CVTNU)),
            new Encoding("FCVTMU (scalar)", "011111100z100001101110nnnnnddddd", op(SCALAR_MISC, CVTMU)),
            new Encoding("FCVTAU (scalar)", "011111100z100001110010nnnnnddddd", op(SCALAR_MISC, CVTAU)),
            new Encoding("UCVTF (scalar, integer)", "011111100z100001110110nnnnnddddd", op(SCALAR_MISC, UCVTF)),
            new Encoding("FCVTPU (scalar)", "011111101z100001101010nnnnnddddd", op(SCALAR_MISC, CVTPU)),
            new Encoding("FCVTZU (scalar, integer)", "011111101z100001101110nnnnnddddd", op(SCALAR_MISC, CVTZU)),
            new Encoding("FRSQRTE (scalar)", "011111101z100001110110nnnnnddddd", op(SCALAR_MISC, RSQRTE)),

            // Advanced SIMD across lanes and scalar pairwise.
            new Encoding("FMAXNMV", "0Q1011100z110000110010nnnnnddddd", op(ACROSS, MAXNM)),
            new Encoding("FMINNMV", "0Q1011101z110000110010nnnnnddddd", op(ACROSS, MINNM)),
            new Encoding("FMAXV", "0Q1011100z110000111110nnnnnddddd", op(ACROSS, MAX)),
            new Encoding("FMINV", "0Q1011101z110000111110nnnnnddddd", op(ACROSS, MIN)),
            new Encoding("FMAXNMP (scalar)", "011111100z110000110010nnnnnddddd", op(SCALAR_PAIR, MAXNM)),
            new Encoding("FMINNMP (scalar)", "011111101z110000110010nnnnnddddd", op(SCALAR_PAIR, MINNM)),
            new Encoding("FADDP (scalar)", "011111100z110000110110nnnnnddddd", op(SCALAR_PAIR, ADD)),
            new Encoding("FMAXP (scalar)", "011111100z110000111110nnnnnddddd", op(SCALAR_PAIR, MAX)),
            new Encoding("FMINP (scalar)", "011111101z110000111110nnnnnddddd", op(SCALAR_PAIR, MIN)),

            // Advanced SIMD (scalar) x indexed element: S (z=0) index H:L, D (z=1) index H.
            new Encoding("FMLA (by element)", "0Q0011111zLMvvvv0001H0nnnnnddddd", op(ELEM, MLA)),
            new Encoding("FMLS (by element)", "0Q0011111zLMvvvv0101H0nnnnnddddd", op(ELEM, MLS)),
            new Encoding("FMUL (by element)", "0Q0011111zLMvvvv1001H0nnnnnddddd", op(ELEM, MUL)),
            new Encoding("FMULX (by element)", "0Q1011111zLMvvvv1001H0nnnnnddddd", op(ELEM, MULX)),
            new Encoding("FMLA (scalar, by element)", "010111111zLMvvvv0001H0nnnnnddddd", op(SCALAR_ELEM, MLA)),
            new Encoding("FMLS (scalar, by element)", "010111111zLMvvvv0101H0nnnnnddddd", op(SCALAR_ELEM, MLS)),
            new Encoding("FMUL (scalar, by element)", "010111111zLMvvvv1001H0nnnnnddddd", op(SCALAR_ELEM, MUL)),
            new Encoding("FMULX (scalar, by element)", "011111111zLMvvvv1001H0nnnnnddddd", op(SCALAR_ELEM, MULX)),

            // Advanced SIMD (scalar) shift by immediate, fixed-point conversions: immh 01xx is S, 1xxx is D
            // (001x would be H, FEAT_FP16; 0000 is the modified-immediate space).
            new Encoding("SCVTF (vector, fixed-point) S", "0Q0011110_01hhbbb_111001nnnnnddddd", op(FIXED, FX_SCVTF)),
            new Encoding("SCVTF (vector, fixed-point) D", "0Q0011110_1hhhbbb_111001nnnnnddddd", op(FIXED, FX_SCVTF)),
            new Encoding("FCVTZS (vector, fixed-point) S", "0Q0011110_01hhbbb_111111nnnnnddddd", op(FIXED, FX_FCVTZS)),
            new Encoding("FCVTZS (vector, fixed-point) D", "0Q0011110_1hhhbbb_111111nnnnnddddd", op(FIXED, FX_FCVTZS)),
            new Encoding("UCVTF (vector, fixed-point) S", "0Q1011110_01hhbbb_111001nnnnnddddd", op(FIXED, FX_UCVTF)),
            new Encoding("UCVTF (vector, fixed-point) D", "0Q1011110_1hhhbbb_111001nnnnnddddd", op(FIXED, FX_UCVTF)),
            new Encoding("FCVTZU (vector, fixed-point) S", "0Q1011110_01hhbbb_111111nnnnnddddd", op(FIXED, FX_FCVTZU)),
            new Encoding("FCVTZU (vector, fixed-point) D", "0Q1011110_1hhhbbb_111111nnnnnddddd", op(FIXED, FX_FCVTZU)),
            new Encoding("SCVTF (scalar, fixed-point) S", "010111110_01hhbbb_111001nnnnnddddd", op(SCALAR_FIXED, FX_SCVTF)),
            new Encoding("SCVTF (scalar, fixed-point) D", "010111110_1hhhbbb_111001nnnnnddddd", op(SCALAR_FIXED, FX_SCVTF)),
            new Encoding("FCVTZS (scalar, fixed-point) S", "010111110_01hhbbb_111111nnnnnddddd", op(SCALAR_FIXED, FX_FCVTZS)),
            new Encoding("FCVTZS (scalar, fixed-point) D", "010111110_1hhhbbb_111111nnnnnddddd", op(SCALAR_FIXED, FX_FCVTZS)),
            new Encoding("UCVTF (scalar, fixed-point) S", "011111110_01hhbbb_111001nnnnnddddd", op(SCALAR_FIXED, FX_UCVTF)),
            new Encoding("UCVTF (scalar, fixed-point) D", "011111110_1hhhbbb_111001nnnnnddddd", op(SCALAR_FIXED, FX_UCVTF)),
            new Encoding("FCVTZU (scalar, fixed-point) S", "011111110_01hhbbb_111111nnnnnddddd", op(SCALAR_FIXED, FX_FCVTZU)),
            new Encoding("FCVTZU (scalar, fixed-point) D", "011111110_1hhhbbb_111111nnnnnddddd", op(SCALAR_FIXED, FX_FCVTZU)),
    };

    /** FPCVTxx: the rounding of each, by (fn - CVTNS) / 2. */
    private static final int[] CVT_ROUNDING = {FpCore.ROUND_NEAREST_EVEN, FpCore.ROUND_NEG_INF,
            FpCore.ROUND_TIES_AWAY, FpCore.ROUND_POS_INF, FpCore.ROUND_ZERO};

    private SimdFloat() {}

    public static void execute(Cpu cpu, int op, int insn) {
        int fn = op & 63;
        switch (op >>> 6) {
            case SAME -> threeSame(cpu, fn, insn);
            case SCALAR_SAME -> scalarThreeSame(cpu, fn, insn);
            case PAIR -> pairwise(cpu, fn, insn);
            case SCALAR_PAIR -> scalarPairwise(cpu, fn, insn);
            case MISC -> twoRegMisc(cpu, fn, insn);
            case SCALAR_MISC -> scalarTwoRegMisc(cpu, fn, insn);
            case ACROSS -> acrossLanes(cpu, fn, insn);
            case ELEM -> byElement(cpu, fn, insn, false);
            case SCALAR_ELEM -> byElement(cpu, fn, insn, true);
            case FIXED -> fixedPoint(cpu, fn, insn, false);
            case SCALAR_FIXED -> fixedPoint(cpu, fn, insn, true);
            default -> throw cpu.undefined();
        }
    }

    // ---- forms

    private static void threeSame(Cpu cpu, int fn, int insn) {
        boolean q = q(insn) != 0;
        int size = esize(insn);
        if (size == 64 && !q) throw cpu.undefined();
        cpu.checkFpEnabled();
        int d = rd(insn), n = rn(insn), m = rm(insn);
        int elements = (q ? 128 : 64) / size;
        long lo = 0, hi = 0;
        for (int e = 0; e < elements; e++) {
            long r = binary(cpu, fn, SimdLanes.get(cpu, n, e, size), SimdLanes.get(cpu, m, e, size), SimdLanes.get(cpu, d, e, size), size);
            if (e * size < 64) lo |= SimdLanes.place(r, e, size);
            else hi |= SimdLanes.place(r, e, size);
        }
        SimdLanes.write(cpu, d, lo, hi, q);
    }

    private static void scalarThreeSame(Cpu cpu, int fn, int insn) {
        cpu.checkFpEnabled();
        int size = esize(insn);
        int d = rd(insn), n = rn(insn), m = rm(insn);
        SimdLanes.writeScalar(cpu, d, binary(cpu, fn, SimdLanes.get(cpu, n, 0, size), SimdLanes.get(cpu, m, 0, size), 0, size), size);
    }

    /** Pairs from the concatenation Vm:Vn, lowest first: the low half of the result comes from Vn. */
    private static void pairwise(Cpu cpu, int fn, int insn) {
        boolean q = q(insn) != 0;
        int size = esize(insn);
        if (size == 64 && !q) throw cpu.undefined();
        cpu.checkFpEnabled();
        int d = rd(insn), n = rn(insn), m = rm(insn);
        int elements = (q ? 128 : 64) / size, half = elements / 2;
        long lo = 0, hi = 0;
        for (int e = 0; e < elements; e++) {
            int src = e < half ? n : m, i = 2 * (e < half ? e : e - half);
            long r = binary(cpu, fn, SimdLanes.get(cpu, src, i, size), SimdLanes.get(cpu, src, i + 1, size), 0, size);
            if (e * size < 64) lo |= SimdLanes.place(r, e, size);
            else hi |= SimdLanes.place(r, e, size);
        }
        SimdLanes.write(cpu, d, lo, hi, q);
    }

    private static void scalarPairwise(Cpu cpu, int fn, int insn) {
        cpu.checkFpEnabled();
        int size = esize(insn);
        int d = rd(insn), n = rn(insn);
        SimdLanes.writeScalar(cpu, d, binary(cpu, fn, SimdLanes.get(cpu, n, 0, size), SimdLanes.get(cpu, n, 1, size), 0, size), size);
    }

    /** Reduce: a tree, op(op(e0, e1), op(e2, e3)), as the Arm ARM's Reduce() splits the vector in halves. */
    private static void acrossLanes(Cpu cpu, int fn, int insn) {
        if (q(insn) == 0 || esize(insn) == 64) throw cpu.undefined();
        cpu.checkFpEnabled();
        int d = rd(insn), n = rn(insn);
        long lo = binary(cpu, fn, SimdLanes.get(cpu, n, 0, 32), SimdLanes.get(cpu, n, 1, 32), 0, 32);
        long hi = binary(cpu, fn, SimdLanes.get(cpu, n, 2, 32), SimdLanes.get(cpu, n, 3, 32), 0, 32);
        SimdLanes.writeScalar(cpu, d, binary(cpu, fn, lo, hi, 0, 32), 32);
    }

    private static void twoRegMisc(Cpu cpu, int fn, int insn) {
        boolean q = q(insn) != 0;
        int size = esize(insn);
        int d = rd(insn), n = rn(insn);
        switch (fn) {
            case CVTL -> {
                cpu.checkFpEnabled();
                // From the low or (FCVTL2) high half of Vn, to elements twice as wide.
                int from = size / 2, base = q ? 64 / from : 0;
                long r0 = FpCore.convert(cpu, SimdLanes.get(cpu, n, base, from), from, size, FpCore.rounding(cpu));
                long r1 = FpCore.convert(cpu, SimdLanes.get(cpu, n, base + 1, from), from, size, FpCore.rounding(cpu));
                long lo, hi;
                if (size == 64) {
                    lo = r0;
                    hi = r1;
                } else {
                    long r2 = FpCore.convert(cpu, SimdLanes.get(cpu, n, base + 2, from), from, size, FpCore.rounding(cpu));
                    long r3 = FpCore.convert(cpu, SimdLanes.get(cpu, n, base + 3, from), from, size, FpCore.rounding(cpu));
                    lo = SimdLanes.place(r0, 0, 32) | SimdLanes.place(r1, 1, 32);
                    hi = SimdLanes.place(r2, 0, 32) | SimdLanes.place(r3, 1, 32);
                }
                cpu.vreg[2 * d] = lo;
                cpu.vreg[2 * d + 1] = hi;
            }
            case CVTN, CVTXN -> {
                // To elements half as wide, in the low half of Vd (upper half zeroed) or, for FCVTN2, the high half.
                if (fn == CVTXN && size == 32) throw cpu.undefined();
                cpu.checkFpEnabled();
                int to = size / 2, rounding = fn == CVTXN ? FpCore.ROUND_ODD : FpCore.rounding(cpu);
                long r = 0;
                for (int e = 0; e < 128 / size; e++)
                    r |= SimdLanes.place(FpCore.convert(cpu, SimdLanes.get(cpu, n, e, size), size, to, rounding), e, to);
                if (q) {
                    cpu.vreg[2 * d + 1] = r;
                } else {
                    cpu.vreg[2 * d] = r;
                    cpu.vreg[2 * d + 1] = 0;
                }
            }
            default -> {
                if (size == 64 && (!q || fn == URECPE || fn == URSQRTE)) throw cpu.undefined();
                cpu.checkFpEnabled();
                int elements = (q ? 128 : 64) / size;
                long lo = 0, hi = 0;
                for (int e = 0; e < elements; e++) {
                    long r = unary(cpu, fn, SimdLanes.get(cpu, n, e, size), size);
                    if (e * size < 64) lo |= SimdLanes.place(r, e, size);
                    else hi |= SimdLanes.place(r, e, size);
                }
                SimdLanes.write(cpu, d, lo, hi, q);
            }
        }
    }

    private static void scalarTwoRegMisc(Cpu cpu, int fn, int insn) {
        int size = esize(insn);
        int d = rd(insn), n = rn(insn);
        if (fn == CVTXN) {
            if (size == 32) throw cpu.undefined();
            cpu.checkFpEnabled();
            SimdLanes.writeScalar(cpu, d, FpCore.convert(cpu, cpu.vreg[2 * n], 64, 32, FpCore.ROUND_ODD), 32);
            return;
        }
        cpu.checkFpEnabled();
        SimdLanes.writeScalar(cpu, d, unary(cpu, fn, SimdLanes.get(cpu, n, 0, size), size), size);
    }

    private static void byElement(Cpu cpu, int fn, int insn, boolean scalar) {
        boolean q = q(insn) != 0;
        int size = esize(insn);
        int h = (insn >>> 11) & 1, l = (insn >>> 21) & 1;
        if (size == 64 && (l == 1 || (!scalar && !q))) throw cpu.undefined();
        cpu.checkFpEnabled();
        int d = rd(insn), n = rn(insn), m = rm(insn);
        long element2 = SimdLanes.get(cpu, m, size == 64 ? h : (h << 1) | l, size);
        if (scalar) {
            SimdLanes.writeScalar(cpu, d, binary(cpu, fn, SimdLanes.get(cpu, n, 0, size), element2, SimdLanes.get(cpu, d, 0, size), size), size);
            return;
        }
        int elements = (q ? 128 : 64) / size;
        long lo = 0, hi = 0;
        for (int e = 0; e < elements; e++) {
            long r = binary(cpu, fn, SimdLanes.get(cpu, n, e, size), element2, SimdLanes.get(cpu, d, e, size), size);
            if (e * size < 64) lo |= SimdLanes.place(r, e, size);
            else hi |= SimdLanes.place(r, e, size);
        }
        SimdLanes.write(cpu, d, lo, hi, q);
    }

    /** SCVTF, UCVTF, FCVTZS, FCVTZU with fbits = 2 * esize - immh:immb (the patterns leave only S and D). */
    private static void fixedPoint(Cpu cpu, int fn, int insn, boolean scalar) {
        boolean q = q(insn) != 0;
        int immhb = (insn >>> 16) & 0x7f;
        int size = immhb >= 64 ? 64 : 32;
        if (size == 64 && !scalar && !q) throw cpu.undefined();
        cpu.checkFpEnabled();
        int fbits = 2 * size - immhb;
        int d = rd(insn), n = rn(insn);
        if (scalar) {
            SimdLanes.writeScalar(cpu, d, fixed(cpu, fn, SimdLanes.get(cpu, n, 0, size), fbits, size), size);
            return;
        }
        int elements = (q ? 128 : 64) / size;
        long lo = 0, hi = 0;
        for (int e = 0; e < elements; e++) {
            long r = fixed(cpu, fn, SimdLanes.get(cpu, n, e, size), fbits, size);
            if (e * size < 64) lo |= SimdLanes.place(r, e, size);
            else hi |= SimdLanes.place(r, e, size);
        }
        SimdLanes.write(cpu, d, lo, hi, q);
    }

    // ---- element functions

    /** The function {@code fn} of Vn's element a and Vm's element b; acc is Vd's element (FMLA, FMLS). */
    private static long binary(Cpu c, int fn, long a, long b, long acc, int size) {
        return switch (fn) {
            case ADD -> FpCore.add(c, a, b, size);
            case SUB -> FpCore.sub(c, a, b, size);
            case MUL -> FpCore.mul(c, a, b, size);
            case DIV -> FpCore.div(c, a, b, size);
            case MAX -> FpCore.max(c, a, b, size);
            case MIN -> FpCore.min(c, a, b, size);
            case MAXNM -> FpCore.maxNum(c, a, b, size);
            case MINNM -> FpCore.minNum(c, a, b, size);
            case MULX -> FpCore.mulX(c, a, b, size);
            case ABD -> FpCore.abs(FpCore.sub(c, a, b, size), size);
            case RECPS -> FpCore.recipStepFused(c, a, b, size);
            case RSQRTS -> FpCore.rsqrtStepFused(c, a, b, size);
            case CMEQ -> FpCore.compareEq(c, a, b, size) ? -1L : 0;
            case CMGE -> FpCore.compareGe(c, a, b, size) ? -1L : 0;
            case CMGT -> FpCore.compareGt(c, a, b, size) ? -1L : 0;
            case ACGE -> FpCore.compareGe(c, FpCore.abs(a, size), FpCore.abs(b, size), size) ? -1L : 0;
            case ACGT -> FpCore.compareGt(c, FpCore.abs(a, size), FpCore.abs(b, size), size) ? -1L : 0;
            case MLA -> FpCore.mulAdd(c, acc, a, b, size);
            // The pseudocode negates the multiplicand, not the product: a NaN operand keeps its flipped sign.
            case MLS -> FpCore.mulAdd(c, acc, FpCore.neg(a, size), b, size);
            default -> throw c.undefined();
        };
    }

    private static long unary(Cpu c, int fn, long a, int size) {
        return switch (fn) {
            case ABS -> FpCore.abs(a, size);
            case NEG -> FpCore.neg(a, size);
            case SQRT -> FpCore.sqrt(c, a, size);
            case RINTN -> FpCore.roundInt(c, a, size, FpCore.ROUND_NEAREST_EVEN, false);
            case RINTA -> FpCore.roundInt(c, a, size, FpCore.ROUND_TIES_AWAY, false);
            case RINTP -> FpCore.roundInt(c, a, size, FpCore.ROUND_POS_INF, false);
            case RINTM -> FpCore.roundInt(c, a, size, FpCore.ROUND_NEG_INF, false);
            case RINTZ -> FpCore.roundInt(c, a, size, FpCore.ROUND_ZERO, false);
            case RINTX -> FpCore.roundInt(c, a, size, FpCore.rounding(c), true);
            case RINTI -> FpCore.roundInt(c, a, size, FpCore.rounding(c), false);
            case CVTNS, CVTNU, CVTMS, CVTMU, CVTAS, CVTAU, CVTPS, CVTPU, CVTZS, CVTZU ->
                    FpCore.toFixed(c, a, 0, ((fn - CVTNS) & 1) != 0, CVT_ROUNDING[(fn - CVTNS) >> 1], size, size);
            case SCVTF -> FpCore.fixedToFp(c, a, 0, false, FpCore.rounding(c), size, size);
            case UCVTF -> FpCore.fixedToFp(c, a, 0, true, FpCore.rounding(c), size, size);
            case RECPE -> FpCore.recipEstimate(c, a, size);
            case RSQRTE -> FpCore.rsqrtEstimate(c, a, size);
            case URECPE -> FpCore.unsignedRecipEstimate((int) a) & 0xffffffffL;
            case URSQRTE -> FpCore.unsignedRSqrtEstimate((int) a) & 0xffffffffL;
            case RECPX -> FpCore.recpX(c, a, size);
            case CMEQ0 -> FpCore.compareEq(c, a, 0, size) ? -1L : 0;
            case CMGE0 -> FpCore.compareGe(c, a, 0, size) ? -1L : 0;
            case CMGT0 -> FpCore.compareGt(c, a, 0, size) ? -1L : 0;
            case CMLE0 -> FpCore.compareGe(c, 0, a, size) ? -1L : 0;
            case CMLT0 -> FpCore.compareGt(c, 0, a, size) ? -1L : 0;
            default -> throw c.undefined();
        };
    }

    private static long fixed(Cpu c, int fn, long a, int fbits, int size) {
        return switch (fn) {
            case FX_SCVTF -> FpCore.fixedToFp(c, a, fbits, false, FpCore.rounding(c), size, size);
            case FX_UCVTF -> FpCore.fixedToFp(c, a, fbits, true, FpCore.rounding(c), size, size);
            case FX_FCVTZS -> FpCore.toFixed(c, a, fbits, false, FpCore.ROUND_ZERO, size, size);
            case FX_FCVTZU -> FpCore.toFixed(c, a, fbits, true, FpCore.ROUND_ZERO, size, size);
            default -> throw c.undefined();
        };
    }

    /** sz (bit 22): single or double precision. */
    private static int esize(int insn) { return (insn & (1 << 22)) != 0 ? 64 : 32; }
}
