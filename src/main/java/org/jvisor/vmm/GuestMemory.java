package org.jvisor.vmm;

import org.jvisor.hyp.Vm;

/**
 * Guest physical memory as the board's devices see it (virtio's DMA, the loader). Every address comes
 * from the guest and may be anything: a range that is not wholly guest RAM raises
 * {@link GuestMemoryException}, which a device turns into a failed request, never a failed VMM.
 * Safe to use from any thread.
 */
public interface GuestMemory {
    /** Copies guest bytes {@code [gpa, gpa + length)} into {@code dst[offset...]}. */
    void read(long gpa, byte[] dst, int offset, int length) throws GuestMemoryException;

    /** Copies {@code src[offset...]} into guest bytes {@code [gpa, gpa + length)}. */
    void write(long gpa, byte[] src, int offset, int length) throws GuestMemoryException;

    /** A little-endian value of 1, 2, 4 or 8 bytes (zero-extended). */
    default long readLE(long gpa, int size) throws GuestMemoryException {
        byte[] b = new byte[size];
        read(gpa, b, 0, size);
        long v = 0;
        for (int i = size - 1; i >= 0; i--) v = v << 8 | (b[i] & 0xff);
        return v;
    }

    default void writeLE(long gpa, int size, long value) throws GuestMemoryException {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte) (value >>> (8 * i));
        write(gpa, b, 0, size);
    }

    /** The RAM slots of {@code vm}. */
    static GuestMemory of(Vm vm) {
        return new GuestMemory() {
            @Override
            public void read(long gpa, byte[] dst, int offset, int length) throws GuestMemoryException {
                try {
                    vm.readGuest(gpa, dst, offset, length);
                } catch (IllegalArgumentException e) {
                    throw new GuestMemoryException(gpa, length);
                }
            }

            @Override
            public void write(long gpa, byte[] src, int offset, int length) throws GuestMemoryException {
                try {
                    vm.writeGuest(gpa, src, offset, length);
                } catch (IllegalArgumentException e) {
                    throw new GuestMemoryException(gpa, length);
                }
            }
        };
    }
}
