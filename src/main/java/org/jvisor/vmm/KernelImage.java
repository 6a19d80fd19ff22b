package org.jvisor.vmm;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * A kernel file, recognised as QEMU's {@code -kernel} recognises it on AArch64 ({@code hw/arm/boot.c}):
 * an ELF file is loaded by its segments; a gzip file is decompressed first; then a file with the arm64
 * Image magic at 0x38 is an {@link Arm64Image}, anything else a {@link RawBinary}. Files that are plainly
 * other kernels (x86 bzImage, 32-bit Arm zImage, U-Boot uImage, EFI zboot) or no code at all (a cpio
 * archive, a text file) are refused by name rather than run as raw code, and so is an Image whose file
 * ends before its EFI header says it does ({@code EfiStubHeader}): run, either would loop at a vector.
 */
public sealed interface KernelImage permits KernelImage.Arm64Image, KernelImage.RawBinary, KernelImage.Elf {
    /** The file name as the user gave it, for messages. */
    String name();

    /**
     * An arm64 Linux Image (Documentation/arm64/booting.rst, "Call the kernel image"): its 64-byte header
     * is little-endian whatever the kernel's endianness.
     *
     * @param imageSize the memory the kernel needs from its start, BSS included; 0 for kernels before
     *                  v3.17, which did not say (their text_offset is then 0x80000)
     */
    record Arm64Image(String name, byte[] data, long textOffset, long imageSize, long flags) implements KernelImage {
        public static final int MAGIC_OFFSET = 0x38;
        public static final int MAGIC = 0x644d5241; // "ARM\x64"
        /** flags bit 0: kernel endianness, 1 = big. */
        public static final long FLAG_BE = 1;
        /** flags bits [2:1]: page size, 0 unspecified, 1 4K, 2 16K, 3 64K. */
        public static final int PAGE_SIZE_SHIFT = 1;
        /** flags bit 3: 1 = the 2 MiB aligned base may be anywhere in RAM, 0 = as low as possible. */
        public static final long FLAG_PHYS_ANYWHERE = 8;
    }

    /** Code with no header, loaded as QEMU loads it: at RAM base + 0x80000, entered at its first byte. */
    record RawBinary(String name, byte[] data) implements KernelImage {}

    /** An AArch64 ELF executable; its PT_LOAD segments go to their physical addresses. */
    record Elf(String name, byte[] data, long entry, List<Segment> segments) implements KernelImage {
        /** {@code fileSize} bytes from {@code fileOffset} at {@code address}, then zeros up to {@code memSize}. */
        public record Segment(long address, int fileOffset, int fileSize, long memSize) {}
    }

    int EM_AARCH64 = 183;

    /**
     * Recognises {@code data}; {@code maxSize} bounds a decompressed kernel (the RAM it must fit in).
     *
     * @throws BootException one line saying why this is no kernel jvisor can boot
     */
    static KernelImage parse(String name, byte[] data, long maxSize) throws BootException {
        String q = "'" + name + "'";
        if (data.length == 0) throw new BootException("not an arm64 kernel: " + q + " is empty");
        if (data.length >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F') return parseElf(name, data);
        if (data.length >= 2 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b) {
            data = gunzip(name, data, maxSize);
            if (data.length == 0) throw new BootException("not an arm64 kernel: " + q + " decompresses to nothing");
        }
        ByteBuffer le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (data.length >= 4 && ByteBuffer.wrap(data).getInt(0) == 0x27051956)
            throw new BootException("kernel image " + q + " is a U-Boot uImage; give jvisor the arm64 Image inside it");
        if (data.length >= 8 && data[0] == 'M' && data[1] == 'Z' && data[4] == 'z' && data[5] == 'i' && data[6] == 'm' && data[7] == 'g')
            throw new BootException("kernel image " + q + " is an EFI zboot (compressed EFI) kernel; give jvisor the uncompressed arm64 Image");
        if (data.length >= Arm64Image.MAGIC_OFFSET + 4 && le.getInt(Arm64Image.MAGIC_OFFSET) == Arm64Image.MAGIC)
            return parseImage(name, le, data);
        if (data.length >= 6 && data[0] == '0' && data[1] == '7' && data[2] == '0' && data[3] == '7' && data[4] == '0' && (data[5] == '1' || data[5] == '2'))
            throw new BootException("not an arm64 kernel: " + q + " is a cpio archive (an initramfs? it goes to -initrd)");
        if (data.length >= 0x206 && le.getInt(0x202) == 0x53726448) // "HdrS", the x86 boot protocol header
            throw new BootException("not an arm64 kernel: " + q + " is an x86 bzImage");
        if (data.length >= 0x28 && le.getInt(0x24) == 0x016f2818)
            throw new BootException("not an arm64 kernel: " + q + " is a 32-bit Arm zImage");
        if (isText(data))
            throw new BootException("not an arm64 kernel: " + q + " is a text file (printable UTF-8 with line breaks), not code");
        return new RawBinary(name, data);
    }

    /**
     * Whether a file is plainly text rather than code: its first 4 KiB (or all of it, if shorter) are valid UTF-8 (a sequence cut at the probe's end aside) of printable characters, tabs, form feeds
     * and line breaks only, with at least one line feed. Code never looks like that: A64 words are full
     * of bytes that are control characters or not UTF-8 ({@code b .} is 00 00 00 14, {@code ret} c0 03 5f
     * d6, any zero padding is NUL), so only code crafted to be printable could pass, and 4 KiB of it is
     * no kernel either. Run as code, text is UNDEFINED at once and the guest loops at its vector.
     */
    private static boolean isText(byte[] data) {
        int n = Math.min(data.length, 4096);
        CharBuffer chars = CharBuffer.allocate(n);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        if (decoder.decode(ByteBuffer.wrap(data, 0, n), chars, n == data.length).isError()) return false;
        boolean lineFeed = false;
        for (int i = 0; i < chars.position(); i++) {
            char c = chars.get(i);
            if (c == '\n') lineFeed = true;
            else if (c == '\t' || c == '\r' || c == '\f') continue;
            else if (Character.isISOControl(c)) return false;
        }
        return lineFeed;
    }

    private static KernelImage parseImage(String name, ByteBuffer le, byte[] data) throws BootException {
        String q = "kernel image '" + name + "'";
        long required = EfiStubHeader.requiredLength(le);
        if (required > data.length)
            throw new BootException(q + " is truncated: its EFI (PE/COFF) header says the file holds at least " + required + " bytes ("
                    + LinuxLoader.size(required) + "), it has " + data.length + " (" + LinuxLoader.size(data.length) + ")");
        long textOffset = le.getLong(8), imageSize = le.getLong(16), flags = le.getLong(24);
        if (imageSize == 0) return new Arm64Image(name, data, 0x80000, 0, 0);
        if ((flags & Arm64Image.FLAG_BE) != 0) throw new BootException(q + " is a big-endian Image; jvisor boots little-endian kernels");
        int page = (int) (flags >>> Arm64Image.PAGE_SIZE_SHIFT) & 3;
        if (page >= 2)
            throw new BootException(q + " is built for " + (page == 2 ? "16" : "64") + " KiB pages; jvisor boots kernels built for 4 KiB pages");
        if (textOffset < 0 || imageSize < 0 || (textOffset & 3) != 0)
            throw new BootException(q + " has a corrupt header (text_offset 0x" + Long.toHexString(textOffset)
                    + ", image_size 0x" + Long.toHexString(imageSize) + ")");
        return new Arm64Image(name, data, textOffset, imageSize, flags);
    }

    private static byte[] gunzip(String name, byte[] data, long maxSize) throws BootException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(data), 1 << 16)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length * 3);
            byte[] buf = new byte[1 << 16];
            long limit = Math.min(maxSize, Integer.MAX_VALUE - 16);
            for (int n; (n = in.read(buf)) > 0; ) {
                if (out.size() + (long) n > limit)
                    throw new BootException("kernel image '" + name + "' decompresses to more than " + LinuxLoader.size(limit) + ", more than RAM");
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new BootException("kernel image '" + name + "' is a corrupt gzip file: " + e.getMessage());
        }
    }

    private static KernelImage parseElf(String name, byte[] d) throws BootException {
        String q = "'" + name + "'";
        if (d.length < 64) throw new BootException("not an arm64 kernel: " + q + " is a truncated ELF file");
        if (d[4] != 2) throw new BootException("not an arm64 kernel: " + q + " is a 32-bit ELF file");
        if (d[5] != 1) throw new BootException("not an arm64 kernel: " + q + " is a big-endian ELF file");
        ByteBuffer le = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        int machine = le.getShort(18) & 0xffff;
        if (machine != EM_AARCH64) throw new BootException("not an arm64 kernel: " + q + " is an ELF file for " + machineName(machine));
        int type = le.getShort(16) & 0xffff;
        if (type != 2)
            throw new BootException("ELF file " + q + " is not an executable (e_type " + type + (type == 3 ? ", position-independent" : "") + "); jvisor loads ET_EXEC files");
        long entry = le.getLong(24), phoff = le.getLong(32);
        int phentsize = le.getShort(54) & 0xffff, phnum = le.getShort(56) & 0xffff;
        if (phnum == 0 || phentsize < 56 || phoff < 0 || phoff + (long) phnum * phentsize > d.length)
            throw new BootException("ELF file " + q + " has no readable program headers");
        List<Elf.Segment> segs = new ArrayList<>();
        Long entryPhys = null;
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            int ptype = le.getInt(ph);
            if (ptype == 3) throw new BootException("ELF file " + q + " asks for a program interpreter (a Linux program, not a kernel)");
            if (ptype != 1) continue; // PT_LOAD
            long offset = le.getLong(ph + 8), vaddr = le.getLong(ph + 16), paddr = le.getLong(ph + 24);
            long filesz = le.getLong(ph + 32), memsz = le.getLong(ph + 40);
            if (memsz == 0) continue;
            if (filesz < 0 || memsz < 0 || filesz > memsz || offset < 0 || offset + filesz > d.length || offset + filesz < 0)
                throw new BootException("ELF file " + q + " has a corrupt segment (program header " + i + ")");
            segs.add(new Elf.Segment(paddr, (int) offset, (int) filesz, memsz));
            // e_entry is a virtual address; where a segment is linked away from where it loads, follow it there.
            if (entryPhys == null && Long.compareUnsigned(entry - vaddr, memsz) < 0) entryPhys = paddr + (entry - vaddr);
        }
        if (segs.isEmpty()) throw new BootException("ELF file " + q + " has no loadable segments");
        segs.sort(Comparator.comparingLong(s -> s.address()));
        for (int i = 1; i < segs.size(); i++) {
            Elf.Segment a = segs.get(i - 1), b = segs.get(i);
            if (Long.compareUnsigned(a.address() + a.memSize(), b.address()) > 0)
                throw new BootException("ELF file " + q + ": segments overlap at 0x" + Long.toHexString(b.address()));
        }
        if (entryPhys == null)
            throw new BootException("ELF file " + q + ": entry point 0x" + Long.toHexString(entry) + " is in no loadable segment");
        return new Elf(name, d, entryPhys, List.copyOf(segs));
    }

    private static String machineName(int m) {
        return switch (m) {
            case 3 -> "x86 (i386)";
            case 62 -> "x86-64";
            case 40 -> "32-bit Arm";
            case 243 -> "RISC-V";
            case 8 -> "MIPS";
            case 20 -> "PowerPC";
            case 21 -> "64-bit PowerPC";
            case 22 -> "s390";
            default -> "machine " + m;
        } + " (e_machine " + m + ")";
    }
}
