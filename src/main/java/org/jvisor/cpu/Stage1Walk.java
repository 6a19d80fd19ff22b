package org.jvisor.cpu;

/**
 * A stage 1 walk of the EL1&amp;0 regime with registers given by the caller, not the processor's own: a
 * hypervisor that shadows its guest's page tables walks them with the guest's virtual SCTLR/TCR/TTBRs
 * ({@link Mmu#walkEl10}). It reads descriptors through a {@link Mmu.DescriptorReader} and changes nothing.
 * Either {@link #fault()} holds the fault the architecture would report (an FSC of {@link Esr} with its
 * level), or the leaf: its output address, the size it maps, its descriptor and the restrictions the
 * table descriptors above it add (APTable, UXNTable, PXNTable).
 */
public final class Stage1Walk {
    /** The MMU is off (SCTLR_EL1.M clear): the output is the input address, flat. */
    public boolean flat;
    /** -1, or the FSC (level included) of the fault the walk found. */
    public int fault = -1;
    public long outputAddress, descriptor;
    /** log2 of the size the leaf maps (12 for a 4 KiB page, 21 for a 2 MiB block...). */
    public int shift, level;
    /** APTable[1] (no write at any EL), APTable[0] (no EL0 access), UXNTable, PXNTable somewhere above the leaf. */
    public boolean tableReadOnly, tableNoEl0, tableUxn, tablePxn;

    public boolean fault() { return fault >= 0; }

    /** AP[2] with APTable[1]: nobody may write. */
    public boolean readOnly() { return (descriptor & (1L << 7)) != 0 || tableReadOnly; }

    /** AP[1] without APTable[0]: EL0 may access. */
    public boolean el0Access() { return (descriptor & (1L << 6)) != 0 && !tableNoEl0; }

    public boolean uxn() { return (descriptor & (1L << 54)) != 0 || tableUxn; }

    public boolean pxn() { return (descriptor & (1L << 53)) != 0 || tablePxn; }

    /** The access flag: clear, the first access is an Access flag fault (jvisor has no hardware update). */
    public boolean accessFlag() { return (descriptor & (1L << 10)) != 0; }

    /** AttrIndx, the MAIR slot the leaf names. */
    public int attrIndex() { return (int) (descriptor >>> 2) & 7; }

    /** nG: the entry belongs to the current ASID only. */
    public boolean notGlobal() { return (descriptor & (1L << 11)) != 0; }

    Stage1Walk fail(int fsc) {
        fault = fsc;
        return this;
    }
}
