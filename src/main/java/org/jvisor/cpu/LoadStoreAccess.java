package org.jvisor.cpu;

import static org.jvisor.cpu.Fields.imm12;
import static org.jvisor.cpu.Fields.imm19;
import static org.jvisor.cpu.Fields.imm7;
import static org.jvisor.cpu.Fields.imm9;

/**
 * A general-purpose register load or store as its instruction describes it, decoded by the same tables
 * as the instruction loop, for the two users that look at a faulting access from outside it: the data
 * abort syndrome the processor reports ({@link #syndrome}: ISV, SAS, SSE, SRT, SF, AR) and the
 * hypervisor's emulation of the MMIO accesses whose syndrome is not valid (pairs and writeback forms, which
 * KVM hands to the VMM as KVM_EXIT_ARM_NISV). Decoded only when an access faults, never per instruction,
 * into an instance its user keeps, so that an MMIO exit allocates nothing.
 */
public final class LoadStoreAccess {
    public enum Writeback { NONE, PRE, POST }

    private int size, rt, rt2, rn;
    private boolean load, signed, wide, acquireRelease;
    private Writeback writeback = Writeback.NONE;
    private long offset;

    /** Bytes per register (1, 2, 4 or 8). */
    public int size() { return size; }

    /** A load (else a store). */
    public boolean load() { return load; }

    /** The (first) transfer register. */
    public int rt() { return rt; }

    /** The second register of a pair, -1 for a single register. */
    public int rt2() { return rt2; }

    /** The base register (31 is SP), -1 for a PC-relative literal. */
    public int rn() { return rn; }

    /** Loads sign-extend from {@link #size}. */
    public boolean signed() { return signed; }

    /** The register is 64 bits wide (the syndrome's SF), else 32. */
    public boolean wide() { return wide; }

    /** When the base register is written back. */
    public Writeback writeback() { return writeback; }

    /** The immediate offset, scaled (0 for the register-offset forms, whose offset is Xm). */
    public long offset() { return offset; }

    /** LDAR or STLR (the syndrome's AR). */
    public boolean acquireRelease() { return acquireRelease; }

    public boolean pair() { return rt2 >= 0; }

    /**
     * Describes the access {@code insn} makes; false (and this unchanged) if it is not a general-purpose
     * load or store (exclusives, atomics, prefetches, SIMD&FP registers) or is unallocated.
     */
    public boolean decode(int insn) {
        int op = Decoder.decode(insn);
        if ((op >>> 12) != Executor.G_LOADSTORE) return false;
        int local = op & 0xfff, size = insn >>> 30, opc = (insn >>> 22) & 3;
        return switch (local) {
            case LoadStore.LDST_UIMM -> single(insn, size, opc, Writeback.NONE, (long) imm12(insn) << size);
            case LoadStore.LDST_UNSCALED, LoadStore.LDST_UNPRIV -> single(insn, size, opc, Writeback.NONE, imm9(insn));
            case LoadStore.LDST_PRE -> single(insn, size, opc, Writeback.PRE, imm9(insn));
            case LoadStore.LDST_POST -> single(insn, size, opc, Writeback.POST, imm9(insn));
            case LoadStore.LDST_REG -> single(insn, size, opc, Writeback.NONE, 0);
            case LoadStore.LDR_LIT -> {
                boolean wide = (insn & (1 << 30)) != 0;
                yield set(wide ? 8 : 4, true, Fields.rt(insn), -1, -1, false, wide, Writeback.NONE, (long) imm19(insn) << 2, false);
            }
            case LoadStore.LDRSW_LIT ->
                    set(4, true, Fields.rt(insn), -1, -1, true, true, Writeback.NONE, (long) imm19(insn) << 2, false);
            case LoadStore.LDAR, LoadStore.STLR -> set(1 << size, local == LoadStore.LDAR, Fields.rt(insn), -1,
                    Fields.rn(insn), false, size == 3, Writeback.NONE, 0, true);
            case LoadStore.PAIR_OFFSET, LoadStore.PAIR_NO_ALLOC -> pair(insn, local, Writeback.NONE);
            case LoadStore.PAIR_PRE -> pair(insn, local, Writeback.PRE);
            case LoadStore.PAIR_POST -> pair(insn, local, Writeback.POST);
            default -> false;
        };
    }

    /** opc 0 stores, 1 loads, 2 loads sign-extending to 64 bits, 3 to 32 bits. */
    private boolean single(int insn, int size, int opc, Writeback wb, long offset) {
        if (opc >= 2 && (size == 3 || (size == 2 && opc == 3))) return false;
        boolean wide = opc == 2 || (opc < 2 && size == 3);
        return set(1 << size, opc != 0, Fields.rt(insn), -1, Fields.rn(insn), opc >= 2, wide, wb, offset, false);
    }

    /** opc 00: 32-bit registers, 01: LDPSW (load only; not the no-allocate form), 10: 64-bit. */
    private boolean pair(int insn, int local, Writeback wb) {
        int opc = insn >>> 30;
        boolean load = (insn & (1 << 22)) != 0;
        if (opc == 3 || (opc == 1 && (!load || local == LoadStore.PAIR_NO_ALLOC))) return false;
        int size = opc == 2 ? 8 : 4;
        return set(size, load, Fields.rt(insn), Fields.rt2(insn), Fields.rn(insn), opc == 1, opc != 0, wb,
                (long) imm7(insn) * size, false);
    }

    private boolean set(int size, boolean load, int rt, int rt2, int rn, boolean signed, boolean wide,
            Writeback writeback, long offset, boolean acquireRelease) {
        this.size = size;
        this.load = load;
        this.rt = rt;
        this.rt2 = rt2;
        this.rn = rn;
        this.signed = signed;
        this.wide = wide;
        this.writeback = writeback;
        this.offset = offset;
        this.acquireRelease = acquireRelease;
        return true;
    }

    /**
     * ISS bits [24:14] a data abort reports for this access: ISV with SAS, SSE, SRT, SF and AR for a single
     * register without writeback (the Arm ARM's rule, as QEMU applies it), 0 for pairs and writeback forms.
     */
    public int syndrome() {
        if (pair() || writeback != Writeback.NONE) return 0;
        return Esr.accessSyndrome(Integer.numberOfTrailingZeros(size), signed, rt, wide, acquireRelease);
    }

    @Override
    public String toString() {
        return "LoadStoreAccess[size=" + size + ", load=" + load + ", rt=" + rt + ", rt2=" + rt2 + ", rn=" + rn
                + ", signed=" + signed + ", wide=" + wide + ", writeback=" + writeback + ", offset=" + offset
                + ", acquireRelease=" + acquireRelease + "]";
    }
}
