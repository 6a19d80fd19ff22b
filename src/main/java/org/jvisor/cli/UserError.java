package org.jvisor.cli;

/** A problem with what the user asked for (a file, a flag): reported as one line, exit status 2. */
public final class UserError extends RuntimeException {
    public UserError(String message) {
        super(message, null, false, false);
    }
}
