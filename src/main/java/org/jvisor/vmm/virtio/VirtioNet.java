package org.jvisor.vmm.virtio;

import java.util.ArrayDeque;
import org.jvisor.vmm.GuestMemory;
import org.jvisor.vmm.GuestMemoryException;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;
import org.jvisor.vmm.net.NetBackend;
import org.jvisor.vmm.net.Nic;

/**
 * virtio-net (virtio 1.2 section 5.1) with one queue pair and no offloads: receiveq 0 and transmitq 1,
 * features MAC, STATUS (the link is always up) and MTU. Every frame carries the 12-byte
 * {@code virtio_net_hdr} of VIRTIO_F_VERSION_1, all zero but {@code num_buffers} = 1 on receive (no
 * MRG_RXBUF); without CSUM and GSO, the guest sends and expects whole frames with their checksums.
 *
 * <p>The MTU is the network's (passt's 65520, else 1500): Linux's virtio_net then posts receive buffers
 * that hold a frame of that size (for more than 1500 bytes, chains of pages of 64 KiB in all).
 *
 * <p>Transmit runs on the notifying vCPU's thread, as the other devices: each chain's readable bytes are
 * the header and one frame, handed to the {@link NetBackend}, which never blocks. A chain shorter than the
 * header and an Ethernet header, or with a frame over {@link NetBackend#MAX_FRAME}, or outside RAM, is
 * dropped and counted; the buffer goes back to the driver either way.
 *
 * <p>Received frames arrive on the backend's thread and go straight into receive buffers when the driver
 * has posted some; otherwise up to {@value #PENDING_FRAMES} frames wait for buffers (delivered when the
 * driver notifies receiveq), and further frames are dropped and counted, so a guest that never posts
 * buffers costs bounded memory. A frame larger than the buffer it lands in is dropped and the buffer
 * returned empty, which Linux counts as a length error. Shape errors of a queue set DEVICE_NEEDS_RESET,
 * as for the other devices. All state is in fields guarded by the device's monitor.
 */
public final class VirtioNet extends VirtioDevice implements NetBackend.Receiver {
    public static final int RECEIVEQ = 0, TRANSMITQ = 1;
    public static final int QUEUE_SIZE = 256;
    public static final long F_MTU = 1L << 3, F_MAC = 1L << 5, F_STATUS = 1L << 16;
    public static final int S_LINK_UP = 1;
    /** struct virtio_net_hdr with num_buffers, as VERSION_1 has it always. */
    public static final int HEADER_SIZE = 12;
    static final int ETH_HEADER = 14;
    /** Frames held for a driver that has posted no receive buffers. */
    public static final int PENDING_FRAMES = 256;
    /** QEMU's default MAC (52:54:00:12:34:56). */
    public static final long DEFAULT_MAC = 0x5254_0012_3456L;
    public static final int MIN_MTU = 68;

    private final NetBackend backend;
    private final long mac;
    private final int mtu;
    private final ArrayDeque<byte[]> pending = new ArrayDeque<>();
    private final byte[] header = new byte[HEADER_SIZE];
    private long rxFrames, txFrames, rxDropped, txDropped, rxTooLong;

    /** A NIC with address {@code mac} (48 bits) on {@code backend}, whose frames are at most {@code mtu} + 14 bytes. */
    public VirtioNet(NetBackend backend, long mac, int mtu) {
        if ((mac >>> 48) != 0) throw new IllegalArgumentException("a MAC address has 48 bits");
        if (mtu < MIN_MTU || mtu > NetBackend.MAX_FRAME - ETH_HEADER) throw new IllegalArgumentException("MTU " + mtu);
        this.backend = backend;
        this.mac = mac;
        this.mtu = mtu;
        header[10] = 1; // num_buffers
    }

    @Override
    public int deviceId() { return ID_NET; }

    @Override
    public long deviceFeatures() { return F_MAC | F_STATUS | F_MTU; }

    @Override
    public int queueCount() { return 2; }

    @Override
    public int queueMaxSize(int queue) { return QUEUE_SIZE; }

    /** struct virtio_net_config up to mtu: mac, status, max_virtqueue_pairs, mtu. */
    @Override
    protected byte[] config() {
        byte[] c = new byte[12];
        for (int i = 0; i < 6; i++) c[i] = (byte) (mac >>> 8 * (5 - i));
        c[6] = S_LINK_UP;
        c[8] = 1;
        c[10] = (byte) mtu;
        c[11] = (byte) (mtu >>> 8);
        return c;
    }

    /** A frame from the network (the backend's thread). */
    @Override
    public synchronized void receive(byte[] frame) {
        if (frame.length < ETH_HEADER || frame.length > NetBackend.MAX_FRAME || pending.size() >= PENDING_FRAMES) {
            rxDropped++;
            return;
        }
        pending.add(frame);
        serveFromHost(RECEIVEQ, this::deliverPending);
    }

    private void deliverPending() throws VirtqueueException {
        Virtqueue q = transport().queue(RECEIVEQ);
        GuestMemory mem = transport().memory();
        boolean used = false;
        try {
            while (!pending.isEmpty()) {
                DescriptorChain c = q.pop();
                if (c == null) break;
                byte[] f = pending.remove();
                used = true;
                q.push(c, fill(c, mem, f));
            }
        } finally {
            if (used) transport().usedBuffers(RECEIVEQ);
        }
    }

    /** Writes header and frame into a receive buffer; returns the bytes written (0 for a frame dropped). */
    private int fill(DescriptorChain c, GuestMemory mem, byte[] frame) {
        if (c.writableLength() < HEADER_SIZE + frame.length) {
            rxTooLong++;
            rxDropped++;
            return 0;
        }
        try {
            c.write(mem, 0, header, 0, HEADER_SIZE);
            c.write(mem, HEADER_SIZE, frame, 0, frame.length);
        } catch (GuestMemoryException e) {
            rxDropped++;
            return 0;
        }
        rxFrames++;
        return HEADER_SIZE + frame.length;
    }

    @Override
    protected synchronized void queueNotify(int queue) throws VirtqueueException {
        if (queue == RECEIVEQ) deliverPending();
        else transmit();
    }

    private void transmit() throws VirtqueueException {
        Virtqueue q = transport().queue(TRANSMITQ);
        GuestMemory mem = transport().memory();
        try {
            DescriptorChain c;
            while ((c = q.pop()) != null) {
                long length = c.readableLength() - HEADER_SIZE;
                if (length < ETH_HEADER || length > NetBackend.MAX_FRAME) {
                    txDropped++;
                } else {
                    byte[] f = new byte[(int) length];
                    try {
                        c.read(mem, HEADER_SIZE, f, 0, f.length);
                        backend.send(f);
                        txFrames++;
                    } catch (GuestMemoryException e) {
                        txDropped++;
                    }
                }
                q.push(c, 0);
            }
        } finally {
            transport().usedBuffers(TRANSMITQ);
        }
    }

    @Override
    protected void reset() {
        pending.clear(); // frames for a driver that is gone
    }

    /**
     * Writes the MAC address and MTU the driver was given, to check against. Frames waiting for receive
     * buffers are not saved: they were on the wire, and a restored NIC is on a network started again.
     */
    @Override
    protected void saveState(StateWriter w) {
        w.tag("virtio-net").putLong(mac).putInt(mtu);
    }

    /** Checks that this NIC offers what the saved one did (the driver read both at probe) and drops frames for the old state. */
    @Override
    protected void restoreState(StateReader r) {
        r.tag("virtio-net");
        long savedMac = r.getLong();
        int savedMtu = r.getInt();
        if (savedMac != mac || savedMtu != mtu)
            throw new StateException("the snapshot's NIC is " + Nic.format(savedMac & 0xffff_ffff_ffffL) + " with MTU " + savedMtu + ", this one "
                    + Nic.format(mac) + " with MTU " + mtu);
        pending.clear();
    }

    public int mtu() { return mtu; }

    public long mac() { return mac; }

    /** Counters, as Linux's {@code ip -s link} would name them: frames delivered, sent, dropped each way, and of those received, dropped for a short buffer. */
    public record Stats(long rxFrames, long txFrames, long rxDropped, long txDropped, long rxTooLong, int pending, long backendDropped) {}

    public synchronized Stats stats() {
        return new Stats(rxFrames, txFrames, rxDropped, txDropped, rxTooLong, pending.size(), backend.dropped());
    }
}
