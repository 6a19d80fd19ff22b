package org.jvisor.cpu;

/**
 * A device register block on the physical bus. Offsets are relative to the block's base; sizes are
 * 1, 2, 4 or 8 bytes. A handler that cannot serve an access throws {@link BusError}: the processor turns
 * that into a synchronous external abort in the guest.
 */
public interface MmioHandler {
    long read(long offset, int size);

    void write(long offset, int size, long value);
}
