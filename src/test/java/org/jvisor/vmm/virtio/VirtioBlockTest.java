package org.jvisor.vmm.virtio;

import static org.junit.jupiter.api.Assertions.*;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.vmm.virtio.VirtioGuest.Buf;
import org.jvisor.vmm.virtio.VirtioGuest.Queue;
import org.jvisor.vmm.virtio.VirtioGuest.Used;

/** virtio-blk (virtio 1.2 section 5.2) played the way Linux's virtio_blk lays out requests. */
class VirtioBlockTest {
    static final long VERSION_1 = 1L << 32, INDIRECT_DESC = 1L << 28, EVENT_IDX = 1L << 29;
    static final long SEG_MAX = 1 << 2, RO = 1 << 5, BLK_SIZE = 1 << 6, FLUSH = 1 << 9;
    /** What Linux 6.1's virtio_blk asks for among what jvisor offers (and more it does not get). */
    static final long LINUX = VERSION_1 | INDIRECT_DESC | EVENT_IDX | SEG_MAX | RO | BLK_SIZE | FLUSH
            | 1 << 1 | 1 << 4 | 1 << 10 | 1 << 11 | 1 << 12 | 1 << 13 | 1 << 14;
    static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8;
    static final int S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
    static final long HDR = VirtioGuest.DATA, STATUS = VirtioGuest.DATA + 0x100, BUF = VirtioGuest.DATA + 0x1000;

    @TempDir
    Path dir;

    Path image(int sectors, long seed) throws Exception {
        Path p = dir.resolve("disk" + seed + ".img");
        byte[] b = new byte[sectors * 512];
        new Random(seed).nextBytes(b);
        Files.write(p, b);
        return p;
    }

    static byte[] fileBytes(Path p, long off, int n) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            byte[] b = new byte[n];
            f.seek(off);
            f.readFully(b);
            return b;
        }
    }

    void header(VirtioGuest g, int type, long sector) {
        g.put(HDR, 4, type);
        g.put(HDR + 4, 4, 0);
        g.put(HDR + 8, 8, sector);
        g.put(STATUS, 1, 0xff);
    }

    int status(VirtioGuest g) { return (int) g.le(STATUS, 1); }

    @Test
    void negotiatesWhatLinuxAsksFor() throws Exception {
        try (VirtioBlock blk = new VirtioBlock(image(8, 1), false); VirtioGuest g = new VirtioGuest(blk)) {
            assertEquals(2, g.r(0x008));
            g.init(LINUX, 0);
            assertEquals(VERSION_1 | INDIRECT_DESC | EVENT_IDX | SEG_MAX | BLK_SIZE | FLUSH, g.transport.driverFeatures());
            g.w(0x030, 0);
            assertEquals(256, g.r(0x034));
        }
    }

    @Test
    void readWriteRoundTripsAgainstTheImageFile() throws Exception {
        Path img = image(64, 2);
        try (VirtioBlock blk = new VirtioBlock(img, false); VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 0).get(0);
            // read sectors 3..4 (1 KiB)
            header(g, T_IN, 3);
            int head = q.add(Buf.in(HDR, 16), Buf.out(BUF, 1024), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(new Used(head, 1025), q.take());
            assertEquals(S_OK, status(g));
            assertArrayEquals(fileBytes(img, 3 * 512, 1024), g.get(BUF, 1024));
            // write sector 10 from two segments
            byte[] data = new byte[512];
            new Random(7).nextBytes(data);
            g.put(BUF, Arrays.copyOfRange(data, 0, 200));
            g.put(BUF + 0x2000, Arrays.copyOfRange(data, 200, 512));
            header(g, T_OUT, 10);
            head = q.add(Buf.in(HDR, 16), Buf.in(BUF, 200), Buf.in(BUF + 0x2000, 312), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(new Used(head, 1), q.take());
            assertEquals(S_OK, status(g));
            assertArrayEquals(data, fileBytes(img, 10 * 512, 512));
            // the header and the status may share descriptors with the data (no layout assumptions)
            g.put(HDR, 4, T_IN);
            g.put(HDR + 4, 4, 0);
            g.put(HDR + 8, 8, 10);
            head = q.add(Buf.in(HDR, 16), Buf.out(BUF + 0x4000, 513));
            q.kick();
            assertEquals(new Used(head, 513), q.take());
            assertArrayEquals(data, g.get(BUF + 0x4000, 512));
            assertEquals(S_OK, g.le(BUF + 0x4000 + 512, 1));
        }
    }

    @Test
    void dataWrittenIsThereOnTheNextBoot() throws Exception {
        Path img = image(16, 3);
        byte[] data = new byte[1024];
        new Random(9).nextBytes(data);
        try (VirtioBlock blk = new VirtioBlock(img, false); VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 0).get(0);
            g.put(BUF, data);
            header(g, T_OUT, 14);
            q.add(Buf.in(HDR, 16), Buf.in(BUF, 1024), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(S_OK, status(g));
            header(g, T_FLUSH, 0);
            q.add(Buf.in(HDR, 16), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(S_OK, status(g));
        }
        try (VirtioBlock blk = new VirtioBlock(img, false); VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 0).get(0);
            header(g, T_IN, 14);
            q.add(Buf.in(HDR, 16), Buf.out(BUF, 1024), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(S_OK, status(g));
            assertArrayEquals(data, g.get(BUF, 1024));
        }
    }

    @Test
    void getIdReturnsTheSerial() throws Exception {
        try (VirtioBlock blk = new VirtioBlock(image(8, 4), false, "jvisor-disk0"); VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 0).get(0);
            g.put(BUF, new byte[20]);
            header(g, T_GET_ID, 0);
            int head = q.add(Buf.in(HDR, 16), Buf.out(BUF, 20), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(new Used(head, 21), q.take());
            assertEquals(S_OK, status(g));
            assertArrayEquals(Arrays.copyOf("jvisor-disk0".getBytes(), 20), g.get(BUF, 20));
        }
    }

    @Test
    void requestsPastTheEndOrOfPartialSectorsFail() throws Exception {
        Path img = image(8, 5);
        byte[] before = Files.readAllBytes(img);
        try (VirtioBlock blk = new VirtioBlock(img, false); VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 0).get(0);
            long[][] cases = {{T_IN, 8, 512}, {T_IN, 7, 1024}, {T_OUT, 7, 1024}, {T_IN, -1, 512},
                    {T_IN, Long.MAX_VALUE / 256, 512}, {T_IN, 0, 100}, {T_OUT, 0, 513}};
            for (long[] c : cases) {
                header(g, (int) c[0], c[1]);
                Buf data = c[0] == T_IN ? Buf.out(BUF, c[2]) : Buf.in(BUF, c[2]);
                q.add(Buf.in(HDR, 16), data, Buf.out(STATUS, 1));
                q.kick();
                assertNotNull(q.take());
                assertEquals(S_IOERR, status(g), Arrays.toString(c));
            }
            // the last sector itself is fine
            header(g, T_IN, 7);
            q.add(Buf.in(HDR, 16), Buf.out(BUF, 512), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(S_OK, status(g));
            // an unknown type
            header(g, 0x1234, 0);
            q.add(Buf.in(HDR, 16), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(S_UNSUPP, status(g));
        }
        assertArrayEquals(before, Files.readAllBytes(img));
    }

    @Test
    void readOnlyDiskOffersRoAndRefusesWrites() throws Exception {
        Path img = image(8, 6);
        byte[] before = Files.readAllBytes(img);
        try (VirtioBlock blk = new VirtioBlock(img, true); VirtioGuest g = new VirtioGuest(blk)) {
            assertNotEquals(0, g.deviceFeatures() & RO);
            Queue q = g.init(LINUX, 0).get(0);
            assertNotEquals(0, g.transport.driverFeatures() & RO);
            g.put(BUF, new byte[512]);
            header(g, T_OUT, 0);
            q.add(Buf.in(HDR, 16), Buf.in(BUF, 512), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(S_IOERR, status(g));
            header(g, T_IN, 0);
            q.add(Buf.in(HDR, 16), Buf.out(BUF, 512), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(S_OK, status(g));
            assertArrayEquals(Arrays.copyOf(before, 512), g.get(BUF, 512));
        }
        assertArrayEquals(before, Files.readAllBytes(img));
    }

    @Test
    void indirectDescriptors() throws Exception {
        Path img = image(8, 8);
        try (VirtioBlock blk = new VirtioBlock(img, false); VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 0).get(0);
            header(g, T_IN, 1);
            long table = VirtioGuest.DATA + 0x10000;
            int head = q.addIndirect(table, Buf.in(HDR, 16), Buf.out(BUF, 512), Buf.out(BUF + 0x1000, 512), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(new Used(head, 1025), q.take());
            assertEquals(S_OK, status(g));
            assertArrayEquals(fileBytes(img, 512, 512), g.get(BUF, 512));
            assertArrayEquals(fileBytes(img, 1024, 512), g.get(BUF + 0x1000, 512));
        }
    }

    @Test
    void manyRequestsWrapTheRings() throws Exception {
        Path img = image(64, 10);
        try (VirtioBlock blk = new VirtioBlock(img, false); VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 8).get(0);
            for (int i = 0; i < 40; i++) {
                header(g, T_IN, i % 64);
                q.add(Buf.in(HDR, 16), Buf.out(BUF, 512), Buf.out(STATUS, 1));
                q.kick();
                assertNotNull(q.take());
                assertEquals(S_OK, status(g));
                assertArrayEquals(fileBytes(img, (i % 64) * 512L, 512), g.get(BUF, 512));
            }
        }
    }

    @Test
    void aBatchOfRequestsWithOneKickAndOneInterrupt() throws Exception {
        Path img = image(64, 17);
        try (VirtioBlock blk = new VirtioBlock(img, false); VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 0).get(0);
            int[] heads = new int[10];
            for (int i = 0; i < 10; i++) {
                long h = HDR + 0x20L * i;
                g.put(h, 4, T_IN);
                g.put(h + 8, 8, 2 * i);
                heads[i] = q.add(Buf.in(h, 16), Buf.out(BUF + 0x400L * i, 512), Buf.out(STATUS + i, 1));
            }
            q.setUsedEvent(9); // Linux's virtqueue_enable_cb_delayed-style: wake me after the 10th
            q.kick();
            assertEquals(1, g.irq.raises);
            for (int i = 0; i < 10; i++) {
                assertEquals(new Used(heads[i], 513), q.take());
                assertEquals(S_OK, g.le(STATUS + i, 1));
                assertArrayEquals(fileBytes(img, 2L * i * 512, 512), g.get(BUF + 0x400L * i, 512));
            }
        }
    }

    @Test
    void badDataAddressesFailTheRequestWithIoerr() throws Exception {
        Path img = image(8, 11);
        byte[] before = Files.readAllBytes(img);
        try (VirtioBlock blk = new VirtioBlock(img, false); VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 0).get(0);
            long[] bad = {0, VirtioGuest.RAM_BASE + VirtioGuest.RAM_SIZE - 256, -512, 0x0A00_0000L};
            for (long a : bad) {
                header(g, T_IN, 0);
                q.add(Buf.in(HDR, 16), Buf.out(a, 512), Buf.out(STATUS, 1));
                q.kick();
                assertNotNull(q.take());
                assertEquals(S_IOERR, status(g));
                header(g, T_OUT, 0);
                q.add(Buf.in(HDR, 16), Buf.in(a, 512), Buf.out(STATUS, 1));
                q.kick();
                assertNotNull(q.take());
                assertEquals(S_IOERR, status(g));
            }
            // a header outside RAM
            g.put(STATUS, 1, 0xff);
            q.add(Buf.in(0x1000, 16), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(S_IOERR, status(g));
            assertEquals(0, g.r(0x070) & 0x40);
        }
        assertArrayEquals(before, Files.readAllBytes(img));
    }

    @Test
    void hugeLengthsAreRefusedWithoutAllocating() throws Exception {
        Path img = image(8, 12);
        try (VirtioBlock blk = new VirtioBlock(img, false); VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 0).get(0);
            header(g, T_IN, 0);
            q.add(Buf.in(HDR, 16), Buf.out(BUF, 0xffff_f000L), Buf.out(BUF, 0xffff_f000L), Buf.out(STATUS, 1));
            q.kick();
            assertNotNull(q.take());
            assertEquals(S_IOERR, status(g));
            // a GET_ID with a 4 GiB buffer writes 20 bytes
            header(g, T_GET_ID, 0);
            int head = q.add(Buf.in(HDR, 16), Buf.out(BUF, 0xffff_ffffL), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(head, q.take().id());
            assertEquals(0, g.r(0x070) & 0x40);
        }
    }

    @Test
    void requestsWithoutHeaderOrStatusNeedAReset() throws Exception {
        try (VirtioBlock blk = new VirtioBlock(image(8, 13), false); VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 0).get(0);
            q.add(Buf.in(HDR, 8), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(0x40, g.r(0x070) & 0x40);
            assertEquals(2, g.r(0x060) & 2, "config-change interrupt announces DEVICE_NEEDS_RESET");
            assertTrue(g.irq.level);
        }
        try (VirtioBlock blk = new VirtioBlock(image(8, 14), false); VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 0).get(0);
            header(g, T_IN, 0);
            q.add(Buf.in(HDR, 16), Buf.out(BUF, 512), Buf.out(0x10, 1)); // status byte outside RAM
            q.kick();
            assertEquals(0x40, g.r(0x070) & 0x40);
        }
    }

    @Test
    void closeFlushesAndLaterRequestsFail() throws Exception {
        Path img = image(8, 15);
        VirtioBlock blk = new VirtioBlock(img, false);
        try (VirtioGuest g = new VirtioGuest(blk)) {
            Queue q = g.init(LINUX, 0).get(0);
            blk.close();
            header(g, T_IN, 0);
            q.add(Buf.in(HDR, 16), Buf.out(BUF, 512), Buf.out(STATUS, 1));
            q.kick();
            assertEquals(S_IOERR, status(g));
        }
        blk.close(); // idempotent
        // the lock is released: the image opens again
        new VirtioBlock(img, false).close();
    }

    @Test
    void anImageInUseIsRefused() throws Exception {
        Path img = image(8, 16);
        try (VirtioBlock blk = new VirtioBlock(img, false)) {
            assertThrows(Exception.class, () -> new VirtioBlock(img, false));
        }
    }
}
