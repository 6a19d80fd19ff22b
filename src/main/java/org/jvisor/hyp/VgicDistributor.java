package org.jvisor.hyp;

/**
 * The memory-mapped registers of the {@link Vgic}: the distributor (GICD, GICv2 or GICv3 layout), the GICv3
 * redistributors (GICR: RD_base and SGI_base frames, 128 KiB per CPU) and the GICv2 CPU interface (GICC).
 *
 * <p>Access widths as the architecture allows them: 32-bit everywhere; bytes for GICD/GICR_IPRIORITYR and,
 * on a GICv2, GICD_ITARGETSR, GICD_CPENDSGIR and GICD_SPENDSGIR; 64-bit (or either 32-bit half) for
 * GICD_IROUTER and GICR_TYPER. Any other access, and every unallocated or reserved offset, is RAZ/WI, as
 * QEMU's GICv3 does (the GIC does not refuse accesses).
 */
final class VgicDistributor {
    /** ID registers (PIDR4-7, PIDR0-3, CIDR0-3) at 0xFD0-0xFFC of the 4 KiB (GICv2) or 64 KiB (GICv3) page. */
    private static final int[] IDS_V2 = {0x04, 0, 0, 0, 0x90, 0xb4, 0x2b, 0, 0x0d, 0xf0, 0x05, 0xb1};
    private static final int[] IDS_V3_DIST = {0x44, 0, 0, 0, 0x92, 0xb4, 0x3b, 0, 0x0d, 0xf0, 0x05, 0xb1};
    private static final int[] IDS_V3_REDIST = {0x44, 0, 0, 0, 0x93, 0xb4, 0x3b, 0, 0x0d, 0xf0, 0x05, 0xb1};
    static final int IIDR = 0x43b;
    /** GICD_CTLR (GICv3, DS=1): DS and ARE read as one. */
    static final int GICD_CTLR_DS_ARE = (1 << 6) | (1 << 4);
    /** GICD_IROUTER: Aff3 [39:32], Aff2.Aff1.Aff0 [23:0]; IRM is RES0 (GICD_TYPER.No1N = 1). */
    static final long IROUTER_MASK = 0xff_00ff_ffffL;

    private final Vgic gic;

    VgicDistributor(Vgic gic) { this.gic = gic; }

    VcpuMmioHandler distributor() {
        return new VcpuMmioHandler() {
            @Override
            public long read(Vcpu v, long off, int size) {
                int c = gic.indexOf(v);
                if (c < 0) return 0;
                synchronized (gic.lock) {
                    return gic.version == 2 ? readDistV2(c, off, size) : readDistV3(off, size);
                }
            }

            @Override
            public void write(Vcpu v, long off, int size, long value) {
                int c = gic.indexOf(v);
                if (c < 0) return;
                synchronized (gic.lock) {
                    if (gic.version == 2) writeDistV2(c, off, size, value);
                    else writeDistV3(off, size, value);
                    gic.updateAll();
                }
            }
        };
    }

    VcpuMmioHandler cpuInterface() {
        return new VcpuMmioHandler() {
            @Override
            public long read(Vcpu v, long off, int size) {
                int c = gic.indexOf(v);
                if (c < 0 || size != 4 || (off & 3) != 0) return 0;
                return gic.cpus[c].readGicc(off);
            }

            @Override
            public void write(Vcpu v, long off, int size, long value) {
                int c = gic.indexOf(v);
                if (c < 0 || size != 4 || (off & 3) != 0) return;
                gic.cpus[c].writeGicc(off, value & 0xffffffffL);
            }
        };
    }

    VcpuMmioHandler redistributors() {
        return new VcpuMmioHandler() {
            @Override
            public long read(Vcpu v, long off, int size) {
                synchronized (gic.lock) {
                    return readRedist((int) (off / Vgic.REDIST_STRIDE), off % Vgic.REDIST_STRIDE, size);
                }
            }

            @Override
            public void write(Vcpu v, long off, int size, long value) {
                synchronized (gic.lock) {
                    writeRedist((int) (off / Vgic.REDIST_STRIDE), off % Vgic.REDIST_STRIDE, size, value);
                    gic.updateAll();
                }
            }
        };
    }

    // ---- register groups shared by the layouts (caller holds gic.lock) --------------------------------

    private static long idRegister(int[] ids, long off) {
        return ids[(int) (off - 0xfd0) >>> 2];
    }

    /** A bit-per-INTID register (IGROUPR...ICACTIVER) at {@code base}: word {@code w} of {@code kind}. */
    private static final int IGROUPR = 0x080, ISENABLER = 0x100, ICENABLER = 0x180, ISPENDR = 0x200, ICPENDR = 0x280,
            ISACTIVER = 0x300, ICACTIVER = 0x380;

    private long readBits(int c, int kind, int w) {
        int s = gic.slot(c, w);
        if (s < 0) return 0;
        int v = switch (kind) {
            case IGROUPR -> gic.group[s];
            case ISENABLER, ICENABLER -> gic.enabled[s];
            case ISPENDR, ICPENDR -> gic.pendingBits(s);
            default -> gic.active[s];
        };
        return v & 0xffffffffL;
    }

    private void writeBits(int c, int kind, int w, int v) {
        int s = gic.slot(c, w);
        if (s < 0) return;
        if (w == 0 && gic.version == 2) {
            // GICv2 SGIs: always enabled; pending state only through GICD_SPENDSGIR/CPENDSGIR
            if (kind == ICENABLER || kind == ISPENDR || kind == ICPENDR) v &= ~0xffff;
        }
        switch (kind) {
            case IGROUPR -> gic.group[s] = v;
            case ISENABLER -> gic.enabled[s] |= v;
            case ICENABLER -> gic.enabled[s] &= ~v;
            case ISPENDR -> gic.latch[s] |= v;
            case ICPENDR -> gic.latch[s] &= ~v;
            case ISACTIVER -> gic.active[s] |= v;
            default -> gic.active[s] &= ~v;
        }
    }

    private int readPriorityByte(int c, int intid) {
        return intid < gic.irqs ? gic.priorityOf(c, intid) : 0;
    }

    private void writePriorityByte(int c, int intid, int v) {
        if (intid < gic.irqs) gic.priority[gic.priorityIndex(c, intid)] = (byte) v;
    }

    /** GICD/GICR_ICFGR{@code k}: two bits per INTID 16k..16k+15, bit 1 = edge-triggered. */
    private long readConfig(int c, int k) {
        int s = gic.slot(c, k >>> 1);
        if (s < 0) return 0;
        int e = gic.edge[s] >>> ((k & 1) * 16);
        long r = 0;
        for (int j = 0; j < 16; j++) if ((e & (1 << j)) != 0) r |= 2L << (2 * j);
        return r;
    }

    private void writeConfig(int c, int k, long v) {
        if (k == 0) return; // SGIs are edge-triggered, read-only
        int s = gic.slot(c, k >>> 1);
        if (s < 0) return;
        int e = 0;
        for (int j = 0; j < 16; j++) if ((v & (2L << (2 * j))) != 0) e |= 1 << j;
        int shift = (k & 1) * 16;
        gic.edge[s] = (gic.edge[s] & ~(0xffff << shift)) | (e << shift);
    }

    /** IPRIORITYR at {@code off} (relative to the register block) for CPU {@code c}, a byte or a word. */
    private long readPriority(int c, int off, int size) {
        if (size == 1) return readPriorityByte(c, off);
        long r = 0;
        for (int i = 0; i < 4; i++) r |= (long) readPriorityByte(c, off + i) << (8 * i);
        return r;
    }

    private void writePriority(int c, int off, int size, long v) {
        for (int i = 0; i < size; i++) writePriorityByte(c, off + i, (int) (v >>> (8 * i)) & 0xff);
    }

    // ---- GICv2 distributor ---------------------------------------------------------------------------

    private static boolean byteAccessibleV2(long off) {
        return (off >= 0x400 && off < 0xc00) || (off >= 0xf10 && off < 0xf30);
    }

    private long readDistV2(int c, long off, int size) {
        if (!(size == 4 && (off & 3) == 0) && !(size == 1 && byteAccessibleV2(off))) return 0;
        int o = (int) off;
        if (o >= 0x400 && o < 0x800) return readPriority(c, o - 0x400, size);
        if (o >= 0x800 && o < 0xc00) {
            long r = 0;
            for (int i = 0; i < size; i++) r |= (long) readTargetByte(c, o - 0x800 + i) << (8 * i);
            return r;
        }
        if (o >= 0xf10 && o < 0xf30) {
            long r = 0;
            for (int i = 0; i < size; i++) {
                int sgi = (o - 0xf10 + i) & 15;
                r |= (long) (gic.sgiSources[c * 16 + sgi] & 0xff) << (8 * i);
            }
            return r;
        }
        if (o >= 0x080 && o < 0x400) return readBits(c, o & ~0x7f, (o & 0x7f) >>> 2);
        if (o >= 0xc00 && o < 0xd00) return readConfig(c, (o - 0xc00) >>> 2);
        if (o >= 0xfd0 && o < 0x1000) return idRegister(IDS_V2, off);
        return switch (o) {
            case 0x000 -> gic.distCtlr;
            case 0x004 -> (gic.irqs / 32 - 1) | ((gic.cpuCount() - 1) << 5);
            case 0x008 -> IIDR;
            default -> 0;
        };
    }

    private void writeDistV2(int c, long off, int size, long v) {
        if (!(size == 4 && (off & 3) == 0) && !(size == 1 && byteAccessibleV2(off))) return;
        int o = (int) off;
        if (o >= 0x400 && o < 0x800) {
            writePriority(c, o - 0x400, size, v);
        } else if (o >= 0x800 && o < 0xc00) {
            if (gic.uniprocessorV2) return;
            int cpuMask = (1 << gic.cpuCount()) - 1;
            for (int i = 0; i < size; i++) {
                int intid = o - 0x800 + i;
                if (intid >= 32 && intid < gic.irqs) gic.targets[intid - 32] = (byte) ((v >>> (8 * i)) & cpuMask);
            }
        } else if (o >= 0xf10 && o < 0xf30) {
            int cpuMask = (1 << gic.cpuCount()) - 1;
            for (int i = 0; i < size; i++) {
                int sgi = (o - 0xf10 + i) & 15, bits = (int) (v >>> (8 * i)) & 0xff;
                if (o < 0xf20) gic.sgiSources[c * 16 + sgi] &= (byte) ~bits;
                else gic.sgiSources[c * 16 + sgi] |= (byte) (bits & cpuMask);
                gic.syncSgiLatch(c, sgi);
            }
        } else if (o >= 0x080 && o < 0x400) {
            writeBits(c, o & ~0x7f, (o & 0x7f) >>> 2, (int) v);
        } else if (o >= 0xc00 && o < 0xd00) {
            writeConfig(c, (o - 0xc00) >>> 2, v);
        } else if (o == 0x000) {
            gic.distCtlr = (int) v & 3;
        } else if (o == 0xf00) {
            sgir(c, (int) v);
        }
    }

    /**
     * GICD_ITARGETSR byte for INTID {@code intid}: SGIs and PPIs read the accessing CPU's own bit; all read 0
     * on a uniprocessor GIC (ITARGETSR0-7 too: 4.3.12 makes every ITARGETSR RAZ/WI there, and QEMU agrees).
     */
    private int readTargetByte(int c, int intid) {
        if (gic.uniprocessorV2) return 0;
        if (intid < 32) return 1 << c;
        return intid < gic.irqs ? gic.targets[intid - 32] & 0xff : 0;
    }

    /** GICD_SGIR: TargetListFilter [25:24] (list, all but self, self), CPUTargetList [23:16], SGIINTID [3:0]. */
    private void sgir(int c, int v) {
        int sgi = v & 15, list;
        switch ((v >>> 24) & 3) {
            case 0 -> list = (v >>> 16) & 0xff;
            case 1 -> list = ~(1 << c);
            case 2 -> list = 1 << c;
            default -> list = 0;
        }
        for (int t = 0; t < gic.cpuCount(); t++) if ((list & (1 << t)) != 0) gic.sendSgi(c, t, sgi);
    }

    // ---- GICv3 distributor (affinity routing: INTIDs 0-31 live in the redistributors) ----------------

    private long readDistV3(long off, int size) {
        int o = (int) off;
        if (o >= 0x6100 && o < 0x6000 + 8 * gic.irqs) {
            int i = (o - 0x6000) / 8 - 32;
            if (size == 8 && (o & 7) == 0) return gic.route[i];
            if (size == 4 && (o & 3) == 0) return (gic.route[i] >>> ((o & 4) * 8)) & 0xffffffffL;
            return 0;
        }
        if (size == 1 && o >= 0x420 && o < 0x800) return readPriority(0, o - 0x400, 1);
        if (size != 4 || (o & 3) != 0) return 0;
        if (o >= 0x420 && o < 0x800) return readPriority(0, o - 0x400, 4);
        if (o >= 0x080 && o < 0x400) return (o & 0x7f) < 4 ? 0 : readBits(0, o & ~0x7f, (o & 0x7f) >>> 2);
        if (o >= 0xc08 && o < 0xd00) return readConfig(0, (o - 0xc00) >>> 2);
        if (o >= 0xffd0) return idRegister(IDS_V3_DIST, off - 0xf000);
        return switch (o) {
            case 0x0000 -> gic.distCtlr | GICD_CTLR_DS_ARE; // RWP (bit 31) reads 0: writes take effect at once
            // ITLinesNumber, IDbits 15 (16-bit INTIDs), A3V, No1N; no LPIs, no MBIs, no Security Extensions
            case 0x0004 -> (gic.irqs / 32 - 1) | (15 << 19) | (1 << 24) | (1 << 25);
            case 0x0008 -> IIDR;
            default -> 0;
        };
    }

    private void writeDistV3(long off, int size, long v) {
        int o = (int) off;
        if (o >= 0x6100 && o < 0x6000 + 8 * gic.irqs) {
            int i = (o - 0x6000) / 8 - 32;
            long r;
            if (size == 8 && (o & 7) == 0) r = v;
            else if (size == 4 && (o & 3) == 0) {
                int shift = (o & 4) * 8;
                r = (gic.route[i] & ~(0xffffffffL << shift)) | ((v & 0xffffffffL) << shift);
            } else return;
            gic.route[i] = r & IROUTER_MASK;
            gic.routeCpu[i] = gic.cpuByAffinity(gic.route[i]);
            return;
        }
        if (size == 1 && o >= 0x420 && o < 0x800) {
            writePriority(0, o - 0x400, 1, v);
            return;
        }
        if (size != 4 || (o & 3) != 0) return;
        if (o >= 0x420 && o < 0x800) writePriority(0, o - 0x400, 4, v);
        else if (o >= 0x080 && o < 0x400 && (o & 0x7f) >= 4) writeBits(0, o & ~0x7f, (o & 0x7f) >>> 2, (int) v);
        else if (o >= 0xc08 && o < 0xd00) writeConfig(0, (o - 0xc00) >>> 2, v);
        else if (o == 0x0000) gic.distCtlr = (int) v & 3;
    }

    // ---- GICv3 redistributors -------------------------------------------------------------------------

    private long readRedist(int c, long off, int size) {
        if (c >= gic.cpuCount()) return 0;
        int o = (int) off;
        if (o == 0x0008 && size == 8) return redistTyper(c);
        if (size == 1 && o >= 0x10400 && o < 0x10420) return readPriority(c, o - 0x10400, 1);
        if (size != 4 || (o & 3) != 0) return 0;
        if (o >= 0x10400 && o < 0x10420) return readPriority(c, o - 0x10400, 4);
        if (o >= 0x10080 && o < 0x10400 && (o & 0x7f) == 0) return readBits(c, o - 0x10000, 0);
        if (o == 0x10c00 || o == 0x10c04) return readConfig(c, (o - 0x10c00) >>> 2);
        if (o >= 0xffd0 && o < 0x10000) return idRegister(IDS_V3_REDIST, off - 0xf000);
        VgicCpuInterface ci = gic.cpus[c];
        return switch (o) {
            case 0x0000 -> 2; // GICR_CTLR: CES (EnableLPIs, RES0 here, is not RES1 once set); RWP reads 0
            case 0x0004 -> IIDR;
            case 0x0008 -> redistTyper(c) & 0xffffffffL;
            case 0x000c -> redistTyper(c) >>> 32;
            case 0x0014 -> ci.processorSleep ? 6 : 0; // ChildrenAsleep follows ProcessorSleep at once
            default -> 0;
        };
    }

    private void writeRedist(int c, long off, int size, long v) {
        if (c >= gic.cpuCount()) return;
        int o = (int) off;
        if (size == 1 && o >= 0x10400 && o < 0x10420) {
            writePriority(c, o - 0x10400, 1, v);
            return;
        }
        if (size != 4 || (o & 3) != 0) return;
        if (o >= 0x10400 && o < 0x10420) writePriority(c, o - 0x10400, 4, v);
        else if (o >= 0x10080 && o < 0x10400 && (o & 0x7f) == 0) writeBits(c, o - 0x10000, 0, (int) v);
        else if (o == 0x10c04) writeConfig(c, 1, v);
        else if (o == 0x0014) gic.cpus[c].processorSleep = (v & 2) != 0;
    }

    /** GICR_TYPER: affinity [63:32], Processor_Number [23:8], Last [4]; no physical LPIs, no DirectLPI. */
    private long redistTyper(int c) {
        long aff = gic.affinity(c);
        long packed = (aff & 0xff_ffffL) | ((aff >>> 32) << 24);
        return (packed << 32) | ((long) c << 8) | (c == gic.cpuCount() - 1 ? 1L << 4 : 0);
    }
}
