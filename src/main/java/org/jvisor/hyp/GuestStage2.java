package org.jvisor.hyp;

import org.jvisor.cpu.PhysicalBus;

/**
 * The stage-2 translation of one VM as the exit handlers use it: map a 4 KiB guest page to host memory,
 * and the VTTBR_EL2/VTCR_EL2 values the vCPUs run with. 39-bit IPA space, 4 KiB granule, walks start at
 * level 1, 40-bit output.
 *
 * <p>INTERIM: the table format is written here only until {@code Stage2PageTable} (the stage-2 table
 * component, with walkers and invalidation) is merged; this class then delegates to it.
 */
public final class GuestStage2 {
    static final long IPA_LIMIT = 1L << 39;
    private static final long VTCR = 25 /* T0SZ */ | (1L << 6) /* SL0: level 1 */ | (1L << 8) | (1L << 10) | (3L << 12)
            | (2L << 16) /* PS: 40 bits */ | (1L << 31);
    private static final long PAGE_ATTRS = 3 | (1L << 10) /* AF */ | (3L << 8) /* inner shareable */
            | (3L << 6) /* S2AP read/write */ | (0xFL << 2) /* normal, write-back */;
    private static final long VMID = 1;

    private final PhysicalBus bus;
    private final long poolEnd;
    private long nextTable;
    private final long root;

    GuestStage2(PhysicalBus bus, long poolBase, long poolSize) {
        this.bus = bus;
        this.poolEnd = poolBase + poolSize;
        this.nextTable = poolBase;
        this.root = allocateTable();
    }

    private long allocateTable() {
        if (nextTable >= poolEnd) throw new IllegalStateException("stage-2 table memory exhausted");
        long t = nextTable;
        nextTable += 4096;
        return t;
    }

    public long vttbr() { return (VMID << 48) | root; }

    public long vtcr() { return VTCR; }

    /** Maps guest page {@code ipa} to host page {@code hostPa}, read/write/execute, normal memory. */
    public synchronized void mapPage(long ipa, long hostPa) {
        long table = root;
        for (int level = 1; level < 3; level++) {
            long entryPa = table + (((ipa >>> (39 - 9 * level)) & 511) << 3);
            long d = bus.read(entryPa, 8);
            if ((d & 3) != 3) {
                long next = allocateTable();
                bus.write(entryPa, 8, next | 3);
                table = next;
            } else {
                table = d & 0x0000_FFFF_FFFF_F000L;
            }
        }
        bus.write(table + (((ipa >>> 12) & 511) << 3), 8, (hostPa & ~0xfffL) | PAGE_ATTRS);
    }
}
