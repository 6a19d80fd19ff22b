package org.jvisor.hyp;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.jvisor.cpu.GenericTimer;
import org.jvisor.cpu.InterruptLine;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * The VM's interrupt controller, emulated in the hypervisor as KVM's vgic does: an Arm GICv2 (without the
 * Security Extensions, as QEMU's virt board with secure=off) or a GICv3 (single security state,
 * GICD_CTLR.DS=1, affinity routing always on, no LPIs and no ITS), on QEMU virt's memory map.
 *
 * <pre>
 *   // after creating every vCPU:
 *   Vgic gic = Vgic.create(vm, 2);                 // or 3
 *   InterruptLine uart = gic.spiLine(1);           // INTID 33, for a device
 *   gic.distributorBase() ...                      // for the device tree
 * </pre>
 *
 * {@link #create} registers the distributor and the CPU interface (GICv2) or the redistributors (GICv3)
 * as in-hypervisor devices, served inside {@link Vcpu#run()} (IO traps); for a GICv3 it attaches each
 * processor's ICC system registers ({@link org.jvisor.cpu.GicCpuInterface}), which the guest reaches
 * without traps as it reaches a virtual CPU interface in hardware (the SGI registers trap, and the
 * hypervisor's system register handler emulates them: CPU traps). Each vCPU's generic timer is wired to
 * its PPIs (EL1 physical 30, virtual 27, EL2 physical 26), its PMU to PPI 23 and, for a GICv3, its virtual
 * CPU interface's maintenance interrupt to PPI 25. When the guest owns EL2 a GICv2 has the virtualization
 * extensions, as QEMU's with virtualization=on: each processor gets a GICv2 virtual CPU interface, reached
 * through the banked GICH and GICV frames ({@link VgicVirtualFrames}), its maintenance interrupt on PPI 25.
 *
 * <p>The output to each vCPU is {@link Vcpu#setIrqLine} (and {@link Vcpu#setFiqLine} for a GICv3's
 * Group 0, or a GICv2's Group 0 with GICC_CTLR.FIQEn): the highest-priority pending, enabled interrupt of
 * an enabled group targeted at that vCPU, whose priority is higher than the priority mask and whose
 * group priority is higher than the running priority. It is recomputed on every change.
 *
 * <p>Threads: one lock guards all state. SPI levels may change from any thread; the CPU interface is
 * used from the vCPUs' threads. PSCI CPU_ON and {@link Vcpu#reset()} leave the GIC alone; a system reset
 * calls {@link #reset()}.
 */
public final class Vgic {
    /** QEMU virt's addresses. */
    public static final long DIST_BASE = 0x0800_0000L, DIST_SIZE = 0x1_0000L;
    public static final long CPU_IF_BASE = 0x0801_0000L, CPU_IF_SIZE = 0x1_0000L;
    public static final long REDIST_BASE = 0x080A_0000L, REDIST_STRIDE = 0x2_0000L;
    /** Interrupt IDs (SGIs, PPIs, SPIs) as QEMU's virt board has them: GICv2 288, GICv3 256. */
    static final int IRQS_V2 = 288, IRQS_V3 = 256;
    static final int SPURIOUS = 1023, GROUP1_SPURIOUS = 1022;
    /** The PMU's overflow interrupt on the virt board. */
    public static final int PPI_PMU = 23;
    /** The virtual CPU interface's maintenance interrupt on the virt board (GICv3, or GICv2 with virtualization). */
    public static final int PPI_MAINTENANCE = 25;

    final int version;
    final int irqs, spis;
    final Vcpu[] vcpus;
    final VgicCpuInterface[] cpus;
    final Object lock = new Object();
    private final long distBase, cpuIfBase;
    private final boolean guestOwnsEl2;
    final VgicDistributor dist;

    // ---- interrupt state: one bit per INTID, in words of 32. Word 0 (SGIs and PPIs) is banked per CPU:
    // slot c; SPI word w >= 1 is at slot ncpu + w - 1. Guarded by lock.
    final int[] enabled, latch, level, active, group, edge;
    /** Priorities: private INTIDs at cpu * 32 + intid, SPIs at ncpu * 32 + intid - 32. */
    final byte[] priority;
    /** GICv2 ITARGETSR of each SPI (CPU interface bits); unused by a uniprocessor GICv2. */
    final byte[] targets;
    /**
     * A GICv2 with one CPU interface: "all interrupts target the one processor, and the GICD_ITARGETSRs are
     * RAZ/WI" (IHI 0048B 4.3.12), as QEMU's. Linux writes ITARGETSR anyway; bare-metal programs need not.
     */
    final boolean uniprocessorV2;
    /** GICv3 GICD_IROUTER of each SPI, and the CPU index it selects (-1: none). */
    final long[] route;
    final int[] routeCpu;
    /** GICv2: the CPUs that sent each pending SGI, at cpu * 16 + sgi. */
    final byte[] sgiSources;
    /** GICD_CTLR: EnableGrp0 (bit 0), EnableGrp1 (bit 1). */
    int distCtlr;

    private Vgic(Vm vm, int version, long distBase, long cpuIfBase) {
        if (version != 2 && version != 3) throw new IllegalArgumentException("GIC version " + version);
        List<Vcpu> list = vm.vcpus().stream().sorted(Comparator.comparingInt(Vcpu::id)).toList();
        if (list.isEmpty()) throw new IllegalStateException("create the vCPUs before the GIC");
        if (version == 2 && list.size() > 8) throw new IllegalArgumentException("a GICv2 serves at most 8 CPUs, not " + list.size());
        this.version = version;
        this.distBase = distBase;
        this.cpuIfBase = cpuIfBase;
        this.guestOwnsEl2 = vm.guestOwnsEl2();
        irqs = version == 2 ? IRQS_V2 : IRQS_V3;
        spis = irqs - 32;
        vcpus = list.toArray(new Vcpu[0]);
        uniprocessorV2 = version == 2 && vcpus.length == 1;
        int n = vcpus.length, slots = n + spis / 32;
        enabled = new int[slots];
        latch = new int[slots];
        level = new int[slots];
        active = new int[slots];
        group = new int[slots];
        edge = new int[slots];
        priority = new byte[n * 32 + spis];
        targets = new byte[spis];
        route = new long[spis];
        routeCpu = new int[spis];
        sgiSources = new byte[n * 16];
        cpus = new VgicCpuInterface[n];
        for (int i = 0; i < n; i++) cpus[i] = new VgicCpuInterface(this, i);
        dist = new VgicDistributor(this);
        reset();
    }

    /** {@link #create(Vm, int, long, long)} at QEMU virt's addresses. */
    public static Vgic create(Vm vm, int version) {
        return create(vm, version, DIST_BASE, version == 2 ? CPU_IF_BASE : REDIST_BASE);
    }

    /**
     * Creates the VM's GIC ({@code version} 2 or 3) for all its vCPUs (create them first): the distributor
     * at {@code distBase}, and the GICv2 CPU interface or the first GICv3 redistributor at
     * {@code cpuIfOrRedistBase} (128 KiB per vCPU, in vCPU id order).
     */
    public static Vgic create(Vm vm, int version, long distBase, long cpuIfOrRedistBase) {
        Vgic g = new Vgic(vm, version, distBase, cpuIfOrRedistBase);
        vm.attachGic(g);
        vm.addBankedDevice(distBase, DIST_SIZE, g.dist.distributor());
        if (version == 2) vm.addBankedDevice(cpuIfOrRedistBase, CPU_IF_SIZE, g.dist.cpuInterface());
        else vm.addBankedDevice(cpuIfOrRedistBase, g.redistributorSize(), g.dist.redistributors());
        if (g.hasVirtualizationExtensions()) {
            vm.addBankedDevice(VgicVirtualFrames.GICH_BASE, VgicVirtualFrames.FRAME_SIZE, VgicVirtualFrames.hypervisorControl());
            vm.addBankedDevice(VgicVirtualFrames.GICV_BASE, VgicVirtualFrames.FRAME_SIZE, VgicVirtualFrames.virtualCpuInterface());
        }
        for (int i = 0; i < g.vcpus.length; i++) {
            Vcpu v = g.vcpus[i];
            int c = i;
            if (version == 3) v.cpu.attachGicCpuInterface(g.cpus[i]);
            else if (g.hasVirtualizationExtensions()) v.cpu.attachGicV2VirtualInterface(g.cpus[i]::deactivate);
            if (v.cpu.gicVirtualInterface() != null)
                v.cpu.gicVirtualInterface().connectMaintenance(l -> g.setPrivateLevel(c, PPI_MAINTENANCE, l));
            v.timerWired = true;
            v.cpu.timer.connect(GenericTimer.PHYSICAL, l -> g.setPrivateLevel(c, GenericTimer.PPI_PHYSICAL, l));
            v.cpu.timer.connect(GenericTimer.VIRTUAL, l -> g.setPrivateLevel(c, GenericTimer.PPI_VIRTUAL, l));
            v.cpu.timer.connect(GenericTimer.HYPERVISOR, l -> g.setPrivateLevel(c, GenericTimer.PPI_HYPERVISOR, l));
            v.cpu.pmu.connect(l -> g.setPrivateLevel(c, PPI_PMU, l));
        }
        return g;
    }

    public int version() { return version; }

    /**
     * Whether a GICv2 has the virtualization extensions (GICH and GICV frames, a virtual CPU interface per
     * vCPU): when the guest owns EL2, as QEMU's virt board with virtualization=on. A GICv3's virtual
     * interface is the processor's system registers, there whenever it is.
     */
    public boolean hasVirtualizationExtensions() { return version == 2 && guestOwnsEl2; }

    /** Interrupt IDs implemented: 32 x (GICD_TYPER.ITLinesNumber + 1). */
    public int interruptCount() { return irqs; }

    /** SPIs implemented (INTIDs 32 to 32 + spiCount() - 1). */
    public int spiCount() { return spis; }

    public long distributorBase() { return distBase; }

    public long distributorSize() { return DIST_SIZE; }

    /** GICv2: the CPU interface's base; IllegalStateException for a GICv3. */
    public long cpuInterfaceBase() {
        if (version != 2) throw new IllegalStateException("a GICv3 has no memory-mapped CPU interface");
        return cpuIfBase;
    }

    public long cpuInterfaceSize() {
        if (version != 2) throw new IllegalStateException("a GICv3 has no memory-mapped CPU interface");
        return CPU_IF_SIZE;
    }

    /** GICv3: the first redistributor's base; IllegalStateException for a GICv2. */
    public long redistributorBase() {
        if (version != 3) throw new IllegalStateException("a GICv2 has no redistributors");
        return cpuIfBase;
    }

    /** GICv3: the size of all redistributors (128 KiB per vCPU). */
    public long redistributorSize() {
        if (version != 3) throw new IllegalStateException("a GICv2 has no redistributors");
        return REDIST_STRIDE * vcpus.length;
    }

    /**
     * The input of SPI {@code spi} (INTID 32 + spi) for a device: level-sensitive, any thread; setting the
     * same level again is harmless.
     */
    public InterruptLine spiLine(int spi) {
        if (spi < 0 || spi >= spis) throw new IllegalArgumentException("SPI " + spi + " (the GIC has " + spis + ")");
        int intid = 32 + spi;
        return l -> setSpiLevel(intid, l);
    }

    /** Drives SPI {@code intid} (32 to 32 + spiCount() - 1) to {@code level}; any thread. */
    public void setSpiLevel(int intid, boolean level) {
        if (intid < 32 || intid >= irqs) throw new IllegalArgumentException("INTID " + intid + " is not an SPI");
        synchronized (lock) {
            if (setLevel(spiSlot(intid), intid & 31, level)) updateAll();
        }
    }

    /** Drives PPI {@code intid} (16 to 31) of the vCPU with index {@code cpu} (a timer, the PMU). */
    void setPrivateLevel(int cpu, int intid, boolean level) {
        synchronized (lock) {
            if (setLevel(cpu, intid, level)) update(cpu);
        }
    }

    /** Records a line level; a rising edge latches an edge-triggered interrupt. True if anything changed. */
    private boolean setLevel(int slot, int bit, boolean high) {
        int m = 1 << bit;
        boolean was = (level[slot] & m) != 0;
        if (was == high) return false;
        if (high) {
            level[slot] |= m;
            if ((edge[slot] & m) != 0) latch[slot] |= m;
        } else {
            level[slot] &= ~m;
        }
        return true;
    }

    /** The GIC's reset: every register to its reset value (the input lines keep their levels). */
    public void reset() {
        synchronized (lock) {
            int n = vcpus.length;
            Arrays.fill(enabled, 0);
            Arrays.fill(latch, 0);
            Arrays.fill(active, 0);
            Arrays.fill(group, 0);
            Arrays.fill(edge, 0);
            Arrays.fill(priority, (byte) 0);
            Arrays.fill(targets, (byte) 0);
            Arrays.fill(route, 0);
            Arrays.fill(sgiSources, (byte) 0);
            for (int c = 0; c < n; c++) {
                edge[c] = 0xffff; // SGIs are edge-triggered (GICD_ICFGR0 / GICR_ICFGR0 read 0xaaaaaaaa)
                if (version == 2) enabled[c] = 0xffff; // GICv2 SGIs are always enabled, as in QEMU
                cpus[c].reset();
            }
            distCtlr = 0;
            for (int i = 0; i < spis; i++) routeCpu[i] = cpuByAffinity(0);
            updateAll();
        }
    }

    // ---- snapshots ---------------------------------------------------------------------------------------

    /**
     * Writes the distributor (group enables, and per INTID: enable, pending latch, input level, active,
     * group, edge/level configuration, priority, GICv2 targets and SGI sources, GICv3 routes) and every CPU
     * interface (GICv2 GICC or GICv3 ICC state, GICR_WAKER), as QEMU's arm_gic and arm_gicv3 VMState do.
     * The input levels are saved too, so a restored GIC does not depend on the order in which the devices
     * and timers driving its lines are restored. What the guest reads but the GIC derives (the routed CPU of
     * each SPI, its IRQ/FIQ outputs) is rebuilt on restore.
     */
    public void saveState(StateWriter w) {
        synchronized (lock) {
            w.tag("gic");
            w.putInt(version).putInt(vcpus.length);
            w.putInts(enabled).putInts(latch).putInts(level).putInts(active).putInts(group).putInts(edge);
            w.putBytes(priority).putBytes(targets).putBytes(sgiSources);
            w.putLongs(route);
            w.putInt(distCtlr);
            for (VgicCpuInterface c : cpus) c.saveState(w);
        }
    }

    /**
     * Restores what {@link #saveState} wrote into a GIC built for the same machine (version, vCPUs), checking
     * every value against what the guest could have written, then drives each vCPU's IRQ and FIQ inputs to
     * what the restored state asks, whatever they were. Restore the vCPUs first, or after: the outputs are
     * driven here either way, and a vCPU's own restore must leave its input levels as it saved them.
     */
    public void restoreState(StateReader r) {
        synchronized (lock) {
            r.tag("gic");
            int v = r.getInt(), n = r.getInt();
            if (v != version || n != vcpus.length)
                throw new StateException("the snapshot's GIC is a GICv" + v + " with " + n + " CPUs, this machine's a GICv"
                        + version + " with " + vcpus.length);
            for (int[] a : new int[][] {enabled, latch, level, active, group, edge}) r.getInts(a);
            bytes(r, priority, "GIC priorities");
            bytes(r, targets, "GIC targets");
            bytes(r, sgiSources, "GIC SGI sources");
            r.getLongs(route);
            distCtlr = r.getInt(0, 3, "GICD_CTLR");
            checkRestored();
            for (VgicCpuInterface c : cpus) c.restoreState(r);
            for (int i = 0; i < spis; i++) routeCpu[i] = cpuByAffinity(route[i]);
            for (int c = 0; c < n; c++) update(c, true);
        }
    }

    private static void bytes(StateReader r, byte[] into, String what) {
        byte[] b = r.getBytes(into.length);
        if (b.length != into.length) throw new StateException(what + ": " + b.length + " bytes, not " + into.length);
        System.arraycopy(b, 0, into, 0, b.length);
    }

    /** What no register write can produce is refused: each check names the rule it keeps. */
    private void checkRestored() {
        int n = vcpus.length, cpuMask = (1 << n) - 1;
        for (int c = 0; c < n; c++) {
            if ((edge[c] & 0xffff) != 0xffff) throw new StateException("GIC: SGIs are edge-triggered");
            if ((level[c] & 0xffff) != 0) throw new StateException("GIC: SGIs have no input line");
            if (version == 2) {
                if ((enabled[c] & 0xffff) != 0xffff) throw new StateException("GICv2: SGIs are always enabled");
                int sources = 0;
                for (int sgi = 0; sgi < 16; sgi++) {
                    int s = sgiSources[c * 16 + sgi] & 0xff;
                    if ((s & ~cpuMask) != 0) throw new StateException("GICv2: SGI source beyond the CPUs");
                    if (s != 0) sources |= 1 << sgi;
                }
                if ((latch[c] & 0xffff) != sources) throw new StateException("GICv2: SGI pending state without its sources");
            }
        }
        if (version == 3) for (byte b : sgiSources) if (b != 0) throw new StateException("GICv3: SGI sources are a GICv2's");
        for (int i = 0; i < spis; i++) {
            int t = targets[i] & 0xff;
            if (version == 3 || uniprocessorV2 ? t != 0 : (t & ~cpuMask) != 0)
                throw new StateException("GIC: SPI " + (32 + i) + " targets a CPU interface that does not exist");
            if ((route[i] & ~VgicDistributor.IROUTER_MASK) != 0 || version == 2 && route[i] != 0)
                throw new StateException("GIC: GICD_IROUTER" + (32 + i) + " has reserved bits set");
        }
    }

    // ---- state helpers (caller holds lock) -------------------------------------------------------------

    int cpuCount() { return vcpus.length; }

    /** The vCPU index of {@code v}, or -1 if it is not one of this GIC's. */
    int indexOf(Vcpu v) {
        for (int i = 0; i < vcpus.length; i++) if (vcpus[i] == v) return i;
        return -1;
    }

    /** MPIDR affinity Aff3.Aff2.Aff1.Aff0 of CPU {@code c}, in the IROUTER layout (Aff3 at [39:32]). */
    long affinity(int c) {
        long m = vcpus[c].mpidr();
        return m & 0xff_00ff_ffffL;
    }

    int cpuByAffinity(long aff) {
        for (int c = 0; c < vcpus.length; c++) if (affinity(c) == aff) return c;
        return -1;
    }

    /** Slot of bit word {@code word} (INTIDs 32 x word ...) as CPU {@code c} sees it; -1 beyond the last. */
    int slot(int c, int word) {
        if (word == 0) return c;
        if (word < 0 || word >= irqs / 32) return -1;
        return vcpus.length + word - 1;
    }

    int spiSlot(int intid) { return vcpus.length + (intid >>> 5) - 1; }

    int priorityIndex(int c, int intid) { return intid < 32 ? c * 32 + intid : vcpus.length * 32 + intid - 32; }

    int priorityOf(int c, int intid) { return priority[priorityIndex(c, intid)] & 0xff; }

    boolean bit(int[] a, int c, int intid) { return (a[slot(c, intid >>> 5)] & (1 << (intid & 31))) != 0; }

    int pendingBits(int slot) { return latch[slot] | (level[slot] & ~edge[slot]); }

    /** Whether SPI {@code intid} is delivered to CPU {@code c}. */
    boolean targets(int c, int intid) {
        int i = intid - 32;
        if (version == 2) return uniprocessorV2 || (targets[i] & (1 << c)) != 0;
        return routeCpu[i] == c;
    }

    /** GICv2: re-derives the pending latch of SGI {@code sgi} on CPU {@code c} from its sources. */
    void syncSgiLatch(int c, int sgi) {
        if (sgiSources[c * 16 + sgi] != 0) latch[c] |= 1 << sgi;
        else latch[c] &= ~(1 << sgi);
    }

    /**
     * The highest-priority pending interrupt for CPU {@code c}: enabled, not active, of a group the
     * distributor enables, targeted at {@code c}; lowest INTID among equal priorities. SPURIOUS if none.
     */
    int highestPending(int c) {
        int best = SPURIOUS, bestPrio = 0x100;
        int groupMask0 = (distCtlr & 1) != 0 ? -1 : 0, groupMask1 = (distCtlr & 2) != 0 ? -1 : 0;
        if ((groupMask0 | groupMask1) == 0) return SPURIOUS;
        for (int w = 0, words = irqs / 32; w < words; w++) {
            int s = slot(c, w);
            int cand = pendingBits(s) & enabled[s] & ~active[s] & ((group[s] & groupMask1) | (~group[s] & groupMask0));
            while (cand != 0) {
                int b = Integer.numberOfTrailingZeros(cand);
                cand &= cand - 1;
                int intid = w * 32 + b;
                if (w > 0 && !targets(c, intid)) continue;
                int p = priorityOf(c, intid);
                if (p < bestPrio) {
                    bestPrio = p;
                    best = intid;
                }
            }
        }
        return best;
    }

    /**
     * Whether any interrupt could still reach CPU {@code c}, pending or not: enabled, of a group the distributor
     * enables, targeted at {@code c}. False means that nothing a device or the timer does can wake it.
     */
    boolean canSignal(int c) {
        synchronized (lock) {
            int groupMask0 = (distCtlr & 1) != 0 ? -1 : 0, groupMask1 = (distCtlr & 2) != 0 ? -1 : 0;
            for (int w = 0, words = irqs / 32; w < words; w++) {
                int s = slot(c, w);
                int cand = enabled[s] & ((group[s] & groupMask1) | (~group[s] & groupMask0));
                for (; cand != 0; cand &= cand - 1)
                    if (w == 0 || targets(c, w * 32 + Integer.numberOfTrailingZeros(cand))) return true;
            }
            return false;
        }
    }

    void updateAll() {
        for (int c = 0; c < vcpus.length; c++) update(c);
    }

    /** Recomputes CPU {@code c}'s IRQ and FIQ outputs. */
    void update(int c) { update(c, false); }

    /** As {@link #update(int)}; {@code force} drives both outputs even where they did not change. */
    private void update(int c, boolean force) {
        VgicCpuInterface ci = cpus[c];
        boolean irq = false, fiq = false;
        int intid = highestPending(c);
        if (intid != SPURIOUS) {
            int g = bit(group, c, intid) ? 1 : 0;
            if (ci.canSignal(intid, g)) {
                if (g == 0 && ci.groupZeroIsFiq()) fiq = true;
                else irq = true;
            }
        }
        if (irq != ci.irqOut || force) {
            ci.irqOut = irq;
            vcpus[c].setIrqLine(irq);
        }
        if (fiq != ci.fiqOut || force) {
            ci.fiqOut = fiq;
            vcpus[c].setFiqLine(fiq);
        }
    }

    /** Makes SGI {@code sgi} pending on CPU {@code target}, sent by CPU {@code source}. */
    void sendSgi(int source, int target, int sgi) {
        if (version == 2) {
            sgiSources[target * 16 + sgi] |= (byte) (1 << source);
            syncSgiLatch(target, sgi);
        } else {
            latch[target] |= 1 << sgi;
        }
    }

    /** Clears the active state of {@code intid} (GICC_EOIR/DIR, ICC_EOIRn/DIR), as CPU {@code c} names it. */
    void deactivate(int c, int intid) {
        if (intid >= irqs) return;
        int s = slot(c, intid >>> 5);
        active[s] &= ~(1 << (intid & 31));
    }
}
