package org.jvisor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Atomic accesses to guest RAM at host addresses (in {@link SoftTlb#HOST}), for the store-exclusives and
 * the LSE atomics of processors running on different host threads. Addresses are aligned to the access
 * size (the instructions fault otherwise), as the host's atomic instructions need.
 *
 * <ul>
 * <li>4 and 8 bytes: the host's compare-and-exchange on the location.</li>
 * <li>1 and 2 bytes: Java has no narrower compare-and-exchange on memory segments, so it is done on the
 * aligned 32-bit word holding the location, retried while only the neighbouring bytes changed (a
 * concurrent store to a neighbour is no reason for the guest's operation to fail).</li>
 * <li>16 bytes (LDXP/STXP and CASP of X registers): the host has no 128-bit compare-and-exchange Java
 * can reach, so pair operations take one of a set of striped locks (by host address): two pair
 * operations on one block never interleave, and a pair load under the lock never sees half of a pair
 * store. Inside the lock, each half is written with a 64-bit compare-and-exchange against the value just
 * compared. Against a single-register store of another processor (which takes no lock) the pair store
 * is atomic except in the instant between the two halves' writes: if the low half changed there, the
 * pair operation fails having written nothing; if the high half changed there, the pair operation counts
 * as done just before that store, which then overwrote its high half. Linux never mixes plain stores with
 * the 128-bit cmpxchg of one object, so neither case arises in practice, and no processor can ever see
 * a pair operation half done by another pair operation.</li>
 * </ul>
 * Every operation here is a Java volatile access, so a full barrier on the host, as the acquire/release
 * forms need (and more than the plain forms need).
 */
final class HostAtomics {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final MemorySegment HOST = SoftTlb.HOST;
    private static final Object[] PAIR_LOCKS = new Object[64];

    static {
        // Guest memory is little-endian and accessed with native-order handles here.
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) throw new ExceptionInInitializerError("big-endian host");
        for (int i = 0; i < PAIR_LOCKS.length; i++) PAIR_LOCKS[i] = new Object();
    }

    private HostAtomics() {}

    /** The {@code size}-byte value at {@code a}, zero-extended (a volatile read). */
    static long load(long a, int size) {
        return switch (size) {
            case 8 -> (long) LONG.getVolatile(HOST, a);
            case 4 -> (int) INT.getVolatile(HOST, a) & 0xffffffffL;
            default -> narrow((int) INT.getVolatile(HOST, a & ~3L), a, size);
        };
    }

    /**
     * Atomically: if the {@code size}-byte value at {@code a} equals {@code expected} (compared at that
     * size), writes {@code newValue} (its low {@code size} bytes). Returns the value found, zero-extended:
     * the exchange happened exactly when it equals {@code expected}'s low bytes.
     */
    static long compareAndExchange(long a, int size, long expected, long newValue) {
        switch (size) {
            case 8:
                return (long) LONG.compareAndExchange(HOST, a, expected, newValue);
            case 4:
                return (int) INT.compareAndExchange(HOST, a, (int) expected, (int) newValue) & 0xffffffffL;
            default: {
                long word = a & ~3L;
                int shift = (int) (a & 3) * 8;
                int mask = (size == 1 ? 0xff : 0xffff) << shift;
                int exp = ((int) expected << shift) & mask, upd = ((int) newValue << shift) & mask;
                int w = (int) INT.getVolatile(HOST, word);
                while (true) {
                    if ((w & mask) != exp) return narrow(w, a, size);
                    int witness = (int) INT.compareAndExchange(HOST, word, w, (w & ~mask) | upd);
                    if (witness == w) return narrow(w, a, size);
                    w = witness;
                }
            }
        }
    }

    private static long narrow(int word, long a, int size) {
        int v = word >>> ((int) (a & 3) * 8);
        return size == 1 ? v & 0xffL : v & 0xffffL;
    }

    private static Object pairLock(long a) {
        return PAIR_LOCKS[(int) (a >>> 4) & (PAIR_LOCKS.length - 1)];
    }

    /** Reads the 16 bytes at {@code a} as one access: returns the low half, the high half in {@code high[0]}. */
    static long loadPair(long a, long[] high) {
        synchronized (pairLock(a)) {
            long lo = (long) LONG.getVolatile(HOST, a);
            high[0] = (long) LONG.getVolatile(HOST, a + 8);
            return lo;
        }
    }

    /**
     * 128-bit compare-and-exchange at {@code a} (see the class comment): writes {@code n1}:{@code n2} if the
     * location holds {@code e1}:{@code e2}. Returns the low half found, the high half in {@code high[0]};
     * the exchange happened exactly when both equal the expected halves.
     */
    static long compareAndExchangePair(long a, long e1, long e2, long n1, long n2, long[] high) {
        synchronized (pairLock(a)) {
            long o1 = (long) LONG.getVolatile(HOST, a), o2 = (long) LONG.getVolatile(HOST, a + 8);
            high[0] = o2;
            if (o1 != e1 || o2 != e2) return o1;
            long w1 = (long) LONG.compareAndExchange(HOST, a, e1, n1);
            if (w1 != e1) return w1; // a single-register store changed the low half just now: fail
            LONG.compareAndExchange(HOST, a + 8, e2, n2);
            return e1;
        }
    }
}
