package org.jvisor.cpu.simd;

import static org.jvisor.cpu.Fields.q;
import static org.jvisor.cpu.Fields.rd;
import static org.jvisor.cpu.Fields.rm;
import static org.jvisor.cpu.Fields.rn;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Encoding;
import org.jvisor.cpu.Features;

/**
 * The cryptographic extensions: AES (AESE/AESD/AESMC/AESIMC), SHA1 (SHA1C/P/M/H/SU0/SU1), SHA2-256
 * (SHA256H/H2/SU0/SU1) and PMULL/PMULL2 of 64-bit elements. Each is Undefined unless {@link Features}
 * advertises it in ID_AA64ISAR0_EL1. The 8-bit PMULL (size 00) is base Advanced SIMD and belongs to the
 * three-different group of {@link SimdInteger}; only size 11 is claimed here (the more specific pattern).
 */
public final class Crypto {
    static final int AESE = 1, AESD = 2, AESMC = 3, AESIMC = 4, SHA3REG = 5, SHA2REG = 6, PMULL64 = 7;

    public static final Encoding[] ENCODINGS = {
            // Crypto AES: 01001110 size 10100 opcode 10 Rn Rd (size 00)
            new Encoding("AESE", "0100111000101000010010nnnnnddddd", AESE),
            new Encoding("AESD", "0100111000101000010110nnnnnddddd", AESD),
            new Encoding("AESMC", "0100111000101000011010nnnnnddddd", AESMC),
            new Encoding("AESIMC", "0100111000101000011110nnnnnddddd", AESIMC),
            // Crypto three-register SHA: 01011110 size 0 Rm 0 opcode 00 Rn Rd (size 00; opcode 111 unallocated)
            new Encoding("SHA1C/SHA1P/SHA1M/SHA1SU0/SHA256H/SHA256H2/SHA256SU1", "01011110000mmmmm0ooo00nnnnnddddd", SHA3REG),
            // Crypto two-register SHA: 01011110 size 10100 opcode 10 Rn Rd (size 00; opcode 000xx)
            new Encoding("SHA1H/SHA1SU1/SHA256SU0", "01011110_00_10100_000oo_10_nnnnn_ddddd", SHA2REG),
            // PMULL/PMULL2 with 1Q results: 0 Q 001110 size=11 1 Rm 1110 00 Rn Rd
            new Encoding("PMULL/PMULL2 (64-bit)", "0Q001110111mmmmm111000nnnnnddddd", PMULL64),
    };

    private Crypto() {}

    public static void execute(Cpu cpu, int op, int insn) {
        Features f = cpu.features;
        long[] v = cpu.vreg;
        int d = rd(insn), n = rn(insn);
        switch (op) {
            case AESE, AESD, AESMC, AESIMC -> {
                if (!f.aes) throw cpu.undefined();
                cpu.checkFpEnabled();
                long lo = v[2 * n], hi = v[2 * n + 1];
                if (op <= AESD) {
                    lo ^= v[2 * d];
                    hi ^= v[2 * d + 1];
                }
                aes(v, d, op, lo, hi);
            }
            case SHA3REG -> sha3Reg(cpu, insn);
            case SHA2REG -> sha2Reg(cpu, insn);
            case PMULL64 -> {
                if (!f.pmull) throw cpu.undefined();
                cpu.checkFpEnabled();
                int part = q(insn), m = rm(insn);
                polynomialMultiply(v, d, v[2 * n + part], v[2 * m + part]);
            }
            default -> throw cpu.undefined();
        }
    }

    // ---- AES ---------------------------------------------------------------------------------------

    private static final byte[] SBOX = new byte[256], INV_SBOX = new byte[256];

    static {
        // The S-box from its definition (FIPS-197 5.1.1): the inverse in GF(2^8), then the affine map.
        for (int x = 0; x < 256; x++) {
            int inv = 0;
            if (x != 0) for (int y = 1; y < 256; y++) if (gmul(x, y) == 1) { inv = y; break; }
            int s = inv;
            for (int r = 1; r <= 4; r++) s ^= ((inv << r) | (inv >>> (8 - r))) & 0xff;
            s ^= 0x63;
            SBOX[x] = (byte) s;
            INV_SBOX[s] = (byte) x;
        }
    }

    /** Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1. */
    private static int gmul(int a, int b) {
        int p = 0;
        for (int i = 0; i < 8; i++) {
            if ((b & 1) != 0) p ^= a;
            boolean carry = (a & 0x80) != 0;
            a = (a << 1) & 0xff;
            if (carry) a ^= 0x1b;
            b >>>= 1;
        }
        return p;
    }

    /**
     * One AES step on the state hi:lo (byte r + 4c is row r, column c): AESE ShiftRows then SubBytes,
     * AESD their inverses, AESMC MixColumns, AESIMC InvMixColumns.
     */
    private static void aes(long[] v, int d, int op, long lo, long hi) {
        long r0 = 0, r1 = 0;
        for (int i = 0; i < 16; i++) {
            int row = i & 3, col = i >>> 2, b;
            switch (op) {
                case AESE -> b = SBOX[stateByte(lo, hi, row + 4 * ((col + row) & 3))] & 0xff;
                case AESD -> b = INV_SBOX[stateByte(lo, hi, row + 4 * ((col - row) & 3))] & 0xff;
                default -> {
                    int c0 = stateByte(lo, hi, 4 * col), c1 = stateByte(lo, hi, 4 * col + 1);
                    int c2 = stateByte(lo, hi, 4 * col + 2), c3 = stateByte(lo, hi, 4 * col + 3);
                    b = op == AESMC ? mixColumn(row, c0, c1, c2, c3, 2, 3, 1, 1) : mixColumn(row, c0, c1, c2, c3, 14, 11, 13, 9);
                }
            }
            if (i < 8) r0 |= (long) b << (8 * i);
            else r1 |= (long) b << (8 * (i - 8));
        }
        v[2 * d] = r0;
        v[2 * d + 1] = r1;
    }

    private static int stateByte(long lo, long hi, int i) {
        return (int) ((i < 8 ? lo >>> (8 * i) : hi >>> (8 * (i - 8))) & 0xff);
    }

    /** Row {@code row} of the circulant matrix (a, b, c, d) times the column c0..c3. */
    private static int mixColumn(int row, int c0, int c1, int c2, int c3, int a, int b, int c, int d) {
        return gmul(c0, coefficient((0 - row) & 3, a, b, c, d)) ^ gmul(c1, coefficient((1 - row) & 3, a, b, c, d))
                ^ gmul(c2, coefficient((2 - row) & 3, a, b, c, d)) ^ gmul(c3, coefficient((3 - row) & 3, a, b, c, d));
    }

    private static int coefficient(int i, int a, int b, int c, int d) {
        return i == 0 ? a : i == 1 ? b : i == 2 ? c : d;
    }

    // ---- SHA ---------------------------------------------------------------------------------------

    private static void sha3Reg(Cpu cpu, int insn) {
        int opcode = (insn >>> 12) & 7;
        if (opcode == 7 || (opcode < 4 ? !cpu.features.sha1 : !cpu.features.sha2)) throw cpu.undefined();
        cpu.checkFpEnabled();
        long[] v = cpu.vreg;
        int d = rd(insn), n = rn(insn), m = rm(insn);
        long d0 = v[2 * d], d1 = v[2 * d + 1], n0 = v[2 * n], n1 = v[2 * n + 1], m0 = v[2 * m], m1 = v[2 * m + 1];
        long r0, r1;
        switch (opcode) {
            case 0, 1, 2 -> { // SHA1C, SHA1P, SHA1M: four rounds on abcd = Vd, e = Sn, w = Vm
                int a = (int) d0, b = (int) (d0 >>> 32), c = (int) d1, dd = (int) (d1 >>> 32), e = (int) n0;
                for (int i = 0; i < 4; i++) {
                    int f = opcode == 0 ? (b & c) | (~b & dd) : opcode == 1 ? b ^ c ^ dd : (b & c) | (b & dd) | (c & dd);
                    int w = (int) (i < 2 ? m0 >>> (32 * i) : m1 >>> (32 * (i - 2)));
                    e = e + Integer.rotateLeft(a, 5) + f + w;
                    b = Integer.rotateLeft(b, 30);
                    // <Y, X> = ROL(Y:X, 32): the words move up one, e becomes the new a
                    int t = dd;
                    dd = c;
                    c = b;
                    b = a;
                    a = e;
                    e = t;
                }
                r0 = words(a, b);
                r1 = words(c, dd);
            }
            case 3 -> { // SHA1SU0
                r0 = d1 ^ d0 ^ m0;
                r1 = n0 ^ d1 ^ m1;
            }
            case 4, 5 -> { // SHA256H (X = Vd, Y = Vn, result X), SHA256H2 (X = Vn, Y = Vd, result Y)
                boolean part1 = opcode == 4;
                long xlo = part1 ? d0 : n0, xhi = part1 ? d1 : n1, ylo = part1 ? n0 : d0, yhi = part1 ? n1 : d1;
                int x0 = (int) xlo, x1 = (int) (xlo >>> 32), x2 = (int) xhi, x3 = (int) (xhi >>> 32);
                int y0 = (int) ylo, y1 = (int) (ylo >>> 32), y2 = (int) yhi, y3 = (int) (yhi >>> 32);
                for (int i = 0; i < 4; i++) {
                    int chs = (y0 & y1) ^ (~y0 & y2);
                    int maj = (x0 & x1) ^ (x0 & x2) ^ (x1 & x2);
                    int w = (int) (i < 2 ? m0 >>> (32 * i) : m1 >>> (32 * (i - 2)));
                    int t = y3 + sigma1Big(y0) + chs + w;
                    x3 = t + x3;
                    y3 = t + sigma0Big(x0) + maj;
                    // <Y, X> = ROL(Y:X, 32) over 256 bits
                    int nx0 = y3, ny0 = x3;
                    x3 = x2; x2 = x1; x1 = x0; x0 = nx0;
                    y3 = y2; y2 = y1; y1 = y0; y0 = ny0;
                }
                r0 = part1 ? words(x0, x1) : words(y0, y1);
                r1 = part1 ? words(x2, x3) : words(y2, y3);
            }
            default -> { // SHA256SU1
                int t00 = (int) (n0 >>> 32), t01 = (int) n1, t02 = (int) (n1 >>> 32), t03 = (int) m0;
                int e0 = sigma1Small((int) m1) + (int) d0 + t00;
                int e1 = sigma1Small((int) (m1 >>> 32)) + (int) (d0 >>> 32) + t01;
                int e2 = sigma1Small(e0) + (int) d1 + t02;
                int e3 = sigma1Small(e1) + (int) (d1 >>> 32) + t03;
                r0 = words(e0, e1);
                r1 = words(e2, e3);
            }
        }
        v[2 * d] = r0;
        v[2 * d + 1] = r1;
    }

    private static void sha2Reg(Cpu cpu, int insn) {
        int opcode = (insn >>> 12) & 31;
        if (opcode > 2 || (opcode < 2 ? !cpu.features.sha1 : !cpu.features.sha2)) throw cpu.undefined();
        cpu.checkFpEnabled();
        long[] v = cpu.vreg;
        int d = rd(insn), n = rn(insn);
        long d0 = v[2 * d], d1 = v[2 * d + 1], n0 = v[2 * n], n1 = v[2 * n + 1];
        long r0, r1;
        switch (opcode) {
            case 0 -> { // SHA1H: Sd = ROL(Sn, 30)
                r0 = Integer.rotateLeft((int) n0, 30) & 0xffffffffL;
                r1 = 0;
            }
            case 1 -> { // SHA1SU1
                long t0 = d0 ^ ((n0 >>> 32) | (n1 << 32)), t1 = d1 ^ (n1 >>> 32);
                int w0 = Integer.rotateLeft((int) t0, 1), w1 = Integer.rotateLeft((int) (t0 >>> 32), 1);
                int w2 = Integer.rotateLeft((int) t1, 1);
                int w3 = Integer.rotateLeft((int) (t1 >>> 32), 1) ^ Integer.rotateLeft((int) t0, 2);
                r0 = words(w0, w1);
                r1 = words(w2, w3);
            }
            default -> { // SHA256SU0: T = Vn<31:0>:Vd<127:32>
                int e0 = sigma0Small((int) (d0 >>> 32)) + (int) d0;
                int e1 = sigma0Small((int) d1) + (int) (d0 >>> 32);
                int e2 = sigma0Small((int) (d1 >>> 32)) + (int) d1;
                int e3 = sigma0Small((int) n0) + (int) (d1 >>> 32);
                r0 = words(e0, e1);
                r1 = words(e2, e3);
            }
        }
        v[2 * d] = r0;
        v[2 * d + 1] = r1;
    }

    private static long words(int lo, int hi) {
        return (lo & 0xffffffffL) | ((long) hi << 32);
    }

    private static int sigma0Small(int x) {
        return Integer.rotateRight(x, 7) ^ Integer.rotateRight(x, 18) ^ (x >>> 3);
    }

    private static int sigma1Small(int x) {
        return Integer.rotateRight(x, 17) ^ Integer.rotateRight(x, 19) ^ (x >>> 10);
    }

    private static int sigma0Big(int x) {
        return Integer.rotateRight(x, 2) ^ Integer.rotateRight(x, 13) ^ Integer.rotateRight(x, 22);
    }

    private static int sigma1Big(int x) {
        return Integer.rotateRight(x, 6) ^ Integer.rotateRight(x, 11) ^ Integer.rotateRight(x, 25);
    }

    // ---- PMULL -------------------------------------------------------------------------------------

    /** PolynomialMult of two 64-bit operands: the 128-bit carry-less product into Vd. */
    private static void polynomialMultiply(long[] v, int d, long a, long b) {
        long lo = 0, hi = 0;
        for (int i = 0; i < 64; i++) {
            if ((b & (1L << i)) != 0) {
                lo ^= a << i;
                if (i != 0) hi ^= a >>> (64 - i);
            }
        }
        v[2 * d] = lo;
        v[2 * d + 1] = hi;
    }
}
