package org.jvisor.hyp;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.TlbiOp;

/**
 * Called by {@link Stage2PageTable} after it changed a valid descriptor (and, for break-before-make,
 * between the invalid and the new descriptor): TLBs must drop what they hold for IPAs
 * {@code [ipa, ipa + size)} of the table's VMID, stage 2 and the combined stage 1+2 entries, as
 * TLBI IPAS2E1IS + DSB + TLBI VMALLE1IS + DSB do. {@code size} is the size the changed entry covers
 * (4 KiB, 2 MiB or 1 GiB).
 */
@FunctionalInterface
public interface Stage2Invalidator {
    void invalidate(long ipa, long size);

    /** For tables no processor uses yet. */
    Stage2Invalidator NONE = (ipa, size) -> { };

    /**
     * TLBI IPAS2E1IS + VMALLE1IS for one page, VMALLS12E1IS for anything larger (a replaced table entry
     * stands for many leaves), executed by {@code cpu} and broadcast to the other processors of its bus.
     * Stage 2 TLBIs act on the VMID in the processor's VTTBR_EL2, so call this only on {@code cpu}'s own
     * thread while it holds this table's VMID.
     */
    static Stage2Invalidator broadcastFrom(Cpu cpu) {
        return (ipa, size) -> {
            if (size == Stage2PageTable.PAGE_SIZE) {
                cpu.mmu.tlbi(TlbiOp.IPAS2E1, ipa >>> 12, true);
                cpu.mmu.tlbi(TlbiOp.VMALLE1, 0, true);
            } else {
                cpu.mmu.tlbi(TlbiOp.VMALLS12E1, 0, true);
            }
        };
    }
}
