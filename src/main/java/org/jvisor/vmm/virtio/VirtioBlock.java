package org.jvisor.vmm.virtio;

import org.jvisor.vmm.GuestMemory;
import org.jvisor.vmm.GuestMemoryException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * virtio-blk (virtio 1.2 section 5.2) over a raw image file: one request queue of {@value #QUEUE_SIZE},
 * VIRTIO_BLK_T_IN, OUT, FLUSH (fsync of the image) and GET_ID. Offers SEG_MAX (queue size - 2, as QEMU,
 * so that a direct chain with header and status fits the ring), BLK_SIZE (512), FLUSH (so Linux runs its
 * write cache in write-back mode and flushes on fsync) and, for a read-only image, RO.
 *
 * <p>Capacity is the image size in 512-byte sectors, rounded down. A request with a data length that is
 * not a multiple of 512, or that reaches past the capacity, a write to a read-only disk, an I/O error or
 * a data buffer outside guest RAM completes with VIRTIO_BLK_S_IOERR; an unknown type with UNSUPP. A
 * request with no header or no status byte, or whose status byte is not in RAM, cannot be answered: the
 * device sets DEVICE_NEEDS_RESET, as QEMU does. Data moves through one 64 KiB buffer, whatever the length
 * the guest asks for. The image is locked (shared when read-only) so that two VMs cannot share a disk.
 */
public final class VirtioBlock extends VirtioDevice implements Closeable {
    public static final int QUEUE_SIZE = 256;
    public static final int SECTOR_SIZE = 512;
    public static final int ID_BYTES = 20;
    public static final long F_SEG_MAX = 1L << 2, F_RO = 1L << 5, F_BLK_SIZE = 1L << 6, F_FLUSH = 1L << 9;
    public static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8;
    public static final int S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
    static final int HEADER_SIZE = 16;
    private static final int CHUNK = 64 * 1024;

    private final Path image;
    private final FileChannel file;
    private final FileLock lock;
    private final boolean readOnly;
    private final long capacity;
    private final byte[] id;
    private final byte[] buffer = new byte[CHUNK];
    private boolean closed;

    public VirtioBlock(Path image, boolean readOnly) throws IOException {
        this(image, readOnly, "");
    }

    /** {@code serial} is what GET_ID returns (ASCII, up to 20 bytes; Linux shows it as the disk's serial). */
    public VirtioBlock(Path image, boolean readOnly, String serial) throws IOException {
        byte[] s = serial.getBytes(StandardCharsets.US_ASCII);
        id = Arrays.copyOf(s, ID_BYTES);
        this.image = image;
        this.readOnly = readOnly;
        file = readOnly ? FileChannel.open(image, StandardOpenOption.READ)
                : FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            FileLock l;
            try {
                l = file.tryLock(0, Long.MAX_VALUE, readOnly);
            } catch (java.nio.channels.OverlappingFileLockException e) {
                l = null; // held by this JVM: another device on the same image
            }
            if (l == null) throw new IOException(image + " is in use");
            lock = l;
            capacity = file.size() / SECTOR_SIZE;
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public long capacitySectors() { return capacity; }

    public boolean isReadOnly() { return readOnly; }

    /**
     * Writes the image's path, its size in bytes and whether it is read-only: the image itself is the
     * user's file, not part of the snapshot, as with QEMU's savevm on a raw image. No request is in flight:
     * {@link #queueNotify} takes, serves and returns every request under the device's monitor, which the
     * save holds too.
     */
    @Override
    protected void saveState(StateWriter w) {
        w.tag("virtio-blk");
        w.putString(image.toString());
        w.putLong(imageSize());
        w.putBoolean(readOnly);
    }

    /**
     * Checks that this device was opened as the saved one was: an image of the same size (the guest knows
     * the capacity and may have cached its blocks), read-only or not alike. The path may differ (a copied image).
     */
    @Override
    protected void restoreState(StateReader r) {
        r.tag("virtio-blk");
        String savedPath = r.getString(1 << 16);
        long savedSize = r.getLong();
        boolean savedReadOnly = r.getBoolean();
        long size = imageSize();
        if (savedSize != size)
            throw new StateException("disk image " + image + " is " + size + " bytes; the snapshot was taken with " + savedPath
                    + " at " + savedSize + " bytes");
        if (savedReadOnly != readOnly)
            throw new StateException("disk image " + image + " is opened " + (readOnly ? "read-only" : "read-write")
                    + "; the snapshot was taken with it " + (savedReadOnly ? "read-only" : "read-write"));
    }

    private long imageSize() {
        try {
            return file.size();
        } catch (IOException e) {
            throw new StateException("disk image " + image + ": " + e.getMessage());
        }
    }

    @Override
    public int deviceId() { return ID_BLOCK; }

    @Override
    public long deviceFeatures() { return F_SEG_MAX | F_BLK_SIZE | F_FLUSH | (readOnly ? F_RO : 0); }

    @Override
    public int queueCount() { return 1; }

    @Override
    public int queueMaxSize(int queue) { return QUEUE_SIZE; }

    /** struct virtio_blk_config up to num_queues. */
    @Override
    protected byte[] config() {
        byte[] c = new byte[0x24];
        put(c, 0x00, 8, capacity);
        put(c, 0x0c, 4, QUEUE_SIZE - 2); // seg_max
        put(c, 0x14, 4, SECTOR_SIZE);    // blk_size
        put(c, 0x22, 2, 1);              // num_queues
        return c;
    }

    private static void put(byte[] b, int off, int n, long v) {
        for (int i = 0; i < n; i++) b[off + i] = (byte) (v >>> 8 * i);
    }

    private static long get(byte[] b, int off, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = v << 8 | (b[off + i] & 0xff);
        return v;
    }

    @Override
    protected synchronized void queueNotify(int queue) throws VirtqueueException {
        Virtqueue q = transport().queue(0);
        try {
            DescriptorChain c;
            while ((c = q.pop()) != null) q.push(c, serve(c));
        } finally {
            transport().usedBuffers(0);
        }
    }

    /** Serves one request; returns the bytes written into the chain (data and status). */
    private int serve(DescriptorChain c) throws VirtqueueException {
        GuestMemory mem = transport().memory();
        long readable = c.readableLength(), writable = c.writableLength();
        if (readable < HEADER_SIZE || writable < 1)
            throw new VirtqueueException("block request without a header or a status byte");
        long[] done = {0};
        int status;
        try {
            byte[] h = new byte[HEADER_SIZE];
            c.read(mem, 0, h, 0, HEADER_SIZE);
            int type = (int) get(h, 0, 4);
            long sector = get(h, 8, 8);
            status = switch (type) {
                case T_IN -> transfer(c, mem, sector, writable - 1, false, done);
                case T_OUT -> readOnly ? S_IOERR : transfer(c, mem, sector, readable - HEADER_SIZE, true, done);
                case T_FLUSH -> flush();
                case T_GET_ID -> {
                    int n = (int) Math.min(ID_BYTES, writable - 1);
                    c.write(mem, 0, id, 0, n);
                    done[0] = n;
                    yield S_OK;
                }
                default -> S_UNSUPP;
            };
        } catch (GuestMemoryException e) {
            status = S_IOERR;
        }
        try {
            c.write(mem, writable - 1, new byte[]{(byte) status}, 0, 1);
        } catch (GuestMemoryException e) {
            throw new VirtqueueException("block request status byte outside guest RAM");
        }
        return (int) (done[0] + 1);
    }

    /** IN or OUT of {@code length} bytes at {@code sector}, in chunks; {@code done[0]} counts bytes given to the guest. */
    private int transfer(DescriptorChain c, GuestMemory mem, long sector, long length, boolean toDisk, long[] done)
            throws GuestMemoryException {
        if (length % SECTOR_SIZE != 0 || sector < 0 || sector > capacity
                || length > (capacity - sector) * SECTOR_SIZE) return S_IOERR;
        long base = sector * SECTOR_SIZE;
        try {
            for (long pos = 0; pos < length; ) {
                int n = (int) Math.min(CHUNK, length - pos);
                ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
                if (toDisk) {
                    c.read(mem, HEADER_SIZE + pos, buffer, 0, n);
                    while (bb.hasRemaining()) file.write(bb, base + pos + bb.position());
                } else {
                    while (bb.hasRemaining()) {
                        if (file.read(bb, base + pos + bb.position()) < 0) return S_IOERR; // image shrank under us
                    }
                    c.write(mem, pos, buffer, 0, n);
                    done[0] += n;
                }
                pos += n;
            }
        } catch (IOException e) {
            return S_IOERR;
        }
        return S_OK;
    }

    private int flush() {
        if (readOnly) return S_OK;
        try {
            file.force(true);
            return S_OK;
        } catch (IOException e) {
            return S_IOERR;
        }
    }

    /** Flushes the image to disk and closes it. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        try {
            if (!readOnly) file.force(true);
        } finally {
            try {
                lock.release();
            } finally {
                file.close();
            }
        }
    }
}
