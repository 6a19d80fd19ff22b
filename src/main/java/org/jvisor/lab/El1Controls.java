package org.jvisor.lab;

import java.util.List;
import java.util.Locale;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.SysRegTable;
import org.jvisor.cpu.SystemRegisters;

/**
 * A setting of EL1's controls over what EL0 may do: the SCTLR_EL1 enables (UCI, UCT, DZE, UMA, nTWI, nTWE),
 * CNTKCTL_EL1's counter and timer enables, CPACR_EL1.FPEN, MDSCR_EL1.TDCC and PMUSERENR_EL0; and, where the
 * processor has FEAT_PAN, whether EL1 runs with PSTATE.PAN set (its own restriction, not an EL0 enable). Which A64
 * instructions are privileged depends on it, so {@code jvisor classify} classifies under each.
 *
 * @param sctlrEnables the SCTLR_EL1 bits among UCI, UCT, DZE, UMA, nTWI, nTWE that are set
 * @param cntkctl      CNTKCTL_EL1
 * @param fpen         CPACR_EL1.FPEN (0b11: no trap; 0b01: EL0 traps)
 * @param mdscr        MDSCR_EL1 (TDCC, bit 12, traps EL0's DCC accesses)
 * @param pmuserenr    PMUSERENR_EL0
 * @param pan          on a processor with FEAT_PAN: EL1 runs with PSTATE.PAN set and SCTLR_EL1.SPAN clear
 */
public record El1Controls(String name, String description, long sctlrEnables, long cntkctl, int fpen, long mdscr,
        long pmuserenr, boolean pan) {
    static final long TDCC = 1L << 12;
    static final long ALL_SCTLR_ENABLES = SystemRegisters.SCTLR_UCI | SystemRegisters.SCTLR_UCT | SystemRegisters.SCTLR_DZE
            | SystemRegisters.SCTLR_UMA | SystemRegisters.SCTLR_NTWI | SystemRegisters.SCTLR_NTWE;
    /**
     * The rest of SCTLR_EL1 as Linux sets it (INIT_SCTLR_EL1_MMU_ON): M, C, SA, SA0, SED, I, SPAN and the
     * RES1 bits; the same in every setting, so that settings differ in the EL0 enables only.
     */
    static final long SCTLR_BASE = SystemRegisters.SCTLR_M | SystemRegisters.SCTLR_C | SystemRegisters.SCTLR_SA
            | SystemRegisters.SCTLR_SA0 | SystemRegisters.SCTLR_SED | SystemRegisters.SCTLR_I | SystemRegisters.SCTLR_SPAN
            | 0x30500800L;

    /**
     * What arm64 Linux 6.1 programs: SCTLR_EL1 = INIT_SCTLR_EL1_MMU_ON (arch/arm64/include/asm/sysreg.h: DZE,
     * UCT, nTWE and UCI set; nTWI and UMA clear), CNTKCTL_EL1 with only EL0VCTEN among the access enables
     * (drivers/clocksource/arm_arch_timer.c, arch_counter_set_user_access, for the vDSO; its event stream bits
     * gate no access), CPACR_EL1.FPEN = 0b11 (FP/SIMD for EL0 and EL1), MDSCR_EL1.TDCC set and PMUSERENR_EL0
     * clear (__cpu_setup in arch/arm64/mm/proc.S); with FEAT_PAN, SCTLR_EL1.SPAN clear and PSTATE.PAN set
     * (cpu_enable_pan, arch/arm64/kernel/cpufeature.c).
     */
    public static final El1Controls LINUX = new El1Controls("linux", "arm64 Linux 6.1's settings",
            SystemRegisters.SCTLR_DZE | SystemRegisters.SCTLR_UCT | SystemRegisters.SCTLR_NTWE | SystemRegisters.SCTLR_UCI,
            2 /* EL0VCTEN */, 3, TDCC, 0, true);

    /** Every EL0 enable off: EL0 gets nothing EL1 can refuse it (and EL1 keeps PAN set, where there is PAN). */
    public static final El1Controls STRICTEST = new El1Controls("strictest", "every EL0 enable off", 0, 0, 1, TDCC, 0, true);

    /** Every EL0 enable on: EL0 gets everything EL1 can give it (PMU access included). */
    public static final El1Controls PERMISSIVE = new El1Controls("permissive", "every EL0 enable on", ALL_SCTLR_ENABLES,
            0x303 /* EL0PTEN, EL0VTEN, EL0VCTEN, EL0PCTEN */, 3, 0, 0xf /* EN, SW, CR, ER */, false);

    public static final List<El1Controls> ALL = List.of(LINUX, STRICTEST, PERMISSIVE);

    /** The setting called {@code name} (any case); IllegalArgumentException naming the choices otherwise. */
    public static El1Controls byName(String name) {
        for (El1Controls c : ALL) if (c.name.equals(name.toLowerCase(Locale.ROOT))) return c;
        throw new IllegalArgumentException("no setting '" + name + "' (choose from "
                + String.join(", ", ALL.stream().map(El1Controls::name).toList()) + ")");
    }

    /** Programs the controls, from the host side, into a processor. */
    void apply(Cpu cpu) {
        boolean setPan = pan && cpu.features.pan;
        SysRegTable.write(cpu, "SCTLR_EL1", (SCTLR_BASE | sctlrEnables) & ~(setPan ? SystemRegisters.SCTLR_SPAN : 0));
        cpu.pan = setPan; // takes effect at the run's setElAndSpSel
        SysRegTable.write(cpu, "CNTKCTL_EL1", cntkctl);
        SysRegTable.write(cpu, "CPACR_EL1", (long) fpen << 20);
        SysRegTable.write(cpu, "MDSCR_EL1", mdscr);
        SysRegTable.write(cpu, "PMUSERENR_EL0", pmuserenr);
    }

    /**
     * The controls as one line, e.g. "SCTLR_EL1 enables: UCI UCT DZE nTWE; CNTKCTL_EL1=0x2; ...", with PSTATE.PAN
     * when the processor has FEAT_PAN ({@code panImplemented}).
     */
    public String summary(boolean panImplemented) {
        StringBuilder b = new StringBuilder("SCTLR_EL1 enables:");
        String[] names = {"UCI", "UCT", "DZE", "UMA", "nTWI", "nTWE"};
        long[] bits = {SystemRegisters.SCTLR_UCI, SystemRegisters.SCTLR_UCT, SystemRegisters.SCTLR_DZE,
                SystemRegisters.SCTLR_UMA, SystemRegisters.SCTLR_NTWI, SystemRegisters.SCTLR_NTWE};
        boolean any = false;
        for (int i = 0; i < names.length; i++) {
            if ((sctlrEnables & bits[i]) != 0) {
                b.append(' ').append(names[i]);
                any = true;
            }
        }
        if (!any) b.append(" none");
        return b.append("; CNTKCTL_EL1=0x").append(Long.toHexString(cntkctl))
                .append("; CPACR_EL1.FPEN=0b").append(Integer.toBinaryString(fpen | 4).substring(1))
                .append("; MDSCR_EL1.TDCC=").append((mdscr & TDCC) != 0 ? 1 : 0)
                .append("; PMUSERENR_EL0=0x").append(Long.toHexString(pmuserenr))
                .append(panImplemented ? "; PSTATE.PAN=" + (pan ? 1 : 0) : "").toString();
    }
}
