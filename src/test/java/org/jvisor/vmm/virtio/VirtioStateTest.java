package org.jvisor.vmm.virtio;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;
import org.jvisor.vmm.virtio.VirtioGuest.Buf;
import org.jvisor.vmm.virtio.VirtioGuest.Queue;
import org.jvisor.vmm.virtio.VirtioGuest.Used;

/**
 * Virtio devices saved with requests done but not yet seen by the driver (interrupt pending) and with
 * buffers made available but not yet notified, restored into fresh devices over a copy of guest RAM: the
 * restored device goes on exactly as the one never saved (same used elements, same bytes out, same
 * interrupt levels), a virtio-blk write is done exactly once, and crafted states are refused.
 */
class VirtioStateTest {
    static final long VERSION_1 = 1L << 32;
    static final long HDR = VirtioGuest.DATA, STATUS = VirtioGuest.DATA + 0x100, BUF = VirtioGuest.DATA + 0x1000;

    @TempDir
    Path dir;

    static byte[] save(VirtioMmioTransport t) {
        StateWriter w = new StateWriter();
        t.saveState(w);
        return w.toByteArray();
    }

    static void restore(VirtioMmioTransport t, byte[] state) {
        StateReader r = new StateReader(state);
        t.restoreState(r);
        r.end();
    }

    static void request(VirtioGuest g, long hdr, int type, long sector) {
        g.put(hdr, 4, type);
        g.put(hdr + 4, 4, 0);
        g.put(hdr + 8, 8, sector);
    }

    static byte[] sector(Path img, long n) throws IOException {
        return Arrays.copyOfRange(Files.readAllBytes(img), (int) n * 512, (int) n * 512 + 512);
    }

    static void writeSector(Path img, long n, byte[] data) throws IOException {
        byte[] all = Files.readAllBytes(img);
        System.arraycopy(data, 0, all, (int) n * 512, 512);
        Files.write(img, all);
    }

    /** The driver's side after the save: sees the interrupt, takes what was used, kicks, takes again. */
    static List<Object> goOn(VirtioGuest g, Queue q) {
        List<Object> seen = new ArrayList<>();
        seen.add(g.irq.level);
        seen.add(g.ackInterrupt());
        seen.add(q.take());
        seen.add(q.take());
        q.kick();
        seen.add(g.irq.level);
        seen.add(q.take());
        seen.add(q.take());
        seen.add(g.ackInterrupt());
        return seen;
    }

    @Test
    void aBlockWriteNotifiedBeforeTheSaveIsDoneOnceAndOneMadeAvailableAfterItOnceToo() throws Exception {
        Path imgA = dir.resolve("a.img"), imgB = dir.resolve("b.img");
        byte[] disk = new byte[64 * 512], d1 = new byte[512], d2 = new byte[512], marker = new byte[512];
        Random rnd = new Random(18);
        rnd.nextBytes(disk);
        rnd.nextBytes(d1);
        rnd.nextBytes(d2);
        Arrays.fill(marker, (byte) 0x5a);
        Files.write(imgA, disk);
        try (VirtioBlock a = new VirtioBlock(imgA, false); VirtioGuest ga = new VirtioGuest(a)) {
            Queue qa = ga.init(VirtioBlockTest.LINUX, 0).get(0);
            // W1: written and returned (its interrupt not yet seen); W2: made available, not notified. With
            // EVENT_IDX and used_event left at 0, W2's return raises no interrupt (virtio 1.2 2.7.10).
            ga.put(BUF, d1);
            request(ga, HDR, VirtioBlock.T_OUT, 5);
            ga.put(STATUS, 1, 0xff);
            int w1 = qa.add(Buf.in(HDR, 16), Buf.in(BUF, 512), Buf.out(STATUS, 1));
            qa.kick();
            assertArrayEquals(d1, sector(imgA, 5));
            ga.put(BUF + 0x1000, d2);
            request(ga, HDR + 0x200, VirtioBlock.T_OUT, 9);
            ga.put(STATUS + 1, 1, 0xff);
            int w2 = qa.add(Buf.in(HDR + 0x200, 16), Buf.in(BUF + 0x1000, 512), Buf.out(STATUS + 1, 1));
            byte[] saved = save(ga.transport);

            // The image as it was at the save, then sector 5 changed behind the guest's back: a restored
            // device that served W1 again would write d1 over the marker.
            Files.copy(imgA, imgB);
            writeSector(imgB, 5, marker);
            try (VirtioBlock b = new VirtioBlock(imgB, false); VirtioGuest gb = new VirtioGuest(ga, b)) {
                restore(gb.transport, saved);
                assertTrue(gb.irq.level, "the used-buffer interrupt still pending");
                Queue qb = gb.adopt(qa);
                List<Object> restored = goOn(gb, qb), original = goOn(ga, qa);
                assertEquals(original, restored);
                assertEquals(List.of(true, 1, new Used(w1, 1), "null", false, new Used(w2, 1), "null", 0),
                        restored.stream().map(o -> o == null ? "null" : o).toList());
                assertEquals(VirtioBlock.S_OK, gb.le(STATUS + 1, 1), "W2's status");
                assertArrayEquals(marker, sector(imgB, 5), "W1 was not done again");
                assertArrayEquals(d2, sector(imgB, 9), "W2 was done after the restore");
                writeSector(imgB, 9, marker);
                qb.kick();
                assertArrayEquals(marker, sector(imgB, 9), "and only once");
                assertNull(qb.take());
            }
        }
    }

    @Test
    void aBlockDeviceOnAnImageOfAnotherSizeOrModeIsRefused() throws Exception {
        Path img = dir.resolve("a.img"), smaller = dir.resolve("b.img"), same = dir.resolve("c.img");
        Files.write(img, new byte[64 * 512]);
        Files.write(smaller, new byte[63 * 512 + 100]);
        Files.write(same, new byte[64 * 512]);
        byte[] saved;
        try (VirtioBlock a = new VirtioBlock(img, false); VirtioGuest g = new VirtioGuest(a)) {
            g.init(VirtioBlockTest.LINUX, 0);
            saved = save(g.transport);
        }
        try (VirtioBlock b = new VirtioBlock(smaller, false); VirtioGuest g = new VirtioGuest(b)) {
            StateException e = assertThrows(StateException.class, () -> restore(g.transport, saved));
            assertEquals("disk image " + smaller + " is 32356 bytes; the snapshot was taken with " + img + " at 32768 bytes", e.getMessage());
        }
        try (VirtioBlock b = new VirtioBlock(same, true); VirtioGuest g = new VirtioGuest(b)) {
            assertThrows(StateException.class, () -> restore(g.transport, saved), "read-only now, read-write then");
        }
        try (VirtioBlock b = new VirtioBlock(same, false); VirtioGuest g = new VirtioGuest(b)) {
            restore(g.transport, saved); // another path, the same size: a copied image
            assertEquals(VirtioMmioTransport.ACKNOWLEDGE | VirtioMmioTransport.DRIVER | VirtioMmioTransport.FEATURES_OK
                    | VirtioMmioTransport.DRIVER_OK, g.r(0x070));
        }
    }

    @Test
    void rngBuffersMadeAvailableBeforeTheSaveAreFilledAfterIt() {
        try (VirtioGuest ga = new VirtioGuest(new VirtioRng())) {
            Queue qa = ga.init(VERSION_1, 0).get(0);
            int h1 = qa.add(Buf.out(VirtioGuest.DATA, 64));
            qa.kick();
            int h2 = qa.add(Buf.out(VirtioGuest.DATA + 0x1000, 5000));
            byte[] saved = save(ga.transport);
            try (VirtioGuest gb = new VirtioGuest(ga, new VirtioRng())) {
                restore(gb.transport, saved);
                Queue qb = gb.adopt(qa);
                List<Object> restored = goOn(gb, qb);
                assertEquals(goOn(ga, qa), restored);
                assertEquals(new Used(h1, 64), restored.get(2));
                assertEquals(new Used(h2, VirtioRng.MAX_PER_REQUEST), restored.get(5));
            }
        }
    }

    @Test
    void consoleOutputMadeAvailableBeforeTheSaveIsWrittenOnceAfterIt() throws Exception {
        ByteArrayOutputStream outA = new ByteArrayOutputStream(), outB = new ByteArrayOutputStream();
        VirtioConsole ca = new VirtioConsole(outA);
        try (VirtioGuest ga = new VirtioGuest(ca)) {
            List<Queue> qs = ga.init(VERSION_1, 0, 0);
            Queue rxA = qs.get(0), txA = qs.get(1);
            long tx = VirtioGuest.DATA + 0x10000;
            ga.put(tx, "before\n".getBytes(StandardCharsets.US_ASCII));
            txA.add(Buf.in(tx, 7));
            txA.kick();
            ga.put(tx + 0x100, "after\n".getBytes(StandardCharsets.US_ASCII));
            int h = txA.add(Buf.in(tx + 0x100, 6));
            int rxHead = rxA.add(Buf.out(VirtioGuest.DATA, 64));
            rxA.kick();
            byte[] saved = save(ga.transport);
            VirtioConsole cb = new VirtioConsole(outB);
            try (VirtioGuest gb = new VirtioGuest(ga, cb)) {
                restore(gb.transport, saved);
                Queue txB = gb.adopt(txA), rxB = gb.adopt(rxA);
                outA.reset();
                List<Object> restored = goOn(gb, txB);
                assertEquals(goOn(ga, txA), restored);
                assertEquals(new Used(h, 0), restored.get(5));
                assertEquals("after\n", outB.toString(StandardCharsets.US_ASCII));
                assertEquals(outA.toString(StandardCharsets.US_ASCII), outB.toString(StandardCharsets.US_ASCII));
                // the receive buffer made available before the save takes the restored host's input
                cb.receive("ls\n".getBytes(StandardCharsets.US_ASCII), 0, 3);
                ca.receive("ls\n".getBytes(StandardCharsets.US_ASCII), 0, 3);
                assertEquals(new Used(rxHead, 3), rxB.take());
                assertEquals(new Used(rxHead, 3), rxA.take());
                assertEquals("ls\n", new String(gb.get(VirtioGuest.DATA, 3), StandardCharsets.US_ASCII));
                assertEquals(ga.irq.level, gb.irq.level);
            }
        }
    }

    /**
     * A NIC's driver after the save: sees the interrupt, takes the frame received before the save, sends
     * the frame made available before it, then posts a buffer and takes a frame that arrives after.
     */
    static List<Object> goOnNet(VirtioGuest g, VirtioNet net, VirtioNetTest.Wire wire, Queue rx, Queue tx) {
        List<Object> seen = new ArrayList<>();
        seen.add(g.irq.level);
        seen.add(g.ackInterrupt());
        seen.add(rx.take());
        seen.add(Arrays.toString(g.get(RX, 12 + 100)));
        tx.kick();
        seen.add(tx.take());
        seen.add(wire.sent.stream().map(Arrays::toString).toList());
        int h = rx.add(Buf.out(RX + 0x1000, 2048));
        rx.kick();
        net.receive(VirtioNetTest.frame(300));
        seen.add(new Used(h, 12 + 14 + 300).equals(rx.take()));
        seen.add(Arrays.toString(g.get(RX + 0x1000, 12 + 14 + 300)));
        seen.add(g.irq.level);
        return seen;
    }

    static final long RX = VirtioGuest.DATA, TX = VirtioGuest.DATA + 0x20000;
    static final long NET_FEATURES = VERSION_1 | VirtioNet.F_MAC | VirtioNet.F_STATUS | VirtioNet.F_MTU;

    /** The driver posts a receive buffer at RX and notifies, and makes {@code out} available at TX without notifying: the two heads. */
    static int[] postBufferAndFrame(VirtioGuest g, Queue rx, Queue tx, byte[] out) {
        int h = rx.add(Buf.out(RX, 2048));
        rx.kick();
        g.put(TX + 0x100, out);
        return new int[] {h, tx.add(Buf.in(TX, 12), Buf.in(TX + 0x100, out.length))};
    }

    @Test
    void aNicGoesOnWithTheFrameReceivedAndTheOneMadeAvailableBeforeTheSave() {
        VirtioNetTest.Wire wireA = new VirtioNetTest.Wire(), wireB = new VirtioNetTest.Wire();
        VirtioNet a = new VirtioNet(wireA, VirtioNet.DEFAULT_MAC, 1500);
        try (VirtioGuest ga = new VirtioGuest(a)) {
            List<Queue> qs = ga.init(NET_FEATURES, 0, 0);
            Queue rxA = qs.get(0), txA = qs.get(1);
            byte[] out = VirtioNetTest.frame(60);
            int[] heads = postBufferAndFrame(ga, rxA, txA, out);
            int h1 = heads[0], ht = heads[1];
            a.receive(VirtioNetTest.frame(86)); // 100 bytes: used, its interrupt not yet seen
            byte[] saved = save(ga.transport);
            VirtioNet b = new VirtioNet(wireB, VirtioNet.DEFAULT_MAC, 1500);
            try (VirtioGuest gb = new VirtioGuest(ga, b)) {
                restore(gb.transport, saved);
                List<Object> restored = goOnNet(gb, b, wireB, gb.adopt(rxA), gb.adopt(txA));
                assertEquals(goOnNet(ga, a, wireA, rxA, txA), restored);
                assertEquals(new Used(h1, 12 + 100), restored.get(2));
                assertEquals(new Used(ht, 0), restored.get(4));
                assertEquals(List.of(Arrays.toString(out)), restored.get(5), "the frame sent once, after the restore");
                assertEquals(true, restored.get(6));
            }
        }
    }

    @Test
    void aNicWithAnotherAddressOrMtuIsRefusedAndFramesWaitingAtTheSaveAreNotKept() {
        VirtioNet a = new VirtioNet(new VirtioNetTest.Wire(), VirtioNet.DEFAULT_MAC, 1500);
        try (VirtioGuest ga = new VirtioGuest(a)) {
            Queue rx = ga.init(NET_FEATURES, 0, 0).get(0);
            a.receive(VirtioNetTest.frame(40)); // no receive buffer: it waits
            byte[] saved = save(ga.transport);
            for (VirtioNet other : List.of(new VirtioNet(new VirtioNetTest.Wire(), VirtioNet.DEFAULT_MAC + 1, 1500),
                    new VirtioNet(new VirtioNetTest.Wire(), VirtioNet.DEFAULT_MAC, 9000))) {
                try (VirtioGuest g = new VirtioGuest(ga, other)) {
                    assertThrows(StateException.class, () -> restore(g.transport, saved));
                }
            }
            restore(ga.transport, saved); // a loadvm into the same NIC: what waited was for the machine that went on
            assertEquals(0, a.stats().pending());
            rx.add(Buf.out(RX, 2048));
            rx.kick();
            assertNull(rx.take());
        }
    }

    @Test
    void aHeldTransportServesNothingUntilReleased() {
        VirtioNetTest.Wire wire = new VirtioNetTest.Wire();
        VirtioNet net = new VirtioNet(wire, VirtioNet.DEFAULT_MAC, 1500);
        try (VirtioGuest g = new VirtioGuest(net)) {
            List<Queue> qs = g.init(NET_FEATURES, 0, 0);
            Queue rx = qs.get(0);
            int h = postBufferAndFrame(g, rx, qs.get(1), VirtioNetTest.frame(60))[0]; // the frame to send is never notified
            g.transport.hold(); // a save in progress: guest RAM must stay as the save reads it
            byte[] before = g.get(VirtioGuest.RAM_BASE, (int) VirtioGuest.RAM_SIZE);
            byte[] state = save(g.transport);
            net.receive(VirtioNetTest.frame(100));
            assertArrayEquals(before, g.get(VirtioGuest.RAM_BASE, (int) VirtioGuest.RAM_SIZE), "no frame written into RAM");
            assertArrayEquals(state, save(g.transport), "no queue moved");
            assertFalse(g.irq.level);
            g.transport.release();
            assertEquals(new Used(h, 12 + 114), rx.take(), "the frame that waited, delivered at the release");
            assertTrue(g.irq.level);
            assertEquals(List.of(), wire.sent, "a queue nothing was put off for is left to the driver's notification");
        }
    }

    @Test
    void aSnapshotRestoredTwiceGivesTwoIndependentDevices() {
        try (VirtioGuest ga = new VirtioGuest(new VirtioRng())) {
            Queue qa = ga.init(VERSION_1, 0).get(0);
            qa.add(Buf.out(VirtioGuest.DATA, 16));
            byte[] saved = save(ga.transport);
            try (VirtioGuest g1 = new VirtioGuest(ga, new VirtioRng()); VirtioGuest g2 = new VirtioGuest(ga, new VirtioRng())) {
                restore(g1.transport, saved);
                restore(g2.transport, saved);
                Queue q1 = g1.adopt(qa);
                q1.kick();
                assertNotNull(q1.take());
                assertFalse(g2.irq.level, "the other restored device did nothing");
                assertArrayEquals(saved, save(g2.transport));
                Queue q2 = g2.adopt(qa);
                q2.kick();
                assertArrayEquals(save(g1.transport), save(g2.transport));
            }
        }
    }

    // ---- crafted states ----

    /** A virtio-rng transport's state written by hand; {@code queue} writes its one queue. */
    static byte[] rngState(int status, long features, int interruptStatus, Consumer<StateWriter> queue) {
        StateWriter w = new StateWriter().tag("virtio-mmio").putInt(VirtioDevice.ID_ENTROPY).putInt(1);
        w.putInt(0).putInt(0).putInt(0).putLong(features).putInt(status).putInt(interruptStatus).putInt(0).putString(null);
        queue.accept(w);
        return w.toByteArray();
    }

    static Consumer<StateWriter> queue(int size, long desc, boolean ready, int lastAvail) {
        return w -> w.tag("virtqueue").putInt(size).putLong(desc).putLong(desc + 0x1000).putLong(desc + 0x2000)
                .putBoolean(ready).putBoolean(false).putBoolean(false).putInt(lastAvail).putInt(lastAvail).putInt(lastAvail);
    }

    static void refused(byte[] state, String why) {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            assertThrows(StateException.class, () -> restore(g.transport, state), why);
        }
    }

    @Test
    void craftedStatesAreRefused() {
        int live = VirtioMmioTransport.ACKNOWLEDGE | VirtioMmioTransport.DRIVER | VirtioMmioTransport.FEATURES_OK
                | VirtioMmioTransport.DRIVER_OK;
        long base = VirtioGuest.RAM_BASE + 0x10_0000L;
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            restore(g.transport, rngState(live, VERSION_1, 1, queue(8, base, true, 7))); // the shape is right
            assertTrue(g.irq.level, "InterruptStatus 1 raises the line");
        }
        refused(rngState(live, VERSION_1, 0, queue(3, base, true, 0)), "a queue size of 3");
        refused(rngState(live, VERSION_1, 0, queue(65536, base, true, 0)), "a queue size of 65536");
        refused(rngState(live, VERSION_1, 0, queue(16, base, true, 0)), "beyond QueueNumMax (8)");
        refused(rngState(live, VERSION_1, 0, queue(3, base, false, 0)), "even in a queue not ready");
        refused(rngState(live, VERSION_1, 0, queue(0, base, true, 0)), "ready without a size");
        refused(rngState(live, VERSION_1, 0, queue(8, base + 8, true, 0)), "a descriptor table not 16-byte aligned");
        refused(rngState(live, VERSION_1, 0, queue(8, base, true, 0x10000)), "a 17-bit ring index");
        refused(rngState(live, VERSION_1, 0, queue(8, base, false, 1)), "ring indexes in a queue not ready");
        refused(rngState(live, VERSION_1 | 1L << 40, 0, queue(8, base, true, 0)), "FEATURES_OK with a feature not offered");
        refused(rngState(live, 0, 0, queue(8, base, true, 0)), "FEATURES_OK without VERSION_1");
        refused(rngState(0x100, 0, 0, queue(0, 0, false, 0)), "a status wider than 8 bits");
        refused(rngState(live, VERSION_1, 4, queue(8, base, true, 0)), "an interrupt status bit that does not exist");
        byte[] ok = rngState(live, VERSION_1, 0, queue(8, base, true, 0));
        for (int cut = 0; cut < ok.length; cut += 5) refused(Arrays.copyOf(ok, cut), "truncated at " + cut);
        byte[] badTag = ok.clone();
        badTag[4] ^= 1;
        refused(badTag, "a bad tag");
        try (VirtioGuest g = new VirtioGuest(new VirtioConsole(ByteArrayOutputStream.nullOutputStream()))) {
            assertThrows(StateException.class, () -> restore(g.transport, ok), "a virtio-rng's state into a console");
        }
    }
}
