package org.jvisor.hyp;

import static org.jvisor.hyp.Vgic.GROUP1_SPURIOUS;
import static org.jvisor.hyp.Vgic.SPURIOUS;

import org.jvisor.cpu.GicCpuInterface;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * One CPU's interface of the {@link Vgic}: priority mask, binary points, active priorities (running
 * priority), group enables, EOI mode; acknowledge, priority drop and deactivation. A GICv2 reaches it
 * through the memory-mapped GICC registers ({@link #readGicc}/{@link #writeGicc}), a GICv3 through the
 * processor's ICC system registers (this class is the processor's {@link GicCpuInterface}).
 *
 * <p>Priorities: a GICv2 implements all 8 bits (as QEMU), a GICv3 5 (ICC_CTLR_EL1.PRIbits = 4, as QEMU);
 * the distributors store 8 bits either way. Active priorities are one bit per preemption level (group
 * priority at the minimum binary point) in the APR registers, group 0 and group 1 apart, as QEMU does.
 */
final class VgicCpuInterface implements GicCpuInterface {
    // GICC_CTLR (no Security Extensions): EnableGrp0, EnableGrp1, AckCtl, FIQEn, CBPR, EOImode
    static final int GICC_CTLR_MASK = 0x21f, GICC_ACKCTL = 1 << 2, GICC_FIQEN = 1 << 3, GICC_CBPR = 1 << 4, GICC_EOIMODE = 1 << 9;
    // ICC_CTLR_EL1: CBPR, EOImode writable; PRIbits = 4 (5 bits), IDbits = 1 (24 bits), A3V
    static final long ICC_CTLR_RO = (1L << 15) | (1L << 11) | (4L << 8), ICC_CBPR = 1, ICC_EOIMODE = 2;
    static final int GICC_IIDR = 0x0002043b;

    private final Vgic gic;
    private final int index;
    /** Lowest binary point of group 0 (the preemption levels are priority >> (minBpr + 1)), priority mask. */
    private final int minBpr, priorityMask;

    // guarded by gic.lock
    int ctlr, pmr, bpr0, bpr1;
    boolean igrpen0, igrpen1;
    /** Active priorities: group 0 in apr[0..3], group 1 in apr[4..7]. */
    final int[] apr = new int[8];
    /** GICR_WAKER.ProcessorSleep (GICv3). */
    boolean processorSleep;
    boolean irqOut, fiqOut;

    VgicCpuInterface(Vgic gic, int index) {
        this.gic = gic;
        this.index = index;
        minBpr = gic.version == 2 ? 0 : 2;
        priorityMask = gic.version == 2 ? 0xff : 0xf8;
    }

    void reset() {
        ctlr = 0;
        pmr = 0;
        bpr0 = minBpr;
        bpr1 = minBpr + 1;
        igrpen0 = igrpen1 = false;
        java.util.Arrays.fill(apr, 0);
        processorSleep = true;
    }

    /** GICC_CTLR or ICC_CTLR_EL1's writable bits, PMR, BPR0/1, IGRPEN0/1, the APRs, GICR_WAKER (caller holds gic.lock). */
    void saveState(StateWriter w) {
        w.tag("gic cpu interface");
        w.putInt(ctlr).putInt(pmr).putInt(bpr0).putInt(bpr1);
        w.putBoolean(igrpen0).putBoolean(igrpen1).putBoolean(processorSleep);
        w.putInts(apr);
    }

    /** Restores what {@link #saveState} wrote, refusing what the registers' write masks never let through. */
    void restoreState(StateReader r) {
        r.tag("gic cpu interface");
        ctlr = r.getInt();
        if ((ctlr & ~(v2() ? GICC_CTLR_MASK : (int) (ICC_CBPR | ICC_EOIMODE))) != 0)
            throw new StateException("GIC CPU interface " + index + ": CTLR has bits no write sets: 0x" + Integer.toHexString(ctlr));
        pmr = r.getInt(0, 0xff, "GIC priority mask");
        if ((pmr & ~priorityMask) != 0) throw new StateException("GIC CPU interface " + index + ": PMR has unimplemented priority bits");
        bpr0 = r.getInt(minBpr, 7, "GIC binary point 0");
        bpr1 = r.getInt(minBpr + 1, 7, "GIC binary point 1");
        igrpen0 = r.getBoolean();
        igrpen1 = r.getBoolean();
        processorSleep = r.getBoolean();
        r.getInts(apr);
        // with 5 priority bits (GICv3) there are 32 preemption levels: AP0R0 and AP1R0 only
        if (!v2() && (apr[1] | apr[2] | apr[3] | apr[5] | apr[6] | apr[7]) != 0)
            throw new StateException("GIC CPU interface " + index + ": active priorities beyond the 32 levels of a GICv3");
    }

    private boolean v2() { return gic.version == 2; }

    private boolean cbpr() { return v2() ? (ctlr & GICC_CBPR) != 0 : (ctlr & ICC_CBPR) != 0; }

    private boolean eoiMode() { return v2() ? (ctlr & GICC_EOIMODE) != 0 : (ctlr & ICC_EOIMODE) != 0; }

    private boolean groupEnabled(int g) {
        if (v2()) return (ctlr & (1 << g)) != 0;
        return g == 0 ? igrpen0 : igrpen1;
    }

    /** Group 0 is signalled as FIQ: always on a GICv3, with GICC_CTLR.FIQEn on a GICv2. */
    boolean groupZeroIsFiq() { return !v2() || (ctlr & GICC_FIQEN) != 0; }

    /** The group priority of {@code prio} in group {@code g}: Group 1 uses BPR1 - 1 unless CBPR. */
    private int groupPriority(int prio, int g) {
        int bpr = g == 1 && !cbpr() ? bpr1 - 1 : bpr0;
        return prio & (0xff << (bpr + 1)) & 0xff;
    }

    /** The running priority: the highest active group priority, 0xff when idle. */
    int runningPriority() {
        for (int i = 0; i < 4; i++) {
            int a = apr[i] | apr[4 + i];
            if (a != 0) return ((i * 32 + Integer.numberOfTrailingZeros(a)) << (minBpr + 1)) & 0xff;
        }
        return 0xff;
    }

    /** Whether pending {@code intid} of group {@code g} is signalled: group enabled, above PMR and the running priority. */
    boolean canSignal(int intid, int g) {
        if (!groupEnabled(g)) return false;
        int p = gic.priorityOf(index, intid);
        return p < pmr && groupPriority(p, g) < runningPriority();
    }

    /**
     * Acknowledges the highest-priority pending interrupt of a group in {@code groups} (bit 0: group 0,
     * bit 1: group 1): makes it active, raises the running priority; returns its INTID (a GICv2 SGI with
     * the source CPU in bits [12:10]), or 1023 (or 1022, GICv2 Group 1 without AckCtl).
     */
    private int acknowledge(int groups) {
        int c = index;
        int intid = gic.highestPending(c);
        if (intid == SPURIOUS) return SPURIOUS;
        int g = gic.bit(gic.group, c, intid) ? 1 : 0;
        if (!canSignal(intid, g)) return SPURIOUS;
        if ((groups & (1 << g)) == 0) return g == 1 && v2() ? GROUP1_SPURIOUS : SPURIOUS;
        int result = intid;
        int m = 1 << (intid & 31), s = gic.slot(c, intid >>> 5);
        if (v2() && intid < 16) {
            int src = Integer.numberOfTrailingZeros(gic.sgiSources[c * 16 + intid] & 0xff);
            gic.sgiSources[c * 16 + intid] &= (byte) ~(1 << src);
            gic.syncSgiLatch(c, intid);
            result |= src << 10;
        } else {
            gic.latch[s] &= ~m; // a level-sensitive interrupt stays pending while its line is high
        }
        gic.active[s] |= m;
        int level = groupPriority(gic.priorityOf(c, intid), g) >>> (minBpr + 1);
        apr[g * 4 + (level >>> 5)] |= 1 << (level & 31);
        gic.updateAll();
        return result;
    }

    /** The highest-priority pending interrupt of a group in {@code groups}, whatever the masks; else 1023/1022. */
    private int highestPendingId(int groups) {
        int c = index;
        int intid = gic.highestPending(c);
        if (intid == SPURIOUS) return SPURIOUS;
        int g = gic.bit(gic.group, c, intid) ? 1 : 0;
        if (!groupEnabled(g)) return SPURIOUS;
        if ((groups & (1 << g)) == 0) return g == 1 && v2() ? GROUP1_SPURIOUS : SPURIOUS;
        if (v2() && intid < 16) intid |= Integer.numberOfTrailingZeros(gic.sgiSources[c * 16 + intid] & 0xff) << 10;
        return intid;
    }

    /** End of interrupt: drops the running priority (the highest active one) and, in EOImode 0, deactivates. */
    private void endOfInterrupt(int intid) {
        if (intid >= 1020 && intid <= 1023) return; // special INTIDs: no effect
        for (int i = 0; i < 4; i++) {
            int a = apr[i] | apr[4 + i];
            if (a == 0) continue;
            int low = a & -a;
            if ((apr[i] & low) != 0) apr[i] &= ~low;
            else apr[4 + i] &= ~low;
            break;
        }
        if (!eoiMode()) gic.deactivate(index, intid);
        gic.updateAll();
    }

    private void deactivateInterrupt(int intid) {
        if (intid >= 1020 && intid <= 1023) return;
        gic.deactivate(index, intid);
        gic.updateAll();
    }

    private int clampBpr(long v, int min) { return (int) Math.max(min, v & 7); }

    // ---- GICv2 GICC registers ---------------------------------------------------------------------

    long readGicc(long off) {
        synchronized (gic.lock) {
            return switch ((int) off) {
                case 0x00 -> ctlr;
                case 0x04 -> pmr;
                case 0x08 -> bpr0;
                case 0x0c -> acknowledge((ctlr & GICC_ACKCTL) != 0 ? 3 : 1);
                case 0x14 -> runningPriority();
                case 0x18 -> highestPendingId((ctlr & GICC_ACKCTL) != 0 ? 3 : 1);
                case 0x1c -> cbpr() ? Math.min(bpr0 + 1, 7) : bpr1;
                case 0xd0, 0xd4, 0xd8, 0xdc -> apr[(int) (off - 0xd0) >>> 2] & 0xffffffffL;
                case 0xe0, 0xe4, 0xe8, 0xec -> apr[4 + ((int) (off - 0xe0) >>> 2)] & 0xffffffffL;
                case 0xfc -> GICC_IIDR;
                default -> 0; // EOIR, DIR (write-only), the aliased registers (as QEMU: not implemented), reserved
            };
        }
    }

    void writeGicc(long off, long v) {
        synchronized (gic.lock) {
            switch ((int) off) {
                case 0x00 -> ctlr = (int) v & GICC_CTLR_MASK;
                case 0x04 -> pmr = (int) v & priorityMask;
                case 0x08 -> bpr0 = clampBpr(v, minBpr);
                case 0x10 -> {
                    endOfInterrupt((int) v & 0x3ff);
                    return;
                }
                case 0x1c -> {
                    if (!cbpr()) bpr1 = clampBpr(v, minBpr + 1);
                }
                case 0xd0, 0xd4, 0xd8, 0xdc -> apr[(int) (off - 0xd0) >>> 2] = (int) v;
                case 0xe0, 0xe4, 0xe8, 0xec -> apr[4 + ((int) (off - 0xe0) >>> 2)] = (int) v;
                case 0x1000 -> {
                    deactivateInterrupt((int) v & 0x3ff);
                    return;
                }
                default -> {
                    return; // read-only or reserved: WI
                }
            }
            gic.updateAll();
        }
    }

    // ---- GICv3 ICC system registers -----------------------------------------------------------------

    @Override
    public long read(Register r) {
        synchronized (gic.lock) {
            return switch (r) {
                case PMR -> pmr;
                case IAR0 -> acknowledge(1);
                case IAR1 -> acknowledge(2);
                case HPPIR0 -> highestPendingId(1);
                case HPPIR1 -> highestPendingId(2);
                case BPR0 -> bpr0;
                case BPR1 -> cbpr() ? Math.min(bpr0 + 1, 7) : bpr1;
                case AP0R0 -> apr[0] & 0xffffffffL;
                case AP1R0 -> apr[4] & 0xffffffffL;
                case RPR -> runningPriority();
                case CTLR -> ICC_CTLR_RO | (ctlr & (ICC_CBPR | ICC_EOIMODE));
                case IGRPEN0 -> igrpen0 ? 1 : 0;
                case IGRPEN1 -> igrpen1 ? 1 : 0;
                // AP0R1-3/AP1R1-3 exist only with 6 or more priority bits: with 5 the processor never forwards them
                default -> 0;
            };
        }
    }

    @Override
    public void write(Register r, long v) {
        synchronized (gic.lock) {
            switch (r) {
                case PMR -> pmr = (int) v & priorityMask;
                case EOIR0, EOIR1 -> endOfInterrupt((int) v & 0xffffff);
                case DIR -> deactivateInterrupt((int) v & 0xffffff);
                case BPR0 -> bpr0 = clampBpr(v, minBpr);
                case BPR1 -> {
                    if (!cbpr()) bpr1 = clampBpr(v, minBpr + 1);
                }
                case AP0R0 -> apr[0] = (int) v;
                case AP1R0 -> apr[4] = (int) v;
                case CTLR -> ctlr = (int) (v & (ICC_CBPR | ICC_EOIMODE));
                case IGRPEN0 -> igrpen0 = (v & 1) != 0;
                case IGRPEN1 -> igrpen1 = (v & 1) != 0;
                case SGI0R -> generateSgi(v, 0);
                case SGI1R -> generateSgi(v, 1);
                // ASGI1R generates SGIs for the other Security state: with a single one (DS=1) it forwards none
                default -> {}
            }
            gic.updateAll();
        }
    }

    /** A hardware-linked virtual interrupt's deactivation (ICH_LR&lt;n&gt;_EL2.HW): the physical INTID, whatever EOImode. */
    @Override
    public void deactivate(int intid) {
        synchronized (gic.lock) {
            deactivateInterrupt(intid);
        }
    }

    /**
     * ICC_SGI0R/SGI1R_EL1: TargetList [15:0], Aff1 [23:16], INTID [27:24], Aff2 [39:32], IRM [40],
     * RS [47:44], Aff3 [55:48]. An SGI is forwarded to a target whose copy of it is in the register's group.
     */
    private void generateSgi(long v, int g) {
        int sgi = (int) (v >>> 24) & 15;
        boolean all = (v & (1L << 40)) != 0;
        long aff321 = (((v >>> 48) & 0xff) << 32) | (((v >>> 32) & 0xff) << 16) | (((v >>> 16) & 0xff) << 8);
        int rs = (int) (v >>> 44) & 15;
        for (int t = 0; t < gic.cpuCount(); t++) {
            if (all) {
                if (t == index) continue;
            } else {
                long aff = gic.affinity(t);
                int aff0 = (int) aff & 0xff;
                if ((aff & ~0xffL) != aff321 || (aff0 >>> 4) != rs || (v & (1L << (aff0 & 15))) == 0) continue;
            }
            if ((gic.bit(gic.group, t, sgi) ? 1 : 0) != g) continue;
            gic.sendSgi(index, t, sgi);
        }
    }
}
