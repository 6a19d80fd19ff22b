package org.jvisor.hyp;

/**
 * One stage-2 translation of a VM (a "view"): a {@link Stage2PageTable} in the hypervisor-private table
 * region of the VM's host bus, with its own VMID, filled a page (or block) at a time as the guest
 * faults while a vCPU runs on it. View 0 is the VM's default; others ({@link Vm#createStage2View}) can
 * map guest addresses differently (the Arm counterpart of EPTP switching) through {@link #table()}.
 */
public final class GuestStage2 {
    static final long IPA_LIMIT = 1L << Stage2PageTable.IPA_BITS;
    private static final int PROT = Stage2PageTable.R | Stage2PageTable.W | Stage2PageTable.X;

    private final Stage2PageTable table;
    private final int vmid;

    GuestStage2(TablePageAllocator pages, int vmid, Stage2Invalidator invalidator) {
        this.vmid = vmid;
        table = new Stage2PageTable(pages, invalidator);
    }

    /** The view whose table is already at {@code root} (a restored snapshot's). */
    GuestStage2(TablePageAllocator pages, int vmid, Stage2Invalidator invalidator, long root) {
        this.vmid = vmid;
        table = new Stage2PageTable(pages, invalidator, root);
    }

    public long vttbr() { return table.vttbr(vmid); }

    public long vtcr() { return table.vtcr(); }

    public int vmid() { return vmid; }

    /**
     * The table itself: map, unmap, walk. Changes to valid entries are invalidated in every vCPU before
     * it next enters the guest (running vCPUs are made to re-enter at once).
     */
    public Stage2PageTable table() { return table; }

    /** Maps the 2 MiB guest block at {@code ipa} to the host block at {@code hostPa} (both 2 MiB aligned). */
    public void mapBlock(long ipa, long hostPa) {
        table.map(ipa, hostPa, Stage2PageTable.BLOCK_SIZE, PROT | Stage2PageTable.BLOCKS);
    }

    /** Maps guest page {@code ipa} to host page {@code hostPa}, read/write/execute, normal memory. */
    public void mapPage(long ipa, long hostPa) {
        table.map(ipa, hostPa, Stage2PageTable.PAGE_SIZE, PROT);
    }
}
