package org.jvisor.guest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * Synthetic Debian packages laid out as deb(5) and dpkg-deb write them ("./"-prefixed tar paths, sorted,
 * directories first), with small stand-ins for a kernel: an Image header, a config and ELF modules carrying
 * a .modinfo section like the ones modpost writes.
 */
public final class TestDebs {
    static final String RELEASE = "6.1.0-99-arm64";
    static final String KERNEL_PKG = "linux-image-" + RELEASE + "-unsigned";
    static final String KERNEL_VERSION = "6.1.999-1";
    static final String BUSYBOX_VERSION = "1:1.35.0-4+b1";
    static final byte[] BUSYBOX = "\177ELF fake busybox\n".getBytes(StandardCharsets.UTF_8);

    /** A Debian-like arm64 config: virtio transport built in, the drivers and file systems as modules. */
    static final String CONFIG = """
            # Automatically generated file; DO NOT EDIT.
            CONFIG_VIRTIO=y
            CONFIG_VIRTIO_MMIO=m
            CONFIG_VIRTIO_BLK=m
            CONFIG_VIRTIO_CONSOLE=m
            CONFIG_HW_RANDOM=y
            CONFIG_HW_RANDOM_VIRTIO=m
            CONFIG_VIRTIO_NET=m
            CONFIG_EXT4_FS=m
            CONFIG_VFAT_FS=m
            CONFIG_FAT_DEFAULT_CODEPAGE=437
            CONFIG_FAT_DEFAULT_IOCHARSET="ascii"
            # CONFIG_EXT2_FS is not set
            """;

    private TestDebs() {}

    /** An arm64 Image header (booting.rst): branch, text_offset, image_size, flags, magic "ARM\x64" at 0x38. */
    static byte[] image() {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x14000010);           // b +0x40
        b.putLong(16, 4096);               // image_size
        b.putLong(24, 0xa);                // LE, 4K pages, anywhere
        b.putInt(0x38, 0x644d5241);
        for (int i = 64; i < 4096; i++) b.put(i, (byte) i);
        return b.array();
    }

    /** A relocatable ELF64 with a .modinfo section holding {@code keyValues} NUL-separated, like a .ko. */
    static byte[] module(String... keyValues) {
        ByteArrayOutputStream mi = new ByteArrayOutputStream();
        for (String kv : keyValues) mi.writeBytes((kv + "\0").getBytes(StandardCharsets.UTF_8));
        mi.writeBytes("vermagic=6.1.0-99-arm64 SMP mod_unload modversions aarch64\0".getBytes(StandardCharsets.UTF_8));
        byte[] modinfo = mi.toByteArray();
        byte[] shstrtab = "\0.modinfo\0.shstrtab\0".getBytes(StandardCharsets.UTF_8);
        int modinfoOff = 64, shstrOff = modinfoOff + modinfo.length;
        int shoff = (shstrOff + shstrtab.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(shoff + 3 * 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        b.putShort(16, (short) 1);         // ET_REL
        b.putShort(18, (short) 183);       // EM_AARCH64
        b.putInt(20, 1);
        b.putLong(0x28, shoff);
        b.putShort(0x34, (short) 64);
        b.putShort(0x3A, (short) 64);
        b.putShort(0x3C, (short) 3);
        b.putShort(0x3E, (short) 2);
        b.put(modinfoOff, modinfo);
        b.put(shstrOff, shstrtab);
        section(b, shoff + 64, 1, 1, modinfoOff, modinfo.length);
        section(b, shoff + 128, 10, 3, shstrOff, shstrtab.length);
        return b.array();
    }

    private static void section(ByteBuffer b, int at, int name, int type, long off, long size) {
        b.putInt(at, name);
        b.putInt(at + 4, type);
        b.putLong(at + 0x18, off);
        b.putLong(at + 0x20, size);
        b.putLong(at + 0x30, 1);
    }

    /** The kernel package's files: Image, config, and modules shaped like Debian 6.1's (one of them .ko.xz). */
    static Map<String, byte[]> kernelFiles() throws IOException {
        Map<String, byte[]> f = new LinkedHashMap<>();
        String m = "lib/modules/" + RELEASE + "/kernel/";
        f.put("boot/System.map-" + RELEASE, "ffff800008000000 T _text\n".getBytes(StandardCharsets.UTF_8));
        f.put("boot/config-" + RELEASE, CONFIG.getBytes(StandardCharsets.UTF_8));
        f.put("boot/vmlinuz-" + RELEASE, image());
        f.put(m + "crypto/crc32c_generic.ko", module("alias=crypto-crc32c", "alias=crc32c", "depends=", "name=crc32c_generic"));
        f.put(m + "drivers/block/virtio_blk.ko", module("alias=virtio:d00000002v*", "depends=", "name=virtio_blk"));
        f.put(m + "drivers/char/hw_random/virtio-rng.ko", module("alias=virtio:d00000004v*", "depends=", "name=virtio_rng"));
        f.put(m + "drivers/char/virtio_console.ko", module("depends=", "name=virtio_console"));
        f.put(m + "drivers/net/dummy.ko", module("depends=", "name=dummy"));
        f.put(m + "drivers/net/virtio_net.ko", module("alias=virtio:d00000001v*", "depends=net_failover", "name=virtio_net"));
        f.put(m + "drivers/net/net_failover.ko", module("depends=failover", "name=net_failover"));
        f.put(m + "net/core/failover.ko", module("depends=", "name=failover"));
        f.put(m + "drivers/virtio/virtio_mmio.ko", module("alias=of:N*T*Cvirtio,mmio", "depends=", "name=virtio_mmio"));
        f.put(m + "fs/ext4/ext4.ko", module("softdep=pre: crypto-crc32c", "alias=fs-ext4", "depends=jbd2,mbcache,crc16", "name=ext4"));
        f.put(m + "fs/fat/fat.ko", module("depends=", "name=fat"));
        f.put(m + "fs/fat/vfat.ko", module("depends=fat", "name=vfat"));
        f.put(m + "fs/jbd2/jbd2.ko", module("softdep=pre: crypto-crc32c", "depends=", "name=jbd2"));
        f.put(m + "fs/mbcache.ko.xz", xz(module("depends=", "name=mbcache")));
        f.put(m + "lib/crc16.ko", module("depends=", "name=crc16"));
        f.put("lib/modules/" + RELEASE + "/modules.builtin", "kernel/drivers/virtio/virtio.ko\n".getBytes(StandardCharsets.UTF_8));
        return f;
    }

    static byte[] xz(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (XZOutputStream xz = new XZOutputStream(out, new LZMA2Options(0))) {
            xz.write(data);
        }
        return out.toByteArray();
    }

    public static Path kernelDeb(Path dir) throws IOException {
        return write(dir.resolve(KERNEL_PKG + "_" + KERNEL_VERSION + "_arm64.deb"),
                deb(control(KERNEL_PKG, KERNEL_VERSION), kernelFiles(), ".xz"));
    }

    public static Path busyboxDeb(Path dir) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("bin/busybox", BUSYBOX);
        files.put("usr/share/doc/busybox-static/copyright", "GPL-2\n".getBytes(StandardCharsets.UTF_8));
        return write(dir.resolve("busybox-static_1%3a1.35.0-4+b1_arm64.deb"), deb(control("busybox-static", BUSYBOX_VERSION), files, ".xz"));
    }

    static String control(String pkg, String version) {
        return "Package: " + pkg + "\nVersion: " + version + "\nArchitecture: arm64\nMaintainer: Test <t@example.org>\n"
                + "Description: test package\n a synthetic package\n";
    }

    static Path write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
        return file;
    }

    /** A .deb: debian-binary, control.tar.xz, data.tar{compression} with the files and their directories. */
    static byte[] deb(String control, Map<String, byte[]> files, String compression) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArArchiveOutputStream ar = new ArArchiveOutputStream(out)) {
            member(ar, "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
            member(ar, "control.tar.xz", tar(Map.of("control", control.getBytes(StandardCharsets.UTF_8)), ".xz"));
            member(ar, "data.tar" + compression, tar(files, compression));
        }
        return out.toByteArray();
    }

    private static void member(ArArchiveOutputStream ar, String name, byte[] data) throws IOException {
        ar.putArchiveEntry(new ArArchiveEntry(name, data.length, 0, 0, 0100644, 0));
        ar.write(data);
        ar.closeArchiveEntry();
    }

    static byte[] tar(Map<String, byte[]> files, String compression) throws IOException {
        TreeMap<String, byte[]> entries = new TreeMap<>();
        for (var e : files.entrySet()) {
            String p = e.getKey();
            for (int i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) entries.putIfAbsent(p.substring(0, i + 1), null);
            entries.put(p, e.getValue());
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OutputStream z = switch (compression) {
            case ".xz" -> new XZOutputStream(bytes, new LZMA2Options(0));
            case ".gz" -> new GZIPOutputStream(bytes);
            default -> bytes;
        };
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(z)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            TarArchiveEntry root = new TarArchiveEntry("./");
            tar.putArchiveEntry(root);
            tar.closeArchiveEntry();
            List<String> names = new ArrayList<>(entries.keySet());
            for (String name : names) {
                byte[] data = entries.get(name);
                TarArchiveEntry t = new TarArchiveEntry("./" + name);
                if (data != null) {
                    t.setSize(data.length);
                    t.setMode(name.startsWith("bin/") ? 0100755 : 0100644);
                }
                tar.putArchiveEntry(t);
                if (data != null) tar.write(data);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
