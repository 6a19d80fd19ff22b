package org.jvisor.hyp;

import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.GenericTimer;
import org.jvisor.cpu.InstructionClock;
import org.jvisor.cpu.MmioHandler;
import org.jvisor.cpu.PhysicalBus;
import org.jvisor.cpu.Ram;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * One virtual machine (a KVM VM fd): its host physical address space, where the hypervisor places the
 * slots' memory and its own stage-2 tables; the guest physical memory map (slots and in-hypervisor
 * devices); the trap configuration; custom hypercalls; and its vCPUs. Configure it (slots, devices,
 * hypercalls, traps) before running vCPUs.
 */
public final class Vm {
    /** Host physical layout: stage-2 tables low, slots from 4 GiB up, each on a 2 MiB boundary. */
    static final long TABLES_BASE = 0x1000_0000L, TABLES_SIZE = 16L << 20, SLOTS_BASE = 1L << 32;

    private final PhysicalBus hostBus = new PhysicalBus();
    private final TablePageAllocator tablePages;
    private final List<GuestStage2> views = new ArrayList<>();
    private volatile GuestStage2[] viewArray;
    private final TrapConfig traps = new TrapConfig();
    private final List<MemorySlot> slots = new ArrayList<>();
    private MemorySlot[] slotArray = new MemorySlot[0];
    private final List<Device> devices = new ArrayList<>();
    private Device[] deviceArray = new Device[0];
    /** Registered hypercalls, replaced whole on registration: read at every HVC with no lock and no boxing. */
    private volatile Hypercalls hypercalls = new Hypercalls(new int[0], new HypercallHandler[0]);

    private record Hypercalls(int[] ids, HypercallHandler[] handlers) {}
    private final List<Vcpu> vcpus = new ArrayList<>();
    private volatile Vcpu[] vcpuArray = new Vcpu[0];
    private long nextHostPa = SLOTS_BASE;
    private final long createdNanos = System.nanoTime();
    private volatile boolean blocks;
    private final Ram tableMemory;
    private volatile boolean closed;
    private Vgic gic;
    private final GuestClock clock;
    /**
     * The system counter of a {@link GuestClock#HOST} VM, one for all its vCPUs: from 0 at creation, as KVM
     * starts a VM's counter, and from the saved count at a restore ({@link #restoreClock}).
     */
    private final GenericTimer.HostClock hostClock = new GenericTimer.HostClock(0);
    /** The system counter of a {@link GuestClock#INSTRUCTIONS} VM, one for all its vCPUs: their instructions, from 0. */
    private final InstructionClock instructionClock = new InstructionClock();
    /** The guest owns EL2: RAM and devices sit on the host bus at their guest physical addresses, no stage 2. */
    private final boolean guestOwnsEl2;
    /** The guest kernel runs deprivileged at EL0 ({@link Hypervisor#createTrapAndEmulateVm}). */
    private final boolean trapAndEmulate;

    record Device(long base, long size, VcpuMmioHandler handler) {
        boolean contains(long ipa) { return ipa - base >= 0 && ipa - base < size; }
    }

    Vm(GuestClock clock, boolean guestOwnsEl2) { this(clock, guestOwnsEl2, false); }

    Vm(GuestClock clock, boolean guestOwnsEl2, boolean trapAndEmulate) {
        this.clock = java.util.Objects.requireNonNull(clock);
        this.guestOwnsEl2 = guestOwnsEl2;
        this.trapAndEmulate = trapAndEmulate;
        if (guestOwnsEl2) { // no stage-2 tables: the host bus is the guest's physical address space
            tableMemory = null;
            tablePages = null;
            viewArray = new GuestStage2[0];
            return;
        }
        Ram tables = Ram.allocate(TABLES_SIZE);
        tableMemory = tables;
        hostBus.addRam(TABLES_BASE, tables);
        tablePages = new TablePageAllocator(hostBus, TABLES_BASE, TABLES_SIZE);
        views.add(new GuestStage2(tablePages, 1, this::invalidateStage2));
        viewArray = views.toArray(new GuestStage2[0]);
        // The shadow stage 1 tables are walked by IPA: stage 2 shows the table region, read-only, where no slot goes.
        if (trapAndEmulate)
            views.get(0).table().map(ShadowStage1.IPA_BASE, TABLES_BASE, TABLES_SIZE, Stage2PageTable.R | Stage2PageTable.BLOCKS);
    }

    /** Whether the guest kernel runs deprivileged, by trap-and-emulate ({@link Hypervisor#createTrapAndEmulateVm}). */
    public boolean trapAndEmulate() { return trapAndEmulate; }

    TablePageAllocator tablePages() { return tablePages; }

    /**
     * A new, empty stage-2 view (its own table and VMID); returns its index for
     * {@link Vcpu#setStage2View} and the VIEW_SWITCH hypercall. At most 255 views.
     */
    public synchronized int createStage2View() {
        if (guestOwnsEl2) throw new IllegalStateException("the guest owns EL2: its stage 2 is its own");
        if (views.size() >= 255) throw new IllegalStateException("no VMID left for another stage-2 view");
        views.add(new GuestStage2(tablePages, views.size() + 1, this::invalidateStage2));
        viewArray = views.toArray(new GuestStage2[0]);
        return views.size() - 1;
    }

    /** Stage-2 view {@code index}; null if there is none. */
    public GuestStage2 stage2View(int index) {
        GuestStage2[] v = viewArray;
        return index >= 0 && index < v.length ? v[index] : null;
    }

    public int stage2ViewCount() { return viewArray.length; }

    /** A valid stage-2 entry changed: every vCPU drops its guest translations before it next enters the guest. */
    private void invalidateStage2(long ipa, long size) {
        for (Vcpu v : vcpuArray) v.requestStage2Flush();
    }

    /**
     * KVM_SET_USER_MEMORY_REGION: {@code hostMemory} becomes guest RAM at {@code guestPhysAddr}. Pages are
     * mapped in stage 2 on first touch. {@code size} and the address must be 4 KiB aligned and not overlap
     * another slot or device.
     */
    public synchronized MemorySlot setUserMemoryRegion(int slot, long guestPhysAddr, long size, Ram hostMemory) {
        if (((guestPhysAddr | size) & 0xfff) != 0 || size <= 0 || size > hostMemory.size())
            throw new IllegalArgumentException("slot " + slot + ": bad address or size");
        if (guestPhysAddr < 0 || guestPhysAddr + size > (trapAndEmulate ? ShadowStage1.IPA_BASE : GuestStage2.IPA_LIMIT))
            throw new IllegalArgumentException("slot " + slot + " lies beyond the guest physical address space");
        for (MemorySlot s : slots) {
            if (s.slot() == slot) throw new IllegalArgumentException("slot " + slot + " already in use");
            checkFree(guestPhysAddr, size, s.guestPhysAddr(), s.size());
        }
        for (Device d : devices) checkFree(guestPhysAddr, size, d.base(), d.size());
        long hostPa = guestPhysAddr;
        if (!guestOwnsEl2) {
            hostPa = nextHostPa;
            nextHostPa += (hostMemory.size() + 0x1fffffL) & ~0x1fffffL;
        }
        hostBus.addRam(hostPa, hostMemory);
        MemorySlot s = new MemorySlot(slot, guestPhysAddr, size, hostPa, hostMemory);
        slots.add(s);
        slotArray = slots.toArray(new MemorySlot[0]);
        return s;
    }

    /**
     * Registers a device emulated inside the hypervisor at guest physical {@code [base, base+size)}: the
     * guest's accesses are served by {@code handler} (offsets relative to base) without leaving
     * {@link Vcpu#run()}. A handler that throws {@link org.jvisor.cpu.BusError} gives the guest an external abort.
     * The handler runs on the accessing vCPU's thread.
     */
    public void addDevice(long base, long size, MmioHandler handler) {
        if (handler == null) throw new IllegalArgumentException("no handler");
        register(base, size, new VcpuMmioHandler() {
            @Override
            public long read(Vcpu vcpu, long offset, int size) { return handler.read(offset, size); }

            @Override
            public void write(Vcpu vcpu, long offset, int size, long value) { handler.write(offset, size, value); }
        }, handler);
    }

    /**
     * Registers an in-hypervisor device whose handler learns which vCPU accesses it (banked registers,
     * as a GIC has); otherwise as {@link #addDevice(long, long, MmioHandler)}.
     */
    public void addBankedDevice(long base, long size, VcpuMmioHandler handler) {
        if (handler == null) throw new IllegalArgumentException("no handler");
        // On the guest's own bus no stage-2 fault says who accessed it: the vCPU running on this thread did.
        register(base, size, handler, new MmioHandler() {
            @Override
            public long read(long offset, int size) { return handler.read(accessingVcpu(), offset, size); }

            @Override
            public void write(long offset, int size, long value) { handler.write(accessingVcpu(), offset, size, value); }
        });
    }

    /**
     * A device at {@code [base, base+size)}: reached through stage-2 faults with the faulting vCPU
     * ({@code inHypervisor}) when the hypervisor owns EL2, or on the guest's own bus ({@code onBus}) when the
     * guest does.
     */
    private synchronized void register(long base, long size, VcpuMmioHandler inHypervisor, MmioHandler onBus) {
        checkUnclaimed(base, size);
        devices.add(new Device(base, size, inHypervisor));
        if (guestOwnsEl2) hostBus.addMmio(base, size, onBus);
        else deviceArray = devices.toArray(new Device[0]);
    }

    /**
     * The vCPU whose thread is accessing the bus; a host-side access (a debugger reading the GIC) gets a bus
     * error, as banked registers have no meaning without a CPU.
     */
    private Vcpu accessingVcpu() {
        Thread t = Thread.currentThread();
        for (Vcpu v : vcpuArray) if (v.runsOn(t)) return v;
        throw org.jvisor.cpu.BusError.INSTANCE;
    }

    /** Neither RAM nor a device is at {@code [base, base+size)} yet. */
    private void checkUnclaimed(long base, long size) {
        for (MemorySlot s : slots) checkFree(base, size, s.guestPhysAddr(), s.size());
        for (Device d : devices) checkFree(base, size, d.base(), d.size());
    }

    private static void checkFree(long base, long size, long otherBase, long otherSize) {
        if (base < otherBase + otherSize && otherBase < base + size)
            throw new IllegalArgumentException("0x" + Long.toHexString(base) + " overlaps 0x" + Long.toHexString(otherBase));
    }

    /** Serves HVC #0 / SMC #0 with X0 = {@code functionId} by {@code handler} (PSCI ids are the hypervisor's). */
    public synchronized void registerHypercall(int functionId, HypercallHandler handler) {
        if (Psci.owns(functionId) || functionId == Vcpu.VIEW_SWITCH) throw new IllegalArgumentException("PSCI function id 0x" + Integer.toHexString(functionId));
        Hypercalls old = hypercalls;
        int n = old.ids.length, i = 0;
        while (i < n && old.ids[i] != functionId) i++;
        int[] ids = java.util.Arrays.copyOf(old.ids, Math.max(n, i + 1));
        HypercallHandler[] handlers = java.util.Arrays.copyOf(old.handlers, ids.length);
        ids[i] = functionId;
        handlers[i] = handler;
        hypercalls = new Hypercalls(ids, handlers);
    }

    HypercallHandler hypercall(int functionId) {
        Hypercalls h = hypercalls;
        for (int i = 0; i < h.ids.length; i++) if (h.ids[i] == functionId) return h.handlers[i];
        return null;
    }

    /**
     * KVM_CREATE_VCPU. vCPU 0 starts powered on at EL1 (EL2 when the guest owns it) with the MMU off; the others start powered off
     * until a PSCI CPU_ON names them (MPIDR affinity 0 = id). Run each vCPU on its own thread.
     */
    public Vcpu createVcpu(int id) { return createVcpu(id, id == 0); }

    public synchronized Vcpu createVcpu(int id, boolean poweredOn) {
        if (gic != null) throw new IllegalStateException("create every vCPU before the GIC (it serves those that exist)");
        for (Vcpu v : vcpus) if (v.id() == id) throw new IllegalArgumentException("vCPU " + id + " exists");
        if (id < 0 || id > 255) throw new IllegalArgumentException("vCPU id " + id);
        // Each vCPU shadows the guest's tables alone: a TLBI broadcast by one would have to reach the others' shadows.
        if (trapAndEmulate && !vcpus.isEmpty()) throw new IllegalStateException("trap-and-emulate runs one vCPU");
        Vcpu v = new Vcpu(this, id, poweredOn);
        vcpus.add(v);
        vcpuArray = vcpus.toArray(new Vcpu[0]);
        return v;
    }

    public synchronized List<Vcpu> vcpus() { return List.copyOf(vcpus); }

    /**
     * Whether {@code sleeper}, about to sleep with no deadline, and every other vCPU can never run again: each
     * off or asleep for good, and no interrupt able to reach any of them. Only with an interrupt controller,
     * which is what could wake them; a VM without one is woken by whoever drives its IRQ lines.
     */
    boolean nothingCanWake(Vcpu sleeper) {
        Vgic g = gic();
        if (g == null || g.canSignal(sleeper.id())) return false;
        for (Vcpu v : vcpuArray) if (v != sleeper && !v.stuck(g)) return false;
        return true;
    }

    /** Whether every vCPU is powered off (PSCI CPU_OFF, or never powered on). */
    boolean everyVcpuOff() {
        for (Vcpu v : vcpuArray) {
            synchronized (v.powerLock()) {
                if (v.power != Vcpu.OFF) return false;
            }
        }
        return true;
    }

    synchronized Vcpu vcpuByMpidr(long mpidr) {
        for (Vcpu v : vcpus) if ((v.mpidr() & 0xff00ffffffL) == (mpidr & 0xff00ffffffL)) return v;
        return null;
    }

    public TrapConfig trapConfig() { return traps; }

    /** Whether the guest owns EL2 ({@link Hypervisor#createVmOwningEl2}). */
    public boolean guestOwnsEl2() { return guestOwnsEl2; }

    /** What the system counter of this VM's vCPUs counts. */
    public GuestClock clock() { return clock; }

    /** The counter source of a new vCPU's timer: the VM's one system counter. */
    GenericTimer.CounterSource counterFor(org.jvisor.cpu.Cpu cpu) {
        return clock == GuestClock.INSTRUCTIONS ? instructionClock.counter(cpu) : hostClock;
    }

    /**
     * The system counter's value now, for a snapshot: save it once for the VM, with its vCPUs stopped (an
     * {@link GuestClock#INSTRUCTIONS} count then has every vCPU's instructions in).
     */
    public long clockCount() { return clock == GuestClock.INSTRUCTIONS ? instructionClock.count() : hostClock.count(); }

    /**
     * Restoring a snapshot: the system counter goes on from {@code count}, the value {@link #clockCount} gave
     * when it was saved; a HOST counter neither back nor forward by the time the snapshot was kept, an
     * INSTRUCTIONS one counting each vCPU's instructions from its restored instruction count. Call it after
     * every vCPU's {@link Vcpu#restoreState}, before any runs. Throws {@link org.jvisor.cpu.StateException}
     * for a negative count.
     */
    public void restoreClock(long count) {
        if (count < 0) throw new org.jvisor.cpu.StateException("the saved system counter is negative: " + count);
        if (clock == GuestClock.INSTRUCTIONS) instructionClock.continueFrom(count);
        else hostClock.continueFrom(count);
    }

    /**
     * The INSTRUCTIONS counter skipped to the earliest count at which a waiting vCPU wakes, when every vCPU
     * waits ({@code waker}, about to, among them): off, or asleep in WFI or WFE. QEMU's icount skips its
     * virtual clock alike when every CPU sleeps. While one still runs the others wait for its instructions
     * to bring the count there. Wakes the sleepers to look at the count; false when one still runs.
     */
    boolean skipClockIfAllWait(Vcpu waker) {
        long earliest = -1L;
        for (Vcpu v : vcpuArray) {
            if (v != waker && !v.waits()) return false;
            long at = v.wakeCount();
            if (Long.compareUnsigned(at, earliest) < 0) earliest = at;
        }
        instructionClock.count(); // the instructions each retired before it waited, before the skip
        if (earliest != -1L) instructionClock.advanceTo(earliest);
        for (Vcpu v : vcpuArray) if (v != waker) v.wake();
        return true;
    }

    /** The INSTRUCTIONS counter with every vCPU's instructions in: a waiting vCPU checking its deadline. */
    long instructionCount() { return instructionClock.count(); }

    /** The VM's interrupt controller ({@link Vgic#create}), or null before one is created. */
    public synchronized Vgic gic() { return gic; }

    synchronized void attachGic(Vgic g) {
        if (gic != null) throw new IllegalStateException("the VM has a GIC already");
        gic = g;
    }

    /**
     * Whether a stage-2 fault maps the whole 2 MiB block around the address (when the slot covers it
     * and its host memory is aligned alike) instead of one 4 KiB page: fewer MEM traps, coarser tracking.
     */
    public void setStage2Blocks(boolean on) { blocks = on; }

    boolean stage2Blocks() { return blocks; }

    long createdNanos() { return createdNanos; }

    /**
     * Starts printing the trap counters of every vCPU every {@code periodMillis} to {@code out} (stderr,
     * a file) in the seeds' format; close the result to stop.
     */
    public TrapTrace startTrapTrace(long periodMillis, java.io.PrintStream out) {
        return new TrapTrace(this, periodMillis, out);
    }

    // ---- snapshots ---------------------------------------------------------------------------------------

    /**
     * The memory of the hypervisor's stage-2 tables, for a snapshot to save and restore like guest RAM (it
     * is mostly zero); null when the guest owns EL2 and has no tables of jvisor's. It sits at
     * {@link #stage2TableBase()} on {@link #hostBus()}.
     */
    public Ram stage2TableMemory() { return tableMemory; }

    /**
     * Guest RAM and the table memory were overwritten in place (a snapshot loaded into this VM): every decoded
     * instruction and every cached translation is stale. Call with every vCPU out of the guest.
     */
    public void guestMemoryReplaced() {
        hostBus.invalidateAllCode();
        for (Vcpu v : vcpuArray) v.requestStage2Flush();
    }

    /** The host physical address of {@link #stage2TableMemory()}. */
    public long stage2TableBase() { return TABLES_BASE; }

    /**
     * Writes the VM's own state, as KVM keeps it apart from its vCPUs and memory: the trap configuration,
     * whether stage 2 maps 2 MiB blocks, and, when jvisor owns EL2, the table page allocator and each
     * stage-2 view (its root and VMID). Not the vCPUs (each has its own saveState), not guest RAM nor the
     * table memory ({@link #stage2TableMemory()}), not the GIC; not the hypercalls, which are the VMM's
     * code, registered again when it builds the machine.
     */
    public synchronized void saveState(StateWriter w) {
        w.tag("vm");
        w.putBoolean(guestOwnsEl2).putBoolean(trapAndEmulate);
        traps.saveState(w);
        w.putBoolean(blocks);
        if (guestOwnsEl2) return;
        tablePages.saveState(w);
        w.putInt(views.size());
        for (GuestStage2 v : views) w.putLong(v.table().root()).putInt(v.vmid());
    }

    /**
     * Restores what {@link #saveState} wrote into a VM built the same way (slots, devices and the views the
     * VMM creates at start, before any vCPU runs), recreating the views created since. Call it after the
     * table memory holds its saved bytes: every view's tables are checked here (a tree of table pages in
     * use, mapping host RAM only), so that no vCPU ever walks a table a file made up. The vCPUs' own view
     * indexes are theirs to restore, after this.
     */
    public synchronized void restoreState(StateReader r) {
        r.tag("vm");
        boolean el2 = r.getBoolean(), te = r.getBoolean();
        if (el2 != guestOwnsEl2 || te != trapAndEmulate)
            throw new StateException("the snapshot's VM " + mode(el2, te) + "; this one " + mode(guestOwnsEl2, trapAndEmulate));
        traps.restoreState(r);
        blocks = r.getBoolean();
        if (guestOwnsEl2) return;
        tablePages.restoreState(r);
        int n = r.getInt(1, 255, "stage-2 views");
        if (n < views.size()) throw new StateException("the snapshot has " + n + " stage-2 views; this VM was built with " + views.size());
        java.util.function.LongPredicate handedOut = tablePages.pagesHandedOut();
        java.util.Set<Long> claimed = new java.util.HashSet<>();
        List<GuestStage2> restored = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long root = r.getLong();
            int vmid = r.getInt(i + 1, i + 1, "stage-2 view " + i + "'s VMID");
            GuestStage2 v = i < views.size() ? views.get(i) : new GuestStage2(tablePages, vmid, this::invalidateStage2, root);
            if (v.table().root() != root) throw new StateException("stage-2 view " + i + ": its root differs from this VM's (built otherwise)");
            v.table().checkRestored(handedOut, claimed, hostBus);
            restored.add(v);
        }
        views.clear();
        views.addAll(restored);
        viewArray = views.toArray(new GuestStage2[0]);
        invalidateStage2(0, GuestStage2.IPA_LIMIT);
    }

    private static String mode(boolean guestOwnsEl2, boolean trapAndEmulate) {
        return guestOwnsEl2 ? "lets the guest own EL2" : trapAndEmulate ? "runs the guest by trap-and-emulate" : "runs the guest at EL1";
    }

    /** The host physical address space (slots' memory and stage-2 tables); for the hypervisor and tools. */
    public PhysicalBus hostBus() { return hostBus; }

    /**
     * Destroys the VM: gives the stage-2 tables' memory back to the host; every vCPU's {@code run()} then
     * returns an internal-error exit. No vCPU may be inside {@code run()} (kick them and wait first), or
     * this throws IllegalStateException and the VM goes on. The slots' memory belongs to the caller, as
     * KVM's user memory does: release it after this.
     */
    public synchronized void close() {
        if (closed) return;
        closed = true; // published before the check below; Vcpu.run() marks itself running before reading it
        for (Vcpu v : vcpuArray)
            if (v.inRun()) {
                closed = false;
                throw new IllegalStateException("vCPU " + v.id() + " is running: kick it and wait for run() to return");
            }
        if (tableMemory != null) tableMemory.release();
    }

    boolean isClosed() { return closed; }

    /** The default stage-2 view (index 0), where vCPUs start; null when the guest owns EL2. */
    public GuestStage2 stage2() {
        GuestStage2[] v = viewArray;
        return v.length == 0 ? null : v[0];
    }

    public List<MemorySlot> slots() { return List.of(slotArray); }

    MemorySlot slotAt(long ipa) {
        for (MemorySlot s : slotArray) if (s.contains(ipa)) return s;
        return null;
    }

    Device deviceAt(long ipa) {
        for (Device d : deviceArray) if (d.contains(ipa)) return d;
        return null;
    }

    /** Copies {@code data} into guest RAM at {@code ipa} (a loader's write; the range must lie in one slot). */
    public void writeGuest(long ipa, byte[] data) { writeGuest(ipa, data, 0, data.length); }

    /**
     * Copies {@code length} bytes of {@code src} into guest RAM at {@code ipa} (device DMA, loaders), from
     * any thread; IllegalArgumentException unless the whole range lies in one slot.
     */
    public void writeGuest(long ipa, byte[] src, int offset, int length) {
        hostBus.writeBytes(hostAddress(ipa, length), src, offset, length);
    }

    public byte[] readGuest(long ipa, int length) {
        byte[] b = new byte[length];
        readGuest(ipa, b, 0, length);
        return b;
    }

    /** Copies guest RAM at {@code ipa} into {@code dst}; IllegalArgumentException unless the range lies in one slot. */
    public void readGuest(long ipa, byte[] dst, int offset, int length) {
        hostBus.readBytes(hostAddress(ipa, length), dst, offset, length);
    }

    private long hostAddress(long ipa, int length) {
        MemorySlot s = slotAt(ipa);
        if (s == null || length < 0 || (length > 0 && !s.contains(ipa + length - 1)))
            throw new IllegalArgumentException("not guest RAM: 0x" + Long.toHexString(ipa) + "+" + length);
        return s.hostAddress(ipa);
    }

    public long readGuest64(long ipa) {
        MemorySlot s = slotAt(ipa);
        if (s == null) throw new IllegalArgumentException("not guest RAM: 0x" + Long.toHexString(ipa));
        return hostBus.read(s.hostAddress(ipa), 8);
    }
}
