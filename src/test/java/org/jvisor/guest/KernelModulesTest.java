package org.jvisor.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KernelModulesTest {
    private static Map<String, KernelModules.ModInfo> debianLike() throws Exception {
        Map<String, KernelModules.ModInfo> all = new HashMap<>();
        for (var e : TestDebs.kernelFiles().entrySet()) {
            if (!KernelModules.isModule(e.getKey())) continue;
            byte[] ko = e.getKey().endsWith(".xz")
                    ? new org.tukaani.xz.XZInputStream(new java.io.ByteArrayInputStream(e.getValue())).readAllBytes() : e.getValue();
            KernelModules.ModInfo m = KernelModules.modinfo(ko);
            all.put(m.name(), m);
        }
        return all;
    }

    @Test
    void readsModinfoFromTheElfSection() {
        KernelModules.ModInfo m = KernelModules.modinfo(TestDebs.module(
                "softdep=pre: crypto-crc32c post: foo", "alias=fs-ext4", "alias=ext3", "depends=jbd2,mbcache,crc16", "name=ext4"));
        assertEquals("ext4", m.name());
        assertEquals(List.of("jbd2", "mbcache", "crc16"), m.depends());
        assertEquals(List.of("crypto-crc32c"), m.softPre(), "post: dependencies are not loaded before");
        assertEquals(List.of("fs-ext4", "ext3"), m.aliases());
        assertEquals(List.of(), KernelModules.modinfo(TestDebs.module("depends=", "name=crc16")).depends());
    }

    @Test
    void malformedElfIsRefusedNotCrashed() {
        byte[] ko = TestDebs.module("depends=", "name=x");
        byte[] truncated = java.util.Arrays.copyOf(ko, ko.length - 10);
        assertThrows(IllegalArgumentException.class, () -> KernelModules.modinfo(truncated));
        assertThrows(IllegalArgumentException.class, () -> KernelModules.modinfo("not elf".getBytes(StandardCharsets.UTF_8)));
        byte[] bad = ko.clone();
        bad[0x28] = (byte) 0xff;  // section headers far outside the file
        bad[0x2f] = 0x7f;
        assertThrows(IllegalArgumentException.class, () -> KernelModules.modinfo(bad));
        assertThrows(IllegalArgumentException.class, () -> KernelModules.modinfo(TestDebs.module("depends=")), "no name=");
    }

    @Test
    void namesComeFromFileNamesWithDashesAsUnderscores() {
        assertEquals("virtio_rng", KernelModules.nameOf("kernel/drivers/char/hw_random/virtio-rng.ko"));
        assertEquals("mbcache", KernelModules.nameOf("kernel/fs/mbcache.ko.xz"));
        assertTrue(KernelModules.isModule("a/b.ko.zst"));
        assertTrue(!KernelModules.isModule("modules.order"));
    }

    @Test
    void loadOrderPutsHardAndSoftDependenciesFirst() throws Exception {
        // ext4 needs jbd2, mbcache, crc16 and, softly, whatever provides "crypto-crc32c" (crc32c_generic)
        assertEquals(List.of("crc32c_generic", "jbd2", "mbcache", "crc16", "ext4"), KernelModules.loadOrder(List.of("ext4"), debianLike()));
        assertEquals(List.of("virtio_mmio", "virtio_rng", "fat", "vfat"),
                KernelModules.loadOrder(List.of("virtio_mmio", "virtio-rng", "vfat", "fat"), debianLike()), "each module once");
    }

    @Test
    void aMissingHardDependencyIsAnErrorAMissingSoftOneIsNot() {
        Map<String, KernelModules.ModInfo> m = new HashMap<>();
        m.put("a", new KernelModules.ModInfo("a", List.of("b"), List.of(), List.of()));
        m.put("c", new KernelModules.ModInfo("c", List.of(), List.of("crypto-builtin"), List.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelModules.loadOrder(List.of("a"), m));
        assertTrue(e.getMessage().contains("b (needed by a)"), e.getMessage());
        assertEquals(List.of("c"), KernelModules.loadOrder(List.of("c"), m));
        m.put("b", new KernelModules.ModInfo("b", List.of("a"), List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> KernelModules.loadOrder(List.of("a"), m), "a cycle");
    }

    @Test
    void rootModulesFollowTheKernelConfig() {
        Map<String, String> debian = DebianKernel.parseConfig(TestDebs.CONFIG);
        assertEquals("ascii", debian.get("CONFIG_FAT_DEFAULT_IOCHARSET"), "quotes stripped");
        assertEquals(List.of("virtio_mmio", "virtio_blk", "virtio_console", "virtio_rng", "virtio_net", "ext4"), DebianKernel.rootModules(debian));

        Map<String, String> builtIn = new HashMap<>(debian);
        builtIn.put("CONFIG_VIRTIO_MMIO", "y");
        builtIn.put("CONFIG_VFAT_FS", "y");
        assertEquals(List.of("virtio_blk", "virtio_console", "virtio_rng", "virtio_net"), DebianKernel.rootModules(builtIn),
                "built-in drivers need nothing, and a built-in file system is preferred to a modular one");

        Map<String, String> vfatOnly = new HashMap<>(debian);
        vfatOnly.remove("CONFIG_EXT4_FS");
        assertEquals(List.of("virtio_mmio", "virtio_blk", "virtio_console", "virtio_rng", "virtio_net", "vfat", "nls_cp437", "nls_ascii"),
                DebianKernel.rootModules(vfatOnly), "vfat loads its code page and character set at mount");

        Map<String, String> noBlk = new HashMap<>(debian);
        noBlk.remove("CONFIG_VIRTIO_BLK");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DebianKernel.rootModules(noBlk));
        assertTrue(e.getMessage().contains("CONFIG_VIRTIO_BLK"), e.getMessage());
    }
}
