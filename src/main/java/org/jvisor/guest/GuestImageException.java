package org.jvisor.guest;

import java.io.IOException;

/**
 * The default guest could not be obtained or built. The message is meant for the user as it is (one
 * sentence saying what to do), so front ends print it without a stack trace.
 */
public final class GuestImageException extends IOException {
    public GuestImageException(String message) {
        super(message);
    }

    public GuestImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
