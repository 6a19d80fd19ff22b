package org.jvisor.vmm.virtio;

import org.jvisor.vmm.GuestMemory;
import org.jvisor.cpu.InterruptLine;
import org.jvisor.cpu.MmioHandler;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * The virtio MMIO transport, version 2 ("modern", virtio 1.2 section 4.2.2): one 0x200-byte register
 * window in front of one {@link VirtioDevice}, as on QEMU's virt board (0x0A000000 + 0x200 n, SPI 16 + n).
 *
 * <p>VendorID is QEMU's (0x554D4551, "QEMU"): the board imitates QEMU's virt machine, and Linux only uses
 * the value for module aliases. The transport offers VIRTIO_F_VERSION_1 (required: FEATURES_OK is refused
 * without it), VIRTIO_RING_F_INDIRECT_DESC and VIRTIO_RING_F_EVENT_IDX, all implemented in
 * {@link Virtqueue}.
 *
 * <p>Control registers take 32-bit aligned accesses; other sizes read as zero and are ignored, as QEMU
 * does. The configuration space from 0x100 takes accesses of 1, 2, 4 and 8 bytes, little-endian; bytes
 * beyond the device's configuration read as zero. Queue notifications are served on the notifying vCPU's
 * thread, synchronously, as QEMU does without an iothread: a request is finished when the driver's write
 * to QueueNotify returns, which needs no device thread and no hand-off; the other vCPUs wait only if they
 * touch the same device meanwhile. All state is guarded by the device's monitor.
 */
public final class VirtioMmioTransport implements MmioHandler {
    public static final long WINDOW_SIZE = 0x200;
    public static final int MAGIC = 0x74726976; // "virt"
    public static final int VENDOR_QEMU = 0x554D4551;

    // register offsets (4.2.2 table "MMIO Device Register Layout")
    static final int MAGIC_VALUE = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c,
            DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014, DRIVER_FEATURES = 0x020,
            DRIVER_FEATURES_SEL = 0x024, QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038,
            QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050, INTERRUPT_STATUS = 0x060, INTERRUPT_ACK = 0x064,
            STATUS = 0x070, QUEUE_DESC_LOW = 0x080, QUEUE_DESC_HIGH = 0x084, QUEUE_DRIVER_LOW = 0x090,
            QUEUE_DRIVER_HIGH = 0x094, QUEUE_DEVICE_LOW = 0x0a0, QUEUE_DEVICE_HIGH = 0x0a4, SHM_SEL = 0x0ac,
            SHM_LEN_LOW = 0x0b0, SHM_LEN_HIGH = 0x0b4, SHM_BASE_LOW = 0x0b8, SHM_BASE_HIGH = 0x0bc,
            QUEUE_RESET = 0x0c0, CONFIG_GENERATION = 0x0fc, CONFIG = 0x100;

    // device status bits (2.1)
    public static final int ACKNOWLEDGE = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8,
            DEVICE_NEEDS_RESET = 0x40, FAILED = 0x80;

    // InterruptStatus bits
    public static final int INT_USED_BUFFER = 1, INT_CONFIG_CHANGE = 2;

    // transport feature bits (6)
    public static final long F_INDIRECT_DESC = 1L << 28, F_EVENT_IDX = 1L << 29, F_VERSION_1 = 1L << 32;

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final InterruptLine irq;
    private final Virtqueue[] queues;
    private final long offered;

    private int deviceFeaturesSel, driverFeaturesSel, queueSel;
    private long driverFeatures;
    private int status;
    private int interruptStatus;
    private boolean lineLevel;
    private int configGeneration;
    private String lastError;
    /** While a snapshot is saved or loaded: no queue is served, so guest RAM and the queues' state stay as read. */
    private boolean held;
    /** The queues whose work was put off by {@link #hold}, one bit each. */
    private long putOff;

    public VirtioMmioTransport(VirtioDevice device, GuestMemory memory, InterruptLine irq) {
        this.device = device;
        this.memory = memory;
        this.irq = irq;
        int n = device.queueCount();
        if (n < 1 || n > 64) throw new IllegalArgumentException("a virtio device has 1 to 64 queues here: " + n); // putOff's bits
        queues = new Virtqueue[n];
        for (int i = 0; i < n; i++) {
            int max = device.queueMaxSize(i);
            if (max <= 0 || max > 32768 || (max & (max - 1)) != 0)
                throw new IllegalArgumentException("queue size must be a power of two up to 32768: " + max);
            queues[i] = new Virtqueue(memory, max);
        }
        offered = device.deviceFeatures() | F_VERSION_1 | F_INDIRECT_DESC | F_EVENT_IDX;
        device.attach(this);
    }

    public VirtioDevice device() { return device; }

    public GuestMemory memory() { return memory; }

    /** The feature bits this transport and its device offer. */
    public long offeredFeatures() { return offered; }

    /** The driver's feature bits (meaningful once FEATURES_OK is set). */
    public long driverFeatures() {
        synchronized (device) {
            return driverFeatures;
        }
    }

    /** Why the device last set DEVICE_NEEDS_RESET (for diagnostics), or null. */
    public String lastError() {
        synchronized (device) {
            return lastError;
        }
    }

    public int status() {
        synchronized (device) {
            return status;
        }
    }

    /** Queue {@code index}, for the device. */
    public Virtqueue queue(int index) { return queues[index]; }

    /** Whether the driver is running the device: it may take buffers and signal. */
    public boolean isLive() {
        synchronized (device) {
            return (status & (DRIVER_OK | FEATURES_OK | DEVICE_NEEDS_RESET)) == (DRIVER_OK | FEATURES_OK);
        }
    }

    /** After the device pushed used buffers to {@code queue}: signals the driver unless it asked not to be. */
    public void usedBuffers(int queue) throws VirtqueueException {
        synchronized (device) {
            if (queues[queue].needsInterrupt()) raise(INT_USED_BUFFER);
        }
    }

    /** The device changed its configuration space (2.4.2 ConfigGeneration, config-change notification). */
    public void configChanged() {
        synchronized (device) {
            configGeneration++;
            if ((status & DRIVER_OK) != 0) raise(INT_CONFIG_CHANGE);
        }
    }

    /** The device can no longer trust the driver's state (2.1.2): DEVICE_NEEDS_RESET and a config interrupt. */
    public void needsReset(String why) {
        synchronized (device) {
            lastError = why;
            if ((status & DEVICE_NEEDS_RESET) != 0) return;
            status |= DEVICE_NEEDS_RESET;
            if ((status & DRIVER_OK) != 0) raise(INT_CONFIG_CHANGE);
        }
    }

    private void raise(int bits) {
        interruptStatus |= bits;
        updateLine();
    }

    private void updateLine() {
        boolean level = interruptStatus != 0;
        if (level != lineLevel) {
            lineLevel = level;
            irq.set(level);
        }
    }

    /**
     * Writes the transport (device ID and queue count, to check against; the selectors, the driver's
     * features, Status, InterruptStatus, ConfigGeneration, the last device error), every queue, and then
     * what the device keeps. A save waits for the device's monitor, which a notification holds from taking a
     * request to returning it, so it never sees a request half served.
     */
    public void saveState(StateWriter w) {
        synchronized (device) {
            w.tag("virtio-mmio");
            w.putInt(device.deviceId()).putInt(queues.length);
            w.putInt(deviceFeaturesSel).putInt(driverFeaturesSel).putInt(queueSel);
            w.putLong(driverFeatures);
            w.putInt(status).putInt(interruptStatus).putInt(configGeneration);
            w.putString(lastError == null || lastError.length() <= 1000 ? lastError : lastError.substring(0, 1000)); // for diagnostics
            for (Virtqueue q : queues) q.saveState(w);
            device.saveState(w);
        }
    }

    /**
     * Serves no queue until {@link #release}: for a save or load of the paused machine, during which a
     * device's host thread (a frame from the network, console input) must not write guest RAM or move a
     * queue. What arrives meanwhile waits in the device.
     */
    public void hold() {
        synchronized (device) {
            held = true;
        }
    }

    /** Ends {@link #hold}: the queues whose work was put off are served now, as a notification would. */
    public void release() {
        synchronized (device) {
            held = false;
            long queued = putOff;
            putOff = 0;
            for (int i = 0; i < queues.length; i++) if ((queued & 1L << i) != 0) notifyQueue(i);
        }
    }

    /**
     * Restores what {@link #saveState} wrote into a transport built the same way (same device type in the
     * same slot), refusing states the spec forbids (FEATURES_OK with features the device did not offer or
     * without VERSION_1, unknown status or interrupt bits, queue sizes that are not powers of two up to
     * QueueNumMax), then drives the interrupt line to InterruptStatus. Guest RAM is not touched.
     */
    public void restoreState(StateReader r) {
        synchronized (device) {
            r.tag("virtio-mmio");
            int id = r.getInt(), n = r.getInt();
            if (id != device.deviceId() || n != queues.length)
                throw new StateException("the snapshot has virtio device " + id + " with " + n + " queues where this machine has device "
                        + device.deviceId() + " with " + queues.length);
            deviceFeaturesSel = r.getInt();
            driverFeaturesSel = r.getInt();
            queueSel = r.getInt();
            driverFeatures = r.getLong();
            status = r.getInt(0, 0xff, "virtio device status");
            if ((status & FEATURES_OK) != 0 && !featuresAcceptable())
                throw new StateException("virtio: FEATURES_OK with features 0x" + Long.toHexString(driverFeatures)
                        + " where the device offers 0x" + Long.toHexString(offered));
            interruptStatus = r.getInt(0, INT_USED_BUFFER | INT_CONFIG_CHANGE, "virtio interrupt status");
            configGeneration = r.getInt();
            lastError = r.getString(4096);
            for (Virtqueue q : queues) q.restoreState(r);
            device.restoreState(r);
            lineLevel = interruptStatus != 0;
            irq.set(lineLevel);
        }
    }

    @Override
    public long read(long offset, int size) {
        synchronized (device) {
            if (offset >= CONFIG) return readConfig(offset - CONFIG, size);
            if (size != 4 || (offset & 3) != 0) return 0;
            return Integer.toUnsignedLong(readRegister((int) offset));
        }
    }

    @Override
    public void write(long offset, int size, long value) {
        synchronized (device) {
            if (offset >= CONFIG) {
                if (offset < WINDOW_SIZE && size >= 1 && size <= 8 && offset - CONFIG + size <= WINDOW_SIZE - CONFIG)
                    device.writeConfig((int) (offset - CONFIG), size, value);
                return;
            }
            if (size != 4 || (offset & 3) != 0 || offset < 0) return;
            writeRegister((int) offset, (int) value);
        }
    }

    private Virtqueue selected() {
        return queueSel >= 0 && queueSel < queues.length ? queues[queueSel] : null;
    }

    private int readRegister(int offset) {
        Virtqueue q = selected();
        return switch (offset) {
            case MAGIC_VALUE -> MAGIC;
            case VERSION -> 2;
            case DEVICE_ID -> device.deviceId();
            case VENDOR_ID -> VENDOR_QEMU;
            case DEVICE_FEATURES -> deviceFeaturesSel == 0 ? (int) offered
                    : deviceFeaturesSel == 1 ? (int) (offered >>> 32) : 0;
            case QUEUE_NUM_MAX -> q == null ? 0 : q.maxSize();
            case QUEUE_READY -> q != null && q.isReady() ? 1 : 0;
            case INTERRUPT_STATUS -> interruptStatus;
            case STATUS -> status;
            // no shared memory regions: the length and base read as (u64) -1 (4.2.2)
            case SHM_LEN_LOW, SHM_LEN_HIGH, SHM_BASE_LOW, SHM_BASE_HIGH -> -1;
            case CONFIG_GENERATION -> configGeneration;
            default -> 0; // write-only and reserved registers
        };
    }

    private void writeRegister(int offset, int value) {
        Virtqueue q = selected();
        switch (offset) {
            case DEVICE_FEATURES_SEL -> deviceFeaturesSel = value;
            case DRIVER_FEATURES_SEL -> driverFeaturesSel = value;
            case DRIVER_FEATURES -> {
                if ((status & FEATURES_OK) != 0) return; // frozen once accepted
                if (driverFeaturesSel == 0) driverFeatures = driverFeatures & ~0xffff_ffffL | Integer.toUnsignedLong(value);
                else if (driverFeaturesSel == 1) driverFeatures = driverFeatures & 0xffff_ffffL | (long) value << 32;
            }
            case QUEUE_SEL -> queueSel = value;
            case QUEUE_NUM -> { if (q != null) q.setSize(value); }
            case QUEUE_READY -> {
                if (q == null) return;
                if ((value & 1) != 0) q.enable((driverFeatures & F_INDIRECT_DESC) != 0, (driverFeatures & F_EVENT_IDX) != 0);
                else q.reset();
            }
            case QUEUE_DESC_LOW -> { if (q != null) q.setDesc(low(q.desc(), value)); }
            case QUEUE_DESC_HIGH -> { if (q != null) q.setDesc(high(q.desc(), value)); }
            case QUEUE_DRIVER_LOW -> { if (q != null) q.setDriver(low(q.driverArea(), value)); }
            case QUEUE_DRIVER_HIGH -> { if (q != null) q.setDriver(high(q.driverArea(), value)); }
            case QUEUE_DEVICE_LOW -> { if (q != null) q.setDevice(low(q.deviceArea(), value)); }
            case QUEUE_DEVICE_HIGH -> { if (q != null) q.setDevice(high(q.deviceArea(), value)); }
            case QUEUE_NOTIFY -> notifyQueue(value & 0xffff);
            case INTERRUPT_ACK -> {
                interruptStatus &= ~value;
                updateLine();
            }
            case STATUS -> writeStatus(value & 0xff);
            default -> { } // read-only and reserved registers, SHMSel, QueueReset (not offered)
        }
    }

    private static long low(long old, int v) { return old & ~0xffff_ffffL | Integer.toUnsignedLong(v); }

    private static long high(long old, int v) { return old & 0xffff_ffffL | (long) v << 32; }

    private void writeStatus(int value) {
        if (value == 0) {
            resetDevice();
            return;
        }
        int v = value & ~DEVICE_NEEDS_RESET | status & DEVICE_NEEDS_RESET;
        if ((v & FEATURES_OK) != 0 && (status & FEATURES_OK) == 0 && !featuresAcceptable()) v &= ~FEATURES_OK;
        boolean wasLive = isLive();
        status = v;
        // buffers made available before DRIVER_OK were not served (3.1.1): look at every queue now
        if (!wasLive && isLive()) for (int i = 0; i < queues.length; i++) notifyQueue(i);
    }

    /** 3.1.1 step 5: only features the device offered, and VERSION_1 since this is not a legacy device. */
    private boolean featuresAcceptable() {
        return (driverFeatures & ~offered) == 0 && (driverFeatures & F_VERSION_1) != 0;
    }

    /** A reset of the board (system reset): the device as after power-on, as the driver's Status = 0 does. */
    public void reset() {
        synchronized (device) {
            resetDevice();
        }
    }

    private void resetDevice() {
        device.reset();
        for (Virtqueue q : queues) q.reset();
        status = 0;
        driverFeatures = 0;
        deviceFeaturesSel = driverFeaturesSel = queueSel = 0;
        interruptStatus = 0;
        lastError = null;
        updateLine();
    }

    private void notifyQueue(int index) {
        serve(index, () -> device.queueNotify(index));
    }

    /** Work of a device on one of its queues, which may find the ring broken. */
    @FunctionalInterface
    public interface QueueWork {
        void run() throws VirtqueueException;
    }

    /**
     * Runs {@code work} on queue {@code index} if the driver is running the device and the queue is ready;
     * a broken ring, or a device bug, sets DEVICE_NEEDS_RESET. The caller holds the device's monitor: a
     * vCPU's notification, or the device's own host thread with buffers for the guest.
     */
    void serve(int index, QueueWork work) {
        if (index >= queues.length || !isLive() || !queues[index].isReady()) return;
        if (held) {
            putOff |= 1L << index;
            return;
        }
        try {
            work.run();
        } catch (VirtqueueException e) {
            needsReset(e.getMessage());
        } catch (RuntimeException e) {
            // a device bug must cost the guest its device, not the vCPU thread (or the host's) its life
            needsReset("device error: " + e);
        }
    }

    private long readConfig(long offset, int size) {
        if (size < 1 || size > 8 || offset < 0 || offset + size > WINDOW_SIZE - CONFIG) return 0;
        byte[] c = device.config();
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            long at = offset + i;
            v = v << 8 | (at < c.length ? c[(int) at] & 0xff : 0);
        }
        return v;
    }
}
