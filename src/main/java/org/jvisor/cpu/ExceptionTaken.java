package org.jvisor.cpu;

/**
 * Unwinds the current instruction after the processor has entered an exception (the new PC and
 * syndrome are already set). Stackless and shared: taking an exception must stay cheap. Public because
 * {@link Cpu}'s public methods that take an exception return it for their callers to throw.
 */
public final class ExceptionTaken extends RuntimeException {
    static final ExceptionTaken INSTANCE = new ExceptionTaken();

    private ExceptionTaken() {
        super("exception taken", null, false, false);
    }
}
