package org.jvisor.difftest;

/**
 * The few A64 encodings the harness and the generator's set-up code need, written out by hand (the
 * encodings are checked against the GNU disassembler in the tests).
 */
final class A64 {
    static final int SP = 31, XZR = 31;

    private A64() {}

    static int movz(int d, int imm16, int hw) { return 0xD2800000 | hw << 21 | (imm16 & 0xffff) << 5 | d; }

    static int movk(int d, int imm16, int hw) { return 0xF2800000 | hw << 21 | (imm16 & 0xffff) << 5 | d; }

    /** ADD Xd|SP, Xn|SP, #imm12. */
    static int addImm(int d, int n, int imm12) { return 0x91000000 | imm12 << 10 | n << 5 | d; }

    /** LDR Xt, [Xn|SP, #imm] (imm a multiple of 8). */
    static int ldr(int t, int n, int imm) { return 0xF9400000 | (imm >> 3) << 10 | n << 5 | t; }

    static int str(int t, int n, int imm) { return 0xF9000000 | (imm >> 3) << 10 | n << 5 | t; }

    /** LDP Xt1, Xt2, [Xn|SP, #imm] (signed offset, imm a multiple of 8 in [-512, 504]). */
    static int ldp(int t1, int t2, int n, int imm) { return 0xA9400000 | ((imm >> 3) & 0x7f) << 15 | t2 << 10 | n << 5 | t1; }

    static int stp(int t1, int t2, int n, int imm) { return 0xA9000000 | ((imm >> 3) & 0x7f) << 15 | t2 << 10 | n << 5 | t1; }

    /** LDR Qt, [Xn|SP, #imm] (imm a multiple of 16). */
    static int ldrQ(int t, int n, int imm) { return 0x3DC00000 | (imm >> 4) << 10 | n << 5 | t; }

    static int strQ(int t, int n, int imm) { return 0x3D800000 | (imm >> 4) << 10 | n << 5 | t; }

    /** LDR Wt, [Xn|SP, #imm] (imm a multiple of 4). */
    static int ldrW(int t, int n, int imm) { return 0xB9400000 | (imm >> 2) << 10 | n << 5 | t; }

    static int mrsFpcr(int t) { return 0xD53B4400 | t; }

    static int msrFpcr(int t) { return 0xD51B4400 | t; }

    static int mrsFpsr(int t) { return 0xD53B4420 | t; }

    static int msrFpsr(int t) { return 0xD51B4420 | t; }

    static int mrsNzcv(int t) { return 0xD53B4200 | t; }

    static int msrNzcv(int t) { return 0xD51B4200 | t; }

    static int mrsTpidrEl0(int t) { return 0xD53BD040 | t; }

    static int msrTpidrEl0(int t) { return 0xD51BD040 | t; }

    /** B to {@code offset} bytes from the branch (a multiple of 4 within 128 MiB). */
    static int b(long offset) { return 0x14000000 | (int) (offset >> 2) & 0x3ffffff; }

    /** MRS XZR, CNTVCT_EL0: reads the virtual counter and discards it. */
    static final int MRS_XZR_CNTVCT = 0xD53BE05F;

    static final int CLREX = 0xD5033F5F, SVC0 = 0xD4000001, RET = 0xD65F03C0, NOP = 0xD503201F;

    /** Sets Xd to a 32-bit unsigned value with MOVZ + MOVK (always two words, so layouts are stable). */
    static int[] mov32(int d, long value) {
        return new int[] {movz(d, (int) value & 0xffff, 0), movk(d, (int) (value >>> 16) & 0xffff, 1)};
    }
}
