package org.jvisor.vmm.virtio;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.jvisor.vmm.virtio.VirtioGuest.Buf;
import org.jvisor.vmm.virtio.VirtioGuest.Queue;
import org.jvisor.vmm.virtio.VirtioGuest.Used;

/**
 * A hostile guest against the transport and its virtqueues. What the spec lets a device do with a queue
 * it cannot trust: set DEVICE_NEEDS_RESET and send a configuration change notification (2.1.2), then
 * serve nothing until the driver resets it. Never an exception out of the transport.
 */
class VirtqueueHostileTest {
    static final long VERSION_1 = 1L << 32, INDIRECT_DESC = 1L << 28, EVENT_IDX = 1L << 29;
    static final int NEEDS_RESET = 0x40;
    static final int NEXT = 1, WRITE = 2, INDIRECT = 4;
    static final long DATA = VirtioGuest.DATA;

    static void assertNeedsReset(VirtioGuest g) {
        assertEquals(NEEDS_RESET, g.r(0x070) & NEEDS_RESET, "DEVICE_NEEDS_RESET");
        assertEquals(2, g.r(0x060) & 2, "configuration change notification");
        assertTrue(g.irq.level);
    }

    /** After DEVICE_NEEDS_RESET, the driver's reset brings back a device that works. */
    static void assertRecovers(VirtioGuest g) {
        g.w(0x070, 0);
        assertEquals(0, g.r(0x070));
        assertFalse(g.irq.level);
        Queue q = g.init(VERSION_1, 0).get(0);
        int head = q.add(Buf.out(DATA, 8));
        q.kick();
        assertEquals(new Used(head, 8), q.take());
    }

    /** The transport turns a device's unexpected exception into DEVICE_NEEDS_RESET; none may happen. */
    static void assertNoDeviceBug(VirtioGuest g) {
        String e = g.transport.lastError();
        assertFalse(e != null && e.startsWith("device error"), e);
    }

    @Test
    void descriptorLoopOnItself() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            q.writeDesc(q.desc, 0, DATA, 8, NEXT | WRITE, 0);
            q.publish(0);
            q.kick();
            assertNeedsReset(g);
            assertNull(q.take());
            assertRecovers(g);
        }
    }

    @Test
    void descriptorLoopThroughTheWholeTable() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            for (int i = 0; i < q.size; i++) q.writeDesc(q.desc, i, DATA, 8, NEXT | WRITE, (i + 1) % q.size);
            q.publish(3);
            q.kick();
            assertNeedsReset(g);
            // notifications are ignored until the reset
            q.kick();
            assertNull(q.take());
            assertRecovers(g);
        }
    }

    @Test
    void indexesOutOfRange() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            q.publish(q.size); // head past the table
            q.kick();
            assertNeedsReset(g);
            assertRecovers(g);
        }
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            q.writeDesc(q.desc, 0, DATA, 8, NEXT | WRITE, 0xffff); // next past the table
            q.publish(0);
            q.kick();
            assertNeedsReset(g);
        }
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            g.put(q.avail + 2, 2, q.size + 1); // more buffers than the ring holds
            q.kick();
            assertNeedsReset(g);
        }
    }

    @Test
    void ringsOutsideRam() {
        long[][] layouts = {{0x1000, VirtioGuest.RAM_BASE + 0x1000, VirtioGuest.RAM_BASE + 0x2000},
                {VirtioGuest.RAM_BASE, 0x0900_0000L, VirtioGuest.RAM_BASE + 0x2000},
                {VirtioGuest.RAM_BASE, VirtioGuest.RAM_BASE + 0x1000, 0xffff_ffff_ffff_f000L},
                {VirtioGuest.RAM_BASE + VirtioGuest.RAM_SIZE - 0x40, VirtioGuest.RAM_BASE + 0x1000, VirtioGuest.RAM_BASE + 0x2000}};
        for (long[] l : layouts) {
            try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
                g.negotiate(VERSION_1);
                g.w(0x030, 0);
                g.w(0x038, 8);
                g.w(0x080, (int) l[0]);
                g.w(0x084, (int) (l[0] >>> 32));
                g.w(0x090, (int) l[1]);
                g.w(0x094, (int) (l[1] >>> 32));
                g.w(0x0a0, (int) l[2]);
                g.w(0x0a4, (int) (l[2] >>> 32));
                g.w(0x044, 1);
                g.driverOk();
                // make one buffer available where the driver ring is RAM
                if (l[1] == VirtioGuest.RAM_BASE + 0x1000) {
                    g.put(l[1] + 4, 2, 7);
                    g.put(l[1] + 2, 2, 1);
                }
                g.w(0x050, 0);
                assertNeedsReset(g);
                assertNotNull(g.transport.lastError());
            }
        }
    }

    @Test
    void readableAfterWritable() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            q.add(Buf.out(DATA, 8), Buf.in(DATA, 8));
            q.kick();
            assertNeedsReset(g);
        }
    }

    @Test
    void badIndirectTables() {
        record Case(String name, boolean negotiate, int flags, long len, boolean nested, boolean loop) { }
        Case[] cases = {
                new Case("not negotiated", false, INDIRECT, 32, false, false),
                new Case("length not a multiple of 16", true, INDIRECT, 24, false, false),
                new Case("empty", true, INDIRECT, 0, false, false),
                new Case("with NEXT", true, INDIRECT | NEXT, 32, false, false),
                new Case("huge", true, INDIRECT, 0xffff_fff0L, false, false),
                new Case("nested", true, INDIRECT, 32, true, false),
                new Case("loop inside", true, INDIRECT, 32, false, true),
        };
        for (Case c : cases) {
            try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
                Queue q = g.init(c.negotiate ? VERSION_1 | INDIRECT_DESC : VERSION_1, 0).get(0);
                long table = DATA + 0x1000;
                q.writeDesc(table, 0, c.nested ? table : DATA, 16, c.nested ? INDIRECT : WRITE | NEXT, 1);
                q.writeDesc(table, 1, DATA, 16, WRITE | (c.loop ? NEXT : 0), 0);
                q.writeDesc(q.desc, 0, table, c.len, c.flags, 1);
                q.publish(0);
                q.kick();
                assertNeedsReset(g);
                assertNull(q.take(), c.name);
            }
        }
    }

    @Test
    void indirectTableOutsideRam() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1 | INDIRECT_DESC, 0).get(0);
            q.writeDesc(q.desc, 0, 0x2000, 32, INDIRECT, 0);
            q.publish(0);
            q.kick();
            assertNeedsReset(g);
        }
    }

    @Test
    void randomRegisterTraffic() {
        Random r = new Random(42);
        int[] sizes = {1, 2, 4, 8};
        int[] regs = {0x014, 0x020, 0x024, 0x030, 0x038, 0x044, 0x050, 0x064, 0x070, 0x080, 0x084, 0x090,
                0x094, 0x0a0, 0x0a4, 0x0ac, 0x0c0, 0x0fc, 0x100, 0x104};
        for (VirtioDevice d : new VirtioDevice[]{new VirtioRng(), new VirtioConsole(java.io.OutputStream.nullOutputStream())}) {
            try (VirtioGuest g = new VirtioGuest(d)) {
                for (int i = 0; i < 20000; i++) {
                    long off = r.nextInt(4) == 0 ? r.nextInt(0x200) : regs[r.nextInt(regs.length)];
                    int size = r.nextInt(5) == 0 ? sizes[r.nextInt(4)] : 4;
                    long value = switch (r.nextInt(4)) {
                        case 0 -> r.nextLong();
                        case 1 -> r.nextInt(16);
                        case 2 -> VirtioGuest.RAM_BASE + r.nextInt((int) VirtioGuest.RAM_SIZE);
                        default -> 1L << r.nextInt(32);
                    };
                    if (r.nextBoolean()) g.transport.write(off, size, value);
                    else g.transport.read(off, size);
                    if (r.nextInt(50) == 0) { // garbage in RAM where rings may point
                        byte[] junk = new byte[256];
                        r.nextBytes(junk);
                        g.put(VirtioGuest.RAM_BASE + r.nextInt((int) VirtioGuest.RAM_SIZE - 256), junk);
                    }
                    assertNoDeviceBug(g);
                }
            }
        }
    }

    @Test
    void randomRingContents() throws Exception {
        Random r = new Random(7);
        java.nio.file.Path img = java.nio.file.Files.createTempFile("jvisor-fuzz", ".img");
        try {
            java.nio.file.Files.write(img, new byte[64 * 512]);
            byte[] before = java.nio.file.Files.readAllBytes(img);
            for (int round = 0; round < 200; round++) {
                VirtioDevice d = switch (round % 3) {
                    case 0 -> new VirtioBlock(img, true);
                    case 1 -> new VirtioConsole(java.io.OutputStream.nullOutputStream());
                    default -> new VirtioRng();
                };
                try (VirtioGuest g = new VirtioGuest(d)) {
                    java.util.List<Queue> qs = g.init(VERSION_1 | INDIRECT_DESC | (r.nextBoolean() ? EVENT_IDX : 0),
                            d.queueCount() == 2 ? new int[]{0, 0} : new int[]{0});
                    for (Queue q : qs) {
                        for (int i = 0; i < q.size; i++) {
                            long addr = switch (r.nextInt(4)) {
                                case 0 -> r.nextLong();
                                case 1 -> DATA + r.nextInt(0x10000);
                                case 2 -> DATA + 0x1000 * r.nextInt(16); // small indirect tables, more garbage
                                default -> VirtioGuest.RAM_BASE + VirtioGuest.RAM_SIZE - r.nextInt(64);
                            };
                            long len = r.nextBoolean() ? r.nextInt(4096) : r.nextLong() & 0xffff_ffffL;
                            q.writeDesc(q.desc, i, addr, len, r.nextInt(8), r.nextInt(q.size + 2));
                        }
                        byte[] junk = new byte[0x4000];
                        r.nextBytes(junk);
                        g.put(DATA, junk);
                        int n = 1 + r.nextInt(4);
                        for (int k = 0; k < n; k++) q.publish(r.nextInt(q.size + 1));
                        q.kick();
                        q.kick();
                    }
                    if (d instanceof VirtioConsole c) c.receive(new byte[100], 0, 100);
                    assertNoDeviceBug(g);
                } finally {
                    if (d instanceof VirtioBlock b) b.close();
                }
            }
            assertArrayEquals(before, java.nio.file.Files.readAllBytes(img));
        } finally {
            java.nio.file.Files.delete(img);
        }
    }

    @Test
    void concurrentNotifiersAndRegisterTraffic() throws Exception {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            Thread[] ts = new Thread[4];
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            for (int t = 0; t < ts.length; t++) {
                int id = t;
                ts[t] = Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 2000; i++) {
                            g.transport.write(0x050, 4, 0);
                            g.transport.read(0x060, 4);
                            g.transport.read(0x100 + (id * 4), 4);
                            g.transport.write(0x064, 4, 1);
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
            }
            for (int i = 0; i < 100; i++) {
                synchronized (g.transport.device()) { // the driver's own lock around the ring
                    q.add(Buf.out(DATA + 64L * (i % 8), 64));
                }
                q.kick();
            }
            for (Thread t : ts) t.join();
            assertNull(failure.get());
            int used = 0;
            while (q.take() != null) used++;
            assertEquals(100, used);
            assertEquals(0, g.r(0x070) & NEEDS_RESET);
        }
    }
}
