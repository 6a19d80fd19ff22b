package org.jvisor.vmm.virtio;

import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * A virtio device behind a {@link VirtioMmioTransport} (virtio 1.2 section 5): its type, feature bits,
 * virtqueues and configuration space. The transport calls every method below with the device's monitor
 * held ({@code synchronized (device)}), which is also the lock a device uses for work that starts on a
 * host thread (console input).
 */
public abstract class VirtioDevice {
    public static final int ID_NET = 1, ID_BLOCK = 2, ID_CONSOLE = 3, ID_ENTROPY = 4;

    private VirtioMmioTransport transport;

    /** Virtio device ID (5 "Device Types"). */
    public abstract int deviceId();

    /** Device-type feature bits (0-23 and the device-specific ones above 41); the transport adds its own. */
    public abstract long deviceFeatures();

    public abstract int queueCount();

    /** QueueNumMax of {@code queue}, a power of two. */
    public abstract int queueMaxSize(int queue);

    /** The current configuration space (read through the transport at offset 0x100). */
    protected abstract byte[] config();

    /** A driver write into the configuration space; ignored unless the device has writable fields. */
    protected void writeConfig(int offset, int size, long value) { }

    /** The driver made buffers available in {@code queue} (it is ready, and the driver is DRIVER_OK). */
    protected abstract void queueNotify(int queue) throws VirtqueueException;

    /** Device reset (Status = 0): forget driver state; the transport resets the queues. */
    protected void reset() { }

    /**
     * Writes what the device keeps beyond its transport and queues (none by default: requests are served
     * within the notification, so none is ever half done). Called by the transport, with the monitor held.
     */
    protected void saveState(StateWriter w) { }

    /**
     * Restores what {@link #saveState} wrote into a fresh device, after the transport and queues; must not
     * touch guest RAM, which may be restored after the devices.
     */
    protected void restoreState(StateReader r) { }

    final synchronized void attach(VirtioMmioTransport t) {
        if (transport != null) throw new IllegalStateException("device already has a transport");
        transport = t;
    }

    /**
     * Serves {@code queue} from a host thread (data that arrived for the guest), as a notification would:
     * only while the driver runs the device and the queue is ready, and a broken ring sets
     * DEVICE_NEEDS_RESET. Call it holding the device's monitor.
     */
    protected final void serveFromHost(int queue, VirtioMmioTransport.QueueWork work) {
        if (transport != null) transport.serve(queue, work);
    }

    /** The transport, or null before the board attached one (read it holding the device's monitor). */
    protected final VirtioMmioTransport transport() { return transport; }
}
