package org.jvisor.cpu.simd;

import static org.jvisor.cpu.simd.SimdLanes.mask;
import static org.jvisor.cpu.simd.SimdLanes.sext;

import org.jvisor.cpu.Cpu;

/**
 * Element arithmetic of the Advanced SIMD integer instructions: saturation (SatQ, setting FPSR.QC),
 * shifts by a signed register amount, doubling multiplies. Values are passed as longs holding the
 * element sign- or zero-extended as the operation needs; 64-bit elements are handled without 128-bit
 * arithmetic.
 */
final class SimdArith {
    private SimdArith() {}

    /** SignedSatQ of a value that fits in 64 bits, to esize bits. */
    static long satS(Cpu c, long v, int esize) {
        if (esize == 64) return v;
        long max = (1L << (esize - 1)) - 1;
        if (v > max) { SimdLanes.saturated(c); return max; }
        if (v < -max - 1) { SimdLanes.saturated(c); return -max - 1; }
        return v;
    }

    /** UnsignedSatQ of a signed 64-bit value, to esize bits. */
    static long satU(Cpu c, long v, int esize) {
        if (v < 0) { SimdLanes.saturated(c); return 0; }
        if (esize < 64 && v > mask(esize)) { SimdLanes.saturated(c); return mask(esize); }
        return v;
    }

    /** UnsignedSatQ of an unsigned 64-bit value, to esize bits. */
    static long satUU(Cpu c, long v, int esize) {
        if (esize < 64 && Long.compareUnsigned(v, mask(esize)) > 0) { SimdLanes.saturated(c); return mask(esize); }
        return v;
    }

    /** Saturating add; a and b sign-extended when signed, zero-extended otherwise. */
    static long addSat(Cpu c, long a, long b, int esize, boolean signed) {
        long r = a + b;
        if (esize < 64) return signed ? satS(c, r, esize) : satU(c, r, esize);
        if (signed) {
            if (((a ^ r) & (b ^ r)) < 0) { SimdLanes.saturated(c); return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE; }
        } else if (Long.compareUnsigned(r, a) < 0) {
            SimdLanes.saturated(c);
            return -1L;
        }
        return r;
    }

    static long subSat(Cpu c, long a, long b, int esize, boolean signed) {
        long r = a - b;
        if (esize < 64) return signed ? satS(c, r, esize) : satU(c, r, esize);
        if (signed) {
            if (((a ^ b) & (a ^ r)) < 0) { SimdLanes.saturated(c); return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE; }
        } else if (Long.compareUnsigned(a, b) < 0) {
            SimdLanes.saturated(c);
            return 0;
        }
        return r;
    }

    /** SUQADD: signed accumulator plus unsigned operand, signed saturation. */
    static long suqadd(Cpu c, long accSigned, long opUnsigned, int esize) {
        if (esize < 64) return satS(c, accSigned + opUnsigned, esize);
        long r = accSigned + opUnsigned;
        boolean over = opUnsigned < 0 ? (accSigned >= 0 || r < 0) : (accSigned >= 0 && r < 0);
        if (over) { SimdLanes.saturated(c); return Long.MAX_VALUE; }
        return r;
    }

    /** USQADD: unsigned accumulator plus signed operand, unsigned saturation. */
    static long usqadd(Cpu c, long accUnsigned, long opSigned, int esize) {
        if (esize < 64) return satU(c, accUnsigned + opSigned, esize);
        long r = accUnsigned + opSigned;
        if (opSigned >= 0) {
            if (Long.compareUnsigned(r, accUnsigned) < 0) { SimdLanes.saturated(c); return -1L; }
        } else if (Long.compareUnsigned(accUnsigned, -opSigned) < 0) {
            SimdLanes.saturated(c);
            return 0;
        }
        return r;
    }

    /**
     * x >> s with x extended to 64 bits (signed: arithmetic), s >= 1 possibly beyond 64, optionally
     * rounding (adding bit s-1); exact for every s since the rounded result never needs 65 bits.
     */
    static long shiftRight(long x, int s, boolean unsigned, boolean round) {
        long v, r;
        if (unsigned) {
            v = s >= 64 ? 0 : x >>> s;
            r = s - 1 >= 64 ? 0 : (x >>> (s - 1)) & 1;
        } else {
            v = x >> Math.min(s, 63);
            r = (x >> Math.min(s - 1, 63)) & 1;
        }
        return round ? v + r : v;
    }

    /** x << s, saturated to esize bits (signed or unsigned as x is extended), 0 <= s. */
    static long shiftLeftSat(Cpu c, long x, int s, int esize, boolean unsigned) {
        if (x == 0) return 0;
        if (s < esize) {
            long r = x << s;
            if (unsigned) {
                if ((r >>> s) == x && (esize == 64 || (r & ~mask(esize)) == 0)) return r;
            } else if ((r >> s) == x && sext(r, esize) == r) {
                return r;
            }
        }
        SimdLanes.saturated(c);
        if (unsigned) return mask(esize);
        return x < 0 ? Long.MIN_VALUE >> (64 - esize) : Long.MAX_VALUE >>> (64 - esize);
    }

    /**
     * SSHL/USHL/SRSHL/URSHL/SQSHL/UQSHL/SQRSHL/UQRSHL: shift by the signed low byte of the second operand.
     * x is extended (signed or unsigned) to 64 bits; the result's low esize bits are the element.
     */
    static long shiftByRegister(Cpu c, long x, long shiftElem, int esize, boolean unsigned, boolean round,
            boolean saturating) {
        int shift = (byte) shiftElem;
        if (shift >= 0) {
            if (saturating) return shiftLeftSat(c, x, shift, esize, unsigned);
            return shift >= esize ? 0 : x << shift;
        }
        return shiftRight(x, -shift, unsigned, round);
    }

    /** SQDMULH/SQRDMULH of signed esize (16 or 32) elements. */
    static long doublingMulHigh(Cpu c, long a, long b, int esize, boolean round) {
        long min = -1L << (esize - 1);
        if (a == min && b == min) { SimdLanes.saturated(c); return ~min; }
        long p = 2 * a * b + (round ? 1L << (esize - 1) : 0);
        return p >> esize;
    }

    /** SQDMULL: 2*a*b of signed esize (16 or 32) elements, saturated to 2*esize. */
    static long doublingMulLong(Cpu c, long a, long b, int esize) {
        long min = -1L << (esize - 1);
        if (a == min && b == min) { SimdLanes.saturated(c); return esize == 32 ? Long.MAX_VALUE : (1L << 31) - 1; }
        return 2 * a * b;
    }

    /** Polynomial (carry-less) multiply of two 8-bit values, 16-bit result. */
    static long pmul8(long a, long b) {
        long r = 0;
        for (int i = 0; i < 8; i++) if (((b >>> i) & 1) != 0) r ^= a << i;
        return r;
    }

    static long abs(long v) { return v < 0 ? -v : v; }

    /** Unsigned absolute difference of zero-extended values below 2^63 or any signed values fitting. */
    static long absDiff(long a, long b) { return a > b ? a - b : b - a; }
}
