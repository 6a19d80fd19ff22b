package org.jvisor.cpu;

import java.lang.foreign.MemorySegment;

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
    public final PhysicalBus bus;
    final SoftTlb tlb = new SoftTlb();
    public final Mmu mmu;
    public final Features features;

    /** When set, exceptions to EL2 end the run loop instead of vectoring through VBAR_EL2. */
    public boolean hostOwnsEl2 = true;

    /** Instructions retired since reset. */
    public long instret;
    /** Current MMU index for data accesses (see {@link SoftTlb}). */
    int mmuIdx = SoftTlb.IDX_EL1;

    /**
     * ISS bits [24:14] (ISV, SAS, SSE, SRT, SF, AR) describing the load/store in flight, reported in the
     * syndrome of a data abort taken to EL2. Load/store handlers set it before the access; 0 means "not
     * valid" (pairs, writeback forms...).
     */
    public int accessSyndrome;

    /** The local exclusive monitor (LDXR/STXR): set by a load-exclusive, cleared by CLREX, ERET and exceptions. */
    public boolean exclusiveValid;
    public long exclusiveAddress;
    public int exclusiveSize;

    public void clearExclusiveMonitor() { exclusiveValid = false; }

    // run-loop state
    private long curPageVa = -1;
    private long[] curSlots;
    boolean breakLoop;
    private ExitReason exit;
    private volatile boolean stopRequested;
    /** Interrupt request lines driven by the interrupt controller (may be set from other threads). */
    private volatile boolean irqLine, fiqLine, serrorLine;
    /** Any debug feature (single step, breakpoints, watchpoints) is armed: run one instruction at a time. */
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

    /** Cold reset into EL1h with the MMU off and interrupts masked, as QEMU's virt board starts a core. */
    public void reset() {
        java.util.Arrays.fill(x, 0);
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
        tlbFlush();
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

    /** Asks a running {@link #run} to return {@link ExitReason#STOPPED} soon; safe from any thread. */
    public void kick() { stopRequested = true; }

    public void setIrqLine(boolean level) { irqLine = level; }

    public void setFiqLine(boolean level) { fiqLine = level; }

    public void setSErrorLine(boolean level) { serrorLine = level; }

    /**
     * Runs until an exit: an exception to a host-owned EL2, WFI with nothing to do, a kick, or at most
     * {@code maxInstructions} retired instructions.
     */
    public ExitReason run(long maxInstructions) {
        final long end = instret + maxInstructions;
        exit = null;
        while (true) {
            if (stopRequested) {
                stopRequested = false;
                return ExitReason.STOPPED;
            }
            if (instret >= end) return ExitReason.BUDGET;
            if (mmu.remotePending) mmu.applyRemoteInvalidations();
            try {
                checkPendingInterrupts();
                long chunkEnd = Math.min(end, instret + (debugActive ? 1 : 4096));
                if (debugActive) Debug.beforeStep(this);
                runChunk(chunkEnd);
            } catch (ExceptionTaken e) {
                // the exception is already taken; the loop continues at its vector
            }
            if (exit != null) {
                ExitReason r = exit;
                exit = null;
                return r;
            }
        }
    }

    private void runChunk(long chunkEnd) {
        breakLoop = false;
        while (instret < chunkEnd) {
            long p = pc;
            if ((p & ~0xffcL) != curPageVa) fetchPage(p);
            int i = (int) (p >>> 2) & 1023;
            long slot = curSlots[i];
            if (slot == 0) slot = decodeSlot(i, p);
            insnPc = p;
            pc = p + 4;
            Executor.execute(this, (int) slot, (int) (slot >>> 32));
            instret++;
            if (breakLoop) break;
        }
    }

    /** Makes the page holding {@code p} the current instruction page (or takes the fetch exception). */
    private void fetchPage(long p) {
        curPageVa = -1;
        if ((p & 3) != 0) throw pcAlignmentFault(p);
        long pa = translateFetch(p);
        PhysicalBus.RamRegion r = bus.ramAt(pa);
        if (r == null) throw instructionAbort(p, Mmu.FSC_SYNC_EXTERNAL, false, false, 0);
        curSlots = bus.codePage(r, pa - r.base);
        curPageVa = p & ~0xfffL;
    }

    private long translateFetch(long va) {
        int i = SoftTlb.index(mmuIdx, va);
        if (tlb.execTag[i] == (va & ~0xfffL)) return tlb.paPage[i] | (va & 0xfff);
        long pa = mmu.translate(va, Mmu.ACC_EXEC, mmuIdx);
        if (pa == Mmu.FAULT) throw instructionAbort(va, mmu.faultStatus, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa);
        fillTlb(va, pa);
        return pa;
    }

    private long decodeSlot(int i, long p) {
        long pa = translateFetch(p);
        PhysicalBus.RamRegion r = bus.ramAt(pa);
        int insn = r.segment.get(PhysicalBus.W, pa - r.base);
        int op = Decoder.decode(insn);
        long slot = ((long) insn << 32) | (op & 0xffffffffL);
        curSlots[i] = slot;
        return slot;
    }

    /** Called by the bus when decoded code was dropped: refetch before the next instruction. */
    void codeInvalidated() {
        curPageVa = -1;
    }

    /** Flushes the fast TLB (any change of translation context, every TLBI). */
    public void tlbFlush() {
        tlb.flushAll();
        curPageVa = -1;
    }

    /** Ends the current chunk after this instruction, e.g. after unmasking interrupts. */
    public void endChunk() { breakLoop = true; }

    // ---- memory ------------------------------------------------------------------------------------

    public static final int ACC_READ = Mmu.ACC_READ, ACC_WRITE = Mmu.ACC_WRITE;

    public long read8(long va) { return read(va, 1, 0); }

    public long read16(long va) { return read(va, 2, 0); }

    public long read32(long va) { return read(va, 4, 0); }

    public long read64(long va) {
        int i = SoftTlb.index(mmuIdx, va);
        if (tlb.readTag[i] == (va & ~0xff8L)) return tlb.segment[i].get(PhysicalBus.D, va + tlb.addend[i]);
        return readSlow(va, 8, 0);
    }

    public void write8(long va, long v) { write(va, 1, v, 0); }

    public void write16(long va, long v) { write(va, 2, v, 0); }

    public void write32(long va, long v) { write(va, 4, v, 0); }

    public void write64(long va, long v) {
        int i = SoftTlb.index(mmuIdx, va);
        if (tlb.writeTag[i] == (va & ~0xff8L)) {
            tlb.segment[i].set(PhysicalBus.D, va + tlb.addend[i], v);
            return;
        }
        writeSlow(va, 8, v, 0);
    }

    /**
     * Reads {@code size} (1, 2, 4, 8) bytes, zero-extended. {@code flags}: {@link Mmu#ACC_UNPRIV} for
     * LDTR, {@link Mmu#ACC_ALIGNED} when the access must be aligned (exclusives, acquire/release, atomics).
     */
    public long read(long va, int size, int flags) {
        if (flags == 0) {
            int i = SoftTlb.index(mmuIdx, va);
            if (tlb.readTag[i] == (va & (~0xfffL | (size - 1)))) {
                MemorySegment s = tlb.segment[i];
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
        if (flags == 0) {
            int i = SoftTlb.index(mmuIdx, va);
            if (tlb.writeTag[i] == (va & (~0xfffL | (size - 1)))) {
                MemorySegment s = tlb.segment[i];
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
        if (alignmentRequired(va, size, flags)) throw dataAbort(va, Mmu.ACC_READ | flags, Mmu.FSC_ALIGNMENT, false, false, 0);
        if (((va & 0xfff) + size) > 0x1000) {
            // Crosses a page: translate both halves before reading, byte by byte (little-endian).
            long r = 0;
            for (int k = 0; k < size; k++) r |= readSlow(va + k, 1, flags & ~Mmu.ACC_ALIGNED) << (8 * k);
            return r;
        }
        if (debugActive) Debug.checkWatchpoint(this, va, size, false);
        int idx = mmuIdxFor(flags);
        long pa = mmu.translate(va, Mmu.ACC_READ | flags, idx);
        if (pa == Mmu.FAULT) throw dataAbort(va, Mmu.ACC_READ | flags, mmu.faultStatus, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa);
        try {
            long val = bus.read(pa, size);
            if (!debugActive && idx == mmuIdx && bus.ramAt(pa) != null) fillTlb(va, pa);
            return val;
        } catch (BusError e) {
            throw dataAbort(va, Mmu.ACC_READ | flags, Mmu.FSC_SYNC_EXTERNAL, false, false, 0);
        }
    }

    private void writeSlow(long va, int size, long value, int flags) {
        if (alignmentRequired(va, size, flags)) throw dataAbort(va, Mmu.ACC_WRITE | flags, Mmu.FSC_ALIGNMENT, false, false, 0);
        if (((va & 0xfff) + size) > 0x1000) {
            int first = (int) (0x1000 - (va & 0xfff));
            // Both pages must be writable before either is written.
            checkWritable(va, flags);
            checkWritable(va + first, flags);
            for (int k = 0; k < size; k++) writeSlow(va + k, 1, value >>> (8 * k), flags & ~Mmu.ACC_ALIGNED);
            return;
        }
        if (debugActive) Debug.checkWatchpoint(this, va, size, true);
        int idx = mmuIdxFor(flags);
        long pa = mmu.translate(va, Mmu.ACC_WRITE | flags, idx);
        if (pa == Mmu.FAULT) throw dataAbort(va, Mmu.ACC_WRITE | flags, mmu.faultStatus, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa);
        try {
            bus.write(pa, size, value);
            if (!debugActive && idx == mmuIdx && bus.ramAt(pa) != null) fillTlb(va, pa);
        } catch (BusError e) {
            throw dataAbort(va, Mmu.ACC_WRITE | flags, Mmu.FSC_SYNC_EXTERNAL, false, false, 0);
        }
    }

    /** Raises the data abort a write to {@code va} would raise, without writing. */
    public void checkWritable(long va, int flags) {
        long pa = mmu.translate(va, Mmu.ACC_WRITE | flags, mmuIdxFor(flags));
        if (pa == Mmu.FAULT) throw dataAbort(va, Mmu.ACC_WRITE | flags, mmu.faultStatus, mmu.faultStage2, mmu.faultS1ptw, mmu.faultIpa);
    }

    /** Caches the translation the MMU just made, with the permissions it granted. */
    private void fillTlb(long va, long pa) {
        PhysicalBus.RamRegion r = bus.ramAt(pa);
        if (r == null) return;
        boolean writable = mmu.lastWritable && !bus.isCode(r, pa - r.base);
        tlb.fill(mmuIdx, va, pa, r, mmu.lastReadable, writable, mmu.lastExecutable);
    }

    // ---- exceptions --------------------------------------------------------------------------------

    /** Exception classes (ESR_ELx.EC). */
    public static final int EC_UNKNOWN = 0x00, EC_WFX = 0x01, EC_FP = 0x07, EC_ILLEGAL = 0x0e, EC_SVC = 0x15,
            EC_HVC = 0x16, EC_SMC = 0x17, EC_SYSREG = 0x18, EC_IABT_LOW = 0x20, EC_IABT_CUR = 0x21,
            EC_PC_ALIGN = 0x22, EC_DABT_LOW = 0x24, EC_DABT_CUR = 0x25, EC_SP_ALIGN = 0x26, EC_SERROR = 0x2f,
            EC_BREAKPT_LOW = 0x30, EC_BREAKPT_CUR = 0x31, EC_STEP_LOW = 0x32, EC_STEP_CUR = 0x33,
            EC_WATCHPT_LOW = 0x34, EC_WATCHPT_CUR = 0x35, EC_BRK = 0x3c;

    public static final int VECT_SYNC = 0, VECT_IRQ = 0x80, VECT_FIQ = 0x100, VECT_SERROR = 0x180;

    /** Whether EL2 is enabled for this processor (it always is: the virtualization extensions exist). */
    boolean el2Enabled() { return true; }

    /** The EL a synchronous exception from the current EL is taken to by default (EL1, or EL2 under TGE). */
    public int syncTargetEl() {
        if (el == 0) return (sr.hcrEl2 & SystemRegisters.HCR_TGE) != 0 ? 2 : 1;
        return el;
    }

    /**
     * AArch64.TakeException: enters {@code target} with the given vector offset. Writes ESR_ELx (when
     * {@code esr} is non-negative) and returns the unwinding signal for the caller to throw.
     */
    public ExceptionTaken takeException(int target, int vectOffset, long preferredReturn, long esr) {
        long spsr = pstateToSpsr();
        int offset = vectOffset;
        if (target > el) offset += 0x400;
        else if (spsel == 1) offset += 0x200;
        if (esr >= 0) sr.esr[target] = esr;
        sr.spsr[target] = spsr;
        sr.elr[target] = preferredReturn;
        setElAndSpSel(target, 1);
        daif = DAIF_D | DAIF_A | DAIF_I | DAIF_F;
        ss = false;
        il = false;
        if (target == 1 && features.pan && (sr.sctlr[1] & SystemRegisters.SCTLR_SPAN) == 0) pan = true;
        updateMmuIdx();
        pc = sr.vbar[target] + offset;
        exclusiveValid = false;
        breakLoop = true;
        if (target == 2 && hostOwnsEl2) exit = ExitReason.EL2_TRAP;
        return ExceptionTaken.INSTANCE;
    }

    /** A synchronous exception with the given class and ISS, taken to {@code target}, returning to the current instruction. */
    public ExceptionTaken syncException(int target, int ec, int iss) {
        return takeException(target, VECT_SYNC, insnPc, esrValue(ec, iss));
    }

    static long esrValue(int ec, int iss) {
        return ((long) ec << 26) | (1L << 25) | (iss & 0x1ffffffL);
    }

    /** Undefined Instruction (EC 0x00): unallocated encodings, and accesses the current EL may not make. */
    public ExceptionTaken undefined() {
        return syncException(syncTargetEl(), EC_UNKNOWN, 0);
    }

    /** A trap of an instruction to EL2 (the caller has decided that HCR_EL2/CPTR_EL2 traps it). */
    public ExceptionTaken trapToEl2(int ec, int iss) {
        return syncException(2, ec, iss);
    }

    public ExceptionTaken pcAlignmentFault(long badPc) {
        insnPc = badPc;
        int target = syncTargetEl();
        sr.far[target] = badPc;
        return takeException(target, VECT_SYNC, badPc, esrValue(EC_PC_ALIGN, 0));
    }

    public ExceptionTaken spAlignmentFault() {
        return syncException(syncTargetEl(), EC_SP_ALIGN, 0);
    }

    /** AArch64.DataAbort: FAR, HPFAR for stage 2, and the syndrome of the access in flight. */
    public ExceptionTaken dataAbort(long va, int acc, int fsc, boolean stage2, boolean s1ptw, long ipa) {
        int target = stage2 ? 2 : syncTargetEl();
        int iss = fsc & 0x3f;
        boolean write = (acc & Mmu.ACC_WRITE) != 0;
        if (write && !s1ptw) iss |= 1 << 6;
        if (s1ptw) iss |= 1 << 7;
        if ((acc & Mmu.ACC_CM) != 0) iss |= (1 << 8) | (1 << 6);
        if (stage2 && !s1ptw) iss |= accessSyndrome;
        int ec = target > el ? EC_DABT_LOW : EC_DABT_CUR;
        sr.far[target] = va;
        if (stage2) sr.hpfarEl2 = ((ipa >>> 12) << 4) & 0x00000FFFFFFFFFF0L;
        return takeException(target, VECT_SYNC, insnPc, esrValue(ec, iss));
    }

    public ExceptionTaken instructionAbort(long va, int fsc, boolean stage2, boolean s1ptw, long ipa) {
        insnPc = va;
        int target = stage2 ? 2 : syncTargetEl();
        int iss = fsc & 0x3f;
        if (s1ptw) iss |= 1 << 7;
        int ec = target > el ? EC_IABT_LOW : EC_IABT_CUR;
        sr.far[target] = va;
        if (stage2) sr.hpfarEl2 = ((ipa >>> 12) << 4) & 0x00000FFFFFFFFFF0L;
        return takeException(target, VECT_SYNC, va, esrValue(ec, iss));
    }

    /**
     * Takes a pending physical or virtual interrupt if its routing and masks allow it
     * (AArch64 interrupt masking: routed-to-higher-EL interrupts ignore PSTATE masks).
     */
    void checkPendingInterrupts() {
        long hcr = sr.hcrEl2;
        boolean tge = (hcr & SystemRegisters.HCR_TGE) != 0;
        if (serrorLine || (el < 2 && !tge && (hcr & SystemRegisters.HCR_AMO) != 0 && (hcr & SystemRegisters.HCR_VSE) != 0)) {
            if (interruptTaken(serrorLine, SystemRegisters.HCR_AMO, SystemRegisters.HCR_VSE, DAIF_A, VECT_SERROR)) return;
        }
        if (fiqLine || (hcr & SystemRegisters.HCR_VF) != 0) {
            if (interruptTaken(fiqLine, SystemRegisters.HCR_FMO, SystemRegisters.HCR_VF, DAIF_F, VECT_FIQ)) return;
        }
        if (irqLine || (hcr & SystemRegisters.HCR_VI) != 0) {
            interruptTaken(irqLine, SystemRegisters.HCR_IMO, SystemRegisters.HCR_VI, DAIF_I, VECT_IRQ);
        }
    }

    private boolean interruptTaken(boolean physical, long routeBit, long virtualBit, int maskBit, int vector) {
        long hcr = sr.hcrEl2;
        boolean tge = (hcr & SystemRegisters.HCR_TGE) != 0;
        boolean routed = el < 2 && ((hcr & routeBit) != 0 || tge);
        if (physical) {
            if (routed) {
                long esr = vector == VECT_SERROR ? esrValue(EC_SERROR, 0) : -1;
                throw takeException(2, vector, pc, esr);
            }
            if ((daif & maskBit) == 0 && el < 2) {
                long esr = vector == VECT_SERROR ? esrValue(EC_SERROR, 0) : -1;
                throw takeException(Math.max(el, 1), vector, pc, esr);
            }
            if (el == 2 && !hostOwnsEl2 && (daif & maskBit) == 0) throw takeException(2, vector, pc, -1);
        }
        // Virtual interrupts reach EL1/EL0 only, when routed by HCR_EL2.{IMO,FMO,AMO} and not under TGE.
        if ((hcr & virtualBit) != 0 && (hcr & routeBit) != 0 && !tge && el < 2 && (daif & maskBit) == 0) {
            long esr = vector == VECT_SERROR ? esrValue(EC_SERROR, 0) : -1;
            if (vector == VECT_SERROR) sr.hcrEl2 &= ~SystemRegisters.HCR_VSE;
            throw takeException(1, vector, pc, esr);
        }
        return false;
    }

    /** Whether an interrupt is pending for the purpose of WFI wake-up (masked or not). */
    public boolean interruptPending() {
        long hcr = sr.hcrEl2;
        return irqLine || fiqLine || serrorLine
                || (el < 2 && (hcr & (SystemRegisters.HCR_VI | SystemRegisters.HCR_VF | SystemRegisters.HCR_VSE)) != 0);
    }

    /** Ends the run loop after the current instruction with {@code reason} (WFI, debug halt). */
    public void requestExit(ExitReason reason) {
        exit = reason;
        breakLoop = true;
    }

    /**
     * ERET from the current EL (AArch64.ExceptionReturn): restores PSTATE from SPSR_ELx and jumps to
     * ELR_ELx; an illegal return sets PSTATE.IL instead of changing EL, as the architecture says.
     */
    public void exceptionReturn() {
        int from = el;
        long spsr = sr.spsr[from];
        long target = sr.elr[from];
        int m = (int) (spsr & 0x1f);
        int newEl = (m >>> 2) & 3;
        int newSp = m & 1;
        boolean illegal = (m & 0x10) != 0 // AArch32 is not implemented
                || newEl > from
                || (m & 2) != 0
                || (newEl == 0 && newSp == 1)
                || (newEl == 1 && from == 2 && (sr.hcrEl2 & SystemRegisters.HCR_TGE) != 0);
        setNzcv((int) (spsr >>> 28) & 0xf);
        daif = (int) spsr & (DAIF_D | DAIF_A | DAIF_I | DAIF_F);
        if (illegal) {
            il = true;
            ss = false;
        } else {
            il = (spsr & (1L << 20)) != 0;
            ss = (spsr & (1L << 21)) != 0 && Debug.softwareStepEnabledAfterEret(this, newEl);
            if (features.pan) pan = (spsr & (1L << 22)) != 0;
            setElAndSpSel(newEl, newSp);
        }
        updateMmuIdx();
        pc = target;
        exclusiveValid = false;
        breakLoop = true;
    }
}
