package org.jvisor.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Guest RAM: an anonymous private mapping, so the host commits a page only when the guest touches it
 * (a zero-filled Java array or Arena.allocate would commit it all up front); or, for a restored snapshot,
 * a private mapping of the file's RAM image, so a page is read from the file only when the guest touches
 * it and copied only when the guest writes it (the file itself never changes).
 */
public final class Ram {
    private static final int PROT_READ = 1, PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    private static final int O_RDONLY = 0;
    private static final MethodHandle MMAP, MUNMAP, OPEN, CLOSE;

    static {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        MMAP = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        MUNMAP = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        OPEN = linker.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
        CLOSE = linker.downcallHandle(libc.find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    private final MemorySegment segment;
    private final long size;

    private Ram(MemorySegment segment, long size) {
        this.segment = segment;
        this.size = size;
    }

    /** Maps {@code size} bytes (a multiple of 4 KiB) of zeroed, lazily committed memory. */
    public static Ram allocate(long size) {
        if (size <= 0 || (size & 0xfff) != 0) throw new IllegalArgumentException("RAM size must be a positive multiple of 4 KiB: " + size);
        MemorySegment addr;
        try {
            addr = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap failed", t);
        }
        if (addr.address() == -1L || addr.address() == 0L) throw new OutOfMemoryError("cannot map " + size + " bytes of guest RAM");
        MemorySegment seg = addr.reinterpret(size, Arena.global(), null);
        return new Ram(seg, size);
    }

    /**
     * Maps {@code size} bytes of {@code file} from {@code offset} (a multiple of the host's page size) as
     * private, writable memory: the guest's writes stay in this process. The file must hold the whole range
     * and must not be truncated while mapped (a snapshot is replaced by renaming a new file over it, which
     * leaves the mapped one intact).
     */
    public static Ram mapFile(java.nio.file.Path file, long offset, long size) throws java.io.IOException {
        if (size <= 0 || (size & 0xfff) != 0 || offset < 0) throw new IllegalArgumentException("bad file range: " + offset + "+" + size);
        if (java.nio.file.Files.size(file) < offset + size) throw new java.io.IOException(file + " is shorter than the memory it maps");
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(a.allocateFrom(file.toString()), O_RDONLY);
            if (fd < 0) throw new java.io.IOException("cannot open " + file);
            MemorySegment addr;
            try {
                addr = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_NORESERVE, fd, offset);
            } finally {
                int rc = (int) CLOSE.invokeExact(fd); // the mapping keeps the file
            }
            if (addr.address() == -1L || addr.address() == 0L) throw new java.io.IOException("cannot map " + size + " bytes of " + file);
            return new Ram(addr.reinterpret(size, Arena.global(), null), size);
        } catch (java.io.IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mmap failed", t);
        }
    }

    public MemorySegment segment() { return segment; }

    public long size() { return size; }

    /** Returns the pages to the host; the segment must not be used afterwards. */
    public void release() {
        try {
            int rc = (int) MUNMAP.invokeExact(segment, size);
            if (rc != 0) throw new IllegalStateException("munmap failed");
        } catch (Throwable t) {
            throw new IllegalStateException("munmap failed", t);
        }
    }
}
