package org.jvisor.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Guest RAM: an anonymous private mapping, so the host commits a page only when the guest touches it
 * (a zero-filled Java array or Arena.allocate would commit it all up front).
 */
public final class Ram {
    private static final int PROT_READ = 1, PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    private static final MethodHandle MMAP, MUNMAP;

    static {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        MMAP = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        MUNMAP = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
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
