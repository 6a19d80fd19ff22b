package org.jvisor.hyp;

import java.util.ArrayList;
import java.util.List;

/**
 * The stage 1 tables the processor really walks while a guest kernel runs deprivileged ({@link Deprivileged}):
 * built by the hypervisor from the guest's own tables, a 4 KiB page at a time as the guest faults (VA to
 * IPA: stage 2 stays on and still maps IPA to host memory). Two address spaces, each with a TTBR0 and a
 * TTBR1 half: one for the guest's virtual EL1, whose pages are all EL0-accessible since the guest kernel runs
 * at EL0, and one for its virtual EL0, so user code cannot reach kernel-only pages. They are told apart by
 * ASID (1 and 2, entries not global), so a switch of virtual EL changes TTBR0 and flushes nothing.
 *
 * <p>The pages come from the VM's stage-2 table region, which stage 2 maps read-only at {@link #IPA_BASE}
 * (a walk reads its tables by IPA when stage 2 is on); no guest mapping may point there
 * ({@link #hidden}), so the guest can neither read nor write its shadow.
 */
final class ShadowStage1 {
    /** Where stage 2 shows the table region: the top of the IPA space, above any memory slot a VMM places. */
    static final long IPA_BASE = GuestStage2.IPA_LIMIT - Vm.TABLES_SIZE;
    static final int KERNEL = 0, USER = 1;
    /** Leaf bits: page descriptor, AP[1] (EL0 access), AP[2] (read-only), AF, nG, PXN, UXN. */
    static final long PAGE = 3, AP_EL0 = 1L << 6, AP_RO = 1L << 7, AF = 1L << 10, NG = 1L << 11, PXN = 1L << 53,
            UXN = 1L << 54;
    private static final long OA_MASK = 0x0000_ffff_ffff_f000L;

    private final TablePageAllocator pages;
    /** Host addresses of the four roots: [space * 2 + half], half 1 for TTBR1 (VA bit 55 set). */
    private final long[] roots = new long[4];
    private final List<Long> owned = new ArrayList<>();

    ShadowStage1(TablePageAllocator pages) {
        this.pages = pages;
        for (int i = 0; i < roots.length; i++) roots[i] = pages.allocate(1);
    }

    static boolean hidden(long ipa) { return ipa >= IPA_BASE && ipa < GuestStage2.IPA_LIMIT; }

    private static long ipaOf(long hostPa) { return IPA_BASE + (hostPa - Vm.TABLES_BASE); }

    private static long hostOf(long ipa) { return Vm.TABLES_BASE + (ipa - IPA_BASE); }

    /** TTBR0_EL1 (with the space's ASID) or TTBR1_EL1 of {@code space}. */
    long ttbr(int space, int half) {
        return ipaOf(roots[space * 2 + half]) | (half == 0 ? (space + 1L) << 48 : 0);
    }

    /** Maps the 4 KiB page of {@code va} to the page of {@code ipa} in {@code space}, with leaf {@code attrs}. */
    void map(int space, long va, long ipa, long attrs) {
        long table = roots[space * 2 + ((va & (1L << 55)) != 0 ? 1 : 0)];
        for (int level = 0; level < 3; level++) {
            long slot = table + (((va >>> (39 - 9 * level)) & 511) << 3);
            long e = pages.read(slot);
            if ((e & 3) != 3) {
                long next = pages.allocate(1);
                owned.add(next);
                pages.write(slot, ipaOf(next) | 3);
                table = next;
            } else {
                table = hostOf(e & OA_MASK);
            }
        }
        pages.write(table + (((va >>> 12) & 511) << 3), (ipa & OA_MASK) | attrs | AF | NG | PAGE);
    }

    /** Empties both spaces (the caller invalidates the processor's TLB). */
    void clear() {
        for (long r : roots) for (int i = 0; i < 512; i++) pages.write(r + 8L * i, 0);
        for (long p : owned) pages.free(p, 1);
        owned.clear();
    }

    /** Table pages in use beyond the four roots. */
    int tablePages() { return owned.size(); }
}
