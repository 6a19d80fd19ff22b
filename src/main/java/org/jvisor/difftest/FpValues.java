package org.jvisor.difftest;

import java.util.Random;

/**
 * Initial FP/SIMD state for generated sequences: V registers whose lanes are mostly floating-point edge
 * values (signed zeros, infinities, quiet and signalling NaNs with payloads, denormals, the largest and
 * smallest normals, values that round at the halfway point, integer limits) in double, single or half
 * precision, or integer edge values, or random bits; FPCR with a random rounding mode, FZ, DN and AHP.
 */
final class FpValues {
    static final long[] DOUBLES = {
            0, 0x8000000000000000L, // +-0
            0x7ff0000000000000L, 0xfff0000000000000L, // +-inf
            0x7ff8000000000000L, 0xfff8000000000000L, 0x7ff8000000000123L, 0x7fffffffffffffffL, // quiet NaNs
            0x7ff0000000000001L, 0x7ff4000000000000L, 0xfff0000000000abcL, 0x7ff7ffffffffffffL, // signalling NaNs
            1, 0x8000000000000001L, 0x000fffffffffffffL, 0x0008000000000000L, 0x800fffffffffffffL, // denormals
            0x0010000000000000L, 0x8010000000000000L, 0x7fefffffffffffffL, 0xffefffffffffffffL, // smallest/largest normals
            0x3ff0000000000000L, 0xbff0000000000000L, 0x3fe0000000000000L, 0xbfe0000000000000L, // +-1, +-0.5
            0x3ff8000000000000L, 0x4004000000000000L, 0xc004000000000000L, 0x400c000000000000L, // 1.5, +-2.5, 3.5
            0x3fdfffffffffffffL, 0x3ff0000000000001L, 0x3fefffffffffffffL, // 0.49999..., 1+ulp, 1-ulp/2
            0x3ff0000010000000L, 0x3ff0000030000000L, 0x3ff0000010000001L, // halfway (and just above) to single
            0x3ff0020000000000L, 0x40effc0000000000L, 0x40effe0000000000L, // halfway to half; 65504; 65520
            0x41dfffffffc00000L, 0x41e0000000000000L, 0xc1e0000000000000L, 0xc1e0000000200000L, // 2^31-1, +-2^31, -2^31-1
            0x41efffffffe00000L, 0x41f0000000000000L, // 2^32-1, 2^32
            0x43dfffffffffffffL, 0x43e0000000000000L, 0xc3e0000000000000L, 0x43f0000000000000L, // near 2^63, 2^64
            0x4330000000000000L, 0x4330000000000001L, 0x432fffffffffffffL, // 2^52, 2^52+1, 2^52-0.5
            0x3ca0000000000000L, 0x7fe0000000000000L, 0x0360000000000000L, 0x0010000000000001L, // small/huge products
            0x36a0000000000000L, 0x3690000000000000L, 0x47efffffe0000000L, 0x47f0000000000000L, // single denormal/overflow edges
            0x400921fb54442d18L, 0x3fb999999999999aL, // pi, 0.1
    };

    static final int[] SINGLES = {
            0, 0x80000000, 0x7f800000, 0xff800000, // +-0, +-inf
            0x7fc00000, 0xffc00000, 0x7fc00123, 0x7fffffff, // quiet NaNs
            0x7f800001, 0x7fa00000, 0xff800abc, 0x7fbfffff, // signalling NaNs
            1, 0x80000001, 0x007fffff, 0x00400000, 0x807fffff, // denormals
            0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, // smallest/largest normals
            0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000, 0xc0200000, 0x40600000,
            0x3effffff, 0x3f800001, 0x3f7fffff, 0x3f801000, 0x3f803000, // around 1, halfway to half
            0x477fe000, 0x477ff000, 0x477fefff, 0x33800000, 0x33000000, 0x38800000, // half max, overflow, denormals
            0x4effffff, 0x4f000000, 0xcf000000, 0xcf000001, 0x4f7fffff, 0x4f800000, // around 2^31, 2^32
            0x5effffff, 0x5f000000, 0xdf000000, 0x5f800000, // around 2^63, 2^64
            0x4b000000, 0x4b000001, 0x4affffff, 0x34000000, 0x7f000000, 0x0c800000, 0x40490fdb, 0x3dcccccd,
    };

    static final short[] HALVES = {
            0, (short) 0x8000, 0x7c00, (short) 0xfc00, 0x7e00, (short) 0xfe00, 0x7e01, 0x7c01, 0x7d00,
            (short) 0xfc0f, 1, (short) 0x8001, 0x03ff, 0x0400, 0x7bff, (short) 0xfbff, 0x3c00, (short) 0xbc00,
            0x3800, 0x3e00, 0x4100, 0x3bff, 0x3c01,
    };

    static final long[] INTEGERS = {0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffffL, 0x80000000L,
            0xffffffffL, 0x7fffffffffffffffL, 0x8000000000000000L, 0x0101010101010101L, 0x8080808080808080L,
            0x7f7f7f7f7f7f7f7fL, 0x00ff00ff00ff00ffL, 0x0123456789abcdefL};

    private final Random rnd;

    FpValues(Random rnd) {
        this.rnd = rnd;
    }

    FpState state() {
        long[] v = new long[64];
        for (int n = 0; n < 32; n++) {
            v[2 * n] = half64();
            v[2 * n + 1] = rnd.nextInt(8) == 0 ? 0 : half64(); // some vectors are scalars, upper half zero
        }
        int rmode = rnd.nextInt(2) == 0 ? 0 : rnd.nextInt(4);
        int fpcr = rmode << 22;
        if (rnd.nextInt(4) == 0) fpcr |= 1 << 24; // FZ
        if (rnd.nextInt(4) == 0) fpcr |= 1 << 25; // DN
        if (rnd.nextInt(6) == 0) fpcr |= 1 << 26; // AHP
        int fpsr = rnd.nextInt(4) == 0 ? rnd.nextInt() & 0x0800009f : 0;
        return new FpState(v, fpcr, fpsr);
    }

    /** 64 bits of lanes of one kind: one double, two singles, four halves, integers or random bits. */
    long lanes() { return half64(); }

    private long half64() {
        return switch (rnd.nextInt(10)) {
            case 0, 1, 2 -> rnd.nextInt(8) == 0 ? randomDouble() : DOUBLES[rnd.nextInt(DOUBLES.length)];
            case 3, 4, 5 -> (single() & 0xffffffffL) | (long) single() << 32;
            case 6 -> {
                long w = 0;
                for (int i = 0; i < 4; i++) w |= (HALVES[rnd.nextInt(HALVES.length)] & 0xffffL) << (16 * i);
                yield w;
            }
            case 7 -> integerLanes();
            default -> rnd.nextLong();
        };
    }

    private int single() {
        if (rnd.nextInt(8) == 0) {
            int e = rnd.nextInt(4) == 0 ? rnd.nextInt(256) : 127 + rnd.nextInt(64) - 32;
            return (rnd.nextBoolean() ? 0x80000000 : 0) | e << 23 | rnd.nextInt(1 << 23);
        }
        return SINGLES[rnd.nextInt(SINGLES.length)];
    }

    private long randomDouble() {
        long e = rnd.nextInt(4) == 0 ? rnd.nextInt(2048) : 1023 + rnd.nextInt(128) - 64;
        return (rnd.nextBoolean() ? 0x8000000000000000L : 0) | e << 52 | (rnd.nextLong() & 0xfffffffffffffL);
    }

    private long integerLanes() {
        long v = INTEGERS[rnd.nextInt(INTEGERS.length)];
        return switch (rnd.nextInt(4)) {
            case 0 -> v << 32 | (INTEGERS[rnd.nextInt(INTEGERS.length)] & 0xffffffffL);
            case 1 -> ~v;
            default -> v;
        };
    }
}
