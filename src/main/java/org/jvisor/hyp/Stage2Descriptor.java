package org.jvisor.hyp;

/**
 * The VMSAv8-64 stage-2 descriptor format, 4 KiB granule (Arm ARM D5.3 "Translation table descriptor
 * formats" and "Attribute fields in stage 2 VMSAv8-64 Block and Page descriptors").
 *
 * <pre>
 *  bit  0      valid
 *  bit  1      1: table (levels 1-2) or page (level 3); 0: block (levels 1-2; reserved at level 3)
 *  [5:2]       MemAttr: 0b1111 Normal write-back (outer and inner), 0b0001 Device-nGnRE, 0b0000 Device-nGnRnE
 *  [7:6]       S2AP: bit 6 read, bit 7 write
 *  [9:8]       SH: 0b11 Inner Shareable
 *  bit 10      AF (no hardware Access flag update: a descriptor with AF=0 faults)
 *  [47:12]     output address (a block's low bits [29:12] or [20:12] are RES0)
 *  bit 51      DBM (ARMv8.1 FEAT_HAFDBS; RES0 on ARMv8.0)
 *  bit 52      Contiguous hint
 *  bit 53      XN[0] (ARMv8.2 FEAT_XNX; RES0 on ARMv8.0)
 *  bit 54      XN (XN[1]): execute never at EL1 and EL0
 *  [58:55]     reserved for software use: ignored by hardware
 *  [62:59]     PBHA (ARMv8.2 FEAT_HPDS2), otherwise ignored
 * </pre>
 *
 * <p>Safe for software data: only bits [58:55] of block and page descriptors ({@link #SW_MASK}, four bits),
 * which {@link Stage2PageTable} never uses and always leaves as they are in permission changes. Bits [54:51]
 * are not free: 54 takes execute permission away, a wrong Contiguous hint (52) is a programming error with
 * CONSTRAINED UNPREDICTABLE TLB results, 51 and 53 are RES0 on ARMv8.0 and are permission bits on later
 * processors. (In stage-2 table descriptors bits [58:52] and [11:2] are ignored and [63:59] are RES0.)
 */
public final class Stage2Descriptor {
    public static final long VALID = 1L, TABLE_OR_PAGE = 1L << 1;
    public static final long MEMATTR_MASK = 0xfL << 2, MEMATTR_NORMAL_WB = 0xfL << 2, MEMATTR_DEVICE_NGNRE = 0x1L << 2;
    public static final long S2AP_R = 1L << 6, S2AP_W = 1L << 7;
    public static final long SH_MASK = 3L << 8, SH_INNER = 3L << 8;
    public static final long AF = 1L << 10;
    public static final long OA_MASK = 0x0000_ffff_ffff_f000L;
    public static final long DBM = 1L << 51, CONTIGUOUS = 1L << 52, XN = 1L << 54;
    public static final int SW_SHIFT = 55;
    public static final long SW_MASK = 0xfL << SW_SHIFT;

    private Stage2Descriptor() { }

    public static boolean isValid(long desc) {
        return (desc & VALID) != 0;
    }

    /** A table descriptor: valid with bit 1 set, at level 1 or 2. */
    public static boolean isTable(long desc, int level) {
        return level < 3 && (desc & 3) == 3;
    }

    /** A valid block (levels 1-2) or page (level 3). */
    public static boolean isLeaf(long desc, int level) {
        return level == 3 ? (desc & 3) == 3 : (desc & 3) == 1;
    }

    /** The output address (the next table's address, or the block's or page's base PA). */
    public static long outputAddress(long desc) {
        return desc & OA_MASK;
    }

    /** Bits [58:55], the four software bits, as 0-15. */
    public static int softwareBits(long desc) {
        return (int) (desc >>> SW_SHIFT) & 0xf;
    }

    /** {@code desc} with bits [58:55] replaced by {@code value} (0-15); nothing else changes. */
    public static long withSoftwareBits(long desc, int value) {
        return desc & ~SW_MASK | ((long) value & 0xf) << SW_SHIFT;
    }

    /** Bytes translated by one entry at {@code level} (1 GiB, 2 MiB, 4 KiB). */
    public static long levelSize(int level) {
        return 1L << levelShift(level);
    }

    static int levelShift(int level) {
        return 12 + 9 * (3 - level);
    }
}
