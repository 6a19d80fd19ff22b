package org.jvisor.cpu;

/**
 * One system register (or SYS operation) of the table in {@link SysRegTable}: its name and encoding, which
 * class stores it ({@link #owner}, and the owner's local {@link #id}), how writes are masked, its reset
 * value and its access rule (lowest EL, the EL0 enable that SCTLR_EL1/CNTKCTL_EL1/PMUSERENR_EL0/MDSCR_EL1
 * gives, and the HCR_EL2/MDCR_EL2/CPTR_EL2/CNTHCTL_EL2/ICH_HCR_EL2 bits that trap it to EL2).
 *
 * <p>The fluent setters are used only while the owners build their static tables; afterwards a
 * descriptor is never changed.
 */
final class SysReg {
    // EL0 enables (only meaningful when minEl is 0): which EL1 control allows the access from EL0.
    static final int EL0_ALWAYS = 0, EL0_UCT = 1, EL0_UMA = 2, EL0_DZE = 3, EL0_UCI = 4, EL0_PMU = 5,
            EL0_PMU_SW = 6, EL0_PMU_CR = 7, EL0_PMU_ER = 8, EL0_CNT_FRQ = 9, EL0_CNT_PCT = 10, EL0_CNT_VCT = 11,
            EL0_CNT_PT = 12, EL0_CNT_VT = 13, EL0_TDCC = 14, EL0_PMU_SEL = 15;

    /** Features a register depends on (absent feature: the encoding is unallocated). */
    static final int FEAT_NONE = 0, FEAT_PAN = 1, FEAT_DPB = 2, FEAT_GIC = 3;
    // FEAT_GIC: a GICv3 CPU interface is attached (Cpu.attachGicCpuInterface)

    final String name;
    /** op0:op1:CRn:CRm:op2, as in bits [20:5] of MRS/MSR/SYS. */
    final int key;
    int owner, id;
    /** Position in {@link SysRegTable}'s encoding order (for per-register counters). */
    int index;
    int minEl = 1;
    /** Lowest EL that may write (CNTFRQ_EL0 is writable only at the highest EL). */
    int writeMinEl;
    int el0 = EL0_ALWAYS;
    boolean readable = true, writable = true;
    /** Read-only at EL0 though writable at EL1 (TPIDRRO_EL0, PMUSERENR_EL0): an EL0 write is undefined. */
    boolean el0ReadOnly;
    long hcrRead, hcrWrite, mdcr, cptr;
    /** CNTHCTL_EL2 bits (EL1PCTEN, EL1PCEN) that must be set for EL0/EL1 access. */
    long cnthctl;
    /** ICH_HCR_EL2 bits (TC, TALL0, TALL1, TDIR) that trap an EL1 access to EL2 (the GIC CPU interface registers). */
    long ichHcr;
    long writeMask = -1L, res1;
    long reset;
    boolean hasReset;
    int feature;
    /** An FP/SIMD register (FPCR, FPSR): access also checks CPACR_EL1.FPEN and CPTR_EL2.TFP (EC 0x07). */
    boolean fp;

    SysReg(String name, int op0, int op1, int crn, int crm, int op2, int id) {
        this.name = name;
        this.key = key(op0, op1, crn, crm, op2);
        this.id = id;
    }

    static int key(int op0, int op1, int crn, int crm, int op2) {
        return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
    }

    int op0() { return key >>> 14; }
    int op1() { return (key >>> 11) & 7; }
    int crn() { return (key >>> 7) & 15; }
    int crm() { return (key >>> 3) & 15; }
    int op2() { return key & 7; }

    /** Accessible from EL0 when {@code rule} allows it. */
    SysReg el0(int rule) { minEl = 0; el0 = rule; return this; }
    SysReg el2() { minEl = 2; return this; }
    SysReg writeMinEl(int el) { writeMinEl = el; return this; }
    SysReg ro() { writable = false; return this; }
    SysReg wo() { readable = false; return this; }
    SysReg el0ReadOnly() { el0ReadOnly = true; return this; }
    /** Bits that may be written; {@code ones} are RES1. */
    SysReg mask(long writable, long ones) { writeMask = writable; res1 = ones; return this; }
    SysReg mask(long writable) { return mask(writable, 0); }
    SysReg reset(long value) { reset = value; hasReset = true; return this; }
    SysReg hcr(long bits) { hcrRead |= bits; hcrWrite |= bits; return this; }
    /** HCR_EL2.TVM traps EL1 writes, HCR_EL2.TRVM EL1 reads (the virtual memory controls). */
    SysReg tvm() { hcrRead |= SystemRegisters.HCR_TRVM; hcrWrite |= SystemRegisters.HCR_TVM; return this; }
    SysReg mdcr(long bits) { mdcr |= bits; return this; }
    SysReg cptr(long bits) { cptr |= bits; return this; }
    SysReg cnthctl(long bits) { cnthctl |= bits; return this; }
    SysReg ich(long bits) { ichHcr |= bits; return this; }
    SysReg feature(int f) { feature = f; return this; }
    SysReg fp() { fp = true; return this; }

    @Override
    public String toString() {
        return name + "(" + op0() + "," + op1() + ",c" + crn() + ",c" + crm() + "," + op2() + ")";
    }
}
