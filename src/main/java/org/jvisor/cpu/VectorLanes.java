package org.jvisor.cpu;

/**
 * Element access to the V registers ({@link Cpu#vreg}) and to 128-bit values held as two longs. Element
 * sizes are log2 of the byte count (0 = B, 1 = H, 2 = S, 3 = D), as the size fields encode them.
 */
final class VectorLanes {
    private VectorLanes() {}

    /** Elem[V[reg], index, 8 << size], zero-extended. */
    static long elem(long[] v, int reg, int index, int size) {
        int bit = index << (3 + size);
        long w = v[2 * reg + (bit >>> 6)];
        return size == 3 ? w : (w >>> (bit & 63)) & ((1L << (8 << size)) - 1);
    }

    /** Elem[V[reg], index, 8 << size] = value; the other bits of the 128-bit register are kept. */
    static void setElem(long[] v, int reg, int index, int size, long value) {
        int bit = index << (3 + size);
        int i = 2 * reg + (bit >>> 6);
        if (size == 3) {
            v[i] = value;
            return;
        }
        int sh = bit & 63;
        long mask = ((1L << (8 << size)) - 1) << sh;
        v[i] = (v[i] & ~mask) | ((value << sh) & mask);
    }

    /** Element {@code index} of the 128-bit value hi:lo, zero-extended. */
    static long elem(long lo, long hi, int index, int size) {
        int bit = index << (3 + size);
        long w = bit < 64 ? lo : hi;
        return size == 3 ? w : (w >>> (bit & 63)) & ((1L << (8 << size)) - 1);
    }

    /** {@code value} (any bits above the element ignored) placed at element {@code index} of an empty 64-bit half. */
    static long place(long value, int index, int size) {
        if (size == 3) return value;
        int sh = (index << (3 + size)) & 63;
        return (value & ((1L << (8 << size)) - 1)) << sh;
    }

    /** Replicate(value, 64 / esize): the element repeated across 64 bits. */
    static long replicate(long value, int size) {
        return switch (size) {
            case 0 -> (value & 0xffL) * 0x0101010101010101L;
            case 1 -> (value & 0xffffL) * 0x0001000100010001L;
            case 2 -> (value & 0xffffffffL) * 0x0000000100000001L;
            default -> value;
        };
    }
}
