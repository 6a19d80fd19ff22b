package org.jvisor.vmm.devices;

import java.util.concurrent.locks.ReentrantLock;
import org.jvisor.cpu.BusError;
import org.jvisor.cpu.MmioHandler;

/**
 * An AMBA PrimeCell peripheral's 4 KiB register block: 32-bit registers on an APB bus, with the peripheral
 * and PrimeCell identification registers at 0xFE0-0xFFC (one byte each, in the low 8 bits) by which the
 * AMBA bus driver recognizes the device.
 *
 * <p>Access widths follow what QEMU's memory core does for these devices. A 1- or 2-byte access reaches
 * the 32-bit register that contains it (with its side effects, such as popping the receive FIFO) and
 * takes its own byte lane; a narrow write stores its bytes in their lanes with the others zero, as a
 * 32-bit APB write without byte strobes does. An 8-byte access becomes two 32-bit accesses, low word
 * first. An access not aligned to its size, or outside the block, is refused with {@link BusError} (QEMU
 * refuses it too); the processor raises an alignment fault before that on Device memory anyway.
 *
 * <p>Every access runs under {@link #lock}, which subclasses also take for work from other threads.
 */
public abstract class PrimeCell implements MmioHandler {
    static final int BLOCK_SIZE = 0x1000;
    static final int ID_BASE = 0xFE0;

    final ReentrantLock lock = new ReentrantLock();
    private final int[] id;

    /** {@code id} is PeriphID0-3 then PCellID0-3, as read at 0xFE0, 0xFE4 ... 0xFFC. */
    PrimeCell(int... id) {
        if (id.length != 8) throw new IllegalArgumentException("8 identification bytes");
        this.id = id.clone();
    }

    /** The register at the word-aligned {@code offset} below 0xFE0; called with {@link #lock} held. */
    abstract int readRegister(int offset);

    /** Writes the register at the word-aligned {@code offset} below 0xFE0; called with {@link #lock} held. */
    abstract void writeRegister(int offset, int value);

    @Override
    public final long read(long offset, int size) {
        check(offset, size);
        int off = (int) offset;
        lock.lock();
        try {
            if (size == 8) return readWord(off) & 0xffff_ffffL | (long) readWord(off + 4) << 32;
            int lane = (off & 3) * 8;
            return (readWord(off & ~3) >>> lane) & mask(size);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public final void write(long offset, int size, long value) {
        check(offset, size);
        int off = (int) offset;
        lock.lock();
        try {
            if (size == 8) {
                writeWord(off, (int) value);
                writeWord(off + 4, (int) (value >>> 32));
            } else {
                writeWord(off & ~3, (int) ((value & mask(size)) << ((off & 3) * 8)));
            }
        } finally {
            lock.unlock();
        }
    }

    private int readWord(int offset) {
        return offset >= ID_BASE ? id[(offset - ID_BASE) >> 2] & 0xff : readRegister(offset);
    }

    private void writeWord(int offset, int value) {
        if (offset < ID_BASE) writeRegister(offset, value); // the identification registers are read-only
    }

    private static long mask(int size) {
        return size == 4 ? 0xffff_ffffL : (1L << (8 * size)) - 1;
    }

    private static void check(long offset, int size) {
        if (size != 1 && size != 2 && size != 4 && size != 8) throw BusError.INSTANCE;
        if (offset < 0 || offset > BLOCK_SIZE - size || (offset & (size - 1)) != 0) throw BusError.INSTANCE;
    }
}
