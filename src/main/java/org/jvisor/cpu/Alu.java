package org.jvisor.cpu;

/**
 * Integer arithmetic shared by the data-processing groups: AddWithCarry with its NZCV, the flags of
 * the logical S forms, the register shifts and extends, and DecodeBitMasks (pseudocode names).
 */
final class Alu {
    private Alu() {}

    /**
     * AddWithCarry(x, y, carry_in) at 64 bits: returns the sum and sets PSTATE.NZCV. The carry out of
     * bit 63 is the majority of x, y and the carry into bit 63 (which is r ^ x ^ y at that bit).
     */
    static long addWithCarry64(Cpu cpu, long x, long y, int carryIn) {
        long r = x + y + carryIn;
        cpu.n = r < 0;
        cpu.z = r == 0;
        cpu.c = ((x & y) | ((x | y) & ~r)) < 0;
        cpu.v = ((x ^ r) & (y ^ r)) < 0;
        return r;
    }

    /** AddWithCarry at 32 bits; returns the sum zero-extended to 64 bits. */
    static long addWithCarry32(Cpu cpu, int x, int y, int carryIn) {
        int r = x + y + carryIn;
        cpu.n = r < 0;
        cpu.z = r == 0;
        cpu.c = ((x & y) | ((x | y) & ~r)) < 0;
        cpu.v = ((x ^ r) & (y ^ r)) < 0;
        return r & 0xffffffffL;
    }

    /** NZCV of the logical S forms (ANDS, BICS, TST): N and Z from the result, C and V cleared. */
    static void setLogicFlags64(Cpu cpu, long r) {
        cpu.n = r < 0;
        cpu.z = r == 0;
        cpu.c = false;
        cpu.v = false;
    }

    static void setLogicFlags32(Cpu cpu, int r) {
        cpu.n = r < 0;
        cpu.z = r == 0;
        cpu.c = false;
        cpu.v = false;
    }

    /** ShiftReg at 64 bits: type 0 LSL, 1 LSR, 2 ASR, 3 ROR; amount is 0..63. */
    static long shiftReg64(long v, int type, int amount) {
        return switch (type) {
            case 0 -> v << amount;
            case 1 -> v >>> amount;
            case 2 -> v >> amount;
            default -> Long.rotateRight(v, amount);
        };
    }

    /** ShiftReg at 32 bits; amount is 0..31. */
    static int shiftReg32(int v, int type, int amount) {
        return switch (type) {
            case 0 -> v << amount;
            case 1 -> v >>> amount;
            case 2 -> v >> amount;
            default -> Integer.rotateRight(v, amount);
        };
    }

    /** ExtendReg: option 0-3 UXTB/UXTH/UXTW/UXTX, 4-7 SXTB/SXTH/SXTW/SXTX, then LSL by shift (0..4). */
    static long extendReg(long v, int option, int shift) {
        long e = switch (option) {
            case 0 -> v & 0xffL;
            case 1 -> v & 0xffffL;
            case 2 -> v & 0xffffffffL;
            case 4 -> (byte) v;
            case 5 -> (short) v;
            case 6 -> (int) v;
            default -> v;
        };
        return e << shift;
    }

    /**
     * DecodeBitMasks(N, imms, immr, immediate=TRUE) for the logical immediates: the 64-bit wmask (the
     * element replicated; a 32-bit instruction uses its low half), or 0 for a reserved encoding (no
     * valid logical immediate is 0).
     */
    static long decodeBitMasks(int n, int imms, int immr) {
        int combined = (n << 6) | (~imms & 0x3f);
        if (combined == 0) return 0;
        int len = 31 - Integer.numberOfLeadingZeros(combined);
        if (len < 1) return 0;
        int levels = (1 << len) - 1;
        int s = imms & levels, r = immr & levels;
        if (s == levels) return 0; // an all-ones element is reserved for immediates
        int esize = 1 << len;
        long welem = -1L >>> (63 - s); // Ones(s + 1)
        long emask = esize == 64 ? -1L : (1L << esize) - 1;
        long rotated = r == 0 ? welem : ((welem >>> r) | (welem << (esize - r))) & emask;
        long w = rotated;
        for (int e = esize; e < 64; e <<= 1) w |= w << e;
        return w;
    }
}
