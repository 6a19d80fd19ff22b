package org.jvisor.cpu;

import static org.jvisor.cpu.SystemRegisters.HCR_DC;
import static org.jvisor.cpu.SystemRegisters.HCR_PTW;
import static org.jvisor.cpu.SystemRegisters.HCR_TGE;
import static org.jvisor.cpu.SystemRegisters.HCR_VM;
import static org.jvisor.cpu.SystemRegisters.SCTLR_EE;
import static org.jvisor.cpu.SystemRegisters.SCTLR_I;
import static org.jvisor.cpu.SystemRegisters.SCTLR_M;
import static org.jvisor.cpu.SystemRegisters.SCTLR_WXN;

/**
 * VMSAv8-64 address translation (AArch64.TranslateAddress): stage 1 of the EL1&amp;0 and EL2 (non-VHE)
 * regimes and stage 2 under HCR_EL2.VM, with 4K, 16K and 64K granules, and the architectural TLB
 * ({@link ArchTlb}) that TLBI maintains. {@link #translate} returns the physical address or
 * {@link #FAULT}, leaving the fault's status code, stage and IPA in fields for the caller to report.
 *
 * <p>Walk results are kept in fields, not objects, so a walk allocates nothing. Permissions are not
 * folded into TLB entries: an entry keeps the descriptor's AP/XN bits and the check is made per access,
 * so one entry serves EL0, EL1 and PAN accesses alike.
 */
public final class Mmu {
    /** Access kinds and flags. */
    public static final int ACC_READ = 1, ACC_WRITE = 2, ACC_EXEC = 4, ACC_UNPRIV = 8, ACC_ALIGNED = 16,
            ACC_CM = 32, ACC_AT = 64;
    public static final long FAULT = -1L;

    // Permission bits granted by a translation.
    private static final int P_R = 1, P_W = 2, P_X = 4, P_RWX = 7;

    // Stage 1 entry info: AP[2] (read-only), AP[1] (EL0 access), UXN (XN at EL2), PXN, level, SH, MAIR attribute.
    // Stage 2 entry info: S2AP[0] (read), S2AP[1] (write), XN, level, SH, MemAttr[3:0] in the attribute field.
    private static final int I_AP2 = 1, I_AP1 = 2, I_XN = 4, I_PXN = 8, I_S2R = 1, I_S2W = 2;
    private static final int I_LEVEL_SHIFT = 4, I_SH_SHIFT = 6, I_ATTR_SHIFT = 8;

    private static final long OA_MASK = 0x0000_ffff_ffff_f000L;
    private static final TlbiOp[] TLBI_OPS = TlbiOp.values();

    private final Cpu cpu;
    final ArchTlb tlb = new ArchTlb();

    // Result of the last successful translation: the permissions the walk granted at this MMU index.
    boolean lastReadable, lastWritable, lastExecutable;
    /** Memory attributes of the last translation (MAIR encoding); device memory is 0x00-0x0c. */
    int lastAttrs;
    /** Shareability of the last translation (SH encoding: 0 non-, 2 outer, 3 inner shareable). */
    int lastShareability;

    // Fault information of the last failed translation.
    int faultStatus;
    boolean faultStage2, faultS1ptw;
    long faultIpa;

    // Stage results of the translation in progress.
    private boolean s1Enabled;
    private int s1Info, s2Info;
    // Results of the last walk (translationTableWalk).
    private int walkLevel, walkShift;
    private long walkDesc;
    private boolean walkApTableRo, walkApTableNoEl0, walkXnTable, walkPxnTable;

    // TLBIs broadcast by other processors (and requests to stop caching write access to a page that now
    // holds decoded code), applied by this processor's own thread between chunks: only that thread
    // touches its TLBs. The broadcaster counts what it posted (remotePosted) and, at its next DSB, waits
    // until this processor has applied as much (remoteApplied) or is outside Cpu.run.
    private static final int DROP_WRITES = -1;
    private final Object remoteLock = new Object();
    private final int[] remoteOp = new int[64];
    private final long[] remoteXt = new long[64];
    private final int[] remoteVmid = new int[64];
    private int remoteCount;
    private boolean remoteOverflow, remoteTlbi;
    volatile boolean remotePending;
    private volatile long remotePosted, remoteApplied;
    /** This processor broadcast TLBIs that its next DSB must see completed everywhere. */
    private boolean broadcastPending;

    Mmu(Cpu cpu) {
        this.cpu = cpu;
    }

    /** Empties the architectural TLB (processor reset). */
    void reset() {
        tlb.invalidateAll();
        synchronized (remoteLock) {
            remoteCount = 0;
            remoteOverflow = remoteTlbi = false;
            remotePending = false;
            remoteApplied = remotePosted;
        }
        broadcastPending = false;
    }

    /**
     * To be called after any write to a register that changes translation (SCTLR_ELx, TCR_ELx, TTBRn_ELx,
     * MAIR_ELx, HCR_EL2, VTTBR_EL2, VTCR_EL2): the fast TLB in front is not tagged with ASID, VMID or the
     * controls, so it is flushed. The architectural TLB keeps its entries, as hardware does.
     */
    public void contextChanged() {
        cpu.tlbFlush();
    }

    /** Whether the last translation gave Device memory, where unaligned data accesses are alignment faults. */
    boolean lastIsDevice() {
        return (lastAttrs & 0xf0) == 0;
    }

    /** Translates {@code va} for an access of kind {@code acc} at MMU index {@code mmuIdx}. */
    long translate(long va, int acc, int mmuIdx) {
        return translateAddress(va, acc, mmuIdx, true);
    }

    /**
     * AArch64.TranslateAddress: stage 1 of the regime of {@code mmuIdx} then, for EL1&0 with stage 2
     * enabled and {@code finalStage2} (AT S1* ops translate only to the IPA), stage 2.
     */
    private long translateAddress(long va, int acc, int mmuIdx, boolean finalStage2) {
        boolean el2Regime = mmuIdx == SoftTlb.IDX_EL2;
        boolean s2 = !el2Regime && (cpu.sr.hcrEl2 & (HCR_VM | HCR_DC)) != 0;
        long ipa = firstStageTranslate(va, acc, mmuIdx, el2Regime, s2);
        if (ipa == FAULT) return FAULT;
        int perms = s1Enabled
                ? s1Permissions(s1Info, mmuIdx, el2Regime, cpu.sr.sctlr[el2Regime ? 2 : 1], mmuIdx == SoftTlb.IDX_EL1_PAN)
                : P_RWX;
        int attrs = (s1Info >>> I_ATTR_SHIFT) & 0xff;
        int sh = (s1Info >>> I_SH_SHIFT) & 3;
        long pa = ipa;
        if (s2 && finalStage2) {
            pa = secondStageTranslate(ipa, va, acc, false);
            if (pa == FAULT) return FAULT;
            if ((s2Info & I_S2R) == 0) perms &= ~P_R;
            if ((s2Info & I_S2W) == 0) perms &= ~P_W;
            if ((s2Info & I_XN) != 0) perms &= ~P_X;
            attrs = combineS1S2Attrs(attrs, (s2Info >>> I_ATTR_SHIFT) & 0xf);
            int sh2 = (s2Info >>> I_SH_SHIFT) & 3;
            if (sh == 2 || sh2 == 2) sh = 2;
            else if (sh == 3 || sh2 == 3) sh = 3;
        }
        lastReadable = (perms & P_R) != 0;
        lastWritable = (perms & P_W) != 0;
        lastExecutable = (perms & P_X) != 0;
        lastAttrs = attrs;
        // Device and Normal Non-cacheable memory are always Outer Shareable.
        lastShareability = (attrs & 0xf0) == 0 || attrs == 0x44 ? 2 : sh;
        return pa;
    }

    // ---- stage 1 -----------------------------------------------------------------------------------

    /** AArch64.FirstStageTranslate: VA to IPA (EL1&0 with stage 2) or PA, with the stage 1 permission check. */
    private long firstStageTranslate(long va, int acc, int mmuIdx, boolean el2Regime, boolean s2) {
        SystemRegisters sr = cpu.sr;
        int el = el2Regime ? 2 : 1;
        long sctlr = sr.sctlr[el];
        long tcr = sr.tcr[el];
        long hcr = sr.hcrEl2;
        // AddrTop: TBI by VA[55] (ARMv8.0 has no TBID, so it also applies to instruction fetches).
        boolean tbi = el2Regime ? (tcr & (1L << 20)) != 0 : (tcr & (1L << ((va & (1L << 55)) != 0 ? 38 : 37))) != 0;
        int top = tbi ? 55 : 63;
        s1Enabled = (sctlr & SCTLR_M) != 0 && (el2Regime || (hcr & (HCR_TGE | HCR_DC)) == 0);
        if (!s1Enabled) return translateAddressS1Off(va, acc, el2Regime, top, sctlr, hcr);

        boolean upper = !el2Regime && (va & (1L << top)) != 0;
        int tsz, grain, ps;
        long ttb;
        boolean epd;
        if (el2Regime) {
            tsz = (int) tcr & 63;
            grain = granuleTg0((int) (tcr >>> 14) & 3);
            ttb = sr.ttbr0[2];
            epd = false;
            ps = (int) (tcr >>> 16) & 7;
        } else if (!upper) {
            tsz = (int) tcr & 63;
            grain = granuleTg0((int) (tcr >>> 14) & 3);
            ttb = sr.ttbr0[1];
            epd = (tcr & (1L << 7)) != 0;
            ps = (int) (tcr >>> 32) & 7;
        } else {
            tsz = (int) (tcr >>> 16) & 63;
            grain = granuleTg1((int) (tcr >>> 30) & 3);
            ttb = sr.ttbr1El1;
            epd = (tcr & (1L << 23)) != 0;
            ps = (int) (tcr >>> 32) & 7;
        }
        // An out-of-range TnSZ is CONSTRAINED UNPREDICTABLE: we force it into range, as QEMU does.
        int inputSize = Math.clamp(64 - tsz, 25, 48);
        long field = (va << (63 - top)) >>> (63 - top + inputSize); // VA[top:inputSize]
        long ones = (1L << (top - inputSize + 1)) - 1;
        if (field != (upper ? ones : 0)) return fault(Esr.FSC_TRANSLATION, false, false, 0);

        int asid = 0, want;
        if (el2Regime) {
            want = ArchTlb.VALID | ArchTlb.REGIME_EL2;
        } else {
            long asidTtb = (tcr & (1L << 22)) != 0 ? sr.ttbr1El1 : sr.ttbr0[1];
            asid = (int) (asidTtb >>> 48) & ((tcr & (1L << 36)) != 0 ? 0xffff : 0xff);
            want = ArchTlb.VALID | ArchTlb.REGIME_EL10 | (currentVmid() << ArchTlb.VMID_SHIFT);
        }
        boolean privileged = mmuIdx != SoftTlb.IDX_EL0;
        // PAN restricts loads and stores (and AT S1E1RP/WP), not fetches or cache maintenance.
        boolean pan = mmuIdx == SoftTlb.IDX_EL1_PAN && (acc & ACC_CM) == 0;

        int i = tlb.lookup(want, asid, va);
        if (i >= 0) {
            int info = tlb.info[i];
            if (!permissionFails(s1Permissions(info, mmuIdx, el2Regime, sctlr, pan), acc, privileged)) {
                s1Info = info;
                return tlb.out[i] | (va & ~(-1L << tlb.shift[i]));
            }
            // A cached entry denies the access: the tables may have been relaxed without TLBI, which
            // the architecture lets us honour by walking again (dropping an entry is always allowed).
            tlb.invalidateEntry(i);
        }
        if (epd) return fault(Esr.FSC_TRANSLATION, false, false, 0);

        int level = 4 - ceilDiv(inputSize - grain, grain - 3);
        int outputSize = Math.min(physicalAddressSize(ps), cpu.features.paBits);
        boolean bigEndian = (sctlr & SCTLR_EE) != 0;
        long out = translationTableWalk(va, va, inputSize, grain, level, ttb, outputSize, false, s2, bigEndian, false);
        if (out == FAULT) return FAULT;
        long desc = walkDesc;
        int ap2 = (int) (desc >>> 7) & 1 | (walkApTableRo ? 1 : 0);
        int ap1 = el2Regime ? 1 : (int) (desc >>> 6) & 1 & (walkApTableNoEl0 ? 0 : 1);
        int xn = (int) (desc >>> 54) & 1 | (walkXnTable ? 1 : 0);
        int pxn = el2Regime ? 0 : (int) (desc >>> 53) & 1 | (walkPxnTable ? 1 : 0);
        int attr = (int) (sr.mair[el] >>> (8 * ((desc >>> 2) & 7))) & 0xff;
        int info = (ap2 != 0 ? I_AP2 : 0) | (ap1 != 0 ? I_AP1 : 0) | (xn != 0 ? I_XN : 0) | (pxn != 0 ? I_PXN : 0)
                | (walkLevel << I_LEVEL_SHIFT) | ((int) (desc >>> 8) & 3) << I_SH_SHIFT | attr << I_ATTR_SHIFT;
        boolean global = el2Regime || (desc & (1L << 11)) == 0;
        tlb.insert(want | (global ? ArchTlb.GLOBAL : asid), va, walkShift, out, info);
        s1Info = info;
        if (permissionFails(s1Permissions(info, mmuIdx, el2Regime, sctlr, pan), acc, privileged))
            return fault(Esr.FSC_PERMISSION | walkLevel, false, false, 0);
        return out | (va & ~(-1L << walkShift));
    }

    /** AArch64.TranslateAddressS1Off: flat, bounded by the PA size; data is Device-nGnRnE unless HCR_EL2.DC. */
    private long translateAddressS1Off(long va, int acc, boolean el2Regime, int top, long sctlr, long hcr) {
        int pa = cpu.features.paBits;
        if (((va << (63 - top)) >>> (63 - top + pa)) != 0) return fault(Esr.FSC_ADDRESS_SIZE, false, false, 0);
        int attr;
        if (!el2Regime && (hcr & HCR_DC) != 0) attr = 0xff;
        else if ((acc & ACC_EXEC) != 0) attr = (sctlr & SCTLR_I) != 0 ? 0xaa : 0x44;
        else attr = 0x00;
        s1Info = attr << I_ATTR_SHIFT | (attr == 0xff ? 0 : 2) << I_SH_SHIFT;
        return va & ((1L << pa) - 1);
    }

    /** The R/W/X permissions stage 1 grants at {@code mmuIdx} (AArch64.CheckPermission, ARMv8.1 PAN). */
    private static int s1Permissions(int info, int mmuIdx, boolean el2Regime, long sctlr, boolean pan) {
        boolean wxn = (sctlr & SCTLR_WXN) != 0;
        boolean ap2 = (info & I_AP2) != 0;
        if (el2Regime) {
            boolean w = !ap2;
            boolean xn = (info & I_XN) != 0 || (w && wxn);
            return P_R | (w ? P_W : 0) | (xn ? 0 : P_X);
        }
        boolean userR = (info & I_AP1) != 0;
        boolean userW = userR && !ap2;
        if (mmuIdx == SoftTlb.IDX_EL0) {
            boolean xn = (info & I_XN) != 0 || (userW && wxn);
            return (userR ? P_R : 0) | (userW ? P_W : 0) | (xn ? 0 : P_X);
        }
        boolean privW = !ap2;
        // EL1 never executes what EL0 can write.
        boolean xn = (info & I_PXN) != 0 || (privW && wxn) || userW;
        int p = xn ? 0 : P_X;
        if (!(pan && userR)) p |= P_R | (privW ? P_W : 0);
        return p;
    }

    /** Whether an access of kind {@code acc} needs a permission it was not granted. */
    private static boolean permissionFails(int perms, int acc, boolean privileged) {
        if ((acc & ACC_EXEC) != 0) return (perms & P_X) == 0;
        boolean w = (acc & ACC_WRITE) != 0;
        if (w && (acc & ACC_READ) != 0) return (perms & (P_R | P_W)) != (P_R | P_W);
        if (w) return (perms & P_W) == 0; // includes DC IVAC, which needs write permission
        // Other data cache maintenance by VA is not permission checked except at EL0.
        if ((acc & ACC_CM) != 0 && privileged) return false;
        return (perms & P_R) == 0;
    }

    // ---- stage 2 -----------------------------------------------------------------------------------

    /**
     * AArch64.SecondStageTranslate: IPA to PA for the current VMID, with the stage 2 permission check
     * ({@code s1ptw}: the access is a stage 1 table walk read).
     */
    private long secondStageTranslate(long ipa, long va, int acc, boolean s1ptw) {
        SystemRegisters sr = cpu.sr;
        long vtcr = sr.vtcrEl2;
        int inputSize = Math.clamp(64 - ((int) vtcr & 63), 25, 48);
        if ((ipa >>> inputSize) != 0) return fault(Esr.FSC_TRANSLATION, true, s1ptw, ipa);
        int want = ArchTlb.VALID | ArchTlb.REGIME_S2 | (currentVmid() << ArchTlb.VMID_SHIFT);
        int i = tlb.lookup(want, 0, ipa);
        if (i >= 0) {
            int info = tlb.info[i];
            if (!s2PermissionFails(info, acc, s1ptw)) {
                long pa = tlb.out[i] | (ipa & ~(-1L << tlb.shift[i]));
                return checkS2Walk(info, pa, ipa, s1ptw);
            }
            tlb.invalidateEntry(i);
        }
        int grain = granuleTg0((int) (vtcr >>> 14) & 3);
        int stride = grain - 3;
        int sl0 = (int) (vtcr >>> 6) & 3;
        int paMax = cpu.features.paBits;
        int level;
        boolean ok;
        if (grain == 12) {
            level = 2 - sl0;
            ok = sl0 != 3 && (level != 0 || paMax > 42);
        } else {
            level = 3 - sl0;
            ok = sl0 != 3 && (level != 1 || paMax > (grain == 14 ? 40 : 42));
        }
        int startSizeCheck = inputSize - ((3 - level) * stride + grain);
        if (!ok || startSizeCheck < 1 || startSizeCheck > stride + 4) return fault(Esr.FSC_TRANSLATION, true, s1ptw, ipa);
        int outputSize = Math.min(physicalAddressSize((int) (vtcr >>> 16) & 7), paMax);
        boolean bigEndian = (sr.sctlr[2] & SCTLR_EE) != 0;
        long out = translationTableWalk(ipa, va, inputSize, grain, level, sr.vttbrEl2, outputSize, true, false, bigEndian, s1ptw);
        if (out == FAULT) return FAULT;
        long desc = walkDesc;
        int info = ((desc & (1L << 6)) != 0 ? I_S2R : 0) | ((desc & (1L << 7)) != 0 ? I_S2W : 0)
                | ((desc & (1L << 54)) != 0 ? I_XN : 0) | walkLevel << I_LEVEL_SHIFT
                | ((int) (desc >>> 8) & 3) << I_SH_SHIFT | ((int) (desc >>> 2) & 0xf) << I_ATTR_SHIFT;
        tlb.insert(want | ArchTlb.GLOBAL, ipa, walkShift, out, info);
        if (s2PermissionFails(info, acc, s1ptw)) {
            s2Info = info;
            return fault(Esr.FSC_PERMISSION | walkLevel, true, s1ptw, ipa);
        }
        return checkS2Walk(info, out | (ipa & ~(-1L << walkShift)), ipa, s1ptw);
    }

    /** HCR_EL2.PTW: a stage 1 walk that stage 2 maps to Device memory is a stage 2 permission fault. */
    private long checkS2Walk(int info, long pa, long ipa, boolean s1ptw) {
        s2Info = info;
        if (s1ptw && (cpu.sr.hcrEl2 & HCR_PTW) != 0 && ((info >>> (I_ATTR_SHIFT + 2)) & 3) == 0)
            return fault(Esr.FSC_PERMISSION | ((info >>> I_LEVEL_SHIFT) & 3), true, true, ipa);
        return pa;
    }

    /** AArch64.CheckS2Permission (ARMv8.0: one XN bit). */
    private static boolean s2PermissionFails(int info, int acc, boolean s1ptw) {
        boolean r = (info & I_S2R) != 0, w = (info & I_S2W) != 0;
        if (s1ptw) return !r;
        if ((acc & ACC_EXEC) != 0) return (info & I_XN) != 0;
        boolean isWrite = (acc & ACC_WRITE) != 0;
        if (isWrite && (acc & ACC_READ) != 0) return !r || !w;
        if (isWrite) return !w;
        if ((acc & ACC_CM) != 0) return false;
        return !r;
    }

    /** Stage 1 and stage 2 memory attributes combined: the stricter type and the weaker cacheability. */
    static int combineS1S2Attrs(int s1, int s2MemAttr) {
        boolean s1Device = (s1 & 0xf0) == 0;
        boolean s2Device = (s2MemAttr & 0xc) == 0;
        if (s1Device || s2Device) {
            int t1 = s1Device ? (s1 >>> 2) & 3 : 3, t2 = s2Device ? s2MemAttr & 3 : 3;
            return Math.min(t1, t2) << 2;
        }
        return combineCacheability(s1 >>> 4, (s2MemAttr >>> 2) & 3) << 4 | combineCacheability(s1 & 0xf, s2MemAttr & 3);
    }

    /** One MAIR nibble (outer or inner) limited by a stage 2 cacheability (1 NC, 2 WT, 3 WB). */
    private static int combineCacheability(int nibble, int s2) {
        int c1 = nibble == 0b0100 ? 1 : (nibble & 0b0100) != 0 ? 3 : 2; // 0b00RW/0b10RW WT, 0b01RW/0b11RW WB
        if (nibble == 0) c1 = 1;
        int c2 = s2 == 0 ? 1 : s2;
        int c = Math.min(c1, c2);
        if (c == c1) return nibble;
        return c == 1 ? 0b0100 : 0b1010;
    }

    // ---- the walk ----------------------------------------------------------------------------------

    /**
     * AArch64.TranslationTableWalk: walks the tables at {@code ttb} for input address {@code ia} of
     * {@code inputSize} bits from {@code level}, returning the output address of the block or page (its
     * descriptor and level in walk* fields) or FAULT. With {@code walkThroughS2}, every table address is an
     * IPA translated by stage 2 first. Descriptor faults are reported for {@code secondStage} (and, for a
     * stage 2 walk, with {@code s1ptw} and the IPA).
     */
    private long translationTableWalk(long ia, long va, int inputSize, int grain, int level, long ttb, int outputSize,
                                      boolean secondStage, boolean walkThroughS2, boolean bigEndian, boolean s1ptw) {
        int stride = grain - 3;
        long faultIpa = secondStage ? ia : 0;
        if (outputSize < 48 && ((ttb & 0x0000_ffff_ffff_ffffL) >>> outputSize) != 0)
            return fault(Esr.FSC_ADDRESS_SIZE, secondStage, s1ptw, faultIpa);
        int baseLowerBound = 3 + inputSize - ((3 - level) * stride + grain);
        long base = ttb & 0x0000_ffff_ffff_ffffL & (-1L << baseLowerBound);
        boolean apRo = false, apNoEl0 = false, xnT = false, pxnT = false;
        int topBit = inputSize - 1;
        int bottom;
        long desc;
        while (true) {
            bottom = (3 - level) * stride + grain;
            long index = ((ia & ((2L << topBit) - 1)) >>> bottom) << 3;
            long descAddr = base | index;
            if (walkThroughS2) {
                descAddr = secondStageTranslate(descAddr, va, ACC_READ, true);
                if (descAddr == FAULT) return FAULT;
            }
            try {
                desc = cpu.bus.read(descAddr, 8);
            } catch (BusError e) {
                return fault(Esr.FSC_SYNC_EXTERNAL_WALK | level, secondStage, s1ptw, faultIpa);
            }
            if (bigEndian) desc = Long.reverseBytes(desc);
            if ((desc & 1) == 0 || ((desc & 3) == 1 && level == 3))
                return fault(Esr.FSC_TRANSLATION | level, secondStage, s1ptw, faultIpa);
            if ((desc & 3) == 1 || level == 3) break;
            if (outputAddressOutOfRange(desc, grain, outputSize))
                return fault(Esr.FSC_ADDRESS_SIZE | level, secondStage, s1ptw, faultIpa);
            base = desc & OA_MASK & (-1L << grain);
            if (!secondStage) {
                apRo |= (desc & (1L << 62)) != 0;
                apNoEl0 |= (desc & (1L << 61)) != 0;
                xnT |= (desc & (1L << 60)) != 0;
                pxnT |= (desc & (1L << 59)) != 0;
            }
            level++;
            topBit = bottom - 1;
        }
        int firstBlockLevel = grain == 12 ? 1 : 2;
        if (level < firstBlockLevel) return fault(Esr.FSC_TRANSLATION | level, secondStage, s1ptw, faultIpa);
        if (outputAddressOutOfRange(desc, grain, outputSize))
            return fault(Esr.FSC_ADDRESS_SIZE | level, secondStage, s1ptw, faultIpa);
        // No hardware Access flag management (ARMv8.1 TTHM is not implemented).
        if ((desc & (1L << 10)) == 0) return fault(Esr.FSC_ACCESS_FLAG | level, secondStage, s1ptw, faultIpa);
        walkDesc = desc;
        walkLevel = level;
        walkShift = bottom;
        walkApTableRo = apRo;
        walkApTableNoEl0 = apNoEl0;
        walkXnTable = xnT;
        walkPxnTable = pxnT;
        return desc & OA_MASK & (-1L << bottom);
    }

    private static boolean outputAddressOutOfRange(long desc, int grain, int outputSize) {
        if (grain == 16 && (desc & 0xf000L) != 0) return true; // OA[51:48] with 64K pages: needs 52-bit PAs
        return outputSize < 48 && ((desc & OA_MASK) >>> outputSize) != 0;
    }

    /** TCR.TG0 / VTCR.TG0: 00 4K, 01 64K, 10 16K (reserved values: 4K). Returns the page shift. */
    private static int granuleTg0(int tg) {
        return tg == 1 ? 16 : tg == 2 ? 14 : 12;
    }

    /** TCR_EL1.TG1: 01 16K, 10 4K, 11 64K (reserved value: 4K). */
    private static int granuleTg1(int tg) {
        return tg == 1 ? 14 : tg == 3 ? 16 : 12;
    }

    /** PS/IPS encodings; 52 bits (ARMv8.2) and reserved values read as 48. */
    private static int physicalAddressSize(int ps) {
        return switch (ps) {
            case 0 -> 32;
            case 1 -> 36;
            case 2 -> 40;
            case 3 -> 42;
            case 4 -> 44;
            default -> 48;
        };
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private int currentVmid() {
        return (int) (cpu.sr.vttbrEl2 >>> 48) & 0xff;
    }

    // ---- TLB maintenance ---------------------------------------------------------------------------

    /**
     * TLBI: invalidates what the architectural TLB holds for {@code op} with operand {@code xt} (the
     * instruction's register: VA[55:12] in [43:0], ASID in [63:48], or IPA[47:12] in [35:0]);
     * {@code broadcast} for the Inner Shareable forms, which every processor on the bus applies before
     * its next chunk of instructions.
     */
    public void tlbi(TlbiOp op, long xt, boolean broadcast) {
        int vmid = currentVmid();
        // Software writes an 8-bit ASID with the upper bits zero; with TCR_EL1.AS=0 they are not compared.
        if ((cpu.sr.tcr[1] & (1L << 36)) == 0) xt &= ~(0xffL << 56);
        invalidate(op, xt, vmid);
        cpu.tlbFlush();
        if (broadcast) {
            for (Cpu other : cpu.bus.cpus()) {
                if (other == cpu) continue;
                other.mmu.postRemote(op.ordinal(), xt, vmid);
                other.endChunkSoon(); // so that it applies the invalidation before our DSB has long to wait
                broadcastPending = true;
            }
        }
    }

    private void invalidate(TlbiOp op, long xt, int vmid) {
        int el10 = ArchTlb.REGIME_EL10 | vmid << ArchTlb.VMID_SHIFT;
        int s2 = ArchTlb.REGIME_S2 | vmid << ArchTlb.VMID_SHIFT;
        int regimeVmid = ArchTlb.REGIME_MASK | ArchTlb.VMID_MASK;
        long va = (xt << 20) >> 8; // VA[55:12], sign-extended from bit 55
        int asid = (int) (xt >>> 48);
        switch (op) {
            case VMALLE1 -> tlb.invalidateWhere(regimeVmid, el10);
            case VAE1, VALE1 -> tlb.invalidateAddress(el10, va, false, asid);
            case VAAE1, VAALE1 -> tlb.invalidateAddress(el10, va, true, 0);
            case ASIDE1 -> tlb.invalidateWhere(regimeVmid | ArchTlb.GLOBAL | ArchTlb.ASID_MASK, el10 | asid);
            case VMALLS12E1 -> {
                tlb.invalidateWhere(regimeVmid, el10);
                tlb.invalidateWhere(regimeVmid, s2);
            }
            case ALLE1 -> {
                tlb.invalidateWhere(ArchTlb.REGIME_MASK, ArchTlb.REGIME_EL10);
                tlb.invalidateWhere(ArchTlb.REGIME_MASK, ArchTlb.REGIME_S2);
            }
            case ALLE2 -> tlb.invalidateWhere(ArchTlb.REGIME_MASK, ArchTlb.REGIME_EL2);
            case VAE2, VALE2 -> tlb.invalidateAddress(ArchTlb.REGIME_EL2, va, true, 0);
            case IPAS2E1, IPAS2LE1 -> tlb.invalidateAddress(s2, (xt & 0xf_ffff_ffffL) << 12, true, 0);
        }
    }

    private void postRemote(int op, long xt, int vmid) {
        synchronized (remoteLock) {
            int n = remoteCount;
            if (n < remoteOp.length) {
                remoteOp[n] = op;
                remoteXt[n] = xt;
                remoteVmid[n] = vmid;
                remoteCount = n + 1;
            } else {
                remoteOverflow = true; // invalidating more than asked is always allowed
            }
            if (op != DROP_WRITES) remoteTlbi = true;
            remotePosted++;
            remotePending = true;
        }
    }

    /** Asks this processor to stop caching write access to the physical page {@code paPage} (it holds decoded code now). */
    void postDropWrites(long paPage) {
        postRemote(DROP_WRITES, paPage, 0);
    }

    /** Applies what other processors posted; called by this processor's own thread. */
    void applyRemoteInvalidations() {
        boolean flush;
        synchronized (remoteLock) {
            flush = remoteOverflow || remoteTlbi;
            if (remoteOverflow) tlb.invalidateAll();
            else
                for (int k = 0; k < remoteCount; k++) {
                    if (remoteOp[k] != DROP_WRITES) invalidate(TLBI_OPS[remoteOp[k]], remoteXt[k], remoteVmid[k]);
                    else if (!flush) cpu.tlb.dropWritesTo(remoteXt[k]);
                }
            remoteCount = 0;
            remoteOverflow = remoteTlbi = false;
            remotePending = false;
            remoteApplied = remotePosted;
        }
        if (flush) cpu.tlbFlush();
    }

    /**
     * DSB: the TLB invalidations this processor broadcast are complete on every processor when it
     * returns. Waits for each other processor to apply them (it does so between chunks, within a few
     * thousand instructions) unless it is outside {@link Cpu#run} (asleep in WFI, powered off, or in its
     * host's hands), where it applies them before running again. While waiting, this processor applies
     * what others broadcast to it, so two processors that broadcast at once do not wait for each other
     * forever.
     */
    void completeBroadcasts() {
        if (!broadcastPending) return;
        broadcastPending = false;
        for (Cpu other : cpu.bus.cpus()) {
            if (other == cpu) continue;
            Mmu m = other.mmu;
            long wanted = m.remotePosted;
            for (int spins = 0; m.remoteApplied < wanted && other.isRunning(); spins++) {
                if (remotePending) applyRemoteInvalidations();
                if (spins < 1000) Thread.onSpinWait();
                else Thread.yield();
            }
        }
    }

    // ---- address translation instructions ------------------------------------------------------------

    /**
     * AT: translates {@code va} as {@code op} asks and returns the value for PAR_EL1. Faults do not trap,
     * except a stage 2 fault on the stage 1 walk of an AT S1E0* / S1E1* executed at EL1, which is taken to
     * EL2 as the architecture requires (this method then throws).
     */
    public long at(AtOp op, long va) {
        int mmuIdx;
        boolean write, twoStage = false;
        switch (op) {
            case S1E1R, S1E1W -> mmuIdx = SoftTlb.IDX_EL1;
            case S1E0R, S1E0W -> mmuIdx = SoftTlb.IDX_EL0;
            case S1E1RP, S1E1WP -> mmuIdx = SoftTlb.IDX_EL1_PAN;
            case S1E2R, S1E2W -> mmuIdx = SoftTlb.IDX_EL2;
            case S12E1R, S12E1W -> {
                mmuIdx = SoftTlb.IDX_EL1;
                twoStage = true;
            }
            default -> {
                mmuIdx = SoftTlb.IDX_EL0;
                twoStage = true;
            }
        }
        write = switch (op) {
            case S1E1W, S1E0W, S1E1WP, S1E2W, S12E1W, S12E0W -> true;
            default -> false;
        };
        int acc = ACC_AT | (write ? ACC_WRITE : ACC_READ);
        long pa = translateAddress(va, acc, mmuIdx, twoStage);
        if (pa == FAULT) {
            if (faultStage2 && faultS1ptw && cpu.currentEl() == 1)
                throw cpu.dataAbort(va, ACC_READ | ACC_CM, faultStatus, true, true, faultIpa);
            return 1L | (long) (faultStatus & 0x3f) << 1 | (faultS1ptw ? 1L << 8 : 0) | (faultStage2 ? 1L << 9 : 0)
                    | 1L << 11;
        }
        // Non-secure result (there is no EL3), PAR bit 11 RES1.
        return (pa & OA_MASK) | (long) lastAttrs << 56 | (long) lastShareability << 7 | 1L << 9 | 1L << 11;
    }

    /**
     * Where a data access from {@code el} (0 or 1, with the processor's PSTATE.PAN at EL1; 2) to {@code va}
     * would go now, as the processor itself would translate it: through its TLB (so a stale entry still
     * answers until a TLBI removes it, and a walk fills it), with the permission check of a read or a
     * {@code write}. The physical address, or {@link #FAULT}; no exception is taken and no register changes.
     * For tools that watch translation change ({@code jvisor classify}); not used by the processor itself.
     */
    public long probe(long va, int el, boolean write) {
        int idx = switch (el) {
            case 0 -> SoftTlb.IDX_EL0;
            case 1 -> cpu.pan ? SoftTlb.IDX_EL1_PAN : SoftTlb.IDX_EL1;
            default -> SoftTlb.IDX_EL2;
        };
        return translate(va, write ? ACC_WRITE : ACC_READ, idx);
    }

    // ---- translation for debuggers -------------------------------------------------------------------

    /**
     * Reads the 8-byte translation table descriptor at {@code address} (a stage 1 output address: an IPA
     * when stage 2 is on) for {@link #debugTranslate}; any RuntimeException means "no memory there".
     */
    @FunctionalInterface
    public interface DescriptorReader {
        long read(long address);
    }

    /**
     * The stage 1 translation of {@code va} in the regime of exception level {@code el} (0 or 1: EL1&amp;0,
     * 2: EL2) as the tables in memory give it now, for debuggers and monitors: the output address (an
     * IPA when stage 2 is on, else a PA), or {@link #FAULT} when it does not translate. No permission
     * check, and no side effect: neither TLB nor any fault or walk state of the processor changes, and
     * the guest sees nothing. Descriptors are read through stage 2 (a side-effect-free walk too) and the
     * processor's bus.
     */
    public long debugTranslate(long va, int el) {
        boolean s2 = el < 2 && (cpu.sr.hcrEl2 & HCR_VM) != 0;
        return debugTranslate(va, el, a -> {
            long pa = s2 ? debugStage2(a) : a;
            if (pa == FAULT) throw BusError.INSTANCE;
            return cpu.bus.read(pa, 8);
        });
    }

    /** {@link #debugTranslate(long, int)} with descriptors read by {@code reader} (e.g. from guest memory by IPA). */
    public long debugTranslate(long va, int el, DescriptorReader reader) {
        SystemRegisters sr = cpu.sr;
        boolean el2Regime = el == 2;
        int r = el2Regime ? 2 : 1;
        long sctlr = sr.sctlr[r];
        if (!el2Regime && (sr.hcrEl2 & (HCR_TGE | HCR_DC)) != 0) sctlr &= ~SCTLR_M;
        Stage1Walk w = walk(new Stage1Walk(), va, sctlr, sr.tcr[r], sr.ttbr0[r], sr.ttbr1El1, el2Regime, cpu.features.paBits, reader);
        return w.fault() ? FAULT : w.outputAddress;
    }

    /**
     * Walks the EL1&amp;0 stage 1 tables that {@code sctlr}, {@code tcr}, {@code ttbr0} and {@code ttbr1} give (a
     * guest's virtual registers, not necessarily the processor's) for {@code va}, reading descriptors with
     * {@code reader} (a read that throws is an external abort on the walk). No permission check, no side
     * effect: the caller decides what the leaf allows (see {@link Stage1Walk}).
     */
    public Stage1Walk walkEl10(Stage1Walk into, long va, long sctlr, long tcr, long ttbr0, long ttbr1, DescriptorReader reader) {
        into.fault = -1;
        into.flat = false;
        into.tableReadOnly = into.tableNoEl0 = into.tableUxn = into.tablePxn = false;
        return walk(into, va, sctlr, tcr, ttbr0, ttbr1, false, cpu.features.paBits, reader);
    }

    private static Stage1Walk walk(Stage1Walk w, long va, long sctlr, long tcr, long ttbr0, long ttbr1, boolean el2Regime,
            int paBits, DescriptorReader reader) {
        boolean tbi = el2Regime ? (tcr & (1L << 20)) != 0 : (tcr & (1L << ((va & (1L << 55)) != 0 ? 38 : 37))) != 0;
        int top = tbi ? 55 : 63;
        if ((sctlr & SCTLR_M) == 0) {
            long a = top == 55 ? va & 0x00ff_ffff_ffff_ffffL : va;
            w.flat = true;
            w.outputAddress = a;
            w.shift = 12;
            return (a >>> paBits) != 0 ? w.fail(Esr.FSC_ADDRESS_SIZE) : w;
        }
        boolean upper = !el2Regime && (va & (1L << top)) != 0;
        int tsz, grain;
        long ttb;
        if (!upper) {
            tsz = (int) tcr & 63;
            grain = granuleTg0((int) (tcr >>> 14) & 3);
            ttb = ttbr0;
            if (!el2Regime && (tcr & (1L << 7)) != 0) return w.fail(Esr.FSC_TRANSLATION);
        } else {
            tsz = (int) (tcr >>> 16) & 63;
            grain = granuleTg1((int) (tcr >>> 30) & 3);
            ttb = ttbr1;
            if ((tcr & (1L << 23)) != 0) return w.fail(Esr.FSC_TRANSLATION);
        }
        int inputSize = Math.clamp(64 - tsz, 25, 48);
        long field = (va << (63 - top)) >>> (63 - top + inputSize);
        long ones = (1L << (top - inputSize + 1)) - 1;
        if (field != (upper ? ones : 0)) return w.fail(Esr.FSC_TRANSLATION);
        int level = 4 - ceilDiv(inputSize - grain, grain - 3);
        boolean bigEndian = (sctlr & SCTLR_EE) != 0;
        return debugWalk(w, va, inputSize, grain, level, ttb, bigEndian, reader);
    }
    /** Stage 2 of {@code ipa} as VTTBR_EL2's tables give it now (PA or FAULT), without side effects. */
    public long debugStage2(long ipa) {
        SystemRegisters sr = cpu.sr;
        long vtcr = sr.vtcrEl2;
        int inputSize = Math.clamp(64 - ((int) vtcr & 63), 25, 48);
        if ((ipa >>> inputSize) != 0) return FAULT;
        int grain = granuleTg0((int) (vtcr >>> 14) & 3);
        int sl0 = (int) (vtcr >>> 6) & 3;
        if (sl0 == 3) return FAULT;
        int level = grain == 12 ? 2 - sl0 : 3 - sl0;
        boolean bigEndian = (sr.sctlr[2] & SCTLR_EE) != 0;
        Stage1Walk w = debugWalk(new Stage1Walk(), ipa, inputSize, grain, level, sr.vttbrEl2, bigEndian, a -> cpu.bus.read(a, 8));
        return w.fault() ? FAULT : w.outputAddress;
    }

    /** The walk of {@link #walk} and {@link #debugStage2} (whose table bits the caller ignores). */
    private static Stage1Walk debugWalk(Stage1Walk w, long ia, int inputSize, int grain, int level, long ttb, boolean bigEndian,
            DescriptorReader reader) {
        int stride = grain - 3;
        long base = ttb & OA_MASK & (-1L << Math.max(3, 3 + inputSize - ((3 - level) * stride + grain)));
        int topBit = inputSize - 1;
        for (int guard = 0; guard < 5 && level <= 3; guard++) {
            int bottom = (3 - level) * stride + grain;
            long index = ((ia & ((2L << topBit) - 1)) >>> bottom) << 3;
            long desc;
            w.level = level;
            try {
                desc = reader.read(base | index);
            } catch (RuntimeException e) {
                return w.fail(Esr.FSC_SYNC_EXTERNAL_WALK | level);
            }
            if (bigEndian) desc = Long.reverseBytes(desc);
            if ((desc & 1) == 0) return w.fail(Esr.FSC_TRANSLATION | level);
            boolean table = (desc & 3) == 3 && level < 3;
            if (!table) {
                if (level == 3 && (desc & 3) != 3) return w.fail(Esr.FSC_TRANSLATION | level);
                if (level < (grain == 12 ? 1 : 2)) return w.fail(Esr.FSC_TRANSLATION | level);
                w.descriptor = desc;
                w.shift = bottom;
                w.outputAddress = (desc & OA_MASK & (-1L << bottom)) | (ia & ~(-1L << bottom));
                return w;
            }
            w.tablePxn |= (desc & (1L << 59)) != 0;
            w.tableUxn |= (desc & (1L << 60)) != 0;
            w.tableNoEl0 |= (desc & (1L << 61)) != 0;
            w.tableReadOnly |= (desc & (1L << 62)) != 0;
            base = desc & OA_MASK & (-1L << grain);
            level++;
            topBit = bottom - 1;
        }
        return w.fail(Esr.FSC_TRANSLATION | Math.min(level, 3));
    }

    private long fault(int fsc, boolean stage2, boolean s1ptw, long ipa) {
        faultStatus = fsc;
        faultStage2 = stage2;
        faultS1ptw = s1ptw;
        faultIpa = ipa;
        return FAULT;
    }
}
