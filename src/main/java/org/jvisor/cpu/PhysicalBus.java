package org.jvisor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The physical address space seen by the processors: a short list of RAM regions and MMIO ranges.
 * An address that nothing claims reads as a bus error, which the processor reports as an external abort.
 * It also keeps the decoded-instruction pages of its RAM, shared by every processor on the bus.
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
        final long[][] decoded;

        RamRegion(long base, Ram ram) {
            this.base = base;
            this.size = ram.size();
            this.segment = ram.segment();
            this.decoded = new long[(int) (size >>> 12)][];
        }

        boolean contains(long pa) { return pa - base >= 0 && pa - base < size; }
    }

    public record MmioRegion(long base, long size, MmioHandler handler) {
        boolean contains(long pa) { return pa - base >= 0 && pa - base < size; }
    }

    private RamRegion[] ram = new RamRegion[0];
    private MmioRegion[] mmio = new MmioRegion[0];
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

    /** SEV: sets the event register of every processor on the bus. */
    synchronized void sendEvent() {
        for (Cpu c : cpus) c.eventRegister = true;
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
            invalidateCode(r, off);
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

    /** The decoded slots of the RAM page holding {@code pa}, created on first use; null if not RAM. */
    long[] codePage(RamRegion r, long off) {
        int idx = (int) (off >>> 12);
        long[] page = r.decoded[idx];
        if (page == null) {
            page = new long[1024];
            r.decoded[idx] = page;
            long paPage = r.base + (off & ~0xfffL);
            // Stores to a page holding decoded code must take the slow path so the code can be dropped.
            for (Cpu c : cpus) c.tlb.dropWritesTo(paPage);
        }
        return page;
    }

    boolean isCode(RamRegion r, long off) { return r.decoded[(int) (off >>> 12)] != null; }

    /** Drops the decoded form of the page at {@code off} if there is one (a store or IC invalidation hit it). */
    void invalidateCode(RamRegion r, long off) {
        int idx = (int) (off >>> 12);
        if (r.decoded[idx] != null) {
            r.decoded[idx] = null;
            for (Cpu c : cpus) c.codeInvalidated();
        }
    }

    /** IC IALLU / IALLUIS: forget every decoded page. */
    public void invalidateAllCode() {
        for (RamRegion r : ram) java.util.Arrays.fill(r.decoded, null);
        for (Cpu c : cpus) c.codeInvalidated();
    }

    public void invalidateCodeAt(long pa) {
        RamRegion r = ramAt(pa);
        if (r != null) invalidateCode(r, pa - r.base);
    }
}
