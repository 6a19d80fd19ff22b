package org.jvisor.cpu;

import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * The GICv3 virtual CPU interface of this processor (GIC architecture IHI 0069, "Virtual interrupt
 * handling and prioritization"): the list registers, ICH_HCR_EL2, ICH_VMCR_EL2 and the virtual active
 * priorities that a hypervisor at EL2 programs, and the ICV_* view of the ICC_* registers that EL1 reaches
 * under HCR_EL2.IMO/FMO (see {@link GicSysRegs}). Exists on a processor with a GIC CPU interface
 * attached; its state is the processor's, reset with it.
 *
 * <p>It drives the processor's virtual IRQ (a signallable Group 1 list register) and virtual FIQ (Group 0)
 * through {@link Cpu#virtualLines}, recomputed on every change of this state (only this processor's
 * thread changes it), so the run loop tests one field; and the maintenance interrupt (ICH_HCR_EL2.En and
 * ICH_MISR_EL2 != 0), a level the interrupt controller connects to its PPI 25 with
 * {@link #connectMaintenance}.
 *
 * <p>Implemented as QEMU's cortex-a57 (and max) CPU interface: 4 list registers, 5 bits of virtual
 * priority and 5 of preemption (32 levels, so one ICH_AP0R/AP1R each), 24-bit virtual INTIDs, A3V, TDIR
 * supported (TDS), no direct injection (nV4), no SEI and no NMI.
 *
 * <p>The same model serves a memory-mapped GICv2 with the virtualization extensions (IHI 0048B chapter 5),
 * whose GICH and GICV frames the interrupt controller implements on top of the public methods here (made
 * with {@link Cpu#attachGicV2VirtualInterface}): the list registers, GICH_HCR, MISR, EISR and ELRSR are the
 * GICv3 ones in a narrower format, GICH_VMCR is ICH_VMCR_EL2's layout with VAckCtl and VFIQEn writable,
 * and the GICv2 differences are QEMU 7.2's (arm_gic.c): one active-priorities register for both groups
 * (GICH_APR, kept here as Group 0's), the source CPUID of a virtual SGI in GICV_IAR, 1022 for a Group 1
 * interrupt read through GICV_IAR without AckCtl, and a GICV_EOIR that deactivates its list register
 * without checking its group or priority. Same sizes as QEMU's GICv2: 4 list registers, 5 priority bits.
 */
public final class GicVirtualInterface {
    public static final int LIST_REGISTERS = 4, PRI_BITS = 5, PRE_BITS = 5;
    /** The lowest virtual binary point of Group 0 (7 - PREbits): the preemption level is priority >> 3. */
    static final int MIN_VBPR = 7 - PRE_BITS;
    static final int SPURIOUS = 1023, LPI_BASE = 8192;

    /**
     * ICH_VTR_EL2: ListRegs [4:0] = 3, TDS [19], nV4 [20], A3V [21], IDbits [25:23] = 1 (24 bits),
     * PREbits [28:26] = 4, PRIbits [31:29] = 4 (the field holds bits - 1).
     */
    static final long VTR = (LIST_REGISTERS - 1) | (1L << 19) | (1L << 20) | (1L << 21) | (1L << 23)
            | ((long) (PRE_BITS - 1) << 26) | ((long) (PRI_BITS - 1) << 29);

    // ICH_HCR_EL2
    static final long HCR_EN = 1, HCR_UIE = 2, HCR_LRENPIE = 4, HCR_NPIE = 8, HCR_VGRP0EIE = 0x10, HCR_VGRP0DIE = 0x20,
            HCR_VGRP1EIE = 0x40, HCR_VGRP1DIE = 0x80, HCR_TC = 1L << 10, HCR_TALL0 = 1L << 11, HCR_TALL1 = 1L << 12,
            HCR_TDIR = 1L << 14;
    static final int EOICOUNT_SHIFT = 27;
    /** Writable bits: TSEI [13] is RES0 without SEIS, vSGIEOICount [8] without GICv4.1. */
    static final long HCR_MASK = 0xF800_0000L | HCR_TDIR | HCR_TALL1 | HCR_TALL0 | HCR_TC | 0xFF;

    // ICH_VMCR_EL2
    static final long VMCR_VENG0 = 1, VMCR_VENG1 = 2, VMCR_VFIQEN = 8, VMCR_VCBPR = 0x10, VMCR_VEOIM = 1L << 9;
    static final int VBPR1_SHIFT = 18, VBPR0_SHIFT = 21, VPMR_SHIFT = 24;
    /** Writable: VENG0/1, VCBPR, VEOIM, VBPR1, VBPR0, VPMR; VAckCtl is RES0 and VFIQEn RES1 (no legacy operation). */
    static final long VMCR_MASK = VMCR_VENG0 | VMCR_VENG1 | VMCR_VCBPR | VMCR_VEOIM | (7L << VBPR1_SHIFT)
            | (7L << VBPR0_SHIFT) | (0xFFL << VPMR_SHIFT);

    // ICH_MISR_EL2
    static final long MISR_EOI = 1, MISR_U = 2, MISR_LRENP = 4, MISR_NP = 8, MISR_VGRP0E = 0x10, MISR_VGRP0D = 0x20,
            MISR_VGRP1E = 0x40, MISR_VGRP1D = 0x80;

    // ICH_LR<n>_EL2: vINTID [31:0], pINTID [44:32] (EOI [41] when HW is 0), Priority [55:48], Group [60],
    // HW [61], State [63:62]
    static final long LR_EOI = 1L << 41, LR_GROUP = 1L << 60, LR_HW = 1L << 61, LR_PENDING = 1L << 62,
            LR_ACTIVE = 1L << 63, LR_STATE = LR_PENDING | LR_ACTIVE;
    /** Writable: RES0 are vINTID [31:24] (24 ID bits), [47:45], the unimplemented priority bits [50:48], [59:56]. */
    static final long LR_MASK = 0xF0F8_1FFF_00FF_FFFFL;
    /** ICV_CTLR_EL1's read-only part, as ICH_VTR_EL2 says: A3V [15], IDbits [13:11] = 1, PRIbits [10:8] = 4. */
    static final long ICV_CTLR_RO = (1L << 15) | (1L << 11) | ((long) (PRI_BITS - 1) << 8);
    static final long CTLR_CBPR = 1, CTLR_EOIMODE = 2;

    /**
     * GICH_VMCR (IHI 0048B) is ICH_VMCR_EL2's layout with a 5-bit VMPriMask at [31:27], the bits
     * VPMR has with 5 priority bits; VMAckCtl [2] and VMFIQEn [3] are writable (no RES0/RES1 as in GICv3).
     */
    public static final long V2_VMCR_MASK = VMCR_VENG0 | VMCR_VENG1 | 4 | VMCR_VFIQEN | VMCR_VCBPR | VMCR_VEOIM
            | (7L << VBPR1_SHIFT) | (7L << VBPR0_SHIFT) | (0xF8L << VPMR_SHIFT);
    static final long VMCR_VACKCTL = 4;
    /** GICH_HCR's writable bits (QEMU's GICH_HCR_MASK): En to VGrp1DIE [7:0] and EOICount [31:27]. */
    public static final long V2_HCR_MASK = 0xF800_00FFL;
    static final int GROUP1_SPURIOUS = 1022;

    private final Cpu cpu;
    /** A GICv2's virtual CPU interface (memory-mapped) rather than a GICv3's. */
    private final boolean v2;
    /** Deactivates the physical INTID of a hardware-linked list register, in the physical CPU interface. */
    private final IntConsumer deactivatePhysical;
    long hcr, vmcr;
    final long[] lr = new long[LIST_REGISTERS];
    /** ICH_AP0R0_EL2 and ICH_AP1R0_EL2: one bit per preemption level. */
    int apr0, apr1;
    private InterruptLine maintenance = level -> { };
    private boolean maintenanceLevel;

    GicVirtualInterface(Cpu cpu, boolean v2, IntConsumer deactivatePhysical) {
        this.cpu = cpu;
        this.v2 = v2;
        this.deactivatePhysical = Objects.requireNonNull(deactivatePhysical);
        reset();
    }

    /**
     * Connects the maintenance interrupt (the interrupt controller's PPI 25 on QEMU's virt board): set on
     * this processor's thread whenever its level changes.
     */
    public void connectMaintenance(InterruptLine line) {
        maintenance = Objects.requireNonNull(line);
        line.set(maintenanceLevel);
    }

    /**
     * The reset values QEMU gives (the architecture leaves most UNKNOWN): the minimum binary points, and
     * VFIQEn on a GICv3 (RES1 there; a GICv2's GICV_CTLR resets to 0).
     */
    void reset() {
        hcr = 0;
        java.util.Arrays.fill(lr, 0);
        apr0 = apr1 = 0;
        vmcr = (v2 ? 0 : VMCR_VFIQEN) | ((long) (MIN_VBPR + 1) << VBPR1_SHIFT) | ((long) MIN_VBPR << VBPR0_SHIFT);
        update();
    }

    /**
     * ICH_HCR, ICH_VMCR, the list registers and the active priorities. The virtual IRQ/FIQ and the
     * maintenance level are derived: recomputed at restore, which drives them out again.
     */
    void saveState(StateWriter w) {
        w.tag(v2 ? "GICv2 virtual CPU interface" : "GICv3 virtual CPU interface");
        w.putLong(hcr).putLong(vmcr).putLongs(lr).putInt(apr0).putInt(apr1);
    }

    void restoreState(StateReader r) {
        r.tag(v2 ? "GICv2 virtual CPU interface" : "GICv3 virtual CPU interface");
        hcr = SystemRegisters.within(r.getLong(), v2 ? V2_HCR_MASK : HCR_MASK, "ICH_HCR_EL2");
        vmcr = SystemRegisters.within(r.getLong(), v2 ? V2_VMCR_MASK : VMCR_MASK | VMCR_VFIQEN, "ICH_VMCR_EL2");
        if (!v2 && (vmcr & VMCR_VFIQEN) == 0) throw new StateException("ICH_VMCR_EL2.VFIQEn is RES1 on a GICv3");
        setVbpr(0, vbpr(0)); // as a write leaves them: never below the minimum
        setVbpr(1, vbpr(1));
        r.getLongs(lr);
        for (long l : lr) SystemRegisters.within(l, LR_MASK, "ICH_LR<n>_EL2");
        apr0 = r.getInt();
        apr1 = r.getInt();
        update();
    }

    // ---- ICH_*_EL2 ---------------------------------------------------------------------------------

    void writeHcr(long v) {
        hcr = v;
        update();
    }

    void writeVmcr(long v) {
        vmcr = v2 ? v & V2_VMCR_MASK : v | VMCR_VFIQEN;
        // a binary point written below its minimum reads as the minimum
        setVbpr(0, vbpr(0));
        setVbpr(1, vbpr(1));
        update();
    }

    void writeLr(int n, long v) {
        lr[n] = v;
        update();
    }

    void writeApr(int group, long v) {
        if (group == 0) apr0 = (int) v;
        else apr1 = (int) v;
        update();
    }

    long apr(int group) { return (group == 0 ? apr0 : apr1) & 0xFFFF_FFFFL; }

    /** ICH_EISR_EL2: the list registers that are invalid, not hardware, and ask for an EOI maintenance interrupt. */
    long eisr() {
        long v = 0;
        for (int i = 0; i < LIST_REGISTERS; i++) if ((lr[i] & (LR_STATE | LR_HW | LR_EOI)) == LR_EOI) v |= 1L << i;
        return v;
    }

    /** ICH_ELRSR_EL2: the list registers with no interrupt (invalid, and no EOI maintenance to report). */
    long elrsr() {
        long v = 0;
        for (int i = 0; i < LIST_REGISTERS; i++) {
            long l = lr[i];
            if ((l & LR_STATE) == 0 && ((l & LR_HW) != 0 || (l & LR_EOI) == 0)) v |= 1L << i;
        }
        return v;
    }

    /** ICH_MISR_EL2: the maintenance conditions ICH_HCR_EL2 enables, as the spec lists them. */
    long misr() {
        long v = 0;
        int valid = 0;
        boolean pending = false;
        for (long l : lr) {
            if ((l & LR_STATE) != 0) valid++;
            if ((l & LR_STATE) == LR_PENDING) pending = true;
        }
        if (eisr() != 0) v |= MISR_EOI;
        if ((hcr & HCR_UIE) != 0 && valid < 2) v |= MISR_U;
        if ((hcr & HCR_LRENPIE) != 0 && (hcr >>> EOICOUNT_SHIFT) != 0) v |= MISR_LRENP;
        if ((hcr & HCR_NPIE) != 0 && !pending) v |= MISR_NP;
        boolean g0 = (vmcr & VMCR_VENG0) != 0, g1 = (vmcr & VMCR_VENG1) != 0;
        if ((hcr & HCR_VGRP0EIE) != 0 && g0) v |= MISR_VGRP0E;
        if ((hcr & HCR_VGRP0DIE) != 0 && !g0) v |= MISR_VGRP0D;
        if ((hcr & HCR_VGRP1EIE) != 0 && g1) v |= MISR_VGRP1E;
        if ((hcr & HCR_VGRP1DIE) != 0 && !g1) v |= MISR_VGRP1D;
        return v;
    }

    // ---- ICV_*_EL1 -----------------------------------------------------------------------------------

    long read(GicCpuInterface.Register r) {
        return switch (r) {
            case PMR -> (vmcr >>> VPMR_SHIFT) & 0xFF;
            case IAR0 -> acknowledge(1);
            case IAR1 -> acknowledge(2);
            case HPPIR0 -> highestPending(0);
            case HPPIR1 -> highestPending(1);
            case BPR0 -> vbpr(0);
            case BPR1 -> (vmcr & VMCR_VCBPR) != 0 ? Math.min(vbpr(0) + 1, 7) : vbpr(1);
            case AP0R0 -> apr(0);
            case AP1R0 -> apr(1);
            case RPR -> runningPriority();
            case CTLR -> ICV_CTLR_RO | ((vmcr & VMCR_VEOIM) != 0 ? CTLR_EOIMODE : 0) | ((vmcr & VMCR_VCBPR) != 0 ? CTLR_CBPR : 0);
            case IGRPEN0 -> vmcr & VMCR_VENG0;
            case IGRPEN1 -> (vmcr & VMCR_VENG1) >>> 1;
            default -> throw new IllegalArgumentException("no ICV register " + r);
        };
    }

    void write(GicCpuInterface.Register r, long v) {
        switch (r) {
            case PMR -> vmcr = (vmcr & ~(0xFFL << VPMR_SHIFT)) | ((v & priorityMask()) << VPMR_SHIFT);
            case EOIR0 -> endOfInterrupt((int) v & 0xFF_FFFF, 0);
            case EOIR1 -> endOfInterrupt((int) v & 0xFF_FFFF, 1);
            case DIR -> deactivate((int) v & 0xFF_FFFF);
            case BPR0 -> setVbpr(0, (int) v & 7);
            case BPR1 -> {
                if ((vmcr & VMCR_VCBPR) == 0) setVbpr(1, (int) v & 7); // with VCBPR, BPR1 is BPR0's: WI
            }
            case AP0R0 -> apr0 = (int) v;
            case AP1R0 -> apr1 = (int) v;
            case CTLR -> vmcr = (vmcr & ~(VMCR_VCBPR | VMCR_VEOIM)) | ((v & CTLR_CBPR) != 0 ? VMCR_VCBPR : 0)
                    | ((v & CTLR_EOIMODE) != 0 ? VMCR_VEOIM : 0);
            case IGRPEN0 -> vmcr = (vmcr & ~VMCR_VENG0) | (v & 1);
            case IGRPEN1 -> vmcr = (vmcr & ~VMCR_VENG1) | ((v & 1) << 1);
            default -> throw new IllegalArgumentException("no ICV register " + r);
        }
        update();
    }

    private static long priorityMask() { return (0xFF << (8 - PRI_BITS)) & 0xFF; }

    private int vbpr(int group) {
        return (int) (vmcr >>> (group == 0 ? VBPR0_SHIFT : VBPR1_SHIFT)) & 7;
    }

    private void setVbpr(int group, int value) {
        int shift = group == 0 ? VBPR0_SHIFT : VBPR1_SHIFT;
        value = Math.max(value, MIN_VBPR + group);
        vmcr = (vmcr & ~(7L << shift)) | ((long) value << shift);
    }

    private static int priority(long l) { return (int) (l >>> 48) & 0xFF; }

    private static int group(long l) { return (l & LR_GROUP) != 0 ? 1 : 0; }

    private static int vintid(long l) { return (int) l; }

    /** VGroupBits: the group priority mask of a group (Group 1 uses VBPR1 - 1, or VBPR0 under VCBPR). */
    private int groupMask(int group) {
        int bpr = group == 1 && (vmcr & VMCR_VCBPR) == 0 ? vbpr(1) - 1 : vbpr(0);
        return (0xFF << (bpr + 1)) & 0xFF;
    }

    /** The virtual running priority (ICV_RPR, GICV_RPR): the highest active preemption level, 0xFF when none is active. */
    public int runningPriority() {
        int a = apr0 | apr1;
        return a == 0 ? 0xFF : Integer.numberOfTrailingZeros(a) << (MIN_VBPR + 1);
    }

    /**
     * HighestPriorityVirtualInterrupt: the pending (not active) list register of an enabled group with the
     * highest priority (the lowest index among equals), or -1. Priority 0xFF is never pending enough.
     */
    private int highestPendingIndex() {
        if ((vmcr & (VMCR_VENG0 | VMCR_VENG1)) == 0) return -1;
        int best = -1, prio = 0xFF;
        for (int i = 0; i < LIST_REGISTERS; i++) {
            long l = lr[i];
            if ((l & LR_STATE) != LR_PENDING) continue;
            if ((vmcr & (group(l) == 1 ? VMCR_VENG1 : VMCR_VENG0)) == 0) continue;
            if (priority(l) < prio) {
                prio = priority(l);
                best = i;
            }
        }
        return best;
    }

    /** CanSignalVirtualInt: the interface is enabled, the priority passes VPMR and preempts the running priority. */
    private boolean canSignal(long l) {
        if ((hcr & HCR_EN) == 0) return false;
        int p = priority(l);
        if (p >= ((vmcr >>> VPMR_SHIFT) & 0xFF)) return false;
        int running = runningPriority();
        if (running == 0xFF) return true;
        int mask = groupMask(group(l));
        return (p & mask) < (running & mask);
    }

    private long highestPending(int group) {
        int i = highestPendingIndex();
        return i >= 0 && group(lr[i]) == group ? vintid(lr[i]) : SPURIOUS;
    }

    /** What an acknowledge of a group not in the register's returns: 1022 for a GICv2's Group 1 (no AckCtl), else 1023. */
    private long wrongGroup(int group) { return v2 && group == 1 ? GROUP1_SPURIOUS : SPURIOUS; }

    /** A GICv2 SGI's vINTID carries its source CPUID [12:10] from the list register (HW 0); a GICv3's vINTID is its own. */
    private long interruptId(long l) {
        long id = vintid(l) & 0xFFFF_FFFFL;
        if (v2 && id < 16 && (l & LR_HW) == 0) id |= ((l >>> 32) & 7) << 10;
        return id;
    }

    /**
     * ICV_IAR0/1, GICV_IAR/AIAR: the highest-priority pending interrupt, if of a group in {@code groups}
     * (bit 0: Group 0, bit 1: Group 1) and it can be signalled, becomes active and its preemption level
     * active; a special INTID (1020-1023) in a list register only leaves pending.
     */
    private long acknowledge(int groups) {
        int i = highestPendingIndex();
        long result = SPURIOUS;
        if (i >= 0 && (groups & (1 << group(lr[i]))) == 0) {
            if (passesMask(lr[i])) result = wrongGroup(group(lr[i]));
        } else if (i >= 0 && canSignal(lr[i])) {
            long l = lr[i];
            int group = group(l);
            result = interruptId(l);
            if (vintid(l) >= 1020 && vintid(l) <= 1023) {
                lr[i] = l & ~LR_PENDING;
            } else {
                lr[i] = (l & ~LR_PENDING) | LR_ACTIVE;
                int level = (priority(l) & groupMask(group)) >>> (8 - PRE_BITS);
                if (group == 0 || v2) apr0 |= 1 << level; // a GICv2 has one GICH_APR
                else apr1 |= 1 << level;
            }
        }
        update();
        return result;
    }

    /**
     * Drops the running priority (the lowest set active-priority bit, Group 0 first at equal levels) and
     * returns the priority it stood for, or 0xFF if none was active.
     */
    private int dropPriority() {
        if ((apr0 | apr1) == 0) return 0xFF;
        int z0 = Integer.numberOfTrailingZeros(apr0), z1 = Integer.numberOfTrailingZeros(apr1);
        if (z0 <= z1) {
            apr0 &= apr0 - 1;
            return z0 << (MIN_VBPR + 1);
        }
        apr1 &= apr1 - 1;
        return z1 << (MIN_VBPR + 1);
    }

    /** FindActiveVirtualInterrupt: the list register holding {@code intid} active, or -1. */
    private int findActive(int intid) {
        for (int i = 0; i < LIST_REGISTERS; i++) if ((lr[i] & LR_ACTIVE) != 0 && vintid(lr[i]) == intid) return i;
        return -1;
    }

    /**
     * ICV_EOIR0/1: drops the priority; deactivates the list register too unless VEOIM splits the two. An
     * EOI that would have deactivated an interrupt no list register holds (VEOIM 0, not an LPI) counts in
     * ICH_HCR_EL2.EOIcount instead, for the hypervisor's maintenance interrupt ("incremented whenever a
     * successful write to a virtual EOIR or DIR register would have resulted in a virtual interrupt
     * deactivation"; QEMU 7.2 counts with VEOIM 1 too). Like QEMU, the priority is dropped before the checks
     * (IMPLEMENTATION DEFINED), and with nothing active the list registers are not checked (CONSTRAINED
     * UNPREDICTABLE).
     */
    private void endOfInterrupt(int intid, int group) {
        if (intid >= 1020 && intid <= 1023) return;
        int dropped = dropPriority();
        if (dropped == 0xFF && !v2) return; // QEMU's GICv2 still deactivates a list register with nothing to drop
        int i = findActive(intid);
        if (i < 0) {
            if (dropped != 0xFF && intid < LPI_BASE && (vmcr & VMCR_VEOIM) == 0) incrementEoiCount();
            return;
        }
        long l = lr[i];
        if ((vmcr & VMCR_VEOIM) != 0) return;
        if (v2 || group(l) == group && (priority(l) & groupMask(group)) == dropped) deactivateList(i);
    }

    /** ICV_DIR: with VEOIM, deactivates the list register holding {@code intid} (or counts the EOI). */
    private void deactivate(int intid) {
        if (intid >= 1020 || (vmcr & VMCR_VEOIM) == 0) return;
        int i = findActive(intid);
        if (i < 0) incrementEoiCount();
        else deactivateList(i);
    }

    private void incrementEoiCount() {
        long count = ((hcr >>> EOICOUNT_SHIFT) + 1) & 0x1F;
        hcr = (hcr & ~(0x1FL << EOICOUNT_SHIFT)) | (count << EOICOUNT_SHIFT);
    }

    /** Active becomes invalid, active and pending becomes pending; a hardware interrupt is deactivated too. */
    private void deactivateList(int i) {
        long l = lr[i];
        if ((l & LR_HW) != 0) {
            int pintid = (int) (l >>> 32) & 0x1FFF;
            // a GICv2 SGI is never hardware-linked: QEMU ignores it (UNPREDICTABLE)
            if (pintid < 1020 && (pintid >= 16 || !v2)) deactivatePhysical.accept(pintid);
        }
        lr[i] = l & ~LR_ACTIVE;
    }

    // ---- the GICv2 front end: GICH_* and GICV_* as the interrupt controller's frames reach them -------------
    // GICH_HCR, MISR, EISR, ELRSR and VMCR have ICH_*_EL2's layout in their low 32 bits; GICH_VMCR holds the
    // GICV_ state (VMCCtlr = GICV_CTLR [9:0], VMABP = GICV_ABPR, VMBP = GICV_BPR, VMPriMask = GICV_PMR [7:3]),
    // so the GICV frame reaches CTLR, PMR and the binary points through it.

    public int gichHcr() { return (int) hcr; }

    public void writeGichHcr(int v) { writeHcr(v & V2_HCR_MASK); }

    public int gichVmcr() { return (int) vmcr; }

    /** Also GICV_CTLR, PMR, BPR and ABPR: a binary point below its minimum (2, ABPR 3) reads as the minimum. */
    public void writeGichVmcr(int v) { writeVmcr(v & 0xFFFF_FFFFL); }

    public int gichMisr() { return (int) misr(); }

    public int gichEisr() { return (int) eisr(); }

    public int gichElrsr() { return (int) elrsr(); }

    /** GICH_APR (and GICV_APR0): one bit per preemption level, both groups. */
    public int gichApr() { return apr0; }

    public void writeGichApr(int v) { writeApr(0, v); }

    /**
     * GICH_LR{@code n} in the GICv2 format: VirtualID [9:0], PhysicalID [19:10] (HW 1) or EOI [19] and CPUID
     * [12:10] (HW 0), Priority [27:23] (the top 5 bits), State [29:28], Grp1 [30], HW [31]; [22:20] are RES0.
     */
    public int gichLr(int n) {
        long l = lr[n];
        return (int) (l & 0x3FF) | (int) ((l >>> 32) & 0x3FF) << 10 | (int) ((l >>> 51) & 0x1F) << 23
                | (int) ((l >>> 62) & 3) << 28 | (int) ((l >>> 60) & 1) << 30 | (int) ((l >>> 61) & 1) << 31;
    }

    /** Writes GICH_LR{@code n}: stored in ICH_LR_EL2's layout (PhysicalID's bit 9 is its EOI bit 41). */
    public void writeGichLr(int n, int v) {
        long u = v & 0xFFFF_FFFFL;
        writeLr(n, (u & 0x3FF) | ((u >>> 10) & 0x3FF) << 32 | ((u >>> 23) & 0x1F) << 51 | ((u >>> 28) & 3) << 62
                | ((u >>> 30) & 1) << 60 | ((u >>> 31) & 1) << 61);
    }

    /**
     * GICV_IAR ({@code aliased} false: Group 0, and Group 1 with GICV_CTLR.AckCtl, else 1022 for it) or
     * GICV_AIAR (Group 1 only).
     */
    public int gicvAcknowledge(boolean aliased) { return (int) acknowledge(gicvGroups(aliased)); }

    /**
     * GICV_HPPIR or GICV_AHPPIR: as QEMU's, the highest-priority pending interrupt only if the interface
     * is enabled and it passes the priority mask (1023 otherwise); its group chooses 1022 as for GICV_IAR.
     */
    public int gicvHighestPending(boolean aliased) {
        int i = highestPendingIndex();
        if (i < 0 || !passesMask(lr[i])) return SPURIOUS;
        int group = group(lr[i]);
        return (gicvGroups(aliased) & (1 << group)) == 0 ? (int) wrongGroup(group) : (int) interruptId(lr[i]);
    }

    /** The interface is enabled and the list register's priority passes the priority mask. */
    private boolean passesMask(long l) { return (hcr & HCR_EN) != 0 && priority(l) < ((vmcr >>> VPMR_SHIFT) & 0xFF); }

    private int gicvGroups(boolean aliased) { return aliased ? 2 : (vmcr & VMCR_VACKCTL) != 0 ? 3 : 1; }

    /** GICV_EOIR or GICV_AEOIR: INTID [9:0] (the CPUID of an SGI is not checked, as in QEMU). */
    public void gicvEndOfInterrupt(int v) {
        endOfInterrupt(v & 0x3FF, -1);
        update();
    }

    /** GICV_DIR: INTID [9:0]. */
    public void gicvDeactivate(int v) {
        deactivate(v & 0x3FF);
        update();
    }

    // ---- outputs -------------------------------------------------------------------------------------

    /** Recomputes the virtual IRQ/FIQ and the maintenance interrupt after any change of this state. */
    private void update() {
        int lines = 0;
        int i = highestPendingIndex();
        // Group 0 is a virtual FIQ with VFIQEn (always, on a GICv3), else an IRQ as Group 1 is
        if (i >= 0 && canSignal(lr[i]))
            lines = group(lr[i]) == 0 && (vmcr & VMCR_VFIQEN) != 0 ? (int) SystemRegisters.HCR_VF : (int) SystemRegisters.HCR_VI;
        if (lines != cpu.virtualLines) {
            cpu.virtualLines = lines;
            cpu.breakLoop = true; // a new virtual interrupt is taken before the next instruction
        }
        boolean level = (hcr & HCR_EN) != 0 && misr() != 0;
        if (level != maintenanceLevel) {
            maintenanceLevel = level;
            maintenance.set(level);
        }
    }

    /** Whether the maintenance interrupt is asserted. */
    public boolean maintenanceLevel() { return maintenanceLevel; }
}
