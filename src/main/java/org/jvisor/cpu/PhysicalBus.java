package org.jvisor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The physical address space seen by the processors: a short list of RAM regions and MMIO ranges.
 * An address that nothing claims reads as a bus error, which the processor reports as an external abort.
 * It also keeps the decoded-instruction pages of its RAM, shared by every processor on the bus.
 *
 * <p>Threads: each processor runs on its own thread, and devices and the host touch memory from others.
 * The decoded pages are shared without a lock on the processors' hot path: a page array is published and
 * dropped with release/acquire accesses ({@link #codePage}, {@link #invalidateCode}), so a processor that
 * finds a page (or finds none and decodes from memory) sees the memory written before it was dropped.
 * The slots inside a page are plain longs, written and read without synchronization: a slot is written
 * whole (64-bit), and its value is a function of the instruction word, so a racing reader sees either 0
 * (and decodes the word itself) or a valid slot; a slot decoded into a page already dropped is never
 * used once its processor has refetched the page. Every drop increments {@link #codeEpoch}: a processor
 * refetches its current page when the epoch moved, at its next chunk of instructions (so at the latest
 * after its next ISB, which is when the architecture requires it to see code changed by another PE).
 */
public final class PhysicalBus {
    static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort H = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt W = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong D = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A RAM region and the decoded form of the instructions found in it, one slot array per 4 KiB page. */
    public static final class RamRegion {
        public final long base, size;
        public final MemorySegment segment;
        /** Per 4 KiB page, its decoded code or null: accessed through {@link #DECODED} (release/acquire). */
        final CodePage[] decoded;
        /**
         * Per 4 KiB page, how often a store dropped its translation (saturating; cleared with all code): a page
         * whose translated code the guest keeps rewriting is then only interpreted, so that it does not cost a
         * new page and a new translation each time.
         */
        final byte[] storesIntoTranslation;
        /** Per 4 KiB page, how often IC IVAU dropped its decoded code (saturating at {@link #IC_DROPS_BEFORE_IN_PLACE}). */
        final byte[] icDrops;

        RamRegion(long base, Ram ram) {
            this.base = base;
            this.size = ram.size();
            this.segment = ram.segment();
            this.decoded = new CodePage[(int) (size >>> 12)];
            this.storesIntoTranslation = new byte[decoded.length];
            this.icDrops = new byte[decoded.length];
        }

        boolean contains(long pa) { return pa - base >= 0 && pa - base < size; }
    }

    public record MmioRegion(long base, long size, MmioHandler handler) {
        boolean contains(long pa) { return pa - base >= 0 && pa - base < size; }
    }

    private static final VarHandle DECODED = MethodHandles.arrayElementVarHandle(CodePage[].class);

    private volatile RamRegion[] ram = new RamRegion[0];
    private volatile MmioRegion[] mmio = new MmioRegion[0];
    /** Incremented whenever decoded code is dropped (see the class comment). */
    private final AtomicLong codeEpoch = new AtomicLong();
    /**
     * Decoded pages kept at most (8 KiB of slots each): beyond this the whole cache is dropped and refills
     * with what runs now, so the host's memory stays the guest's RAM plus a fixed overhead (128 MiB here)
     * whatever a guest executes. Linux's kernel text is about 3,300 pages.
     */
    static final int MAX_DECODED_PAGES = 16384;
    private final java.util.concurrent.atomic.AtomicInteger decodedPages = new java.util.concurrent.atomic.AtomicInteger();
    private final List<Cpu> cpus = new ArrayList<>();
    /** Snapshot of {@link #cpus} readable from any thread (TLBI broadcasts). */
    private volatile Cpu[] cpuArray = new Cpu[0];

    public synchronized RamRegion addRam(long base, Ram r) {
        checkFree(base, r.size());
        RamRegion region = new RamRegion(base, r);
        RamRegion[] n = java.util.Arrays.copyOf(ram, ram.length + 1);
        n[ram.length] = region;
        ram = n;
        return region;
    }

    public synchronized void addMmio(long base, long size, MmioHandler handler) {
        checkFree(base, size);
        MmioRegion[] n = java.util.Arrays.copyOf(mmio, mmio.length + 1);
        n[mmio.length] = new MmioRegion(base, size, handler);
        mmio = n;
    }

    private void checkFree(long base, long size) {
        for (RamRegion r : ram)
            if (base < r.base + r.size && r.base < base + size) throw new IllegalArgumentException("overlaps RAM at 0x" + Long.toHexString(r.base));
        for (MmioRegion m : mmio)
            if (base < m.base + m.size && m.base < base + size) throw new IllegalArgumentException("overlaps MMIO at 0x" + Long.toHexString(m.base));
    }

    synchronized void attach(Cpu cpu) {
        cpus.add(cpu);
        cpuArray = cpus.toArray(new Cpu[0]);
    }

    /** The processors attached to this bus. */
    Cpu[] cpus() { return cpuArray; }

    /** SEV: sets the event register of every processor on the bus (a volatile field, so WFE on another thread sees it). */
    void sendEvent() {
        for (Cpu c : cpuArray) {
            c.eventRegister = true;
            c.eventListener.run(); // wakes a processor asleep in WFE
        }
    }

    public RamRegion ramAt(long pa) {
        for (RamRegion r : ram) if (r.contains(pa)) return r;
        return null;
    }

    public MmioRegion mmioAt(long pa) {
        for (MmioRegion m : mmio) if (m.contains(pa)) return m;
        return null;
    }

    /** Reads 1, 2, 4 or 8 bytes (zero-extended) at a physical address; throws {@link BusError} if unclaimed. */
    public long read(long pa, int size) {
        RamRegion r = ramAt(pa);
        if (r != null && pa + size - r.base <= r.size) {
            long off = pa - r.base;
            return switch (size) {
                case 1 -> r.segment.get(B, off) & 0xffL;
                case 2 -> r.segment.get(H, off) & 0xffffL;
                case 4 -> r.segment.get(W, off) & 0xffffffffL;
                default -> r.segment.get(D, off);
            };
        }
        MmioRegion m = mmioAt(pa);
        if (m != null && pa + size - m.base <= m.size) {
            long v = m.handler.read(pa - m.base, size);
            return size == 8 ? v : v & ((1L << (size * 8)) - 1);
        }
        throw BusError.INSTANCE;
    }

    public void write(long pa, int size, long value) {
        RamRegion r = ramAt(pa);
        if (r != null && pa + size - r.base <= r.size) {
            long off = pa - r.base;
            switch (size) {
                case 1 -> r.segment.set(B, off, (byte) value);
                case 2 -> r.segment.set(H, off, (short) value);
                case 4 -> r.segment.set(W, off, (int) value);
                default -> r.segment.set(D, off, value);
            }
            codeStored(r, off, size);
            return;
        }
        MmioRegion m = mmioAt(pa);
        if (m != null && pa + size - m.base <= m.size) {
            m.handler.write(pa - m.base, size, size == 8 ? value : value & ((1L << (size * 8)) - 1));
            return;
        }
        throw BusError.INSTANCE;
    }

    /**
     * Host-side copy of {@code length} bytes from {@code src} into physical memory at {@code pa} (loaders,
     * devices doing DMA): one bulk copy when the range lies in one RAM region, dropping the decoded code of
     * every page it overwrites; byte by byte otherwise. Throws {@link BusError} where nothing is mapped.
     */
    public void writeBytes(long pa, byte[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        RamRegion r = ramAt(pa);
        if (r != null && length > 0 && pa + length - r.base <= r.size) {
            long off = pa - r.base;
            MemorySegment.copy(src, offset, r.segment, B, off, length);
            for (long p = off & ~0xfffL; p < off + length; p += 0x1000) invalidateCode(r, p);
            return;
        }
        for (int i = 0; i < length; i++) write(pa + i, 1, src[offset + i]);
    }

    public void writeBytes(long pa, byte[] data) { writeBytes(pa, data, 0, data.length); }

    /** Host-side copy out of physical memory; the counterpart of {@link #writeBytes(long, byte[], int, int)}. */
    public void readBytes(long pa, byte[] dst, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        RamRegion r = ramAt(pa);
        if (r != null && length > 0 && pa + length - r.base <= r.size) {
            MemorySegment.copy(r.segment, B, pa - r.base, dst, offset, length);
            return;
        }
        for (int i = 0; i < length; i++) dst[offset + i] = (byte) read(pa + i, 1);
    }

    public byte[] readBytes(long pa, int len) {
        byte[] out = new byte[len];
        readBytes(pa, out, 0, len);
        return out;
    }

    // ---- decoded-instruction pages -------------------------------------------------------------

    /** The number of code drops so far; a processor compares it with the last value it saw. */
    long codeEpoch() { return codeEpoch.get(); }

    /**
     * The decoded slots of the RAM page at {@code off}, created on first use (by one processor when several
     * race). Stores to a page holding decoded code must take the slow path so that they drop the code:
     * {@code self} (the processor fetching) stops caching write access to the page at once, the others at
     * their next chunk of instructions (each processor's soft TLB is written by its own thread only).
     */
    CodePage codePage(RamRegion r, long off, Cpu self) {
        int idx = (int) (off >>> 12);
        CodePage page = (CodePage) DECODED.getAcquire(r.decoded, idx);
        if (page == null) {
            CodePage fresh = new CodePage(r, off & ~0xfffL);
            if (r.storesIntoTranslation[idx] >= TRANSLATIONS_REWRITTEN_MAX) fresh.translations = Integer.MAX_VALUE;
            page = (CodePage) DECODED.compareAndExchange(r.decoded, idx, (CodePage) null, fresh);
            long paPage = r.base + (off & ~0xfffL);
            if (page != null) {
                // Another processor published the page first (and asked us to drop write access, which
                // we would apply only at our next chunk): drop it now, as we are about to run the code.
                self.tlb.dropWritesTo(paPage);
                return page;
            }
            page = fresh;
            for (Cpu c : cpuArray) {
                if (c == self) c.tlb.dropWritesTo(paPage);
                else c.mmu.postDropWrites(paPage);
            }
            // the caller still runs from the page it got; every processor refetches after the epoch change
            if (decodedPages.incrementAndGet() > MAX_DECODED_PAGES) invalidateAllCode();
        }
        return page;
    }

    /**
     * Translated methods kept at most (a page's translation has one to {@link Translator#MAX_METHODS_PER_PAGE}):
     * each is a hidden class of at most ~8 KB of bytecode with its compiled code, so beyond this all code is
     * dropped, as for {@link #MAX_DECODED_PAGES}, and what runs now is translated again. Linux's boot
     * translates a few hundred pages.
     */
    static final int MAX_TRANSLATED_METHODS = 4096;
    private final java.util.concurrent.atomic.AtomicInteger translatedMethods = new java.util.concurrent.atomic.AtomicInteger();
    /** Translations of one page that guest stores may drop before the page is only interpreted (until all code is dropped). */
    static final int TRANSLATIONS_REWRITTEN_MAX = 4;

    /** Publishes {@code t} as the translation of {@code page} if the page is still current; false if it was dropped. */
    boolean publishTranslation(CodePage page, TranslatedPage t) {
        int added;
        synchronized (page) {
            if (DECODED.getAcquire(page.region.decoded, (int) (page.offset >>> 12)) != page) return false;
            added = t.codes.length - (page.translated == null ? 0 : page.translated.codes.length);
            page.translated = t;
        }
        if (translatedMethods.addAndGet(added) > MAX_TRANSLATED_METHODS) invalidateAllCode();
        return true;
    }

    private void dropTranslation(CodePage old) {
        synchronized (old) { // against a publishTranslation that checked the page before it was dropped
            if (old.translated != null) translatedMethods.addAndGet(-old.translated.codes.length);
        }
    }

    /** Pages whose decoded form is kept now (at most {@link #MAX_DECODED_PAGES} after each fetch). */
    int decodedPageCount() { return decodedPages.get(); }

    boolean isCode(RamRegion r, long off) { return DECODED.getAcquire(r.decoded, (int) (off >>> 12)) != null; }

    /**
     * A processor stored {@code size} bytes at {@code off}. The decoded words it overwrote are forgotten in
     * place (their slots set to 0, so that the next fetch decodes the new word): a guest that stores into the
     * page it runs from, or keeps data beside its code, costs no new 8 KiB page per store (that was 99% of
     * what such a guest made the host allocate). A page with a translation is dropped whole, since its
     * bytecode holds the old instructions (QEMU likewise invalidates the translations a write hits).
     *
     * <p>Stores to a page that holds code take the slow path, so a page whose code is gone (reused for data)
     * must not stay one: every {@link CodePage#STORES_PER_PROBE} stores all its slots are cleared, and if no
     * instruction was decoded from it again by the next time, it is dropped. Code and data sharing a page
     * (which QEMU also serves slowly) thus cost an 8 KiB clear per 512 stores, and allocate nothing.
     *
     * <p>Another processor may at the same moment decode the old word into a slot just cleared. That is
     * cross-modification without maintenance, which the architecture lets run the old instruction (CTR_EL0.DIC
     * is 0); the IC IVAU it requires drops the whole page ({@link #invalidateCodeAt}).
     */
    void codeStored(RamRegion r, long off, int size) {
        for (long end = off + size, p = off; p < end; p = (p | 0xfff) + 1) {
            CodePage page = (CodePage) DECODED.getAcquire(r.decoded, (int) (p >>> 12));
            if (page == null) continue;
            if (page.translated != null) {
                int idx = (int) (p >>> 12);
                if (r.storesIntoTranslation[idx] < Byte.MAX_VALUE) r.storesIntoTranslation[idx]++;
                invalidateCode(r, p);
            } else if (++page.stores >= CodePage.STORES_PER_PROBE) {
                page.stores = 0;
                if (page.probing) {
                    invalidateCode(r, p);
                } else {
                    page.probing = true;
                    java.util.Arrays.fill(page.slots, 0L);
                }
            } else {
                int from = (int) (p & 0xfff), to = (int) Math.min(end - (p & ~0xfffL), 0x1000);
                for (int i = from >>> 2; i <= (to - 1) >>> 2; i++) page.slots[i] = 0;
            }
        }
    }

    /** Drops the decoded form of the page at {@code off} if there is one (IC invalidation or a host write hit it). */
    void invalidateCode(RamRegion r, long off) {
        int idx = (int) (off >>> 12);
        CodePage old = (CodePage) DECODED.getAcquire(r.decoded, idx);
        if (old != null && DECODED.compareAndSet(r.decoded, idx, old, (CodePage) null)) {
            decodedPages.decrementAndGet();
            dropTranslation(old);
            codeEpoch.incrementAndGet();
        }
    }

    /** IC IALLU / IALLUIS: forget every decoded page. */
    public void invalidateAllCode() {
        for (RamRegion r : ram) {
            java.util.Arrays.fill(r.storesIntoTranslation, (byte) 0);
            for (int i = 0; i < r.decoded.length; i++) {
                CodePage old = (CodePage) DECODED.getAcquire(r.decoded, i);
                if (old != null && DECODED.compareAndSet(r.decoded, i, old, (CodePage) null)) {
                    decodedPages.decrementAndGet();
                    dropTranslation(old);
                }
            }
        }
        codeEpoch.incrementAndGet();
    }

    /**
     * IC IVAU: drops the decoded code of the page holding {@code pa}. A page that IC IVAU keeps dropping (a
     * guest rewriting and invalidating its code in a loop) would cost a new page each time: after
     * {@link #IC_DROPS_BEFORE_IN_PLACE} drops it is instead kept, never translated, and only the slots of the
     * invalidated cache line are cleared ({@link CodePage#inPlace}).
     */
    public void invalidateCodeAt(long pa) {
        RamRegion r = ramAt(pa);
        if (r == null) return;
        long off = pa - r.base;
        int idx = (int) (off >>> 12);
        CodePage page = (CodePage) DECODED.getAcquire(r.decoded, idx);
        if (page == null) return;
        if (page.translated == null && (page.inPlace || r.icDrops[idx] >= IC_DROPS_BEFORE_IN_PLACE
                || ++r.icDrops[idx] >= IC_DROPS_BEFORE_IN_PLACE)) {
            if (!page.inPlace) {
                page.translations = Integer.MAX_VALUE;
                page.inPlace = true;
            }
            // The stores to the line came before this (DSB); a decode racing with the clear re-reads its word.
            VarHandle.fullFence();
            int first = (int) (off & 0xfc0) >>> 2;
            for (int i = first; i < first + IdRegisters.IMIN_LINE_BYTES / 4; i++) page.slots[i] = 0;
            return;
        }
        invalidateCode(r, off);
    }

    /** IC IVAU drops of one page after which its decoded code is cleared in place instead. */
    static final int IC_DROPS_BEFORE_IN_PLACE = 8;
}
