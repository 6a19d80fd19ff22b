package org.jvisor.vmm.virtio;

/**
 * A malformed virtqueue (a descriptor index out of range, a chain that loops or is too long, a ring outside
 * guest RAM): the device cannot trust the queue any more and asks the driver for a reset
 * (DEVICE_NEEDS_RESET), as the virtio spec lets it.
 */
public final class VirtqueueException extends Exception {
    public VirtqueueException(String message) {
        super(message, null, false, false);
    }
}
