package org.jvisor.cpu;

/**
 * The architectural TLB: the results of translation table walks, kept until a TLBI removes them (or
 * they are evicted), so a guest that edits its tables without TLB maintenance keeps the old translation
 * as on hardware. Stage 1 entries (VA to IPA/PA, EL1&0 or EL2 regime) and stage 2 entries (IPA to PA)
 * are separate, as {@code TLBI IPAS2E1} needs; a two-stage translation looks up both.
 *
 * <p>Set-associative and bounded: an entry covers one block or page of the size the walk found, and
 * is indexed by its input address at that size, so a lookup probes once per block size present.
 * Entries are parallel arrays (no per-entry objects).
 */
final class ArchTlb {
    static final int SET_BITS = 10, SETS = 1 << SET_BITS, WAYS = 4, SIZE = SETS * WAYS;

    /** Entry key: valid, regime, global, VMID and ASID packed in an int. */
    static final int VALID = 1 << 31, GLOBAL = 1 << 28;
    static final int REGIME_EL10 = 1 << 29, REGIME_EL2 = 2 << 29, REGIME_S2 = 3 << 29, REGIME_MASK = 3 << 29;
    static final int VMID_SHIFT = 16, VMID_MASK = 0xff << VMID_SHIFT, ASID_MASK = 0xffff;
    /** Input addresses are compared on bits [55:0]: bits [63:56] are the tag or the sign extension of bit 55. */
    static final long IA_MASK = 0x00ff_ffff_ffff_ffffL;

    final long[] ia = new long[SIZE];
    final long[] out = new long[SIZE];
    final int[] key = new int[SIZE];
    /** Permission, attribute and level bits of the descriptor, as {@link Mmu} packs them. */
    final int[] info = new int[SIZE];
    final byte[] shift = new byte[SIZE];
    private final byte[] victim = new byte[SETS];
    /** Bit n set: some entry may have block size 2^n (cleared only when the TLB is emptied). */
    private long shiftsPresent;

    private static int set(long blockIa, int sh) {
        long h = ((blockIa >>> sh) + sh) * 0x9E3779B97F4A7C15L;
        return (int) (h >>> (64 - SET_BITS));
    }

    /**
     * Finds the entry translating {@code addr} for {@code want} (VALID | regime | VMID bits) and ASID
     * {@code asid} (global entries match every ASID); returns its index or -1.
     */
    int lookup(int want, int asid, long addr) {
        long a = addr & IA_MASK;
        long shifts = shiftsPresent;
        while (shifts != 0) {
            int sh = Long.numberOfTrailingZeros(shifts);
            shifts &= shifts - 1;
            long block = a & (-1L << sh);
            int base = set(block, sh) * WAYS;
            for (int i = base; i < base + WAYS; i++) {
                int k = key[i];
                if (ia[i] == block && shift[i] == sh && (k & (VALID | REGIME_MASK | VMID_MASK)) == want
                        && ((k & GLOBAL) != 0 || (k & ASID_MASK) == asid)) return i;
            }
        }
        return -1;
    }

    /** Adds an entry for the block of size 2^{@code sh} holding {@code addr}; returns its index. */
    int insert(int k, long addr, int sh, long outBlock, int inf) {
        long block = addr & IA_MASK & (-1L << sh);
        int s = set(block, sh);
        int base = s * WAYS;
        int w = -1;
        for (int i = base; i < base + WAYS; i++) if (key[i] == 0) { w = i; break; }
        if (w < 0) {
            w = base + victim[s];
            victim[s] = (byte) ((victim[s] + 1) & (WAYS - 1));
        }
        ia[w] = block;
        shift[w] = (byte) sh;
        out[w] = outBlock;
        info[w] = inf;
        key[w] = k | VALID;
        shiftsPresent |= 1L << sh;
        return w;
    }

    void invalidateEntry(int i) { key[i] = 0; }

    void invalidateAll() {
        java.util.Arrays.fill(key, 0);
        shiftsPresent = 0;
    }

    /** Invalidates every entry whose key, masked with {@code mask}, equals {@code match}. */
    void invalidateWhere(int mask, int match) {
        mask |= VALID;
        match |= VALID;
        for (int i = 0; i < SIZE; i++) if ((key[i] & mask) == match) key[i] = 0;
    }

    /**
     * Invalidates the entries of {@code regimeAndVmid} whose block holds {@code addr}; with
     * {@code anyAsid} false, only global entries and those of {@code asid}.
     */
    void invalidateAddress(int regimeAndVmid, long addr, boolean anyAsid, int asid) {
        long a = addr & IA_MASK;
        long shifts = shiftsPresent;
        int want = regimeAndVmid | VALID;
        while (shifts != 0) {
            int sh = Long.numberOfTrailingZeros(shifts);
            shifts &= shifts - 1;
            long block = a & (-1L << sh);
            int base = set(block, sh) * WAYS;
            for (int i = base; i < base + WAYS; i++) {
                int k = key[i];
                if (ia[i] == block && shift[i] == sh && (k & (VALID | REGIME_MASK | VMID_MASK)) == want
                        && (anyAsid || (k & GLOBAL) != 0 || (k & ASID_MASK) == asid)) key[i] = 0;
            }
        }
    }
}
