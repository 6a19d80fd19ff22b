package org.jvisor.cpu.simd;

import static org.jvisor.cpu.Fields.imm12;
import static org.jvisor.cpu.Fields.imm19;
import static org.jvisor.cpu.Fields.imm7;
import static org.jvisor.cpu.Fields.imm9;
import static org.jvisor.cpu.Fields.q;
import static org.jvisor.cpu.Fields.rm;
import static org.jvisor.cpu.Fields.rn;
import static org.jvisor.cpu.Fields.rt;
import static org.jvisor.cpu.Fields.rt2;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Encoding;
import org.jvisor.cpu.ExceptionTaken;

/**
 * SIMD&FP loads and stores: LDR/STR/LDP/STP/LDNP/STNP of B/H/S/D/Q registers in every addressing mode,
 * and the structure loads and stores LD1-LD4, ST1-ST4 (multiple structures and single lanes) and
 * LD1R-LD4R, with their post-index forms.
 *
 * <p>As in LoadStore, the base register is written back last, after every access succeeded. A
 * load that faults part-way leaves its V registers as they were (QEMU 7.2 writes each element as it is
 * read, so it may leave some updated; the architecture makes them UNKNOWN). A store that faults part-way
 * has written the elements before the faulting one, in order, as QEMU does. No SIMD&FP access reports a
 * valid ISS syndrome (ISV=0: only general-purpose single-register accesses do; QEMU agrees).
 */
public final class SimdLoadStore {
    public static final int UIMM = 1, POST = 2, PRE = 3, UNSCALED = 4, REG = 5, LITERAL = 6;
    public static final int PAIR_NO_ALLOC = 7, PAIR_POST = 8, PAIR_OFFSET = 9, PAIR_PRE = 10;
    static final int MULTIPLE = 11, MULTIPLE_POST = 12, SINGLE = 13, SINGLE_POST = 14;

    public static final Encoding[] ENCODINGS = {
            // Load/store register (SIMD&FP): size 111 1 0x opc; opc<1> selects the 128-bit Q form (size 00).
            new Encoding("LDR/STR (SIMD&FP, unsigned offset)", "zz111101ooiiiiiiiiiiiinnnnnttttt", UIMM),
            new Encoding("LDR/STR (SIMD&FP, post-index)", "zz111100oo0iiiiiiiii01nnnnnttttt", POST),
            new Encoding("LDR/STR (SIMD&FP, pre-index)", "zz111100oo0iiiiiiiii11nnnnnttttt", PRE),
            new Encoding("LDUR/STUR (SIMD&FP)", "zz111100oo0iiiiiiiii00nnnnnttttt", UNSCALED),
            new Encoding("LDR/STR (SIMD&FP, register)", "zz111100oo1mmmmmooos10nnnnnttttt", REG),
            new Encoding("LDR (literal, SIMD&FP)", "oo011100iiiiiiiiiiiiiiiiiiittttt", LITERAL),
            // Load/store pair (SIMD&FP): opc 101 1 mode L imm7 Rt2 Rn Rt
            new Encoding("LDNP/STNP (SIMD&FP)", "oo1011000liiiiiiiuuuuunnnnnttttt", PAIR_NO_ALLOC),
            new Encoding("LDP/STP (SIMD&FP, post-index)", "oo1011001liiiiiiiuuuuunnnnnttttt", PAIR_POST),
            new Encoding("LDP/STP (SIMD&FP, signed offset)", "oo1011010liiiiiiiuuuuunnnnnttttt", PAIR_OFFSET),
            new Encoding("LDP/STP (SIMD&FP, pre-index)", "oo1011011liiiiiiiuuuuunnnnnttttt", PAIR_PRE),
            // Advanced SIMD load/store multiple structures: 0 Q 0011000 L 000000 opcode size Rn Rt
            new Encoding("LD1-LD4/ST1-ST4 (multiple structures)", "0Q0011000l000000oooozznnnnnttttt", MULTIPLE),
            new Encoding("LD1-LD4/ST1-ST4 (multiple structures, post-index)", "0Q0011001l0mmmmmoooozznnnnnttttt", MULTIPLE_POST),
            // Advanced SIMD load/store single structure: 0 Q 0011010 L R 00000 opcode S size Rn Rt
            new Encoding("LD1-LD4/ST1-ST4/LDnR (single structure)", "0Q0011010lr00000ooo_s_zz_nnnnn_ttttt", SINGLE),
            new Encoding("LD1-LD4/ST1-ST4/LDnR (single structure, post-index)", "0Q0011011lrmmmmmooo_s_zz_nnnnn_ttttt", SINGLE_POST),
    };

    private SimdLoadStore() {}

    public static void execute(Cpu cpu, int op, int insn) {
        switch (op) {
            case UIMM, POST, PRE, UNSCALED, REG -> loadStoreRegister(cpu, op, insn);
            case LITERAL -> loadLiteral(cpu, insn);
            case PAIR_NO_ALLOC, PAIR_POST, PAIR_OFFSET, PAIR_PRE -> loadStorePair(cpu, op, insn);
            case MULTIPLE, MULTIPLE_POST -> multipleStructures(cpu, op == MULTIPLE_POST, insn);
            case SINGLE, SINGLE_POST -> singleStructure(cpu, op == SINGLE_POST, insn);
            default -> throw cpu.undefined();
        }
    }

    // ---- single register ---------------------------------------------------------------------------

    private static void loadStoreRegister(Cpu cpu, int op, int insn) {
        int opc = (insn >>> 22) & 3;
        int scale = ((opc & 2) << 1) | (insn >>> 30); // opc<1>:size; 4 is the Q register
        if (scale > 4) throw cpu.undefined();
        long offset;
        if (op == UIMM) {
            offset = (long) imm12(insn) << scale;
        } else if (op == REG) {
            int option = (insn >>> 13) & 7;
            if ((option & 2) == 0) throw cpu.undefined();
            long m = cpu.x[rm(insn)];
            m = option == 2 ? m & 0xffffffffL : option == 6 ? (int) m : m;
            offset = (insn & (1 << 12)) != 0 ? m << scale : m;
        } else {
            offset = imm9(insn);
        }
        cpu.checkFpEnabled();
        int t = rt(insn), n = rn(insn);
        long base = cpu.baseRegister(n);
        long address = op == POST ? base : base + offset;
        if ((opc & 1) != 0) load(cpu, t, address, scale);
        else store(cpu, t, address, scale);
        if (op == POST || op == PRE) cpu.setXOrSp(n, base + offset);
    }

    private static void loadLiteral(Cpu cpu, int insn) {
        int opc = insn >>> 30;
        if (opc == 3) throw cpu.undefined();
        cpu.checkFpEnabled();
        load(cpu, rt(insn), cpu.insnPc + ((long) imm19(insn) << 2), opc + 2);
    }

    /** Loads 1 << scale bytes into V[t], zeroing the bits above them. */
    private static void load(Cpu cpu, int t, long address, int scale) {
        long[] v = cpu.vreg;
        if (scale == 4) {
            long lo = cpu.read64(address), hi = cpu.read64(address + 8);
            v[2 * t] = lo;
            v[2 * t + 1] = hi;
            return;
        }
        long lo = scale == 3 ? cpu.read64(address) : cpu.read(address, 1 << scale, 0);
        v[2 * t] = lo;
        v[2 * t + 1] = 0;
    }

    private static void store(Cpu cpu, int t, long address, int scale) {
        long[] v = cpu.vreg;
        if (scale >= 3) {
            cpu.write64(address, v[2 * t]);
            if (scale == 4) cpu.write64(address + 8, v[2 * t + 1]);
        } else {
            cpu.write(address, 1 << scale, v[2 * t], 0);
        }
    }

    // ---- pairs -------------------------------------------------------------------------------------

    private static void loadStorePair(Cpu cpu, int op, int insn) {
        int opc = insn >>> 30;
        if (opc == 3) throw cpu.undefined();
        cpu.checkFpEnabled();
        int scale = opc + 2, bytes = 1 << scale;
        int t = rt(insn), n = rn(insn), t2 = rt2(insn);
        long offset = (long) imm7(insn) << scale; // imm7, scaled
        long base = cpu.baseRegister(n);
        long address = op == PAIR_POST ? base : base + offset;
        long[] v = cpu.vreg;
        if ((insn & (1 << 22)) != 0) {
            long lo1, hi1 = 0, lo2, hi2 = 0;
            if (scale == 4) {
                lo1 = cpu.read64(address);
                hi1 = cpu.read64(address + 8);
                lo2 = cpu.read64(address + 16);
                hi2 = cpu.read64(address + 24);
            } else if (scale == 3) {
                lo1 = cpu.read64(address);
                lo2 = cpu.read64(address + 8);
            } else {
                lo1 = cpu.read(address, 4, 0);
                lo2 = cpu.read(address + 4, 4, 0);
            }
            // Rt == Rt2 is CONSTRAINED UNPREDICTABLE: the second register's value wins, as in QEMU.
            v[2 * t] = lo1;
            v[2 * t + 1] = hi1;
            v[2 * t2] = lo2;
            v[2 * t2 + 1] = hi2;
        } else {
            store(cpu, t, address, scale);
            store(cpu, t2, address + bytes, scale);
        }
        if (op == PAIR_POST || op == PAIR_PRE) cpu.setXOrSp(n, base + offset);
    }

    // ---- structures --------------------------------------------------------------------------------

    /**
     * LD1-LD4/ST1-ST4 (multiple structures): {@code rpt} consecutive registers (modulo 32) of
     * {@code selem}-element structures, interleaved in memory when selem > 1.
     */
    private static void multipleStructures(Cpu cpu, boolean post, int insn) {
        int q = q(insn), opcode = (insn >>> 12) & 15, size = (insn >>> 10) & 3;
        int rpt, selem;
        switch (opcode) {
            case 0 -> { rpt = 1; selem = 4; }
            case 2 -> { rpt = 4; selem = 1; }
            case 4 -> { rpt = 1; selem = 3; }
            case 6 -> { rpt = 3; selem = 1; }
            case 7 -> { rpt = 1; selem = 1; }
            case 8 -> { rpt = 1; selem = 2; }
            case 10 -> { rpt = 2; selem = 1; }
            default -> throw cpu.undefined();
        }
        if (size == 3 && q == 0 && selem != 1) throw cpu.undefined();
        cpu.checkFpEnabled();
        int t = rt(insn), n = rn(insn);
        boolean load = (insn & (1 << 22)) != 0;
        long address = cpu.baseRegister(n);
        int total = (rpt * selem) << (3 + q);
        long[] v = cpu.vreg;
        if (load) {
            // Keep the destinations (at most 4, modulo 32) to restore them if an access faults.
            int t1 = (t + 1) & 31, t2 = (t + 2) & 31, t3 = (t + 3) & 31;
            long a0 = v[2 * t], a1 = v[2 * t + 1], b0 = v[2 * t1], b1 = v[2 * t1 + 1];
            long c0 = v[2 * t2], c1 = v[2 * t2 + 1], d0 = v[2 * t3], d1 = v[2 * t3 + 1];
            try {
                transferMultiple(cpu, true, t, address, q, size, rpt, selem);
            } catch (ExceptionTaken e) {
                v[2 * t3] = d0; v[2 * t3 + 1] = d1; v[2 * t2] = c0; v[2 * t2 + 1] = c1;
                v[2 * t1] = b0; v[2 * t1 + 1] = b1; v[2 * t] = a0; v[2 * t + 1] = a1;
                throw e;
            }
        } else {
            transferMultiple(cpu, false, t, address, q, size, rpt, selem);
        }
        if (post) {
            int m = rm(insn);
            cpu.setXOrSp(n, address + (m == 31 ? total : cpu.x[m]));
        }
    }

    private static void transferMultiple(Cpu cpu, boolean load, int t, long address, int q, int size, int rpt, int selem) {
        long[] v = cpu.vreg;
        if (selem == 1 && (size == 3 || (address & 7) == 0)) {
            // One structure element per register: memory holds each register's bytes in order, read as
            // doublewords. Elements smaller than 8 bytes at an unaligned address go one by one below:
            // alignment (Device memory, SCTLR.A) is checked per element.
            for (int r = 0; r < rpt; r++) {
                int tt = (t + r) & 31;
                if (load) {
                    v[2 * tt] = cpu.read64(address);
                    v[2 * tt + 1] = q != 0 ? cpu.read64(address + 8) : 0;
                } else {
                    cpu.write64(address, v[2 * tt]);
                    if (q != 0) cpu.write64(address + 8, v[2 * tt + 1]);
                }
                address += 8L << q;
            }
            return;
        }
        int elements = (8 << q) >>> size, ebytes = 1 << size;
        if (selem == 1) {
            for (int r = 0; r < rpt; r++) {
                int tt = (t + r) & 31;
                for (int e = 0; e < elements; e++, address += ebytes) {
                    if (load) SimdLanes.set(cpu, tt, e, 8 << size, cpu.read(address, ebytes, 0));
                    else cpu.write(address, ebytes, SimdLanes.get(cpu, tt, e, 8 << size), 0);
                }
                if (load && q == 0) v[2 * tt + 1] = 0;
            }
            return;
        }
        for (int e = 0; e < elements; e++) {
            for (int s = 0; s < selem; s++) {
                int tt = (t + s) & 31;
                if (load) SimdLanes.set(cpu, tt, e, 8 << size, cpu.read(address, ebytes, 0));
                else cpu.write(address, ebytes, SimdLanes.get(cpu, tt, e, 8 << size), 0);
                address += ebytes;
            }
        }
        if (load && q == 0) for (int s = 0; s < selem; s++) v[2 * ((t + s) & 31) + 1] = 0;
    }

    /** LD1-LD4/ST1-ST4 (single structure) to one lane of each register, and LD1R-LD4R (replicate). */
    private static void singleStructure(Cpu cpu, boolean post, int insn) {
        int q = q(insn), opcode = (insn >>> 13) & 7, s = (insn >>> 12) & 1, size = (insn >>> 10) & 3;
        boolean load = (insn & (1 << 22)) != 0;
        int scale = opcode >>> 1, selem = (((opcode & 1) << 1) | ((insn >>> 21) & 1)) + 1;
        boolean replicate = false;
        int index = 0;
        switch (scale) {
            case 3 -> {
                if (!load || s != 0) throw cpu.undefined();
                scale = size;
                replicate = true;
            }
            case 0 -> index = (q << 3) | (s << 2) | size;
            case 1 -> {
                if ((size & 1) != 0) throw cpu.undefined();
                index = (q << 2) | (s << 1) | (size >>> 1);
            }
            default -> {
                if ((size & 2) != 0) throw cpu.undefined();
                if ((size & 1) == 0) {
                    index = (q << 1) | s;
                } else {
                    if (s != 0) throw cpu.undefined();
                    index = q;
                    scale = 3;
                }
            }
        }
        cpu.checkFpEnabled();
        int t = rt(insn), n = rn(insn), ebytes = 1 << scale;
        long address = cpu.baseRegister(n);
        long[] v = cpu.vreg;
        if (load) {
            // Read every element before writing a register, so a fault leaves them all unchanged.
            long e0 = cpu.read(address, ebytes, 0);
            long e1 = selem > 1 ? cpu.read(address + ebytes, ebytes, 0) : 0;
            long e2 = selem > 2 ? cpu.read(address + 2L * ebytes, ebytes, 0) : 0;
            long e3 = selem > 3 ? cpu.read(address + 3L * ebytes, ebytes, 0) : 0;
            for (int k = 0; k < selem; k++) {
                long e = k == 0 ? e0 : k == 1 ? e1 : k == 2 ? e2 : e3;
                int tt = (t + k) & 31;
                if (replicate) {
                    long r = SimdLanes.replicate(e, 8 << scale);
                    v[2 * tt] = r;
                    v[2 * tt + 1] = q != 0 ? r : 0;
                } else {
                    SimdLanes.set(cpu, tt, index, 8 << scale, e);
                }
            }
        } else {
            for (int k = 0; k < selem; k++)
                cpu.write(address + (long) k * ebytes, ebytes, SimdLanes.get(cpu, (t + k) & 31, index, 8 << scale), 0);
        }
        if (post) {
            int m = rm(insn);
            cpu.setXOrSp(n, address + (m == 31 ? selem * ebytes : cpu.x[m]));
        }
    }
}
