package org.jvisor.vmm.virtio;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvisor.vmm.net.NetBackend;
import org.jvisor.vmm.virtio.VirtioGuest.Buf;
import org.jvisor.vmm.virtio.VirtioGuest.Queue;
import org.jvisor.vmm.virtio.VirtioGuest.Used;

/**
 * virtio-net (virtio 1.2 section 5.1) driven as Linux's virtio_net drives it without offloads: receiveq 0,
 * transmitq 1, the 12-byte struct virtio_net_hdr (VERSION_1: num_buffers always there) before every frame.
 * Field offsets and bits are the spec's, written out here.
 */
class VirtioNetTest {
    static final long VERSION_1 = 1L << 32, MTU = 1L << 3, MAC = 1L << 5, STATUS = 1L << 16,
            CSUM = 1L, GUEST_CSUM = 1L << 1, MRG_RXBUF = 1L << 15, CTRL_VQ = 1L << 17, MQ = 1L << 22,
            HOST_TSO4 = 1L << 11, GUEST_TSO4 = 1L << 7;
    static final long RX = VirtioGuest.DATA, TX = VirtioGuest.DATA + 0x20000;
    static final int NEEDS_RESET = 0x40;

    /** The network side: what the device sent. */
    static final class Wire implements NetBackend {
        final List<byte[]> sent = new ArrayList<>();

        @Override
        public void start(Receiver receiver) { }

        @Override
        public void send(byte[] frame) { sent.add(frame); }

        @Override
        public long dropped() { return 0; }

        @Override
        public void close() { }
    }

    /** An Ethernet frame: to 52:54:00:12:34:56 from 02:00:00:00:00:01, IPv4 type, {@code payload} bytes of a pattern. */
    static byte[] frame(int payload) {
        byte[] f = new byte[14 + payload];
        byte[] head = {0x52, 0x54, 0, 0x12, 0x34, 0x56, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
        System.arraycopy(head, 0, f, 0, 14);
        for (int i = 14; i < f.length; i++) f[i] = (byte) (i * 7);
        return f;
    }

    @Test
    void offersMacStatusAndMtuAndNoOffloads() {
        try (VirtioGuest g = new VirtioGuest(new VirtioNet(new Wire(), 0x5254_0012_3457L, 65520))) {
            assertEquals(1, g.r(0x008), "device ID 1: network card");
            long f = g.deviceFeatures();
            assertEquals(MAC | STATUS | MTU | VERSION_1, f & (MAC | STATUS | MTU | VERSION_1));
            assertEquals(0, f & (CSUM | GUEST_CSUM | MRG_RXBUF | CTRL_VQ | MQ | HOST_TSO4 | GUEST_TSO4));
            // struct virtio_net_config: mac[6], le16 status, le16 max_virtqueue_pairs, le16 mtu
            long[] mac = {0x52, 0x54, 0, 0x12, 0x34, 0x57};
            for (int i = 0; i < 6; i++) assertEquals(mac[i], g.transport.read(0x100 + i, 1), "mac[" + i + "]");
            assertEquals(1, g.transport.read(0x106, 2), "VIRTIO_NET_S_LINK_UP");
            assertEquals(1, g.transport.read(0x108, 2));
            assertEquals(65520, g.transport.read(0x10a, 2));
        }
    }

    @Test
    void transmitSendsTheFrameAfterTheHeader() {
        Wire wire = new Wire();
        VirtioNet net = new VirtioNet(wire, VirtioNet.DEFAULT_MAC, 1500);
        try (VirtioGuest g = new VirtioGuest(net)) {
            Queue tx = g.init(VERSION_1 | MAC | STATUS | MTU, 0, 0).get(1);
            byte[] f = frame(100);
            g.put(TX, new byte[12]);
            g.put(TX + 0x100, f);
            // Linux's virtio_net: the header in its own descriptor (no ANY_LAYOUT assumed), then the skb's data
            int head = tx.add(Buf.in(TX, 12), Buf.in(TX + 0x100, f.length));
            tx.kick();
            assertEquals(1, wire.sent.size());
            assertArrayEquals(f, wire.sent.get(0));
            assertEquals(new Used(head, 0), tx.take());
            assertTrue(g.irq.level);
            // and header and frame in one buffer: the device must not care how the driver splits them
            byte[] both = new byte[12 + f.length];
            System.arraycopy(f, 0, both, 12, f.length);
            g.put(TX + 0x1000, both);
            tx.add(Buf.in(TX + 0x1000, both.length));
            tx.kick();
            assertArrayEquals(f, wire.sent.get(1));
            assertEquals(2, net.stats().txFrames());
        }
    }

    @Test
    void receivedFrameLandsAfterAHeaderWithOneBuffer() {
        VirtioNet net = new VirtioNet(new Wire(), VirtioNet.DEFAULT_MAC, 1500);
        try (VirtioGuest g = new VirtioGuest(net)) {
            Queue rx = g.init(VERSION_1 | MAC | STATUS | MTU, 0, 0).get(0);
            g.put(RX, new byte[2048]); // not zero: the header's bytes must be written
            Arrays.fill(g.get(RX, 1), (byte) 0);
            byte[] junk = new byte[12];
            Arrays.fill(junk, (byte) 0xee);
            g.put(RX, junk);
            // small-buffer mode of Linux's virtio_net: one writable buffer of header + 1518
            int head = rx.add(Buf.out(RX, 12 + 1518));
            rx.kick();
            byte[] f = frame(1500);
            net.receive(f);
            assertEquals(new Used(head, 12 + f.length), rx.take());
            // flags 0, gso_type NONE, hdr_len, gso_size, csum_start, csum_offset 0; num_buffers 1
            assertArrayEquals(new byte[]{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, g.get(RX, 12));
            assertArrayEquals(f, g.get(RX + 12, f.length));
            assertTrue(g.irq.level);
        }
    }

    @Test
    void framesWaitForReceiveBuffersThenArrive() {
        VirtioNet net = new VirtioNet(new Wire(), VirtioNet.DEFAULT_MAC, 1500);
        try (VirtioGuest g = new VirtioGuest(net)) {
            net.receive(frame(40)); // before there is a driver: its reset (status 0) drops what waits, a stale link's frames
            Queue rx = g.init(VERSION_1, 0, 0).get(0);
            assertEquals(0, net.stats().pending());
            net.receive(frame(50));
            net.receive(frame(60));
            assertEquals(2, net.stats().pending());
            int a = rx.add(Buf.out(RX, 2048));
            int b = rx.add(Buf.out(RX + 0x1000, 2048));
            rx.kick();
            assertEquals(new Used(a, 12 + 64), rx.take());
            assertEquals(new Used(b, 12 + 74), rx.take());
            assertArrayEquals(frame(60), g.get(RX + 0x1000 + 12, 74));
            assertEquals(0, net.stats().pending());
            // a 64 KiB frame in a chain of pages, as Linux posts them for an MTU above 1500
            byte[] big = frame(65520);
            Buf[] pages = new Buf[17];
            pages[0] = Buf.out(RX + 0x2000, 12);
            for (int i = 1; i < pages.length; i++) pages[i] = Buf.out(RX + 0x2000 + 4096L * i, 4096);
            int c = rx.add(pages);
            rx.kick();
            net.receive(big);
            assertEquals(new Used(c, 12 + big.length), rx.take());
            assertArrayEquals(Arrays.copyOfRange(big, 0, 4096), g.get(RX + 0x2000 + 4096, 4096));
            assertArrayEquals(Arrays.copyOfRange(big, 4096 * 15, big.length), g.get(RX + 0x2000 + 4096L * 16, big.length - 4096 * 15));
        }
    }

    @Test
    void aGuestThatPostsNoBuffersCostsBoundedMemory() {
        VirtioNet net = new VirtioNet(new Wire(), VirtioNet.DEFAULT_MAC, 1500);
        try (VirtioGuest g = new VirtioGuest(net)) {
            g.init(VERSION_1, 0, 0);
            for (int i = 0; i < 10_000; i++) net.receive(frame(1000));
            VirtioNet.Stats s = net.stats();
            assertEquals(VirtioNet.PENDING_FRAMES, s.pending());
            assertEquals(10_000 - VirtioNet.PENDING_FRAMES, s.rxDropped());
            assertEquals(0, g.r(0x070) & NEEDS_RESET);
        }
    }

    @Test
    void badTransmitChainsAreDroppedAndTheDeviceGoesOn() {
        Wire wire = new Wire();
        VirtioNet net = new VirtioNet(wire, VirtioNet.DEFAULT_MAC, 1500);
        try (VirtioGuest g = new VirtioGuest(net)) {
            Queue tx = g.init(VERSION_1, 0, 0).get(1);
            int shortChain = tx.add(Buf.in(TX, 8));                          // not even a header
            int noEthernet = tx.add(Buf.in(TX, 12 + 10));                    // a header and 10 bytes
            g.put(TX + 0x10000, new byte[12 + 70_000]);
            int huge = tx.add(Buf.in(TX + 0x10000, 12 + 70_000));            // above 65550
            int outside = tx.add(Buf.in(TX, 12), Buf.in(0x10_0000_0000L, 100)); // not RAM
            int writable = tx.add(Buf.out(TX, 2048));                        // nothing to read
            tx.kick();
            for (int head : new int[]{shortChain, noEthernet, huge, outside, writable}) assertEquals(new Used(head, 0), tx.take());
            assertTrue(wire.sent.isEmpty());
            assertEquals(5, net.stats().txDropped());
            assertEquals(0, g.r(0x070) & NEEDS_RESET, "bad requests, a sound queue");
            byte[] f = frame(46);
            g.put(TX + 0x100, f);
            tx.add(Buf.in(TX, 12), Buf.in(TX + 0x100, f.length));
            tx.kick();
            assertArrayEquals(f, wire.sent.get(0));
        }
    }

    @Test
    void receiveBuffersTooSmallOrOutsideRamReturnEmpty() {
        VirtioNet net = new VirtioNet(new Wire(), VirtioNet.DEFAULT_MAC, 1500);
        try (VirtioGuest g = new VirtioGuest(net)) {
            Queue rx = g.init(VERSION_1, 0, 0).get(0);
            int small = rx.add(Buf.out(RX, 100));
            int outside = rx.add(Buf.out(0x10_0000_0000L, 2048));
            int readable = rx.add(Buf.in(RX, 2048));
            int good = rx.add(Buf.out(RX + 0x1000, 2048));
            rx.kick();
            for (int i = 0; i < 4; i++) net.receive(frame(200));
            assertEquals(new Used(small, 0), rx.take());
            assertEquals(new Used(outside, 0), rx.take());
            assertEquals(new Used(readable, 0), rx.take());
            assertEquals(new Used(good, 12 + 214), rx.take());
            VirtioNet.Stats s = net.stats();
            assertEquals(3, s.rxDropped());
            assertEquals(1, s.rxFrames());
            assertEquals(0, g.r(0x070) & NEEDS_RESET);
        }
    }

    @Test
    void aBrokenReceiveQueueNeedsResetWithoutAHostException() {
        VirtioNet net = new VirtioNet(new Wire(), VirtioNet.DEFAULT_MAC, 1500);
        try (VirtioGuest g = new VirtioGuest(net)) {
            Queue rx = g.init(VERSION_1, 0, 0).get(0);
            rx.writeDesc(rx.desc, 0, RX, 2048, 1 | 2, 999); // NEXT to a descriptor outside a table of 256
            rx.publish(0);
            rx.kick();
            net.receive(frame(100)); // on the backend's thread: no exception may escape
            assertEquals(NEEDS_RESET, g.r(0x070) & NEEDS_RESET);
            assertTrue(g.transport.lastError().contains("999"), g.transport.lastError());
            net.receive(frame(100));
            // the driver resets the device and sets it up again: it works
            Queue again = g.init(VERSION_1, 0, 0).get(0);
            int head = again.add(Buf.out(RX, 2048));
            again.kick();
            net.receive(frame(100));
            assertEquals(new Used(head, 12 + 114), again.take());
        }
    }

    @Test
    void aBackendThreadAndVcpuThreadsShareTheDevice() throws Exception {
        VirtioNet net = new VirtioNet(new Wire(), VirtioNet.DEFAULT_MAC, 1500);
        try (VirtioGuest g = new VirtioGuest(net)) {
            Queue rx = g.init(VERSION_1, 0, 0).get(0);
            int frames = 5000;
            Thread backend = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < frames; i++) net.receive(frame(i % 1500));
            });
            int got = 0;
            long deadline = System.nanoTime() + 20_000_000_000L;
            for (int i = 0; i < 64; i++) rx.add(Buf.out(RX + 2048L * i, 2048));
            rx.kick();
            while ((backend.isAlive() || net.stats().pending() > 0) && System.nanoTime() < deadline) {
                Used u;
                while ((u = rx.take()) != null) {
                    got++;
                    rx.add(Buf.out(RX + 2048L * (u.id() % 64), 2048));
                }
                rx.kick();
            }
            backend.join();
            Used u;
            while ((u = rx.take()) != null) got++;
            VirtioNet.Stats s = net.stats();
            assertEquals(frames, got + s.rxDropped(), "every frame delivered or counted as dropped: " + s);
            assertEquals(got, s.rxFrames());
            assertEquals(0, g.r(0x070) & NEEDS_RESET);
        }
    }
}
