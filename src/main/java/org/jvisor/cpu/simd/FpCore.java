package org.jvisor.cpu.simd;

import org.jvisor.cpu.Cpu;

/**
 * IEEE 754 arithmetic exactly as the Arm ARM's FP pseudocode defines it (FPAdd, FPMul, FPMulAdd, FPRound,
 * FPToFixed, FPConvert...), for half, single and double precision, honouring FPCR (RMode, FZ, DN, AHP)
 * and accumulating the FPSR cumulative flags. Java's float/double arithmetic rounds to nearest only and
 * reports no flags, so what differs (directed rounding, flags, flush-to-zero, NaN payloads) is explicit.
 *
 * <p>Operands and results are raw bit patterns of {@code size} bits (16, 32 or 64) in the low bits of a
 * long. Every method takes the {@link Cpu} for FPCR and to OR flags into {@code cpu.fpsr}.
 *
 * <p>Exact path: a finite value is a sign, an integer significand and a power of two; results go through
 * {@link #fpRound}, which takes a significand whose lowest bit may be a "sticky" bit standing for any
 * nonzero remainder below it (callers keep at least two bits between it and the rounding point). Fast path:
 * with the default FPCR (RNE, FZ=0, DN=0) the host's double arithmetic gives the rounded result, and an
 * error term (TwoSum, fma) tells whether it was exact (IXC); anything near the edges (NaN, infinity,
 * denormal, overflow) takes the exact path.
 */
public final class FpCore {
    /** Rounding modes: FPCR.RMode values 0-3, plus the two that only some instructions use. */
    public static final int ROUND_NEAREST_EVEN = 0, ROUND_POS_INF = 1, ROUND_NEG_INF = 2, ROUND_ZERO = 3,
            ROUND_TIES_AWAY = 4, ROUND_ODD = 5;
    /** FPSR cumulative flags. */
    public static final int IOC = 1, DZC = 1 << 1, OFC = 1 << 2, UFC = 1 << 3, IXC = 1 << 4, IDC = 1 << 7, QC = 1 << 27;
    /** FPCR control bits. */
    public static final int FPCR_AHP = 1 << 26, FPCR_DN = 1 << 25, FPCR_FZ = 1 << 24;
    /** FPCR bits that leave the fast path (RMode, FZ, DN). */
    private static final int NON_DEFAULT = 0x03C0_0000;

    private FpCore() {}

    /** FPCR.RMode. */
    public static int rounding(Cpu c) { return (c.fpcr >>> 22) & 3; }

    // ---------------------------------------------------------------- format helpers

    static int fracBits(int size) { return size == 64 ? 52 : size == 32 ? 23 : 10; }

    static int expBits(int size) { return size == 64 ? 11 : size == 32 ? 8 : 5; }

    static long signBit(int size) { return 1L << (size - 1); }

    static long infinity(int size) { return size == 64 ? 0x7FF0_0000_0000_0000L : size == 32 ? 0x7F80_0000L : 0x7C00L; }

    static long maxNormal(int size) { return infinity(size) - 1; }

    /** FPDefaultNaN. */
    public static long defaultNaN(int size) { return size == 64 ? 0x7FF8_0000_0000_0000L : size == 32 ? 0x7FC0_0000L : 0x7E00L; }

    static long quietBit(int size) { return 1L << (fracBits(size) - 1); }

    static long magnitude(long a, int size) { return a & (signBit(size) - 1); }

    public static boolean isNaN(long a, int size) { return magnitude(a, size) > infinity(size); }

    static boolean isSNaN(long a, int size) { return isNaN(a, size) && (a & quietBit(size)) == 0; }

    static boolean isInf(long a, int size) { return magnitude(a, size) == infinity(size); }

    static boolean isZero(long a, int size) { return magnitude(a, size) == 0; }

    static boolean isNeg(long a, int size) { return (a & signBit(size)) != 0; }

    /** Significand of a finite nonzero value (implicit bit included), as an integer. */
    static long significand(long a, int size) {
        int f = fracBits(size);
        long frac = a & ((1L << f) - 1);
        return ((a >>> f) & ((1 << expBits(size)) - 1)) == 0 ? frac : frac | (1L << f);
    }

    /** Power of two of the significand's lowest bit, for a finite nonzero value. */
    static int lsbExponent(long a, int size) {
        int f = fracBits(size);
        int bias = (1 << (expBits(size) - 1)) - 1;
        int e = (int) ((a >>> f) & ((1 << expBits(size)) - 1));
        return (e == 0 ? 1 : e) - bias - f;
    }

    /**
     * The input-denormal part of FPUnpack: with FPCR.FZ a single or double denormal reads as a zero of the
     * same sign and raises IDC. Half precision is never flushed (FZ16 is not implemented).
     */
    static long flush(Cpu c, long a, int size) {
        if ((c.fpcr & FPCR_FZ) != 0 && size != 16 && (a & infinity(size)) == 0 && magnitude(a, size) != 0) {
            c.fpsr |= IDC;
            return a & signBit(size);
        }
        return a;
    }

    /** FPProcessNaN: quiet a signalling NaN (IOC), or the default NaN with FPCR.DN. */
    static long processNaN(Cpu c, long a, int size) {
        if ((a & quietBit(size)) == 0) {
            c.fpsr |= IOC;
            a |= quietBit(size);
        }
        return (c.fpcr & FPCR_DN) != 0 ? defaultNaN(size) : a;
    }

    /** FPProcessNaNs: signalling NaNs first, then quiet ones; the caller knows one of them is a NaN. */
    static long processNaNs(Cpu c, long a, long b, int size) {
        if (isSNaN(a, size)) return processNaN(c, a, size);
        if (isSNaN(b, size)) return processNaN(c, b, size);
        if (isNaN(a, size)) return processNaN(c, a, size);
        return processNaN(c, b, size);
    }

    static long processNaNs3(Cpu c, long a, long b, long d, int size) {
        if (isSNaN(a, size)) return processNaN(c, a, size);
        if (isSNaN(b, size)) return processNaN(c, b, size);
        if (isSNaN(d, size)) return processNaN(c, d, size);
        if (isNaN(a, size)) return processNaN(c, a, size);
        if (isNaN(b, size)) return processNaN(c, b, size);
        return processNaN(c, d, size);
    }

    private static long zeroOfRounding(int size, int rounding) {
        return rounding == ROUND_NEG_INF ? signBit(size) : 0;
    }

    // ---------------------------------------------------------------- FPRound

    /** FPRound of {@code (neg ? -1 : 1) * mant * 2^exp}, mant > 0, with FPCR.FZ. */
    static long fpRound(Cpu c, boolean neg, int exp, long mant, int size, int rounding) {
        return fpRoundBase(c, neg, exp, mant, size, rounding, size != 16 && (c.fpcr & FPCR_FZ) != 0, false);
    }

    /**
     * FPRoundBase. {@code mant}'s lowest bit may be sticky (see the class comment). {@code flushToZero}:
     * a result below the normal range becomes zero with UFC (FPCR.FZ); {@code altHp}: the Arm alternative
     * half-precision format (no infinities: overflow saturates with IOC).
     */
    static long fpRoundBase(Cpu c, boolean neg, int exp, long mant, int size, int rounding, boolean flushToZero, boolean altHp) {
        int f = fracBits(size), e = expBits(size), bias = (1 << (e - 1)) - 1;
        long sign = neg ? signBit(size) : 0;
        int lz = Long.numberOfLeadingZeros(mant);
        if (lz == 0) {
            mant = (mant >>> 1) | (mant & 1);
            exp += 1;
        } else {
            mant <<= lz - 1;
            exp -= lz - 1;
        }
        int unbiased = exp + 62, minExp = 1 - bias;
        if (flushToZero && unbiased < minExp) {
            c.fpsr |= UFC;
            return sign;
        }
        int biased = unbiased < minExp ? 0 : unbiased + bias;
        int shift = 62 - f + (biased == 0 ? minExp - unbiased : 0);
        long intMant, rem, half;
        if (shift >= 64) {
            intMant = 0;
            rem = 1;
            half = Long.MAX_VALUE;
        } else {
            intMant = mant >>> shift;
            rem = mant & ((1L << shift) - 1);
            half = 1L << (shift - 1);
        }
        boolean inexact = rem != 0, roundUp, overflowToInf;
        switch (rounding) {
            case ROUND_NEAREST_EVEN -> {
                roundUp = rem > half || (rem == half && (intMant & 1) != 0);
                overflowToInf = true;
            }
            case ROUND_POS_INF -> {
                roundUp = inexact && !neg;
                overflowToInf = !neg;
            }
            case ROUND_NEG_INF -> {
                roundUp = inexact && neg;
                overflowToInf = neg;
            }
            case ROUND_TIES_AWAY -> {
                roundUp = rem >= half;
                overflowToInf = true;
            }
            default -> {
                roundUp = false;
                overflowToInf = false;
            }
        }
        int flags = 0;
        if (biased == 0 && inexact) flags |= UFC;
        if (roundUp) {
            intMant++;
            if (intMant == 1L << f) biased = 1;
            if (intMant == 1L << (f + 1)) {
                biased++;
                intMant >>>= 1;
            }
        }
        if (rounding == ROUND_ODD && inexact) intMant |= 1;
        long result;
        if (!altHp) {
            if (biased >= (1 << e) - 1) {
                result = sign | (overflowToInf ? infinity(size) : maxNormal(size));
                flags |= OFC;
                inexact = true;
            } else {
                result = sign | ((long) biased << f) | (intMant & ((1L << f) - 1));
            }
        } else if (biased >= 1 << e) {
            result = sign | 0x7FFF;
            flags |= IOC;
            inexact = false;
        } else {
            result = sign | ((long) biased << f) | (intMant & ((1L << f) - 1));
        }
        if (inexact) flags |= IXC;
        c.fpsr |= flags;
        return result;
    }

    // ---------------------------------------------------------------- add, sub

    public static long add(Cpu c, long a, long b, int size) {
        if ((c.fpcr & NON_DEFAULT) == 0) {
            if (size == 64) {
                double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b), s = x + y;
                double as = Math.abs(s);
                if (as >= Double.MIN_NORMAL && as <= Double.MAX_VALUE && Math.abs(x) <= Double.MAX_VALUE && Math.abs(y) <= Double.MAX_VALUE) {
                    double bb = s - x;
                    if ((x - (s - bb)) + (y - bb) != 0) c.fpsr |= IXC;
                    return Double.doubleToRawLongBits(s);
                }
            } else if (size == 32) {
                float fx = Float.intBitsToFloat((int) a), fy = Float.intBitsToFloat((int) b);
                double x = fx, y = fy, s = x + y;
                float r = (float) s;
                float ar = Math.abs(r);
                if (ar >= Float.MIN_NORMAL && ar <= Float.MAX_VALUE && Math.abs(fx) <= Float.MAX_VALUE && Math.abs(fy) <= Float.MAX_VALUE) {
                    double bb = s - x;
                    if ((x - (s - bb)) + (y - bb) != 0 || r != s) c.fpsr |= IXC;
                    return Float.floatToRawIntBits(r) & 0xFFFF_FFFFL;
                }
            }
        }
        return addSlow(c, a, b, size, false);
    }

    public static long sub(Cpu c, long a, long b, int size) {
        if ((c.fpcr & NON_DEFAULT) == 0 && !isNaN(b, size)) return add(c, a, b ^ signBit(size), size);
        return addSlow(c, a, b, size, true);
    }

    /** FPAdd / FPSub (negating b after the NaN checks, so a NaN keeps its sign). */
    static long addSlow(Cpu c, long a, long b, int size, boolean negateB) {
        a = flush(c, a, size);
        b = flush(c, b, size);
        if (isNaN(a, size) || isNaN(b, size)) return processNaNs(c, a, b, size);
        if (negateB) b ^= signBit(size);
        int rounding = rounding(c);
        boolean infA = isInf(a, size), infB = isInf(b, size), negA = isNeg(a, size), negB = isNeg(b, size);
        if (infA && infB && negA != negB) {
            c.fpsr |= IOC;
            return defaultNaN(size);
        }
        if (infA) return a;
        if (infB) return b;
        boolean zeroA = isZero(a, size), zeroB = isZero(b, size);
        if (zeroA && zeroB) return negA == negB ? a : zeroOfRounding(size, rounding);
        if (zeroA) return b;
        if (zeroB) return a;
        long ma = significand(a, size), mb = significand(b, size);
        int ea = lsbExponent(a, size), eb = lsbExponent(b, size);
        int la = 61 - (63 - Long.numberOfLeadingZeros(ma)), lb = 61 - (63 - Long.numberOfLeadingZeros(mb));
        ma <<= la;
        ea -= la;
        mb <<= lb;
        eb -= lb;
        if (ea < eb) {
            long t = ma; ma = mb; mb = t;
            int te = ea; ea = eb; eb = te;
            boolean tn = negA; negA = negB; negB = tn;
        }
        mb = shiftRightSticky(mb, ea - eb);
        long m;
        boolean negR = negA;
        if (negA == negB) {
            m = ma + mb;
        } else {
            m = ma - mb;
            if (m == 0) return zeroOfRounding(size, rounding);
            if (m < 0) {
                m = -m;
                negR = negB;
            }
        }
        return fpRound(c, negR, ea, m, size, rounding);
    }

    /** Shift right, ORing what falls off into bit 0. */
    static long shiftRightSticky(long m, int n) {
        if (n == 0) return m;
        if (n >= 63) return m != 0 ? 1 : 0;
        return (m >>> n) | ((m & ((1L << n) - 1)) != 0 ? 1 : 0);
    }

    // ---------------------------------------------------------------- mul, mulX, div

    public static long mul(Cpu c, long a, long b, int size) {
        if ((c.fpcr & NON_DEFAULT) == 0) {
            if (size == 64) {
                double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b), p = x * y;
                double ap = Math.abs(p);
                if (ap >= 0x1p-960 && ap <= Double.MAX_VALUE) {
                    if (Math.fma(x, y, -p) != 0) c.fpsr |= IXC;
                    return Double.doubleToRawLongBits(p);
                }
            } else if (size == 32) {
                double p = (double) Float.intBitsToFloat((int) a) * (double) Float.intBitsToFloat((int) b);
                float r = (float) p;
                // The exact product, not the rounded one, decides tininess (before rounding).
                if (Math.abs(p) >= Float.MIN_NORMAL && Math.abs(r) <= Float.MAX_VALUE) {
                    if (r != p) c.fpsr |= IXC;
                    return Float.floatToRawIntBits(r) & 0xFFFF_FFFFL;
                }
            }
        }
        return mulSlow(c, a, b, size, false);
    }

    /** FPMulX: like mul, but infinity times zero is 2.0 with the XOR of the signs. */
    public static long mulX(Cpu c, long a, long b, int size) {
        return mulSlow(c, a, b, size, true);
    }

    static long mulSlow(Cpu c, long a, long b, int size, boolean mulX) {
        a = flush(c, a, size);
        b = flush(c, b, size);
        if (isNaN(a, size) || isNaN(b, size)) return processNaNs(c, a, b, size);
        long sign = (a ^ b) & signBit(size);
        boolean infA = isInf(a, size), infB = isInf(b, size), zeroA = isZero(a, size), zeroB = isZero(b, size);
        if ((infA && zeroB) || (zeroA && infB)) {
            if (mulX) return sign | two(size);
            c.fpsr |= IOC;
            return defaultNaN(size);
        }
        if (infA || infB) return sign | infinity(size);
        if (zeroA || zeroB) return sign;
        long ma = significand(a, size), mb = significand(b, size);
        int la = Long.numberOfLeadingZeros(ma) - 1, lb = Long.numberOfLeadingZeros(mb) - 1;
        ma <<= la;
        mb <<= lb;
        long hi = Math.unsignedMultiplyHigh(ma, mb), lo = ma * mb;
        int exp = lsbExponent(a, size) - la + lsbExponent(b, size) - lb + 64;
        return fpRound(c, sign != 0, exp, hi | (lo != 0 ? 1 : 0), size, rounding(c));
    }

    static long two(int size) { return size == 64 ? 0x4000_0000_0000_0000L : size == 32 ? 0x4000_0000L : 0x4000L; }

    public static long div(Cpu c, long a, long b, int size) {
        if ((c.fpcr & NON_DEFAULT) == 0) {
            if (size == 64) {
                double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b), q = x / y;
                double ax = Math.abs(x), ay = Math.abs(y), aq = Math.abs(q);
                if (ax >= 0x1p-900 && ax <= Double.MAX_VALUE && ay >= Double.MIN_NORMAL && ay <= Double.MAX_VALUE
                        && aq >= 0x1p-900 && aq <= Double.MAX_VALUE) {
                    if (Math.fma(-q, y, x) != 0) c.fpsr |= IXC;
                    return Double.doubleToRawLongBits(q);
                }
            } else if (size == 32) {
                double x = Float.intBitsToFloat((int) a), y = Float.intBitsToFloat((int) b);
                double q = x / y;
                float r = (float) q;
                // q above the smallest normal implies the exact quotient is not tiny.
                if (Math.abs(q) > Float.MIN_NORMAL && Math.abs(r) <= Float.MAX_VALUE && Math.abs(y) <= Float.MAX_VALUE) {
                    if (Math.fma(-(double) r, y, x) != 0) c.fpsr |= IXC;
                    return Float.floatToRawIntBits(r) & 0xFFFF_FFFFL;
                }
            }
        }
        return divSlow(c, a, b, size);
    }

    static long divSlow(Cpu c, long a, long b, int size) {
        a = flush(c, a, size);
        b = flush(c, b, size);
        if (isNaN(a, size) || isNaN(b, size)) return processNaNs(c, a, b, size);
        long sign = (a ^ b) & signBit(size);
        boolean infA = isInf(a, size), infB = isInf(b, size), zeroA = isZero(a, size), zeroB = isZero(b, size);
        if ((infA && infB) || (zeroA && zeroB)) {
            c.fpsr |= IOC;
            return defaultNaN(size);
        }
        if (infA || zeroB) {
            if (!infA) c.fpsr |= DZC;
            return sign | infinity(size);
        }
        if (zeroA || infB) return sign;
        long ma = significand(a, size), mb = significand(b, size);
        int la = Long.numberOfLeadingZeros(ma) - 2, lb = Long.numberOfLeadingZeros(mb) - 2;
        ma <<= la;
        mb <<= lb;
        // Restoring division: q = floor(ma * 2^61 / mb), 61 or 62 bits.
        long q = 0, rem = ma;
        for (int i = 0; i < 62; i++) {
            q <<= 1;
            if (rem >= mb) {
                rem -= mb;
                q |= 1;
            }
            rem <<= 1;
        }
        int exp = lsbExponent(a, size) - la - (lsbExponent(b, size) - lb) - 61;
        return fpRound(c, sign != 0, exp, q | (rem != 0 ? 1 : 0), size, rounding(c));
    }

    // ---------------------------------------------------------------- fused multiply-add

    /** FPMulAdd: addend + a * b with a single rounding. */
    public static long mulAdd(Cpu c, long addend, long a, long b, int size) {
        if ((c.fpcr & NON_DEFAULT) == 0) {
            long r = size == 64 ? fastMulAdd64(c, addend, a, b) : size == 32 ? fastMulAdd32(c, addend, a, b) : -1;
            if (r != -1) return r;
        }
        addend = flush(c, addend, size);
        a = flush(c, a, size);
        b = flush(c, b, size);
        boolean infA = isInf(a, size), infB = isInf(b, size), zeroA = isZero(a, size), zeroB = isZero(b, size);
        boolean nanC = isNaN(addend, size);
        if (nanC || isNaN(a, size) || isNaN(b, size)) {
            long r = processNaNs3(c, addend, a, b, size);
            if (nanC && !isSNaN(addend, size) && ((infA && zeroB) || (zeroA && infB))) {
                c.fpsr |= IOC;
                return defaultNaN(size);
            }
            return r;
        }
        return fusedMulAdd(c, addend, a, b, size, 0, rounding(c));
    }

    /**
     * Double FMA by the host when the result is normal and its exactness can be told from the lowest set
     * bits: the product's is at L1, the addend's at L2; if they differ, the exact sum's lowest set bit is
     * min(L1, L2), and it is representable iff that is not below the result's ulp. -1 when undecided.
     */
    private static long fastMulAdd64(Cpu c, long addend, long a, long b) {
        long ma = significand(a, 64), mb = significand(b, 64), mc = significand(addend, 64);
        if (((a >>> 52) & 0x7FF) == 0x7FF || ((b >>> 52) & 0x7FF) == 0x7FF || ((addend >>> 52) & 0x7FF) == 0x7FF || ma == 0 || mb == 0 || mc == 0)
            return -1;
        double r = Math.fma(Double.longBitsToDouble(a), Double.longBitsToDouble(b), Double.longBitsToDouble(addend));
        double ar = Math.abs(r);
        // Above the smallest normal: the exact sum is not tiny either (rounding is monotonic).
        if (!(ar > Double.MIN_NORMAL && ar <= Double.MAX_VALUE)) return -1;
        int l1 = Long.numberOfTrailingZeros(ma) + lsbExponent(a, 64) + Long.numberOfTrailingZeros(mb) + lsbExponent(b, 64);
        int l2 = Long.numberOfTrailingZeros(mc) + lsbExponent(addend, 64);
        if (Math.min(l1, l2) < Math.getExponent(r) - 52) {
            if (l1 == l2) return -1;
            c.fpsr |= IXC;
        }
        return Double.doubleToRawLongBits(r);
    }

    /**
     * Single FMA through doubles: the product is exact, TwoSum gives the sum's error; rounding the double
     * sum to single is then right unless the double sum sits exactly halfway between two singles while
     * inexact. -1 when undecided.
     */
    private static long fastMulAdd32(Cpu c, long addend, long a, long b) {
        double p = (double) Float.intBitsToFloat((int) a) * (double) Float.intBitsToFloat((int) b);
        double z = Float.intBitsToFloat((int) addend);
        double s = p + z;
        float f = (float) s;
        if (!(Math.abs(s) > Float.MIN_NORMAL && Math.abs(f) <= Float.MAX_VALUE)) return -1;
        double bb = s - p;
        double t = (p - (s - bb)) + (z - bb);
        if (t != 0) {
            if ((Double.doubleToRawLongBits(s) & ((1L << 29) - 1)) == 1L << 28) return -1;
            c.fpsr |= IXC;
        } else if (f != s) {
            c.fpsr |= IXC;
        }
        return Float.floatToRawIntBits(f) & 0xFFFF_FFFFL;
    }

    /**
     * addend + a * b, times 2^scale, rounded once; operands already flushed and not NaN. Invalid products
     * and infinities as in FPMulAdd.
     */
    static long fusedMulAdd(Cpu c, long addend, long a, long b, int size, int scale, int rounding) {
        boolean infA = isInf(a, size), infB = isInf(b, size), zeroA = isZero(a, size), zeroB = isZero(b, size);
        boolean infC = isInf(addend, size), zeroC = isZero(addend, size);
        boolean negC = isNeg(addend, size), negP = isNeg(a ^ b, size);
        boolean infP = infA || infB, zeroP = zeroA || zeroB;
        if ((infA && zeroB) || (zeroA && infB) || (infC && infP && negC != negP)) {
            c.fpsr |= IOC;
            return defaultNaN(size);
        }
        if ((infC && !negC) || (infP && !negP)) return infinity(size);
        if (infC || infP) return signBit(size) | infinity(size);
        if (zeroC && zeroP) return negC == negP ? addend : zeroOfRounding(size, rounding);
        if (zeroP) {
            if (scale == 0) return addend;
            return fpRound(c, negC, lsbExponent(addend, size) + scale, significand(addend, size), size, rounding);
        }
        long ma = significand(a, size), mb = significand(b, size);
        int la = Long.numberOfLeadingZeros(ma) - 1, lb = Long.numberOfLeadingZeros(mb) - 1;
        ma <<= la;
        mb <<= lb;
        // Product: [2^124, 2^126) as (ph, pl) times 2^ep; normalized to its top bit at 125.
        long ph = Math.unsignedMultiplyHigh(ma, mb), pl = ma * mb;
        int ep = lsbExponent(a, size) - la + lsbExponent(b, size) - lb;
        if (ph >>> 61 == 0) {
            ph = (ph << 1) | (pl >>> 63);
            pl <<= 1;
            ep--;
        }
        if (zeroC) return roundWide(c, negP, ep + scale, ph, pl, size, rounding);
        long mc = significand(addend, size);
        int lc = Long.numberOfLeadingZeros(mc) - 2;
        mc <<= lc; // top at 61: as 128 bits (mc, 0) its top is at 125
        long ch = mc, cl = 0;
        int ec = lsbExponent(addend, size) - lc - 64;
        // x: the operand with the larger exponent, y is shifted right to align.
        long xh, xl, yh, yl;
        boolean negX, negY;
        int ex, d;
        if (ep >= ec) {
            xh = ph; xl = pl; negX = negP; yh = ch; yl = cl; negY = negC; ex = ep; d = ep - ec;
        } else {
            xh = ch; xl = cl; negX = negC; yh = ph; yl = pl; negY = negP; ex = ec; d = ec - ep;
        }
        if (d >= 128) {
            yl = 1;
            yh = 0;
        } else if (d > 64) {
            boolean st = yl != 0 || (yh << (128 - d)) != 0;
            yl = (yh >>> (d - 64)) | (st ? 1 : 0);
            yh = 0;
        } else if (d == 64) {
            boolean st = yl != 0;
            yl = yh | (st ? 1 : 0);
            yh = 0;
        } else if (d > 0) {
            boolean st = (yl << (64 - d)) != 0;
            yl = (yl >>> d) | (yh << (64 - d)) | (st ? 1 : 0);
            yh >>>= d;
        }
        long rh, rl;
        boolean negR = negX;
        if (negX == negY) {
            rl = xl + yl;
            rh = xh + yh + (Long.compareUnsigned(rl, xl) < 0 ? 1 : 0);
        } else {
            rl = xl - yl;
            rh = xh - yh - (Long.compareUnsigned(xl, yl) < 0 ? 1 : 0);
            if (rh == 0 && rl == 0) return zeroOfRounding(size, rounding);
            if (rh < 0) {
                rl = -rl;
                rh = ~rh + (rl == 0 ? 1 : 0);
                negR = negY;
            }
        }
        return roundWide(c, negR, ex + scale, rh, rl, size, rounding);
    }

    /** FPRound of the 128-bit significand (hi, lo) times 2^exp, nonzero and below 2^127. */
    static long roundWide(Cpu c, boolean neg, int exp, long hi, long lo, int size, int rounding) {
        if (hi == 0) {
            if (lo < 0) return fpRound(c, neg, exp + 1, (lo >>> 1) | (lo & 1), size, rounding);
            return fpRound(c, neg, exp, lo, size, rounding);
        }
        int top = 127 - Long.numberOfLeadingZeros(hi);
        int shift = top - 62; // 2..64
        long m;
        boolean st;
        if (shift == 64) {
            m = hi;
            st = lo != 0;
        } else {
            m = (hi << (64 - shift)) | (lo >>> shift);
            st = (lo << (64 - shift)) != 0;
        }
        return fpRound(c, neg, exp + shift, m | (st ? 1 : 0), size, rounding);
    }

    // ---------------------------------------------------------------- sqrt

    public static long sqrt(Cpu c, long a, int size) {
        a = flush(c, a, size);
        if (isNaN(a, size)) return processNaN(c, a, size);
        if (isZero(a, size)) return a;
        if (isNeg(a, size)) {
            c.fpsr |= IOC;
            return defaultNaN(size);
        }
        if (isInf(a, size)) return a;
        long m = significand(a, size);
        int e = lsbExponent(a, size);
        // a = d * 2^(e - t) with d = m * 2^t in [1, 4) and e - t even; sqrt(d) rounded by the host is
        // correctly rounded, and fma(-s, s, d) (exact) says on which side of s the true root lies.
        int t = -(63 - Long.numberOfLeadingZeros(m));
        if (((e - t) & 1) != 0) t++;
        double d = Math.scalb((double) m, t);
        double s = Math.sqrt(d);
        double r = Math.fma(-s, s, d);
        long ms = (Double.doubleToRawLongBits(s) & 0x000F_FFFF_FFFF_FFFFL) | 0x0010_0000_0000_0000L;
        long m2 = ms << 2;
        if (r > 0) m2 |= 1;
        else if (r < 0) m2 -= 1;
        int exp = Math.getExponent(s) - 52 - 2 + (e - t) / 2;
        return fpRound(c, false, exp, m2, size, rounding(c));
    }

    // ---------------------------------------------------------------- min, max

    /** A key ordering finite and infinite values numerically (both zeros equal). */
    static long orderKey(long a, int size) {
        long m = magnitude(a, size);
        return isNeg(a, size) ? -m : m;
    }

    public static long max(Cpu c, long a, long b, int size) { return maxMin(c, a, b, size, true); }

    public static long min(Cpu c, long a, long b, int size) { return maxMin(c, a, b, size, false); }

    /** FPMax / FPMin. */
    static long maxMin(Cpu c, long a, long b, int size, boolean max) {
        a = flush(c, a, size);
        b = flush(c, b, size);
        if (isNaN(a, size) || isNaN(b, size)) return processNaNs(c, a, b, size);
        long ka = orderKey(a, size), kb = orderKey(b, size);
        long r = (max ? ka > kb : ka < kb) ? a : b;
        if (isZero(r, size)) {
            long sb = signBit(size);
            return max ? (a & b & sb) : ((a | b) & sb);
        }
        return r;
    }

    public static long maxNum(Cpu c, long a, long b, int size) { return maxMinNum(c, a, b, size, true); }

    public static long minNum(Cpu c, long a, long b, int size) { return maxMinNum(c, a, b, size, false); }

    /** FPMaxNum / FPMinNum: a single quiet NaN loses to a number (it stands for -inf / +inf). */
    static long maxMinNum(Cpu c, long a, long b, int size, boolean max) {
        a = flush(c, a, size);
        b = flush(c, b, size);
        boolean qa = isNaN(a, size) && !isSNaN(a, size), qb = isNaN(b, size) && !isSNaN(b, size);
        long inf = (max ? signBit(size) : 0) | infinity(size);
        if (qa && !qb) a = inf;
        else if (!qa && qb) b = inf;
        return maxMin(c, a, b, size, max);
    }

    // ---------------------------------------------------------------- compares

    /** FPCompare: the NZCV result (bits 3..0) of comparing a with b; IOC for signalling NaNs, or any NaN when {@code signalAllNaNs}. */
    public static int compare(Cpu c, long a, long b, int size, boolean signalAllNaNs) {
        a = flush(c, a, size);
        b = flush(c, b, size);
        if (isNaN(a, size) || isNaN(b, size)) {
            if (signalAllNaNs || isSNaN(a, size) || isSNaN(b, size)) c.fpsr |= IOC;
            return 0b0011;
        }
        long ka = orderKey(a, size), kb = orderKey(b, size);
        return ka == kb ? 0b0110 : ka < kb ? 0b1000 : 0b0010;
    }

    /** FPCompareEQ (quiet), FPCompareGE and FPCompareGT (signalling), for the vector and scalar FCMxx. */
    public static boolean compareEq(Cpu c, long a, long b, int size) {
        a = flush(c, a, size);
        b = flush(c, b, size);
        if (isNaN(a, size) || isNaN(b, size)) {
            if (isSNaN(a, size) || isSNaN(b, size)) c.fpsr |= IOC;
            return false;
        }
        return orderKey(a, size) == orderKey(b, size);
    }

    public static boolean compareGe(Cpu c, long a, long b, int size) {
        a = flush(c, a, size);
        b = flush(c, b, size);
        if (isNaN(a, size) || isNaN(b, size)) {
            c.fpsr |= IOC;
            return false;
        }
        return orderKey(a, size) >= orderKey(b, size);
    }

    public static boolean compareGt(Cpu c, long a, long b, int size) {
        a = flush(c, a, size);
        b = flush(c, b, size);
        if (isNaN(a, size) || isNaN(b, size)) {
            c.fpsr |= IOC;
            return false;
        }
        return orderKey(a, size) > orderKey(b, size);
    }

    // ---------------------------------------------------------------- rounding to integers

    /** Whether a magnitude with remainder {@code rem} out of {@code half * 2} rounds away from zero. */
    private static boolean roundMagnitudeUp(long intMag, long rem, long half, boolean neg, int rounding) {
        if (rem == 0) return false;
        return switch (rounding) {
            case ROUND_NEAREST_EVEN -> Long.compareUnsigned(rem, half) > 0 || (rem == half && (intMag & 1) != 0);
            case ROUND_TIES_AWAY -> Long.compareUnsigned(rem, half) >= 0;
            case ROUND_POS_INF -> !neg;
            case ROUND_NEG_INF -> neg;
            default -> false;
        };
    }

    /** FPRoundInt: round to an integral value in {@code rounding}; {@code exact} raises IXC when the value changes (FRINTX). */
    public static long roundInt(Cpu c, long a, int size, int rounding, boolean exact) {
        a = flush(c, a, size);
        if (isNaN(a, size)) return processNaN(c, a, size);
        if (isInf(a, size) || isZero(a, size)) return a;
        int e = lsbExponent(a, size);
        if (e >= 0) return a;
        long m = significand(a, size);
        boolean neg = isNeg(a, size);
        int shift = -e;
        long mag, rem, half;
        if (shift >= 62) {
            mag = 0;
            rem = m;
            half = Long.MAX_VALUE; // the value is below 1/2
        } else {
            mag = m >>> shift;
            rem = m & ((1L << shift) - 1);
            half = 1L << (shift - 1);
        }
        if (roundMagnitudeUp(mag, rem, half, neg, rounding)) mag++;
        if (exact && rem != 0) c.fpsr |= IXC;
        if (mag == 0) return a & signBit(size);
        return fpRound(c, neg, 0, mag, size, ROUND_ZERO);
    }

    /** FPToFixed: to a signed or unsigned {@code intSize}-bit integer with {@code fbits} fraction bits, saturating (IOC); the result is masked to intSize bits. */
    public static long toFixed(Cpu c, long a, int fbits, boolean unsigned, int rounding, int size, int intSize) {
        a = flush(c, a, size);
        long mask = intSize == 64 ? -1L : (1L << intSize) - 1;
        if (isNaN(a, size)) {
            c.fpsr |= IOC;
            return 0;
        }
        boolean neg = isNeg(a, size);
        if (isZero(a, size)) return 0;
        long mag = 0, rem = 0, half = 0;
        boolean overflow = false;
        if (isInf(a, size)) {
            overflow = true;
        } else {
            long m = significand(a, size);
            int e = lsbExponent(a, size) + fbits;
            if (e >= 0) {
                if (64 - Long.numberOfLeadingZeros(m) + e > 64) overflow = true;
                else mag = m << e;
            } else if (-e >= 62) {
                rem = m;
                half = Long.MAX_VALUE;
            } else {
                mag = m >>> -e;
                rem = m & ((1L << -e) - 1);
                half = 1L << (-e - 1);
            }
            if (!overflow && roundMagnitudeUp(mag, rem, half, neg, rounding)) {
                mag++;
                if (mag == 0) overflow = true;
            }
        }
        if (!overflow) {
            if (unsigned) overflow = neg ? mag != 0 : intSize < 64 && Long.compareUnsigned(mag, mask) > 0;
            else overflow = Long.compareUnsigned(mag, (1L << (intSize - 1)) - (neg ? 0 : 1)) > 0;
        }
        if (overflow) {
            c.fpsr |= IOC;
            if (unsigned) return neg ? 0 : mask;
            return (neg ? 1L << (intSize - 1) : (1L << (intSize - 1)) - 1) & mask;
        }
        if (rem != 0) c.fpsr |= IXC;
        return (neg ? -mag : mag) & mask;
    }

    /** FixedToFP: from a signed or unsigned {@code intSize}-bit integer with {@code fbits} fraction bits. */
    public static long fixedToFp(Cpu c, long a, int fbits, boolean unsigned, int rounding, int intSize, int size) {
        if (intSize < 64) a = unsigned ? a & ((1L << intSize) - 1) : (a << (64 - intSize)) >> (64 - intSize);
        if (a == 0) return 0;
        boolean neg = !unsigned && a < 0;
        long mag = neg ? -a : a;
        if (mag < 0) return fpRound(c, neg, 1 - fbits, (mag >>> 1) | (mag & 1), size, rounding);
        return fpRound(c, neg, -fbits, mag, size, rounding);
    }

    // ---------------------------------------------------------------- precision conversion

    /** FPConvert between precisions (half with FPCR.AHP), rounding as given (ROUND_ODD for FCVTXN). */
    public static long convert(Cpu c, long a, int fromSize, int toSize, int rounding) {
        boolean ahp = (c.fpcr & FPCR_AHP) != 0;
        a = flush(c, a, fromSize);
        boolean altIn = fromSize == 16 && ahp, altOut = toSize == 16 && ahp;
        long sign = isNeg(a, fromSize) ? signBit(toSize) : 0;
        if (!altIn && isNaN(a, fromSize)) {
            boolean snan = isSNaN(a, fromSize);
            long r;
            if (altOut) r = sign;
            else if ((c.fpcr & FPCR_DN) != 0) r = defaultNaN(toSize);
            else r = convertNaN(a, fromSize, toSize);
            if (snan || altOut) c.fpsr |= IOC;
            return r;
        }
        if (!altIn && isInf(a, fromSize)) {
            if (altOut) {
                c.fpsr |= IOC;
                return sign | 0x7FFF;
            }
            return sign | infinity(toSize);
        }
        if (isZero(a, fromSize)) return sign;
        return fpRoundBase(c, sign != 0, lsbExponent(a, fromSize), significand(a, fromSize), toSize, rounding,
                toSize != 16 && (c.fpcr & FPCR_FZ) != 0, altOut);
    }

    /** FPConvertNaN: quiet, same sign, payload kept from the top of the fraction. */
    static long convertNaN(long a, int fromSize, int toSize) {
        long payload = switch (fromSize) {
            case 16 -> (a & 0x1FF) << 42;
            case 32 -> (a & 0x3F_FFFF) << 29;
            default -> a & ((1L << 51) - 1);
        };
        long sign = isNeg(a, fromSize) ? signBit(toSize) : 0;
        return switch (toSize) {
            case 16 -> sign | 0x7E00 | (payload >>> 42);
            case 32 -> sign | 0x7FC0_0000L | (payload >>> 29);
            default -> sign | 0x7FF8_0000_0000_0000L | payload;
        };
    }

    // ---------------------------------------------------------------- estimates and steps

    /** RecipEstimate: a in 256..511 (0.5 <= a/512 < 1), result in 256..511 (1 <= r/256 < 2). */
    static int recipEstimate(int a) {
        a = a * 2 + 1;
        int b = (1 << 19) / a;
        return (b + 1) / 2;
    }

    /** RecipSqrtEstimate: a in 128..511, result in 256..511. */
    static int recipSqrtEstimate(int a) {
        if (a < 256) a = a * 2 + 1;
        else {
            a = (a >> 1) << 1;
            a = (a + 1) * 2;
        }
        int b = 512;
        while ((long) a * (b + 1) * (b + 1) < (1L << 28)) b++;
        return (b + 1) / 2;
    }

    /** FPRecipEstimate (FRECPE). */
    public static long recipEstimate(Cpu c, long a, int size) {
        a = flush(c, a, size);
        if (isNaN(a, size)) return processNaN(c, a, size);
        long sign = a & signBit(size);
        boolean neg = sign != 0;
        if (isInf(a, size)) return sign;
        if (isZero(a, size)) {
            c.fpsr |= DZC;
            return sign | infinity(size);
        }
        int f = fracBits(size);
        long mag = magnitude(a, size);
        // Below 2^-(bias+1) (half: 2^-16) the reciprocal overflows.
        long tiny = size == 16 ? 0x0100L : size == 32 ? 0x0020_0000L : 0x0004_0000_0000_0000L;
        if (mag < tiny) {
            int rm = rounding(c);
            boolean toInf = rm == ROUND_NEAREST_EVEN || (rm == ROUND_POS_INF && !neg) || (rm == ROUND_NEG_INF && neg);
            c.fpsr |= OFC | IXC;
            return sign | (toInf ? infinity(size) : maxNormal(size));
        }
        long big = size == 16 ? 0x7400L : size == 32 ? 0x7E80_0000L : 0x7FD0_0000_0000_0000L; // 2^14, 2^126, 2^1022
        if (size != 16 && (c.fpcr & FPCR_FZ) != 0 && mag >= big) {
            c.fpsr |= UFC;
            return sign;
        }
        long fraction = (a & ((1L << f) - 1)) << (52 - f);
        int exp = (int) (mag >>> f);
        if (exp == 0) {
            if ((fraction >>> 51) == 0) {
                exp = -1;
                fraction = (fraction << 2) & ((1L << 52) - 1);
            } else {
                fraction = (fraction << 1) & ((1L << 52) - 1);
            }
        }
        int scaled = (int) (0x100 | (fraction >>> 44));
        int resultExp = (size == 16 ? 29 : size == 32 ? 253 : 2045) - exp;
        int estimate = recipEstimate(scaled);
        fraction = (long) (estimate & 0xFF) << 44;
        if (resultExp == 0) {
            fraction = (1L << 51) | (fraction >>> 1);
        } else if (resultExp == -1) {
            fraction = (1L << 50) | (fraction >>> 2);
            resultExp = 0;
        }
        return sign | ((long) resultExp << f) | (fraction >>> (52 - f));
    }

    /** FPRSqrtEstimate (FRSQRTE). */
    public static long rsqrtEstimate(Cpu c, long a, int size) {
        a = flush(c, a, size);
        if (isNaN(a, size)) return processNaN(c, a, size);
        if (isZero(a, size)) {
            c.fpsr |= DZC;
            return (a & signBit(size)) | infinity(size);
        }
        if (isNeg(a, size)) {
            c.fpsr |= IOC;
            return defaultNaN(size);
        }
        if (isInf(a, size)) return 0;
        int f = fracBits(size);
        long fraction = (a & ((1L << f) - 1)) << (52 - f);
        int exp = (int) (a >>> f);
        if (exp == 0) {
            while ((fraction >>> 51) == 0) {
                fraction <<= 1;
                exp--;
            }
            fraction = (fraction << 1) & ((1L << 52) - 1);
        }
        int scaled = (exp & 1) != 0 ? (int) (0x80 | (fraction >>> 45)) : (int) (0x100 | (fraction >>> 44));
        int resultExp = Math.floorDiv((size == 16 ? 44 : size == 32 ? 380 : 3068) - exp, 2);
        int estimate = recipSqrtEstimate(scaled);
        return ((long) resultExp << f) | ((long) (estimate & 0xFF) << (f - 8));
    }

    /** FPRecipStepFused: 2.0 - a * b (FRECPS). */
    public static long recipStepFused(Cpu c, long a, long b, int size) {
        return stepFused(c, a, b, size, false);
    }

    /** FPRSqrtStepFused: (3.0 - a * b) / 2 (FRSQRTS). */
    public static long rsqrtStepFused(Cpu c, long a, long b, int size) {
        return stepFused(c, a, b, size, true);
    }

    static long stepFused(Cpu c, long a, long b, int size, boolean rsqrt) {
        a = flush(c, neg(a, size), size);
        b = flush(c, b, size);
        if (isNaN(a, size) || isNaN(b, size)) return processNaNs(c, a, b, size);
        boolean infA = isInf(a, size), infB = isInf(b, size), zeroA = isZero(a, size), zeroB = isZero(b, size);
        if ((infA && zeroB) || (zeroA && infB)) return rsqrt ? onePointFive(size) : two(size);
        if (infA || infB) return ((a ^ b) & signBit(size)) | infinity(size);
        long addend = rsqrt ? three(size) : two(size);
        return fusedMulAdd(c, addend, a, b, size, rsqrt ? -1 : 0, rounding(c));
    }

    static long onePointFive(int size) { return size == 64 ? 0x3FF8_0000_0000_0000L : size == 32 ? 0x3FC0_0000L : 0x3E00L; }

    static long three(int size) { return size == 64 ? 0x4008_0000_0000_0000L : size == 32 ? 0x4040_0000L : 0x4200L; }

    /** FPRecpX (FRECPX). */
    public static long recpX(Cpu c, long a, int size) {
        a = flush(c, a, size);
        if (isNaN(a, size)) return processNaN(c, a, size);
        int f = fracBits(size);
        long expMask = infinity(size);
        long sign = a & signBit(size);
        long exp = a & expMask;
        if (exp == 0) return sign | (expMask - (1L << f));
        return sign | (~exp & expMask);
    }

    /** UnsignedRecipEstimate and UnsignedRSqrtEstimate (URECPE, URSQRTE) on a 32-bit element. */
    public static int unsignedRecipEstimate(int a) {
        if (a >= 0) return -1;
        return recipEstimate(a >>> 23) << 23;
    }

    public static int unsignedRSqrtEstimate(int a) {
        if ((a >>> 30) == 0) return -1;
        return recipSqrtEstimate(a >>> 23) << 23;
    }

    public static long abs(long a, int size) { return a & ~(1L << (size - 1)); }

    public static long neg(long a, int size) { return a ^ (1L << (size - 1)); }
}
