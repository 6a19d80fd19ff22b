package org.jvisor.vmm.virtio;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.jvisor.vmm.virtio.VirtioGuest.Buf;
import org.jvisor.vmm.virtio.VirtioGuest.Queue;
import org.jvisor.vmm.virtio.VirtioGuest.Used;

/** The MMIO transport against virtio 1.2 section 4.2.2 and the sequence Linux's virtio_mmio.c performs. */
class VirtioMmioTransportTest {
    static final long VERSION_1 = 1L << 32, INDIRECT_DESC = 1L << 28, EVENT_IDX = 1L << 29;
    static final int ACK = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8, NEEDS_RESET = 0x40;

    @Test
    void identificationRegisters() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            assertEquals(0x74726976, g.r(0x000));
            assertEquals(2, g.r(0x004));
            assertEquals(4, g.r(0x008)); // entropy
            assertEquals(0x554D4551, g.r(0x00c));
            assertEquals(0, g.r(0x070));
            // no shared memory region: length (u64)-1 (4.2.2), as virtio_mmio's vm_get_shm_region tests
            assertEquals(-1, g.r(0x0b0));
            assertEquals(-1, g.r(0x0b4));
        }
        try (VirtioGuest g = new VirtioGuest(new VirtioConsole(java.io.OutputStream.nullOutputStream()))) {
            assertEquals(3, g.r(0x008));
        }
    }

    @Test
    void linuxInitSequence() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            long f = g.deviceFeatures();
            assertNotEquals(0, f & VERSION_1);
            int st = g.negotiate(VERSION_1 | INDIRECT_DESC | EVENT_IDX);
            assertEquals(ACK | DRIVER | FEATURES_OK, st);
            assertEquals(VERSION_1 | INDIRECT_DESC | EVENT_IDX, g.transport.driverFeatures());
            g.w(0x030, 0);
            assertEquals(0, g.r(0x044));
            assertEquals(8, g.r(0x034));
            Queue q = g.setupQueue(0, 0, VirtioGuest.RAM_BASE + 0x10_0000);
            assertEquals(1, g.r(0x044));
            g.driverOk();
            assertEquals(ACK | DRIVER | FEATURES_OK | DRIVER_OK, g.r(0x070));
            assertTrue(g.transport.isLive());
            // a queue that does not exist has QueueNumMax 0 (vm_setup_vq gives up with -ENOENT)
            g.w(0x030, 1);
            assertEquals(0, g.r(0x034));
            assertEquals(0, g.r(0x044));
            // vm_del_vq: QueueReady = 0 reads back 0
            g.w(0x030, 0);
            g.w(0x044, 0);
            assertEquals(0, g.r(0x044));
            assertNotNull(q);
        }
    }

    @Test
    void featuresOkRefusedWithoutVersion1OrWithUnofferedBits() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            assertEquals(ACK | DRIVER, g.negotiate(INDIRECT_DESC)); // a legacy driver on a modern device
            g.w(0x070, 0);
            g.w(0x070, ACK);
            g.w(0x070, ACK | DRIVER);
            assertEquals(ACK | DRIVER, g.writeFeatures(VERSION_1 | 1L << 5)); // bit 5 not offered by rng
            g.w(0x070, 0);
            g.w(0x070, ACK);
            g.w(0x070, ACK | DRIVER);
            assertEquals(ACK | DRIVER | FEATURES_OK, g.writeFeatures(VERSION_1));
            // features cannot change once accepted
            g.w(0x024, 0);
            g.w(0x020, 1 << 5);
            assertEquals(VERSION_1, g.transport.driverFeatures());
        }
    }

    @Test
    void usedBufferInterruptUpThenAckedDown() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            q.add(Buf.out(VirtioGuest.DATA, 16));
            assertFalse(g.irq.level);
            q.kick();
            assertTrue(g.irq.level);
            assertEquals(1, g.r(0x060));
            assertEquals(new Used(0, 16), q.take());
            assertEquals(1, g.ackInterrupt());
            assertFalse(g.irq.level);
            assertEquals(0, g.r(0x060));
        }
    }

    @Test
    void noInterruptFlagSuppressesTheInterrupt() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            q.setAvailFlags(1);
            q.add(Buf.out(VirtioGuest.DATA, 16));
            q.kick();
            assertFalse(g.irq.level);
            assertNotNull(q.take()); // served all the same
        }
    }

    @Test
    void eventIdxUsedEventAndAvailEvent() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1 | EVENT_IDX, 0).get(0);
            // the driver wants an interrupt only once used idx passes 1 (used_event = 1)
            q.setUsedEvent(1);
            q.add(Buf.out(VirtioGuest.DATA, 8));
            q.kick();
            assertFalse(g.irq.level, "used idx 1 does not pass used_event 1");
            assertEquals(1, q.availEvent(), "the device asks to be notified from avail index 1 on");
            q.add(Buf.out(VirtioGuest.DATA, 8));
            q.kick();
            assertTrue(g.irq.level);
            assertEquals(2, q.availEvent());
            assertNotNull(q.take());
            assertNotNull(q.take());
        }
    }

    @Test
    void resetClearsEverything() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            q.add(Buf.out(VirtioGuest.DATA, 8));
            q.kick();
            assertTrue(g.irq.level);
            g.w(0x070, 0);
            assertEquals(0, g.r(0x070));
            assertFalse(g.irq.level);
            assertEquals(0, g.r(0x060));
            g.w(0x030, 0);
            assertEquals(0, g.r(0x044));
            // and the device comes up again
            Queue q2 = g.init(VERSION_1, 0).get(0);
            q2.add(Buf.out(VirtioGuest.DATA, 8));
            q2.kick();
            assertEquals(new Used(0, 8), q2.take());
        }
    }

    @Test
    void boardResetIsAPowerOnReset() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            Queue q = g.init(VERSION_1, 0).get(0);
            q.add(Buf.out(VirtioGuest.DATA, 8));
            q.kick();
            assertTrue(g.irq.level);
            g.transport.reset();
            assertEquals(0, g.r(0x070));
            assertEquals(0, g.r(0x060));
            assertFalse(g.irq.level);
            g.w(0x030, 0);
            assertEquals(0, g.r(0x044));
        }
    }

    @Test
    void buffersMadeAvailableBeforeDriverOkAreServedAtDriverOk() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            assertEquals(ACK | DRIVER | FEATURES_OK, g.negotiate(VERSION_1));
            Queue q = g.setupQueue(0, 0, VirtioGuest.RAM_BASE + 0x10_0000);
            q.add(Buf.out(VirtioGuest.DATA, 8));
            q.kick();
            assertNull(q.take(), "the device must not use buffers before DRIVER_OK (3.1.1)");
            g.driverOk();
            assertEquals(new Used(0, 8), q.take());
        }
    }

    @Test
    void queueSizeMustBeAPowerOfTwoWithinQueueNumMax() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            g.negotiate(VERSION_1);
            for (int bad : new int[]{0, 3, 6, 16, 0x10000}) {
                g.w(0x030, 0);
                g.w(0x038, bad);
                g.w(0x080, (int) (VirtioGuest.RAM_BASE + 0x10_0000));
                g.w(0x044, 1);
                assertEquals(0, g.r(0x044), "size " + bad);
            }
            // misaligned descriptor table
            g.w(0x038, 8);
            g.w(0x080, (int) (VirtioGuest.RAM_BASE + 0x10_0008));
            g.w(0x044, 1);
            assertEquals(0, g.r(0x044));
            g.driverOk();
            g.w(0x050, 0); // notify a queue that is not ready: nothing
            assertEquals(0, g.r(0x060));
        }
    }

    @Test
    void notifyBeforeAnySetupAndOfMissingQueues() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            g.w(0x050, 0);
            g.w(0x050, 7);
            g.w(0x050, -1);
            g.w(0x070, DRIVER_OK);
            g.w(0x050, 0);
            assertEquals(0, g.r(0x060));
            assertFalse(g.irq.level);
        }
    }

    @Test
    void configSpaceAccessWidthsAndGeneration() throws Exception {
        java.nio.file.Path img = java.nio.file.Files.createTempFile("jvisor-cfg", ".img");
        try (var raf = new java.io.RandomAccessFile(img.toFile(), "rw")) {
            raf.setLength(0x12345L * 512 + 100); // a partial last sector does not count
        }
        try (VirtioBlock blk = new VirtioBlock(img, false); VirtioGuest g = new VirtioGuest(blk)) {
            int gen = g.r(0x0fc);
            // capacity, as Linux's vm_get reads a 64-bit field: two 32-bit reads
            long cap = Integer.toUnsignedLong(g.r(0x100)) | (long) g.r(0x104) << 32;
            assertEquals(0x12345, cap);
            assertEquals(0x45, g.transport.read(0x100, 1));
            assertEquals(0x2345, g.transport.read(0x100, 2));
            assertEquals(0x12345, g.transport.read(0x100, 8));
            assertEquals(254, g.r(0x10c)); // seg_max
            assertEquals(512, g.r(0x114)); // blk_size
            assertEquals(0, g.transport.read(0x1fc, 4)); // beyond the device's config: zero
            assertEquals(0, g.transport.read(0x1fe, 4)); // reaching past the window: zero, no exception
            assertEquals(gen, g.r(0x0fc));
            g.transport.write(0x100, 4, 0xdead); // capacity is read-only
            assertEquals(0x12345, g.transport.read(0x100, 8));
        } finally {
            java.nio.file.Files.delete(img);
        }
    }

    @Test
    void wrongSizedControlRegisterAccessesReadZeroAndAreIgnored() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            assertEquals(0, g.transport.read(0x000, 1));
            assertEquals(0, g.transport.read(0x000, 8));
            assertEquals(0, g.transport.read(0x002, 4));
            g.transport.write(0x070, 1, 1);
            g.transport.write(0x070, 8, 1);
            assertEquals(0, g.r(0x070));
        }
    }

    @Test
    void transportFeaturesOfferedAreExactlyWhatItImplements() {
        try (VirtioGuest g = new VirtioGuest(new VirtioRng())) {
            assertEquals(VERSION_1 | INDIRECT_DESC | EVENT_IDX, g.deviceFeatures());
            g.w(0x014, 2);
            assertEquals(0, g.r(0x010));
        }
    }
}
