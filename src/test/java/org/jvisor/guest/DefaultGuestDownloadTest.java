package org.jvisor.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsGuest;

/**
 * The real thing: Debian's packages through the host's apt into the user's cache, as {@code ./jvisor run}
 * gets them (about 60 MB the first time; later runs find the cache). Where apt-get or arm64 packages are
 * missing this fails with DefaultGuest's message: the suite needs them (.ci/deps sets them up).
 */
@NeedsGuest
class DefaultGuestDownloadTest {
    @Test
    void obtainsDebiansKernelAndBuildsItsInitramfs() throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);

        byte[] image = Files.readAllBytes(g.kernel());
        assertTrue(DebianKernel.hasImageMagic(image), "ARM\\x64 at 0x38");
        assertTrue(image.length > 10 << 20, "a whole kernel: " + image.length);
        assertTrue(g.kernelVersion().matches("\\d+\\.\\d+\\.\\d+-\\d+-arm64"), g.kernelVersion());

        Map<String, Newc.Entry> e = Newc.parse(Newc.gunzip(Files.readAllBytes(g.initrd())));
        ByteBuffer busybox = ByteBuffer.wrap(e.get("bin/busybox").data()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x464C457F, busybox.getInt(0), "busybox is an ELF file");
        assertEquals(183, busybox.getShort(18), "for AArch64");
        assertEquals(2, busybox.getShort(16), "statically linked executable (ET_EXEC)");
        assertEquals(0755, e.get("init").perm());

        String prefix = "/lib/modules/" + g.kernelVersion() + "/kernel/";
        String order = e.get("lib/modules/load-order").text();
        for (String m : new String[] {"drivers/virtio/virtio_mmio.ko", "drivers/block/virtio_blk.ko",
                "drivers/char/virtio_console.ko", "drivers/char/hw_random/virtio-rng.ko", "drivers/net/virtio_net.ko", "fs/ext4/ext4.ko"}) {
            assertTrue(order.contains(prefix + m + "\n"), m + " in " + order);
        }
        assertTrue(order.indexOf("fs/jbd2/jbd2.ko") < order.indexOf("fs/ext4/ext4.ko"), order);
        for (String line : order.split("\n")) {
            Newc.Entry ko = e.get(line.substring(1));
            assertTrue(ko != null && ko.type() == Newc.REG, line + " is in the initramfs");
            assertEquals(KernelModules.nameOf(line), KernelModules.modinfo(ko.data()).name());
        }
    }
}
