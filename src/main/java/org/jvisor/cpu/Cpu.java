package org.jvisor.cpu;

import java.lang.foreign.MemorySegment;
import java.util.function.LongPredicate;

/**
 * One A64 processing element: its registers, its run loop, its memory accesses through the MMU and the
 * exceptions it takes. It knows nothing of virtual machines: with {@link #hostOwnsEl2} set, an exception
 * that targets EL2 fills in the EL2 syndrome registers and ends {@link #run} with
 * {@link ExitReason#EL2_TRAP}, as the hardware enters the hypervisor; the caller resumes the guest with
 * {@link #exceptionReturn()}.
 *
 * <p>Instruction handlers live in one class per instruction group ({@link Executor} dispatches); they
 * read the fields here directly. All guest-visible errors are architectural exceptions raised through
 * {@link #takeException} and unwound with the shared {@link ExceptionTaken}.
 */
public final class Cpu {
    // ---- general-purpose state ---------------------------------------------------------------------
    /** X0-X30; x[31] is the zero register and is never written (see {@link #setX}). */
    public final long[] x = new long[32];
    /**
     * V0-V31, 128 bits each, little-endian lanes: V[n] bits [63:0] are {@code vreg[2n]}, bits [127:64]
     * {@code vreg[2n+1]}. A write to a scalar (B/H/S/D) or 64-bit vector register zeroes the bits above it.
     */
    public final long[] vreg = new long[64];
    /** FPCR (AHP 26, DN 25, FZ 24, RMode 23:22, FZ16 19) and FPSR (QC 27, IDC 7, IXC 4, UFC 3, OFC 2, DZC 1, IOC 0). */
    public int fpcr, fpsr;
    /** The stack pointer currently selected by PSTATE.EL and PSTATE.SP; banked copies in {@link #spEl}. */
    public long sp;
    final long[] spEl = new long[4];
    private int spIdx;
    /** Address of the next instruction; handlers that branch overwrite it. */
    public long pc;
    /** Address of the instruction being executed (the preferred return address of most exceptions). */
    public long insnPc;

    // PSTATE
    public boolean n, z, c, v;
    /** PSTATE.{D,A,I,F} in their SPSR positions (bits 9..6). */
    public int daif;
    int el, spsel;
    public boolean ss, il, pan;

    public static final int DAIF_D = 1 << 9, DAIF_A = 1 << 8, DAIF_I = 1 << 7, DAIF_F = 1 << 6;

    public final SystemRegisters sr = new SystemRegisters();
    public final DebugRegisters dbg = new DebugRegisters();
    /** The host's debugger (GDB stub): breakpoints, watchpoints and step the guest does not see. */
    public final HostDebug hostDebug = new HostDebug(this);
    public final PhysicalBus bus;
    final SoftTlb tlb = new SoftTlb();
    public final Mmu mmu;
    public final Features features;
    /** The generic timer (CNT* registers) and the performance monitors (PM* registers) of this processor. */
    public final GenericTimer timer = new GenericTimer(this);
    public final Pmu pmu = new Pmu(this);
    /** The GICv3 CPU interface the ICC_* registers reach; null (UNDEFINED) unless an interrupt controller attaches one. */
    private GicCpuInterface gicCpuInterface;
    /** The virtual CPU interface: a GICv3's (ICH_* and ICV_*) while a GIC CPU interface is attached, or a GICv2's. */
    private GicVirtualInterface gicVirtualInterface;
    /**
     * The virtual IRQ/FIQ the virtual CPU interface signals, as HCR_EL2.VI/VF bits: ORed with HCR_EL2 where
     * virtual interrupts are checked. Kept current by {@link GicVirtualInterface}, so the run loop reads one field.
     */
    int virtualLines;
    /** The event register of WFE: set by SEV (from any processor's thread), SEVL and exception returns. */
    volatile boolean eventRegister;
    /** Told when another processor's SEV sets {@link #eventRegister} (any thread): a host waking this one from WFE. */
    volatile Runnable eventListener = () -> { };

    public void setEventListener(Runnable listener) { eventListener = java.util.Objects.requireNonNull(listener); }

    /** Whether the event register is set (a WFE would complete at once). */
    public boolean eventRegistered() { return eventRegister; }

    /** Clears the event register if it is set, and says whether it was (a WFE completing on an event). */
    public boolean consumeEvent() {
        if (!eventRegister) return false;
        eventRegister = false;
        return true;
    }

    /** When set, exceptions to EL2 end the run loop instead of vectoring through VBAR_EL2. */
    public boolean hostOwnsEl2 = true;
    /**
     * When set, exceptions to EL1 also end the run loop ({@link ExitReason#EL1_TRAP}) once ESR/FAR/ELR/SPSR_EL1
     * hold what the hardware would write: a hypervisor that runs its guest's kernel deprivileged at EL0 owns
     * EL1 too (classic trap-and-emulate), so no code ever runs at EL1. Checked only when an exception is taken.
     */
    public boolean hostOwnsEl1;
    /**
     * When set, the unprivileged loads and stores (LDTR/STTR and their sizes) are UNDEFINED: a kernel run
     * at EL0 would otherwise execute them as plain EL0 accesses, a critical instruction (sensitive, not
     * privileged). An emulator decodes every instruction anyway, so making one trap costs nothing: this is
     * Popek and Goldberg's "translate the critical instruction at run time". Checked in their handler only.
     */
    public boolean trapUnprivilegedAccess;
    /**
     * The firmware standing in for EL3, which this processor lacks: given X0 of an SMC that EL2 does not
     * trap (HCR_EL2.TSC), whether it serves the call ({@link ExitReason#FIRMWARE_CALL}); an SMC it does not
     * serve is UNDEFINED. Null: no firmware, every such SMC is UNDEFINED. QEMU's PSCI-over-SMC conduit.
     */
    public LongPredicate firmware;
    /**
     * Told of exceptions taken to EL2 from EL0/EL1 and of returns from EL2 to them, when the guest owns EL2
     * ({@link #hostOwnsEl2} false): trap accounting of the guest's own hypervisor. Null: nobody watches.
     */
    public El2Observer el2Observer;
    /** Watches the exceptions the guest takes for a loop that makes no progress ({@link ExitReason#EXCEPTION_LOOP}). */
    private final ExceptionLoopWatch loopWatch = new ExceptionLoopWatch();
    /** The access a stage-2 data abort describes in its syndrome (one per processor: aborts allocate nothing). */
    private final LoadStoreAccess abortAccess = new LoadStoreAccess();

    /** Whether hot guest code runs translated to JVM bytecode (see {@link Translator}); set before {@link #run}. */
    private Translation translation = Translation.processDefault();

    public Translation translation() { return translation; }

    public void setTranslation(Translation t) { translation = java.util.Objects.requireNonNull(t); }

    /** Instructions retired since reset. */
    public long instret;
    /** Current MMU index for data accesses (see {@link SoftTlb}). */
    int mmuIdx = SoftTlb.IDX_EL1;


    /** The local exclusive monitor (LDXR/STXR): set by a load-exclusive, cleared by CLREX, ERET and exceptions. */
    public boolean exclusiveValid;
    public long exclusiveAddress;
    public int exclusiveSize;
    /**
     * The data the load-exclusive read (both halves of a 16-byte pair): a store-exclusive also requires
     * memory to still hold it, as QEMU does, so that a store to the marked block in between (by this PE or
     * another) makes it fail.
     */
    public long exclusiveValue, exclusiveValueHigh;

    public void clearExclusiveMonitor() { exclusiveValid = false; }

    // run-loop state
    private long curPageVa = -1;
    private long[] curSlots;
    /** The code page {@link #curSlots} belongs to. */
    private CodePage curCode;
    /** Exceptions taken by handlers that translated code called, since the run loop last counted them. */
    int translatedExceptions;
    /** Instructions retired inside translated code by this processor. */
    private long translatedInstructions;
    /**
     * Asks the run loop and translated code to stop at the next instruction boundary they check. Volatile so
     * that translated code reads it with a plain getfield on its loops' back edges (a call to an accessor
     * there is not inlined once a translated method is big); the interpreter reads it opaquely.
     */
    volatile boolean breakLoop;
    private static final java.lang.invoke.VarHandle BREAK_LOOP;

    static {
        try {
            BREAK_LOOP = java.lang.invoke.MethodHandles.lookup().findVarHandle(Cpu.class, "breakLoop", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private ExitReason exit;
    private volatile boolean stopRequested;
    /**
     * Inside {@link #run}. A processor outside it executes nothing, and applies the TLB invalidations other
     * processors broadcast before it executes again: a broadcaster need not wait for it (see
     * {@link Mmu#completeBroadcasts}).
     */
    private volatile boolean running;
    /** The {@link PhysicalBus#codeEpoch()} when {@link #curSlots} was last known current. */
    private long codeEpochSeen;
    /** Interrupt request lines driven by the interrupt controller (may be set from other threads). */
    private volatile boolean irqLine, fiqLine, serrorLine;
    /**
     * A debug feature (software step, breakpoints, watchpoints) is armed or PSTATE.IL is set: run one
     * instruction at a time with the checks of {@link #stepWithDebug} and watch data accesses. Recomputed
     * by {@link Debug#update}, exception entry and exception return; false in normal running.
     */
    boolean debugActive;

    public Cpu(PhysicalBus bus) {
        this(bus, Features.cortexA57());
    }

    public Cpu(PhysicalBus bus, Features features) {
        this.bus = bus;
        this.features = features;
        this.mmu = new Mmu(this);
        bus.attach(this);
        reset();
    }

    /**
     * Connects the GICv3 CPU interface that the ICC_*_EL1 system registers reach (null: none, the ICC
     * registers are UNDEFINED). A reset of the processor keeps it: its state is the interrupt controller's.
     * The virtual CPU interface ({@link #gicVirtualInterface}) comes with it, new; its state is the
     * processor's and a reset resets it.
     */
    public void attachGicCpuInterface(GicCpuInterface gic) {
        gicCpuInterface = gic;
        gicVirtualInterface = gic == null ? null : new GicVirtualInterface(this, false, gic::deactivate);
        if (gic == null) virtualLines = 0;
    }

    /**
     * Gives this processor the virtual CPU interface of a memory-mapped GICv2 with the virtualization
     * extensions, new (the ICC and ICH system registers stay UNDEFINED): the interrupt controller's GICH and
     * GICV frames reach it through {@link #gicVirtualInterface()}, and a hardware-linked list register's
     * deactivation calls {@code deactivatePhysical} with its physical INTID, on this processor's thread.
     */
    public GicVirtualInterface attachGicV2VirtualInterface(java.util.function.IntConsumer deactivatePhysical) {
        if (gicCpuInterface != null) throw new IllegalStateException("a GICv3 CPU interface is attached");
        gicVirtualInterface = new GicVirtualInterface(this, true, deactivatePhysical);
        return gicVirtualInterface;
    }

    public GicCpuInterface gicCpuInterface() { return gicCpuInterface; }

    /**
     * The virtual CPU interface: the GICv3 one (ICH_*_EL2, ICV_*_EL1) that comes with an attached GIC CPU
     * interface, or a GICv2's ({@link #attachGicV2VirtualInterface}), or null.
     */
    public GicVirtualInterface gicVirtualInterface() { return gicVirtualInterface; }

    /** Cold reset into EL1h with the MMU off and interrupts masked, as QEMU's virt board starts a core. */
    public void reset() {
        java.util.Arrays.fill(x, 0);
        java.util.Arrays.fill(vreg, 0);
        fpcr = fpsr = 0;
        java.util.Arrays.fill(spEl, 0);
        sp = 0;
        n = z = c = v = false;
        daif = DAIF_D | DAIF_A | DAIF_I | DAIF_F;
        ss = il = pan = false;
        sr.reset();
        el = 1;
        spsel = 1;
        spIdx = 1;
        pc = 0;
        mmu.reset();
        loopWatch.reset();
        eventRegister = false;
        tlbFlush();
        SysRegTable.reset(this);
        if (gicVirtualInterface != null) gicVirtualInterface.reset();
        dbg.oslsr |= Debug.OSLSR_OSLK; // a cold reset locks the OS lock
        Debug.update(this);
    }

    /**
     * Writes this processor's architectural state for a snapshot (see {@link CpuState} for what is and is
     * not in it). Call it while the processor is not running, between two {@link #run} calls.
     */
    public void saveState(StateWriter w) { CpuState.save(this, w); }

    /**
     * Reads back what {@link #saveState} wrote, into a processor built as the saved one was (same features,
     * same GIC CPU interface, same counter source) and never run: a bad value gives a
     * {@link StateException}, after which this processor must be thrown away. Caches (TLBs, decoded and
     * translated code) start empty and derived state is recomputed, as after a context switch.
     */
    public void restoreState(StateReader r) { CpuState.restore(this, r); }

    /** Forgets what the last run left for the next one: a restored processor starts with none of it. */
    void restoredRunState() {
        exit = null;
        translatedExceptions = 0;
        loopWatch.reset();
    }

    // ---- registers ---------------------------------------------------------------------------------

    public int currentEl() { return el; }

    public int spSel() { return spsel; }

    /** Writes Xd, discarding writes to XZR. */
    public void setX(int d, long value) {
        if (d != 31) x[d] = value;
    }

    /** Reads Xn or SP when n is 31 (for the encodings where register 31 means SP). */
    public long xOrSp(int n) { return n == 31 ? sp : x[n]; }

    /** The base register of a load or store: Xn, or SP after the SP alignment check when n is 31. */
    public long baseRegister(int n) { return LoadStore.baseRegister(this, n); }

    public void setXOrSp(int d, long value) {
        if (d == 31) sp = value;
        else x[d] = value;
    }

    public long getSpEl(int level) { return level == spIdx ? sp : spEl[level]; }

    public void setSpEl(int level, long value) {
        if (level == spIdx) sp = value;
        else spEl[level] = value;
    }

    /** Changes PSTATE.EL and PSTATE.SP together, switching the banked stack pointer. */
    public void setElAndSpSel(int newEl, int newSpSel) {
        spEl[spIdx] = sp;
        el = newEl;
        spsel = newSpSel;
        spIdx = newSpSel == 0 ? 0 : newEl;
        sp = spEl[spIdx];
        updateMmuIdx();
    }

    public int nzcv() {
        return (n ? 8 : 0) | (z ? 4 : 0) | (c ? 2 : 0) | (v ? 1 : 0);
    }

    public void setNzcv(int f) {
        n = (f & 8) != 0;
        z = (f & 4) != 0;
        c = (f & 2) != 0;
        v = (f & 1) != 0;
    }

    /** PSTATE as saved in SPSR_ELx on exception entry. */
    public long pstateToSpsr() {
        long s = (long) nzcv() << 28;
        if (pan) s |= 1L << 22;
        if (ss) s |= 1L << 21;
        if (il) s |= 1L << 20;
        s |= daif;
        s |= (el << 2) | spsel;
        return s;
    }

    /** ConditionHolds(cond) of the pseudocode. */
    public boolean conditionHolds(int cond) {
        boolean r = switch (cond >>> 1) {
            case 0 -> z;
            case 1 -> c;
            case 2 -> n;
            case 3 -> v;
            case 4 -> c && !z;
            case 5 -> n == v;
            case 6 -> n == v && !z;
            default -> true;
        };
        return ((cond & 1) != 0 && cond != 15) ? !r : r;
    }

    void updateMmuIdx() {
        int idx = switch (el) {
            case 0 -> SoftTlb.IDX_EL0;
            case 1 -> pan ? SoftTlb.IDX_EL1_PAN : SoftTlb.IDX_EL1;
            default -> SoftTlb.IDX_EL2;
        };
        mmuIdx = idx;
    }

    // ---- run loop ----------------------------------------------------------------------------------

    /**
     * Asks a running {@link #run} to return {@link ExitReason#STOPPED} after the current instruction;
     * safe from any thread (an interrupt controller raising this processor's line, a VMM stopping it).
     */
    public void kick() {
        stopRequested = true;
        breakLoop = true;
    }

    public void setIrqLine(boolean level) { irqLine = level; }

    public void setFiqLine(boolean level) { fiqLine = level; }

    public void setSErrorLine(boolean level) { serrorLine = level; }

    boolean irqLine() { return irqLine; }

    boolean fiqLine() { return fiqLine; }

    boolean serrorLine() { return serrorLine; }

    /**
     * Runs until an exit: an exception to a host-owned EL2, WFI with nothing to do, a kick, an exception
     * loop ({@link ExitReason#EXCEPTION_LOOP}), or at most {@code maxInstructions} steps, a step being a
     * retired instruction or a taken exception (so that a guest stuck in a loop of faults returns
     * {@link ExitReason#BUDGET} before the loop is recognised if the budget is smaller).
     */
    public ExitReason run(long maxInstructions) {
        running = true;
        try {
            return runLoop(maxInstructions);
        } finally {
            running = false;
        }
    }

    boolean isRunning() { return running; }

    private ExitReason runLoop(long maxInstructions) {
        final long start = instret;
        long taken = 0;
        // A loop completed by an exception the host injected (outside run) ends this run before it
        // executes anything; any other exit asked for outside run is stale.
        ExitReason pending = exit;
        exit = null;
        if (pending == ExitReason.EXCEPTION_LOOP) return pending;
        while (true) {
            if (stopRequested) {
                stopRequested = false;
                return ExitReason.STOPPED;
            }
            long done = instret - start + taken;
            if (done >= maxInstructions) return ExitReason.BUDGET;
            // Between chunks: what other processors did to the TLBs and to decoded code takes effect here.
            if (mmu.remotePending) mmu.applyRemoteInvalidations();
            syncCode();
            try {
                if (timer.armed) {
                    timer.poll();
                    // a timer output that just rose may have kicked this processor (its interrupt
                    // controller raising the line): return to the VMM now, not after another chunk
                    if (stopRequested) continue;
                }
                if (pmu.active) pmu.accrue();
                if (debugActive) {
                    if (!hostDebug.stepping()) checkPendingInterrupts();
                    stepWithDebug();
                } else {
                    checkPendingInterrupts();
                    runChunk(instret + Math.min(maxInstructions - done, 4096));
                }
            } catch (ExceptionTaken e) {
                // the exception is already taken; the loop continues at its vector
                taken++;
            }
            taken += translatedExceptions; // taken in translated code, which returned instead of unwinding
            translatedExceptions = 0;
            if (exit != null) {
                ExitReason r = exit;
                exit = null;
                return r;
            }
        }
    }

    private void runChunk(long chunkEnd) {
        breakLoop = false;
        boolean translating = translation != Translation.OFF;
        if (translating && runTranslated(chunkEnd, translation == Translation.FORCE)) return;
        while (instret < chunkEnd) {
            long p = pc;
            if ((p & ~0xffcL) != curPageVa) fetchPage(p);
            int i = (int) (p >>> 2) & 1023;
            long slot = curSlots[i];
            if (slot == 0) slot = decodeSlot(i, p);
            insnPc = p;
            pc = p + 4;
            int op = CodePage.op(slot), insn = (int) (slot >>> 32), local = op & 0xfff;
            if (TranslationProfile.ON) TranslationProfile.interpreted(this, curCode, i, op, insn);
            // The integer groups are dispatched here, not through Executor: once the JIT has compiled
            // Executor.execute on its own it no longer inlines it into this loop, and the extra call
            // level cost 6-13% (bench: 174 -> 185 MIPS integer, 137 -> 155 load/store).
            switch (op >>> 12) {
                case Executor.G_DP_REG -> DataProcessingRegister.execute(this, local, insn);
                case Executor.G_DP_IMM -> DataProcessingImmediate.execute(this, local, insn);
                case Executor.G_LOADSTORE -> LoadStore.execute(this, local, insn);
                case Executor.G_BRANCH -> Branches.execute(this, local, insn);
                default -> Executor.execute(this, op, insn);
            }
            instret++;
            // Opaque: the JIT may not keep the flag in a register, so a kick from another processor (a
            // broadcast TLB invalidation waiting in its DSB) ends the chunk at once.
            if ((boolean) BREAK_LOOP.getOpaque(this)) break;
            // A branch target is where translated code may start (and where the interpreter counts heat).
            if ((op >>> 12) == Executor.G_BRANCH && translating && instret < chunkEnd && runTranslated(chunkEnd, true)) break;
        }
    }

    /**
     * Runs translated code from {@link #pc} for as long as there is some (translating an entry that got hot
     * when {@code countHeat}); returns true when the chunk must end. Called only where the interpreter would
     * fetch its next instruction anyway, so a fetch fault here is the one it would take.
     */
    private boolean runTranslated(long chunkEnd, boolean countHeat) {
        while (true) {
            long p = pc;
            if ((p & ~0xffcL) != curPageVa) fetchPage(p);
            int i = (int) (p >>> 2) & 1023;
            CodePage page = curCode;
            TranslatedPage t = page.translated;
            int block = t == null ? -1 : t.blockAt(i);
            if (block < 0) {
                if (!countHeat || (t = hot(page, i, p)) == null || (block = t.blockAt(i)) < 0) return false;
            }
            long before = instret;
            try {
                t.codes[block >>> 16].run(this, block & 0xffff, p & ~0xfffL, chunkEnd);
            } finally { // a fault unwinds translated code after the instructions before it retired
                translatedInstructions += instret - before;
            }
            long done = instret - before;
            if (TranslationProfile.ON) TranslationProfile.entry(this, done);
            if ((boolean) BREAK_LOOP.getOpaque(this) || instret >= chunkEnd) return true;
            // The block did not fit in what is left of the chunk: the interpreter finishes the chunk.
            if (done == 0 && pc == p) return false;
        }
    }

    /** Counts a branch to instruction {@code i} of the current page; translates the page when the entry is hot. */
    private TranslatedPage hot(CodePage page, int i, long p) {
        if (page.inPlace) return null;
        long slot = curSlots[i];
        if (slot == 0) slot = decodeSlot(i, p);
        int heat = CodePage.heat(slot);
        if (heat == Translator.NEVER) return null;
        int threshold = translation == Translation.FORCE ? 1 : Translator.HOT;
        if (heat + 1 < threshold) {
            curSlots[i] = slot + 0x10000;
            return null;
        }
        TranslatedPage t = Translator.translate(bus, page, i, translation == Translation.FORCE);
        if (t == null || t.blockAt(i) < 0) curSlots[i] = (slot & ~0xffff0000L) | ((long) Translator.NEVER << 16);
        return t;
    }

    /** Instructions retired inside translated code by this processor (the rest were interpreted). */
    public long translatedInstructions() { return translatedInstructions; }

    /** Whether translated code must return to the run loop: the chunk is to end, or the code page or TLB changed. */
    boolean mustLeaveTranslated() { return (boolean) BREAK_LOOP.getOpaque(this) || curPageVa == -1; }

    boolean breakRequested() { return (boolean) BREAK_LOOP.getOpaque(this); }

    /**
     * Executes one instruction with the checks the fast loop leaves out, in the architecture's priority
     * order: software step, PC alignment, instruction abort, breakpoint, Illegal Execution state; then
     * advances the software step state machine. Used while {@link #debugActive} is set.
     */
    private void stepWithDebug() {
        breakLoop = false;
        long p = pc;
        boolean host = hostDebug.armed;
        if (host) {
            // The host's halt comes before anything the guest would see of this instruction: it is
            // external debug, whose halting has priority over the guest's own debug exceptions.
            if ((p & ~0xffcL) != curPageVa) fetchPage(p);
            if (hostDebug.haltBefore(p)) return;
        }
        Debug.beforeStep(this);
        if ((p & ~0xffcL) != curPageVa) fetchPage(p);
        int i = (int) (p >>> 2) & 1023;
        long slot = curSlots[i];
        if (slot == 0) slot = decodeSlot(i, p);
        insnPc = p;
        pc = p + 4;
        Debug.checkBreakpoints(this, p);
        if (il) throw syncException(syncTargetEl(), Esr.EC_ILL, 0);
        int insn = (int) (slot >>> 32);
        Executor.execute(this, CodePage.op(slot), insn);
        instret++;
        if (host) hostDebug.executed();
        Debug.afterStep(this, insn);
    }

    /**
     * The word of the instruction being executed (its decoded page is still the current one). Right after
     * an {@link ExitReason#EL2_TRAP} for a data abort it is the faulting load or store, which a hypervisor
     * decodes ({@link LoadStoreAccess#decode}) when the syndrome is not valid (ISV=0).
     */
    public int currentInstruction() {
        if (curSlots == null) return 0;
        int i = (int) (insnPc >>> 2) & 1023;
        long slot = curSlots[i];
        // translated code runs instructions without decoding them into slots
        return slot != 0 ? CodePage.insn(slot) : curCode.word(i);
    }

    /** Makes the page holding {@code p} the current instruction page (or takes the fetch exception). */
    private void fetchPage(long p) {
        // Requests from other processors first: one may have just decoded this page and asked us to
        // stop writing it through the soft TLB, which we must honour before we run code from it.
        if (mmu.remotePending) mmu.applyRemoteInvalidations();
        curPageVa = -1;
        if ((p & 3) != 0) throw pcAlignmentFault(p);
        long pa = translateFetch(p);
        PhysicalBus.RamRegion r = bus.ramAt(pa);
        if (r == null) throw instructionAbort(p, Esr.FSC_SYNC_EXTERNAL, false, false, 0);
        curCode = bus.codePage(r, pa - r.base, this);
        curSlots = curCode.slots;
        curPageVa = p & ~0xfffL;
    }

    private long translateFetch(long va) {
        int i = SoftTlb.index(mmuIdx, va);
        if (tlb.execTag[i] == (va & ~0xfffL)) return tlb.paPage[i] | (va & 0xfff);
        long pa = mmu.translate(va, Mmu.ACC_EXEC, mmuIdx);
        if (pa == Mmu.FAULT) throw instructionAbort(va, mmu.faultStatus, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa);
        // The fill also opens the data fast path to the page, which would bypass watchpoints.
        if (!debugActive) fillTlb(va, pa);
        return pa;
    }

    private long decodeSlot(int i, long p) {
        long pa = translateFetch(p);
        PhysicalBus.RamRegion r = bus.ramAt(pa);
        int insn = r.segment.get(PhysicalBus.W, pa - r.base);
        int op = Decoder.decode(insn);
        long slot = ((long) insn << 32) | (op & 0xffffffffL);
        curSlots[i] = slot;
        if (curCode.probing) curCode.probing = false; // the page still runs: see PhysicalBus.codeStored
        // An IC IVAU on another processor may have cleared this slot between the read and the write: the word
        // is read again after a fence (its clear is fenced after the stores), and the slot cleared if it moved.
        java.lang.invoke.VarHandle.fullFence();
        if (r.segment.get(PhysicalBus.W, pa - r.base) != insn) curSlots[i] = 0;
        return slot;
    }

    /** Refetches the current instruction page before the next instruction if decoded code was dropped since. */
    void syncCode() {
        long e = bus.codeEpoch();
        if (e != codeEpochSeen) {
            codeEpochSeen = e;
            curPageVa = -1;
        }
    }

    /** Flushes the fast TLB (any change of translation context, every TLBI). */
    public void tlbFlush() {
        tlb.flushAll();
        curPageVa = -1;
    }

    /** Ends the current chunk after this instruction, e.g. after unmasking interrupts. */
    public void endChunk() { breakLoop = true; }

    /**
     * From another processor's thread: end the current chunk soon, so that this processor applies what
     * was posted to it between chunks. A plain write to a field this thread also writes: if this thread
     * misses it, or clears it when starting a chunk, the chunk simply runs to its normal end.
     */
    void endChunkSoon() { breakLoop = true; }

    // ---- memory ------------------------------------------------------------------------------------

    public static final int ACC_READ = Mmu.ACC_READ, ACC_WRITE = Mmu.ACC_WRITE;

    public long read8(long va) { return read(va, 1, 0); }

    public long read16(long va) { return read(va, 2, 0); }

    public long read32(long va) { return read(va, 4, 0); }

    public long read64(long va) {
        int i = SoftTlb.index(mmuIdx, va);
        if (tlb.readTag[i] == (va & ~0xff8L)) return SoftTlb.HOST.get(PhysicalBus.D, va + tlb.addend[i]);
        return readSlow(va, 8, 0);
    }

    /** The second word of the last {@link #read64Pair}. */
    public long pairSecond;

    /**
     * Reads the 64-bit words at {@code va} and {@code va + 8} (LDP): one soft-TLB lookup when both lie in
     * one page; returns the first and leaves the second in {@link #pairSecond}.
     */
    public long read64Pair(long va) {
        int i = SoftTlb.index(mmuIdx, va);
        if (tlb.readTag[i] == (va & ~0xff8L) && (va & 0xfff) <= 0xff0) {
            long off = va + tlb.addend[i];
            pairSecond = SoftTlb.HOST.get(PhysicalBus.D, off + 8);
            return SoftTlb.HOST.get(PhysicalBus.D, off);
        }
        long first = readSlow(va, 8, 0);
        pairSecond = read64(va + 8);
        return first;
    }

    /** Writes two 64-bit words at {@code va} (STP), with one soft-TLB lookup when both lie in one page. */
    public void write64Pair(long va, long first, long second) {
        int i = SoftTlb.index(mmuIdx, va);
        if (tlb.writeTag[i] == (va & ~0xff8L) && (va & 0xfff) <= 0xff0) {
            long off = va + tlb.addend[i];
            SoftTlb.HOST.set(PhysicalBus.D, off, first);
            SoftTlb.HOST.set(PhysicalBus.D, off + 8, second);
            return;
        }
        write64(va, first);
        write64(va + 8, second);
    }

    public void write8(long va, long v) { write(va, 1, v, 0); }

    public void write16(long va, long v) { write(va, 2, v, 0); }

    public void write32(long va, long v) { write(va, 4, v, 0); }

    public void write64(long va, long v) {
        int i = SoftTlb.index(mmuIdx, va);
        if (tlb.writeTag[i] == (va & ~0xff8L)) {
            SoftTlb.HOST.set(PhysicalBus.D, va + tlb.addend[i], v);
            return;
        }
        writeSlow(va, 8, v, 0);
    }

    /**
     * Reads {@code size} (1, 2, 4, 8) bytes, zero-extended. {@code flags}: {@link Mmu#ACC_UNPRIV} for
     * LDTR, {@link Mmu#ACC_ALIGNED} when the access must be aligned (exclusives, acquire/release, atomics).
     */
    public long read(long va, int size, int flags) {
        // ACC_ALIGNED may take the fast path: a misaligned address never matches a tag (low bits kept).
        if ((flags & ~Mmu.ACC_ALIGNED) == 0) {
            int i = SoftTlb.index(mmuIdx, va);
            if (tlb.readTag[i] == (va & (~0xfffL | (size - 1)))) {
                MemorySegment s = SoftTlb.HOST;
                long off = va + tlb.addend[i];
                return switch (size) {
                    case 1 -> s.get(PhysicalBus.B, off) & 0xffL;
                    case 2 -> s.get(PhysicalBus.H, off) & 0xffffL;
                    case 4 -> s.get(PhysicalBus.W, off) & 0xffffffffL;
                    default -> s.get(PhysicalBus.D, off);
                };
            }
        }
        return readSlow(va, size, flags);
    }

    public void write(long va, int size, long value, int flags) {
        if ((flags & ~Mmu.ACC_ALIGNED) == 0) {
            int i = SoftTlb.index(mmuIdx, va);
            if (tlb.writeTag[i] == (va & (~0xfffL | (size - 1)))) {
                MemorySegment s = SoftTlb.HOST;
                long off = va + tlb.addend[i];
                switch (size) {
                    case 1 -> s.set(PhysicalBus.B, off, (byte) value);
                    case 2 -> s.set(PhysicalBus.H, off, (short) value);
                    case 4 -> s.set(PhysicalBus.W, off, (int) value);
                    default -> s.set(PhysicalBus.D, off, value);
                }
                return;
            }
        }
        writeSlow(va, size, value, flags);
    }

    private int mmuIdxFor(int flags) {
        // LDTR/STTR at EL1 are checked as EL0 accesses (unless PSTATE.UAO, not implemented).
        if ((flags & Mmu.ACC_UNPRIV) != 0 && el == 1) return SoftTlb.IDX_EL0;
        return mmuIdx;
    }

    private boolean alignmentRequired(long va, int size, int flags) {
        if ((va & (size - 1)) == 0) return false;
        if ((flags & Mmu.ACC_ALIGNED) != 0) return true;
        return (sr.sctlr[el == 0 ? 1 : el] & SystemRegisters.SCTLR_A) != 0;
    }

    private long readSlow(long va, int size, int flags) {
        if (alignmentRequired(va, size, flags)) throw dataAbort(va, Mmu.ACC_READ | flags, Esr.FSC_ALIGNMENT, false, false, 0);
        if (((va & 0xfff) + size) > 0x1000) {
            // Crosses a page: translate both halves before reading, byte by byte (little-endian). A fault on
            // the second page reports its first byte, as QEMU does (and as writes do).
            checkUnalignedAllowed(va, Mmu.ACC_READ | flags);
            checkUnalignedAllowed((va | 0xfff) + 1, Mmu.ACC_READ | flags);
            long r = 0;
            for (int k = 0; k < size; k++) r |= readSlow(va + k, 1, flags & ~Mmu.ACC_ALIGNED) << (8 * k);
            return r;
        }
        int idx = mmuIdxFor(flags);
        long pa = mmu.translate(va, Mmu.ACC_READ | flags, idx);
        if (pa == Mmu.FAULT) throw dataAbort(va, Mmu.ACC_READ | flags, mmu.faultStatus, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa);
        if ((va & (size - 1)) != 0 && mmu.lastIsDevice()) throw dataAbort(va, Mmu.ACC_READ | flags, Esr.FSC_ALIGNMENT, false, false, 0);
        // AArch64.TranslateAddress: watchpoints are checked once the translation succeeded.
        if (debugActive) {
            if (hostDebug.armed) hostDebug.checkAccess(va, size, false);
            Debug.checkWatchpoint(this, va, size, Mmu.ACC_READ | flags);
        }
        try {
            long val = bus.read(pa, size);
            if (!debugActive && idx == mmuIdx && bus.ramAt(pa) != null) fillTlb(va, pa);
            return val;
        } catch (BusError e) {
            throw dataAbort(va, Mmu.ACC_READ | flags, Esr.FSC_SYNC_EXTERNAL, false, false, 0);
        }
    }

    private void writeSlow(long va, int size, long value, int flags) {
        if (alignmentRequired(va, size, flags)) throw dataAbort(va, Mmu.ACC_WRITE | flags, Esr.FSC_ALIGNMENT, false, false, 0);
        if (((va & 0xfff) + size) > 0x1000) {
            int first = (int) (0x1000 - (va & 0xfff));
            // Both pages must be writable before either is written.
            checkWritable(va, flags);
            checkWritable(va + first, flags);
            checkUnalignedAllowed(va, Mmu.ACC_WRITE | flags);
            checkUnalignedAllowed(va + size - 1, Mmu.ACC_WRITE | flags);
            for (int k = 0; k < size; k++) writeSlow(va + k, 1, value >>> (8 * k), flags & ~Mmu.ACC_ALIGNED);
            return;
        }
        int idx = mmuIdxFor(flags);
        long pa = mmu.translate(va, Mmu.ACC_WRITE | flags, idx);
        if (pa == Mmu.FAULT) throw dataAbort(va, Mmu.ACC_WRITE | flags, mmu.faultStatus, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa);
        if ((va & (size - 1)) != 0 && mmu.lastIsDevice()) throw dataAbort(va, Mmu.ACC_WRITE | flags, Esr.FSC_ALIGNMENT, false, false, 0);
        // AArch64.TranslateAddress: watchpoints are checked once the translation succeeded.
        if (debugActive) {
            if (hostDebug.armed) hostDebug.checkAccess(va, size, true);
            Debug.checkWatchpoint(this, va, size, Mmu.ACC_WRITE | flags);
        }
        try {
            bus.write(pa, size, value);
            syncCode(); // a store to this processor's own code is seen by its next instruction
            if (!debugActive && idx == mmuIdx && bus.ramAt(pa) != null) fillTlb(va, pa);
        } catch (BusError e) {
            throw dataAbort(va, Mmu.ACC_WRITE | flags, Esr.FSC_SYNC_EXTERNAL, false, false, 0);
        }
    }

    /**
     * An unaligned access to Device memory is an Alignment fault whatever SCTLR.A says; with stage 1 off
     * every data access is to Device-nGnRnE memory, so early boot code must stay aligned, as on hardware.
     */
    private void checkUnalignedAllowed(long va, int acc) {
        long pa = mmu.translate(va, acc, mmuIdxFor(acc));
        if (pa == Mmu.FAULT) throw dataAbort(va, acc, mmu.faultStatus, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa);
        if (mmu.lastIsDevice()) throw dataAbort(va, acc, Esr.FSC_ALIGNMENT, false, false, 0);
    }

    /** Raises the data abort a write to {@code va} would raise, without writing. */
    public void checkWritable(long va, int flags) {
        long pa = mmu.translate(va, Mmu.ACC_WRITE | flags, mmuIdxFor(flags));
        if (pa == Mmu.FAULT) throw dataAbort(va, Mmu.ACC_WRITE | flags, mmu.faultStatus, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa);
    }

    /**
     * The host address of the aligned {@code size}-byte location at {@code va} for an access that must be
     * atomic on the host (exclusives, LSE atomics; see {@link HostAtomics}), after the checks of the
     * access: read permission, and with {@code write} also write permission (a fault then reports WnR=1,
     * as the write would), and watchpoints. Returns -1 when the location is not RAM (MMIO): the caller
     * then makes an ordinary read and write. The decoded code of a RAM page about to be written is
     * dropped first, as a store to it would drop it.
     */
    long hostAddress(long va, int size, boolean write) {
        int i = SoftTlb.index(mmuIdx, va);
        long page = va & ~0xfffL;
        if (tlb.readTag[i] == page && (!write || tlb.writeTag[i] == page)) return va + tlb.addend[i];
        int acc = write ? Mmu.ACC_WRITE : Mmu.ACC_READ;
        long pa = mmu.translate(va, acc, mmuIdx);
        if (pa == Mmu.FAULT) throw dataAbort(va, acc, mmu.faultStatus, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa);
        // A stage 2 may grant write without read: the read half of the update needs read permission too.
        if (write && !mmu.lastReadable && (pa = mmu.translate(va, Mmu.ACC_READ, mmuIdx)) == Mmu.FAULT)
            throw dataAbort(va, Mmu.ACC_READ, mmu.faultStatus, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa);
        if (debugActive) {
            if (hostDebug.armed) {
                hostDebug.checkAccess(va, size, false);
                if (write) hostDebug.checkAccess(va, size, true);
            }
            Debug.checkWatchpoint(this, va, size, Mmu.ACC_READ);
            if (write) Debug.checkWatchpoint(this, va, size, Mmu.ACC_WRITE);
        }
        PhysicalBus.RamRegion r = bus.ramAt(pa);
        if (r == null) return -1;
        long off = pa - r.base;
        if (write) {
            bus.codeStored(r, off, size);
            syncCode();
        }
        if (!debugActive) fillTlb(va, pa);
        return r.segment.address() + off;
    }

    /** The high half of the last 16-byte access through {@link HostAtomics}. */
    final long[] pairHigh = new long[1];

    /** Caches the translation the MMU just made, with the permissions it granted. */
    private void fillTlb(long va, long pa) {
        PhysicalBus.RamRegion r = bus.ramAt(pa);
        if (r == null) return;
        boolean writable = mmu.lastWritable && !bus.isCode(r, pa - r.base);
        tlb.fill(mmuIdx, va, pa, r, mmu.lastReadable, writable, mmu.lastExecutable);
    }

    // ---- exceptions --------------------------------------------------------------------------------

    public static final int VECT_SYNC = 0, VECT_IRQ = 0x80, VECT_FIQ = 0x100, VECT_SERROR = 0x180;

    /** Whether EL2 is enabled for this processor (it always is: the virtualization extensions exist). */
    boolean el2Enabled() { return true; }

    /**
     * Offset from VBAR_ELx of the vector the last exception was taken to (for example 0x480: IRQ from a
     * lower EL). After an {@link ExitReason#EL2_TRAP} exit it tells the host an interrupt (which writes no
     * syndrome) from a synchronous exception or SError.
     */
    public int lastVectorOffset;

    /** The EL a synchronous exception from the current EL is taken to by default (EL1, or EL2 under TGE). */
    public int syncTargetEl() {
        if (el == 0) return (sr.hcrEl2 & SystemRegisters.HCR_TGE) != 0 ? 2 : 1;
        return el;
    }

    /**
     * AArch64.TakeException: enters {@code target} with the given vector offset (VECT_SYNC, VECT_IRQ...).
     * Writes ESR_ELx when {@code esr} is non-negative (interrupts leave it alone) and returns the
     * unwinding signal for the caller to throw. With {@link #hostOwnsEl2}, entering EL2 ends {@link #run}
     * with {@link ExitReason#EL2_TRAP} once the EL2 registers hold what the hardware would write.
     */
    public ExceptionTaken takeException(int target, int vectOffset, long preferredReturn, long esr) {
        if (target < el) target = el; // exceptions are never taken to a lower EL
        if (pmu.active) pmu.accrue(); // the event filters depend on the EL
        long spsr = pstateToSpsr();
        int offset = vectOffset + (target > el ? 0x400 : spsel == 1 ? 0x200 : 0);
        long vector = (sr.vbar[target] & ~0x7ffL) + offset;
        boolean loop = (target == 0 || target == 1 && !hostOwnsEl1 || target == 2 && !hostOwnsEl2) && loopWatch.taken(this, target, preferredReturn, esr, vector, offset, spsr);
        if (target == 2 && el < 2 && !hostOwnsEl2 && el2Observer != null) el2Observer.taken(esr, preferredReturn, sr.hcrEl2);
        if (esr >= 0) sr.esr[target] = esr;
        sr.spsr[target] = spsr;
        sr.elr[target] = preferredReturn;
        setElAndSpSel(target, 1);
        daif = DAIF_D | DAIF_A | DAIF_I | DAIF_F;
        ss = false;
        il = false;
        dbg.stepDone = false;
        debugActive = dbg.armed || hostDebug.armed;
        if (target == 1 && features.pan && (sr.sctlr[1] & SystemRegisters.SCTLR_SPAN) == 0) pan = true;
        updateMmuIdx();
        pc = vector;
        lastVectorOffset = offset;
        exclusiveValid = false;
        breakLoop = true;
        if (target == 2 && hostOwnsEl2) exit = ExitReason.EL2_TRAP;
        else if (target == 1 && hostOwnsEl1) exit = ExitReason.EL1_TRAP;
        else if (loop) exit = ExitReason.EXCEPTION_LOOP;
        return ExceptionTaken.INSTANCE;
    }

    /**
     * The exception loop that ended the last run with {@link ExitReason#EXCEPTION_LOOP} (see
     * {@link ExceptionLoopWatch}); null if there was none since reset.
     */
    public ExceptionLoopWatch.ExceptionLoop exceptionLoop() { return loopWatch.found(); }

    /** A synchronous exception with the given class and ISS, taken to {@code target}, returning to the current instruction. */
    public ExceptionTaken syncException(int target, int ec, int iss) {
        return takeException(target, VECT_SYNC, insnPc, Esr.encode(ec, iss));
    }

    /**
     * AArch64.CheckFPAdvSIMDEnabled: every FP/SIMD instruction (and FPCR/FPSR access) calls this first, so
     * a guest kernel's lazy FP switching (CPACR_EL1.FPEN) and a hypervisor's (CPTR_EL2.TFP) see EC 0x07.
     */
    public void checkFpEnabled() {
        int e = el;
        if (e <= 1) {
            int fpen = (int) (sr.cpacrEl1 >>> 20) & 3;
            if (fpen != 3 && (e == 0 || (fpen & 1) == 0)) {
                int target = e == 0 && (sr.hcrEl2 & SystemRegisters.HCR_TGE) != 0 ? 2 : 1;
                throw syncException(target, Esr.EC_FP_ASIMD, Esr.ISS_COND_ALWAYS);
            }
        }
        if ((sr.cptrEl2 & SysRegTable.CPTR_TFP) != 0) throw syncException(2, Esr.EC_FP_ASIMD, Esr.ISS_COND_ALWAYS);
    }

    /** Undefined Instruction (EC 0x00): unallocated encodings, and accesses the current EL may not make. */
    public ExceptionTaken undefined() {
        return syncException(syncTargetEl(), Esr.EC_UNKNOWN, 0);
    }

    /** A trap of an instruction to EL2 (the caller has decided that HCR_EL2/CPTR_EL2 traps it). */
    public ExceptionTaken trapToEl2(int ec, int iss) {
        return syncException(2, ec, iss);
    }

    /** AArch64.CallSupervisor (SVC): returns to the next instruction; the step of a stepped SVC is complete. */
    public ExceptionTaken supervisorCall(int imm16) {
        if (debugActive) Debug.ssAdvance(this);
        return takeException(syncTargetEl(), VECT_SYNC, pc, Esr.encode(Esr.EC_SVC64, imm16));
    }

    /** AArch64.CallHypervisor (HVC, already checked to be enabled): to EL2, returning to the next instruction. */
    public ExceptionTaken hypervisorCall(int imm16) {
        if (debugActive) Debug.ssAdvance(this);
        return takeException(2, VECT_SYNC, pc, Esr.encode(Esr.EC_HVC64, imm16));
    }

    /** PC alignment fault, raised when fetching from {@code badPc} (bits [1:0] not zero); FAR holds the PC. */
    public ExceptionTaken pcAlignmentFault(long badPc) {
        insnPc = badPc;
        int target = syncTargetEl();
        sr.far[target] = badPc;
        return takeException(target, VECT_SYNC, badPc, Esr.encode(Esr.EC_PC_ALIGN, 0));
    }

    /** SP alignment fault: a load/store based on a misaligned SP with SCTLR_ELx.SA/SA0 set (FAR is not written). */
    public ExceptionTaken spAlignmentFault() {
        return syncException(syncTargetEl(), Esr.EC_SP_ALIGN, 0);
    }

    /** AArch64.DataAbort: FAR, HPFAR for stage 2, and the syndrome of the access in flight. */
    public ExceptionTaken dataAbort(long va, int acc, int fsc, boolean stage2, boolean s1ptw, long ipa) {
        int target = stage2 ? 2 : syncTargetEl();
        int iss = Esr.fsc(fsc);
        boolean write = (acc & Mmu.ACC_WRITE) != 0;
        if (write && !s1ptw) iss |= Esr.ISS_WNR;
        if (s1ptw) iss |= Esr.ISS_S1PTW;
        if ((acc & Mmu.ACC_CM) != 0) iss |= Esr.ISS_CM | Esr.ISS_WNR;
        if (stage2 && !s1ptw) iss |= abortAccess.decode(currentInstruction()) ? abortAccess.syndrome() : 0;
        int ec = target > el ? Esr.EC_DABT_LOW : Esr.EC_DABT_CUR;
        sr.far[target] = va;
        if (stage2) sr.hpfarEl2 = ((ipa >>> 12) << 4) & 0x00000FFFFFFFFFF0L;
        return takeException(target, VECT_SYNC, insnPc, Esr.encode(ec, iss));
    }

    public ExceptionTaken instructionAbort(long va, int fsc, boolean stage2, boolean s1ptw, long ipa) {
        insnPc = va;
        int target = stage2 ? 2 : syncTargetEl();
        int iss = Esr.fsc(fsc);
        if (s1ptw) iss |= Esr.ISS_S1PTW;
        int ec = target > el ? Esr.EC_IABT_LOW : Esr.EC_IABT_CUR;
        sr.far[target] = va;
        if (stage2) sr.hpfarEl2 = ((ipa >>> 12) << 4) & 0x00000FFFFFFFFFF0L;
        return takeException(target, VECT_SYNC, va, Esr.encode(ec, iss));
    }

    /**
     * Takes a pending interrupt if its routing and masks allow it. Called at chunk boundaries only, so
     * the next instruction to execute (the interrupt's preferred return address) is {@link #pc}.
     */
    void checkPendingInterrupts() {
        if (!irqLine && !fiqLine && !serrorLine
                && ((sr.hcrEl2 | virtualLines) & (SystemRegisters.HCR_VI | SystemRegisters.HCR_VF | SystemRegisters.HCR_VSE)) == 0) return;
        int t;
        // Physical interrupts first: one routed to EL2 preempts the guest's virtual ones.
        if (serrorLine && (t = physicalInterruptTarget(SystemRegisters.HCR_AMO, DAIF_A)) != 0) {
            serrorLine = false; // an SError is an event: taking it consumes it
            throw takeException(t, VECT_SERROR, pc, Esr.encode(Esr.EC_SERROR, 0));
        }
        if (fiqLine && (t = physicalInterruptTarget(SystemRegisters.HCR_FMO, DAIF_F)) != 0)
            throw takeException(t, VECT_FIQ, pc, -1);
        if (irqLine && (t = physicalInterruptTarget(SystemRegisters.HCR_IMO, DAIF_I)) != 0)
            throw takeException(t, VECT_IRQ, pc, -1);
        if (virtualInterruptEnabled(SystemRegisters.HCR_AMO, SystemRegisters.HCR_VSE, DAIF_A)) {
            // Without RAS the virtual SError syndrome is 0 (VSESR_EL2 is ARMv8.2); taking it clears VSE.
            sr.hcrEl2 &= ~SystemRegisters.HCR_VSE;
            throw takeException(1, VECT_SERROR, pc, Esr.encode(Esr.EC_SERROR, 0));
        }
        if (virtualInterruptEnabled(SystemRegisters.HCR_FMO, SystemRegisters.HCR_VF, DAIF_F))
            throw takeException(1, VECT_FIQ, pc, -1);
        if (virtualInterruptEnabled(SystemRegisters.HCR_IMO, SystemRegisters.HCR_VI, DAIF_I))
            throw takeException(1, VECT_IRQ, pc, -1);
    }

    /**
     * The EL a pending physical interrupt is taken to now, or 0 while it stays pending. Without EL3:
     * HCR_EL2.{IMO,FMO,AMO} (or TGE) route it to EL2, where PSTATE masks it only when executing at EL2;
     * otherwise it targets EL1, masked by PSTATE at EL0/EL1 and never taken at EL2 (a lower target).
     */
    private int physicalInterruptTarget(long routeBit, int maskBit) {
        if ((sr.hcrEl2 & (routeBit | SystemRegisters.HCR_TGE)) != 0) return el < 2 || (daif & maskBit) == 0 ? 2 : 0;
        if (el == 2) return 0;
        return (daif & maskBit) == 0 ? 1 : 0;
    }

    /**
     * A virtual interrupt (HCR_EL2.VI/VF/VSE, or the virtual CPU interface's vIRQ/vFIQ) is signalled to
     * EL1/EL0 only when routed (IMO/FMO/AMO) without TGE.
     */
    private boolean virtualInterruptPending(long routeBit, long virtualBit) {
        long hcr = sr.hcrEl2;
        return el < 2 && (hcr & SystemRegisters.HCR_TGE) == 0 && (hcr & routeBit) != 0 && ((hcr | virtualLines) & virtualBit) != 0;
    }

    private boolean virtualInterruptEnabled(long routeBit, long virtualBit, int maskBit) {
        return (daif & maskBit) == 0 && virtualInterruptPending(routeBit, virtualBit);
    }

    /**
     * Whether an interrupt is pending for the purpose of WFI wake-up: any physical line, or a virtual
     * interrupt signalled to the current EL, whatever PSTATE masks.
     */
    public boolean interruptPending() {
        return irqLine || fiqLine || serrorLine
                || virtualInterruptPending(SystemRegisters.HCR_IMO, SystemRegisters.HCR_VI)
                || virtualInterruptPending(SystemRegisters.HCR_FMO, SystemRegisters.HCR_VF)
                || virtualInterruptPending(SystemRegisters.HCR_AMO, SystemRegisters.HCR_VSE);
    }

    /** Ends the run loop after the current instruction with {@code reason} (WFI, debug halt). */
    public void requestExit(ExitReason reason) {
        exit = reason;
        breakLoop = true;
    }

    /**
     * ERET from the current EL (AArch64.ExceptionReturn): restores PSTATE from SPSR_ELx and branches to
     * ELR_ELx. An illegal return (see {@link #illegalExceptionReturn}) keeps EL and SP and sets PSTATE.IL,
     * so that the next instruction raises an Illegal Execution state exception. Ends the chunk: the
     * restored masks may unmask a pending interrupt.
     */
    public void exceptionReturn() {
        if (pmu.active) pmu.accrue(); // the event filters depend on the EL
        if (el == 0 || el == 1 && !hostOwnsEl1 || el == 2 && !hostOwnsEl2) loopWatch.exceptionReturned(); // the guest's ERET, not the host resuming it
        long spsr = sr.spsr[el];
        long target = sr.elr[el];
        boolean illegal = illegalExceptionReturn(spsr);
        int newEl = illegal ? el : (int) (spsr >>> 2) & 3;
        if (el == 2 && newEl < 2 && !hostOwnsEl2 && el2Observer != null) el2Observer.returned(target, sr.hcrEl2);
        boolean newSs = Debug.exceptionReturnSs(this, spsr, newEl);
        // NZCV, DAIF and PAN are restored even by an illegal return.
        setNzcv((int) (spsr >>> 28) & 0xf);
        daif = (int) spsr & (DAIF_D | DAIF_A | DAIF_I | DAIF_F);
        if (features.pan) pan = (spsr & (1L << 22)) != 0;
        if (illegal) {
            il = true;
        } else {
            il = (spsr & (1L << 20)) != 0;
            setElAndSpSel(newEl, (int) spsr & 1);
        }
        ss = newSs;
        dbg.stepDone = false;
        debugActive = dbg.armed || il || hostDebug.armed;
        updateMmuIdx();
        pc = (spsr & 0x10) != 0 ? target : branchAddr(target, el);
        exclusiveValid = false;
        eventRegister = true;
        breakLoop = true;
    }

    /**
     * For a host that owns EL2: resumes the guest as {@link #exceptionReturn} does and makes it take an
     * exception to EL1 at once, returning to ELR_EL2 (as KVM injects an undefined instruction or an
     * abort). {@code vectOffset} is VECT_SYNC, VECT_IRQ...; {@code esr} is written to ESR_EL1 unless
     * negative; the host writes FAR_EL1 itself for an abort.
     */
    public void injectException(int vectOffset, long esr) {
        exceptionReturn();
        takeException(1, vectOffset, pc, esr);
    }

    /**
     * IllegalExceptionReturn(spsr) for a PE with EL2, no EL3 and AArch64 only: a return to AArch32, to
     * an unimplemented or higher EL, with the reserved M[1] set, to EL0 with SP_ELx, or to EL1 while
     * HCR_EL2.TGE is set.
     */
    boolean illegalExceptionReturn(long spsr) {
        int m = (int) spsr & 0x1f;
        int target = (m >>> 2) & 3;
        if ((m & 0x10) != 0 || target == 3 || (m & 2) != 0) return true;
        if (target == 0 && (m & 1) != 0) return true;
        if (target > el) return true;
        return target == 1 && el2Enabled() && (sr.hcrEl2 & SystemRegisters.HCR_TGE) != 0;
    }

    /**
     * AArch64.BranchAddr: a branch target with its top byte ignored (TCR_ELx.TBI) loses the tag: sign-extended
     * from bit 55 in the EL1&0 regime, zero-extended in the EL2 regime.
     */
    long branchAddr(long va, int targetEl) {
        if (targetEl == 2) return (sr.tcr[2] & (1L << 20)) != 0 ? va & 0x00FFFFFFFFFFFFFFL : va;
        long tbi = (va & (1L << 55)) != 0 ? 1L << 38 : 1L << 37;
        return (sr.tcr[1] & tbi) != 0 ? (va << 8) >> 8 : va;
    }
}
