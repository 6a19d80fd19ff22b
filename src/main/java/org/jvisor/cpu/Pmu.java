package org.jvisor.cpu;

import static org.jvisor.cpu.SysRegTable.MDCR_HPME;
import static org.jvisor.cpu.SysRegTable.MDCR_HPMN;
import static org.jvisor.cpu.SysRegTable.MDCR_TPM;
import static org.jvisor.cpu.SysRegTable.MDCR_TPMCR;

import java.util.ArrayList;
import java.util.List;

/**
 * The PMUv3 of one processor: six 32-bit event counters and the 64-bit cycle counter, like Cortex-A57,
 * counting SW_INCR, INST_RETIRED and CPU_CYCLES (one cycle per instruction in this model).
 *
 * <p>Counting costs nothing per instruction: the counters are brought up to date from {@link Cpu#instret}
 * ({@link #accrue}) when a PMU register is accessed, when the EL changes (the event filters depend on it),
 * and between chunks while a counter is enabled; overflow is detected then, setting PMOVSSET_EL0 and the
 * interrupt output (PPI {@value #PPI}) when PMINTENSET_EL1 allows it.
 */
public final class Pmu {
    public static final int COUNTERS = 6, PPI = 23;
    static final long USERENR_EN = 1, USERENR_SW = 2, USERENR_CR = 4, USERENR_ER = 8;
    static final long PMCR_E = 1, PMCR_P = 2, PMCR_C = 4, PMCR_D = 8, PMCR_X = 16, PMCR_DP = 32, PMCR_LC = 64;
    static final long PMCR_WRITABLE = PMCR_E | PMCR_D | PMCR_X | PMCR_DP | PMCR_LC;
    /** PMCR_EL0.IMP (Arm) and IDCODE as Cortex-A57 reports them. */
    static final long PMCR_ID = 0x41010000L;
    /** Event filter bits of PMEVTYPER/PMCCFILTR without EL3: P (exclude EL1), U (exclude EL0), NSH (include EL2). */
    static final long FILTER_P = 1L << 31, FILTER_U = 1L << 30, FILTER_NSH = 1L << 27;
    static final int EV_SW_INCR = 0x00, EV_INST_RETIRED = 0x08, EV_CPU_CYCLES = 0x11;
    /** PMCEID0_EL0: the common events implemented (SW_INCR, INST_RETIRED, CPU_CYCLES). */
    static final long CEID0 = (1L << EV_SW_INCR) | (1L << EV_INST_RETIRED) | (1L << EV_CPU_CYCLES);
    static final int CYCLE = 31;

    static final int PMCR = 1, CNTENSET = 2, CNTENCLR = 3, OVSCLR = 4, SWINC = 5, SELR = 6, CEID0_ID = 7, CEID1_ID = 8,
            CCNTR = 9, XEVTYPER = 10, XEVCNTR = 11, USERENR = 12, OVSSET = 13, INTENSET = 14, INTENCLR = 15,
            CCFILTR = 16, EVCNTR0 = 32, EVTYPER0 = 64;

    private static SysReg r(String name, int op0, int op1, int crn, int crm, int op2, int id) {
        return new SysReg(name, op0, op1, crn, crm, op2, id).mdcr(MDCR_TPM);
    }

    static final SysReg[] REGISTERS = build();

    private static SysReg[] build() {
        List<SysReg> l = new ArrayList<>(List.of(
                r("PMINTENSET_EL1", 3, 0, 9, 14, 1, INTENSET),
                r("PMINTENCLR_EL1", 3, 0, 9, 14, 2, INTENCLR),
                r("PMCR_EL0", 3, 3, 9, 12, 0, PMCR).el0(SysReg.EL0_PMU).mdcr(MDCR_TPMCR),
                r("PMCNTENSET_EL0", 3, 3, 9, 12, 1, CNTENSET).el0(SysReg.EL0_PMU),
                r("PMCNTENCLR_EL0", 3, 3, 9, 12, 2, CNTENCLR).el0(SysReg.EL0_PMU),
                r("PMOVSCLR_EL0", 3, 3, 9, 12, 3, OVSCLR).el0(SysReg.EL0_PMU),
                r("PMSWINC_EL0", 3, 3, 9, 12, 4, SWINC).wo().el0(SysReg.EL0_PMU_SW),
                r("PMSELR_EL0", 3, 3, 9, 12, 5, SELR).el0(SysReg.EL0_PMU_SEL).mask(0x1F),
                r("PMCEID0_EL0", 3, 3, 9, 12, 6, CEID0_ID).ro().el0(SysReg.EL0_PMU),
                r("PMCEID1_EL0", 3, 3, 9, 12, 7, CEID1_ID).ro().el0(SysReg.EL0_PMU),
                r("PMCCNTR_EL0", 3, 3, 9, 13, 0, CCNTR).el0(SysReg.EL0_PMU_CR),
                r("PMXEVTYPER_EL0", 3, 3, 9, 13, 1, XEVTYPER).el0(SysReg.EL0_PMU),
                r("PMXEVCNTR_EL0", 3, 3, 9, 13, 2, XEVCNTR).el0(SysReg.EL0_PMU_ER),
                r("PMUSERENR_EL0", 3, 3, 9, 14, 0, USERENR).el0(SysReg.EL0_ALWAYS).el0ReadOnly().mask(0xF),
                r("PMOVSSET_EL0", 3, 3, 9, 14, 3, OVSSET).el0(SysReg.EL0_PMU),
                r("PMCCFILTR_EL0", 3, 3, 14, 15, 7, CCFILTR).el0(SysReg.EL0_PMU).mask(FILTER_P | FILTER_U | FILTER_NSH)));
        // PMEVCNTR<n>_EL0 and PMEVTYPER<n>_EL0 exist for the implemented counters only.
        for (int n = 0; n < COUNTERS; n++) {
            l.add(r("PMEVCNTR" + n + "_EL0", 3, 3, 14, 8 | (n >> 3), n & 7, EVCNTR0 + n).el0(SysReg.EL0_PMU_ER).mask(0xFFFFFFFFL));
            l.add(r("PMEVTYPER" + n + "_EL0", 3, 3, 14, 12 | (n >> 3), n & 7, EVTYPER0 + n).el0(SysReg.EL0_PMU)
                    .mask(FILTER_P | FILTER_U | FILTER_NSH | 0x3FF));
        }
        return l.toArray(new SysReg[0]);
    }

    private final Cpu cpu;
    long pmcr, cntenset, ovs, inten, selr, ccntr, ccfiltr, userenr;
    final long[] evtyper = new long[COUNTERS];
    final long[] evcntr = new long[COUNTERS];
    /** Instructions retired when the counters were last brought up to date. */
    private long lastInstret;
    private long cycleRemainder;
    /** Some counter is enabled: keep counters up to date at EL changes and chunk ends. */
    boolean active;
    private InterruptLine irq;
    private boolean irqLevel;

    Pmu(Cpu cpu) {
        this.cpu = cpu;
    }

    void reset() {
        pmcr = cntenset = ovs = inten = selr = ccntr = ccfiltr = userenr = 0;
        java.util.Arrays.fill(evtyper, 0);
        java.util.Arrays.fill(evcntr, 0);
        cycleRemainder = 0;
        lastInstret = cpu.instret;
        configChanged();
    }

    /**
     * The counters and their configuration, and the instruction count they were last brought up to (a
     * restored processor goes on with its saved {@link Cpu#instret}, so the counters go on exactly).
     * {@link #active} and the interrupt output are derived: {@link #configChanged} once MDCR_EL2 is back.
     */
    void saveState(StateWriter w) {
        w.tag("pmu");
        for (long v : new long[] {pmcr, cntenset, ovs, inten, selr, ccntr, ccfiltr, userenr, lastInstret, cycleRemainder}) w.putLong(v);
        w.putLongs(evtyper).putLongs(evcntr);
    }

    void restoreState(StateReader r) {
        r.tag("pmu");
        long counters = (1L << CYCLE) | ((1L << COUNTERS) - 1);
        pmcr = SystemRegisters.within(r.getLong(), PMCR_WRITABLE, "PMCR_EL0");
        cntenset = SystemRegisters.within(r.getLong(), counters, "PMCNTENSET_EL0");
        ovs = SystemRegisters.within(r.getLong(), counters, "PMOVSSET_EL0");
        inten = SystemRegisters.within(r.getLong(), counters, "PMINTENSET_EL1");
        selr = SystemRegisters.within(r.getLong(), 0x1F, "PMSELR_EL0"); // selects a counter
        ccntr = r.getLong();
        ccfiltr = SystemRegisters.within(r.getLong(), FILTER_P | FILTER_U | FILTER_NSH, "PMCCFILTR_EL0");
        userenr = SystemRegisters.within(r.getLong(), 0xF, "PMUSERENR_EL0");
        lastInstret = r.getLong();
        cycleRemainder = SystemRegisters.within(r.getLong(), 63, "the PMU's cycle divider");
        r.getLongs(evtyper);
        r.getLongs(evcntr);
        for (long v : evcntr) SystemRegisters.within(v, 0xFFFFFFFFL, "an event counter");
    }

    /** Connects the overflow interrupt output (PPI 23 on the virt board). */
    public void connect(InterruptLine line) {
        irq = line;
        if (line != null) line.set(irqLevel);
    }

    public boolean output() { return irqLevel; }

    private int hpmn() {
        int n = (int) (cpu.sr.mdcrEl2 & MDCR_HPMN);
        return Math.min(n, COUNTERS);
    }

    /** Counter bits the current EL may see: counters at or above MDCR_EL2.HPMN belong to EL2. */
    private long accessible() {
        int n = cpu.currentEl() < 2 ? hpmn() : COUNTERS;
        return ((1L << n) - 1) | (1L << CYCLE);
    }

    private boolean enabled(int n) {
        if ((cntenset & (1L << n)) == 0) return false;
        if (n == CYCLE || n < hpmn()) return (pmcr & PMCR_E) != 0;
        return (cpu.sr.mdcrEl2 & MDCR_HPME) != 0;
    }

    private static boolean countsAt(long filter, int el) {
        return switch (el) {
            case 0 -> (filter & FILTER_U) == 0;
            case 1 -> (filter & FILTER_P) == 0;
            default -> (filter & FILTER_NSH) != 0;
        };
    }

    /** Recomputes whether any counter counts; call after changing PMCR, PMCNTEN or MDCR_EL2. */
    void configChanged() {
        boolean a = false;
        for (int n = 0; n < COUNTERS; n++) a |= enabled(n);
        active = a || enabled(CYCLE);
        updateInterrupt();
    }

    /** Brings the counters up to date with the instructions retired since the last call. */
    void accrue() {
        long now = cpu.instret;
        long delta = now - lastInstret;
        lastInstret = now;
        if (delta == 0 || !active) return;
        int el = cpu.currentEl();
        for (int n = 0; n < COUNTERS; n++) {
            if (!enabled(n) || !countsAt(evtyper[n], el)) continue;
            int ev = (int) (evtyper[n] & 0x3FF);
            if (ev == EV_INST_RETIRED || ev == EV_CPU_CYCLES) addEvents(n, delta);
        }
        if (enabled(CYCLE) && countsAt(ccfiltr, el)) {
            long inc = delta;
            if ((pmcr & PMCR_D) != 0) { // PMCR_EL0.D: count every 64th cycle
                long t = cycleRemainder + delta;
                inc = t >>> 6;
                cycleRemainder = t & 63;
            }
            addCycles(inc);
        }
        updateInterrupt();
    }

    private void addEvents(int n, long inc) {
        long v = evcntr[n] + inc;
        if ((v >>> 32) != 0) ovs |= 1L << n;
        evcntr[n] = v & 0xFFFFFFFFL;
    }

    private void addCycles(long inc) {
        long old = ccntr, v = old + inc;
        boolean overflow = (pmcr & PMCR_LC) != 0 ? Long.compareUnsigned(v, old) < 0 : (old >>> 32) != (v >>> 32);
        if (overflow) ovs |= 1L << CYCLE;
        ccntr = v;
    }

    private void updateInterrupt() {
        boolean level = false;
        long pending = ovs & inten;
        if (pending != 0) {
            for (int n = 0; n < COUNTERS && !level; n++) {
                if ((pending & (1L << n)) == 0) continue;
                level = n < hpmn() ? (pmcr & PMCR_E) != 0 : (cpu.sr.mdcrEl2 & MDCR_HPME) != 0;
            }
            if ((pending & (1L << CYCLE)) != 0 && (pmcr & PMCR_E) != 0) level = true;
        }
        if (level != irqLevel) {
            irqLevel = level;
            if (irq != null) irq.set(level);
        }
    }

    /** The event counter selected by PMSELR_EL0 or named by PMEVCNTR/PMEVTYPER, if the current EL may use it. */
    private int counter(int n) {
        if (n >= COUNTERS || (cpu.currentEl() < 2 && n >= hpmn())) throw cpu.undefined();
        return n;
    }

    long read(int id) {
        accrue();
        if (id >= EVTYPER0) return evtyper[counter(id - EVTYPER0)];
        if (id >= EVCNTR0) return evcntr[counter(id - EVCNTR0)];
        return switch (id) {
            case PMCR -> PMCR_ID | ((long) (cpu.currentEl() < 2 ? hpmn() : COUNTERS) << 11) | pmcr;
            case CNTENSET, CNTENCLR -> cntenset & accessible();
            case OVSSET, OVSCLR -> ovs & accessible();
            case INTENSET, INTENCLR -> inten & accessible();
            case SELR -> selr;
            case CEID0_ID -> CEID0;
            case CEID1_ID -> 0;
            case CCNTR -> ccntr;
            case XEVTYPER -> selr == CYCLE ? ccfiltr : evtyper[counter((int) selr)];
            case XEVCNTR -> {
                if (selr == CYCLE) throw cpu.undefined();
                yield evcntr[counter((int) selr)];
            }
            case USERENR -> userenr;
            case CCFILTR -> ccfiltr;
            default -> throw new IllegalStateException("register id " + id);
        };
    }

    void write(int id, long v) {
        accrue(); // counts so far belong to the old configuration
        if (id >= EVTYPER0) evtyper[counter(id - EVTYPER0)] = v;
        else if (id >= EVCNTR0) evcntr[counter(id - EVCNTR0)] = v;
        else {
            long m = accessible();
            switch (id) {
                case PMCR -> {
                    if ((v & PMCR_P) != 0) for (int n = 0; n < Long.bitCount(m) - 1; n++) evcntr[n] = 0;
                    if ((v & PMCR_C) != 0) ccntr = 0;
                    pmcr = v & PMCR_WRITABLE;
                }
                case CNTENSET -> cntenset |= v & m;
                case CNTENCLR -> cntenset &= ~(v & m);
                case OVSSET -> ovs |= v & m;
                case OVSCLR -> ovs &= ~(v & m);
                case INTENSET -> inten |= v & m;
                case INTENCLR -> inten &= ~(v & m);
                case SWINC -> softwareIncrement(v & m);
                case SELR -> selr = v;
                case CCNTR -> ccntr = v;
                case XEVTYPER -> {
                    if (selr == CYCLE) ccfiltr = v & (FILTER_P | FILTER_U | FILTER_NSH);
                    else evtyper[counter((int) selr)] = v & (FILTER_P | FILTER_U | FILTER_NSH | 0x3FF);
                }
                case XEVCNTR -> {
                    if (selr == CYCLE) throw cpu.undefined();
                    evcntr[counter((int) selr)] = v & 0xFFFFFFFFL;
                }
                case USERENR -> userenr = v;
                case CCFILTR -> ccfiltr = v;
                default -> throw new IllegalStateException("register id " + id);
            }
        }
        configChanged();
    }

    /** PMSWINC_EL0: counters counting SW_INCR and enabled go up by one. */
    private void softwareIncrement(long bits) {
        for (int n = 0; n < COUNTERS; n++) {
            if ((bits & (1L << n)) != 0 && enabled(n) && (evtyper[n] & 0x3FF) == EV_SW_INCR) addEvents(n, 1);
        }
    }
}
