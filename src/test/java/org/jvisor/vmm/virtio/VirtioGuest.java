package org.jvisor.vmm.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.Ram;
import org.jvisor.hyp.Hypervisor;
import org.jvisor.hyp.Vm;
import org.jvisor.vmm.GuestMemory;
import org.jvisor.vmm.GuestMemoryException;

/**
 * A guest's virtio driver played from a test, in the order Linux's virtio_mmio.c and virtio_ring.c do
 * things, over real guest RAM (a VM with one RAM slot). Register offsets and bits are the spec's, written
 * out here rather than taken from the transport.
 */
public final class VirtioGuest implements AutoCloseable {
    public static final long RAM_BASE = 0x4000_0000L, RAM_SIZE = 16 << 20;
    /** Where tests put request buffers. */
    public static final long DATA = RAM_BASE + 0x80_0000L;

    final Vm vm;
    final GuestMemory memory;
    public final IrqProbe irq = new IrqProbe();
    public VirtioMmioTransport transport;

    public static final class IrqProbe implements org.jvisor.cpu.InterruptLine {
        public volatile boolean level;
        public volatile int raises;

        @Override
        public synchronized void set(boolean l) {
            if (l && !level) raises++;
            level = l;
        }
    }

    VirtioGuest() {
        vm = new Hypervisor().createVm();
        vm.setUserMemoryRegion(0, RAM_BASE, RAM_SIZE, Ram.allocate(RAM_SIZE));
        memory = GuestMemory.of(vm);
    }

    VirtioGuest(VirtioDevice device) {
        this();
        attach(device);
    }

    /**
     * A guest whose RAM is a copy of {@code other}'s, with {@code device} behind a new transport: where a
     * snapshot's restore starts (the lead's code restores RAM; here the test copies it).
     */
    VirtioGuest(VirtioGuest other, VirtioDevice device) {
        this();
        put(RAM_BASE, other.get(RAM_BASE, (int) RAM_SIZE));
        attach(device);
    }

    /** {@code q} of another guest, as this guest's driver: same rings (in this guest's RAM) and indexes. */
    Queue adopt(Queue q) {
        Queue mine = new Queue(q.index, q.size, q.desc, false);
        mine.nextDesc = q.nextDesc;
        mine.availIdx = q.availIdx;
        mine.lastUsed = q.lastUsed;
        return mine;
    }

    VirtioMmioTransport attach(VirtioDevice device) {
        transport = new VirtioMmioTransport(device, memory, irq);
        return transport;
    }

    @Override
    public void close() {
        vm.close();
    }

    public int r(int offset) { return (int) transport.read(offset, 4); }

    public void w(int offset, int value) { transport.write(offset, 4, Integer.toUnsignedLong(value)); }

    public long deviceFeatures() {
        w(0x014, 1);
        long hi = Integer.toUnsignedLong(r(0x010));
        w(0x014, 0);
        return hi << 32 | Integer.toUnsignedLong(r(0x010));
    }

    /**
     * virtio_mmio probe + virtio_dev_probe: reset, ACKNOWLEDGE, DRIVER, features (the driver's wishes
     * intersected with the device's, as virtio_dev_probe does), FEATURES_OK and its read-back.
     * Returns the status read back.
     */
    int negotiate(long wanted) {
        assertEquals(0x74726976, r(0x000));
        assertEquals(2, r(0x004));
        w(0x070, 0);
        assertEquals(0, r(0x070));
        w(0x070, r(0x070) | 1);
        w(0x070, r(0x070) | 2);
        long features = deviceFeatures() & wanted;
        return writeFeatures(features);
    }

    int writeFeatures(long features) {
        w(0x024, 1);
        w(0x020, (int) (features >>> 32));
        w(0x024, 0);
        w(0x020, (int) features);
        w(0x070, r(0x070) | 8);
        return r(0x070);
    }

    void driverOk() { w(0x070, r(0x070) | 4); }

    /** Linux's full bring-up with the given queue sizes (0 for QueueNumMax). */
    public List<Queue> init(long wanted, int... sizes) {
        int s = negotiate(wanted);
        assertTrue((s & 8) != 0, "FEATURES_OK refused");
        List<Queue> qs = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) qs.add(setupQueue(i, sizes[i], RAM_BASE + 0x10_0000L * (i + 1)));
        driverOk();
        return qs;
    }

    /** vm_setup_vq: select, check not ready, QueueNumMax, QueueNum, the three addresses, QueueReady. */
    Queue setupQueue(int index, int size, long base) {
        w(0x030, index);
        assertEquals(0, r(0x044), "queue already set up");
        int max = r(0x034);
        assertTrue(max > 0);
        if (size == 0) size = max;
        Queue q = new Queue(index, size, base);
        w(0x038, size);
        w(0x080, (int) q.desc);
        w(0x084, (int) (q.desc >>> 32));
        w(0x090, (int) q.avail);
        w(0x094, (int) (q.avail >>> 32));
        w(0x0a0, (int) q.used);
        w(0x0a4, (int) (q.used >>> 32));
        w(0x044, 1);
        return q;
    }

    /** vm_interrupt: read InterruptStatus, acknowledge what was read. */
    int ackInterrupt() {
        int st = r(0x060);
        w(0x064, st);
        return st;
    }

    long read64(long gpa) { return le(gpa, 8); }

    public long le(long gpa, int size) {
        try {
            return memory.readLE(gpa, size);
        } catch (GuestMemoryException e) {
            throw new AssertionError(e);
        }
    }

    void put(long gpa, int size, long v) {
        try {
            memory.writeLE(gpa, size, v);
        } catch (GuestMemoryException e) {
            throw new AssertionError(e);
        }
    }

    void put(long gpa, byte[] b) {
        try {
            memory.write(gpa, b, 0, b.length);
        } catch (GuestMemoryException e) {
            throw new AssertionError(e);
        }
    }

    public byte[] get(long gpa, int n) {
        byte[] b = new byte[n];
        try {
            memory.read(gpa, b, 0, n);
        } catch (GuestMemoryException e) {
            throw new AssertionError(e);
        }
        return b;
    }

    public record Buf(long addr, long len, boolean writable) {
        static Buf in(long addr, long len) { return new Buf(addr, len, false); }   // device reads
        static Buf out(long addr, long len) { return new Buf(addr, len, true); }   // device writes
    }

    public record Used(int id, int len) { }

    /** A split virtqueue the way virtio_ring.c lays it out: desc, avail right after, used 4-aligned. */
    public final class Queue {
        final int index, size;
        final long desc, avail, used;
        int nextDesc, availIdx, lastUsed;

        Queue(int index, int size, long base) {
            this(index, size, base, true);
        }

        private Queue(int index, int size, long base, boolean zeroed) {
            this.index = index;
            this.size = size;
            desc = base;
            avail = base + 16L * size;
            used = (avail + 6 + 2L * size + 3) & ~3L;
            if (zeroed) put(desc, new byte[(int) (used + 6 + 8L * size - desc)]); // vring memory comes zeroed
        }

        /** Writes a chain of direct descriptors and makes it available; returns its head. */
        public int add(Buf... bufs) {
            int head = nextDesc;
            for (int i = 0; i < bufs.length; i++) {
                int d = (nextDesc + i) % size;
                boolean last = i == bufs.length - 1;
                writeDesc(desc, d, bufs[i].addr, bufs[i].len, (last ? 0 : 1) | (bufs[i].writable ? 2 : 0),
                        last ? 0 : (d + 1) % size);
            }
            nextDesc = (nextDesc + bufs.length) % size;
            publish(head);
            return head;
        }

        /** One INDIRECT descriptor pointing at a table at {@code table}. */
        public int addIndirect(long table, Buf... bufs) {
            for (int i = 0; i < bufs.length; i++) {
                boolean last = i == bufs.length - 1;
                writeDesc(table, i, bufs[i].addr, bufs[i].len, (last ? 0 : 1) | (bufs[i].writable ? 2 : 0), last ? 0 : i + 1);
            }
            int head = nextDesc;
            writeDesc(desc, head, table, 16L * bufs.length, 4, 0);
            nextDesc = (nextDesc + 1) % size;
            publish(head);
            return head;
        }

        void writeDesc(long table, int i, long addr, long len, int flags, int next) {
            long at = table + 16L * i;
            put(at, 8, addr);
            put(at + 8, 4, len);
            put(at + 12, 2, flags);
            put(at + 14, 2, next);
        }

        void publish(int head) {
            put(avail + 4 + 2L * (availIdx % size), 2, head);
            availIdx = (availIdx + 1) & 0xffff;
            put(avail + 2, 2, availIdx);
        }

        public void kick() { w(0x050, index); }

        int usedIdx() { return (int) le(used + 2, 2); }

        /** The next used element, or null. */
        public Used take() {
            if (usedIdx() == lastUsed) return null;
            long e = used + 4 + 8L * (lastUsed % size);
            lastUsed = (lastUsed + 1) & 0xffff;
            return new Used((int) le(e, 4), (int) le(e + 4, 4));
        }

        void setAvailFlags(int f) { put(avail, 2, f); }

        public void setUsedEvent(int v) { put(avail + 4 + 2L * size, 2, v); }

        int availEvent() { return (int) le(used + 4 + 8L * size, 2); }
    }
}
