package org.jvisor.hyp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongPredicate;
import org.jvisor.cpu.PhysicalBus;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * Zeroed 4 KiB translation table pages from a RAM region of the host bus that the hypervisor owns and
 * never maps into a guest, with a hard limit on the pages in use so that a guest that touches much of its
 * IPA space cannot make the hypervisor's table memory grow without bound. Several tables (VMs, stage-2
 * views) can share one allocator. Descriptors are read and written here as single 64-bit little-endian
 * accesses, atomic with respect to the processors' table walks on other threads.
 */
public final class TablePageAllocator {
    public static final long PAGE = 4096;
    private static final VarHandle DESC = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final long base, size;
    private final MemorySegment memory;
    private final int limit;
    private final ArrayDeque<Long> freePages = new ArrayDeque<>();
    private long next;
    private int inUse;

    /** Pages from {@code [base, base + size)}, which must lie in one RAM region of {@code bus}; at most {@code maxPages} in use. */
    public TablePageAllocator(PhysicalBus bus, long base, long size, int maxPages) {
        if ((base & (PAGE - 1)) != 0 || size <= 0 || (size & (PAGE - 1)) != 0)
            throw new IllegalArgumentException("table memory must be whole 4 KiB pages");
        PhysicalBus.RamRegion r = bus.ramAt(base);
        if (r == null || base + size - r.base > r.size)
            throw new IllegalArgumentException("table memory 0x" + Long.toHexString(base) + " is not in one RAM region");
        if (maxPages < 1) throw new IllegalArgumentException("maxPages must be positive");
        this.base = base;
        this.size = size;
        this.memory = r.segment.asSlice(base - r.base, size);
        this.limit = (int) Math.min(maxPages, size / PAGE);
        this.next = base;
    }

    /** Every page of the region may be used. */
    public TablePageAllocator(PhysicalBus bus, long base, long size) {
        this(bus, base, size, (int) Math.min(Integer.MAX_VALUE, size / PAGE));
    }

    /**
     * {@code pages} (1 or 2) zeroed, physically contiguous pages aligned to their total size (a stage-2
     * root of two concatenated tables needs 8 KiB alignment). Throws {@link Stage2MemoryExhausted} when the
     * limit or the region is reached.
     */
    public synchronized long allocate(int pages) {
        if (pages != 1 && pages != 2) throw new IllegalArgumentException("1 or 2 pages");
        if (inUse + pages > limit) throw exhausted();
        long pa;
        if (pages == 1 && !freePages.isEmpty()) {
            pa = freePages.pop();
        } else {
            long align = pages * PAGE;
            long aligned = (next + align - 1) & -align;
            if (aligned + align - base > size) throw exhausted();
            if (aligned != next) freePages.push(next); // the skipped page stays usable
            pa = aligned;
            next = aligned + align;
        }
        inUse += pages;
        memory.asSlice(pa - base, pages * PAGE).fill((byte) 0);
        return pa;
    }

    /** Gives back pages from {@link #allocate}; the caller has already unlinked them from every table. */
    public synchronized void free(long pa, int pages) {
        if (pa < base || pa + pages * PAGE - base > size || (pa & (PAGE - 1)) != 0)
            throw new IllegalArgumentException("not a table page: 0x" + Long.toHexString(pa));
        for (int i = 0; i < pages; i++) freePages.push(pa + i * PAGE);
        inUse -= pages;
    }

    /** Pages currently handed out. */
    public synchronized int pagesInUse() {
        return inUse;
    }

    /** The most pages that can be in use at once. */
    public int limit() {
        return limit;
    }

    /**
     * Writes where the never-used pages start and the free list in the order pages will be handed out (so
     * a restored VM allocates the same pages as the original); the pages themselves are the table memory,
     * which its owner saves.
     */
    synchronized void saveState(StateWriter w) {
        w.tag("stage-2 table pages");
        w.putLong(next);
        long[] free = new long[freePages.size()];
        int i = 0;
        for (long pa : freePages) free[i++] = pa;
        w.putLongs(free);
    }

    /**
     * Restores what {@link #saveState} wrote, replacing what this allocator handed out so far (a fresh VM's
     * root table): every free page must be a distinct page below the high-water mark, and the pages in use
     * (all others below it) within the limit.
     */
    synchronized void restoreState(StateReader r) {
        r.tag("stage-2 table pages");
        long n = r.getLong();
        if (n < base || n > base + size || (n & (PAGE - 1)) != 0)
            throw new StateException("stage-2 table memory: high-water mark 0x" + Long.toHexString(n) + " outside the region");
        long[] free = r.getLongs((int) ((n - base) / PAGE));
        Set<Long> seen = new HashSet<>();
        for (long pa : free)
            if (pa < base || pa >= n || (pa & (PAGE - 1)) != 0 || !seen.add(pa))
                throw new StateException("stage-2 table memory: free page 0x" + Long.toHexString(pa) + " is not one handed out once");
        long used = (n - base) / PAGE - free.length;
        if (used > limit) throw new StateException("stage-2 table memory: " + used + " pages in use, the limit is " + limit);
        next = n;
        inUse = (int) used;
        freePages.clear();
        for (long pa : free) freePages.addLast(pa);
    }

    /** Whether a page is handed out (below the high-water mark and not free), as of this call. */
    synchronized LongPredicate pagesHandedOut() {
        Set<Long> free = new HashSet<>(freePages);
        long end = next;
        return pa -> pa >= base && pa < end && (pa & (PAGE - 1)) == 0 && !free.contains(pa);
    }

    public boolean contains(long pa) {
        return pa - base >= 0 && pa - base < size;
    }

    long read(long pa) {
        return (long) DESC.getVolatile(memory, pa - base);
    }

    void write(long pa, long desc) {
        DESC.setVolatile(memory, pa - base, desc);
    }

    private Stage2MemoryExhausted exhausted() {
        return new Stage2MemoryExhausted("stage-2 table memory exhausted (" + inUse + " of " + limit + " pages in use)");
    }
}
