package org.jvisor.cpu;

/**
 * The exception syndrome, the Arm ARM's ESR_ELx, in one place as Linux's
 * arch/arm64/include/asm/esr.h has it: the exception classes (EC) with the names Linux and kvm_stat give
 * them, the fault status codes (FSC), the fields of the instruction-specific syndrome (ISS) of the
 * exceptions jvisor raises or handles, and the encoder of the syndromes it builds.
 *
 * <p>Static int/long arithmetic only: the processor's exception entry and the hypervisor's exit path use
 * it, and neither may allocate. The accessors take the whole ESR or the ISS alone (the ISS fields sit at
 * the same bits in both).
 */
public final class Esr {
    private Esr() {}

    // ---- EC, IL, ISS ---------------------------------------------------------------------------------

    /** ESR_ELx.EC values, named as in Linux's esr.h (ESR_ELx_EC_*). */
    public static final int EC_UNKNOWN = 0x00, EC_WFX = 0x01, EC_CP15_32 = 0x03, EC_CP15_64 = 0x04, EC_CP14_MR = 0x05,
            EC_CP14_LS = 0x06, EC_FP_ASIMD = 0x07, EC_CP10_ID = 0x08, EC_PAC = 0x09, EC_CP14_64 = 0x0c, EC_BTI = 0x0d,
            EC_ILL = 0x0e, EC_SVC32 = 0x11, EC_HVC32 = 0x12, EC_SMC32 = 0x13, EC_SVC64 = 0x15, EC_HVC64 = 0x16,
            EC_SMC64 = 0x17, EC_SYS64 = 0x18, EC_SVE = 0x19, EC_ERET = 0x1a, EC_FPAC = 0x1c, EC_SME = 0x1d, EC_IMP_DEF = 0x1f,
            EC_IABT_LOW = 0x20, EC_IABT_CUR = 0x21, EC_PC_ALIGN = 0x22, EC_DABT_LOW = 0x24, EC_DABT_CUR = 0x25,
            EC_SP_ALIGN = 0x26, EC_FP_EXC32 = 0x28, EC_FP_EXC64 = 0x2c, EC_SERROR = 0x2f, EC_BREAKPT_LOW = 0x30,
            EC_BREAKPT_CUR = 0x31, EC_SOFTSTP_LOW = 0x32, EC_SOFTSTP_CUR = 0x33, EC_WATCHPT_LOW = 0x34,
            EC_WATCHPT_CUR = 0x35, EC_BKPT32 = 0x38, EC_VECTOR32 = 0x3a, EC_BRK64 = 0x3c;

    private static final String[] EC_NAMES = new String[64];

    static {
        String[] n = EC_NAMES;
        n[EC_UNKNOWN] = "UNKNOWN"; n[EC_WFX] = "WFx"; n[EC_CP15_32] = "CP15_32"; n[EC_CP15_64] = "CP15_64";
        n[EC_CP14_MR] = "CP14_MR"; n[EC_CP14_LS] = "CP14_LS"; n[EC_FP_ASIMD] = "FP_ASIMD"; n[EC_CP10_ID] = "CP10_ID";
        n[EC_PAC] = "PAC"; n[EC_CP14_64] = "CP14_64"; n[EC_BTI] = "BTI"; n[EC_ILL] = "ILL"; n[EC_SVC32] = "SVC32";
        n[EC_HVC32] = "HVC32"; n[EC_SMC32] = "SMC32"; n[EC_SVC64] = "SVC64"; n[EC_HVC64] = "HVC64";
        n[EC_SMC64] = "SMC64"; n[EC_SYS64] = "SYS64"; n[EC_SVE] = "SVE"; n[EC_ERET] = "ERET"; n[EC_FPAC] = "FPAC"; n[EC_SME] = "SME";
        n[EC_IMP_DEF] = "IMP_DEF"; n[EC_IABT_LOW] = "IABT_LOW"; n[EC_IABT_CUR] = "IABT_CUR";
        n[EC_PC_ALIGN] = "PC_ALIGN"; n[EC_DABT_LOW] = "DABT_LOW"; n[EC_DABT_CUR] = "DABT_CUR";
        n[EC_SP_ALIGN] = "SP_ALIGN"; n[EC_FP_EXC32] = "FP_EXC32"; n[EC_FP_EXC64] = "FP_EXC64"; n[EC_SERROR] = "SERROR";
        n[EC_BREAKPT_LOW] = "BREAKPT_LOW"; n[EC_BREAKPT_CUR] = "BREAKPT_CUR"; n[EC_SOFTSTP_LOW] = "SOFTSTP_LOW";
        n[EC_SOFTSTP_CUR] = "SOFTSTP_CUR"; n[EC_WATCHPT_LOW] = "WATCHPT_LOW"; n[EC_WATCHPT_CUR] = "WATCHPT_CUR";
        n[EC_BKPT32] = "BKPT32"; n[EC_VECTOR32] = "VECTOR32"; n[EC_BRK64] = "BRK64";
    }

    /** The name of exception class {@code ec} as Linux's esr.h and kvm_stat spell it ("EC_0x0a" for one they do not name). */
    public static String ecName(int ec) {
        String name = ec >= 0 && ec < 64 ? EC_NAMES[ec] : null;
        return name != null ? name : "EC_0x" + Integer.toHexString(ec);
    }

    private static final int EC_SHIFT = 26;
    /** IL: the trapped instruction was 32 bits (every A64 instruction), or the exception has IL RES1. */
    public static final long IL = 1L << 25;
    public static final int ISS_MASK = 0x1ffffff;

    /** The syndrome of an exception jvisor raises: EC, IL = 1 (A64 instructions are 32-bit; IL is RES1 for the rest), ISS. */
    public static long encode(int ec, int iss) {
        return ((long) ec << EC_SHIFT) | IL | (iss & ISS_MASK);
    }

    public static int ec(long esr) { return (int) (esr >>> EC_SHIFT) & 0x3f; }

    public static boolean il(long esr) { return (esr & IL) != 0; }

    public static int iss(long esr) { return (int) esr & ISS_MASK; }

    // ---- fault status codes (DFSC/IFSC, ISS[5:0] of aborts) ------------------------------------------

    /** Fault status codes; the level-dependent ones (address size, translation, access flag, permission, walk external) take the level in [1:0]. */
    public static final int FSC_ADDRESS_SIZE = 0x00, FSC_TRANSLATION = 0x04, FSC_ACCESS_FLAG = 0x08,
            FSC_PERMISSION = 0x0c, FSC_SYNC_EXTERNAL = 0x10, FSC_SYNC_EXTERNAL_WALK = 0x14,
            FSC_ALIGNMENT = 0x21, FSC_DEBUG = 0x22, FSC_TLB_CONFLICT = 0x30;

    /** DFSC/IFSC, ISS[5:0]. */
    public static int fsc(long esr) { return (int) esr & 0x3f; }

    /** The fault status without its level (Linux's ESR_ELx_FSC_TYPE), to compare with the level-dependent FSC_ values. */
    public static int fscType(long esr) { return (int) esr & 0x3c; }

    // ---- data and instruction aborts (EC 0x20-0x25) --------------------------------------------------

    /** ISS bits of aborts: ISV (the access fields below are valid), SSE, SF, AR, FnV, EA, CM, S1PTW, WnR. */
    public static final int ISS_ISV = 1 << 24, ISS_SSE = 1 << 21, ISS_SF = 1 << 15, ISS_AR = 1 << 14,
            ISS_FNV = 1 << 10, ISS_EA = 1 << 9, ISS_CM = 1 << 8, ISS_S1PTW = 1 << 7, ISS_WNR = 1 << 6;
    private static final int SAS_SHIFT = 22, SRT_SHIFT = 16;

    /**
     * ISS[24:14] of a data abort with a valid syndrome (ISV): the access size (log2 of the bytes: SAS),
     * whether the load sign-extends (SSE), the register (SRT), whether it is 64 bits wide (SF) and
     * whether the access has acquire/release semantics (AR).
     */
    public static int accessSyndrome(int sizeLog2, boolean signExtend, int rt, boolean sixtyFour, boolean acquireRelease) {
        return ISS_ISV | (sizeLog2 << SAS_SHIFT) | (signExtend ? ISS_SSE : 0) | (rt << SRT_SHIFT)
                | (sixtyFour ? ISS_SF : 0) | (acquireRelease ? ISS_AR : 0);
    }

    public static boolean isv(long esr) { return (esr & ISS_ISV) != 0; }

    /** SAS: log2 of the access size in bytes. */
    public static int sas(long esr) { return (int) (esr >>> SAS_SHIFT) & 3; }

    public static boolean sse(long esr) { return (esr & ISS_SSE) != 0; }

    public static int srt(long esr) { return (int) (esr >>> SRT_SHIFT) & 31; }

    public static boolean sf(long esr) { return (esr & ISS_SF) != 0; }

    public static boolean ar(long esr) { return (esr & ISS_AR) != 0; }

    public static boolean fnv(long esr) { return (esr & ISS_FNV) != 0; }

    public static boolean ea(long esr) { return (esr & ISS_EA) != 0; }

    public static boolean cm(long esr) { return (esr & ISS_CM) != 0; }

    public static boolean s1ptw(long esr) { return (esr & ISS_S1PTW) != 0; }

    public static boolean wnr(long esr) { return (esr & ISS_WNR) != 0; }

    // ---- system register traps (EC 0x18) -------------------------------------------------------------

    /** ISS of EC 0x18: Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0] (1: read, MRS). */
    public static int sysRegSyndrome(int op0, int op1, int crn, int crm, int op2, int rt, boolean read) {
        return (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | (read ? 1 : 0);
    }

    public static int sysOp0(long esr) { return (int) (esr >>> 20) & 3; }

    public static int sysOp2(long esr) { return (int) (esr >>> 17) & 7; }

    public static int sysOp1(long esr) { return (int) (esr >>> 14) & 7; }

    public static int sysCrn(long esr) { return (int) (esr >>> 10) & 15; }

    public static int sysRt(long esr) { return (int) (esr >>> 5) & 31; }

    public static int sysCrm(long esr) { return (int) (esr >>> 1) & 15; }

    /** Direction: an MRS (or SYSL) rather than an MSR (or SYS). */
    public static boolean sysRead(long esr) { return (esr & 1) != 0; }

    // ---- WFx, FP/SIMD traps, HVC/SMC/SVC/BRK, debug ---------------------------------------------------

    /** CV = 1 and COND = 0b1110 (always), which the AArch64 traps that carry a condition report (WFx, FP/SIMD access). */
    public static final int ISS_COND_ALWAYS = (1 << 24) | (0xe << 20);

    /** ISS of a trapped WFI or WFE (TI: 0 WFI, 1 WFE). */
    public static int wfxSyndrome(boolean wfe) { return ISS_COND_ALWAYS | (wfe ? 1 : 0); }

    /** TI = 1: the trapped instruction was a WFE. */
    public static boolean wfxIsWfe(long esr) { return (esr & 3) == 1; }

    /** The immediate of an SVC, HVC, SMC or BRK (ISS[15:0]). */
    public static int imm16(long esr) { return (int) esr & 0xffff; }

    /** Software step: ISV says an instruction was stepped (EX then valid), EX that it was a load-exclusive. */
    public static final int ISS_STEP_ISV = 1 << 24, ISS_STEP_EX = 1 << 6;
}
