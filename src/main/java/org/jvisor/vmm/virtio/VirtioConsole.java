package org.jvisor.vmm.virtio;

import org.jvisor.vmm.GuestMemory;
import org.jvisor.vmm.GuestMemoryException;
import org.jvisor.vmm.debug.HostConsole;
import org.jvisor.vmm.devices.ConsoleInput;
import java.io.IOException;
import java.io.OutputStream;

/**
 * virtio-console (virtio 1.2 section 5.3) with one port and no features (no MULTIPORT, no SIZE): receiveq
 * 0 carries host input to the guest, transmitq 1 the guest's output to an {@link OutputStream}. Linux
 * makes it /dev/hvc0.
 *
 * <p>Host input (from any thread) goes through a {@value #INPUT_BUFFER}-byte buffer: {@link #receive}
 * waits while it is full, i.e. while the guest takes nothing, so a typist or a pipe is held back instead
 * of growing host memory. Input is delivered as soon as the guest has receive buffers, on the input
 * thread, or on the vCPU thread that makes buffers available. It is a {@link ConsoleInput}, so that
 * {@link HostConsole} can feed it as it feeds the PL011.
 */
public final class VirtioConsole extends VirtioDevice implements ConsoleInput {
    public static final int RECEIVEQ = 0, TRANSMITQ = 1;
    public static final int QUEUE_SIZE = 128;
    public static final int INPUT_BUFFER = 4096;
    private static final int CHUNK = 4096;

    private final OutputStream out;
    private final byte[] input = new byte[INPUT_BUFFER];
    private int inputHead, inputCount;
    private final byte[] chunk = new byte[CHUNK];

    public VirtioConsole(OutputStream out) {
        this.out = out;
    }

    @Override
    public int deviceId() { return ID_CONSOLE; }

    @Override
    public long deviceFeatures() { return 0; }

    @Override
    public int queueCount() { return 2; }

    @Override
    public int queueMaxSize(int queue) { return QUEUE_SIZE; }

    /** struct virtio_console_config (cols, rows, max_nr_ports, emerg_wr): unused without features. */
    @Override
    protected byte[] config() { return new byte[12]; }

    /** One byte of host input; waits while the input buffer is full. */
    public void receive(byte b) throws InterruptedException {
        receive(new byte[]{b}, 0, 1);
    }

    /** Host input; waits while the input buffer is full. */
    @Override
    public synchronized void receive(byte[] b, int off, int len) throws InterruptedException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        while (len > 0) {
            while (inputCount == INPUT_BUFFER) wait();
            int n = offer(b, off, len);
            off += n;
            len -= n;
        }
    }

    /** Host input without waiting: takes what fits in the input buffer and returns how many bytes that was. */
    public synchronized int offer(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        int n = Math.min(len, INPUT_BUFFER - inputCount);
        for (int i = 0; i < n; i++) input[(inputHead + inputCount + i) % INPUT_BUFFER] = b[off + i];
        inputCount += n;
        if (n > 0) serveFromHost(RECEIVEQ, this::fillReceiveQueue);
        return n;
    }

    /** Bytes of host input the guest has not taken yet. */
    public synchronized int pendingInput() { return inputCount; }

    private void fillReceiveQueue() throws VirtqueueException {
        Virtqueue q = transport().queue(RECEIVEQ);
        GuestMemory mem = transport().memory();
        try {
            while (inputCount > 0) {
                DescriptorChain c = q.pop();
                if (c == null) break;
                int n = (int) Math.min(inputCount, c.writableLength());
                int first = Math.min(n, INPUT_BUFFER - inputHead);
                try {
                    c.write(mem, 0, input, inputHead, first);
                    if (n > first) c.write(mem, first, input, 0, n - first);
                } catch (GuestMemoryException e) {
                    q.push(c, 0); // a receive buffer outside RAM: the guest loses the buffer, not the input
                    continue;
                }
                inputHead = (inputHead + n) % INPUT_BUFFER;
                inputCount -= n;
                q.push(c, n);
            }
        } finally {
            notifyAll();
            transport().usedBuffers(RECEIVEQ);
        }
    }

    @Override
    protected synchronized void queueNotify(int queue) throws VirtqueueException {
        if (queue == RECEIVEQ) fillReceiveQueue();
        else transmit();
    }

    private void transmit() throws VirtqueueException {
        Virtqueue q = transport().queue(TRANSMITQ);
        GuestMemory mem = transport().memory();
        try {
            DescriptorChain c;
            while ((c = q.pop()) != null) {
                try {
                    long length = c.readableLength();
                    for (long pos = 0; pos < length; ) {
                        int n = (int) Math.min(CHUNK, length - pos);
                        c.read(mem, pos, chunk, 0, n);
                        out.write(chunk, 0, n);
                        pos += n;
                    }
                    out.flush();
                } catch (GuestMemoryException | IOException e) {
                    // output from outside RAM, or a host stream that failed: the rest of this buffer is lost
                }
                q.push(c, 0);
            }
        } finally {
            transport().usedBuffers(TRANSMITQ);
        }
    }

    // Snapshots: nothing beyond the queues. Output is written out within the notification, and host input
    // the guest has not taken is the host's, as on the PL011's line: a restored console takes its input from
    // the host it runs on.

    @Override
    protected void reset() {
        // host input waiting for the guest stays: it is the host's, and the next driver will take it
    }
}
