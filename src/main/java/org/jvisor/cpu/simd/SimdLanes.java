package org.jvisor.cpu.simd;

import org.jvisor.cpu.Cpu;

/**
 * Element access to the V registers (Elem[] in the Arm ARM): element {@code i} of size {@code esize}
 * (8, 16, 32 or 64 bits) of V[n], little-endian across {@code cpu.vreg[2n]} (bits [63:0]) and
 * {@code cpu.vreg[2n+1]} (bits [127:64]). Results are built in two longs and written at once with
 * {@link #write}, so an instruction whose destination is also a source reads only original values.
 */
final class SimdLanes {
    private SimdLanes() {}

    /** All-ones in the low {@code esize} bits (esize 1..64). */
    static long mask(int esize) { return -1L >>> (64 - esize); }

    /** Element {@code i} of V[n], zero-extended. */
    static long get(Cpu cpu, int n, int i, int esize) {
        int bit = i * esize;
        long w = cpu.vreg[2 * n + (bit >>> 6)];
        return (w >>> (bit & 63)) & mask(esize);
    }

    /** Element {@code i} of V[n], sign-extended. */
    static long sget(Cpu cpu, int n, int i, int esize) {
        int bit = i * esize;
        long w = cpu.vreg[2 * n + (bit >>> 6)];
        return (w << (64 - esize - (bit & 63))) >> (64 - esize);
    }

    /** Elem[V[n], i, esize] = v (truncated to esize); the other bits of the 128-bit register are kept. */
    static void set(Cpu cpu, int n, int i, int esize, long v) {
        int bit = i * esize, w = 2 * n + (bit >>> 6);
        long m = mask(esize) << (bit & 63);
        cpu.vreg[w] = (cpu.vreg[w] & ~m) | ((v << (bit & 63)) & m);
    }

    /** Element {@code i} of the 128-bit value hi:lo, zero-extended. */
    static long lane(long lo, long hi, int i, int esize) { return lane(inHigh(i, esize) ? hi : lo, i, esize); }

    /** Replicate(v, 64 / esize): the low esize bits of {@code v} repeated across 64 bits. */
    static long replicate(long v, int esize) {
        return switch (esize) {
            case 8 -> (v & 0xffL) * 0x0101010101010101L;
            case 16 -> (v & 0xffffL) * 0x0001000100010001L;
            case 32 -> (v & 0xffffffffL) * 0x0000000100000001L;
            default -> v;
        };
    }

    /** Sign-extends the low {@code esize} bits of {@code v}. */
    static long sext(long v, int esize) { return (v << (64 - esize)) >> (64 - esize); }

    /** Element {@code i} of a 64-bit word. */
    static long lane(long word, int i, int esize) { return (word >>> ((i * esize) & 63)) & mask(esize); }

    /**
     * {@code v} (truncated to esize) moved to element {@code i}'s position within its 64-bit half: OR it
     * into the low half when {@code i * esize < 64}, else into the high half.
     */
    static long place(long v, int i, int esize) { return (v & mask(esize)) << ((i * esize) & 63); }

    /** True if element {@code i} of size esize lies in bits [127:64]. */
    static boolean inHigh(int i, int esize) { return i * esize >= 64; }

    /** Writes V[d]: all 128 bits when {@code q}, else bits [63:0] with the top half zeroed. */
    static void write(Cpu cpu, int d, long lo, long hi, boolean q) {
        cpu.vreg[2 * d] = lo;
        cpu.vreg[2 * d + 1] = q ? hi : 0;
    }

    /** Writes a scalar B/H/S/D result (the low esize bits of {@code v}) to V[d], zeroing the rest. */
    static void writeScalar(Cpu cpu, int d, long v, int esize) {
        cpu.vreg[2 * d] = v & mask(esize);
        cpu.vreg[2 * d + 1] = 0;
    }

    /** Sets FPSR.QC (cumulative saturation). */
    static void saturated(Cpu cpu) { cpu.fpsr |= FpCore.QC; }
}
