package org.jvisor.cpu;

/** Thrown by a bus region that refuses an access; becomes an external abort, never a host failure. */
public final class BusError extends RuntimeException {
    public static final BusError INSTANCE = new BusError();

    private BusError() {
        super("bus error", null, false, false);
    }
}
