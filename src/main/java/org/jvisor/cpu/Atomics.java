package org.jvisor.cpu;

import static org.jvisor.cpu.Fields.rn;
import static org.jvisor.cpu.Fields.rs;
import static org.jvisor.cpu.Fields.rt;

/**
 * The ARMv8.1 Large System Extensions atomics: LD&lt;op&gt; (and their ST&lt;op&gt; aliases with Rt=XZR),
 * SWP, CAS and CASP, in byte to doubleword sizes with acquire/release variants. All of them are
 * Undefined unless {@link Features#lse} is set.
 *
 * <p>Processors run on different host threads, so each read-modify-write of RAM is one atomic operation
 * on the host ({@link HostAtomics}: a compare-and-exchange, in a loop for the LD&lt;op&gt; forms). The
 * accesses must be aligned to their size (the pair forms to their total size), and they need write
 * permission even when nothing ends up written: as in QEMU, an alignment or permission fault reports
 * WnR=1 and no register changes. On MMIO they are a read then a write.
 */
final class Atomics {
    static final int LDADD = 1, LDCLR = 2, LDEOR = 3, LDSET = 4, LDSMAX = 5, LDSMIN = 6, LDUMAX = 7, LDUMIN = 8,
            SWP = 9, CAS = 10, CASP = 11;

    static final Encoding[] ENCODINGS = {
            // Atomic memory operations: size 111 0 00 A R 1 Rs o3 opc 00 Rn Rt
            new Encoding("LDADD", "zz111000Ar1SSSSS000000nnnnnttttt", LDADD),
            new Encoding("LDCLR", "zz111000Ar1SSSSS000100nnnnnttttt", LDCLR),
            new Encoding("LDEOR", "zz111000Ar1SSSSS001000nnnnnttttt", LDEOR),
            new Encoding("LDSET", "zz111000Ar1SSSSS001100nnnnnttttt", LDSET),
            new Encoding("LDSMAX", "zz111000Ar1SSSSS010000nnnnnttttt", LDSMAX),
            new Encoding("LDSMIN", "zz111000Ar1SSSSS010100nnnnnttttt", LDSMIN),
            new Encoding("LDUMAX", "zz111000Ar1SSSSS011000nnnnnttttt", LDUMAX),
            new Encoding("LDUMIN", "zz111000Ar1SSSSS011100nnnnnttttt", LDUMIN),
            new Encoding("SWP", "zz111000Ar1SSSSS100000nnnnnttttt", SWP),
            // In the load/store exclusive space: size 001000 o2=1 L o1=1 Rs o0 Rt2=11111 Rn Rt
            new Encoding("CAS", "zz0010001l1SSSSSo11111nnnnnttttt", CAS),
            new Encoding("CASP", "0z0010000l1SSSSSo11111nnnnnttttt", CASP),
    };

    private Atomics() {}

    static void execute(Cpu cpu, int op, int insn) {
        if (!cpu.features.lse) throw cpu.undefined();
        switch (op) {
            case CAS -> compareAndSwap(cpu, insn);
            case CASP -> compareAndSwapPair(cpu, insn);
            case LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN, SWP -> memAtomic(cpu, op, insn);
            default -> throw cpu.undefined();
        }
    }

    /** LD&lt;op&gt; and SWP: Rt receives the old value (zero-extended), memory the combination with Rs. */
    private static void memAtomic(Cpu cpu, int op, int insn) {
        int sizeLog = insn >>> 30, size = 1 << sizeLog, t = rt(insn);
        long address = LoadStore.baseRegister(cpu, rn(insn));
        long value = cpu.x[rs(insn)];
        long host = updateAddress(cpu, address, size);
        long old;
        if (host >= 0) {
            old = HostAtomics.load(host, size);
            while (true) {
                long witness = HostAtomics.compareAndExchange(host, size, old, combine(op, old, value, sizeLog));
                if (witness == old) break;
                old = witness;
            }
        } else {
            old = cpu.read(address, size, Mmu.ACC_ALIGNED);
            cpu.write(address, size, combine(op, old, value, sizeLog), Mmu.ACC_ALIGNED);
        }
        cpu.setX(t, old);
    }

    /** The value an LD&lt;op&gt; or SWP stores, given the old value (zero-extended) and Rs. */
    private static long combine(int op, long old, long value, int sizeLog) {
        int bits = 64 - (8 << sizeLog);
        return switch (op) {
            case LDADD -> old + value;
            case LDCLR -> old & ~value;
            case LDEOR -> old ^ value;
            case LDSET -> old | value;
            case LDSMAX -> Math.max(old << bits >> bits, value << bits >> bits);
            case LDSMIN -> Math.min(old << bits >> bits, value << bits >> bits);
            case LDUMAX -> Long.compareUnsigned(old, value << bits >>> bits) >= 0 ? old : value;
            case LDUMIN -> Long.compareUnsigned(old, value << bits >>> bits) <= 0 ? old : value;
            default -> value; // SWP
        };
    }

    /** CAS: stores Rt if memory equals Rs (compared at the access size); Rs receives the old value. */
    private static void compareAndSwap(Cpu cpu, int insn) {
        int sizeLog = insn >>> 30, size = 1 << sizeLog, s = rs(insn);
        long address = LoadStore.baseRegister(cpu, rn(insn));
        int bits = 64 - (8 << sizeLog);
        long expected = cpu.x[s] << bits >>> bits, newValue = cpu.x[rt(insn)];
        long host = updateAddress(cpu, address, size);
        long old;
        if (host >= 0) {
            old = HostAtomics.compareAndExchange(host, size, expected, newValue);
        } else {
            old = cpu.read(address, size, Mmu.ACC_ALIGNED);
            if (old == expected) cpu.write(address, size, newValue, Mmu.ACC_ALIGNED);
        }
        cpu.setX(s, old);
    }

    /** CASP: the same on an even/odd register pair, as one access of twice the register size. */
    private static void compareAndSwapPair(Cpu cpu, int insn) {
        int s = rs(insn), t = rt(insn);
        if ((s & 1) != 0 || (t & 1) != 0) throw cpu.undefined();
        boolean wide = (insn & (1 << 30)) != 0;
        long address = LoadStore.baseRegister(cpu, rn(insn));
        long e1 = cpu.x[s], e2 = cpu.x[s + 1], n1 = cpu.x[t], n2 = cpu.x[t + 1];
        if (wide) {
            long host = updateAddress(cpu, address, 16);
            long o1, o2;
            if (host >= 0) {
                o1 = HostAtomics.compareAndExchangePair(host, e1, e2, n1, n2, cpu.pairHigh);
                o2 = cpu.pairHigh[0];
            } else {
                o1 = cpu.read(address, 8, Mmu.ACC_ALIGNED);
                o2 = cpu.read(address + 8, 8, Mmu.ACC_ALIGNED);
                if (o1 == e1 && o2 == e2) {
                    cpu.write(address, 8, n1, Mmu.ACC_ALIGNED);
                    cpu.write(address + 8, 8, n2, Mmu.ACC_ALIGNED);
                }
            }
            cpu.setX(s, o1);
            cpu.setX(s + 1, o2);
        } else {
            long expected = (e1 & 0xffffffffL) | (e2 << 32), newValue = (n1 & 0xffffffffL) | (n2 << 32);
            long host = updateAddress(cpu, address, 8);
            long old;
            if (host >= 0) {
                old = HostAtomics.compareAndExchange(host, 8, expected, newValue);
            } else {
                old = cpu.read(address, 8, Mmu.ACC_ALIGNED);
                if (old == expected) cpu.write(address, 8, newValue, Mmu.ACC_ALIGNED);
            }
            cpu.setX(s, old & 0xffffffffL);
            cpu.setX(s + 1, old >>> 32);
        }
    }

    /**
     * The host address of the location of a read-modify-write, or -1 for MMIO: alignment and write
     * permission are checked first, so that a fault is reported as on the write (WnR=1) before anything
     * is read.
     */
    private static long updateAddress(Cpu cpu, long address, int size) {
        LoadStore.checkAlignment(cpu, address, size, Mmu.ACC_WRITE);
        return cpu.hostAddress(address, size, true);
    }
}
