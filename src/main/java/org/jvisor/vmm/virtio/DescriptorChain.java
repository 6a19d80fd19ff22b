package org.jvisor.vmm.virtio;

import org.jvisor.vmm.GuestMemory;
import org.jvisor.vmm.GuestMemoryException;

/**
 * One available buffer: the descriptor chain starting at {@link #head()}, already checked for shape
 * (indexes, loops, order of readable before writable parts). Its addresses are guest values, checked on
 * each access by {@link GuestMemory}. The readable parts form one byte stream and the writable parts
 * another, as virtio 1.x requires devices to ignore how the driver splits a request into descriptors.
 */
public final class DescriptorChain {
    private final int head;
    private final long[] addr;
    private final int[] len;
    private final int readableCount, count;
    private final long readableLength, writableLength;

    DescriptorChain(int head, long[] addr, int[] len, int readableCount, int count) {
        this.head = head;
        this.addr = addr;
        this.len = len;
        this.readableCount = readableCount;
        this.count = count;
        long r = 0, w = 0;
        for (int i = 0; i < count; i++) {
            long l = Integer.toUnsignedLong(len[i]);
            if (i < readableCount) r += l; else w += l;
        }
        readableLength = r;
        writableLength = w;
    }

    public int head() { return head; }

    /** Total bytes of the device-readable descriptors (at most 2^32 per descriptor, so never overflows). */
    public long readableLength() { return readableLength; }

    public long writableLength() { return writableLength; }

    /** Copies {@code length} bytes from offset {@code pos} of the readable stream into {@code dst}. */
    public void read(GuestMemory memory, long pos, byte[] dst, int offset, int length) throws GuestMemoryException {
        transfer(memory, 0, readableCount, pos, dst, offset, length, false);
    }

    /** Copies {@code length} bytes of {@code src} to offset {@code pos} of the writable stream. */
    public void write(GuestMemory memory, long pos, byte[] src, int offset, int length) throws GuestMemoryException {
        transfer(memory, readableCount, count, pos, src, offset, length, true);
    }

    private void transfer(GuestMemory memory, int from, int to, long pos, byte[] buf, int offset, int length,
                          boolean toGuest) throws GuestMemoryException {
        if (pos < 0 || length < 0) throw new IllegalArgumentException();
        for (int i = from; i < to && length > 0; i++) {
            long l = Integer.toUnsignedLong(len[i]);
            if (pos >= l) {
                pos -= l;
                continue;
            }
            int n = (int) Math.min(length, l - pos);
            long gpa = addr[i] + pos;
            // a descriptor whose range wraps past 2^64 is not RAM, whatever GuestMemory makes of it
            if (Long.compareUnsigned(gpa, addr[i]) < 0 || Long.compareUnsigned(gpa + n, gpa) < 0)
                throw new GuestMemoryException(gpa, n);
            if (toGuest) memory.write(gpa, buf, offset, n);
            else memory.read(gpa, buf, offset, n);
            offset += n;
            length -= n;
            pos = 0;
        }
        if (length > 0) throw new IllegalArgumentException("beyond the chain's " + (toGuest ? "writable" : "readable") + " bytes");
    }
}
