package org.jvisor.cpu;

/**
 * Builds VMSAv8-64 translation tables in guest RAM from Java, the way a guest kernel would: tables are
 * taken from a pool, descriptors written with the bus. Works for stage 1 and stage 2 and any granule.
 */
final class PageTables {
    // Stage 1 descriptor bits
    static final long AF = 1L << 10, NG = 1L << 11, SH_INNER = 3L << 8, PXN = 1L << 53, UXN = 1L << 54;
    static final long AP_RW_EL1 = 0, AP_RW_ALL = 1L << 6, AP_RO_EL1 = 2L << 6, AP_RO_ALL = 3L << 6;
    // Stage 2 descriptor bits
    static final long S2AP_R = 1L << 6, S2AP_W = 1L << 7, S2_XN = 1L << 54, S2_NORMAL_WB = 0xfL << 2, S2_DEVICE = 0;
    // Table descriptor bits
    static final long PXN_TABLE = 1L << 59, UXN_TABLE = 1L << 60, AP_TABLE_NO_EL0 = 1L << 61, AP_TABLE_RO = 1L << 62;

    static long attrIndx(int i) { return (long) i << 2; }

    private final PhysicalBus bus;
    private long next;
    final int grain, inputSize, startLevel;
    final long root;

    /** Stage 1 tables: the starting level follows from the input size. */
    PageTables(PhysicalBus bus, long pool, int grain, int inputSize) {
        this(bus, pool, grain, inputSize, 4 - (inputSize - grain + grain - 4) / (grain - 3));
    }

    PageTables(PhysicalBus bus, long pool, int grain, int inputSize, int startLevel) {
        this.bus = bus;
        this.next = pool;
        this.grain = grain;
        this.inputSize = inputSize;
        this.startLevel = startLevel;
        int rootBits = inputSize - ((3 - startLevel) * (grain - 3) + grain) + 3;
        this.root = alloc(Math.max(1, 1 << Math.max(0, rootBits - grain)));
    }

    long alloc(int pages) {
        long t = next;
        next += (long) pages << grain;
        for (long a = t; a < next; a += 8) bus.write(a, 8, 0);
        return t;
    }

    int shift(int level) { return (3 - level) * (grain - 3) + grain; }

    /** The address of the descriptor for {@code va} at {@code level}, creating the tables above it. */
    long entry(long va, int level) {
        long table = root;
        for (int l = startLevel; ; l++) {
            int bottom = shift(l);
            int top = l == startLevel ? inputSize - 1 : bottom + grain - 4;
            long idx = (va >>> bottom) & ((1L << (top - bottom + 1)) - 1);
            long addr = table + idx * 8;
            if (l == level) return addr;
            long d = bus.read(addr, 8);
            if ((d & 3) != 3) {
                d = alloc(1) | 3;
                bus.write(addr, 8, d);
            }
            table = d & 0x0000_ffff_ffff_f000L & (-1L << grain);
        }
    }

    /** Maps a block (level below 3) or page (level 3) with the given attribute bits. */
    void map(long va, long pa, int level, long attrs) {
        bus.write(entry(va, level), 8, pa | attrs | (level == 3 ? 3 : 1));
    }

    /** ORs bits into the table descriptor that covers {@code va} at {@code level}. */
    void setTableBits(long va, int level, long bits) {
        long a = entry(va, level);
        bus.write(a, 8, bus.read(a, 8) | bits);
    }

    void write(long va, int level, long desc) { bus.write(entry(va, level), 8, desc); }
}
