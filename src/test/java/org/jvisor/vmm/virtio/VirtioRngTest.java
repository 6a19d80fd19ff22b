package org.jvisor.vmm.virtio;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.jvisor.vmm.virtio.VirtioGuest.Buf;
import org.jvisor.vmm.virtio.VirtioGuest.Queue;
import org.jvisor.vmm.virtio.VirtioGuest.Used;

/** The entropy device (virtio 1.2 section 5.4). */
class VirtioRngTest {
    static final long VERSION_1 = 1L << 32;

    @Test
    void fillsBuffersWithRandomBytes() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            int head = q.add(Buf.out(VirtioGuest.DATA, 64));
            q.kick();
            assertEquals(new Used(head, 64), q.take());
            byte[] b = g.get(VirtioGuest.DATA, 64);
            int nonZero = 0;
            for (byte x : b) if (x != 0) nonZero++;
            assertTrue(nonZero > 32, "64 random bytes are not mostly zero");
            assertTrue(g.irq.level);
        }
    }

    @Test
    void aHugeBufferGetsAtMostTheCap() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            int head = q.add(Buf.out(VirtioGuest.DATA, 0xffff_ffffL));
            q.kick();
            assertEquals(new Used(head, VirtioRng.MAX_PER_REQUEST), q.take());
            // split over two descriptors
            head = q.add(Buf.out(VirtioGuest.DATA, 10), Buf.out(VirtioGuest.DATA + 0x100, 10));
            q.kick();
            assertEquals(new Used(head, 20), q.take());
        }
    }

    @Test
    void ringIndexesWrapAt65536() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1 | (1L << 29), 0).get(0);
            for (int i = 0; i < 70_000; i++) {
                int head = q.add(Buf.out(VirtioGuest.DATA, 1));
                q.kick();
                Used u = q.take();
                if (u == null || u.id() != head || u.len() != 1) fail("request " + i + ": " + u);
            }
            assertEquals(70_000 & 0xffff, q.usedIdx());
        }
    }

    @Test
    void aBufferOutsideRamIsReturnedEmpty() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            int head = q.add(Buf.out(0x1000, 64));
            q.kick();
            assertEquals(new Used(head, 0), q.take());
            assertEquals(0, g.r(0x070) & 0x40);
        }
    }
}
