package org.jvisor.vmm.snapshot;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.zip.CRC32C;
import org.jvisor.cpu.Ram;

/**
 * A VM saved in one file. The layout:
 * <pre>
 *   "JVISORSN" (8 bytes)  format version (4)  metadata length M (4)
 *   metadata (M bytes):   build id, what made it, when, a description, the machine's state (what each part
 *                         of the machine saved), and for each RAM region its name, size, offset in this file,
 *                         the pages stored (a bitmap, a bit for every page) and the CRC-32C of those pages
 *   CRC-32C of everything above (4)
 *   each RAM region at its offset (a multiple of 64 KiB), as large as the region: a page that was all
 *   zeros is a hole in the file, so the file takes on disk what the guest wrote
 * </pre>
 * Restoring maps a region from the file ({@link #mapRam}): the guest's pages are read from the file when it
 * first touches them. Files are written whole under a temporary name and renamed over the target, so a
 * process that has one mapped keeps its copy. Multi-byte values are big-endian (Java's DataOutput).
 */
public final class SnapshotFile {
    static final byte[] MAGIC = "JVISORSN".getBytes(StandardCharsets.US_ASCII);
    /** Raised when the layout above changes (the state inside is covered by the build id). 2: page bitmaps of a fixed size. */
    static final int FORMAT_VERSION = 2;
    static final int PAGE = 4096;
    /** RAM offsets are aligned for mmap on a host with pages of up to 64 KiB (arm64 hosts may have 16 or 64). */
    static final long ALIGN = 1 << 16;
    private static final int MAX_METADATA = 64 << 20;

    /** One RAM region to save: its name, and the memory. */
    public record RamSource(String name, MemorySegment memory) {}

    /** What the file says about itself. */
    public record Header(String buildId, String madeBy, Instant created, String description) {}

    /** A RAM region as stored: {@code pages} says which 4 KiB pages hold data (the rest are zeros). */
    public record RamRegion(String name, long size, long fileOffset, BitSet pages, int crc) {
        public long storedBytes() { return (long) pages.cardinality() * PAGE; }
    }

    private final Path path;
    private final Header header;
    private final byte[] state;
    private final List<RamRegion> ram;

    private SnapshotFile(Path path, Header header, byte[] state, List<RamRegion> ram) {
        this.path = path;
        this.header = header;
        this.state = state;
        this.ram = List.copyOf(ram);
    }

    public Path path() { return path; }

    public Header header() { return header; }

    /** The machine's state, as the parts of the machine wrote it. */
    public byte[] state() { return state.clone(); }

    public List<RamRegion> ram() { return ram; }

    /** What the snapshot takes on disk, bar the file system's rounding: its header and state, and the pages stored. */
    public long storedBytes() {
        long n = state.length + 4096L;
        for (RamRegion r : ram) n += r.storedBytes();
        return n;
    }

    public RamRegion ram(String name) throws SnapshotException {
        for (RamRegion r : ram) if (r.name().equals(name)) return r;
        throw new SnapshotException(path + ": no RAM region '" + name + "' in the snapshot");
    }

    /**
     * Writes a snapshot to {@code target}, replacing any file there only once the new one is complete.
     * The RAM must not change while this runs (the VM is paused).
     */
    public static void write(Path target, Header header, byte[] state, List<RamSource> ramSources) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            // The RAM table has a bit for every page whatever the page holds, so the metadata's size, and with
            // it where each region goes, is known before RAM is read: each page is then read once, to be
            // left a hole or checksummed and written, and the table is written last, in front.
            List<RamRegion> placed = new ArrayList<>();
            for (RamSource s : ramSources) placed.add(new RamRegion(s.name(), s.memory().byteSize(), 0, new BitSet(), 0));
            long offset = align(16 + metadata(header, state, placed).length + 4);
            List<RamRegion> regions = new ArrayList<>();
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                for (RamSource s : ramSources) {
                    regions.add(store(ch, s, offset));
                    offset = align(offset + s.memory().byteSize());
                }
                byte[] metadata = metadata(header, state, regions);
                ByteBuffer head = ByteBuffer.allocate(16 + metadata.length + 4);
                head.put(MAGIC).putInt(FORMAT_VERSION).putInt(metadata.length).put(metadata);
                CRC32C crc = new CRC32C();
                crc.update(head.array(), 0, head.position());
                head.putInt((int) crc.getValue()).flip();
                writeFully(ch, head, 0);
                if (ch.size() < offset) { // trailing holes: the file is as long as its last region says
                    writeFully(ch, ByteBuffer.wrap(new byte[1]), offset - 1);
                }
                ch.force(false);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Bytes of a region's page bitmap: one bit a page, whatever the pages hold. */
    private static int mapBytes(long size) { return (int) ((size / PAGE + 7) / 8); }

    private static byte[] metadata(Header h, byte[] state, List<RamRegion> regions) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(state.length + 4096);
        DataOutputStream out = new DataOutputStream(b);
        out.writeUTF(h.buildId());
        out.writeUTF(h.madeBy());
        out.writeLong(h.created().toEpochMilli());
        out.writeUTF(h.description());
        out.writeInt(state.length);
        out.write(state);
        out.writeInt(regions.size());
        for (RamRegion r : regions) {
            out.writeUTF(r.name());
            out.writeLong(r.size());
            out.writeLong(r.fileOffset());
            byte[] map = java.util.Arrays.copyOf(r.pages().toByteArray(), mapBytes(r.size()));
            out.writeInt(map.length);
            out.write(map);
            out.writeInt(r.crc());
        }
        return b.toByteArray();
    }

    /** Pages written with one write, at most (1 MiB): what the checksum has just read is still in the cache for the write. */
    private static final int RUN = 256;

    /**
     * Writes region {@code s} at {@code offset} in one pass over its pages: a page of zeros is left a hole,
     * the others, in runs of up to {@value #RUN}, are added to the checksum and written.
     */
    private static RamRegion store(FileChannel ch, RamSource s, long offset) throws IOException {
        MemorySegment m = s.memory();
        int n = (int) (m.byteSize() / PAGE);
        BitSet pages = new BitSet(n);
        CRC32C crc = new CRC32C();
        int run = -1; // the first page of the stored pages not written yet
        for (int p = 0; p < n; p++) {
            long at = (long) p * PAGE;
            if (MemorySegment.mismatch(m, at, at + PAGE, ZERO_PAGE, 0, PAGE) < 0) {
                if (run >= 0) writePages(ch, m, run, p, offset, crc);
                run = -1;
                continue;
            }
            pages.set(p);
            if (run < 0) run = p;
            if (p + 1 - run == RUN) {
                writePages(ch, m, run, p + 1, offset, crc);
                run = -1;
            }
        }
        if (run >= 0) writePages(ch, m, run, n, offset, crc);
        return new RamRegion(s.name(), m.byteSize(), offset, pages, (int) crc.getValue());
    }

    private static void writePages(FileChannel ch, MemorySegment m, int from, int to, long offset, CRC32C crc) throws IOException {
        long at = (long) from * PAGE;
        ByteBuffer b = m.asSlice(at, (long) (to - from) * PAGE).asByteBuffer();
        crc.update(b.duplicate());
        writeFully(ch, b, offset + at);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) position += ch.write(b, position);
    }

    private static final MemorySegment ZERO_PAGE = MemorySegment.ofArray(new byte[PAGE]);

    private static int crcOf(MemorySegment m, BitSet pages) {
        CRC32C crc = new CRC32C();
        for (int p = pages.nextSetBit(0); p >= 0; ) {
            int end = pages.nextClearBit(p);
            crc.update(m.asSlice((long) p * PAGE, (long) (end - p) * PAGE).asByteBuffer());
            p = pages.nextSetBit(end);
        }
        return (int) crc.getValue();
    }

    private static long align(long v) { return (v + ALIGN - 1) & -ALIGN; }

    /**
     * Reads a snapshot's header and state, checking its magic, format version and checksum, and that it was
     * made by this build; its RAM is checked by {@link #verifyRam}.
     */
    public static SnapshotFile open(Path path) throws SnapshotException {
        SnapshotFile f = read(path);
        if (!f.header.buildId().equals(BuildId.current()))
            throw new SnapshotException(path + ": made by another build of jvisor (" + f.header.madeBy() + "); this is build "
                    + BuildId.current() + ": make the snapshot again");
        return f;
    }

    /** As {@link #open}, whatever build made it: to list it, not to restore it. */
    public static SnapshotFile read(Path path) throws SnapshotException {
        String where = path.toString();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            ByteBuffer head = ByteBuffer.allocate(16);
            if (readFully(ch, head, 0) < 16 || !java.util.Arrays.equals(head.array(), 0, 8, MAGIC, 0, 8))
                throw new SnapshotException(where + ": not a jvisor snapshot");
            int version = head.getInt(8), length = head.getInt(12);
            if (version != FORMAT_VERSION)
                throw new SnapshotException(where + ": a snapshot in format " + version + "; this jvisor reads format " + FORMAT_VERSION);
            if (length < 0 || length > MAX_METADATA || 16L + length + 4 > fileSize)
                throw new SnapshotException(where + ": damaged (its header is cut short)");
            ByteBuffer all = ByteBuffer.allocate(16 + length + 4);
            if (readFully(ch, all, 0) < all.capacity()) throw new SnapshotException(where + ": damaged (its header is cut short)");
            CRC32C crc = new CRC32C();
            crc.update(all.array(), 0, 16 + length);
            if ((int) crc.getValue() != all.getInt(16 + length)) throw new SnapshotException(where + ": damaged (checksum mismatch)");
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all.array(), 16, length));
            Header h = new Header(in.readUTF(), in.readUTF(), Instant.ofEpochMilli(in.readLong()), in.readUTF());
            byte[] state = bytes(in, length, where);
            int n = in.readInt();
            if (n < 0 || n > 16) throw new SnapshotException(where + ": damaged (bad RAM table)");
            List<RamRegion> regions = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                long size = in.readLong(), offset = in.readLong();
                byte[] map = bytes(in, length, where);
                BitSet pages = BitSet.valueOf(map);
                int rcrc = in.readInt();
                if (size <= 0 || size % PAGE != 0 || offset % ALIGN != 0 || offset < 16L + length + 4 || offset + size > fileSize
                        || map.length != mapBytes(size) || pages.length() > size / PAGE)
                    throw new SnapshotException(where + ": damaged (RAM region '" + name + "' does not fit the file)");
                regions.add(new RamRegion(name, size, offset, pages, rcrc));
            }
            return new SnapshotFile(path, h, state, regions);
        } catch (NoSuchFileException e) {
            throw new SnapshotException(where + ": no such file");
        } catch (EOFException e) {
            throw new SnapshotException(where + ": damaged (its header is cut short)");
        } catch (IOException e) {
            throw new SnapshotException(where + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    private static byte[] bytes(DataInputStream in, int max, String where) throws IOException, SnapshotException {
        int n = in.readInt();
        if (n < 0 || n > max) throw new SnapshotException(where + ": damaged (bad length)");
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    private static int readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        int total = 0;
        while (b.hasRemaining()) {
            int n = ch.read(b, position + total);
            if (n < 0) break;
            total += n;
        }
        return total;
    }

    /** Maps RAM region {@code r} from the file, privately: see {@link Ram#mapFile}. */
    public Ram mapRam(RamRegion r) throws SnapshotException {
        try {
            return Ram.mapFile(path, r.fileOffset(), r.size());
        } catch (IOException e) {
            throw new SnapshotException(path + ": " + e.getMessage());
        }
    }

    /** Copies RAM region {@code r} into {@code into} (zeros where nothing is stored); for memory the VM already owns. */
    public void copyRam(RamRegion r, MemorySegment into) throws SnapshotException {
        if (into.byteSize() != r.size()) throw new SnapshotException(path + ": RAM region '" + r.name() + "' has another size");
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            into.fill((byte) 0);
            BitSet pages = r.pages();
            for (int p = pages.nextSetBit(0); p >= 0; ) {
                int end = pages.nextClearBit(p);
                ByteBuffer dst = into.asSlice((long) p * PAGE, (long) (end - p) * PAGE).asByteBuffer();
                if (readFully(ch, dst, r.fileOffset() + (long) p * PAGE) < (end - p) * PAGE)
                    throw new SnapshotException(path + ": damaged (RAM region '" + r.name() + "' is cut short)");
                p = pages.nextSetBit(end);
            }
        } catch (IOException e) {
            throw new SnapshotException(path + ": " + e.getMessage());
        }
    }

    /**
     * Checks region {@code r}'s stored pages in {@code memory} (the region mapped or copied) against the
     * checksum saved with them. The holes are not read: what a damaged file has there is only guest data.
     */
    public void verifyRam(RamRegion r, MemorySegment memory) throws SnapshotException {
        if (crcOf(memory, r.pages()) != r.crc()) throw new SnapshotException(path + ": damaged (RAM region '" + r.name() + "' checksum mismatch)");
    }
}
