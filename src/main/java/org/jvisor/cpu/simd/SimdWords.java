package org.jvisor.cpu.simd;

import static org.jvisor.cpu.simd.SimdLanes.mask;

/**
 * Lane-wise operations on a whole 64-bit half of a V register at once (SIMD within a register), for
 * the operations string and memory routines run in their loops (CMEQ, UMAXP, ADDP, SHRN...). Each is
 * equivalent to the per-element loop it replaces.
 */
final class SimdWords {
    private SimdWords() {}

    /** The top bit of every esize-bit lane. */
    static long highBits(int esize) {
        return switch (esize) {
            case 8 -> 0x8080808080808080L;
            case 16 -> 0x8000800080008000L;
            case 32 -> 0x8000000080000000L;
            default -> Long.MIN_VALUE;
        };
    }

    /** The low esize bits of every 2*esize-bit container (the even lanes of size esize), esize <= 32. */
    static long evenLanes(int esize) {
        return switch (esize) {
            case 8 -> 0x00ff00ff00ff00ffL;
            case 16 -> 0x0000ffff0000ffffL;
            default -> 0x00000000ffffffffL;
        };
    }

    /** Lane-wise a + b (no carry between lanes). */
    static long addLanes(long a, long b, int esize) {
        long h = highBits(esize);
        return ((a & ~h) + (b & ~h)) ^ ((a ^ b) & h);
    }

    /** Lane-wise a - b (no borrow between lanes). */
    static long subLanes(long a, long b, int esize) {
        long h = highBits(esize);
        return ((a | h) - (b & ~h)) ^ ((a ^ ~b) & h);
    }

    /** All-ones in every esize-bit lane of x that is non-zero, zero elsewhere. */
    static long nonZeroLanes(long x, int esize) {
        long h = highBits(esize);
        long nz = (((x & ~h) + ~h) | x) & h;
        return (nz >>> (esize - 1)) * mask(esize);
    }

    /**
     * The even esize-bit lanes of x (the low halves of its 2*esize containers) packed into the low 32
     * bits: the truncation XTN does, esize <= 32.
     */
    static long packEven(long x, int esize) {
        switch (esize) {
            case 8 -> {
                x &= 0x00ff00ff00ff00ffL;
                x = (x | (x >>> 8)) & 0x0000ffff0000ffffL;
                return (x | (x >>> 16)) & 0xffffffffL;
            }
            case 16 -> {
                x &= 0x0000ffff0000ffffL;
                return (x | (x >>> 16)) & 0xffffffffL;
            }
            default -> {
                return x & 0xffffffffL;
            }
        }
    }

    /**
     * ADDP/UMAXP/UMINP/SMAXP/SMINP of the adjacent lane pairs of one word, results packed into the low 32
     * bits (esize <= 32). op: 0 add, 1 max, 2 min; signed for SMAXP/SMINP.
     */
    static long pairwise(long w, int esize, int op, boolean signed) {
        long even = evenLanes(esize);
        long a = w & even, b = (w >>> esize) & even;
        if (op == 0) return packEven(a + b, esize);
        long h = (even & ~(even << 1)) << esize; // bit esize of each container
        long sign = signed ? h >>> 1 : 0;
        a ^= sign;
        b ^= sign;
        long geMask = ((((a + h) - b) & h) >>> esize) * mask(esize); // a >= b (unsigned), per container
        long r = op == 1 ? (a & geMask) | (b & ~geMask) : (b & geMask) | (a & ~geMask);
        return packEven(r ^ sign, esize);
    }
}
