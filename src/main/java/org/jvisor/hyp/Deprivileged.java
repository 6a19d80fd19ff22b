package org.jvisor.hyp;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Decoder;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.LoadStoreAccess;
import org.jvisor.cpu.Stage1Walk;
import org.jvisor.cpu.SysRegTable;
import org.jvisor.cpu.SystemRegisters;
import org.jvisor.cpu.TlbiOp;

/**
 * Classic trap-and-emulate for one vCPU (Popek and Goldberg's VMM): the guest kernel runs deprivileged at
 * real EL0, its "virtual EL1"; the hypervisor owns real EL1 ({@link Cpu#hostOwnsEl1}: no code ever runs
 * there) and EL2 (stage 2 stays on, TGE clear). Every exception the guest takes ends up in {@link #handle}
 * as an {@link org.jvisor.cpu.ExitReason#EL1_TRAP}: from the virtual EL1, an UNDEFINED privileged
 * instruction (or an EC 0x18 trap) is decoded with the processor's own decoder and emulated on the virtual
 * EL1 state kept here; anything else is delivered to the virtual EL1 as a virtual exception
 * (AArch64.TakeException on the virtual registers); stage 1 faults fill the {@link ShadowStage1}.
 *
 * <p>The critical instructions (sensitive, not privileged, found by {@code jvisor classify}) are handled by
 * the processor switch {@link Cpu#trapUnprivilegedAccess} (LDTR/STTR become UNDEFINED and are emulated with
 * the virtual EL0's permissions) and by the real EL1 controls the hypervisor sets for each virtual EL:
 * CNTKCTL_EL1 (CNTVCT_EL0 and the timers), SCTLR_EL1.DZE (DCZID_EL0.DZP, DC ZVA), UCT, UCI, nTWE, and
 * UMA clear so that every DAIF access traps.
 */
final class Deprivileged {
    /** The virtual EL1 registers kept here (every other EL1 register is the processor's, accessed at real EL1). */
    private static final String[] NAMES = {"SCTLR_EL1", "TTBR0_EL1", "TTBR1_EL1", "TCR_EL1", "MAIR_EL1", "AMAIR_EL1",
            "VBAR_EL1", "ESR_EL1", "FAR_EL1", "ELR_EL1", "SPSR_EL1", "TPIDR_EL1", "CONTEXTIDR_EL1", "CPACR_EL1",
            "CNTKCTL_EL1", "PAR_EL1", "AFSR0_EL1", "AFSR1_EL1", "MDSCR_EL1", "CSSELR_EL1"};
    private static final int SCTLR = 0, TTBR0 = 1, TTBR1 = 2, TCR = 3, MAIR = 4, VBAR = 6, ESR = 7, FAR = 8, ELR = 9,
            SPSR = 10, CPACR = 13, CNTKCTL = 14, PAR = 15;
    private static final int[] KEYS = new int[NAMES.length];
    private static final int KEY_SP_EL0 = key("SP_EL0"), KEY_SPSEL = key("SPSel"), KEY_CURRENT_EL = key("CurrentEL"),
            KEY_DAIF = key("DAIF"), KEY_PAN = key("PAN");

    static {
        for (int i = 0; i < NAMES.length; i++) KEYS[i] = key(NAMES[i]);
    }

    private static int key(String name) {
        for (SysRegTable.Entry e : SysRegTable.entries()) if (e.name().equals(name)) return e.key();
        throw new IllegalStateException(name);
    }

    private static final long DAIF_ALL = Cpu.DAIF_D | Cpu.DAIF_A | Cpu.DAIF_I | Cpu.DAIF_F;
    /** CNTKCTL_EL1.EL0PCTEN, EL0VCTEN, EL0VTEN, EL0PTEN: the virtual EL1 reaches the counters and timers. */
    private static final long CNTKCTL_EL1_VIEW = 0x303;
    /** TCR_EL1 of the shadow: 48-bit VAs both halves, 4 KiB granules, 40-bit IPAs, 16-bit ASIDs, walks cacheable. */
    private static final long SHADOW_TCR = 16 | 16L << 16 | 2L << 30 | 2L << 32 | 1L << 36
            | 1L << 8 | 1L << 10 | 3L << 12 | 1L << 24 | 1L << 26 | 3L << 28;
    /** MAIR_EL1 while the guest's MMU is off: attribute 0 Normal write-back (flat mappings use it, as HCR_EL2.DC would). */
    private static final long MMU_OFF_MAIR = 0xff;

    private final Vcpu v;
    private final Cpu cpu;
    private final TrapStats stats;
    private final ShadowStage1 shadow;
    private final Stage1Walk walk = new Stage1Walk();
    private final LoadStoreAccess access = new LoadStoreAccess();

    private final long[] reg = new long[NAMES.length];
    /** The virtual PSTATE: EL (0, 1), SPSel, DAIF (SPSR positions), PAN; NZCV lives in the real PSTATE. */
    private int el, spSel, daif;
    private boolean pan;
    /** The virtual stack pointer not in use; the one in use is the real SP_EL0. */
    private long spEl0, spEl1;
    /** The real EL1 controls must be recomputed (virtual EL or a register they derive from changed). */
    private boolean dirty = true;
    /** NZCV (SPSR bits 31:28) the guest resumes with. */
    private long nzcv;
    private VcpuExit exit;
    private long lastFillPage = -1;
    private int sameFills;

    Deprivileged(Vcpu v) {
        this.v = v;
        this.cpu = v.cpu;
        this.stats = v.stats;
        this.shadow = new ShadowStage1(v.vm().tablePages());
    }

    /** Power-on state (call right after the processor's reset): virtual EL1h, interrupts masked, MMU off. */
    void reset() {
        for (int i = 0; i < NAMES.length; i++) reg[i] = SysRegTable.read(cpu, NAMES[i]);
        el = 1;
        spSel = 1;
        daif = (int) DAIF_ALL;
        pan = false;
        spEl0 = spEl1 = 0;
        flushShadow();
        cpu.setElAndSpSel(0, 0);
        cpu.daif = 0;
        cpu.setSpEl(0, 0);
        applyRealState();
    }

    /** Whether a virtual IRQ may be delivered now (the caller raises HCR_EL2.VI only then). */
    boolean irqUnmasked() { return (daif & Cpu.DAIF_I) == 0; }

    boolean fiqUnmasked() { return (daif & Cpu.DAIF_F) == 0; }

    /** The virtual PSTATE, as an SPSR. */
    long pstate() {
        return (cpu.nzcv() & 0xfL) << 28 | (pan ? 1L << 22 : 0) | daif | (long) el << 2 | (el == 1 ? spSel : 0);
    }

    /** Sets the virtual PSTATE (a VMM's KVM_SET_ONE_REG), EL0 or EL1 only. */
    void setPstate(long spsr) {
        cpu.setNzcv((int) (spsr >>> 28) & 0xf);
        daif = (int) spsr & (int) DAIF_ALL;
        pan = (spsr & (1L << 22)) != 0;
        int newEl = (int) (spsr >>> 2) & 3;
        if (newEl > 1) throw new IllegalArgumentException("a deprivileged guest runs at virtual EL0 or EL1");
        setVirtualEl(newEl, newEl == 1 ? (int) spsr & 1 : 0);
        if (dirty) applyRealState();
    }

    // ---- the exit -----------------------------------------------------------------------------------

    /** An exception taken to the real EL1: emulate or deliver it, then resume the guest at real EL0. */
    VcpuExit handle() {
        SystemRegisters s = cpu.sr;
        long esr = s.esr[1], far = s.far[1], elr = s.elr[1], spsr = s.spsr[1];
        int type = cpu.lastVectorOffset & 0x180;
        nzcv = spsr & 0xf000_0000L;
        exit = null;
        long next;
        if (type == Cpu.VECT_SYNC) {
            int ec = Esr.ec(esr);
            stats.byEc[ec]++;
            next = synchronous(ec, esr, far, elr);
        } else {
            if (type == Cpu.VECT_IRQ) stats.virtualInterrupts++;
            next = deliver(type, elr, -1, 0, false);
        }
        if (dirty) applyRealState();
        s.elr[1] = next;
        s.spsr[1] = nzcv; // EL0t with DAIF clear: HCR_EL2.VI/VF carry the virtual masks
        cpu.exceptionReturn();
        VcpuExit e = exit;
        exit = null;
        return e;
    }

    private long synchronous(int ec, long esr, long far, long elr) {
        if (ec == Esr.EC_DABT_LOW || ec == Esr.EC_IABT_LOW) {
            int fsc = Esr.fscType(esr);
            if (fsc == Esr.FSC_TRANSLATION || fsc == Esr.FSC_PERMISSION || fsc == Esr.FSC_ACCESS_FLAG) {
                boolean exec = ec == Esr.EC_IABT_LOW;
                int guestFault = fill(far, exec, !exec && Esr.wnr(esr) && !Esr.cm(esr));
                if (guestFault < 0) return elr;
                esr = (esr & ~0x3fL) | guestFault;
            }
        } else if (el == 1 && ec == Esr.EC_UNKNOWN) {
            return emulate(elr);
        } else if (el == 1 && ec == Esr.EC_SYS64) {
            stats.cpuTraps++;
            return sysRegister(SysRegTable.keyOf(esr), Esr.sysRt(esr), Esr.sysRead(esr), elr);
        }
        boolean setFar = ec == Esr.EC_DABT_LOW || ec == Esr.EC_IABT_LOW || ec == Esr.EC_PC_ALIGN
                || ec == Esr.EC_WATCHPT_LOW;
        return deliverSync(el == 1 ? sameElClass(ec) : ec, esr, far, elr, setFar);
    }

    /** The class an exception from the virtual EL1 has: "lower EL" classes become "current EL" ones. */
    private static int sameElClass(int ec) {
        return switch (ec) {
            case Esr.EC_IABT_LOW, Esr.EC_DABT_LOW, Esr.EC_BREAKPT_LOW, Esr.EC_SOFTSTP_LOW, Esr.EC_WATCHPT_LOW -> ec + 1;
            default -> ec;
        };
    }

    private long deliverSync(int vec, long esr, long far, long elr, boolean setFar) {
        stats.virtualByEc[vec]++;
        long virtualEsr = (esr & ~(0x3fL << 26)) | (long) vec << 26, before = pstate();
        long vector = deliver(Cpu.VECT_SYNC, elr, virtualEsr, far, setFar);
        // A guest whose vector faults into itself (UDF at the vector, a vector on an unmapped page) never
        // leaves: the processor's own rule, applied to the exceptions delivered here instead of taken.
        if (loopWatch.taken(cpu, 1, elr, virtualEsr, vector, (int) (vector & 0x7ff), before)) {
            var l = loopWatch.found();
            exit = new VcpuExit.ExceptionLoop(1, l.preferredReturn(), l.ec(), l.vector(), l.vectorOffset(), l.repeats());
        }
        return vector;
    }

    /** Watches the virtual exceptions for a loop the guest cannot leave ({@link org.jvisor.cpu.ExceptionLoopWatch}). */
    private final org.jvisor.cpu.ExceptionLoopWatch loopWatch = new org.jvisor.cpu.ExceptionLoopWatch();

    /** AArch64.TakeException to the virtual EL1: returns the virtual vector. */
    private long deliver(int type, long preferredReturn, long esr, long far, boolean setFar) {
        reg[SPSR] = nzcv | (pan ? 1L << 22 : 0) | daif | (long) el << 2 | (el == 1 ? spSel : 0);
        reg[ELR] = preferredReturn;
        if (esr >= 0) reg[ESR] = esr;
        if (setFar) reg[FAR] = far;
        int offset = type + (el == 0 ? 0x400 : spSel == 1 ? 0x200 : 0);
        setVirtualEl(1, 1);
        daif = (int) DAIF_ALL;
        if (cpu.features.pan && (reg[SCTLR] & SystemRegisters.SCTLR_SPAN) == 0) pan = true;
        return (reg[VBAR] & ~0x7ffL) + offset;
    }

    private long undefined(long elr) {
        return deliverSync(Esr.EC_UNKNOWN, Esr.encode(Esr.EC_UNKNOWN, 0), 0, elr, false);
    }

    /** Changes the virtual EL and SPSel; the real SP_EL0 always holds the stack pointer they select. */
    private void setVirtualEl(int newEl, int newSpSel) {
        long live = cpu.getSpEl(0);
        if (el == 1 && spSel == 1) spEl1 = live;
        else spEl0 = live;
        if (newEl != el) dirty = true;
        el = newEl;
        spSel = newSpSel;
        cpu.setSpEl(0, el == 1 && spSel == 1 ? spEl1 : spEl0);
    }

    /** The real EL1 controls for the current virtual EL (see the class comment). */
    private void applyRealState() {
        dirty = false;
        SystemRegisters s = cpu.sr;
        long vs = reg[SCTLR];
        boolean kernel = el == 1;
        long sctlr = SystemRegisters.SCTLR_M | (vs & (SystemRegisters.SCTLR_C | SystemRegisters.SCTLR_I | SystemRegisters.SCTLR_A));
        long el0Controls = SystemRegisters.SCTLR_UCT | SystemRegisters.SCTLR_DZE | SystemRegisters.SCTLR_UCI
                | SystemRegisters.SCTLR_NTWE | SystemRegisters.SCTLR_NTWI;
        if (kernel) sctlr |= el0Controls | ((vs & SystemRegisters.SCTLR_SA) != 0 ? SystemRegisters.SCTLR_SA0 : 0);
        else sctlr |= vs & (el0Controls | SystemRegisters.SCTLR_SA0);
        int space = kernel ? ShadowStage1.KERNEL : ShadowStage1.USER;
        long mair = (vs & SystemRegisters.SCTLR_M) != 0 ? reg[MAIR] : MMU_OFF_MAIR;
        long tcr = SHADOW_TCR | (reg[TCR] & (3L << 37)); // the guest's TBI0/TBI1
        long cntkctl = kernel ? (reg[CNTKCTL] & ~CNTKCTL_EL1_VIEW) | CNTKCTL_EL1_VIEW : reg[CNTKCTL];
        int fpen = (int) (reg[CPACR] >>> 20) & 3;
        boolean fp = fpen == 3 || kernel && fpen == 1;
        long cpacr = (reg[CPACR] & ~(3L << 20)) | (fp ? 3L << 20 : 0);
        if (s.sctlr[1] != sctlr) SysRegTable.write(cpu, "SCTLR_EL1", sctlr);
        if (s.tcr[1] != tcr) SysRegTable.write(cpu, "TCR_EL1", tcr);
        if (s.mair[1] != mair) SysRegTable.write(cpu, "MAIR_EL1", mair);
        if (s.ttbr0[1] != shadow.ttbr(space, 0)) SysRegTable.write(cpu, "TTBR0_EL1", shadow.ttbr(space, 0));
        if (s.ttbr1El1 != shadow.ttbr(space, 1)) SysRegTable.write(cpu, "TTBR1_EL1", shadow.ttbr(space, 1));
        if (s.cntkctlEl1 != cntkctl) SysRegTable.write(cpu, "CNTKCTL_EL1", cntkctl);
        if (s.cpacrEl1 != cpacr) SysRegTable.write(cpu, "CPACR_EL1", cpacr);
        cpu.mmu.contextChanged();
    }

    // ---- shadow paging -------------------------------------------------------------------------------

    private void flushShadow() {
        shadow.clear();
        cpu.mmu.tlbi(TlbiOp.VMALLE1, 0, false);
        lastFillPage = -1;
    }

    private Stage1Walk guestWalk(long va) {
        return cpu.mmu.walkEl10(walk, va, reg[SCTLR], reg[TCR], reg[TTBR0], reg[TTBR1], this::readDescriptor);
    }

    private long readDescriptor(long ipa) {
        if (ShadowStage1.hidden(ipa)) throw new IllegalArgumentException("not guest RAM");
        return v.vm().readGuest64(ipa);
    }

    /**
     * A stage 1 fault at real EL0: if the guest's own tables allow the access at the virtual EL, copies the
     * page's mapping into the shadow (returns -1: retry); else returns the fault the guest's tables give.
     */
    private int fill(long va, boolean exec, boolean write) {
        Stage1Walk w = guestWalk(va);
        if (w.fault()) return w.fault;
        int level = w.flat ? 0 : w.level;
        if (!w.flat && !w.accessFlag()) return Esr.FSC_ACCESS_FLAG | level;
        if (ShadowStage1.hidden(w.outputAddress)) return Esr.FSC_TRANSLATION | level;
        boolean r, wr, x;
        long attrs;
        if (w.flat) {
            r = wr = x = true;
            attrs = 3L << 8; // MAIR attribute 0, inner shareable
        } else {
            boolean wxn = (reg[SCTLR] & SystemRegisters.SCTLR_WXN) != 0;
            boolean userR = w.el0Access(), userW = userR && !w.readOnly();
            if (el == 1) {
                r = true;
                wr = !w.readOnly();
                x = !w.pxn() && !userW && !(wxn && wr);
            } else {
                r = userR;
                wr = userW;
                x = !w.uxn() && !(wxn && userW);
            }
            attrs = w.descriptor & (7L << 2 | 3L << 8);
        }
        if (exec ? !x : write ? !wr : !r) return Esr.FSC_PERMISSION | level;
        long page = va >>> 12;
        if (page == lastFillPage && ++sameFills > 4)
            throw new IllegalStateException("shadow fill makes no progress at VA 0x" + Long.toHexString(va));
        if (page != lastFillPage) sameFills = 0;
        lastFillPage = page;
        attrs |= (r ? ShadowStage1.AP_EL0 : 0) | (wr ? 0 : ShadowStage1.AP_RO) | (x ? 0 : ShadowStage1.UXN) | ShadowStage1.PXN;
        try {
            shadow.map(el == 1 ? ShadowStage1.KERNEL : ShadowStage1.USER, va, w.outputAddress, attrs);
        } catch (Stage2MemoryExhausted full) { // the table region is shared with stage 2: start the shadow afresh
            flushShadow();
            shadow.map(el == 1 ? ShadowStage1.KERNEL : ShadowStage1.USER, va, w.outputAddress, attrs);
        }
        stats.shadowFills++;
        return -1;
    }

    // ---- emulation of the virtual EL1's privileged instructions ------------------------------------------

    /** An UNDEFINED instruction at the virtual EL1: decoded with the processor's decoder, emulated or delivered. */
    private long emulate(long elr) {
        int insn = fetch(elr);
        String name = Decoder.nameOf(insn);
        int rt = insn & 31;
        int sysKey = (insn >>> 5) & 0xffff; // op0:op1:CRn:CRm:op2 of MRS, MSR and SYS
        switch (name) {
            case "MRS", "MSR (register)" -> {
                stats.cpuTraps++;
                return sysRegister(sysKey, rt, name.equals("MRS"), elr);
            }
            case "MSR (immediate)" -> {
                stats.cpuTraps++;
                return pstateField((insn >>> 16) & 7, (insn >>> 8) & 15, (insn >>> 5) & 7, elr);
            }
            case "SYS" -> {
                stats.cpuTraps++;
                return sysOperation(sysKey, rt, elr);
            }
            case "ERET" -> {
                stats.cpuTraps++;
                stats.emulated(TrapStats.ERET);
                return eret(elr);
            }
            case "HVC", "SMC" -> {
                stats.cpuTraps++;
                stats.emulated(name.equals("HVC") ? TrapStats.HVC : TrapStats.SMC);
                int outcome = ExitHandlers.serviceCall(v, (insn >>> 5) & 0xffff, name.equals("SMC"), ExitHandlers.RESUME);
                if ((outcome & ExitHandlers.EXIT) != 0) {
                    exit = v.pendingExit;
                    v.pendingExit = null;
                }
                return elr + 4;
            }
            case "STTR", "LDTR", "LDTRS (64-bit)", "LDTRS (32-bit)" -> {
                stats.cpuTraps++;
                stats.emulated(java.util.Arrays.asList(TrapStats.OTHERS).indexOf(name));
                return unprivileged(insn, elr);
            }
            default -> {
                return undefined(elr);
            }
        }
    }

    /** The instruction word at {@code va}, through the translation the processor fetched it with. */
    private int fetch(long va) {
        long ipa = cpu.mmu.debugTranslate(va, 0);
        if (ipa == org.jvisor.cpu.Mmu.FAULT) return 0;
        byte[] b = v.vm().readGuest(ipa, 4);
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }

    /** MRS ({@code read}) or MSR of the register at {@code key} from the virtual EL1. */
    private long sysRegister(int key, int rt, boolean read, long elr) {
        if (key >>> 14 == 0) { // MSR DAIFSet/DAIFClr trapped by SCTLR_EL1.UMA (EC 0x18 names it op0 0)
            return pstateField((key >>> 11) & 7, (key >>> 3) & 15, key & 7, elr);
        }
        stats.emulated(key, read);
        for (int i = 0; i < KEYS.length; i++) {
            if (KEYS[i] != key) continue;
            if (read) cpu.setX(rt, reg[i]);
            else writeRegister(i, cpu.x[rt]);
            return elr + 4;
        }
        if (key == KEY_SP_EL0) {
            boolean live = !(el == 1 && spSel == 1);
            if (read) cpu.setX(rt, live ? cpu.getSpEl(0) : spEl0);
            else if (live) cpu.setSpEl(0, cpu.x[rt]);
            else spEl0 = cpu.x[rt];
        } else if (key == KEY_SPSEL) {
            if (read) cpu.setX(rt, spSel);
            else setVirtualEl(el, (int) cpu.x[rt] & 1);
        } else if (key == KEY_CURRENT_EL) {
            if (!read) return undefined(elr);
            cpu.setX(rt, (long) el << 2);
        } else if (key == KEY_DAIF) {
            if (read) cpu.setX(rt, daif);
            else daif = (int) (cpu.x[rt] & DAIF_ALL);
        } else if (key == KEY_PAN && cpu.features.pan) {
            if (read) cpu.setX(rt, pan ? 1L << 22 : 0);
            else pan = (cpu.x[rt] & (1L << 22)) != 0;
        } else {
            // Everything else is the processor's own register, accessed at the real EL1 as the guest's EL1 would.
            try {
                if (!atRealEl1(() -> SysRegTable.accessForGuest(cpu, key, rt, read))) return undefined(elr);
            } catch (IllegalArgumentException unallocated) {
                return undefined(elr);
            }
        }
        return elr + 4;
    }

    /**
     * Performs a register access or SYS operation at the real EL1 for the guest. True when it completed, also
     * when the hypervisor's own trap configuration (HCR_EL2.TSW, TACR, --trap levels...) took it to EL2 and
     * the EL2 exit handlers emulated it as for a guest at EL1; false when it raised an exception the guest
     * takes (an UNDEFINED register...). The processor is back at the real EL1 either way.
     */
    private boolean atRealEl1(java.util.function.BooleanSupplier op) {
        SystemRegisters s = cpu.sr;
        long sentinel = s.esr[1] = Long.MIN_VALUE; // the saved ESR_EL1 is in handle()'s locals
        if (op.getAsBoolean()) return true;
        if (cpu.currentEl() != 2) return false;
        VcpuExit e = ExitHandlers.handle(v);
        if (e != null) exit = e;
        if (cpu.currentEl() != 1) throw new IllegalStateException("EL" + cpu.currentEl() + " after an EL2 exit of an emulated access");
        return s.esr[1] == sentinel; // an EL2 handler that injected an exception into EL1 wrote its syndrome
    }

    /** MSR of a virtual register, with the write mask the processor's own register has. */
    private void writeRegister(int i, long value) {
        String name = NAMES[i];
        long real = SysRegTable.read(cpu, name);
        SysRegTable.write(cpu, name, value);
        reg[i] = SysRegTable.read(cpu, name);
        SysRegTable.write(cpu, name, real);
        switch (i) {
            case SCTLR, TTBR0, TTBR1, TCR, MAIR -> {
                flushShadow();
                dirty = true;
            }
            case CNTKCTL, CPACR -> dirty = true;
            default -> { }
        }
    }

    /** MSR (immediate) of a PSTATE field: DAIFSet, DAIFClr, SPSel, PAN. */
    private long pstateField(int op1, int crm, int op2, long elr) {
        switch (op1 << 3 | op2) {
            case 0x1e -> {
                stats.emulated(TrapStats.MSR_DAIFSET);
                daif |= crm << 6;
            }
            case 0x1f -> {
                stats.emulated(TrapStats.MSR_DAIFCLR);
                daif &= ~(crm << 6);
            }
            case 0x05 -> {
                stats.emulated(TrapStats.MSR_SPSEL);
                setVirtualEl(el, crm & 1);
            }
            case 0x04 -> {
                if (!cpu.features.pan) return undefined(elr);
                stats.emulated(TrapStats.MSR_PAN);
                pan = (crm & 1) != 0;
            }
            default -> {
                return undefined(elr);
            }
        }
        return elr + 4;
    }

    /** SYS from the virtual EL1: TLBI drops the shadow, AT walks the guest's tables, the rest run at real EL1. */
    private long sysOperation(int key, int rt, long elr) {
        String name = SysRegTable.nameAt(key);
        if (name == null) return undefined(elr);
        stats.emulated(key, false);
        if (name.startsWith("TLBI ")) {
            flushShadow();
        } else if (name.equals("AT S1E1R") || name.equals("AT S1E1W") || name.equals("AT S1E0R") || name.equals("AT S1E0W")) {
            reg[PAR] = addressTranslate(cpu.x[rt], name.endsWith("W"), name.startsWith("AT S1E0"));
        } else if (name.equals("DC IVAC")) {
            // No caches to invalidate: the operation has no effect the guest can see (its permission check aside).
        } else {
            try {
                if (!atRealEl1(() -> SysRegTable.performForGuest(cpu, key, cpu.x[rt]))) return undefined(elr);
            } catch (IllegalArgumentException unallocated) {
                return undefined(elr);
            }
        }
        return elr + 4;
    }

    /** AT S1E1R/W, S1E0R/W on the guest's tables: PAR_EL1 as the processor's AT gives it ({@link org.jvisor.cpu.Mmu#at}). */
    private long addressTranslate(long va, boolean write, boolean el0) {
        Stage1Walk w = guestWalk(va);
        int fault = w.fault;
        if (fault < 0 && !w.flat) {
            boolean r = !el0 || w.el0Access();
            boolean wr = r && !w.readOnly();
            if (!w.accessFlag()) fault = Esr.FSC_ACCESS_FLAG | w.level;
            else if (write ? !wr : !r) fault = Esr.FSC_PERMISSION | w.level;
        }
        if (fault >= 0) return 1L | (long) (fault & 0x3f) << 1 | 1L << 11;
        int attr = w.flat ? 0 : (int) (reg[MAIR] >>> (8 * w.attrIndex())) & 0xff;
        int sh = w.flat ? 0 : (int) (w.descriptor >>> 8) & 3;
        int shareability = (attr & 0xf0) == 0 || attr == 0x44 ? 2 : sh;
        return (w.outputAddress & 0x0000_ffff_ffff_f000L) | (long) attr << 56 | (long) shareability << 7 | 1L << 9 | 1L << 11;
    }

    /** ERET from the virtual EL1: virtual PSTATE from the virtual SPSR, PC from the virtual ELR. */
    private long eret(long elr) {
        loopWatch.exceptionReturned();
        long spsr = reg[SPSR];
        int newEl = (int) (spsr >>> 2) & 3;
        if (newEl > 1 || (spsr & 0x10) != 0 || (newEl == 0 && (spsr & 1) != 0)) return undefined(elr); // an illegal return
        nzcv = spsr & 0xf000_0000L;
        daif = (int) (spsr & DAIF_ALL);
        pan = (spsr & (1L << 22)) != 0;
        setVirtualEl(newEl, newEl == 1 ? (int) spsr & 1 : 0);
        return reg[ELR];
    }

    /**
     * LDTR/STTR from the virtual EL1: the access with the virtual EL0's permissions, on guest memory (both
     * pages of an unaligned access that crosses a page boundary, each checked before any byte is written).
     */
    private long unprivileged(int insn, long elr) {
        if (!access.decode(insn)) return undefined(elr);
        long base = access.rn() == 31 ? cpu.getSpEl(0) : cpu.x[access.rn()];
        long va = base + access.offset();
        boolean store = !access.load();
        int size = access.size();
        long second = (va | 0xfff) + 1; // the next page, if the access reaches it
        boolean crosses = (va & 0xfff) + size > 0x1000;
        long ipa0 = el0Translate(va, store);
        long ipa1 = ipa0 >= 0 && crosses ? el0Translate(second, store) : 0;
        if (ipa0 < 0 || ipa1 < 0) {
            int iss = el0Fault | (store ? Esr.ISS_WNR : 0);
            return deliverSync(Esr.EC_DABT_CUR, Esr.encode(Esr.EC_DABT_CUR, iss), ipa0 < 0 ? va : second, elr, true);
        }
        int firstPart = crosses ? (int) (second - va) : size;
        if (store) {
            long value = cpu.x[access.rt()];
            byte[] b = new byte[size];
            for (int i = 0; i < size; i++) b[i] = (byte) (value >>> (8 * i));
            v.vm().writeGuest(ipa0, b, 0, firstPart);
            if (crosses) v.vm().writeGuest(ipa1, b, firstPart, size - firstPart);
        } else {
            byte[] b = new byte[size];
            v.vm().readGuest(ipa0, b, 0, firstPart);
            if (crosses) v.vm().readGuest(ipa1, b, firstPart, size - firstPart);
            long value = 0;
            for (int i = 0; i < size; i++) value |= (b[i] & 0xffL) << (8 * i);
            if (access.signed() && size < 8) value = value << (64 - 8 * size) >> (64 - 8 * size);
            if (!access.wide()) value &= 0xffff_ffffL;
            cpu.setX(access.rt(), value);
        }
        return elr + 4;
    }

    /** The fault status of the last failed {@link #el0Translate}. */
    private int el0Fault;

    /**
     * The IPA an EL0 access to {@code va} reaches through the guest's tables, or -1 ({@link #el0Fault} says
     * why). An address that is not guest RAM (MMIO) gives an external abort: unprivileged device accesses
     * are not emulated.
     */
    private long el0Translate(long va, boolean store) {
        Stage1Walk w = guestWalk(va);
        int fault = w.fault;
        if (fault < 0 && !w.flat) {
            boolean r = w.el0Access(), wr = r && !w.readOnly();
            if (!w.accessFlag()) fault = Esr.FSC_ACCESS_FLAG | w.level;
            else if (store ? !wr : !r) fault = Esr.FSC_PERMISSION | w.level;
        }
        if (fault < 0 && (ShadowStage1.hidden(w.outputAddress) || v.vm().slotAt(w.outputAddress) == null))
            fault = Esr.FSC_SYNC_EXTERNAL;
        el0Fault = fault;
        return fault >= 0 ? -1 : w.outputAddress;
    }

    /** Shadow table pages in use (for tests and monitors). */
    int shadowTablePages() { return shadow.tablePages(); }
}
