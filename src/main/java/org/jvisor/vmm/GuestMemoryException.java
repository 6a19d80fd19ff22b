package org.jvisor.vmm;

/** A guest-supplied address range that is not guest RAM (a bad DMA address from a hostile or buggy guest). */
public final class GuestMemoryException extends Exception {
    public GuestMemoryException(long gpa, long length) {
        super("not guest RAM: 0x" + Long.toHexString(gpa) + "+" + length, null, false, false);
    }
}
