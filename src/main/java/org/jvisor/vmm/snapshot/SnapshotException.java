package org.jvisor.vmm.snapshot;

/** A snapshot file that cannot be read or restored; its message is one line for the user. */
public final class SnapshotException extends Exception {
    public SnapshotException(String message) {
        super(message);
    }
}
