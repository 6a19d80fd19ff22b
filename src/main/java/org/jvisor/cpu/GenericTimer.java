package org.jvisor.cpu;

import static org.jvisor.cpu.SysRegTable.CNTHCTL_EL1PCEN;
import static org.jvisor.cpu.SysRegTable.CNTHCTL_EL1PCTEN;

/**
 * The generic timer of one processor: the system counter as seen through CNTPCT_EL0 and CNTVCT_EL0
 * (CNTPCT_EL0 minus CNTVOFF_EL2), and three timers: EL1 physical (CNTP_*), virtual (CNTV_*) and EL2
 * physical (CNTHP_*). A timer's condition is met when its counter reaches CVAL; its interrupt output is
 * that condition while ENABLE is set and IMASK clear.
 *
 * <p>Nothing is computed per instruction: the registers derive their values from the counter when read,
 * the processor polls {@link #poll} between chunks while a timer is armed, and a VMM whose processor waits
 * for an interrupt sleeps until {@link #nextDeadlineNanos()} and then calls {@link #poll}. Not thread-safe:
 * call it on the processor's thread (or while the processor is stopped).
 */
public final class GenericTimer {
    /** CNTFRQ_EL0: 62.5 MHz, one tick every 16 ns (QEMU's virt board uses the same frequency). */
    public static final long FREQUENCY = 62_500_000L;
    /** The timers, and the GIC PPIs they are wired to on the virt board. */
    public static final int PHYSICAL = 0, VIRTUAL = 1, HYPERVISOR = 2;
    public static final int PPI_PHYSICAL = 30, PPI_VIRTUAL = 27, PPI_HYPERVISOR = 26;

    static final long CTL_ENABLE = 1, CTL_IMASK = 2, CTL_ISTATUS = 4;

    /** The system counter: a count at {@link #FREQUENCY}. */
    public interface CounterSource {
        long count();

        /** Host nanoseconds until the count has advanced by {@code ticks}; Long.MAX_VALUE if it advances only as the guest runs. */
        long nanosFor(long ticks);
    }

    /**
     * The host's monotonic clock, from an origin: share one among the processors of a machine, so that all
     * see the same system counter. {@link #INSTANCE} counts from the JVM's start; a machine restored from a
     * snapshot gets one that continues from the count it was saved at ({@link #continueFrom}), as
     * Firecracker's and QEMU's restored guests do: never back, and not forward by the time the snapshot lay
     * on disk.
     */
    public static final class HostClock implements CounterSource {
        public static final HostClock INSTANCE = new HostClock(0);
        /** The {@link System#nanoTime()} at which the count was 0. Volatile: set while the processors are stopped, read by their threads. */
        private volatile long origin;

        /** A clock whose count is {@code count} now. */
        public HostClock(long count) { continueFrom(count); }

        /**
         * Makes the count {@code count} now and go on from there (restoring a snapshot, before its processors
         * run again). Not for {@link #INSTANCE}, which every machine without its own clock shares.
         */
        public void continueFrom(long count) {
            if (count < 0) throw new IllegalArgumentException("negative count " + count);
            origin = System.nanoTime() - (count << 4);
        }

        @Override
        public long count() { return (System.nanoTime() - origin) >>> 4; }

        @Override
        public long nanosFor(long ticks) { return ticks >= Long.MAX_VALUE >>> 4 ? Long.MAX_VALUE : ticks << 4; }
    }

    static final int CNTFRQ = 1, CNTPCT = 2, CNTVCT = 3, CNTP_TVAL = 4, CNTP_CTL = 5, CNTP_CVAL = 6, CNTV_TVAL = 7,
            CNTV_CTL = 8, CNTV_CVAL = 9, CNTKCTL = 10, CNTHCTL = 11, CNTVOFF = 12, CNTHP_TVAL = 13, CNTHP_CTL = 14,
            CNTHP_CVAL = 15;

    private static SysReg r(String name, int op0, int op1, int crn, int crm, int op2, int id) {
        return new SysReg(name, op0, op1, crn, crm, op2, id);
    }

    static final SysReg[] REGISTERS = {
            r("CNTKCTL_EL1", 3, 0, 14, 1, 0, CNTKCTL).mask(0x3FF),
            r("CNTFRQ_EL0", 3, 3, 14, 0, 0, CNTFRQ).el0(SysReg.EL0_CNT_FRQ).el0ReadOnly().writeMinEl(2).mask(0xFFFFFFFFL),
            r("CNTPCT_EL0", 3, 3, 14, 0, 1, CNTPCT).ro().el0(SysReg.EL0_CNT_PCT).cnthctl(CNTHCTL_EL1PCTEN),
            r("CNTVCT_EL0", 3, 3, 14, 0, 2, CNTVCT).ro().el0(SysReg.EL0_CNT_VCT),
            r("CNTP_TVAL_EL0", 3, 3, 14, 2, 0, CNTP_TVAL).el0(SysReg.EL0_CNT_PT).cnthctl(CNTHCTL_EL1PCEN),
            r("CNTP_CTL_EL0", 3, 3, 14, 2, 1, CNTP_CTL).el0(SysReg.EL0_CNT_PT).cnthctl(CNTHCTL_EL1PCEN).mask(3),
            r("CNTP_CVAL_EL0", 3, 3, 14, 2, 2, CNTP_CVAL).el0(SysReg.EL0_CNT_PT).cnthctl(CNTHCTL_EL1PCEN),
            r("CNTV_TVAL_EL0", 3, 3, 14, 3, 0, CNTV_TVAL).el0(SysReg.EL0_CNT_VT),
            r("CNTV_CTL_EL0", 3, 3, 14, 3, 1, CNTV_CTL).el0(SysReg.EL0_CNT_VT).mask(3),
            r("CNTV_CVAL_EL0", 3, 3, 14, 3, 2, CNTV_CVAL).el0(SysReg.EL0_CNT_VT),
            r("CNTVOFF_EL2", 3, 4, 14, 0, 3, CNTVOFF).el2(),
            r("CNTHCTL_EL2", 3, 4, 14, 1, 0, CNTHCTL).el2().mask(0xFF),
            r("CNTHP_TVAL_EL2", 3, 4, 14, 2, 0, CNTHP_TVAL).el2(),
            r("CNTHP_CTL_EL2", 3, 4, 14, 2, 1, CNTHP_CTL).el2().mask(3),
            r("CNTHP_CVAL_EL2", 3, 4, 14, 2, 2, CNTHP_CVAL).el2(),
    };

    private final Cpu cpu;
    private CounterSource source = HostClock.INSTANCE;
    long frequency;
    final long[] ctl = new long[3];
    final long[] cval = new long[3];
    private final boolean[] level = new boolean[3];
    private final InterruptLine[] lines = new InterruptLine[3];
    /** Some timer is enabled, unmasked and not yet fired: poll until the counter reaches {@link #nextFire}. */
    boolean armed;
    private long nextFire;

    GenericTimer(Cpu cpu) {
        this.cpu = cpu;
    }

    void reset() {
        frequency = FREQUENCY;
        java.util.Arrays.fill(ctl, 0);
        java.util.Arrays.fill(cval, 0);
        cpu.sr.cntkctlEl1 = 0;
        // EL1 may use the physical counter and timer until a hypervisor says otherwise (UNKNOWN at reset).
        cpu.sr.cnthctlEl2 = CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN;
        cpu.sr.cntvoffEl2 = 0;
        update();
    }

    public void setCounterSource(CounterSource s) {
        source = s;
        update();
    }

    public CounterSource counterSource() { return source; }

    /** Connects the interrupt output of {@code timer} ({@link #PHYSICAL}, {@link #VIRTUAL}, {@link #HYPERVISOR}). */
    public void connect(int timer, InterruptLine line) {
        lines[timer] = line;
        if (line != null) line.set(level[timer]);
    }

    /** The current level of a timer's interrupt output. */
    public boolean output(int timer) { return level[timer]; }

    /**
     * Counter ticks until the next event of the event stream (CNTKCTL_EL1's on the virtual count, else
     * CNTHCTL_EL2's on the physical count): an event each time bit EVNTI of the count goes 0 to 1, or 1 to 0
     * with EVNTDIR set. Long.MAX_VALUE when neither stream is on.
     */
    public long ticksToNextEvent() {
        boolean el1 = (cpu.sr.cntkctlEl1 & 4) != 0;
        long ctl = el1 ? cpu.sr.cntkctlEl1 : cpu.sr.cnthctlEl2;
        if ((ctl & 4) == 0) return Long.MAX_VALUE;
        int bit = (int) (ctl >>> 4) & 15;
        long period = 2L << bit, phase = (ctl & 8) != 0 ? 0 : 1L << bit; // where the bit turns 1 (or 0)
        long c = el1 ? virtualCount() : physicalCount();
        return Math.floorDiv(c - phase, period) * period + phase + period - c;
    }

    /** CNTPCT_EL0. */
    public long physicalCount() { return source.count(); }

    /** CNTVCT_EL0. */
    public long virtualCount() { return source.count() - cpu.sr.cntvoffEl2; }

    /** Re-evaluates the timers if the counter has reached the next deadline (called between chunks). */
    public void poll() {
        if (armed && Long.compareUnsigned(source.count(), nextFire) >= 0) update();
    }

    /**
     * The count (unsigned) at which the next armed timer fires, as last evaluated; -1, the last count there
     * is, when none is armed.
     */
    public long deadline() { return armed ? nextFire : -1L; }

    /** Counter ticks until the next armed timer fires (0 if one is due), Long.MAX_VALUE if none is armed. */
    public long ticksToDeadline() {
        if (!armed) return Long.MAX_VALUE;
        long now = source.count();
        return Long.compareUnsigned(now, nextFire) >= 0 ? 0 : nextFire - now;
    }

    /**
     * The host time ({@link System#nanoTime()} scale) at which the next armed timer fires, for a VMM
     * that sleeps while the processor waits for an interrupt; Long.MAX_VALUE if none is armed (or the
     * counter only advances with the guest).
     */
    public long nextDeadlineNanos() {
        long ticks = ticksToDeadline();
        if (ticks == Long.MAX_VALUE) return Long.MAX_VALUE;
        long ns = source.nanosFor(ticks);
        if (ns == Long.MAX_VALUE) return Long.MAX_VALUE;
        return System.nanoTime() + ns;
    }

    /**
     * Recomputes ISTATUS-driven outputs and the next deadline; call after changing CNTVOFF_EL2 or the
     * counter source from the host.
     */
    public void update() {
        long now = source.count();
        boolean arm = false;
        long next = -1L;
        for (int t = 0; t < 3; t++) {
            long c = ctl[t];
            long offset = t == VIRTUAL ? cpu.sr.cntvoffEl2 : 0;
            boolean enabled = (c & CTL_ENABLE) != 0, masked = (c & CTL_IMASK) != 0;
            boolean met = enabled && Long.compareUnsigned(now - offset, cval[t]) >= 0;
            boolean out = met && !masked;
            if (out != level[t]) {
                level[t] = out;
                if (lines[t] != null) lines[t].set(out);
            }
            if (enabled && !masked && !met) {
                long fire = cval[t] + offset;
                if (!arm || Long.compareUnsigned(fire, next) < 0) next = fire;
                arm = true;
            }
        }
        armed = arm;
        nextFire = next;
    }

    /**
     * CNTFRQ, the timers' CTL and CVAL (CNTKCTL, CNTHCTL and CNTVOFF are in {@link SystemRegisters}), the
     * outputs and the deadline as last evaluated (a timer whose deadline passed since is seen at the next
     * {@link #poll}, at the same instruction as on the saved processor), and which kind of counter it
     * reads. The count is not saved here: the processors of a machine share it, so its owner saves it once
     * ({@link HostClock#count()}, {@link InstructionClock#count()}) and restarts it from there
     * ({@link HostClock#continueFrom}, {@link InstructionClock#continueFrom}).
     */
    void saveState(StateWriter w) {
        w.tag("generic timer");
        w.putLong(frequency).putLongs(ctl).putLongs(cval).putBooleans(level).putBoolean(armed).putLong(nextFire);
        w.putBoolean(source instanceof InstructionClock.Counter);
    }

    /** Reads back what {@link #saveState} wrote, and drives the outputs to their saved levels. */
    void restoreState(StateReader r) {
        r.tag("generic timer");
        frequency = r.getLong();
        r.getLongs(ctl);
        for (long c : ctl) SystemRegisters.within(c, CTL_ENABLE | CTL_IMASK, "a timer's CTL");
        r.getLongs(cval);
        r.getBooleans(level);
        armed = r.getBoolean();
        nextFire = r.getLong();
        boolean instructions = r.getBoolean();
        if (instructions != source instanceof InstructionClock.Counter)
            throw new StateException("the state counts " + (instructions ? "instructions" : "host time") + ", this processor the other");
        for (int t = 0; t < 3; t++) if (lines[t] != null) lines[t].set(level[t]);
    }

    private long count(int t) {
        long now = source.count();
        return t == VIRTUAL ? now - cpu.sr.cntvoffEl2 : now;
    }

    private long readCtl(int t) {
        if (armed) poll(); // software polling ISTATUS sees the output change with it
        long c = ctl[t];
        if ((c & CTL_ENABLE) != 0 && Long.compareUnsigned(count(t), cval[t]) >= 0) c |= CTL_ISTATUS;
        return c;
    }

    /** TVAL reads CVAL minus the count, truncated to 32 bits (bits [63:32] are RES0). */
    private long readTval(int t) { return (cval[t] - count(t)) & 0xFFFFFFFFL; }

    /** TVAL writes set CVAL to the count plus the sign-extended 32-bit value. */
    private void writeTval(int t, long v) { cval[t] = count(t) + (int) v; }

    long read(int id) {
        return switch (id) {
            case CNTFRQ -> frequency;
            case CNTPCT -> physicalCount();
            case CNTVCT -> virtualCount();
            case CNTP_TVAL -> readTval(PHYSICAL);
            case CNTP_CTL -> readCtl(PHYSICAL);
            case CNTP_CVAL -> cval[PHYSICAL];
            case CNTV_TVAL -> readTval(VIRTUAL);
            case CNTV_CTL -> readCtl(VIRTUAL);
            case CNTV_CVAL -> cval[VIRTUAL];
            case CNTKCTL -> cpu.sr.cntkctlEl1;
            case CNTHCTL -> cpu.sr.cnthctlEl2;
            case CNTVOFF -> cpu.sr.cntvoffEl2;
            case CNTHP_TVAL -> readTval(HYPERVISOR);
            case CNTHP_CTL -> readCtl(HYPERVISOR);
            case CNTHP_CVAL -> cval[HYPERVISOR];
            default -> throw new IllegalStateException("register id " + id);
        };
    }

    void write(int id, long v) {
        switch (id) {
            case CNTFRQ -> frequency = v;
            case CNTP_TVAL -> writeTval(PHYSICAL, v);
            case CNTP_CTL -> ctl[PHYSICAL] = v;
            case CNTP_CVAL -> cval[PHYSICAL] = v;
            case CNTV_TVAL -> writeTval(VIRTUAL, v);
            case CNTV_CTL -> ctl[VIRTUAL] = v;
            case CNTV_CVAL -> cval[VIRTUAL] = v;
            case CNTKCTL -> cpu.sr.cntkctlEl1 = v;
            case CNTHCTL -> cpu.sr.cnthctlEl2 = v;
            case CNTVOFF -> cpu.sr.cntvoffEl2 = v;
            case CNTHP_TVAL -> writeTval(HYPERVISOR, v);
            case CNTHP_CTL -> ctl[HYPERVISOR] = v;
            case CNTHP_CVAL -> cval[HYPERVISOR] = v;
            default -> throw new IllegalStateException("register id " + id);
        }
        update();
    }
}
