package org.jvisor.hyp;

import static org.jvisor.hyp.Stage2Descriptor.AF;
import static org.jvisor.hyp.Stage2Descriptor.CONTIGUOUS;
import static org.jvisor.hyp.Stage2Descriptor.MEMATTR_DEVICE_NGNRE;
import static org.jvisor.hyp.Stage2Descriptor.MEMATTR_MASK;
import static org.jvisor.hyp.Stage2Descriptor.MEMATTR_NORMAL_WB;
import static org.jvisor.hyp.Stage2Descriptor.S2AP_R;
import static org.jvisor.hyp.Stage2Descriptor.S2AP_W;
import static org.jvisor.hyp.Stage2Descriptor.SH_INNER;
import static org.jvisor.hyp.Stage2Descriptor.SH_MASK;
import static org.jvisor.hyp.Stage2Descriptor.XN;
import static org.jvisor.hyp.Stage2Descriptor.isLeaf;
import static org.jvisor.hyp.Stage2Descriptor.isTable;
import static org.jvisor.hyp.Stage2Descriptor.isValid;
import static org.jvisor.hyp.Stage2Descriptor.levelShift;
import static org.jvisor.hyp.Stage2Descriptor.levelSize;
import static org.jvisor.hyp.Stage2Descriptor.outputAddress;

import java.util.Set;
import java.util.function.LongPredicate;
import org.jvisor.cpu.PhysicalBus;
import org.jvisor.cpu.StateException;

/**
 * A VM's stage-2 translation tables (KVM's kvm_pgtable): 4 KiB granule, 40-bit IPA, walks starting at
 * level 1 with two concatenated level-1 tables (1024 entries of 1 GiB), in pages of a
 * {@link TablePageAllocator}. Every descriptor change goes through one place that does break-before-make
 * where the Arm ARM requires it (a new output address, memory type, shareability or Contiguous hint, or
 * a block replaced by a table and back) and then calls the {@link Stage2Invalidator}. {@link #map} and
 * {@link #unmap} are walker users, like KVM's. Methods are synchronized: vCPU threads may fault and map concurrently.
 */
public final class Stage2PageTable {
    /** {@code prot} flags: stage-2 read, write and execute permission. */
    public static final int R = 1, W = 2, X = 4;
    /** {@code prot} flag: Device-nGnRE memory instead of Normal write-back (not executable). */
    public static final int DEVICE = 8;
    /** {@code prot} flag: use 2 MiB blocks wherever the IPA, the PA and the rest of the range allow. */
    public static final int BLOCKS = 16;

    /** {@link #walk} flags: which entries the visitor sees. */
    public static final int WALK_LEAF = 1, WALK_INVALID = 2, WALK_TABLE_PRE = 4, WALK_TABLE_POST = 8;

    public static final int IPA_BITS = 40;
    public static final long PAGE_SIZE = 1L << 12, BLOCK_SIZE = 1L << 21;
    static final int START_LEVEL = 1;
    private static final int ROOT_ENTRIES = 1 << (IPA_BITS - 30);

    /**
     * VTCR_EL2: T0SZ=24 (40-bit IPA), SL0=01 (start at level 1), IRGN0=ORGN0=01 (walks are Normal
     * write-back read/write-allocate), SH0=11 (Inner Shareable), TG0=00 (4 KiB), PS=010 (40-bit PA),
     * bit 31 RES1.
     */
    public static final long VTCR = 24L | 1L << 6 | 1L << 8 | 1L << 10 | 3L << 12 | 0L << 14 | 2L << 16 | 1L << 31;

    private final TablePageAllocator pages;
    private final Stage2Invalidator invalidator;
    private final long root;
    private int foundLevel;

    /** An empty table; its root (two pages) comes from {@code pages}. */
    public Stage2PageTable(TablePageAllocator pages, Stage2Invalidator invalidator) {
        this(pages, invalidator, pages.allocate(2));
    }

    /** The table already at {@code root} in {@code pages}' memory (a restored snapshot's: see {@link #checkRestored}). */
    Stage2PageTable(TablePageAllocator pages, Stage2Invalidator invalidator, long root) {
        this.pages = pages;
        this.invalidator = invalidator;
        this.root = root;
    }

    /** The value for VTCR_EL2. */
    public long vtcr() {
        return VTCR;
    }

    /** The value for VTTBR_EL2: the root's PA (BADDR) and the 8-bit VMID in [55:48]. */
    public long vttbr(int vmid) {
        if (vmid < 0 || vmid > 0xff) throw new IllegalArgumentException("VMID is 8 bits: " + vmid);
        return root | (long) vmid << 48;
    }

    /** The PA of the root (two concatenated level-1 tables, 8 KiB aligned). */
    public long root() {
        return root;
    }

    /**
     * Maps {@code [ipa, ipa + size)} to {@code [pa, pa + size)} with {@code prot} (R, W, X, DEVICE, BLOCKS),
     * replacing what was mapped there (a block partly covered is split into pages that keep its mapping).
     * All three values must be 4 KiB aligned. Throws {@link Stage2MemoryExhausted} if a table is needed and
     * none is left; pages mapped before that stay mapped.
     */
    public synchronized void map(long ipa, long pa, long size, int prot) {
        checkRange(ipa, size);
        if ((pa & (PAGE_SIZE - 1)) != 0 || pa < 0 || (pa + size) >>> 48 != 0)
            throw new IllegalArgumentException("PA not 4 KiB aligned or beyond 48 bits: 0x" + Long.toHexString(pa));
        long attrs = leafAttributes(prot);
        long end = ipa + size;
        boolean blocks = (prot & BLOCKS) != 0;
        walkTable(root, START_LEVEL, 0, ipa, end, WALK_LEAF | WALK_INVALID | WALK_TABLE_PRE, (a, level, desc) -> {
            boolean fits = a >= ipa && a + levelSize(level) <= end;
            long out = pa + (a - ipa);
            boolean leafHere = level == 3
                    || level == 2 && blocks && fits && (out & (BLOCK_SIZE - 1)) == 0;
            if (leafHere) return out | attrs | (level == 3 ? 3 : 1);
            if (isTable(desc, level)) return desc;
            return newTable(desc, level);
        });
    }

    /** Unmaps {@code [ipa, ipa + size)} (4 KiB aligned), splitting blocks it covers in part, and frees emptied tables. */
    public synchronized void unmap(long ipa, long size) {
        checkRange(ipa, size);
        long end = ipa + size;
        walkTable(root, START_LEVEL, 0, ipa, end, WALK_LEAF | WALK_TABLE_POST, (a, level, desc) -> {
            if (isTable(desc, level)) return tableIsEmpty(outputAddress(desc)) ? 0 : desc;
            if (a >= ipa && a + levelSize(level) <= end) return 0;
            return newTable(desc, level); // a block only partly unmapped
        });
    }

    /** The valid block or page descriptor that translates {@code ipa}, or 0. */
    public synchronized long lookup(long ipa) {
        return findLeaf(ipa);
    }

    /** The PA that {@code ipa} translates to, or -1 if it is not mapped. */
    public synchronized long translate(long ipa) {
        long desc = findLeaf(ipa);
        if (desc == 0) return -1;
        long mask = levelSize(foundLevel) - 1;
        return outputAddress(desc) & ~mask | ipa & mask;
    }

    /** Visits every valid block and page that translates some IPA in {@code [ipa, ipa + size)}, in IPA order. */
    public void walk(long ipa, long size, Stage2Walker visitor) {
        walk(ipa, size, WALK_LEAF, visitor);
    }

    /**
     * kvm_pgtable_walk: visits the entries in {@code [ipa, ipa + size)} that {@code flags} select: valid
     * blocks and pages (WALK_LEAF), invalid entries at the level the walk finds them (WALK_INVALID), and
     * table entries before (WALK_TABLE_PRE) and after (WALK_TABLE_POST) their subtree. The visitor's result
     * replaces the entry (see {@link Stage2Walker}); when it turns an entry into a table the walk goes on
     * into that table.
     */
    public synchronized void walk(long ipa, long size, int flags, Stage2Walker visitor) {
        checkRange(ipa, size);
        walkTable(root, START_LEVEL, 0, ipa, ipa + size, flags, visitor);
    }

    /** Pages of table memory this table holds (the root counts two). */
    public synchronized int tablePages() {
        return countPages(root, START_LEVEL);
    }

    /**
     * Gives every page of this table, root included, back to the allocator (a VM or a stage-2 view is
     * destroyed). No processor may use the table any more, and this object must not be used afterwards.
     */
    public synchronized void release() {
        freeTable(root, START_LEVEL);
    }

    /**
     * Checks a table restored from a snapshot before any processor walks it: a tree (no table page reached
     * twice, here or in another table: {@code claimed}) of pages the allocator has handed out, whose blocks
     * and pages map host RAM only, and the hypervisor's table memory read-only if at all (as the
     * trap-and-emulate view of the shadow tables does). Anything else could not come from this class and
     * would let a guest reach memory that is not its own, or send {@link #release} round a loop.
     */
    synchronized void checkRestored(LongPredicate handedOut, Set<Long> claimed,
            PhysicalBus bus) {
        for (long p : new long[] {root, root + PAGE_SIZE})
            if (!handedOut.test(p) || !claimed.add(p)) throw badTable("root page 0x" + Long.toHexString(p), "not a table page of its own");
        if ((root & (2 * PAGE_SIZE - 1)) != 0) throw badTable("root 0x" + Long.toHexString(root), "not 8 KiB aligned");
        checkTable(root, START_LEVEL, handedOut, claimed, bus);
    }

    private void checkTable(long table, int level, LongPredicate handedOut, Set<Long> claimed,
            PhysicalBus bus) {
        int entries = level == START_LEVEL ? ROOT_ENTRIES : 512;
        for (int i = 0; i < entries; i++) {
            long desc = pages.read(table + 8L * i);
            if (!isValid(desc)) continue;
            long oa = outputAddress(desc);
            if (isTable(desc, level)) {
                if (!handedOut.test(oa) || !claimed.add(oa)) throw badTable("table 0x" + Long.toHexString(oa), "not a table page of its own");
                checkTable(oa, level + 1, handedOut, claimed, bus);
                continue;
            }
            long size = levelSize(level);
            if (!isLeaf(desc, level)) throw badTable("entry 0x" + Long.toHexString(desc), "not a block or page");
            if ((oa & (size - 1)) != 0) throw badTable("output 0x" + Long.toHexString(oa), "not aligned to its block");
            PhysicalBus.RamRegion ram = bus.ramAt(oa);
            if (ram == null || oa + size - ram.base > ram.size) throw badTable("output 0x" + Long.toHexString(oa), "not host RAM");
            if (pages.contains(oa) && (desc & Stage2Descriptor.S2AP_W) != 0)
                throw badTable("output 0x" + Long.toHexString(oa), "the hypervisor's table memory, writable");
        }
    }

    private static StateException badTable(String what, String why) {
        return new StateException("stage-2 tables: " + what + " is " + why);
    }

    // ---- the walk -------------------------------------------------------------------------------------

    private void walkTable(long table, int level, long tableIpa, long start, long end, int flags, Stage2Walker v) {
        int shift = levelShift(level);
        int entries = level == START_LEVEL ? ROOT_ENTRIES : 512;
        int first = (int) ((Math.max(start, tableIpa) - tableIpa) >>> shift);
        for (int i = first; i < entries; i++) {
            long ipa = tableIpa + ((long) i << shift);
            if (ipa >= end) break;
            long ptep = table + 8L * i;
            long desc = pages.read(ptep);
            if (!isTable(desc, level)) {
                if ((flags & (isValid(desc) ? WALK_LEAF : WALK_INVALID)) == 0) continue;
                desc = replace(ptep, ipa, level, desc, v.visit(ipa, level, desc));
            } else if ((flags & WALK_TABLE_PRE) != 0) {
                desc = replace(ptep, ipa, level, desc, v.visit(ipa, level, desc));
            }
            if (!isTable(desc, level)) continue;
            walkTable(outputAddress(desc), level + 1, ipa, start, end, flags, v);
            if ((flags & WALK_TABLE_POST) != 0) replace(ptep, ipa, level, desc, v.visit(ipa, level, desc));
        }
    }

    /**
     * Stores {@code next} in place of {@code old} at {@code ptep}: break-before-make when the output address,
     * the kind of entry, the memory type, the shareability or the Contiguous hint changes (the Arm ARM
     * counts a Contiguous change as a change of the translation's size: a TLB may hold the old and the
     * new size at once otherwise, "misprogramming of the Contiguous bit"); invalidation after any change to
     * a valid entry (permissions, DBM and software bits need no break: a TLB holding either value is
     * allowed until the invalidation); the pages of a replaced table are freed once nothing points to them.
     */
    private long replace(long ptep, long ipa, int level, long old, long next) {
        if (next == old) return old;
        if (!isValid(old)) {
            pages.write(ptep, next); // invalid entries are never held in a TLB
            return next;
        }
        long size = levelSize(level);
        boolean oldTable = isTable(old, level), newTable = isTable(next, level);
        boolean breakFirst = isValid(next) && (oldTable != newTable || outputAddress(old) != outputAddress(next)
                || !oldTable && ((old ^ next) & (MEMATTR_MASK | SH_MASK | CONTIGUOUS)) != 0);
        if (breakFirst) {
            pages.write(ptep, 0);
            invalidator.invalidate(ipa, size);
            pages.write(ptep, next);
        } else {
            pages.write(ptep, next);
            invalidator.invalidate(ipa, size);
        }
        if (oldTable && !(newTable && outputAddress(old) == outputAddress(next))) freeTable(outputAddress(old), level + 1);
        return next;
    }

    /**
     * A table to put in place of the invalid or block entry {@code desc} at {@code level}: empty, or, for
     * a block, one that maps the same memory with the same attributes in entries of the next level.
     */
    private long newTable(long desc, int level) {
        long table = pages.allocate(1);
        if (isValid(desc)) {
            int childLevel = level + 1;
            long step = levelSize(childLevel);
            long attrs = desc & ~Stage2Descriptor.OA_MASK & ~3L;
            long out = outputAddress(desc);
            long type = childLevel == 3 ? 3 : 1;
            for (int i = 0; i < 512; i++) pages.write(table + 8L * i, (out + i * step) | attrs | type);
        }
        return table | 3;
    }

    private void freeTable(long table, int level) {
        if (level < 3) {
            int entries = level == START_LEVEL ? ROOT_ENTRIES : 512;
            for (int i = 0; i < entries; i++) {
                long d = pages.read(table + 8L * i);
                if (isTable(d, level)) freeTable(outputAddress(d), level + 1);
            }
        }
        pages.free(table, level == START_LEVEL ? 2 : 1);
    }

    private boolean tableIsEmpty(long table) {
        for (int i = 0; i < 512; i++) if (pages.read(table + 8L * i) != 0) return false;
        return true;
    }

    private int countPages(long table, int level) {
        int n = level == START_LEVEL ? 2 : 1;
        if (level == 3) return n;
        int entries = level == START_LEVEL ? ROOT_ENTRIES : 512;
        for (int i = 0; i < entries; i++) {
            long d = pages.read(table + 8L * i);
            if (isTable(d, level)) n += countPages(outputAddress(d), level + 1);
        }
        return n;
    }

    // ---- helpers --------------------------------------------------------------------------------------

    private static long entryAddress(long table, int level, long ipa) {
        int bits = level == START_LEVEL ? IPA_BITS - 30 : 9;
        return table + 8L * ((ipa >>> levelShift(level)) & ((1L << bits) - 1));
    }

    /** The leaf descriptor for {@code ipa} or 0, its level in {@link #foundLevel}. */
    private long findLeaf(long ipa) {
        if (ipa < 0 || ipa >>> IPA_BITS != 0) return 0;
        long table = root;
        for (int level = START_LEVEL; ; level++) {
            long desc = pages.read(entryAddress(table, level, ipa));
            if (!isTable(desc, level)) {
                foundLevel = level;
                return isLeaf(desc, level) ? desc : 0;
            }
            table = outputAddress(desc);
        }
    }

    /** Block/page attribute bits for {@code prot}: AF, Inner Shareable, MemAttr, S2AP, XN. */
    static long leafAttributes(int prot) {
        boolean device = (prot & DEVICE) != 0;
        if (device && (prot & X) != 0) throw new IllegalArgumentException("Device memory cannot be executable");
        return AF | SH_INNER | (device ? MEMATTR_DEVICE_NGNRE : MEMATTR_NORMAL_WB)
                | ((prot & R) != 0 ? S2AP_R : 0) | ((prot & W) != 0 ? S2AP_W : 0) | ((prot & X) != 0 ? 0 : XN);
    }

    private static void checkRange(long ipa, long size) {
        if (((ipa | size) & (PAGE_SIZE - 1)) != 0 || size <= 0 || ipa < 0 || ipa + size > 1L << IPA_BITS)
            throw new IllegalArgumentException("IPA range not 4 KiB aligned or beyond 40 bits: 0x"
                    + Long.toHexString(ipa) + "+0x" + Long.toHexString(size));
    }
}
