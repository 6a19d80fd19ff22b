package org.jvisor.cpu;

import static org.jvisor.cpu.Fields.imm12;
import static org.jvisor.cpu.Fields.imm19;
import static org.jvisor.cpu.Fields.imm7;
import static org.jvisor.cpu.Fields.imm9;
import static org.jvisor.cpu.Fields.rm;
import static org.jvisor.cpu.Fields.rn;
import static org.jvisor.cpu.Fields.rs;
import static org.jvisor.cpu.Fields.rt;
import static org.jvisor.cpu.Fields.rt2;

import java.lang.invoke.VarHandle;

/**
 * Loads and stores of general-purpose registers: single register (unsigned offset, unscaled, pre/post
 * index, register offset, unprivileged, literal), pairs, prefetches, exclusives and load-acquire /
 * store-release. The FP/SIMD register forms (V=1) are not claimed here.
 *
 * <p>Every handler finishes all of its memory accesses before it writes a register, and writes the base
 * register back last, so a fault leaves the registers as they were. Where the architecture leaves a
 * register overlap CONSTRAINED UNPREDICTABLE the result is what QEMU 7.2 produces (checked with
 * qemu-aarch64-static): loads with writeback and Rn==Rt keep the written-back address, stores with
 * writeback store the old base, LDP/LDPSW with Rt==Rt2 keep the first value, LDXP/LDAXP keep the second,
 * and a store-exclusive status register overlapping Rt or Rn is written last.
 */
final class LoadStore {
    // Single register; size in [31:30], opc in [23:22] select the width and the kind of access.
    static final int LDST_POST = 1, LDST_PRE = 2, LDST_UNSCALED = 3, LDST_UNPRIV = 4, LDST_UIMM = 5, LDST_REG = 6;
    static final int LDR_LIT = 7, LDRSW_LIT = 8, PRFM = 9, PRFM_REG = 10;
    // Pairs; opc in [31:30], L in bit 22.
    static final int PAIR_POST = 11, PAIR_OFFSET = 12, PAIR_PRE = 13, PAIR_NO_ALLOC = 14;
    // Exclusives and ordered accesses; size in [31:30].
    static final int STXR = 15, LDXR = 16, STXP = 17, LDXP = 18, STLR = 19, LDAR = 20;

    static final Encoding[] ENCODINGS = {
            // Load/store register (immediate post-indexed): size 111 0 00 opc 0 imm9 01 Rn Rt
            new Encoding("STR (immediate, post-index)", "zz111000000iiiiiiiii01nnnnnttttt", LDST_POST),
            new Encoding("LDR (immediate, post-index)", "zz111000010iiiiiiiii01nnnnnttttt", LDST_POST),
            new Encoding("LDRS (immediate, post-index, 64-bit)", "zz111000100iiiiiiiii01nnnnnttttt", LDST_POST),
            new Encoding("LDRS (immediate, post-index, 32-bit)", "zz111000110iiiiiiiii01nnnnnttttt", LDST_POST),
            // Load/store register (immediate pre-indexed)
            new Encoding("STR (immediate, pre-index)", "zz111000000iiiiiiiii11nnnnnttttt", LDST_PRE),
            new Encoding("LDR (immediate, pre-index)", "zz111000010iiiiiiiii11nnnnnttttt", LDST_PRE),
            new Encoding("LDRS (immediate, pre-index, 64-bit)", "zz111000100iiiiiiiii11nnnnnttttt", LDST_PRE),
            new Encoding("LDRS (immediate, pre-index, 32-bit)", "zz111000110iiiiiiiii11nnnnnttttt", LDST_PRE),
            // Load/store register (unscaled immediate)
            new Encoding("STUR", "zz111000000iiiiiiiii00nnnnnttttt", LDST_UNSCALED),
            new Encoding("LDUR", "zz111000010iiiiiiiii00nnnnnttttt", LDST_UNSCALED),
            new Encoding("LDURS (64-bit)", "zz111000100iiiiiiiii00nnnnnttttt", LDST_UNSCALED),
            new Encoding("LDURS (32-bit)", "zz111000110iiiiiiiii00nnnnnttttt", LDST_UNSCALED),
            new Encoding("PRFUM", "11111000100iiiiiiiii00nnnnnttttt", PRFM),
            // Load/store register (unprivileged)
            new Encoding("STTR", "zz111000000iiiiiiiii10nnnnnttttt", LDST_UNPRIV),
            new Encoding("LDTR", "zz111000010iiiiiiiii10nnnnnttttt", LDST_UNPRIV),
            new Encoding("LDTRS (64-bit)", "zz111000100iiiiiiiii10nnnnnttttt", LDST_UNPRIV),
            new Encoding("LDTRS (32-bit)", "zz111000110iiiiiiiii10nnnnnttttt", LDST_UNPRIV),
            // Load/store register (unsigned immediate): size 111 0 01 opc imm12 Rn Rt
            new Encoding("STR (immediate, unsigned offset)", "zz11100100iiiiiiiiiiiinnnnnttttt", LDST_UIMM),
            new Encoding("LDR (immediate, unsigned offset)", "zz11100101iiiiiiiiiiiinnnnnttttt", LDST_UIMM),
            new Encoding("LDRS (immediate, unsigned offset, 64-bit)", "zz11100110iiiiiiiiiiiinnnnnttttt", LDST_UIMM),
            new Encoding("LDRS (immediate, unsigned offset, 32-bit)", "zz11100111iiiiiiiiiiiinnnnnttttt", LDST_UIMM),
            new Encoding("PRFM (immediate)", "1111100110iiiiiiiiiiiinnnnnttttt", PRFM),
            // Load/store register (register offset): size 111 0 00 opc 1 Rm option S 10 Rn Rt
            new Encoding("STR (register)", "zz111000001mmmmmooos10nnnnnttttt", LDST_REG),
            new Encoding("LDR (register)", "zz111000011mmmmmooos10nnnnnttttt", LDST_REG),
            new Encoding("LDRS (register, 64-bit)", "zz111000101mmmmmooos10nnnnnttttt", LDST_REG),
            new Encoding("LDRS (register, 32-bit)", "zz111000111mmmmmooos10nnnnnttttt", LDST_REG),
            new Encoding("PRFM (register)", "11111000101mmmmmooos10nnnnnttttt", PRFM_REG),
            // Load register (literal): opc 011 0 00 imm19 Rt
            new Encoding("LDR (literal, 32-bit)", "00011000iiiiiiiiiiiiiiiiiiittttt", LDR_LIT),
            new Encoding("LDR (literal, 64-bit)", "01011000iiiiiiiiiiiiiiiiiiittttt", LDR_LIT),
            new Encoding("LDRSW (literal)", "10011000iiiiiiiiiiiiiiiiiiittttt", LDRSW_LIT),
            new Encoding("PRFM (literal)", "11011000iiiiiiiiiiiiiiiiiiittttt", PRFM),
            // Load/store pair: opc 101 0 mode L imm7 Rt2 Rn Rt
            new Encoding("STNP", "oo10100000iiiiiiiuuuuunnnnnttttt", PAIR_NO_ALLOC),
            new Encoding("LDNP", "oo10100001iiiiiiiuuuuunnnnnttttt", PAIR_NO_ALLOC),
            new Encoding("STP (post-index)", "oo10100010iiiiiiiuuuuunnnnnttttt", PAIR_POST),
            new Encoding("LDP (post-index)", "oo10100011iiiiiiiuuuuunnnnnttttt", PAIR_POST),
            new Encoding("STP (signed offset)", "oo10100100iiiiiiiuuuuunnnnnttttt", PAIR_OFFSET),
            new Encoding("LDP (signed offset)", "oo10100101iiiiiiiuuuuunnnnnttttt", PAIR_OFFSET),
            new Encoding("STP (pre-index)", "oo10100110iiiiiiiuuuuunnnnnttttt", PAIR_PRE),
            new Encoding("LDP (pre-index)", "oo10100111iiiiiiiuuuuunnnnnttttt", PAIR_PRE),
            // Load/store exclusive: size 001000 o2 L o1 Rs o0 Rt2 Rn Rt (Rs of loads and Rt2 of single
            // registers should be ones and are ignored, as QEMU does)
            new Encoding("STXR/STLXR", "zz001000000SSSSSo-----nnnnnttttt", STXR),
            new Encoding("LDXR/LDAXR", "zz001000010-----o-----nnnnnttttt", LDXR),
            new Encoding("STXP/STLXP", "1z001000001SSSSSouuuuunnnnnttttt", STXP),
            new Encoding("LDXP/LDAXP", "1z001000011-----ouuuuunnnnnttttt", LDXP),
            new Encoding("STLR", "zz001000100-----1-----nnnnnttttt", STLR),
            new Encoding("LDAR", "zz001000110-----1-----nnnnnttttt", LDAR),
    };

    private LoadStore() {}

    static void execute(Cpu cpu, int op, int insn) {
        switch (op) {
            case LDST_UIMM -> loadStoreUnsignedOffset(cpu, insn);
            case LDST_POST, LDST_PRE, LDST_UNSCALED, LDST_UNPRIV, LDST_REG -> loadStoreRegister(cpu, op, insn);
            case LDR_LIT, LDRSW_LIT -> loadLiteral(cpu, op, insn);
            case PRFM -> { /* prefetches are hints: no access, no fault */ }
            case PRFM_REG -> {
                if ((insn & (1 << 14)) == 0) throw cpu.undefined(); // extend option 0b0x0
            }
            case PAIR_POST, PAIR_OFFSET, PAIR_PRE, PAIR_NO_ALLOC -> loadStorePair(cpu, op, insn);
            case LDXR -> loadExclusive(cpu, insn);
            case STXR -> storeExclusive(cpu, insn);
            case LDXP -> loadExclusivePair(cpu, insn);
            case STXP -> storeExclusivePair(cpu, insn);
            case LDAR -> loadAcquire(cpu, insn);
            case STLR -> storeRelease(cpu, insn);
            default -> throw cpu.undefined();
        }
    }

    // ---- single register ---------------------------------------------------------------------------

    /** The common form (LDR/STR Rt, [Rn, #imm12 << size]) on its own, to keep the hot path short. */
    private static void loadStoreUnsignedOffset(Cpu cpu, int insn) {
        int size = insn >>> 30, opc = (insn >>> 22) & 3, t = rt(insn), n = rn(insn);
        if (opc >= 2 && (size == 3 || (size == 2 && opc == 3))) throw cpu.undefined();
        long address = baseRegister(cpu, n) + ((long) imm12(insn) << size);
        if (size == 3) {
            if (opc == 0) cpu.write64(address, cpu.x[t]);
            else cpu.setX(t, cpu.read64(address));
            return;
        }
        if (opc == 0) cpu.write(address, 1 << size, cpu.x[t], 0);
        else cpu.setX(t, extendLoaded(cpu.read(address, 1 << size, 0), size, opc));
    }

    /** Post/pre-index, unscaled, unprivileged and register offset forms. */
    private static void loadStoreRegister(Cpu cpu, int op, int insn) {
        int size = insn >>> 30, opc = (insn >>> 22) & 3, t = rt(insn), n = rn(insn);
        if (opc >= 2 && (size == 3 || (size == 2 && opc == 3))) throw cpu.undefined();
        long offset;
        if (op == LDST_REG) {
            int option = (insn >>> 13) & 7;
            if ((option & 2) == 0) throw cpu.undefined();
            int shift = (insn & (1 << 12)) != 0 ? size : 0;
            offset = extendReg(cpu.x[rm(insn)], option, shift);
        } else {
            offset = imm9(insn);
        }
        long base = baseRegister(cpu, n);
        long address = op == LDST_POST ? base : base + offset;
        boolean writeback = op == LDST_POST || op == LDST_PRE;
        int flags = 0;
        if (op == LDST_UNPRIV) {
            if (cpu.trapUnprivilegedAccess) throw cpu.undefined();
            flags = Mmu.ACC_UNPRIV;
        }
        if (opc == 0) {
            cpu.write(address, 1 << size, cpu.x[t], flags);
        } else {
            cpu.setX(t, extendLoaded(cpu.read(address, 1 << size, flags), size, opc));
        }
        if (writeback) cpu.setXOrSp(n, base + offset);
    }

    private static void loadLiteral(Cpu cpu, int op, int insn) {
        long address = cpu.insnPc + ((long) imm19(insn) << 2);
        int t = rt(insn);
        if (op == LDRSW_LIT) {
            cpu.setX(t, (int) cpu.read(address, 4, 0));
        } else if ((insn & (1 << 30)) != 0) {
            cpu.setX(t, cpu.read64(address));
        } else {
            cpu.setX(t, cpu.read(address, 4, 0));
        }
    }

    /** The loaded value as the destination register holds it: opc 2 sign-extends to 64 bits, opc 3 to 32. */
    static long extendLoaded(long v, int size, int opc) {
        if (opc < 2) return v;
        int bits = 64 - (8 << size);
        long s = v << bits >> bits;
        return opc == 2 ? s : s & 0xffffffffL;
    }

    /** ExtendReg() for the register-offset forms (option 0b010 UXTW, 0b011 LSL, 0b110 SXTW, 0b111 SXTX). */
    static long extendReg(long m, int option, int shift) {
        long v = switch (option) {
            case 2 -> m & 0xffffffffL;
            case 6 -> (int) m;
            default -> m;
        };
        return v << shift;
    }

    // ---- pairs -------------------------------------------------------------------------------------

    private static void loadStorePair(Cpu cpu, int op, int insn) {
        int opc = insn >>> 30, t = rt(insn), n = rn(insn), t2 = rt2(insn);
        boolean load = (insn & (1 << 22)) != 0;
        // opc 01 is LDPSW (load only; the store is STGP of MTE), opc 11 is unallocated.
        if (opc == 3 || (opc == 1 && (!load || op == PAIR_NO_ALLOC))) throw cpu.undefined();
        int size = opc == 2 ? 8 : 4;
        long offset = (long) imm7(insn) * size; // imm7, scaled
        long base = baseRegister(cpu, n);
        long address = op == PAIR_POST ? base : base + offset;
        if (load) {
            long v1, v2;
            if (size == 8) {
                v1 = cpu.read64Pair(address);
                v2 = cpu.pairSecond;
            } else {
                v1 = cpu.read(address, 4, 0);
                v2 = cpu.read(address + 4, 4, 0);
                if (opc == 1) {
                    v1 = (int) v1;
                    v2 = (int) v2;
                }
            }
            cpu.setX(t2, v2);
            cpu.setX(t, v1);
        } else if (size == 8) {
            cpu.write64Pair(address, cpu.x[t], cpu.x[t2]);
        } else {
            long v1 = cpu.x[t], v2 = cpu.x[t2];
            cpu.write(address, 4, v1, 0);
            cpu.write(address + 4, 4, v2, 0);
        }
        if (op == PAIR_POST || op == PAIR_PRE) cpu.setXOrSp(n, base + offset);
    }

    // ---- exclusives and ordered accesses -----------------------------------------------------------

    // Processors run on different host threads: a store-exclusive is a compare-and-exchange on the host
    // (HostAtomics) against the value its load-exclusive read, as QEMU implements it, so of two
    // processors racing from the same load-exclusive only one succeeds, and a store by anyone that changed
    // the value in between makes it fail. Acquire forms fence after their load, release forms before
    // their store; a store-release is also followed by a full fence, so that a later load-acquire cannot
    // pass it (the host may otherwise hold the store in its store buffer), as the Arm ARM requires.

    private static void loadExclusive(Cpu cpu, int insn) {
        int size = 1 << (insn >>> 30), t = rt(insn);
        long address = baseRegister(cpu, rn(insn));
        long v = cpu.read(address, size, Mmu.ACC_ALIGNED);
        VarHandle.acquireFence();
        setExclusiveMonitor(cpu, address, size, v, 0);
        cpu.setX(t, v);
    }

    private static void storeExclusive(Cpu cpu, int insn) {
        int size = 1 << (insn >>> 30), t = rt(insn), s = rs(insn);
        long address = baseRegister(cpu, rn(insn));
        long v = cpu.x[t];
        checkAlignment(cpu, address, size, Mmu.ACC_WRITE);
        boolean pass = false;
        if (exclusiveMonitorsPass(cpu, address, size)) {
            long host = cpu.hostAddress(address, size, true);
            if (host >= 0) {
                pass = HostAtomics.compareAndExchange(host, size, cpu.exclusiveValue, v) == cpu.exclusiveValue;
            } else if (cpu.read(address, size, Mmu.ACC_ALIGNED) == cpu.exclusiveValue) { // MMIO
                cpu.write(address, size, v, Mmu.ACC_ALIGNED);
                pass = true;
            }
        }
        cpu.clearExclusiveMonitor();
        cpu.setX(s, pass ? 0 : 1);
    }

    private static void loadExclusivePair(Cpu cpu, int insn) {
        boolean wide = (insn & (1 << 30)) != 0;
        int t = rt(insn), t2 = rt2(insn);
        long address = baseRegister(cpu, rn(insn));
        long v1, v2;
        if (wide) {
            // The pair is single-copy atomic as a whole: aligned to its total size of 16 bytes.
            checkAlignment(cpu, address, 16, Mmu.ACC_READ);
            long host = cpu.hostAddress(address, 16, false);
            if (host >= 0) {
                v1 = HostAtomics.loadPair(host, cpu.pairHigh);
                v2 = cpu.pairHigh[0];
            } else {
                v1 = cpu.read(address, 8, Mmu.ACC_ALIGNED);
                v2 = cpu.read(address + 8, 8, Mmu.ACC_ALIGNED);
            }
            setExclusiveMonitor(cpu, address, 16, v1, v2);
        } else {
            long v = cpu.read(address, 8, Mmu.ACC_ALIGNED);
            v1 = v & 0xffffffffL;
            v2 = v >>> 32;
            setExclusiveMonitor(cpu, address, 8, v, 0);
        }
        VarHandle.acquireFence();
        cpu.setX(t, v1);
        cpu.setX(t2, v2);
    }

    private static void storeExclusivePair(Cpu cpu, int insn) {
        boolean wide = (insn & (1 << 30)) != 0;
        int t = rt(insn), t2 = rt2(insn), s = rs(insn);
        long address = baseRegister(cpu, rn(insn));
        long v1 = cpu.x[t], v2 = cpu.x[t2];
        int size = wide ? 16 : 8;
        checkAlignment(cpu, address, size, Mmu.ACC_WRITE);
        boolean pass = false;
        if (exclusiveMonitorsPass(cpu, address, size)) {
            long host = cpu.hostAddress(address, size, true);
            long e1 = cpu.exclusiveValue, e2 = cpu.exclusiveValueHigh;
            if (host >= 0) {
                pass = wide
                        ? HostAtomics.compareAndExchangePair(host, e1, e2, v1, v2, cpu.pairHigh) == e1 && cpu.pairHigh[0] == e2
                        : HostAtomics.compareAndExchange(host, 8, e1, (v1 & 0xffffffffL) | (v2 << 32)) == e1;
            } else if (cpu.read(address, 8, Mmu.ACC_ALIGNED) == e1
                    && (!wide || cpu.read(address + 8, 8, Mmu.ACC_ALIGNED) == e2)) { // MMIO
                pass = true;
                if (wide) {
                    cpu.write(address, 8, v1, Mmu.ACC_ALIGNED);
                    cpu.write(address + 8, 8, v2, Mmu.ACC_ALIGNED);
                } else {
                    cpu.write(address, 8, (v1 & 0xffffffffL) | (v2 << 32), Mmu.ACC_ALIGNED);
                }
            }
        }
        cpu.clearExclusiveMonitor();
        cpu.setX(s, pass ? 0 : 1);
    }

    private static void loadAcquire(Cpu cpu, int insn) {
        int size = insn >>> 30, t = rt(insn);
        long address = baseRegister(cpu, rn(insn));
        long v = cpu.read(address, 1 << size, Mmu.ACC_ALIGNED);
        VarHandle.acquireFence();
        cpu.setX(t, v);
    }

    private static void storeRelease(Cpu cpu, int insn) {
        int size = insn >>> 30, t = rt(insn);
        long address = baseRegister(cpu, rn(insn));
        VarHandle.releaseFence();
        cpu.write(address, 1 << size, cpu.x[t], Mmu.ACC_ALIGNED);
        VarHandle.fullFence();
    }

    /** AArch64.SetExclusiveMonitors: marks the block loaded by a load-exclusive, remembering its data. */
    private static void setExclusiveMonitor(Cpu cpu, long address, int size, long value, long valueHigh) {
        cpu.exclusiveValid = true;
        cpu.exclusiveAddress = address;
        cpu.exclusiveSize = size;
        cpu.exclusiveValue = value;
        cpu.exclusiveValueHigh = valueHigh;
    }

    /**
     * AArch64.ExclusiveMonitorsPass, for one processor: the monitor must hold this address with the size
     * of the load-exclusive (the caller also compares the data). The caller clears the monitor whatever
     * the outcome, as a store-exclusive does.
     */
    private static boolean exclusiveMonitorsPass(Cpu cpu, long address, int size) {
        return cpu.exclusiveValid && cpu.exclusiveAddress == address && cpu.exclusiveSize == size;
    }

    // ---- shared with Atomics -----------------------------------------------------------------------

    /** The base register: SP (after CheckSPAlignment) when n is 31, else Xn. */
    static long baseRegister(Cpu cpu, int n) {
        if (n != 31) return cpu.x[n];
        checkSpAlignment(cpu);
        return cpu.sp;
    }

    /** CheckSPAlignment(): SCTLR_ELx.SA (SA0 at EL0) requires a 16-byte aligned SP as a base. */
    static void checkSpAlignment(Cpu cpu) {
        if ((cpu.sp & 15) == 0) return;
        int el = cpu.currentEl();
        long sctlr = cpu.sr.sctlr[el == 0 ? 1 : el];
        long bit = el == 0 ? SystemRegisters.SCTLR_SA0 : SystemRegisters.SCTLR_SA;
        if ((sctlr & bit) != 0) throw cpu.spAlignmentFault();
    }

    /** Raises the alignment fault of an access that must be aligned to {@code size} bytes. */
    static void checkAlignment(Cpu cpu, long address, int size, int acc) {
        if ((address & (size - 1)) != 0)
            throw cpu.dataAbort(address, acc | Mmu.ACC_ALIGNED, Esr.FSC_ALIGNMENT, false, false, 0);
    }
}
