package org.jvisor.vmm;

/**
 * The kernel, initrd or command line the user gave cannot be booted. The message is one line meant for
 * the user as it is ("not an arm64 kernel: 'bzImage' is an x86 bzImage").
 */
public final class BootException extends Exception {
    public BootException(String message) {
        super(message);
    }

    public BootException(String message, Throwable cause) {
        super(message, cause);
    }
}
