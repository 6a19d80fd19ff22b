package org.jvisor.cpu;

/**
 * A saved state that cannot be restored: written by another build, for another machine, or damaged. Its
 * message is one line for the user; the machine being restored must be thrown away, never run.
 */
public final class StateException extends RuntimeException {
    public StateException(String message) {
        super(message);
    }
}
