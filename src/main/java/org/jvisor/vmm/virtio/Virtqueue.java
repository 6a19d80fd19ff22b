package org.jvisor.vmm.virtio;

import org.jvisor.vmm.GuestMemory;
import org.jvisor.vmm.GuestMemoryException;
import java.lang.invoke.VarHandle;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * A split virtqueue (virtio 1.2 section 2.7) as the device side sees it: the descriptor table, the
 * available (driver) ring and the used (device) ring in guest RAM, every guest value checked.
 *
 * <p>Shape errors (a head or next index outside the table, a chain longer than the queue, which is how a
 * loop shows, a bad indirect table, an available index that moved by more than the queue size, rings
 * outside RAM) throw {@link VirtqueueException}: the transport then sets DEVICE_NEEDS_RESET. Errors in a
 * request's buffers are the device's to report in the request's status.
 *
 * <p>Not thread-safe: the transport calls it with its device's lock held.
 */
public final class Virtqueue {
    static final int DESC_F_NEXT = 1, DESC_F_WRITE = 2, DESC_F_INDIRECT = 4;
    static final int AVAIL_F_NO_INTERRUPT = 1;
    /** The longest indirect table accepted (QEMU's VIRTQUEUE_MAX_SIZE): bounds the work per chain. */
    static final int MAX_INDIRECT = 1024;

    private final GuestMemory memory;
    private final int maxSize;
    private int size;
    private long desc, driver, device;
    private boolean ready;
    private boolean indirect, eventIdx;
    /** The next available-ring slot to take, and the next used-ring slot to fill (free-running 16-bit). */
    private int lastAvail, usedIdx;
    /** usedIdx when the driver was last told, for EVENT_IDX suppression. */
    private int signalledUsed;

    Virtqueue(GuestMemory memory, int maxSize) {
        this.memory = memory;
        this.maxSize = maxSize;
    }

    public int maxSize() { return maxSize; }

    public int size() { return size; }

    public boolean isReady() { return ready; }

    void setSize(int n) { if (!ready) size = n; }

    void setDesc(long a) { if (!ready) desc = a; }

    void setDriver(long a) { if (!ready) driver = a; }

    void setDevice(long a) { if (!ready) device = a; }

    long desc() { return desc; }

    long driverArea() { return driver; }

    long deviceArea() { return device; }

    /**
     * QueueReady = 1: accepted only for a size that is a power of two no larger than QueueNumMax and
     * rings aligned as the spec requires (16, 2 and 4 bytes); otherwise the queue stays not ready.
     */
    boolean enable(boolean indirectDesc, boolean eventIndex) {
        if (ready) return true;
        if (!validSize(size)) return false;
        if ((desc & 15) != 0 || (driver & 1) != 0 || (device & 3) != 0) return false;
        indirect = indirectDesc;
        eventIdx = eventIndex;
        lastAvail = usedIdx = signalledUsed = 0;
        ready = true;
        return true;
    }

    /** QueueReady = 0 or a device reset: forgets the rings. */
    void reset() {
        ready = false;
        size = 0;
        desc = driver = device = 0;
        lastAvail = usedIdx = signalledUsed = 0;
    }

    /**
     * Writes the queue's registers and the device's place in its rings: the next available slot to take
     * (last_avail_idx), the next used slot to fill, the used index last signalled (EVENT_IDX), and the
     * features it was enabled with. The rings themselves are guest RAM: buffers made available but not yet
     * taken are there, and are served at the next notification, as they would have been.
     */
    void saveState(StateWriter w) {
        w.tag("virtqueue");
        // A QueueNum that enable() would refuse is saved as 0, which it refuses alike; QueueNum reads as 0.
        w.putInt(ready || validSize(size) ? size : 0);
        w.putLong(desc).putLong(driver).putLong(device);
        w.putBoolean(ready).putBoolean(indirect).putBoolean(eventIdx);
        w.putInt(lastAvail).putInt(usedIdx).putInt(signalledUsed);
    }

    /** Restores what {@link #saveState} wrote; a ready queue must be one {@link #enable} would have accepted. */
    void restoreState(StateReader r) {
        r.tag("virtqueue");
        int n = r.getInt();
        if (n != 0 && !validSize(n)) throw new StateException("virtqueue size " + n + " (a power of two up to " + maxSize + ")");
        long d = r.getLong(), dr = r.getLong(), dv = r.getLong();
        boolean rdy = r.getBoolean(), ind = r.getBoolean(), ev = r.getBoolean();
        int la = r.getInt(0, 0xffff, "virtqueue last available index");
        int ui = r.getInt(0, 0xffff, "virtqueue used index");
        int su = r.getInt(0, 0xffff, "virtqueue signalled used index");
        if (rdy && (n == 0 || (d & 15) != 0 || (dr & 1) != 0 || (dv & 3) != 0))
            throw new StateException("a ready virtqueue without a size or with misaligned rings");
        if (!rdy && (la | ui | su) != 0) throw new StateException("a virtqueue that is not ready has ring indexes");
        size = n;
        desc = d;
        driver = dr;
        device = dv;
        ready = rdy;
        indirect = ind;
        eventIdx = ev;
        lastAvail = la;
        usedIdx = ui;
        signalledUsed = su;
    }

    private boolean validSize(int n) { return n > 0 && n <= maxSize && (n & (n - 1)) == 0; }

    private long readGuest(long gpa, int bytes) throws VirtqueueException {
        try {
            return memory.readLE(gpa, bytes);
        } catch (GuestMemoryException e) {
            throw new VirtqueueException("virtqueue ring outside guest RAM: " + e.getMessage());
        }
    }

    private void writeGuest(long gpa, int bytes, long value) throws VirtqueueException {
        try {
            memory.writeLE(gpa, bytes, value);
        } catch (GuestMemoryException e) {
            throw new VirtqueueException("virtqueue ring outside guest RAM: " + e.getMessage());
        }
    }

    /**
     * The next available chain, or null when the driver has made none available (or the queue is not
     * ready). With EVENT_IDX, before answering null it asks the driver to notify on the next buffer and
     * looks again, so a buffer added meanwhile is not left without a notification.
     */
    public DescriptorChain pop() throws VirtqueueException {
        if (!ready) return null;
        int avail = availIdx();
        if (avail == lastAvail && eventIdx) {
            writeGuest(device + 4 + 8L * size, 2, lastAvail); // avail_event
            VarHandle.fullFence();
            avail = availIdx();
        }
        if (avail == lastAvail) return null;
        if (((avail - lastAvail) & 0xffff) > size)
            throw new VirtqueueException("available index moved from " + lastAvail + " to " + avail + " in a queue of " + size);
        // the ring entry and the descriptors were written before the index the driver published
        VarHandle.acquireFence();
        int head = (int) readGuest(driver + 4 + 2L * (lastAvail % size), 2);
        lastAvail = (lastAvail + 1) & 0xffff;
        return walk(head);
    }

    private int availIdx() throws VirtqueueException {
        return (int) readGuest(driver + 2, 2);
    }

    private DescriptorChain walk(int head) throws VirtqueueException {
        int capacity = Math.min(size, 16);
        long[] addr = new long[capacity];
        int[] len = new int[capacity];
        int count = 0, readable = 0;
        boolean sawWritable = false;

        long table = desc;
        int tableSize = size;
        boolean inIndirect = false;
        int visited = 0, limit = size;
        int i = head;
        byte[] d = new byte[16];
        while (true) {
            if (i >= tableSize) throw new VirtqueueException("descriptor index " + i + " outside a table of " + tableSize);
            if (++visited > limit) throw new VirtqueueException("descriptor chain longer than " + limit + " (a loop?)");
            try {
                memory.read(table + 16L * i, d, 0, 16);
            } catch (GuestMemoryException e) {
                throw new VirtqueueException("descriptor table outside guest RAM: " + e.getMessage());
            }
            long a = le(d, 0, 8);
            int l = (int) le(d, 8, 4);
            int flags = (int) le(d, 12, 2);
            int next = (int) le(d, 14, 2);
            if ((flags & DESC_F_INDIRECT) != 0) {
                if (!indirect) throw new VirtqueueException("indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC");
                if (inIndirect) throw new VirtqueueException("indirect descriptor inside an indirect table");
                if ((flags & DESC_F_NEXT) != 0) throw new VirtqueueException("indirect descriptor with NEXT");
                long bytes = Integer.toUnsignedLong(l);
                if (bytes == 0 || bytes % 16 != 0 || bytes / 16 > MAX_INDIRECT)
                    throw new VirtqueueException("indirect table of " + bytes + " bytes");
                table = a;
                tableSize = (int) (bytes / 16);
                inIndirect = true;
                visited = 0;
                limit = tableSize;
                i = 0;
                continue;
            }
            boolean writable = (flags & DESC_F_WRITE) != 0;
            if (writable) sawWritable = true;
            else if (sawWritable) throw new VirtqueueException("device-readable descriptor after a writable one");
            if (count == addr.length) {
                addr = java.util.Arrays.copyOf(addr, count * 2);
                len = java.util.Arrays.copyOf(len, count * 2);
            }
            addr[count] = a;
            len[count] = l;
            count++;
            if (!writable) readable++;
            if ((flags & DESC_F_NEXT) == 0) break;
            i = next;
        }
        return new DescriptorChain(head, addr, len, readable, count);
    }

    private static long le(byte[] b, int off, int n) {
        long v = 0;
        for (int k = n - 1; k >= 0; k--) v = v << 8 | (b[off + k] & 0xff);
        return v;
    }

    /** Returns {@code chain} to the driver with {@code written} bytes written into its writable part. */
    public void push(DescriptorChain chain, int written) throws VirtqueueException {
        writeGuest(device + 4 + 8L * (usedIdx % size), 8, Integer.toUnsignedLong(chain.head()) | (long) written << 32);
        usedIdx = (usedIdx + 1) & 0xffff;
        // the driver must see the element before the index that publishes it
        VarHandle.releaseFence();
        writeGuest(device + 2, 2, usedIdx);
    }

    /**
     * Whether the driver wants a used-buffer notification for what was pushed since the last one: its
     * VIRTQ_AVAIL_F_NO_INTERRUPT flag, or with EVENT_IDX its used_event index (spec 2.7.7.2/2.7.10).
     */
    public boolean needsInterrupt() throws VirtqueueException {
        if (!ready || usedIdx == signalledUsed) return false;
        // our used index must be visible before we read what the driver asked for
        VarHandle.fullFence();
        boolean notify;
        if (eventIdx) {
            int usedEvent = (int) readGuest(driver + 4 + 2L * size, 2);
            notify = ((usedIdx - usedEvent - 1) & 0xffff) < ((usedIdx - signalledUsed) & 0xffff);
        } else {
            notify = (readGuest(driver, 2) & AVAIL_F_NO_INTERRUPT) == 0;
        }
        signalledUsed = usedIdx;
        return notify;
    }
}
