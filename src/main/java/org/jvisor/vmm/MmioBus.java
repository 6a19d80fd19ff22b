package org.jvisor.vmm;

import java.util.Arrays;
import org.jvisor.cpu.BusError;
import org.jvisor.cpu.MmioHandler;

/**
 * The VMM's side of the guest physical address space: the device register blocks whose accesses leave
 * {@code Vcpu.run()} as MMIO exits (kvmtool's mmio tree). Fixed once the board is built, so lookups need
 * no lock; each device synchronizes itself.
 */
public final class MmioBus {
    private record Region(long base, long size, String name, MmioHandler handler) {}

    private Region[] regions = new Region[0];

    /** Adds {@code handler} at {@code [base, base + size)}; overlaps are a board bug. */
    public synchronized void add(long base, long size, String name, MmioHandler handler) {
        for (Region r : regions)
            if (base < r.base + r.size && r.base < base + size)
                throw new IllegalArgumentException(name + " overlaps " + r.name);
        Region[] n = Arrays.copyOf(regions, regions.length + 1);
        n[regions.length] = new Region(base, size, name, handler);
        Arrays.sort(n, (a, b) -> Long.compareUnsigned(a.base, b.base));
        regions = n;
    }

    private Region find(long address, int size) {
        for (Region r : regions)
            if (address - r.base >= 0 && address - r.base + size <= r.size) return r;
        return null;
    }

    /** Whether some device claims {@code address}. */
    public boolean claims(long address, int size) { return find(address, size) != null; }

    /**
     * Serves a read; throws {@link BusError} when nothing claims the address or the device refuses the
     * access (the guest then takes an external abort).
     */
    public long read(long address, int size) {
        Region r = find(address, size);
        if (r == null) throw BusError.INSTANCE;
        return r.handler.read(address - r.base, size);
    }

    public void write(long address, int size, long value) {
        Region r = find(address, size);
        if (r == null) throw BusError.INSTANCE;
        r.handler.write(address - r.base, size, value);
    }
}
