package org.jvisor.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The fast path in front of the MMU, like QEMU's CPUTLB: per translation regime ("MMU index") a
 * direct-mapped table from virtual page to host memory, with separate tags for read, write and fetch so
 * that a permission is cached only where the walk granted it. Only RAM is cached; MMIO and pages with
 * watchpoints always take the slow path. It is flushed wholesale on any change of translation context;
 * the architectural TLB behind it (in {@link Mmu}) is what TLBI invalidates precisely.
 */
final class SoftTlb {
    static final int BITS = 8, SIZE = 1 << BITS;
    /** MMU indexes: EL0 and EL1 of the EL1&0 regime, EL1 with PSTATE.PAN set, EL2. */
    static final int IDX_EL0 = 0, IDX_EL1 = 1, IDX_EL1_PAN = 2, IDX_EL2 = 3, COUNT = 4;
    static final long INVALID = -1L;

    final long[] readTag = new long[COUNT * SIZE];
    final long[] writeTag = new long[COUNT * SIZE];
    final long[] execTag = new long[COUNT * SIZE];
    /**
     * The whole host address space as one segment. A hit then reads {@code HOST} at a host address: the
     * JIT folds the constant segment's checks away, where a segment loaded from an array costs a type
     * check, a bounds check and a session check per access. Sound because guest RAM is never unmapped
     * while the bus holds it, and the TLB only points into RAM.
     */
    static final MemorySegment HOST = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    /** Added to a virtual address to get the host address of the byte in guest RAM (in {@link #HOST}). */
    final long[] addend = new long[COUNT * SIZE];
    final long[] paPage = new long[COUNT * SIZE];

    SoftTlb() { flushAll(); }

    static int index(int mmuIdx, long va) {
        return (mmuIdx << BITS) | ((int) (va >>> 12) & (SIZE - 1));
    }

    void flushAll() {
        Arrays.fill(readTag, INVALID);
        Arrays.fill(writeTag, INVALID);
        Arrays.fill(execTag, INVALID);
        Arrays.fill(paPage, INVALID);
    }

    void fill(int mmuIdx, long va, long pa, PhysicalBus.RamRegion region, boolean read, boolean write, boolean exec) {
        int i = index(mmuIdx, va);
        long vaPage = va & ~0xfffL, pg = pa & ~0xfffL;
        readTag[i] = read ? vaPage : INVALID;
        writeTag[i] = write ? vaPage : INVALID;
        execTag[i] = exec ? vaPage : INVALID;
        addend[i] = region.segment.address() + (pg - region.base) - vaPage;
        paPage[i] = pg;
    }

    void dropWritesTo(long pa) {
        long pg = pa & ~0xfffL;
        for (int i = 0; i < paPage.length; i++) if (paPage[i] == pg) writeTag[i] = INVALID;
    }
}
