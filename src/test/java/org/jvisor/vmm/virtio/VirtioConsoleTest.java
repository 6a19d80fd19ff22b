package org.jvisor.vmm.virtio;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.jvisor.vmm.virtio.VirtioGuest.Buf;
import org.jvisor.vmm.virtio.VirtioGuest.Queue;
import org.jvisor.vmm.virtio.VirtioGuest.Used;

/** virtio-console with one port (virtio 1.2 section 5.3): receiveq 0, transmitq 1. */
class VirtioConsoleTest {
    static final long VERSION_1 = 1L << 32, EVENT_IDX = 1L << 29, SIZE = 1, MULTIPORT = 2, EMERG_WRITE = 4;
    static final long RX = VirtioGuest.DATA, TX = VirtioGuest.DATA + 0x10000;

    @Test
    void offersNoMultiport() {
        try (VirtioGuest g = new VirtioGuest(new VirtioConsole(ByteArrayOutputStream.nullOutputStream()))) {
            assertEquals(0, g.deviceFeatures() & (SIZE | MULTIPORT | EMERG_WRITE));
            assertEquals(3, g.r(0x008));
        }
    }

    @Test
    void transmitGoesToTheStream() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (VirtioGuest g = new VirtioGuest(new VirtioConsole(out))) {
            Queue tx = g.init(VERSION_1, 0, 0).get(1);
            g.put(TX, "hello, ".getBytes(StandardCharsets.US_ASCII));
            g.put(TX + 0x100, "world\n".getBytes(StandardCharsets.US_ASCII));
            int head = tx.add(Buf.in(TX, 7), Buf.in(TX + 0x100, 6));
            tx.kick();
            assertEquals("hello, world\n", out.toString(StandardCharsets.US_ASCII));
            assertEquals(new Used(head, 0), tx.take());
            assertTrue(g.irq.level);
            assertEquals(1, g.ackInterrupt());
            assertFalse(g.irq.level);
        }
    }

    @Test
    void inputWaitsForReceiveBuffersThenArrives() throws Exception {
        VirtioConsole con = new VirtioConsole(ByteArrayOutputStream.nullOutputStream());
        try (VirtioGuest g = new VirtioGuest(con)) {
            con.receive("ls\n".getBytes(), 0, 3); // before the driver even exists
            Queue rx = g.init(VERSION_1, 0, 0).get(0);
            assertEquals(3, con.pendingInput());
            int head = rx.add(Buf.out(RX, 4096));
            rx.kick();
            assertEquals(new Used(head, 3), rx.take());
            assertEquals("ls\n", new String(g.get(RX, 3)));
            assertTrue(g.irq.level);
            g.ackInterrupt();
            // a buffer waiting in the ring takes input as soon as it comes
            head = rx.add(Buf.out(RX + 0x1000, 4096));
            rx.kick();
            assertNull(rx.take());
            con.receive((byte) 'x');
            assertEquals(new Used(head, 1), rx.take());
            assertEquals('x', g.get(RX + 0x1000, 1)[0]);
            assertTrue(g.irq.level);
        }
    }

    @Test
    void inputLargerThanTheBufferWaitsForTheGuest() throws Exception {
        VirtioConsole con = new VirtioConsole(ByteArrayOutputStream.nullOutputStream());
        try (VirtioGuest g = new VirtioGuest(con)) {
            Queue rx = g.init(VERSION_1, 0, 0).get(0);
            byte[] text = new byte[VirtioConsole.INPUT_BUFFER + 10];
            for (int i = 0; i < text.length; i++) text[i] = (byte) ('a' + i % 26);
            Thread typist = Thread.ofPlatform().start(() -> {
                try {
                    con.receive(text, 0, text.length);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            // the typist fills the host buffer and then must wait for the guest
            while (typist.isAlive() && typist.getState() != Thread.State.WAITING) Thread.onSpinWait();
            assertEquals(VirtioConsole.INPUT_BUFFER, con.pendingInput());
            assertTrue(typist.isAlive());
            rx.add(Buf.out(RX, 8192));
            rx.kick();
            typist.join();
            assertEquals(VirtioConsole.INPUT_BUFFER, rx.take().len());
            assertEquals(10, con.pendingInput());
            rx.add(Buf.out(RX + 0x2000, 8192));
            rx.kick();
            assertEquals(10, rx.take().len());
            byte[] got = new byte[text.length];
            System.arraycopy(g.get(RX, VirtioConsole.INPUT_BUFFER), 0, got, 0, VirtioConsole.INPUT_BUFFER);
            System.arraycopy(g.get(RX + 0x2000, 10), 0, got, VirtioConsole.INPUT_BUFFER, 10);
            assertArrayEquals(text, got);
        }
    }

    @Test
    void offerTakesWhatFitsWithoutWaiting() {
        VirtioConsole con = new VirtioConsole(ByteArrayOutputStream.nullOutputStream());
        try (VirtioGuest g = new VirtioGuest(con)) {
            byte[] big = new byte[VirtioConsole.INPUT_BUFFER + 100];
            assertEquals(VirtioConsole.INPUT_BUFFER, con.offer(big, 0, big.length));
            assertEquals(0, con.offer(big, 0, 1));
            Queue rx = g.init(VERSION_1, 0, 0).get(0);
            rx.add(Buf.out(RX, 100));
            rx.kick();
            assertEquals(100, rx.take().len());
            assertEquals(100, con.offer(big, 0, big.length));
        }
    }

    @Test
    void receiveBuffersOutsideRamAreReturnedEmptyAndTheInputKept() throws Exception {
        VirtioConsole con = new VirtioConsole(ByteArrayOutputStream.nullOutputStream());
        try (VirtioGuest g = new VirtioGuest(con)) {
            Queue rx = g.init(VERSION_1, 0, 0).get(0);
            con.receive((byte) 'q');
            int bad = rx.add(Buf.out(0x100, 16));
            int good = rx.add(Buf.out(RX, 16));
            rx.kick();
            assertEquals(new Used(bad, 0), rx.take());
            assertEquals(new Used(good, 1), rx.take());
            assertEquals('q', g.get(RX, 1)[0]);
        }
    }

    @Test
    void transmitFromOutsideRamIsDropped() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (VirtioGuest g = new VirtioGuest(new VirtioConsole(out))) {
            Queue tx = g.init(VERSION_1 | EVENT_IDX, 0, 0).get(1);
            int head = tx.add(Buf.in(0x10, 100));
            tx.kick();
            assertEquals(new Used(head, 0), tx.take());
            assertEquals(0, out.size());
            assertEquals(0, g.r(0x070) & 0x40);
        }
    }
}
