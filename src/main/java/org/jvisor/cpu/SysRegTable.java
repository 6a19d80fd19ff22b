package org.jvisor.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The system register space: every register (and SYS operation) that a class of the processor
 * contributes, sorted by encoding, with a direct index by the 16-bit op0:op1:CRn:CRm:op2 key of
 * MRS/MSR/SYS. It checks an access against the register's rule ({@link #checkAccess}: undefined, trapped
 * to EL1 by an EL0 enable, or trapped to EL2) and dispatches reads and writes to the owning class with a
 * static switch, as {@link Executor} dispatches instructions.
 *
 * <p>To contribute registers (FPCR/FPSR, GIC system registers...): give the owning class a
 * {@code static final SysReg[] REGISTERS} with a local id per register and read/write methods switching
 * on that id, then add an OWNER_ constant, one {@code add(...)} line below and one case to {@link #read}
 * and {@link #write}. The access rule goes in the descriptor; {@code SysRegTableTest} checks every
 * encoding against the GNU assembler.
 */
public final class SysRegTable {
    static final int OWNER_CONTROL = 1, OWNER_ID = 2, OWNER_TIMER = 3, OWNER_PMU = 4, OWNER_DEBUG = 5, OWNER_OPS = 6, OWNER_FP = 7, OWNER_GIC = 8;

    // MDCR_EL2 bits (public: a hypervisor sets the traps)
    public static final long MDCR_HPMN = 0x1fL, MDCR_TPMCR = 1L << 5, MDCR_TPM = 1L << 6, MDCR_HPME = 1L << 7,
            MDCR_TDE = 1L << 8, MDCR_TDA = 1L << 9, MDCR_TDOSA = 1L << 10, MDCR_TDRA = 1L << 11;
    // CPTR_EL2 bits (HCR_EL2.E2H == 0 layout)
    public static final long CPTR_TFP = 1L << 10, CPTR_TTA = 1L << 20, CPTR_TCPAC = 1L << 31;
    // CNTHCTL_EL2 (E2H == 0) and CNTKCTL_EL1 bits
    public static final long CNTHCTL_EL1PCTEN = 1, CNTHCTL_EL1PCEN = 2;
    static final long CNTKCTL_EL0PCTEN = 1, CNTKCTL_EL0VCTEN = 2, CNTKCTL_EL0VTEN = 1 << 8, CNTKCTL_EL0PTEN = 1 << 9;

    /** All registers, sorted by encoding. */
    static final SysReg[] ALL;
    private static final SysReg[] BY_KEY = new SysReg[1 << 16];
    /** By upper-case name, for the host-side accesses by name (tools read hundreds per snapshot). */
    private static final java.util.Map<String, SysReg> BY_NAME = new java.util.HashMap<>();

    static {
        List<SysReg> all = new ArrayList<>();
        add(all, OWNER_CONTROL, ControlRegisters.REGISTERS);
        add(all, OWNER_ID, IdRegisters.REGISTERS);
        add(all, OWNER_TIMER, GenericTimer.REGISTERS);
        add(all, OWNER_PMU, Pmu.REGISTERS);
        add(all, OWNER_DEBUG, DebugSysRegs.REGISTERS);
        add(all, OWNER_OPS, SystemOperations.REGISTERS);
        add(all, OWNER_FP, FpRegisters.REGISTERS);
        add(all, OWNER_GIC, GicSysRegs.REGISTERS);
        all.sort(Comparator.comparingInt((SysReg r) -> r.key));
        for (SysReg r : all) {
            if (BY_KEY[r.key] != null) throw new IllegalStateException("two registers at " + r + ": " + BY_KEY[r.key].name);
            BY_KEY[r.key] = r;
            BY_NAME.put(r.name.toUpperCase(java.util.Locale.ROOT), r);
        }
        ALL = all.toArray(new SysReg[0]);
        for (int i = 0; i < ALL.length; i++) ALL[i].index = i;
    }

    private SysRegTable() {}

    private static void add(List<SysReg> all, int owner, SysReg[] regs) {
        for (SysReg r : regs) {
            r.owner = owner;
            all.add(r);
        }
    }

    /** The register at op0:op1:CRn:CRm:op2 (bits [20:5] of the instruction), or null if unallocated. */
    static SysReg lookup(int key) { return BY_KEY[key & 0xffff]; }

    static SysReg byName(String name) {
        return BY_NAME.get(name.toUpperCase(java.util.Locale.ROOT));
    }

    /**
     * The name of the register at op0:op1:CRn:CRm:op2 (the key of an EC 0x18 syndrome), or null if the
     * encoding is unallocated: lets a hypervisor emulate a trapped access by name.
     */
    public static String nameAt(int key) {
        SysReg r = lookup(key);
        return r == null ? null : r.name;
    }

    /**
     * One entry of the table as tools see it (read-only): its name, its encoding, whether MRS may read it and
     * MSR write it (or, for a SYS operation, {@code operation} and writable), as the processor decodes it. Who
     * may access it from which EL is deliberately not here: {@code jvisor classify} finds that out by executing.
     */
    public record Entry(String name, int op0, int op1, int crn, int crm, int op2, boolean readable, boolean writable,
            boolean operation) {
        /** op0:op1:CRn:CRm:op2, bits [20:5] of the MRS/MSR/SYS instruction. */
        public int key() { return SysReg.key(op0, op1, crn, crm, op2); }
    }

    /** Every register and SYS operation, in encoding order. */
    public static List<Entry> entries() {
        return Arrays.stream(ALL).map(r -> new Entry(r.name, r.op0(), r.op1(), r.crn(), r.crm(), r.op2(), r.readable,
                r.writable, r.owner == OWNER_OPS)).toList();
    }

    /** How many registers and operations there are: {@link #indexAt} is below it. */
    public static int count() { return ALL.length; }

    /** The register at {@code key}'s position in encoding order (for a counter per register), or -1 if unallocated. */
    public static int indexAt(int key) {
        SysReg r = lookup(key);
        return r == null ? -1 : r.index;
    }

    /** The name of the register at position {@code index} of {@link #indexAt}. */
    public static String nameOfIndex(int index) { return ALL[index].name; }

    /** The names of every register, in encoding order (for tools and documentation). */
    public static List<String> names() {
        return Arrays.stream(ALL).map(r -> r.name).toList();
    }

    /**
     * Reads a register by name from the host side (the hypervisor, debuggers, tests): no access checks,
     * no traps. Throws IllegalArgumentException for unknown names (host error, not guest behaviour).
     */
    public static long read(Cpu cpu, String name) {
        SysReg r = byName(name);
        if (r == null || !r.readable) throw new IllegalArgumentException("no readable register " + name);
        return read(cpu, r);
    }

    /** Writes a register by name from the host side, with the register's RES0/RES1 masking. */
    public static void write(Cpu cpu, String name, long value) {
        SysReg r = byName(name);
        if (r == null || !r.writable || r.owner == OWNER_OPS) throw new IllegalArgumentException("no writable register " + name);
        write(cpu, r, value);
    }

    /** The register's value as seen by the current EL (for example MIDR_EL1 at EL1 is VPIDR_EL2). */
    static long read(Cpu cpu, SysReg r) {
        return switch (r.owner) {
            case OWNER_CONTROL -> ControlRegisters.read(cpu, r.id);
            case OWNER_ID -> IdRegisters.read(cpu, r.id);
            case OWNER_TIMER -> cpu.timer.read(r.id);
            case OWNER_PMU -> cpu.pmu.read(r.id);
            case OWNER_DEBUG -> DebugSysRegs.read(cpu, r.id);
            case OWNER_FP -> FpRegisters.read(cpu, r.id);
            case OWNER_GIC -> GicSysRegs.read(cpu, r.id);
            default -> throw new IllegalStateException(r.name);
        };
    }

    /** Writes {@code value} with the register's write mask and RES1 bits applied. */
    static void write(Cpu cpu, SysReg r, long value) {
        long v = (value & r.writeMask) | r.res1;
        switch (r.owner) {
            case OWNER_CONTROL -> ControlRegisters.write(cpu, r.id, v);
            case OWNER_ID -> IdRegisters.write(cpu, r.id, v);
            case OWNER_TIMER -> cpu.timer.write(r.id, v);
            case OWNER_PMU -> cpu.pmu.write(r.id, v);
            case OWNER_DEBUG -> DebugSysRegs.write(cpu, r.id, v);
            case OWNER_OPS -> SystemOperations.execute(cpu, r.id, value);
            case OWNER_FP -> FpRegisters.write(cpu, r.id, v);
            case OWNER_GIC -> GicSysRegs.write(cpu, r.id, v);
            default -> throw new IllegalStateException(r.name);
        }
    }

    /**
     * Performs the SYS operation (DC, IC, TLBI, AT) at {@code key} with operand {@code xt} for a guest whose
     * access a hypervisor trapped (HCR_EL2.TTLB, TPCP, TPU...), as if it had not been trapped. Call it after
     * returning to the guest's EL with PC at the instruction. True when it completed: the caller then moves
     * the PC past it. False when it raised a fault, taken as the architecture says (to EL1, or to EL2,
     * ending in EL2 for the caller to handle like any other trap: check {@link Cpu#currentEl()}).
     */
    public static boolean performForGuest(Cpu cpu, int key, long xt) {
        SysReg r = lookup(key);
        if (r == null || r.owner != OWNER_OPS) throw new IllegalArgumentException("no SYS operation at " + key);
        cpu.insnPc = cpu.pc;
        try {
            SystemOperations.execute(cpu, r.id, xt);
            return true;
        } catch (ExceptionTaken e) {
            return false; // the fault is taken: the guest (or the hypervisor, at EL2) continues at its vector
        }
    }

    /**
     * Performs the MRS ({@code read}: into X{@code rt}) or MSR (from X{@code rt}) of the register at {@code key}
     * for a guest whose access a hypervisor trapped (HCR_EL2.TVM, TID3, MDCR_EL2.TDA...), as the guest's EL
     * would have without the trap; call it as {@link #performForGuest}. True when it completed; false when the
     * access raised an exception (an unimplemented PMU counter is UNDEFINED at EL1...), taken as the
     * architecture says. IllegalArgumentException for an unallocated encoding or a read-only register written.
     */
    public static boolean accessForGuest(Cpu cpu, int key, int rt, boolean read) {
        SysReg r = lookup(key);
        if (r == null || r.owner == OWNER_OPS || (read ? !r.readable : !r.writable))
            throw new IllegalArgumentException("no register to " + (read ? "read" : "write") + " at " + key);
        cpu.insnPc = cpu.pc;
        try {
            if (read) cpu.setX(rt, read(cpu, r));
            else write(cpu, r, cpu.x[rt]);
            return true;
        } catch (ExceptionTaken e) {
            return false;
        }
    }

    /** Puts every register that has an architectural (or chosen) reset value to it. */
    static void reset(Cpu cpu) {
        for (SysReg r : ALL) if (r.hasReset) write(cpu, r, r.reset);
        IdRegisters.reset(cpu);
        cpu.timer.reset();
        cpu.pmu.reset();
    }

    /** The ISS of EC 0x18 for an access to the register at {@code key}. */
    static int syndrome(int key, int rt, boolean read) {
        return Esr.sysRegSyndrome(key >>> 14, (key >>> 11) & 7, (key >>> 7) & 15, (key >>> 3) & 15, key & 7, rt, read);
    }

    /** The key ({@link #nameAt}) of the register an EC 0x18 syndrome names. */
    public static int keyOf(long esr) {
        return SysReg.key(Esr.sysOp0(esr), Esr.sysOp1(esr), Esr.sysCrn(esr), Esr.sysCrm(esr), Esr.sysOp2(esr));
    }

    /**
     * Raises what an access to an unallocated encoding raises: Undefined Instruction, except that
     * HCR_EL2.TIDCP traps accesses to the IMPLEMENTATION DEFINED space (op0 3, CRn 11 or 15) to EL2: from
     * EL1, and (an IMPLEMENTATION DEFINED choice the architecture allows) from EL0 too.
     */
    static ExceptionTaken unallocated(Cpu cpu, int key, int rt, boolean read) {
        int op0 = key >>> 14, crn = (key >>> 7) & 15;
        if (op0 == 3 && (crn == 11 || crn == 15) && cpu.currentEl() < 2
                && (cpu.sr.hcrEl2 & SystemRegisters.HCR_TIDCP) != 0)
            return cpu.trapToEl2(Esr.EC_SYS64, syndrome(key, rt, read));
        return cpu.undefined();
    }

    /**
     * Checks an MRS ({@code read}), MSR or SYS access from the current EL, in the priority order of the
     * Arm ARM's access pseudocode: no such access (undefined), EL too low (undefined), an EL0 enable in an
     * EL1 control (trap to EL1, or EL2 under HCR_EL2.TGE), then the EL2 trap controls.
     */
    static void checkAccess(Cpu cpu, SysReg r, int rt, boolean read) {
        if (read ? !r.readable : !r.writable) throw cpu.undefined();
        if (r.feature != SysReg.FEAT_NONE && !hasFeature(cpu, r.feature)) throw cpu.undefined();
        int el = cpu.currentEl();
        if (el == 2) {
            if (r.fp) cpu.checkFpEnabled();
            return;
        }
        if (r.minEl > el || (!read && r.writeMinEl > el)) throw cpu.undefined();
        if (el == 0) {
            if (!read && r.el0ReadOnly) throw cpu.undefined();
            if (!el0Enabled(cpu, r.el0, read)) {
                int target = (cpu.sr.hcrEl2 & SystemRegisters.HCR_TGE) != 0 ? 2 : 1;
                throw cpu.syncException(target, Esr.EC_SYS64, syndrome(r.key, rt, read));
            }
        }
        if (el2Traps(cpu, r, read)) throw cpu.trapToEl2(Esr.EC_SYS64, syndrome(r.key, rt, read));
        if (r.fp) cpu.checkFpEnabled();
    }

    private static boolean el2Traps(Cpu cpu, SysReg r, boolean read) {
        SystemRegisters s = cpu.sr;
        if ((s.hcrEl2 & (read ? r.hcrRead : r.hcrWrite)) != 0) return true;
        if (r.mdcr != 0 && (effectiveMdcr(cpu) & r.mdcr) != 0) return true;
        if (r.cptr != 0 && cpu.currentEl() == 1 && (s.cptrEl2 & r.cptr) != 0) return true;
        if (r.ichHcr != 0 && (cpu.gicVirtualInterface().hcr & r.ichHcr) != 0) return true;
        return r.cnthctl != 0 && (s.cnthctlEl2 & r.cnthctl) != r.cnthctl;
    }

    /** MDCR_EL2 with TDE (or HCR_EL2.TGE) implying TDA, TDOSA and TDRA, as the architecture says. */
    static long effectiveMdcr(Cpu cpu) {
        long m = cpu.sr.mdcrEl2;
        if ((m & MDCR_TDE) != 0 || (cpu.sr.hcrEl2 & SystemRegisters.HCR_TGE) != 0) m |= MDCR_TDA | MDCR_TDOSA | MDCR_TDRA;
        return m;
    }

    static boolean hasFeature(Cpu cpu, int feature) {
        return switch (feature) {
            case SysReg.FEAT_PAN -> cpu.features.pan;
            case SysReg.FEAT_GIC -> cpu.gicCpuInterface() != null;
            default -> false; // FEAT_DPB (DC CVAP) is not in the ARMv8.0 profile
        };
    }

    private static boolean el0Enabled(Cpu cpu, int rule, boolean read) {
        long sctlr = cpu.sr.sctlr[1], k = cpu.sr.cntkctlEl1, u = cpu.pmu.userenr;
        return switch (rule) {
            case SysReg.EL0_ALWAYS -> true;
            case SysReg.EL0_UCT -> (sctlr & SystemRegisters.SCTLR_UCT) != 0;
            case SysReg.EL0_UMA -> (sctlr & SystemRegisters.SCTLR_UMA) != 0;
            case SysReg.EL0_DZE -> (sctlr & SystemRegisters.SCTLR_DZE) != 0;
            case SysReg.EL0_UCI -> (sctlr & SystemRegisters.SCTLR_UCI) != 0;
            case SysReg.EL0_PMU -> (u & Pmu.USERENR_EN) != 0;
            case SysReg.EL0_PMU_SW -> (u & (Pmu.USERENR_EN | Pmu.USERENR_SW)) != 0;
            case SysReg.EL0_PMU_CR -> (u & Pmu.USERENR_EN) != 0 || (read && (u & Pmu.USERENR_CR) != 0);
            case SysReg.EL0_PMU_ER -> (u & Pmu.USERENR_EN) != 0 || (read && (u & Pmu.USERENR_ER) != 0);
            case SysReg.EL0_PMU_SEL -> (u & (Pmu.USERENR_EN | Pmu.USERENR_ER)) != 0;
            case SysReg.EL0_CNT_FRQ -> (k & (CNTKCTL_EL0PCTEN | CNTKCTL_EL0VCTEN)) != 0;
            case SysReg.EL0_CNT_PCT -> (k & CNTKCTL_EL0PCTEN) != 0;
            case SysReg.EL0_CNT_VCT -> (k & CNTKCTL_EL0VCTEN) != 0;
            case SysReg.EL0_CNT_PT -> (k & CNTKCTL_EL0PTEN) != 0;
            case SysReg.EL0_CNT_VT -> (k & CNTKCTL_EL0VTEN) != 0;
            case SysReg.EL0_TDCC -> (cpu.dbg.mdscr & (1L << 12)) == 0;
            default -> false;
        };
    }
}
