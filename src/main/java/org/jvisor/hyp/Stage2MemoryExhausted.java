package org.jvisor.hyp;

/**
 * The hypervisor's table memory is used up: a stage-2 table could not be allocated. Thrown before any
 * descriptor is changed for the entry that needed the table, so the tables stay consistent (entries
 * changed earlier in the same operation stay changed). The hypervisor turns it into an internal-error exit.
 */
public final class Stage2MemoryExhausted extends RuntimeException {
    public Stage2MemoryExhausted(String message) {
        super(message);
    }
}
