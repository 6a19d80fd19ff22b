package org.jvisor.difftest;

/**
 * The FP/SIMD state of a sequence: V0-V31 ({@code v[2n]} bits [63:0] of Vn, {@code v[2n+1]} bits [127:64],
 * as {@code Cpu.vreg}), FPCR and FPSR.
 */
record FpState(long[] v, int fpcr, int fpsr) {
    FpState {
        if (v.length != 64) throw new IllegalArgumentException("64 longs expected");
    }

    FpState withV(int n, long lo, long hi) {
        long[] w = v.clone();
        w[2 * n] = lo;
        w[2 * n + 1] = hi;
        return new FpState(w, fpcr, fpsr);
    }

    FpState withFpcr(int value) { return new FpState(v, value, fpsr); }

    FpState withFpsr(int value) { return new FpState(v, fpcr, value); }
}
