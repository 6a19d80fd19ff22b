package org.jvisor.cpu.simd;

import static org.jvisor.cpu.Fields.q;
import static org.jvisor.cpu.Fields.rd;
import static org.jvisor.cpu.Fields.rn;
import static org.jvisor.cpu.simd.SimdLanes.get;
import static org.jvisor.cpu.simd.SimdLanes.place;
import static org.jvisor.cpu.simd.SimdLanes.sext;
import static org.jvisor.cpu.simd.SimdLanes.sget;

import org.jvisor.cpu.Cpu;

/** Advanced SIMD integer two-register miscellaneous (vector and scalar) and across-lanes instructions. */
final class SimdIntegerMisc {
    static final int SADDLP = 0x02, SUQADD = 0x03, SADALP = 0x06, SQABS = 0x07, CMGT0 = 0x08, CMEQ0 = 0x09,
            CMLT0 = 0x0a, ABS = 0x0b, XTN = 0x12, SQXTN = 0x14, UADDLP = 0x22, USQADD = 0x23, UADALP = 0x26,
            SQNEG = 0x27, CMGE0 = 0x28, CMLE0 = 0x29, NEG = 0x2b, SQXTUN = 0x32, SHLL = 0x33, UQXTN = 0x34;

    private SimdIntegerMisc() {}

    static void twoRegMisc(Cpu cpu, int insn) {
        boolean q = q(insn) != 0;
        int size = (insn >>> 22) & 3, id = ((insn >>> 24) & 0x20) | ((insn >>> 12) & 31);
        int n = rn(insn), d = rd(insn);
        boolean ok = switch (id) {
            case SADDLP, UADDLP, SADALP, UADALP, XTN, SQXTN, UQXTN, SQXTUN, SHLL -> size != 3;
            default -> size != 3 || q;
        };
        if (!ok) throw cpu.undefined();
        cpu.checkFpEnabled();
        int esize = 8 << size, per = 64 / esize, wide = 2 * esize;
        long lo = 0, hi = 0;
        switch (id) {
            case SADDLP, UADDLP, SADALP, UADALP -> {
                boolean unsigned = id >= UADDLP;
                for (int i = 0, elems = (q ? 2 * per : per) / 2; i < elems; i++) {
                    long s = unsigned ? get(cpu, n, 2 * i, esize) + get(cpu, n, 2 * i + 1, esize)
                            : sget(cpu, n, 2 * i, esize) + sget(cpu, n, 2 * i + 1, esize);
                    if (id == SADALP || id == UADALP) s += get(cpu, d, i, wide);
                    if (SimdLanes.inHigh(i, wide)) hi |= place(s, i, wide); else lo |= place(s, i, wide);
                }
                SimdLanes.write(cpu, d, lo, hi, q);
            }
            case XTN, SQXTN, UQXTN, SQXTUN -> {
                long r = 0;
                for (int i = 0; i < per; i++) r |= place(narrow(cpu, id, n, i, esize), i, esize);
                if (q) cpu.vreg[2 * d + 1] = r; else SimdLanes.write(cpu, d, r, 0, false);
            }
            case SHLL -> {
                int part = q ? per : 0;
                for (int i = 0; i < per; i++) {
                    long r = get(cpu, n, i + part, esize) << esize;
                    if (SimdLanes.inHigh(i, wide)) hi |= place(r, i, wide); else lo |= place(r, i, wide);
                }
                SimdLanes.write(cpu, d, lo, hi, true);
            }
            case CMEQ0 -> SimdLanes.write(cpu, d, ~SimdWords.nonZeroLanes(cpu.vreg[2 * n], esize),
                    ~SimdWords.nonZeroLanes(cpu.vreg[2 * n + 1], esize), q);
            default -> {
                for (int i = 0, elems = q ? 2 * per : per; i < elems; i++) {
                    long r = unary(cpu, id, get(cpu, n, i, esize), get(cpu, d, i, esize), esize);
                    if (SimdLanes.inHigh(i, esize)) hi |= place(r, i, esize); else lo |= place(r, i, esize);
                }
                SimdLanes.write(cpu, d, lo, hi, q);
            }
        }
    }

    static void twoRegMiscScalar(Cpu cpu, int insn) {
        int size = (insn >>> 22) & 3, id = ((insn >>> 24) & 0x20) | ((insn >>> 12) & 31);
        int n = rn(insn), d = rd(insn);
        boolean ok = switch (id) {
            case SUQADD, USQADD, SQABS, SQNEG -> true;
            case SQXTN, UQXTN, SQXTUN -> size != 3;
            default -> size == 3;
        };
        if (!ok) throw cpu.undefined();
        cpu.checkFpEnabled();
        int esize = 8 << size;
        long r = switch (id) {
            case SQXTN, UQXTN, SQXTUN -> narrow(cpu, id, n, 0, esize);
            default -> unary(cpu, id, get(cpu, n, 0, esize), get(cpu, d, 0, esize), esize);
        };
        SimdLanes.writeScalar(cpu, d, r, esize);
    }

    /** Element i of the narrowing of V[n]'s 2*esize elements to esize (XTN, SQXTN, UQXTN, SQXTUN). */
    private static long narrow(Cpu cpu, int id, int n, int i, int esize) {
        int wide = 2 * esize;
        return switch (id) {
            case SQXTN -> SimdArith.satS(cpu, sget(cpu, n, i, wide), esize);
            case UQXTN -> SimdArith.satUU(cpu, get(cpu, n, i, wide), esize);
            case SQXTUN -> SimdArith.satU(cpu, sget(cpu, n, i, wide), esize);
            default -> get(cpu, n, i, wide);
        };
    }

    /** One element of a same-size two-register operation; x and acc (Vd's element) zero-extended. */
    private static long unary(Cpu cpu, int id, long x, long acc, int esize) {
        long sx = sext(x, esize), min = -1L << (esize - 1);
        return switch (id) {
            case SUQADD -> SimdArith.suqadd(cpu, sext(acc, esize), x, esize);
            case USQADD -> SimdArith.usqadd(cpu, acc, sx, esize);
            case SQABS -> {
                if (sx == min) { SimdLanes.saturated(cpu); yield ~min; }
                yield Math.abs(sx);
            }
            case SQNEG -> {
                if (sx == min) { SimdLanes.saturated(cpu); yield ~min; }
                yield -sx;
            }
            case ABS -> Math.abs(sx);
            case NEG -> -sx;
            case CMGT0 -> sx > 0 ? -1 : 0;
            case CMGE0 -> sx >= 0 ? -1 : 0;
            case CMEQ0 -> sx == 0 ? -1 : 0;
            case CMLE0 -> sx <= 0 ? -1 : 0;
            case CMLT0 -> sx < 0 ? -1 : 0;
            default -> throw cpu.undefined();
        };
    }

    static final int ADDLV = 0x03, MAXV = 0x0a, MINV = 0x1a, ADDV = 0x1b;

    static void acrossLanes(Cpu cpu, int insn) {
        boolean q = q(insn) != 0, unsigned = (insn & (1 << 29)) != 0;
        int size = (insn >>> 22) & 3, opc = (insn >>> 12) & 31, n = rn(insn), d = rd(insn);
        if (size == 3 || (size == 2 && !q)) throw cpu.undefined();
        cpu.checkFpEnabled();
        int esize = 8 << size, elems = (q ? 128 : 64) / esize;
        long acc = unsigned ? get(cpu, n, 0, esize) : sget(cpu, n, 0, esize);
        for (int i = 1; i < elems; i++) {
            long e = unsigned ? get(cpu, n, i, esize) : sget(cpu, n, i, esize);
            acc = switch (opc) {
                case MAXV -> Math.max(acc, e);
                case MINV -> Math.min(acc, e);
                default -> acc + e;
            };
        }
        SimdLanes.writeScalar(cpu, d, acc, opc == ADDLV ? 2 * esize : esize);
    }

}
