package org.jvisor.hyp;

import java.util.Locale;
import java.util.OptionalLong;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.ExitReason;
import org.jvisor.cpu.GenericTimer;
import org.jvisor.cpu.HostDebug;
import org.jvisor.cpu.Mmu;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;
import org.jvisor.cpu.SysRegTable;
import org.jvisor.cpu.SystemRegisters;

/**
 * One virtual CPU (a KVM vCPU fd): a processor of the VM's host bus whose EL2 the hypervisor owns.
 * {@link #run()} enters the guest and handles exits inside the hypervisor (stage-2 faults on RAM,
 * PSCI, in-hypervisor devices, WFI...) until one needs the caller.
 *
 * <p>Threads: call {@link #run()} and the register accessors from one thread only, the vCPU's own (one
 * host thread per vCPU, as KVM expects), or from another while the vCPU is not running (a VMM that paused
 * it: debuggers, monitors); {@link #kick()}, {@link #setIrqLine} and {@link #counter()} may be called from any
 * thread. The processor itself is not handed out: what a VMM needs of it is here, as KVM's ioctls give it.
 *
 * <p>Snapshots: {@link #saveState} and {@link #restoreState}, while the vCPU is not running. An exit can leave
 * work for the next {@link #run()}: after a {@link VcpuExit.Mmio} read, the loaded value is written to its
 * register (and a pair's second access made, a writeback done) only when the guest is entered again. KVM's
 * rule applies (userspace sets {@code immediate_exit} and calls KVM_RUN before saving): once it has served
 * the exit, the VMM calls {@link #completePendingExit()}, which finishes that work without entering the
 * guest, serving the VMM again the next access it needs (the second half of a pair, as another
 * {@link VcpuExit.Mmio}), until it returns null. Only then may the vCPU be saved: {@link #saveState} refuses
 * a vCPU with an access in flight.
 */
public final class Vcpu {
    static final int OFF = 0, ON = 1;
    private static final int WFE = 0xd503205f;
    /**
     * The hypercall (HVC/SMC #0, SMCCC vendor-specific hypervisor range) that switches the calling vCPU
     * to stage-2 view X1: X0 = 0, or -2 (INVALID_PARAMETERS) for a view that does not exist.
     */
    public static final int VIEW_SWITCH = 0xC600FF00;

    private final Vm vm;
    private final int id;
    final Cpu cpu;
    final TrapStats stats = new TrapStats();
    /** The exit hypercalls to the caller are reported with (see {@link VcpuExit.Hypercall}). */
    final VcpuExit.Hypercall hypercallExit = new VcpuExit.Hypercall();
    final MmioEmulation mmio = new MmioEmulation(this);
    /** The exit an exit handler asks {@link ExitHandlers} to return (see {@link ExitHandlers#exit}). */
    VcpuExit pendingExit;

    /** Guarded by {@link #lock}: PSCI power state, and a pending CPU_ON's entry point and context id. */
    int power;
    boolean powerOnPending;
    long entryPoint, contextId;

    private final Object lock = new Object();
    /**
     * What a WFI sleeps on: a leaf lock (nothing is called while holding it), so that an interrupt
     * controller may raise the IRQ line under its own lock from any thread.
     */
    private final Object sleepLock = new Object();
    private volatile boolean kickRequested;
    private volatile boolean irqLevel, fiqLevel;
    /** An interrupt controller takes the generic timer's outputs (else a timer deadline ends a WFI by itself). */
    volatile boolean timerWired;
    private volatile boolean stage2FlushRequested;
    private volatile boolean idle;
    private GuestStage2 view;
    private boolean irqApplied, fiqApplied;
    private VcpuExit.InternalError dead;
    /** Inside {@link #run()}: {@link Vm#close()} must not free memory this thread may touch. */
    private volatile boolean inRun;
    private VcpuExit lastEvent;
    private Thread owner;
    private final boolean startsOn;
    /** The hypervisor owns EL2 (the default), or the guest does ({@link Vm#guestOwnsEl2}). */
    private final boolean hostOwnsEl2;
    /** Classic trap-and-emulate ({@link Vm#trapAndEmulate}): the guest kernel at EL0, the hypervisor owning EL1 too; else null. */
    private final Deprivileged deprivileged;

    Vcpu(Vm vm, int id, boolean poweredOn) {
        this.vm = vm;
        this.id = id;
        this.cpu = new Cpu(vm.hostBus());
        cpu.setEventListener(this::wakeFromWfi);
        hostOwnsEl2 = !vm.guestOwnsEl2();
        cpu.hostOwnsEl2 = hostOwnsEl2;
        deprivileged = vm.trapAndEmulate() ? new Deprivileged(this) : null;
        if (deprivileged != null) {
            cpu.hostOwnsEl1 = true;
            cpu.trapUnprivilegedAccess = true;
        }
        // The firmware standing in for EL3 serves PSCI over SMC to a guest that owns EL2 (QEMU's conduit).
        if (!hostOwnsEl2) {
            cpu.firmware = x0 -> Psci.owns((int) x0);
            cpu.el2Observer = new NestedTrapCounter(stats);
        }
        cpu.timer.setCounterSource(vm.counterFor(cpu));
        cpu.sr.vmpidrEl2 = ownMpidr();
        cpu.sr.mpidr = ownMpidr();
        cpu.sr.vpidrEl2 = cpu.sr.midr;
        enterAtResetLevel();
        power = poweredOn ? ON : OFF;
        startsOn = poweredOn;
    }

    /**
     * Back to the state of creation (KVM_ARM_VCPU_INIT), e.g. after a SYSTEM_RESET exit: registers reset
     * (EL1h, MMU off, PC 0), powered on or off as created, no pending MMIO, no sticky exit. Guest memory
     * and its stage-2 mappings stay. Call it from the vCPU's thread while it is not running.
     */
    public void reset() {
        powerOnReset(0, 0);
        mmio.cancel();
        pendingExit = null;
        dead = null;
        lastEvent = null;
        synchronized (lock) {
            power = startsOn ? ON : OFF;
            powerOnPending = false;
        }
    }

    /** EL1h under this hypervisor's EL2, or EL2h when the guest owns EL2 (its registers then are the guest's). */
    private void enterAtResetLevel() {
        if (hostOwnsEl2) applyHypervisorState();
        else cpu.setElAndSpSel(2, 1);
        if (deprivileged != null) deprivileged.reset();
    }

    /** What the hypervisor keeps in the EL2 registers while this vCPU runs. */
    private void applyHypervisorState() {
        cpu.sr.hcrEl2 = vm.trapConfig().hcr() | (irqApplied ? SystemRegisters.HCR_VI : 0) | (fiqApplied ? SystemRegisters.HCR_VF : 0);
        applyTrapRegisters();
        view = vm.stage2();
        cpu.sr.vttbrEl2 = view.vttbr();
        cpu.sr.vtcrEl2 = view.vtcr();
    }

    private static final long MDCR_TRAPS = TrapConfig.controls(TrapConfig.Register.MDCR_EL2);
    private static final long CPTR_TRAPS = TrapConfig.controls(TrapConfig.Register.CPTR_EL2);
    private static final long CNTHCTL_TRAPS = TrapConfig.controls(TrapConfig.Register.CNTHCTL_EL2);
    /** The {@link TrapConfig#generation()} last applied to MDCR/CPTR/CNTHCTL_EL2 (0: the reset values stand). */
    private int trapGeneration;
    /**
     * CPTR_EL2.TFP is lifted for one instruction: the guest's FP/SIMD instruction that trapped runs, and the
     * trap is set again (when the configuration traps every one, {@link ExitHandlers}).
     */
    boolean fpStep;

    /**
     * MDCR_EL2, CPTR_EL2 and CNTHCTL_EL2's trap controls as {@link TrapConfig#traps(java.util.Set)} last
     * set them (through the registers' own write paths: MDCR_EL2 reconfigures the PMU and debug).
     */
    private void applyTrapRegisters() {
        TrapConfig t = vm.trapConfig();
        int g = t.generation();
        if (g == trapGeneration) return;
        trapGeneration = g;
        SystemRegisters s = cpu.sr;
        long mdcr = (s.mdcrEl2 & ~MDCR_TRAPS) | t.mdcr();
        if (mdcr != s.mdcrEl2) SysRegTable.write(cpu, "MDCR_EL2", mdcr);
        s.cptrEl2 = (s.cptrEl2 & ~CPTR_TRAPS) | t.cptr();
        long cnthctl = (s.cnthctlEl2 | CNTHCTL_TRAPS) & ~t.cnthctlClear();
        if (cnthctl != s.cnthctlEl2) SysRegTable.write(cpu, "CNTHCTL_EL2", cnthctl);
    }

    public int id() { return id; }

    /** Whether {@code t} is the thread this vCPU runs on. */
    boolean runsOn(Thread t) { return owner == t; }

    public Vm vm() { return vm; }

    long mpidr() { return cpu.sr.vmpidrEl2; }

    /** The MPIDR this vCPU is created with: affinity 0 is its id (bit 31 RES1). */
    private long ownMpidr() { return 0x80000000L | id; }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * The CPU time the thread running this vCPU has used so far (the processor and the hypervisor's exit
     * handling; other processes' load barely moves it, unlike elapsed time), 0 before its first run or
     * where the JVM cannot tell; any thread, while that thread lives.
     */
    public long threadCpuNanos() {
        Thread t = owner;
        if (t == null || !THREADS.isThreadCpuTimeSupported()) return 0;
        return Math.max(0, THREADS.getThreadCpuTime(t.threadId()));
    }

    /** The trap counters of this vCPU. */
    public TrapStats stats() { return stats; }

    // ---- running -------------------------------------------------------------------------------

    /** KVM_RUN: runs the guest until an exit the caller must see. */
    public VcpuExit run() {
        Thread t = Thread.currentThread();
        if (owner == null) owner = t;
        else if (owner != t) throw new IllegalStateException("vCPU " + id + " runs on thread " + owner.getName() + ", not " + t.getName());
        inRun = true;
        try {
            if (vm.isClosed()) return new VcpuExit.InternalError("the VM is closed", "");
            if (dead != null) return dead;
            if (lastEvent != null) return lastEvent;
            mmio.checkCompleted();
            try {
                VcpuExit e = finishPending();
                if (e != null) return e;
                return loop();
            } catch (RuntimeException | StackOverflowError e) {
                return die("hypervisor error: " + e);
            }
        } finally {
            inRun = false;
        }
    }

    boolean inRun() { return inRun; }

    /** What the last exit left to do before the guest runs again (see the class comment); an exit, or null when done. */
    private VcpuExit finishPending() {
        return ExitHandlers.complete(this, mmio.resume());
    }

    /**
     * KVM_RUN with {@code immediate_exit} set: finishes what the last exit left pending (an MMIO read's value
     * written to its register, a pair's second access, the PC moved past the access) without entering the
     * guest. Returns the next exit the VMM must serve first (a {@link VcpuExit.Mmio} for a pair's other
     * half; call again once it is served), or null once nothing is pending: then {@link #saveState} may run.
     * On the vCPU's thread, or on another while the vCPU is not running; throws IllegalStateException if an
     * MMIO read was not answered ({@link #completeMmioRead}).
     */
    public VcpuExit completePendingExit() {
        if (dead != null || lastEvent != null) return null; // run() would only report them again
        mmio.checkCompleted();
        inRun = true;
        try {
            return finishPending();
        } catch (RuntimeException | StackOverflowError e) {
            return die("hypervisor error: " + e);
        } finally {
            inRun = false;
        }
    }

    // ---- snapshots --------------------------------------------------------------------------------

    /**
     * Writes this vCPU for a snapshot: its processor ({@link Cpu#saveState}), its trap counters, its PSCI power
     * state (with a CPU_ON not yet applied), the interrupt lines the interrupt controller drives, the stage-2
     * view it runs on, and the step over a trapped FP instruction in progress. Not saved: the guest debugger's
     * settings (the host's), sleeping in WFI (a vCPU stopped for a save has left its WFI, as KVM's has once
     * KVM_RUN returned: the guest's idle loop executes the next), kicks, and the trap configuration's
     * generation (the VM's {@link TrapConfig} is applied again at the next run). While the vCPU is not
     * running, after {@link #completePendingExit()} returned null. A trap-and-emulate vCPU cannot be saved
     * (its virtual EL1 and shadow tables are not written): IllegalStateException, as for a vCPU with an
     * MMIO access in flight or one that has stopped for good.
     */
    public void saveState(StateWriter w) {
        checkSnapshot("saved");
        if (inRun) throw new IllegalStateException("vCPU " + id + " is running");
        if (mmio.pending()) throw new IllegalStateException("vCPU " + id + " has an MMIO access in flight: complete it first (completePendingExit)");
        if (dead != null || lastEvent != null) throw new IllegalStateException("vCPU " + id + " has stopped for good: " + (dead != null ? dead : lastEvent));
        w.tag("vcpu").putInt(id).putBoolean(hostOwnsEl2);
        cpu.saveState(w);
        stats.saveState(w);
        if (cpu.el2Observer instanceof NestedTrapCounter n) n.saveState(w);
        synchronized (lock) {
            w.putInt(power).putBoolean(powerOnPending).putLong(entryPoint).putLong(contextId);
        }
        w.putBoolean(irqLevel).putBoolean(fiqLevel).putBoolean(fpStep);
        w.putInt(viewIndex());
    }

    /**
     * Reads back what {@link #saveState} wrote, into a vCPU of a VM built as the saved one was (same id, same
     * ownership of EL2, same stage-2 views), new or paused (a monitor's loadvm: everything derived from the
     * registers is recomputed and every cached translation dropped, as after a context switch). A bad value gives a
     * {@link org.jvisor.cpu.StateException}; the VM must then be thrown away.
     */
    public void restoreState(StateReader r) {
        checkSnapshot("restored");
        if (inRun) throw new IllegalStateException("vCPU " + id + " is running");
        r.tag("vcpu");
        int savedId = r.getInt();
        if (savedId != id) throw new StateException("the state of vCPU " + savedId + " given to vCPU " + id);
        if (r.getBoolean() != hostOwnsEl2) throw new StateException("the state of vCPU " + id + " is of a VM whose EL2 is " + (hostOwnsEl2 ? "the guest's" : "the hypervisor's"));
        cpu.restoreState(r);
        // The identity the hypervisor gave this vCPU routes PSCI CPU_ON and the GIC's affinity: not the file's to change.
        long mpidr = ownMpidr();
        if (cpu.sr.mpidr != mpidr || hostOwnsEl2 && cpu.sr.vmpidrEl2 != mpidr)
            throw new StateException("the state of vCPU " + id + " has another MPIDR: 0x" + Long.toHexString(cpu.sr.vmpidrEl2));
        stats.restoreState(r);
        if (cpu.el2Observer instanceof NestedTrapCounter n) n.restoreState(r);
        synchronized (lock) {
            power = r.getInt(OFF, ON, "PSCI power state");
            powerOnPending = r.getBoolean();
            entryPoint = r.getLong();
            contextId = r.getLong();
            if (powerOnPending && power != ON) throw new StateException("a CPU_ON pending on a vCPU that is off");
        }
        irqLevel = r.getBoolean();
        fiqLevel = r.getBoolean();
        fpStep = r.getBoolean();
        int v = r.getInt(-1, vm.stage2ViewCount() - 1, "stage-2 view");
        if ((v < 0) == hostOwnsEl2) throw new StateException("stage-2 view " + v + " for vCPU " + id);
        trapGeneration = vm.trapConfig().generation() - 1; // MDCR/CPTR/CNTHCTL_EL2's traps applied at the next run
        if (hostOwnsEl2) {
            applyHypervisorState(); // HCR_EL2, VTTBR_EL2 and VTCR_EL2 are the hypervisor's: this VM's, not the file's
            if (fpStep) cpu.sr.cptrEl2 &= ~SysRegTable.CPTR_TFP;
            switchView(vm.stage2View(v));
        }
    }

    /** The index of the stage-2 view this vCPU runs on; -1 when the guest owns EL2 (no stage 2 of ours). */
    private int viewIndex() {
        for (int i = 0; i < vm.stage2ViewCount(); i++) if (vm.stage2View(i) == view) return i;
        return -1;
    }

    private void checkSnapshot(String what) {
        if (deprivileged != null)
            throw new IllegalStateException("a trap-and-emulate VM cannot be " + what + ": its virtual EL1 and shadow page tables are not in a snapshot");
    }

    private VcpuExit loop() {
        while (true) {
            if (kickRequested) {
                kickRequested = false;
                return VcpuExit.Interrupted.INSTANCE;
            }
            if (!waitForPower()) continue;
            if (stage2FlushRequested) {
                stage2FlushRequested = false;
                cpu.mmu.tlbi(org.jvisor.cpu.TlbiOp.ALLE1, 0, false);
            }
            boolean irq = irqLevel, fiq = fiqLevel;
            irqApplied = irq;
            fiqApplied = fiq;
            if (deprivileged != null) { // a virtual interrupt is delivered when the virtual PSTATE unmasks it
                irq &= deprivileged.irqUnmasked();
                fiq &= deprivileged.fiqUnmasked();
            }
            if (hostOwnsEl2) {
                // The trap configuration may have changed since the last entry (from any thread): apply it now.
                long hcr = vm.trapConfig().hcr() | (irq ? SystemRegisters.HCR_VI : 0) | (fiq ? SystemRegisters.HCR_VF : 0);
                if (cpu.sr.hcrEl2 != hcr) {
                    boolean translation = ((cpu.sr.hcrEl2 ^ hcr) & ~(SystemRegisters.HCR_VI | SystemRegisters.HCR_VF)) != 0;
                    cpu.sr.hcrEl2 = hcr;
                    if (translation) cpu.mmu.contextChanged();
                }
                applyTrapRegisters();
            } else { // HCR_EL2 is the guest's: the lines are the processor's physical IRQ and FIQ
                cpu.setIrqLine(irq);
                cpu.setFiqLine(fiq);
            }
            ExitReason r;
            if (fpStep) { // one instruction without CPTR_EL2.TFP, then trapped again
                r = cpu.run(1);
                fpStep = false;
                cpu.sr.cptrEl2 |= SysRegTable.CPTR_TFP;
            } else {
                r = cpu.run(Long.MAX_VALUE);
            }
            VcpuExit e = switch (r) {
                case EL2_TRAP -> ExitHandlers.handle(this);
                case EL1_TRAP -> deprivileged.handle();
                case WAIT_FOR_INTERRUPT -> {
                    // Untrapped WFx (the user cleared TWI; WFE is not trapped by default)
                    yield cpu.currentInstruction() == WFE ? waitForEvent() : waitForInterrupt();
                }
                case FIRMWARE_CALL -> Psci.call(this, (int) cpu.x[0]);
                case DEBUG_HALT -> new VcpuExit.Debug(-1, cpu.pc);
                case EXCEPTION_LOOP -> {
                    var l = cpu.exceptionLoop();
                    yield new VcpuExit.ExceptionLoop(l.el(), l.preferredReturn(), l.ec(), l.vector(), l.vectorOffset(), l.repeats());
                }
                case STOPPED, BUDGET -> null;
            };
            if (e != null) {
                if (e instanceof VcpuExit.InternalError ie) dead = ie;
                else if (e instanceof VcpuExit.SystemEvent) lastEvent = e;
                return e;
            }
        }
    }

    /** Blocks while this vCPU is powered off; applies a pending CPU_ON. False when woken by a kick. */
    private boolean waitForPower() {
        synchronized (lock) {
            while (power == OFF && !kickRequested) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    kickRequested = true;
                }
            }
            if (power == OFF) return false;
            if (powerOnPending) {
                powerOnPending = false;
                powerOnReset(entryPoint, contextId);
            }
            return true;
        }
    }

    /** PSCI CPU_ON's entry state: reset, EL1h (EL2h when the guest owns EL2) with interrupts masked, MMU off, X0 = context id. */
    private void powerOnReset(long entry, long context) {
        cpu.reset();
        cpu.sr.vmpidrEl2 = ownMpidr();
        cpu.sr.mpidr = ownMpidr();
        cpu.sr.vpidrEl2 = cpu.sr.midr;
        enterAtResetLevel();
        cpu.pc = entry;
        cpu.x[0] = context;
    }

    /**
     * Sleeps the vCPU thread until an interrupt is pending for it or a kick arrives (WFI, CPU_SUSPEND). Returns
     * an exit instead when this vCPU and every other one are off or asleep with nothing able to wake them.
     */
    VcpuExit waitForInterrupt() { return sleep(false); }

    /**
     * WFE with no event registered: sleeps as WFI does, and also until an event (another vCPU's SEV) or the
     * next event of the timer's event stream (Linux turns it on, at 10 kHz), where it used to spin.
     */
    VcpuExit waitForEvent() { return sleep(true); }

    private static final VcpuExit NOTHING_CAN_WAKE = new VcpuExit.SystemEvent(VcpuExit.SystemEvent.Type.NOTHING_CAN_WAKE);
    /** Asleep with no deadline and no interrupt able to reach it (see {@link Vm#nothingCanWake}). */
    private volatile boolean asleepForGood;

    /**
     * Whether this vCPU is off, or asleep with nothing pending, no deadline and no interrupt able to reach it
     * (read by another vCPU's thread deciding whether the whole machine can still run).
     */
    boolean stuck(Vgic gic) {
        synchronized (lock) {
            if (power == OFF) return true; // CPU_ON sets ON with the pending power-on, under this lock
        }
        return asleepForGood && !irqLevel && !fiqLevel && !kickRequested && !cpu.eventRegistered() && !gic.canSignal(id);
    }

    /** Whether the vCPU's thread is asleep in WFI, WFE or CPU_SUSPEND (for monitors and tests). */
    public boolean isIdle() { return idle; }

    /**
     * The sleep lock is held only to wait: polling the timer drives its interrupt lines into an interrupt
     * controller, which calls {@link #setIrqLine} (and so takes the sleep lock) under its own lock;
     * holding ours across the poll would order the two locks both ways.
     */
    private VcpuExit sleep(boolean untilEvent) {
        idle = true;
        try {
            return sleepLoop(untilEvent);
        } finally {
            asleepForGood = false;
            wakeCount = -1L;
            idle = false;
        }
    }

    private VcpuExit sleepLoop(boolean untilEvent) {
        boolean checked = false; // whether the machine was found able to wake since the last wake-up
        while (true) {
            long deadline, streamDeadline = Long.MAX_VALUE, streamTicks;
            boolean warp, forGood = false;
            synchronized (sleepLock) {
                if (irqLevel || fiqLevel || cpu.interruptPending() || kickRequested || timerFiredUnwired()) return null;
                if (untilEvent && cpu.consumeEvent()) return null; // the event that ends a WFE is consumed
                streamTicks = untilEvent ? cpu.timer.ticksToNextEvent() : Long.MAX_VALUE;
                deadline = cpu.timer.nextDeadlineNanos();
                warp = deadline == Long.MAX_VALUE && countsInstructions()
                        && (cpu.timer.ticksToDeadline() != Long.MAX_VALUE || streamTicks != Long.MAX_VALUE);
                if (!warp) {
                    if (streamTicks != Long.MAX_VALUE)
                        streamDeadline = System.nanoTime() + streamTicks * (1_000_000_000L / GenericTimer.FREQUENCY);
                    long until = Math.min(deadline, streamDeadline);
                    try {
                        if (until == Long.MAX_VALUE && !checked) {
                            forGood = true; // asked below, without the sleep lock (the GIC's lock comes first)
                        } else if (until == Long.MAX_VALUE) {
                            sleepLock.wait();
                            checked = false;
                            continue;
                        } else {
                            long ns = until - System.nanoTime();
                            if (ns > 0) sleepLock.wait(ns / 1_000_000, (int) (ns % 1_000_000));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        kickRequested = true;
                        return null;
                    }
                }
            }
            if (forGood) {
                // Flagged first, then asked: of two vCPUs going to sleep at once, at least one sees the other's flag.
                asleepForGood = true;
                if (vm.nothingCanWake(this)) return NOTHING_CAN_WAKE;
                checked = true;
                continue;
            }
            asleepForGood = false;
            if (warp) { // outside the sleep lock: see above
                try {
                    if (awaitCount(streamTicks)) return null;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    kickRequested = true;
                    return null;
                }
                continue;
            }
            if (System.nanoTime() >= streamDeadline) return null;
            // An armed generic timer fires while the thread sleeps: its output reaches the guest through
            // the interrupt controller wired to it (which raises the IRQ line); without one, a due
            // deadline still ends the wait.
            if (deadline != Long.MAX_VALUE && System.nanoTime() >= deadline) {
                cpu.timer.poll();
                if (!timerWired) return null;
            }
        }
    }

    /**
     * Without an interrupt controller a timer's output reaches nothing, but a due deadline still ends the
     * wait, also one that fell due before the WFI (under the instruction clock, by another vCPU's instructions).
     */
    private boolean timerFiredUnwired() {
        return !timerWired && (cpu.timer.output(GenericTimer.PHYSICAL) || cpu.timer.output(GenericTimer.VIRTUAL)
                || cpu.timer.output(GenericTimer.HYPERVISOR));
    }

    private boolean countsInstructions() {
        return vm.clock() == GuestClock.INSTRUCTIONS;
    }

    /**
     * Waiting under the instruction clock, which moves only as vCPUs retire instructions: the count at which
     * this vCPU wakes (its timer's deadline, the event stream's next event) is published, and when every vCPU
     * waits the count skips to the earliest of theirs ({@link Vm#skipClockIfAllWait}); while another runs,
     * this one looks at the count again after a millisecond, or when woken. True when the wait ends there:
     * the stream's event (it ends a WFE), or a due timer with no interrupt controller to take its output;
     * a timer whose output reaches one raises the IRQ line, which the next look sees.
     */
    private boolean awaitCount(long streamTicks) throws InterruptedException {
        long now = vm.instructionCount();
        long streamAt = streamTicks == Long.MAX_VALUE ? -1L : now + streamTicks, timerAt = cpu.timer.deadline();
        wakeCount = Long.compareUnsigned(streamAt, timerAt) < 0 ? streamAt : timerAt;
        if (!vm.skipClockIfAllWait(this)) {
            synchronized (sleepLock) {
                if (!irqLevel && !fiqLevel && !kickRequested) sleepLock.wait(1);
            }
        }
        cpu.timer.poll();
        now = vm.instructionCount(); // no earlier than the count the poll saw: a timer it found due is due here
        return Long.compareUnsigned(now, streamAt) >= 0 || !timerWired && Long.compareUnsigned(now, timerAt) >= 0;
    }

    /** Where this vCPU, waiting under the instruction clock, wakes (see {@link #awaitCount}); -1 for never. */
    private volatile long wakeCount = -1L;

    long wakeCount() { return wakeCount; }

    /**
     * Whether this vCPU waits: powered off, or asleep in WFI, WFE or CPU_SUSPEND with nothing yet come to
     * wake it (one woken but not yet run by the host has work, as QEMU's icount sees a CPU with an interrupt
     * pending: the clock must not skip while its thread is late). Any thread.
     */
    boolean waits() {
        synchronized (lock) {
            if (power == OFF) return true;
        }
        return idle && !irqLevel && !fiqLevel && !kickRequested;
    }

    /** The stage-2 view this vCPU runs on (its faults fill it). */
    public GuestStage2 stage2View() { return view; }

    /** Runs this vCPU on stage-2 view {@code index} from its next instruction (vCPU thread, or while stopped). */
    public void setStage2View(int index) {
        GuestStage2 g = vm.stage2View(index);
        if (g == null) throw new IllegalArgumentException("no stage-2 view " + index);
        switchView(g);
    }

    void switchView(GuestStage2 g) {
        view = g;
        cpu.sr.vttbrEl2 = g.vttbr();
        cpu.tlbFlush(); // the fast TLB is not tagged by VMID
    }

    void requestStage2Flush() {
        stage2FlushRequested = true;
        cpu.kick();
    }

    /** Makes a running {@link #run()} return {@link VcpuExit.Interrupted} soon (or the next one at once); any thread. */
    public void kick() {
        kickRequested = true;
        cpu.kick();
        wake();
    }

    /**
     * Drives the guest's interrupt request input (the output of an interrupt controller): the guest sees
     * a virtual IRQ (HCR_EL2.VI) while the level is high (the physical IRQ when the guest owns EL2), and a
     * WFI wakes up. Any thread.
     */
    public void setIrqLine(boolean level) {
        irqLevel = level;
        if (!hostOwnsEl2) cpu.setIrqLine(level); // at once: an acknowledge must not see the old level at the next check
        cpu.kick();
        wakeFromWfi();
    }

    /** Drives the guest's FIQ input (HCR_EL2.VF) as {@link #setIrqLine} drives IRQ (a GICv3's Group 0). Any thread. */
    public void setFiqLine(boolean level) {
        fiqLevel = level;
        if (!hostOwnsEl2) cpu.setFiqLine(level);
        cpu.kick();
        wakeFromWfi();
    }

    /** Wakes the vCPU's thread wherever it waits (powered off, or in WFI). */
    void wake() {
        synchronized (lock) {
            lock.notifyAll();
        }
        wakeFromWfi();
    }

    private void wakeFromWfi() {
        synchronized (sleepLock) {
            sleepLock.notifyAll();
        }
    }

    Object powerLock() { return lock; }

    VcpuExit die(String reason) {
        dead = new VcpuExit.InternalError(reason, registerDump());
        return dead;
    }

    // ---- MMIO completion --------------------------------------------------------------------------

    /** Completes the read of the last {@link VcpuExit.Mmio} exit with {@code value} (the accessed bytes, zero-extended). */
    public void completeMmioRead(long value) { mmio.completeRead(value); }

    /** Refuses the access of the last {@link VcpuExit.Mmio} exit: the guest takes a synchronous external data abort. */
    public void completeMmioUnclaimed() { mmio.completeUnclaimed(); }

    // ---- registers --------------------------------------------------------------------------------

    public long x(int n) {
        if (n < 0 || n > 30) throw new IllegalArgumentException("X" + n);
        return cpu.x[n];
    }

    public void setX(int n, long value) {
        if (n < 0 || n > 30) throw new IllegalArgumentException("X" + n);
        cpu.x[n] = value;
    }

    public long pc() { return cpu.pc; }

    public void setPc(long pc) { cpu.pc = pc; }

    /** The stack pointer PSTATE selects. */
    public long sp() { return cpu.sp; }

    public void setSp(long sp) { cpu.sp = sp; }

    /** SP_EL0 / SP_EL1 whatever PSTATE selects. */
    public long spEl(int el) { return cpu.getSpEl(el); }

    public void setSpEl(int el, long value) { cpu.setSpEl(el, value); }

    /** PSTATE in the SPSR layout (NZCV, DAIF, EL and SP in M[3:0]). */
    public long pstate() { return deprivileged != null ? deprivileged.pstate() : cpu.pstateToSpsr(); }

    /**
     * Sets PSTATE from an SPSR-layout value, as an exception return to it would (EL0 or EL1, AArch64
     * only; an illegal value sets PSTATE.IL as the hardware does).
     */
    public void setPstate(long spsr) {
        if (deprivileged != null) {
            deprivileged.setPstate(spsr);
            return;
        }
        long pc = cpu.pc;
        cpu.setElAndSpSel(2, 1);
        cpu.sr.spsr[2] = spsr;
        cpu.sr.elr[2] = pc;
        cpu.exceptionReturn();
    }

    /** Bits [63:0] of V{@code n} (FPCR and FPSR are system registers: {@link #register}). */
    public long vLow(int n) { return cpu.vreg[2 * checkV(n)]; }

    /** Bits [127:64] of V{@code n}. */
    public long vHigh(int n) { return cpu.vreg[2 * checkV(n) + 1]; }

    public void setV(int n, long low, long high) {
        cpu.vreg[2 * checkV(n)] = low;
        cpu.vreg[2 * n + 1] = high;
    }

    private static int checkV(int n) {
        if (n < 0 || n > 31) throw new IllegalArgumentException("V" + n);
        return n;
    }

    /**
     * A register by its Arm ARM name, as KVM_GET_ONE_REG reads one (case ignored): X0-X30, SP (the one
     * PSTATE selects), PC, PSTATE ({@link #pstate()}), SP_EL0, SP_EL1, and every system register of the
     * processor (SCTLR_EL1, ELR_EL1, FPCR, FPSR, ELR_EL2...; {@code SysRegTable.names()}) as the current EL
     * sees it, without access checks or traps. Throws IllegalArgumentException for a name it does not know.
     */
    public long register(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        return switch (n) {
            case "PC" -> cpu.pc;
            case "SP" -> cpu.sp;
            case "PSTATE" -> pstate();
            case "SP_EL0" -> cpu.getSpEl(0);
            case "SP_EL1" -> cpu.getSpEl(1);
            default -> {
                int x = generalRegister(n);
                yield x >= 0 ? cpu.x[x] : SysRegTable.read(cpu, n);
            }
        };
    }

    /**
     * Writes the register {@link #register} names (KVM_SET_ONE_REG): a system register with its RES0/RES1
     * masking, and the translation regime the processor caches then taken from the registers again.
     */
    public void setRegister(String name, long value) {
        String n = name.toUpperCase(Locale.ROOT);
        switch (n) {
            case "PC" -> cpu.pc = value;
            case "SP" -> cpu.sp = value;
            case "PSTATE" -> setPstate(value);
            case "SP_EL0" -> cpu.setSpEl(0, value);
            case "SP_EL1" -> cpu.setSpEl(1, value);
            default -> {
                int x = generalRegister(n);
                if (x >= 0) {
                    cpu.x[x] = value;
                } else {
                    SysRegTable.write(cpu, n, value);
                    cpu.mmu.contextChanged();
                }
            }
        }
    }

    /** n for "Xn" (0-30), else -1. */
    private static int generalRegister(String name) {
        if (name.length() < 2 || name.length() > 3 || name.charAt(0) != 'X') return -1;
        for (int i = 1; i < name.length(); i++) if (name.charAt(i) < '0' || name.charAt(i) > '9') return -1;
        int n = Integer.parseInt(name, 1, name.length(), 10);
        return n <= 30 && (name.length() == 2 || name.charAt(1) != '0') ? n : -1;
    }

    /**
     * The system counter this vCPU's generic timer counts (CNTPCT_EL0; see {@link GuestClock}), from any
     * thread: a device model's clock (an RTC) that must follow the guest's time.
     */
    public long counter() { return cpu.timer.physicalCount(); }

    // ---- debugging (KVM_SET_GUEST_DEBUG, KVM_TRANSLATE) -----------------------------------------------

    private GuestDebug guestDebug = GuestDebug.NONE;

    /**
     * KVM_SET_GUEST_DEBUG with KVM_GUESTDBG_ENABLE: from the next run, halts with {@link VcpuExit.Debug}
     * before an instruction at a breakpoint, before a watched access (the instruction is retried on
     * resume), or after one step. The instruction a halt stopped at runs through its own breakpoint or
     * watchpoint on resume (so that a debugger gets past it), also when other settings change meanwhile.
     * While nothing is set the processor runs its fast loop untouched; with anything set, one instruction at
     * a time with the checks. Call it while the vCPU is not running (the VMM paused it), from any thread.
     */
    public void setGuestDebug(GuestDebug d) {
        HostDebug h = cpu.hostDebug;
        GuestDebug old = guestDebug;
        for (long b : old.breakpoints()) if (!d.breakpoints().contains(b)) h.removeBreakpoint(b);
        for (long b : d.breakpoints()) h.addBreakpoint(b);
        for (GuestDebug.Watchpoint w : old.watchpoints())
            if (!d.watchpoints().contains(w)) h.removeWatchpoint(w.address(), w.length(), watchKind(w.access()));
        for (GuestDebug.Watchpoint w : d.watchpoints()) h.addWatchpoint(w.address(), w.length(), watchKind(w.access()));
        h.setStep(d.singleStep());
        guestDebug = d;
    }

    /** KVM_SET_GUEST_DEBUG without KVM_GUESTDBG_ENABLE: the debugger detaches; nothing is left set. */
    public void clearGuestDebug() {
        cpu.hostDebug.clear();
        guestDebug = GuestDebug.NONE;
    }

    /** Why the last {@link VcpuExit.Debug} halted (KVM's {@code kvm_run.debug}). */
    public GuestDebug.Stop debugStop() {
        HostDebug.Stop s = cpu.hostDebug.stop();
        GuestDebug.Reason r = switch (s.kind()) {
            case NONE -> GuestDebug.Reason.NONE;
            case BREAKPOINT -> GuestDebug.Reason.BREAKPOINT;
            case STEP -> GuestDebug.Reason.STEP;
            case WATCH_WRITE -> GuestDebug.Reason.WATCH_WRITE;
            case WATCH_READ -> GuestDebug.Reason.WATCH_READ;
            case WATCH_ACCESS -> GuestDebug.Reason.WATCH_ACCESS;
        };
        return new GuestDebug.Stop(r, s.address());
    }

    private static int watchKind(GuestDebug.Access a) {
        return switch (a) {
            case WRITE -> HostDebug.WATCH_WRITE;
            case READ -> HostDebug.WATCH_READ;
            case ACCESS -> HostDebug.WATCH_ACCESS;
        };
    }

    /**
     * KVM_TRANSLATE: the IPA that the guest virtual address {@code va} translates to through the guest's
     * EL1&amp;0 stage 1 as its tables say now, the descriptors read from guest RAM at their IPAs (whether
     * stage 2 maps those pages yet or not); empty when it does not translate. Nothing changes: no TLB is
     * filled, no fault taken; permissions and the Access flag are not checked. While not running.
     */
    public OptionalLong translate(long va) {
        long ipa = cpu.mmu.debugTranslate(va, 1, vm::readGuest64);
        return ipa == Mmu.FAULT ? OptionalLong.empty() : OptionalLong.of(ipa);
    }

    /** A readable dump of the guest's registers (for errors). */
    public String registerDump() {
        StringBuilder b = new StringBuilder();
        if (hostOwnsEl2 && cpu.currentEl() == 2) // stopped on entry to the hypervisor: the guest's PC and PSTATE are in ELR/SPSR_EL2
            b.append(String.format("vCPU %d  PC %016x  PSTATE %08x  EL%d  (trapped to EL2)%n", id, cpu.sr.elr[2], cpu.sr.spsr[2], (cpu.sr.spsr[2] >>> 2) & 3));
        else
            b.append(String.format("vCPU %d  PC %016x  PSTATE %08x  EL%d  SP %016x%n", id, cpu.pc, cpu.pstateToSpsr(), cpu.currentEl(), cpu.sp));
        for (int i = 0; i < 31; i++) {
            b.append(String.format("X%-2d %016x", i, cpu.x[i]));
            b.append(i % 4 == 3 || i == 30 ? "\n" : "  ");
        }
        b.append(String.format("ESR_EL2 %016x  FAR_EL2 %016x  HPFAR_EL2 %016x  ELR_EL2 %016x  SPSR_EL2 %08x%n",
                cpu.sr.esr[2], cpu.sr.far[2], cpu.sr.hpfarEl2, cpu.sr.elr[2], cpu.sr.spsr[2]));
        b.append(String.format("ESR_EL1 %016x  FAR_EL1 %016x  ELR_EL1 %016x  VBAR_EL1 %016x  SCTLR_EL1 %08x",
                cpu.sr.esr[1], cpu.sr.far[1], cpu.sr.elr[1], cpu.sr.vbar[1], cpu.sr.sctlr[1]));
        return b.toString();
    }
}
