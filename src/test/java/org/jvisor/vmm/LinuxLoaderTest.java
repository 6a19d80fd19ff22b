package org.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.jvisor.cpu.QemuVirt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsDtc;
import org.jvisor.testing.NeedsQemu;

/**
 * The loader against Documentation/arm64/booting.rst (header fields, placement rules) and against what
 * QEMU does with the same files. Kernels are synthetic: a 64-byte Image header, or a hand-built ELF.
 */
class LinuxLoaderTest {
    static final long MiB = 1L << 20;
    static final long BASE = BoardDescription.VIRT_RAM_BASE;
    /** The header of Debian's 6.1 arm64 Image (linux-image-6.1.0-*-arm64): text_offset 0, image_size 0x2010000, flags 0xa. */
    static final long DEBIAN_IMAGE_SIZE = 0x2010000, DEBIAN_FLAGS = 0xa;

    @TempDir Path dir;

    /** An arm64 Image: {@code fileSize} bytes with booting.rst's header (code0 a branch to itself). */
    static byte[] image(long textOffset, long imageSize, long flags, int fileSize) {
        ByteBuffer b = ByteBuffer.allocate(fileSize).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x14000000); // b .
        b.putLong(8, textOffset).putLong(16, imageSize).putLong(24, flags);
        b.putInt(0x38, 0x644d5241); // "ARM\x64"
        for (int i = 64; i < fileSize; i++) b.put(i, (byte) (i * 7));
        return b.array();
    }

    /**
     * An arm64 Image with the EFI stub's header, laid out as arch/arm64/kernel/efi-header.S writes it:
     * booting.rst's header with code0 "MZ" and res5 (0x3c) the offset of "PE\0\0" (0x40); the COFF
     * header (machine 0xaa64, 2 sections, a 160-byte optional header); the PE32+ optional header
     * (SizeOfImage = image_size, SizeOfHeaders = .text's start, 6 data directories); then the section
     * table: .text from {@code textStart} to {@code dataStart}, .data from {@code dataStart} to
     * {@code edata}, raw data where it lies in memory. The file is {@code fileSize} bytes.
     */
    static byte[] efiImage(int textStart, int dataStart, int edata, long imageSize, int fileSize) {
        ByteBuffer b = ByteBuffer.allocate(fileSize).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0xfa405a4d); // "MZ" + ccmp, as Debian's code0
        b.putLong(8, 0).putLong(16, imageSize).putLong(24, DEBIAN_FLAGS);
        b.putInt(0x38, 0x644d5241).putInt(0x3c, 0x40);
        b.putInt(0x40, 0x00004550);
        b.putShort(0x44, (short) 0xaa64).putShort(0x46, (short) 2).putShort(0x54, (short) 160).putShort(0x56, (short) 0x206);
        int opt = 0x58;
        b.putShort(opt, (short) 0x20b).putInt(opt + 4, dataStart - textStart).putInt(opt + 8, (int) imageSize - dataStart);
        b.putInt(opt + 32, 0x10000).putInt(opt + 36, 0x200).putInt(opt + 56, (int) imageSize).putInt(opt + 60, textStart);
        b.putShort(opt + 68, (short) 10).putInt(opt + 108, 6);
        int sec = opt + 160;
        b.put(sec, ".text".getBytes()).putInt(sec + 8, dataStart - textStart).putInt(sec + 12, textStart)
                .putInt(sec + 16, dataStart - textStart).putInt(sec + 20, textStart);
        b.put(sec + 40, ".data".getBytes()).putInt(sec + 48, (int) imageSize - dataStart).putInt(sec + 52, dataStart)
                .putInt(sec + 56, edata - dataStart).putInt(sec + 60, dataStart);
        for (int i = textStart; i < fileSize; i++) b.put(i, (byte) (i * 7));
        return b.array();
    }

    /** A little-endian ELF64 executable for {@code machine} with PT_LOAD segments {paddr, filesz, memsz}. */
    static byte[] elf(int machine, int type, long entry, long[]... segments) {
        int phoff = 64, n = segments.length;
        int dataOff = phoff + 56 * n;
        int total = dataOff;
        for (long[] s : segments) total += (int) s[1];
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(16, (short) type).putShort(18, (short) machine).putInt(20, 1);
        b.putLong(24, entry).putLong(32, phoff).putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) n);
        int off = dataOff;
        for (int i = 0; i < n; i++) {
            long[] s = segments[i];
            int ph = phoff + 56 * i;
            b.putInt(ph, 1).putInt(ph + 4, 5).putLong(ph + 8, off).putLong(ph + 16, s[0]).putLong(ph + 24, s[0])
                    .putLong(ph + 32, s[1]).putLong(ph + 40, s[2]).putLong(ph + 48, 0x1000);
            for (int j = 0; j < s[1]; j++) b.put(off + j, (byte) (0x40 + i + j));
            off += (int) s[1];
        }
        return b.array();
    }

    private Path file(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    /** A file of {@code size} bytes that takes no disk space. */
    private Path sparse(String name, long size) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    private static BoardDescription board(long ram) {
        return BoardDescription.virt(ram, 1, 2);
    }

    private static String error(Executable e) {
        return assertThrows(BootException.class, e::run).getMessage();
    }

    interface Executable {
        void run() throws Exception;
    }

    /** booting.rst's rules for a Linux boot, whatever the addresses chosen. */
    private static void assertBootable(BootLayout l, long ramBase, long ramSize, long imageSize) {
        long ramEnd = ramBase + ramSize;
        assertEquals(0, (l.kernelStart() - 0) % (2 * MiB), "Image at a 2 MiB aligned base + text_offset 0");
        assertTrue(l.kernelEnd() - l.kernelStart() >= imageSize, "image_size bytes left to the kernel from its start");
        assertTrue(l.kernelStart() >= ramBase && l.kernelEnd() <= ramEnd);
        assertEquals(0, l.dtbAddress() % 8, "device tree 8-byte aligned");
        assertTrue(l.dtbSize() <= 2 * MiB);
        assertTrue(l.dtbAddress() >= l.kernelEnd() && l.dtbAddress() + l.dtbSize() <= ramEnd);
        if (l.initrdStart() >= 0) {
            assertTrue(l.initrdStart() >= l.kernelEnd(), "initrd above the kernel's BSS");
            assertTrue(l.initrdEnd() <= ramEnd);
            assertTrue(l.dtbAddress() >= l.initrdEnd() || l.dtbAddress() + l.dtbSize() <= l.initrdStart(), "device tree apart from the initrd");
            assertTrue(l.initrdEnd() - (l.kernelStart() & -(1L << 30)) <= 32L << 30, "kernel and initrd in one 1 GiB aligned window of at most 32 GiB");
        }
    }

    @Test
    void imageHeaderFieldsAreRead() throws Exception {
        KernelImage k = KernelImage.parse("Image", image(0, DEBIAN_IMAGE_SIZE, DEBIAN_FLAGS, 4096), 512 * MiB);
        KernelImage.Arm64Image img = assertInstanceOf(KernelImage.Arm64Image.class, k);
        assertEquals(0, img.textOffset());
        assertEquals(DEBIAN_IMAGE_SIZE, img.imageSize());
        assertEquals(DEBIAN_FLAGS, img.flags());
        // Before v3.17 image_size was 0 and text_offset meant 0x80000 (booting.rst).
        KernelImage.Arm64Image old = (KernelImage.Arm64Image) KernelImage.parse("old", image(0x12345, 0, 0, 4096), 512 * MiB);
        assertEquals(0x80000, old.textOffset());
        assertEquals(0, old.imageSize());
    }

    @Test
    void debianSizedImageWithInitrd() throws Exception {
        KernelImage k = KernelImage.parse("Image", image(0, DEBIAN_IMAGE_SIZE, DEBIAN_FLAGS, 64 << 10), 512 * MiB);
        BootLayout l = BootLayout.plan(BASE, 512 * MiB, k, 3 * MiB + 123, 4000);
        assertBootable(l, BASE, 512 * MiB, DEBIAN_IMAGE_SIZE);
        assertEquals(BASE, l.entry(), "text_offset 0 from the 2 MiB aligned start of RAM");
        assertEquals(BASE + DEBIAN_IMAGE_SIZE, l.kernelEnd());
        assertEquals(BASE + DEBIAN_IMAGE_SIZE, l.initrdStart(), "page-aligned right above image_size");
        assertEquals(0, l.dtbAddress() % (2 * MiB), "the device tree alone in its 2 MiB block, as QEMU places it");
        BootLayout withOffset = BootLayout.plan(BASE, 512 * MiB,
                KernelImage.parse("Image", image(0x80000, DEBIAN_IMAGE_SIZE, DEBIAN_FLAGS, 4096), 512 * MiB), -1, 4000);
        assertEquals(BASE + 0x80000, withOffset.entry());
        assertNull(withOffset.initrd());
    }

    @Test
    void bigInitrdsFitWithoutOverlapUntilRamEnds() throws Exception {
        KernelImage k = KernelImage.parse("Image", image(0, DEBIAN_IMAGE_SIZE, DEBIAN_FLAGS, 4096), 512 * MiB);
        for (long initrd : new long[] {1, 100 * MiB, 400 * MiB, 512 * MiB - DEBIAN_IMAGE_SIZE - 3 * MiB,
                512 * MiB - DEBIAN_IMAGE_SIZE - 8192}) {
            BootLayout l = BootLayout.plan(BASE, 512 * MiB, k, initrd, 8192);
            assertBootable(l, BASE, 512 * MiB, DEBIAN_IMAGE_SIZE);
            assertEquals(initrd, l.initrdEnd() - l.initrdStart());
        }
        assertEquals("initrd (600 MiB) does not fit in 512 MiB of RAM above the kernel",
                error(() -> BootLayout.plan(BASE, 512 * MiB, k, 600 * MiB, 8192)));
        assertEquals("no room for the device tree (8 KiB) in 512 MiB of RAM above the kernel and initrd",
                error(() -> BootLayout.plan(BASE, 512 * MiB, k, 512 * MiB - DEBIAN_IMAGE_SIZE - 4096, 8192)));
        assertEquals("kernel image 'Image' (32.1 MiB with its BSS) does not fit in 32 MiB of RAM",
                error(() -> BootLayout.plan(BASE, 32 * MiB, k, -1, 8192)));
        assertEquals("the device tree (2.0 MiB) exceeds the 2 MiB Linux accepts",
                error(() -> BootLayout.plan(BASE, 512 * MiB, k, -1, (2 << 20) + 1)));
    }

    @Test
    void rawBinaryGoesWhereQemuPutsIt() throws Exception {
        KernelImage k = KernelImage.parse("bare.bin", new byte[] {0, 0, 0, 0x14}, 512 * MiB);
        assertInstanceOf(KernelImage.RawBinary.class, k);
        BootLayout l = BootLayout.plan(BASE, 512 * MiB, k, 300 << 10, 4096);
        // Observed on qemu-system-aarch64 7.2 -M virt -m 512M -kernel bare.bin -initrd (300 KiB):
        // PC = 0x40080000, initrd at 0x48000000 (RAM + 128 MiB), x0 = 0x48200000.
        assertEquals(0x4008_0000L, l.entry());
        assertEquals(0x4800_0000L, l.initrdStart());
        assertEquals(0x4820_0000L, l.dtbAddress());
        // With 64 MiB of RAM, QEMU's initrd goes half way up.
        assertEquals(BASE + 32 * MiB, BootLayout.plan(BASE, 64 * MiB, k, 4096, 4096).initrdStart());
    }

    @NeedsDtc
    @NeedsQemu
    @Test
    void rawBinaryInitrdMatchesQemusDumpedTree() throws Exception {
        Path kernel = file("bare.bin", new byte[] {0, 0, 0, 0x14});
        Path initrd = file("initrd", new byte[300 << 10]);
        Path dtb = dir.resolve("q.dtb");
        QemuVirt.dumpDtb(dtb, "virt", "-m", "512M", "-kernel", kernel.toString(), "-initrd", initrd.toString());
        Map<String, String> chosen = Dtc.parse(Dtc.decompile(dtb).out()).get("/chosen");
        LinuxLoader.Boot boot = LinuxLoader.prepare(board(512 * MiB), kernel, initrd);
        assertEquals(Long.decode(chosen.get("linux,initrd-start").replaceAll("[<>]", "")), boot.layout().initrdStart());
        assertEquals(Long.decode(chosen.get("linux,initrd-end").replaceAll("[<>]", "")), boot.layout().initrdEnd());
    }

    @Test
    void elfSegmentsAndDeviceTreeAtRamBase() throws Exception {
        byte[] f = elf(183, 2, 0x4010_0010L, new long[] {0x4010_0000L, 64, 64}, new long[] {0x4020_0000L, 16, 0x3000});
        KernelImage.Elf e = assertInstanceOf(KernelImage.Elf.class, KernelImage.parse("prog.elf", f, 512 * MiB));
        BootLayout l = BootLayout.plan(BASE, 512 * MiB, e, -1, 4096);
        assertEquals(0x4010_0010L, l.entry());
        // QEMU's convention for ELF (non-Linux) guests: the device tree at the start of RAM when it fits below.
        assertEquals(BASE, l.dtbAddress());
        assertEquals(List.of(0x4010_0000L, 0x4020_0000L), l.loads().stream().map(BootLayout.Load::address).toList());
        assertEquals(0x3000 - 16, l.loads().get(1).zeroFill());
        // Linked at the start of RAM: the tree goes above it instead.
        KernelImage low = KernelImage.parse("low.elf", elf(183, 2, BASE, new long[] {BASE, 64, 64}), 512 * MiB);
        assertEquals(BASE + 2 * MiB, BootLayout.plan(BASE, 512 * MiB, low, -1, 4096).dtbAddress());
    }

    @Test
    void elfErrors() {
        assertEquals("not an arm64 kernel: 'k' is an ELF file for x86-64 (e_machine 62)",
                error(() -> KernelImage.parse("k", elf(62, 2, 0, new long[] {0, 4, 4}), MiB)));
        byte[] elf32 = elf(183, 2, 0, new long[] {BASE, 4, 4});
        elf32[4] = 1;
        assertEquals("not an arm64 kernel: 'k' is a 32-bit ELF file", error(() -> KernelImage.parse("k", elf32, MiB)));
        assertEquals("ELF file 'k' is not an executable (e_type 3, position-independent); jvisor loads ET_EXEC files",
                error(() -> KernelImage.parse("k", elf(183, 3, BASE, new long[] {BASE, 4, 4}), MiB)));
        assertEquals("ELF file 'k': entry point 0x50000000 is in no loadable segment",
                error(() -> KernelImage.parse("k", elf(183, 2, 0x5000_0000L, new long[] {BASE, 4, 4}), MiB)));
        assertEquals("ELF file 'k': segments overlap at 0x40000002",
                error(() -> KernelImage.parse("k", elf(183, 2, BASE, new long[] {BASE, 4, 4}, new long[] {BASE + 2, 4, 4}), MiB)));
        long vmlinux = 0xffff_8000_0800_0000L;
        assertEquals("ELF file 'vmlinux': segment at 0xffff800008000000 (64 bytes) lies outside RAM [0x40000000, 0x60000000);"
                        + " a vmlinux? boot arch/arm64/boot/Image instead",
                error(() -> BootLayout.plan(BASE, 512 * MiB, KernelImage.parse("vmlinux", elf(183, 2, vmlinux, new long[] {vmlinux, 64, 64}), MiB), -1, 4096)));
    }

    @Test
    void imageErrors() throws Exception {
        assertEquals("kernel image 'k' is a big-endian Image; jvisor boots little-endian kernels",
                error(() -> KernelImage.parse("k", image(0, MiB, 0xb, 4096), MiB)));
        assertEquals("kernel image 'k' is built for 16 KiB pages; jvisor boots kernels built for 4 KiB pages",
                error(() -> KernelImage.parse("k", image(0, MiB, 0xc, 4096), MiB)));
        assertEquals("kernel image 'k' is built for 64 KiB pages; jvisor boots kernels built for 4 KiB pages",
                error(() -> KernelImage.parse("k", image(0, MiB, 0xe, 4096), MiB)));
        assertInstanceOf(KernelImage.Arm64Image.class, KernelImage.parse("k", image(0, MiB, 0x8, 4096), MiB), "page size unspecified");
        assertEquals("not an arm64 kernel: 'k' is empty", error(() -> KernelImage.parse("k", new byte[0], MiB)));
        byte[] bz = new byte[0x400];
        ByteBuffer.wrap(bz).order(ByteOrder.LITTLE_ENDIAN).putShort(0x1fe, (short) 0xaa55).putInt(0x202, 0x53726448);
        assertEquals("not an arm64 kernel: 'bzImage' is an x86 bzImage", error(() -> KernelImage.parse("bzImage", bz, MiB)));
        byte[] z = new byte[0x400];
        ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN).putInt(0x24, 0x016f2818);
        assertEquals("not an arm64 kernel: 'zImage' is a 32-bit Arm zImage", error(() -> KernelImage.parse("zImage", z, MiB)));
        byte[] u = new byte[0x400];
        ByteBuffer.wrap(u).putInt(0, 0x27051956);
        assertEquals("kernel image 'uImage' is a U-Boot uImage; give jvisor the arm64 Image inside it",
                error(() -> KernelImage.parse("uImage", u, MiB)));
        byte[] cpio = "070701000000000000".getBytes();
        assertEquals("not an arm64 kernel: 'initrd.cpio' is a cpio archive (an initramfs? it goes to -initrd)",
                error(() -> KernelImage.parse("initrd.cpio", cpio, MiB)));
        byte[] zboot = new byte[0x400];
        System.arraycopy("MZ\0\0zimg".getBytes(), 0, zboot, 0, 8);
        assertEquals("kernel image 'vmlinuz' is an EFI zboot (compressed EFI) kernel; give jvisor the uncompressed arm64 Image",
                error(() -> KernelImage.parse("vmlinuz", zboot, MiB)));
    }

    /**
     * An Image whose file ends before its EFI header's sections do is refused, whatever image_size says
     * (which counts the BSS, so it is larger than any complete file).
     */
    @Test
    void truncatedEfiImagesAreRefused() throws Exception {
        int text = 0x10000, data = 0x30000, edata = 0x3da00;
        long imageSize = 0x50000;
        KernelImage.Arm64Image whole = assertInstanceOf(KernelImage.Arm64Image.class,
                KernelImage.parse("Image", efiImage(text, data, edata, imageSize, edata), MiB));
        assertEquals(imageSize, whole.imageSize());
        // sbsign appends a signature after .data: still the whole Image.
        assertInstanceOf(KernelImage.Arm64Image.class, KernelImage.parse("Image", efiImage(text, data, edata, imageSize, edata + 0x800), MiB));
        assertEquals("kernel image 'Image' is truncated: its EFI (PE/COFF) header says the file holds at least 252416 bytes (246.5 KiB), it has 252415 (246.5 KiB)",
                error(() -> KernelImage.parse("Image", efiImage(text, data, edata, imageSize, edata - 1), MiB)));
        assertEquals("kernel image 'Image' is truncated: its EFI (PE/COFF) header says the file holds at least 252416 bytes (246.5 KiB), it has 131072 (128 KiB)",
                error(() -> KernelImage.parse("Image", efiImage(text, data, edata, imageSize, 0x20000), MiB)));
        // Cut inside the headers: the section table is missing.
        byte[] head = Arrays.copyOf(efiImage(text, data, edata, imageSize, edata), 0x100);
        assertTrue(error(() -> KernelImage.parse("Image", head, MiB)).startsWith("kernel image 'Image' is truncated: "));
        // The same cut, gzip'ed, is found after decompression.
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(efiImage(text, data, edata, imageSize, 0x20000));
        }
        assertTrue(error(() -> KernelImage.parse("Image.gz", gz.toByteArray(), MiB)).startsWith("kernel image 'Image.gz' is truncated: "));
        // Without the EFI stub (res5 = 0) nothing in the file gives its length: a short file is accepted.
        assertInstanceOf(KernelImage.Arm64Image.class, KernelImage.parse("Image", image(0, imageSize, DEBIAN_FLAGS, 4096), MiB));
    }

    /**
     * A raw binary that is plainly text (the first 4 KiB, or the whole file, printable UTF-8 with a line
     * feed) is refused; code, even with strings in it, and zeros are not.
     */
    @NeedsCross
    @Test
    void textIsNoKernel() throws Exception {
        String refused = "not an arm64 kernel: 'notes' is a text file (printable UTF-8 with line breaks), not code";
        assertEquals(refused, error(() -> KernelImage.parse("notes", "console=ttyAMA0\n".getBytes(), MiB)));
        assertEquals(refused, error(() -> KernelImage.parse("notes", "Grüße,\r\n\tjvisor\f\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), MiB)));
        // Long text, cut by the probe in the middle of a two-byte character.
        byte[] longText = ("line\n" + "x".repeat(4090) + "é\n" + "more\n".repeat(1000)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(refused, error(() -> KernelImage.parse("notes", longText, MiB)));
        // Not text: a NUL, a control character, Latin-1, no line feed at all.
        assertInstanceOf(KernelImage.RawBinary.class, KernelImage.parse("k", "text\n\0".getBytes(), MiB));
        assertInstanceOf(KernelImage.RawBinary.class, KernelImage.parse("k", "text\n\u001b[0m".getBytes(), MiB));
        assertInstanceOf(KernelImage.RawBinary.class, KernelImage.parse("k", "Gr\u00fc\u00dfe\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), MiB));
        assertInstanceOf(KernelImage.RawBinary.class, KernelImage.parse("k", "one line".getBytes(), MiB));
        assertInstanceOf(KernelImage.RawBinary.class, KernelImage.parse("k", new byte[4096], MiB));
        byte[] hello = org.jvisor.cpu.Asm.assemble("""
                adr x1, msg
                b .
            msg: .asciz "hello\\n"
                """, BASE + 0x80000);
        assertInstanceOf(KernelImage.RawBinary.class, KernelImage.parse("hello.bin", hello, MiB));
    }

    @Test
    void gzippedImageIsDecompressed() throws Exception {
        byte[] raw = image(0, 2 * MiB, DEBIAN_FLAGS, 100_000);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(raw);
        }
        KernelImage.Arm64Image k = assertInstanceOf(KernelImage.Arm64Image.class, KernelImage.parse("Image.gz", gz.toByteArray(), MiB));
        assertArrayEquals(raw, k.data());
        assertEquals("kernel image 'Image.gz' decompresses to more than 64 KiB, more than RAM",
                error(() -> KernelImage.parse("Image.gz", gz.toByteArray(), 64 << 10)));
        byte[] corrupt = Arrays.copyOf(gz.toByteArray(), 40);
        assertTrue(error(() -> KernelImage.parse("Image.gz", corrupt, MiB)).startsWith("kernel image 'Image.gz' is a corrupt gzip file: "));
    }

    @Test
    void fileErrors() throws Exception {
        Path missing = dir.resolve("nope");
        assertEquals("kernel image '" + missing + "' does not exist", error(() -> LinuxLoader.prepare(board(64 * MiB), missing, null)));
        Path k = file("Image", image(0, MiB, DEBIAN_FLAGS, 4096));
        assertEquals("initrd '" + missing + "' does not exist", error(() -> LinuxLoader.prepare(board(64 * MiB), k, missing)));
        assertEquals("kernel image '" + dir + "' is a directory, not a regular file", error(() -> LinuxLoader.prepare(board(64 * MiB), dir, null)));
        // A device never ends and a FIFO's open waits for a writer: both refused before a byte is read.
        Path zero = Path.of("/dev/zero");
        assertEquals("kernel image '/dev/zero' is a character device, not a regular file", error(() -> LinuxLoader.prepare(board(64 * MiB), zero, null)));
        assertEquals("initrd '/dev/zero' is a character device, not a regular file", error(() -> LinuxLoader.prepare(board(64 * MiB), k, zero)));
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        assertEquals("kernel image '" + fifo + "' is a FIFO (named pipe: jvisor would wait for a writer that may never come), not a regular file",
                error(() -> LinuxLoader.prepare(board(64 * MiB), fifo, null)));
        assertTrue(error(() -> LinuxLoader.prepare(board(64 * MiB), k, fifo)).startsWith("initrd '" + fifo + "' is a FIFO"));
        Path empty = file("empty", new byte[0]);
        assertEquals("initrd '" + empty + "' is empty", error(() -> LinuxLoader.prepare(board(64 * MiB), k, empty)));
        Path huge = sparse("huge", 80 * MiB);
        assertEquals("kernel image '" + huge + "' (80 MiB) is larger than the 64 MiB of RAM",
                error(() -> LinuxLoader.prepare(board(64 * MiB), huge, null)));
        assertEquals("initrd (80 MiB) does not fit in 64 MiB of RAM above the kernel",
                error(() -> LinuxLoader.prepare(board(64 * MiB), k, huge)));
        BoardDescription longLine = board(64 * MiB).withBootargs("x".repeat(2048));
        assertEquals("the kernel command line is 2048 bytes; Linux on arm64 takes at most 2047",
                error(() -> LinuxLoader.prepare(longLine, k, null)));
    }

    /** Guest RAM as a byte array, refusing what lies outside like the VM's memory does. */
    static final class ArrayMemory implements GuestMemory {
        final long base;
        final byte[] ram;

        ArrayMemory(long base, int size) {
            this.base = base;
            this.ram = new byte[size];
            Arrays.fill(ram, (byte) 0xaa);
        }

        private int at(long gpa, int length) throws GuestMemoryException {
            if (gpa < base || gpa - base + length > ram.length) throw new GuestMemoryException(gpa, length);
            return (int) (gpa - base);
        }

        @Override
        public void read(long gpa, byte[] dst, int offset, int length) throws GuestMemoryException {
            System.arraycopy(ram, at(gpa, length), dst, offset, length);
        }

        @Override
        public void write(long gpa, byte[] src, int offset, int length) throws GuestMemoryException {
            System.arraycopy(src, offset, ram, at(gpa, length), length);
        }
    }

    @NeedsDtc
    @Test
    void writesKernelInitrdAndTreeIntoRam() throws Exception {
        long ram = 16 * MiB;
        byte[] kernel = image(0, 3 * MiB, DEBIAN_FLAGS, 70_000);
        byte[] initrd = new byte[2 * (1 << 20) + 12345];
        for (int i = 0; i < initrd.length; i++) initrd[i] = (byte) (i * 31 + 5);
        BoardDescription b = board(ram).withBootargs("console=ttyAMA0");
        LinuxLoader.Boot boot = LinuxLoader.prepare(b, file("Image", kernel), file("initrd.gz", initrd));
        ArrayMemory mem = new ArrayMemory(BASE, (int) ram);
        boot.writeTo(mem);
        BootLayout l = boot.layout();
        assertBootable(l, BASE, ram, 3 * MiB);
        assertArrayEquals(kernel, Arrays.copyOfRange(mem.ram, 0, kernel.length));
        int ir = (int) (l.initrdStart() - BASE);
        assertArrayEquals(initrd, Arrays.copyOfRange(mem.ram, ir, ir + initrd.length));
        int dt = (int) (l.dtbAddress() - BASE);
        assertArrayEquals(boot.dtb(), Arrays.copyOfRange(mem.ram, dt, dt + boot.dtb().length));
        assertEquals(new BootCpuState(BASE, l.dtbAddress(), 0, 0, 0), boot.cpu());
        assertEquals(0x3c5, boot.cpu().pstate(), "EL1h, DAIF masked");
        // The tree's /chosen names the initrd where it was put (read back by fdtget).
        Path dtb = file("boot.dtb", boot.dtb());
        assertArrayEquals(u64(l.initrdStart()), Dtc.bytes(dtb, "/chosen", "linux,initrd-start"));
        assertArrayEquals(u64(l.initrdStart() + initrd.length), Dtc.bytes(dtb, "/chosen", "linux,initrd-end"));
        assertArrayEquals("console=ttyAMA0\0".getBytes(), Dtc.bytes(dtb, "/chosen", "bootargs"));
    }

    @Test
    void elfBssIsZeroedInRam() throws Exception {
        byte[] f = elf(183, 2, BASE + 0x10_0000, new long[] {BASE + 0x10_0000, 32, 32}, new long[] {BASE + 0x20_0000, 8, 0x2000});
        LinuxLoader.Boot boot = LinuxLoader.prepare(board(4 * MiB), file("prog.elf", f), null);
        ArrayMemory mem = new ArrayMemory(BASE, (int) (4 * MiB));
        boot.writeTo(mem);
        assertEquals(0x40 + 1, mem.ram[0x20_0000]);
        for (int i = 8; i < 0x2000; i++) assertEquals(0, mem.ram[0x20_0000 + i], "BSS byte " + i);
        assertEquals((byte) 0xaa, mem.ram[0x20_2000], "nothing beyond the segment");
        assertEquals(BASE, boot.cpu().x0());
        assertEquals(0xd00dfeed, ByteBuffer.wrap(mem.ram).getInt(0), "the tree at the start of RAM");
    }

    private static byte[] u64(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }
}
