package org.jvisor.cpu.simd;

import static org.jvisor.cpu.Fields.abc;
import static org.jvisor.cpu.Fields.defgh;
import static org.jvisor.cpu.Fields.imm4;
import static org.jvisor.cpu.Fields.imm5;
import static org.jvisor.cpu.Fields.q;
import static org.jvisor.cpu.Fields.rd;
import static org.jvisor.cpu.Fields.rm;
import static org.jvisor.cpu.Fields.rn;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Encoding;

/**
 * Advanced SIMD data movement and bitwise operations: ZIP/UZP/TRN, EXT, TBL/TBX, DUP/INS/UMOV/SMOV,
 * REV16/32/64, the modified immediates (MOVI/MVNI/ORR/BIC/FMOV), the bitwise three-same group
 * (AND/BIC/ORR/ORN/EOR/BSL/BIT/BIF) and NOT/CNT/CLZ/CLS/RBIT.
 *
 * <p>Every handler reads its operands before writing Vd (Vd may be a source). A 64-bit (Q=0) result
 * zeroes bits [127:64].
 */
public final class SimdPermute {
    static final int PERMUTE = 1, EXT = 2, TABLE = 3, DUP_ELEMENT = 4, DUP_GENERAL = 5, INS_GENERAL = 6,
            SMOV = 7, UMOV = 8, INS_ELEMENT = 9, DUP_SCALAR = 10, REV = 11, MOD_IMM = 12, LOGIC = 13,
            CLS = 14, CLZ = 15, CNT = 16, NOT = 17, RBIT = 18;

    public static final Encoding[] ENCODINGS = {
            // Advanced SIMD permute: 0 Q 001110 size 0 Rm 0 opcode 10 Rn Rd (opcode 000 and 100 unallocated)
            new Encoding("UZP1/TRN1/ZIP1/UZP2/TRN2/ZIP2", "0Q001110zz0mmmmm0ooo10nnnnnddddd", PERMUTE),
            new Encoding("EXT", "0Q101110000mmmmm0iiii0nnnnnddddd", EXT),
            new Encoding("TBL/TBX", "0Q001110000mmmmm0llx00nnnnnddddd", TABLE),
            // Advanced SIMD copy: 0 Q op 01110000 imm5 0 imm4 1 Rn Rd
            new Encoding("DUP (element)", "0Q001110000iiiii000001nnnnnddddd", DUP_ELEMENT),
            new Encoding("DUP (general)", "0Q001110000iiiii000011nnnnnddddd", DUP_GENERAL),
            new Encoding("INS (general)", "01001110000iiiii000111nnnnnddddd", INS_GENERAL),
            new Encoding("SMOV", "0Q001110000iiiii001011nnnnnddddd", SMOV),
            new Encoding("UMOV", "0Q001110000iiiii001111nnnnnddddd", UMOV),
            new Encoding("INS (element)", "01101110000iiiii0jjjj1nnnnnddddd", INS_ELEMENT),
            new Encoding("DUP (element, scalar)", "01011110000iiiii000001nnnnnddddd", DUP_SCALAR),
            // Advanced SIMD two-register miscellaneous: 0 Q U 01110 size 10000 opcode 10 Rn Rd
            new Encoding("REV64", "0Q001110zz100000000010nnnnnddddd", REV),
            new Encoding("REV16", "0Q001110zz100000000110nnnnnddddd", REV),
            new Encoding("REV32", "0Q101110zz100000000010nnnnnddddd", REV),
            new Encoding("CLS (vector)", "0Q001110zz100000010010nnnnnddddd", CLS),
            new Encoding("CLZ (vector)", "0Q101110zz100000010010nnnnnddddd", CLZ),
            new Encoding("CNT", "0Q001110zz100000010110nnnnnddddd", CNT),
            new Encoding("NOT", "0Q10111000100000010110nnnnnddddd", NOT),
            new Encoding("RBIT (vector)", "0Q10111001100000010110nnnnnddddd", RBIT),
            // Advanced SIMD modified immediate: 0 Q op 0111100000 a b c cmode o2 1 d e f g h Rd
            new Encoding("MOVI/MVNI/ORR/BIC/FMOV (vector, immediate)", "0Qx0111100000iiiccccy1iiiiiddddd", MOD_IMM),
            // Advanced SIMD three same, bitwise: 0 Q U 01110 opc 1 Rm 00011 1 Rn Rd
            new Encoding("AND/BIC/ORR/ORN (vector)", "0Q001110oo1mmmmm000111nnnnnddddd", LOGIC),
            new Encoding("EOR/BSL/BIT/BIF (vector)", "0Q101110oo1mmmmm000111nnnnnddddd", LOGIC),
    };

    private SimdPermute() {}

    public static void execute(Cpu cpu, int op, int insn) {
        switch (op) {
            case PERMUTE -> permute(cpu, insn);
            case EXT -> ext(cpu, insn);
            case TABLE -> tableLookup(cpu, insn);
            case DUP_ELEMENT, DUP_GENERAL, INS_GENERAL, SMOV, UMOV, INS_ELEMENT, DUP_SCALAR -> copy(cpu, op, insn);
            case REV, CLS, CLZ, CNT, NOT, RBIT -> twoRegMisc(cpu, op, insn);
            case MOD_IMM -> modifiedImmediate(cpu, insn);
            case LOGIC -> logic(cpu, insn);
            default -> throw cpu.undefined();
        }
    }

    /** Writes the 128-bit result; a 64-bit operation (Q=0) clears the upper half. */
    private static void setVector(Cpu cpu, int d, int q, long lo, long hi) {
        cpu.vreg[2 * d] = lo;
        cpu.vreg[2 * d + 1] = q != 0 ? hi : 0;
    }

    // ---- permutes ----------------------------------------------------------------------------------

    private static void permute(Cpu cpu, int insn) {
        int q = q(insn), size = (insn >>> 22) & 3, opcode = (insn >>> 12) & 7;
        if ((opcode & 3) == 0 || (size == 3 && q == 0)) throw cpu.undefined();
        cpu.checkFpEnabled();
        long[] v = cpu.vreg;
        int d = rd(insn), n = rn(insn), m = rm(insn);
        long n0 = v[2 * n], n1 = v[2 * n + 1], m0 = v[2 * m], m1 = v[2 * m + 1];
        int elements = (8 << q) >>> size, part = opcode >>> 2, half = elements >>> 1;
        long r0 = 0, r1 = 0;
        for (int e = 0; e < elements; e++) {
            long x;
            switch (opcode & 3) {
                case 1 -> { // UZP: the even (odd) elements of the concatenation Vm:Vn
                    int k = 2 * e + part;
                    x = k < elements ? SimdLanes.lane(n0, n1, k, 8 << size) : SimdLanes.lane(m0, m1, k - elements, 8 << size);
                }
                case 2 -> { // TRN
                    int k = (e & ~1) + part;
                    x = (e & 1) == 0 ? SimdLanes.lane(n0, n1, k, 8 << size) : SimdLanes.lane(m0, m1, k, 8 << size);
                }
                default -> { // ZIP: interleave the low (high) halves
                    int k = part * half + (e >>> 1);
                    x = (e & 1) == 0 ? SimdLanes.lane(n0, n1, k, 8 << size) : SimdLanes.lane(m0, m1, k, 8 << size);
                }
            }
            if ((e << (3 + size)) < 64) r0 |= SimdLanes.place(x, e, 8 << size);
            else r1 |= SimdLanes.place(x, e, 8 << size);
        }
        setVector(cpu, d, q, r0, r1);
    }

    /** EXT: bytes imm4 upwards of the concatenation Vm:Vn. */
    private static void ext(Cpu cpu, int insn) {
        int q = q(insn), pos = imm4(insn);
        if (q == 0 && pos >= 8) throw cpu.undefined();
        cpu.checkFpEnabled();
        int d = rd(insn), n = rn(insn), m = rm(insn);
        int bytes = 8 << q;
        long r0 = 0, r1 = 0;
        for (int i = 0; i < bytes; i++) {
            int k = pos + i;
            long b = k < bytes ? SimdLanes.get(cpu, n, k, 8) : SimdLanes.get(cpu, m, k - bytes, 8);
            if (i < 8) r0 |= b << (8 * i);
            else r1 |= b << (8 * (i - 8));
        }
        setVector(cpu, d, q, r0, r1);
    }

    /** TBL/TBX: byte lookups in 1-4 table registers; an index past the table gives 0 (TBL) or keeps Vd's byte (TBX). */
    private static void tableLookup(Cpu cpu, int insn) {
        cpu.checkFpEnabled();
        long[] v = cpu.vreg;
        int q = q(insn), d = rd(insn), n = rn(insn), m = rm(insn);
        int regs = ((insn >>> 13) & 3) + 1;
        boolean tbx = (insn & (1 << 12)) != 0;
        long i0 = v[2 * m], i1 = v[2 * m + 1], d0 = v[2 * d], d1 = v[2 * d + 1];
        long r0 = 0, r1 = 0;
        for (int i = 0; i < (8 << q); i++) {
            int index = (int) SimdLanes.lane(i0, i1, i, 8);
            long b;
            if (index < 16 * regs) b = SimdLanes.get(cpu, (n + (index >>> 4)) & 31, index & 15, 8);
            else b = tbx ? SimdLanes.lane(d0, d1, i, 8) : 0;
            if (i < 8) r0 |= b << (8 * i);
            else r1 |= b << (8 * (i - 8));
        }
        setVector(cpu, d, q, r0, r1);
    }

    // ---- copies ------------------------------------------------------------------------------------

    private static void copy(Cpu cpu, int op, int insn) {
        int imm5 = imm5(insn), q = q(insn);
        int size = Integer.numberOfTrailingZeros(imm5); // 5 when imm5 is 0
        if (size > 3) throw cpu.undefined();
        int index = imm5 >>> (size + 1);
        switch (op) {
            case DUP_ELEMENT, DUP_GENERAL -> {
                if (size == 3 && q == 0) throw cpu.undefined();
            }
            case SMOV -> {
                if (size >= 2 + q) throw cpu.undefined(); // 32-bit: B, H; 64-bit: B, H, S
            }
            case UMOV -> {
                if (q == 0 ? size == 3 : size != 3) throw cpu.undefined(); // W: B, H, S; X: D
            }
            default -> {}
        }
        cpu.checkFpEnabled();
        long[] v = cpu.vreg;
        int d = rd(insn), n = rn(insn);
        switch (op) {
            case DUP_ELEMENT, DUP_GENERAL -> {
                long x = op == DUP_GENERAL ? cpu.x[n] : SimdLanes.get(cpu, n, index, 8 << size);
                long r = SimdLanes.replicate(x, 8 << size);
                setVector(cpu, d, q, r, r);
            }
            case DUP_SCALAR -> {
                long x = SimdLanes.get(cpu, n, index, 8 << size);
                v[2 * d] = x;
                v[2 * d + 1] = 0;
            }
            case INS_GENERAL -> SimdLanes.set(cpu, d, index, 8 << size, cpu.x[n]);
            case INS_ELEMENT -> {
                int srcIndex = imm4(insn) >>> size;
                SimdLanes.set(cpu, d, index, 8 << size, SimdLanes.get(cpu, n, srcIndex, 8 << size));
            }
            case SMOV -> {
                int bits = 64 - (8 << size);
                long x = SimdLanes.get(cpu, n, index, 8 << size) << bits >> bits;
                cpu.setX(d, q != 0 ? x : x & 0xffffffffL);
            }
            default -> cpu.setX(d, SimdLanes.get(cpu, n, index, 8 << size)); // UMOV
        }
    }

    // ---- two-register miscellaneous ----------------------------------------------------------------

    private static void twoRegMisc(Cpu cpu, int op, int insn) {
        int q = q(insn), size = (insn >>> 22) & 3;
        boolean u = (insn & (1 << 29)) != 0;
        int revContainer = 0; // log2 of the container's byte count
        switch (op) {
            case REV -> {
                // REV64 (U=0, o0=0), REV16 (U=0, o0=1), REV32 (U=1): element size below the container
                revContainer = u ? 2 : (insn & (1 << 12)) != 0 ? 1 : 3;
                if (size >= revContainer) throw cpu.undefined();
            }
            case CLS, CLZ -> {
                if (size == 3) throw cpu.undefined();
            }
            case CNT -> {
                if (size != 0) throw cpu.undefined();
            }
            default -> {}
        }
        cpu.checkFpEnabled();
        long[] v = cpu.vreg;
        int d = rd(insn), n = rn(insn);
        long lo = v[2 * n], hi = v[2 * n + 1];
        switch (op) {
            case NOT -> setVector(cpu, d, q, ~lo, ~hi);
            case RBIT -> setVector(cpu, d, q, Long.reverseBytes(Long.reverse(lo)), Long.reverseBytes(Long.reverse(hi)));
            case CNT -> setVector(cpu, d, q, bytePopCount(lo), bytePopCount(hi));
            case REV -> {
                int flip = (1 << (revContainer - size)) - 1;
                setVector(cpu, d, q, reverseElements(lo, size, flip), reverseElements(hi, size, flip));
            }
            default -> { // CLS, CLZ
                int esize = 8 << size;
                long r0 = 0, r1 = 0;
                int elements = (8 << q) >>> size;
                for (int e = 0; e < elements; e++) {
                    long x = SimdLanes.lane(lo, hi, e, 8 << size);
                    long c = op == CLZ ? countLeadingZeros(x, esize) : countLeadingZeros((x ^ (x >>> 1)) & ((1L << (esize - 1)) - 1), esize - 1);
                    if (e < elements / (1 + q)) r0 |= SimdLanes.place(c, e, 8 << size);
                    else r1 |= SimdLanes.place(c, e, 8 << size);
                }
                setVector(cpu, d, q, r0, r1);
            }
        }
    }

    /** CountLeadingZeroBits of the low {@code bits} bits of x (bits below 64). */
    private static long countLeadingZeros(long x, int bits) {
        return Long.numberOfLeadingZeros(x) - (64 - bits);
    }

    private static long bytePopCount(long x) {
        long r = 0;
        for (int i = 0; i < 64; i += 8) r |= (long) Long.bitCount((x >>> i) & 0xff) << i;
        return r;
    }

    /** Each element of a 64-bit half moved to index e XOR flip: reverses the elements within each container. */
    private static long reverseElements(long x, int size, int flip) {
        int elements = 8 >>> size;
        long r = 0;
        for (int e = 0; e < elements; e++) r |= SimdLanes.place(SimdLanes.lane(x, e, 8 << size), e ^ flip, 8 << size);
        return r;
    }

    // ---- modified immediate ------------------------------------------------------------------------

    private static void modifiedImmediate(Cpu cpu, int insn) {
        int q = q(insn), op = (insn >>> 29) & 1, cmode = (insn >>> 12) & 15;
        // o2=1 is FMOV (vector, immediate, half-precision) of FEAT_FP16, not implemented; FMOV 2D needs Q=1.
        if ((insn & (1 << 11)) != 0 || (cmode == 15 && op == 1 && q == 0)) throw cpu.undefined();
        cpu.checkFpEnabled();
        int imm8 = (abc(insn) << 5) | defgh(insn);
        long imm = advSimdExpandImm(op, cmode, imm8);
        int d = rd(insn);
        long[] v = cpu.vreg;
        boolean orrBic = cmode < 12 && (cmode & 1) != 0; // 0xx1 (32-bit shifted) and 10x1 (16-bit shifted)
        if (orrBic) {
            long lo = v[2 * d], hi = v[2 * d + 1];
            if (op == 0) setVector(cpu, d, q, lo | imm, hi | imm);
            else setVector(cpu, d, q, lo & ~imm, hi & ~imm);
        } else if (op == 1 && cmode < 14) { // MVNI
            setVector(cpu, d, q, ~imm, ~imm);
        } else {
            setVector(cpu, d, q, imm, imm);
        }
    }

    /** AdvSIMDExpandImm(op, cmode, imm8): the 64-bit pattern the modified-immediate forms use. */
    static long advSimdExpandImm(int op, int cmode, int imm8) {
        long i = imm8 & 0xffL;
        return switch (cmode >>> 1) {
            case 0 -> SimdLanes.replicate(i, 32);
            case 1 -> SimdLanes.replicate(i << 8, 32);
            case 2 -> SimdLanes.replicate(i << 16, 32);
            case 3 -> SimdLanes.replicate(i << 24, 32);
            case 4 -> SimdLanes.replicate(i, 16);
            case 5 -> SimdLanes.replicate(i << 8, 16);
            case 6 -> SimdLanes.replicate((cmode & 1) == 0 ? (i << 8) | 0xff : (i << 16) | 0xffff, 32);
            default -> {
                if ((cmode & 1) == 0) {
                    if (op == 0) yield SimdLanes.replicate(i, 8);
                    long r = 0;
                    for (int b = 0; b < 8; b++) if ((imm8 & (1 << b)) != 0) r |= 0xffL << (8 * b);
                    yield r;
                }
                long sign = i >>> 7, b6 = (i >>> 6) & 1, low = i & 0x3f;
                if (op == 0) { // single precision: a:NOT(b):Replicate(b,5):cdefgh:Zeros(19)
                    long f = (sign << 31) | ((b6 ^ 1) << 30) | ((b6 != 0 ? 0x1fL : 0) << 25) | (low << 19);
                    yield SimdLanes.replicate(f, 32);
                }
                yield (sign << 63) | ((b6 ^ 1) << 62) | ((b6 != 0 ? 0xffL : 0) << 54) | (low << 48);
            }
        };
    }

    // ---- bitwise three same ------------------------------------------------------------------------

    private static void logic(Cpu cpu, int insn) {
        cpu.checkFpEnabled();
        long[] v = cpu.vreg;
        int q = q(insn), opc = (insn >>> 22) & 3, d = rd(insn), n = rn(insn), m = rm(insn);
        long n0 = v[2 * n], n1 = v[2 * n + 1], m0 = v[2 * m], m1 = v[2 * m + 1], d0 = v[2 * d], d1 = v[2 * d + 1];
        long r0, r1;
        switch (((insn >>> 27) & 4) | opc) { // U:opc
            case 0 -> { r0 = n0 & m0; r1 = n1 & m1; }        // AND
            case 1 -> { r0 = n0 & ~m0; r1 = n1 & ~m1; }      // BIC
            case 2 -> { r0 = n0 | m0; r1 = n1 | m1; }        // ORR
            case 3 -> { r0 = n0 | ~m0; r1 = n1 | ~m1; }      // ORN
            case 4 -> { r0 = n0 ^ m0; r1 = n1 ^ m1; }        // EOR
            case 5 -> { r0 = m0 ^ ((m0 ^ n0) & d0); r1 = m1 ^ ((m1 ^ n1) & d1); }  // BSL: Vd selects Vn over Vm
            case 6 -> { r0 = d0 ^ ((d0 ^ n0) & m0); r1 = d1 ^ ((d1 ^ n1) & m1); }  // BIT: insert Vn where Vm is 1
            default -> { r0 = d0 ^ ((d0 ^ n0) & ~m0); r1 = d1 ^ ((d1 ^ n1) & ~m1); } // BIF: where Vm is 0
        }
        setVector(cpu, d, q, r0, r1);
    }
}
