package org.jvisor.vmm.devices;

import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jvisor.cpu.InterruptLine;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * Arm's PL031 real-time clock (PrimeCell, as on QEMU's virt board at 0x09010000): a 32-bit count of
 * seconds that Linux's rtc-pl031 reads as seconds since the epoch, so the guest's {@code date} after boot
 * (CONFIG_RTC_HCTOSYS) and {@code hwclock} show the host's time. Register names are the PL031 TRM's
 * (DDI 0224).
 *
 * <p>The count is the given clock's whole seconds plus an offset that writing RTCLR sets (QEMU keeps it
 * the same way): the guest may set its clock without touching the host's. The counter always runs (RTCCR
 * reads 1, writes are ignored, as in QEMU). When the count reaches RTCMR, RTCRIS is set and the interrupt
 * line follows RTCRIS &amp; RTCIMSC; a match equal to the count when written fires at once, as in QEMU.
 * Linux's alarms and its emulated update interrupts (used by {@code hwclock} to wait for a second
 * boundary) rely on it, so a daemon thread, started at the first match or load write, wakes at the host
 * time of the match.
 */
public final class Pl031 extends PrimeCell implements AutoCloseable {
    static final int DR = 0x00, MR = 0x04, LR = 0x08, CR = 0x0c, IMSC = 0x10, RIS = 0x14, MIS = 0x18, ICR = 0x1c;
    static final int AI = 1; // the alarm interrupt, the only bit of IMSC, RIS, MIS, ICR

    private final InterruptLine irq;
    private final InstantSource clock;

    private long offset; // seconds added to the clock's epoch seconds to give the count
    private int mr, lr, imsc, ris;
    private boolean level;
    /** The clock's epoch second at which the count equals MR, or {@link Long#MIN_VALUE} if none is pending. */
    private long matchAt = Long.MIN_VALUE;

    private ScheduledThreadPoolExecutor timer;
    private ScheduledFuture<?> wakeup;
    private boolean closed;

    /** An RTC on the host's wall clock. */
    public Pl031(InterruptLine irq) {
        this(irq, InstantSource.system());
    }

    public Pl031(InterruptLine irq, InstantSource clock) {
        super(0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1);
        this.irq = Objects.requireNonNull(irq);
        this.clock = Objects.requireNonNull(clock);
    }

    private long now() { return clock.instant().getEpochSecond(); }

    private int count(long now) { return (int) (now + offset); }

    @Override
    int readRegister(int off) {
        return switch (off) {
            case DR -> count(now());
            case MR -> mr;
            case LR -> lr;
            case CR -> 1;
            case IMSC -> imsc;
            case RIS -> ris;
            case MIS -> ris & imsc;
            default -> 0; // ICR is write-only; reserved registers read as zero
        };
    }

    @Override
    void writeRegister(int off, int value) {
        switch (off) {
            case LR -> {
                long now = now();
                offset += Integer.toUnsignedLong(value - count(now));
                offset &= 0xffff_ffffL; // only the count modulo 2^32 matters
                lr = value;
                arm(now);
            }
            case MR -> {
                mr = value;
                arm(now());
            }
            case IMSC -> {
                imsc = value & AI;
                update();
            }
            case ICR -> {
                ris &= ~(value & AI);
                update();
            }
            default -> { } // CR: the counter always runs; DR, RIS, MIS are read-only
        }
    }

    /** Schedules the match: the count reaches MR after (MR - count) mod 2^32 seconds, now if that is 0. */
    private void arm(long now) {
        long ticks = Integer.toUnsignedLong(mr - count(now));
        matchAt = now + ticks;
        if (ticks == 0) {
            match();
            return;
        }
        schedule();
    }

    private void schedule() {
        if (closed) return;
        if (timer == null) {
            timer = new ScheduledThreadPoolExecutor(1, r -> Thread.ofPlatform().daemon().name("pl031-alarm").unstarted(r));
            timer.setRemoveOnCancelPolicy(true);
        }
        if (wakeup != null) wakeup.cancel(false);
        long nanos = java.time.Duration.between(clock.instant(), Instant.ofEpochSecond(matchAt)).toNanos();
        wakeup = timer.schedule(this::tick, Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    /** Raises the match interrupt if the clock has reached the match time (the timer thread's work). */
    void tick() {
        lock.lock();
        try {
            if (matchAt == Long.MIN_VALUE) return;
            if (now() >= matchAt) match();
            else schedule(); // woke early (a clock that is not the timer's): sleep again
        } finally {
            lock.unlock();
        }
    }

    private void match() {
        matchAt = Long.MIN_VALUE;
        ris |= AI;
        update();
    }

    private void update() {
        boolean l = (ris & imsc) != 0;
        if (l != level) {
            level = l;
            irq.set(l);
        }
    }

    /**
     * Writes RTCMR, RTCLR, RTCIMSC, RTCRIS, the count's offset from the clock, and the pending match's time
     * on that clock. The clock itself is not saved: as QEMU's pl031 (migrate-tick-offset), a restored RTC
     * keeps the guest's offset from the clock it is built on, so on the host's clock the guest's date moves
     * on by the time the snapshot spent on disk, and a match whose time passed meanwhile fires at restore.
     * On the guest's own clock ({@code -rtc clock=vm}) the count is where it was, since that clock is the
     * restored vCPU's.
     */
    public void saveState(StateWriter w) {
        lock.lock();
        try {
            w.tag("pl031");
            w.putInt(mr).putInt(lr).putInt(imsc).putInt(ris).putLong(offset).putLong(matchAt);
        } finally {
            lock.unlock();
        }
    }

    /** Restores what {@link #saveState} wrote into a fresh RTC; re-arms a pending match and drives the line. */
    public void restoreState(StateReader r) {
        lock.lock();
        try {
            r.tag("pl031");
            mr = r.getInt();
            lr = r.getInt();
            imsc = r.getInt(0, AI, "RTCIMSC");
            ris = r.getInt(0, AI, "RTCRIS");
            offset = r.getLong();
            if (offset >>> 32 != 0) throw new StateException("PL031: the count's offset is not a 32-bit count: " + offset);
            matchAt = r.getLong();
            if (matchAt != Long.MIN_VALUE) {
                // a match is armed for the second at which the count equals RTCMR, less than 2^32 s from the save
                if (matchAt < 0 || matchAt >>> 33 != 0) throw new StateException("PL031: match time out of range: " + matchAt);
                if (count(matchAt) != mr) throw new StateException("PL031: the armed match is not at RTCMR");
                schedule();
            }
            irq.set(level = (ris & imsc) != 0);
        } finally {
            lock.unlock();
        }
    }

    /** Stops the alarm thread. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            matchAt = Long.MIN_VALUE;
            if (timer != null) timer.shutdownNow();
        } finally {
            lock.unlock();
        }
    }
}
