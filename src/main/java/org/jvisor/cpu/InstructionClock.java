package org.jvisor.cpu;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The system counter of a machine that counts instructions, as QEMU's icount does: one tick for each
 * instruction any of its processors retires, plus the ticks its owner skips while they all wait
 * ({@link #advanceTo}). One for the machine, as the architecture's system counter is: every processor reads
 * the same count, and never one below a count another has read (Linux's timekeeping reads it on any CPU and
 * takes a count that went back for one that wrapped). Each processor reads it through its own
 * {@link Counter}, which first adds in the instructions that processor retired since it last did.
 *
 * <p>A machine of one processor is repeatable to the instruction. Processors on threads of their own add
 * their instructions in as the host schedules them, so what one reads depends on how far the others got.
 */
public final class InstructionClock {
    private final AtomicLong count = new AtomicLong();
    private final CopyOnWriteArrayList<Counter> counters = new CopyOnWriteArrayList<>();

    /** The counter source for {@code cpu}'s timer, counting its instructions from its {@link Cpu#instret} now. */
    public Counter counter(Cpu cpu) {
        Counter c = new Counter(cpu);
        counters.add(c);
        return c;
    }

    /**
     * The count now, with every processor's instructions added in. From any thread: a running processor's
     * latest instructions may not be in yet (it adds them whenever it reads the counter).
     */
    public long count() {
        for (Counter c : counters) c.addIn();
        return count.get();
    }

    /**
     * Skips the count forward to {@code target} (unsigned), as while every processor waits for a timer; a
     * count already there stays.
     */
    public void advanceTo(long target) {
        count.accumulateAndGet(target, (now, t) -> Long.compareUnsigned(now, t) >= 0 ? now : t);
    }

    /**
     * Restoring a snapshot: the count goes on from {@code count}, the value {@link #count()} gave at the save,
     * and each processor's instructions are counted from its restored {@link Cpu#instret}. Call it once every
     * processor's state is restored, before any runs.
     */
    public void continueFrom(long count) {
        for (Counter c : counters) c.added.set(c.cpu.instret);
        this.count.set(count);
    }

    /** One processor's view of the clock (its timer's counter source). */
    public final class Counter implements GenericTimer.CounterSource {
        private final Cpu cpu;
        /** The processor's {@link Cpu#instret} up to which its instructions are in the count. */
        private final AtomicLong added;

        private Counter(Cpu cpu) {
            this.cpu = cpu;
            added = new AtomicLong(cpu.instret);
        }

        /**
         * Adds in what the processor retired since: once each, whichever thread gets there first (another
         * thread may see an older instret, which adds nothing).
         */
        private void addIn() {
            long now = cpu.instret, before = added.get();
            if (now > before && added.compareAndSet(before, now)) count.addAndGet(now - before);
        }

        @Override
        public long count() {
            addIn();
            return count.get();
        }

        @Override
        public long nanosFor(long ticks) { return Long.MAX_VALUE; }

        /** The machine's clock this counter reads. */
        public InstructionClock clock() { return InstructionClock.this; }
    }
}
