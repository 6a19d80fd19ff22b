package org.jvisor.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host's RAM and swap as Linux counts them (/proc/meminfo), within the memory limit of the process's
 * cgroup where there is one (a container's): what the JDK's OperatingSystemMXBean reports too, read directly
 * because initializing the JDK's management beans cost ~35 ms of every start.
 */
record HostMemory(long ram, long swap) {
    /** Nothing to go by (no /proc): no bound. */
    static final HostMemory UNKNOWN = new HostMemory(Long.MAX_VALUE / 2, 0);

    static HostMemory read() {
        long ram = -1, swap = 0;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) ram = kib(l);
                else if (l.startsWith("SwapTotal:")) swap = kib(l);
            }
        } catch (IOException | NumberFormatException e) {
            return UNKNOWN;
        }
        if (ram < 0) return UNKNOWN;
        // cgroup v2 (the unified hierarchy, a container's root), else v1's memory controller
        ram = Math.min(ram, limit("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"));
        swap = Math.min(swap, limit("/sys/fs/cgroup/memory.swap.max"));
        return new HostMemory(ram, swap);
    }

    private static long kib(String meminfoLine) { return Long.parseLong(meminfoLine.replaceAll("[^0-9]", "")) << 10; }

    /** The first of {@code files} that exists, as a byte count; "max", a v1 "no limit" (near 2^63) or none: no limit. */
    private static long limit(String... files) {
        for (String f : files) {
            try {
                String v = Files.readString(Path.of(f)).strip();
                if (v.equals("max")) return Long.MAX_VALUE;
                long n = Long.parseLong(v);
                return n >= 1L << 62 ? Long.MAX_VALUE : n;
            } catch (IOException | NumberFormatException e) {
                // not there (another cgroup version, or none): the next
            }
        }
        return Long.MAX_VALUE;
    }
}
