package org.jvisor.cpu.simd;

import static org.jvisor.cpu.Fields.q;
import static org.jvisor.cpu.Fields.rd;
import static org.jvisor.cpu.Fields.rn;
import static org.jvisor.cpu.simd.SimdLanes.get;
import static org.jvisor.cpu.simd.SimdLanes.mask;
import static org.jvisor.cpu.simd.SimdLanes.place;
import static org.jvisor.cpu.simd.SimdLanes.sext;
import static org.jvisor.cpu.simd.SimdLanes.sget;

import org.jvisor.cpu.Cpu;

/**
 * Advanced SIMD shift by immediate, vector and scalar. immh's highest set bit gives the element size;
 * right shifts are 2*esize - immh:immb, left shifts immh:immb - esize. immh=0000 is the modified
 * immediate space (not decoded here).
 */
final class SimdShiftImmediate {
    static final int SSHR = 0x00, SSRA = 0x02, SRSHR = 0x04, SRSRA = 0x06, SHL = 0x0a, SQSHL = 0x0e, SHRN = 0x10,
            RSHRN = 0x11, SQSHRN = 0x12, SQRSHRN = 0x13, SSHLL = 0x14, USHR = 0x20, USRA = 0x22, URSHR = 0x24,
            URSRA = 0x26, SRI = 0x28, SLI = 0x2a, SQSHLU = 0x2c, UQSHL = 0x2e, SQSHRUN = 0x30, SQRSHRUN = 0x31,
            UQSHRN = 0x32, UQRSHRN = 0x33, USHLL = 0x34;

    private SimdShiftImmediate() {}

    private static boolean isNarrowing(int id) { return (id & 0x1c) == 0x10; }

    private static boolean isLeft(int id) {
        return id == SHL || id == SQSHL || id == SLI || id == SQSHLU || id == UQSHL || id == SSHLL || id == USHLL;
    }

    static void vector(Cpu cpu, int insn) {
        boolean q = q(insn) != 0;
        int immh = (insn >>> 19) & 15, immhb = (insn >>> 16) & 127, id = ((insn >>> 24) & 0x20) | ((insn >>> 11) & 31);
        int n = rn(insn), d = rd(insn);
        if (immh == 0) throw cpu.undefined();
        boolean longOrNarrow = isNarrowing(id) || id == SSHLL || id == USHLL;
        if ((immh & 8) != 0 && (longOrNarrow || !q)) throw cpu.undefined();
        cpu.checkFpEnabled();
        int esize = 8 << (31 - Integer.numberOfLeadingZeros(immh)), per = 64 / esize, wide = 2 * esize;
        int sh = isLeft(id) ? immhb - esize : (longOrNarrow ? wide : 2 * esize) - immhb;
        long lo = 0, hi = 0;
        if (id == SHRN) { // truncating: shift each 64-bit half, then keep each container's low half
            long r = SimdWords.packEven(cpu.vreg[2 * n] >>> sh, esize) | (SimdWords.packEven(cpu.vreg[2 * n + 1] >>> sh, esize) << 32);
            if (q) cpu.vreg[2 * d + 1] = r; else SimdLanes.write(cpu, d, r, 0, false);
            return;
        }
        if (isNarrowing(id)) {
            long r = 0;
            for (int i = 0; i < per; i++) r |= place(narrow(cpu, id, get(cpu, n, i, wide), sh, esize), i, esize);
            if (q) cpu.vreg[2 * d + 1] = r; else SimdLanes.write(cpu, d, r, 0, false);
            return;
        }
        if (id == SSHLL || id == USHLL) {
            int part = q ? per : 0;
            for (int i = 0; i < per; i++) {
                long x = id == USHLL ? get(cpu, n, i + part, esize) : sget(cpu, n, i + part, esize);
                if (SimdLanes.inHigh(i, wide)) hi |= place(x << sh, i, wide); else lo |= place(x << sh, i, wide);
            }
            SimdLanes.write(cpu, d, lo, hi, true);
            return;
        }
        for (int i = 0, elems = q ? 2 * per : per; i < elems; i++) {
            long r = element(cpu, id, get(cpu, n, i, esize), get(cpu, d, i, esize), sh, esize);
            if (SimdLanes.inHigh(i, esize)) hi |= place(r, i, esize); else lo |= place(r, i, esize);
        }
        SimdLanes.write(cpu, d, lo, hi, q);
    }

    static void scalar(Cpu cpu, int insn) {
        int immh = (insn >>> 19) & 15, immhb = (insn >>> 16) & 127, id = ((insn >>> 24) & 0x20) | ((insn >>> 11) & 31);
        int n = rn(insn), d = rd(insn);
        boolean ok = immh != 0 && switch (id) {
            case SQSHL, UQSHL, SQSHLU -> true;
            case SQSHRN, SQRSHRN, SQSHRUN, SQRSHRUN, UQSHRN, UQRSHRN -> (immh & 8) == 0;
            default -> (immh & 8) != 0;
        };
        if (!ok) throw cpu.undefined();
        cpu.checkFpEnabled();
        int esize = 8 << (31 - Integer.numberOfLeadingZeros(immh));
        if (isNarrowing(id)) {
            SimdLanes.writeScalar(cpu, d, narrow(cpu, id, get(cpu, n, 0, 2 * esize), 2 * esize - immhb, esize), esize);
            return;
        }
        int sh = isLeft(id) ? immhb - esize : 2 * esize - immhb;
        SimdLanes.writeScalar(cpu, d, element(cpu, id, get(cpu, n, 0, esize), get(cpu, d, 0, esize), sh, esize), esize);
    }

    /** One same-size element: x and acc (Vd's element) zero-extended. */
    private static long element(Cpu cpu, int id, long x, long acc, int sh, int esize) {
        long sx = sext(x, esize);
        return switch (id) {
            case SSHR -> SimdArith.shiftRight(sx, sh, false, false);
            case USHR -> SimdArith.shiftRight(x, sh, true, false);
            case SRSHR -> SimdArith.shiftRight(sx, sh, false, true);
            case URSHR -> SimdArith.shiftRight(x, sh, true, true);
            case SSRA -> acc + SimdArith.shiftRight(sx, sh, false, false);
            case USRA -> acc + SimdArith.shiftRight(x, sh, true, false);
            case SRSRA -> acc + SimdArith.shiftRight(sx, sh, false, true);
            case URSRA -> acc + SimdArith.shiftRight(x, sh, true, true);
            case SRI -> {
                long m = sh >= esize ? 0 : mask(esize) >>> sh;
                yield (acc & ~m) | ((x >>> Math.min(sh, 63)) & m);
            }
            case SHL -> x << sh;
            case SLI -> {
                long m = (mask(esize) << sh) & mask(esize);
                yield (acc & ~m) | ((x << sh) & m);
            }
            case SQSHL -> SimdArith.shiftLeftSat(cpu, sx, sh, esize, false);
            case UQSHL -> SimdArith.shiftLeftSat(cpu, x, sh, esize, true);
            case SQSHLU -> {
                if (sx < 0) { SimdLanes.saturated(cpu); yield 0; }
                yield SimdArith.shiftLeftSat(cpu, sx, sh, esize, true);
            }
            default -> throw cpu.undefined();
        };
    }

    /** A narrowing shift right of one 2*esize element x (zero-extended) to esize bits. */
    private static long narrow(Cpu cpu, int id, long x, int sh, int esize) {
        long sx = sext(x, 2 * esize);
        return switch (id) {
            case SHRN -> SimdArith.shiftRight(x, sh, true, false);
            case RSHRN -> SimdArith.shiftRight(x, sh, true, true);
            case SQSHRN -> SimdArith.satS(cpu, SimdArith.shiftRight(sx, sh, false, false), esize);
            case SQRSHRN -> SimdArith.satS(cpu, SimdArith.shiftRight(sx, sh, false, true), esize);
            case UQSHRN -> SimdArith.satUU(cpu, SimdArith.shiftRight(x, sh, true, false), esize);
            case UQRSHRN -> SimdArith.satUU(cpu, SimdArith.shiftRight(x, sh, true, true), esize);
            case SQSHRUN -> SimdArith.satU(cpu, SimdArith.shiftRight(sx, sh, false, false), esize);
            case SQRSHRUN -> SimdArith.satU(cpu, SimdArith.shiftRight(sx, sh, false, true), esize);
            default -> throw cpu.undefined();
        };
    }
}
