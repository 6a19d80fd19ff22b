package org.jvisor.hyp;

import org.jvisor.cpu.PhysicalBus;

/**
 * The stage-2 translation of one VM as the exit handlers use it: a {@link Stage2PageTable} in the
 * hypervisor-private table region of the VM's host bus, filled a page at a time as the guest faults,
 * and the VTTBR_EL2/VTCR_EL2 values its vCPUs run with.
 */
public final class GuestStage2 {
    static final long IPA_LIMIT = 1L << Stage2PageTable.IPA_BITS;
    /** Each VM has its own processors and TLBs, so one VMID serves them all. */
    private static final int VMID = 1;

    private final Stage2PageTable table;

    GuestStage2(PhysicalBus bus, long poolBase, long poolSize) {
        // Only invalid entries are ever filled (first touch), which needs no TLB invalidation.
        table = new Stage2PageTable(new TablePageAllocator(bus, poolBase, poolSize), Stage2Invalidator.NONE);
    }

    public long vttbr() { return table.vttbr(VMID); }

    public long vtcr() { return table.vtcr(); }

    /** The table itself (walks, lookups). */
    public Stage2PageTable table() { return table; }

    /** Maps the 2 MiB guest block at {@code ipa} to the host block at {@code hostPa} (both 2 MiB aligned). */
    public void mapBlock(long ipa, long hostPa) {
        table.map(ipa, hostPa, Stage2PageTable.BLOCK_SIZE,
                Stage2PageTable.R | Stage2PageTable.W | Stage2PageTable.X | Stage2PageTable.BLOCKS);
    }

    /** Maps guest page {@code ipa} to host page {@code hostPa}, read/write/execute, normal memory. */
    public void mapPage(long ipa, long hostPa) {
        table.map(ipa, hostPa, Stage2PageTable.PAGE_SIZE, Stage2PageTable.R | Stage2PageTable.W | Stage2PageTable.X);
    }
}
