package org.jvisor.hyp;

import static org.jvisor.cpu.SystemRegisters.*;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;
import org.jvisor.cpu.SysRegTable;

/**
 * What a guest traps to the hypervisor: the HCR_EL2, MDCR_EL2, CPTR_EL2 and CNTHCTL_EL2 controls its
 * vCPUs run with, in one place. The default is the set KVM/arm64 gives its guests (HCR_GUEST_FLAGS): stage
 * 2 on, physical interrupts routed to EL2, WFI, SMC, implementation-defined registers, ACTLR and set/way
 * cache maintenance trapped, barriers upgraded to inner shareable, virtual memory controls (TVM/TRVM) not
 * trapped. Change it at any time, from any thread (each vCPU applies it at its next entry into the guest;
 * kick a running one to make that soon), e.g. {@code vm.trapConfig().set(HCR_TVM)} to see every write to
 * the MMU registers, or {@code vm.trapConfig().traps(TrapConfig.ALL)} for every trap the processor has.
 * Whatever is trapped, the hypervisor emulates it for the guest (see {@link ExitHandlers}).
 */
public final class TrapConfig {
    /** KVM's HCR_GUEST_FLAGS for an AArch64 guest, without the features this processor lacks. */
    public static final long KVM_DEFAULT = HCR_VM | HCR_SWIO | HCR_PTW | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB
            | (1L << 10) /* BSU=inner shareable */ | HCR_TWI | HCR_TSC | HCR_TIDCP | HCR_TACR | HCR_TSW | HCR_RW;

    /** What no setting drops: stage 2, and physical interrupts, SErrors and FIQs routed to the hypervisor. */
    static final long HCR_ALWAYS = HCR_VM | HCR_FMO | HCR_IMO | HCR_AMO | HCR_RW;

    /** The register a trap control lives in. */
    public enum Register { HCR_EL2, MDCR_EL2, CPTR_EL2, CNTHCTL_EL2 }

    /**
     * Every control of this processor that makes a guest at EL1/EL0 trap to EL2, by its Arm ARM name, with
     * what it traps. Left out: HCR_EL2.TGE and MDCR_EL2.TDE (they route the guest's own exceptions to EL2,
     * which a hypervisor must then re-deliver one by one, rather than trap an instruction), CPTR_EL2.TTA
     * (there are no trace registers to trap), HSTR_EL2 (AArch32 only), and HCR_EL2.TERR/TEA (no RAS).
     */
    public enum Trap {
        TWI(Register.HCR_EL2, HCR_TWI, "WFI"),
        TWE(Register.HCR_EL2, HCR_TWE, "WFE"),
        TID0(Register.HCR_EL2, HCR_TID0, "ID group 0 (AArch32's FPSID and JIDR: nothing for an AArch64 guest)"),
        TID1(Register.HCR_EL2, HCR_TID1, "ID group 1: REVIDR_EL1, AIDR_EL1"),
        TID2(Register.HCR_EL2, HCR_TID2, "ID group 2: CTR_EL0, CCSIDR_EL1, CLIDR_EL1, CSSELR_EL1"),
        TID3(Register.HCR_EL2, HCR_TID3, "ID group 3: the ID_AA64* and AArch32 feature registers"),
        TSC(Register.HCR_EL2, HCR_TSC, "SMC"),
        TIDCP(Register.HCR_EL2, HCR_TIDCP, "the IMPLEMENTATION DEFINED registers"),
        TACR(Register.HCR_EL2, HCR_TACR, "ACTLR_EL1"),
        TSW(Register.HCR_EL2, HCR_TSW, "data cache maintenance by set/way"),
        TPCP(Register.HCR_EL2, HCR_TPCP, "data cache maintenance to the point of coherency"),
        TPU(Register.HCR_EL2, HCR_TPU, "cache maintenance to the point of unification"),
        TTLB(Register.HCR_EL2, HCR_TTLB, "TLB maintenance (TLBI)"),
        TVM(Register.HCR_EL2, HCR_TVM, "writes of the virtual memory controls (SCTLR, TTBRn, TCR, MAIR...)"),
        TRVM(Register.HCR_EL2, HCR_TRVM, "reads of the virtual memory controls"),
        TDZ(Register.HCR_EL2, HCR_TDZ, "DC ZVA"),
        TPMCR(Register.MDCR_EL2, SysRegTable.MDCR_TPMCR, "PMCR_EL0"),
        TPM(Register.MDCR_EL2, SysRegTable.MDCR_TPM, "the performance monitor registers"),
        TDA(Register.MDCR_EL2, SysRegTable.MDCR_TDA, "the debug registers (breakpoints, watchpoints, MDSCR...)"),
        TDOSA(Register.MDCR_EL2, SysRegTable.MDCR_TDOSA, "the OS lock and OS double lock registers"),
        TDRA(Register.MDCR_EL2, SysRegTable.MDCR_TDRA, "the debug ROM address register"),
        TFP(Register.CPTR_EL2, SysRegTable.CPTR_TFP, "every FP and Advanced SIMD instruction"),
        TCPAC(Register.CPTR_EL2, SysRegTable.CPTR_TCPAC, "CPACR_EL1"),
        /** A trap when clear: CNTHCTL_EL2.EL1PCTEN. */
        EL1PCTEN(Register.CNTHCTL_EL2, SysRegTable.CNTHCTL_EL1PCTEN, "CNTPCT_EL0 (the physical count) when cleared"),
        /** A trap when clear: CNTHCTL_EL2.EL1PCEN. */
        EL1PCEN(Register.CNTHCTL_EL2, SysRegTable.CNTHCTL_EL1PCEN, "the physical timer (CNTP_*) when cleared");

        public final Register register;
        public final long bit;
        public final String traps;

        Trap(Register register, long bit, String traps) {
            this.register = register;
            this.bit = bit;
            this.traps = traps;
        }
    }

    /** KVM's set (HCR_GUEST_FLAGS): the default. */
    public static final Set<Trap> KVM = Set.copyOf(EnumSet.of(Trap.TWI, Trap.TSC, Trap.TIDCP, Trap.TACR, Trap.TSW));
    /** Every trap of {@link Trap}. */
    public static final Set<Trap> ALL = Set.copyOf(EnumSet.allOf(Trap.class));
    /** The fewest: the guest runs everything the processor lets it, and only interrupts and stage-2 faults exit. */
    public static final Set<Trap> MINIMAL = Set.of();

    private volatile long hcr = KVM_DEFAULT;
    /** The MDCR_EL2, CPTR_EL2 trap bits set, and CNTHCTL_EL2's EL1PCTEN/EL1PCEN cleared (as set bits here). */
    private volatile long mdcr, cptr, cnthctlClear;
    /**
     * Bumped by each {@link #traps(Set)}: a vCPU rewrites MDCR/CPTR/CNTHCTL only when it changed, so that a
     * host setting those registers itself (a debugger, lazy FP switching) is not undone at every entry.
     */
    private volatile int generation;

    public long hcr() { return hcr; }

    /** MDCR_EL2's trap bits (TPMCR, TPM, TDA, TDOSA, TDRA) to run the guest with. */
    public long mdcr() { return mdcr; }

    /** CPTR_EL2's trap bits (TFP, TCPAC) to run the guest with. */
    public long cptr() { return cptr; }

    /** CNTHCTL_EL2's EL1PCTEN and EL1PCEN bits to clear (trapping the physical counter and timer). */
    public long cnthctlClear() { return cnthctlClear; }

    int generation() { return generation; }

    /** Replaces the whole value (VM, the stage-2 enable, is always kept). */
    public TrapConfig hcr(long value) {
        hcr = value | HCR_VM;
        return this;
    }

    public synchronized TrapConfig set(long bits) { return hcr(hcr | bits); }

    public synchronized TrapConfig clear(long bits) { return hcr(hcr & ~bits); }

    /**
     * Runs the guest with exactly {@code traps} (and what no setting drops: stage 2, interrupt routing, and
     * KVM's SWIO/PTW/FB/BSU, which change how operations are performed, not what traps).
     */
    public synchronized TrapConfig traps(Set<Trap> traps) {
        long h = KVM_DEFAULT & ~trapBits(EnumSet.allOf(Trap.class), Register.HCR_EL2);
        hcr = h | HCR_ALWAYS | trapBits(traps, Register.HCR_EL2);
        mdcr = trapBits(traps, Register.MDCR_EL2);
        cptr = trapBits(traps, Register.CPTR_EL2);
        cnthctlClear = trapBits(traps, Register.CNTHCTL_EL2);
        generation++;
        return this;
    }

    /** The traps this configuration sets. */
    public Set<Trap> traps() {
        EnumSet<Trap> s = EnumSet.noneOf(Trap.class);
        for (Trap t : Trap.values()) {
            long v = switch (t.register) {
                case HCR_EL2 -> hcr;
                case MDCR_EL2 -> mdcr;
                case CPTR_EL2 -> cptr;
                case CNTHCTL_EL2 -> cnthctlClear;
            };
            if ((v & t.bit) != 0) s.add(t);
        }
        return s;
    }

    /** Writes HCR_EL2 and the MDCR_EL2, CPTR_EL2 and CNTHCTL_EL2 trap bits the guest runs with. */
    synchronized void saveState(StateWriter w) {
        w.tag("trap config");
        w.putLong(hcr).putLong(mdcr).putLong(cptr).putLong(cnthctlClear);
    }

    /**
     * Restores what {@link #saveState} wrote; each vCPU runs with this HCR_EL2 from its next entry. HCR_EL2
     * keeps stage 2 on (as {@link #hcr(long)} does), and the other registers hold only trap controls.
     */
    synchronized void restoreState(StateReader r) {
        r.tag("trap config");
        long h = r.getLong(), m = r.getLong(), c = r.getLong(), t = r.getLong();
        if ((h & HCR_VM) == 0) throw new StateException("trap configuration: stage 2 off (HCR_EL2.VM clear)");
        if ((m & ~controls(Register.MDCR_EL2)) != 0 || (c & ~controls(Register.CPTR_EL2)) != 0
                || (t & ~controls(Register.CNTHCTL_EL2)) != 0)
            throw new StateException("trap configuration: bits that are no trap control");
        hcr = h;
        mdcr = m;
        cptr = c;
        cnthctlClear = t;
        // generation stays: the restored vCPUs' MDCR/CPTR/CNTHCTL_EL2 already hold these bits as they ran
    }

    /** Every trap control's bits in {@code r}: what a vCPU rewrites there when the configuration changes. */
    static long controls(Register r) { return trapBits(ALL, r); }

    private static long trapBits(Set<Trap> traps, Register r) {
        long v = 0;
        for (Trap t : traps) if (t.register == r) v |= t.bit;
        return v;
    }

    /**
     * A set of traps from its spelling: a level ({@code minimal}, {@code kvm}, {@code all}), then any number
     * of {@code +NAME} or {@code -NAME} (a {@link Trap}, any case), comma-separated: {@code kvm,+TVM,+TRVM}.
     * IllegalArgumentException, with a message for a person, for anything else.
     */
    public static Set<Trap> parse(String spec) {
        String[] parts = spec.split(",", -1);
        EnumSet<Trap> s = switch (parts[0].toLowerCase(Locale.ROOT)) {
            case "minimal" -> EnumSet.noneOf(Trap.class);
            case "kvm" -> EnumSet.copyOf(KVM);
            case "all" -> EnumSet.allOf(Trap.class);
            default -> throw new IllegalArgumentException("'" + parts[0] + "' is not a trap level (minimal, kvm or all)");
        };
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
            if (p.length() < 2 || (p.charAt(0) != '+' && p.charAt(0) != '-'))
                throw new IllegalArgumentException("'" + p + "': +NAME or -NAME after the level, e.g. kvm,+TVM");
            Trap t;
            try {
                t = Trap.valueOf(p.substring(1).toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + p.substring(1) + "' is not a trap (" + names() + ")");
            }
            if (p.charAt(0) == '+') s.add(t);
            else s.remove(t);
        }
        return s;
    }

    /** Every trap's name, for messages and help. */
    public static String names() {
        StringBuilder b = new StringBuilder();
        for (Trap t : Trap.values()) b.append(b.isEmpty() ? "" : " ").append(t.name());
        return b.toString();
    }
}
