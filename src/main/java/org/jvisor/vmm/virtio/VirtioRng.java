package org.jvisor.vmm.virtio;

import org.jvisor.vmm.GuestMemory;
import org.jvisor.vmm.GuestMemoryException;
import java.security.SecureRandom;

/**
 * virtio-rng, the entropy device (virtio 1.2 section 5.4): one request queue whose writable buffers are
 * filled from {@link SecureRandom}, at most {@value #MAX_PER_REQUEST} bytes per request (the driver reads
 * the used length and asks again), so a huge buffer costs neither memory nor time. It keeps no state of its
 * own: a snapshot holds its transport and queue only.
 */
public final class VirtioRng extends VirtioDevice {
    public static final int QUEUE_SIZE = 8;
    public static final int MAX_PER_REQUEST = 4096;

    private final SecureRandom random;

    public VirtioRng() {
        this(new SecureRandom());
    }

    public VirtioRng(SecureRandom random) {
        this.random = random;
    }

    @Override
    public int deviceId() { return ID_ENTROPY; }

    @Override
    public long deviceFeatures() { return 0; }

    @Override
    public int queueCount() { return 1; }

    @Override
    public int queueMaxSize(int queue) { return QUEUE_SIZE; }

    @Override
    protected byte[] config() { return new byte[0]; }

    @Override
    protected synchronized void queueNotify(int queue) throws VirtqueueException {
        Virtqueue q = transport().queue(0);
        GuestMemory mem = transport().memory();
        try {
            DescriptorChain c;
            while ((c = q.pop()) != null) {
                int n = (int) Math.min(MAX_PER_REQUEST, c.writableLength());
                byte[] bytes = new byte[n];
                random.nextBytes(bytes);
                try {
                    c.write(mem, 0, bytes, 0, n);
                } catch (GuestMemoryException e) {
                    n = 0;
                }
                q.push(c, n);
            }
        } finally {
            transport().usedBuffers(0);
        }
    }
}
