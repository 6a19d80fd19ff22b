package org.jvisor.vmm;

import java.nio.ByteBuffer;

/**
 * The PE/COFF header of an arm64 Image built with the EFI stub, read for one fact: how long the file is.
 *
 * <p>booting.rst's 64-byte header cannot say it: image_size is the memory the kernel needs, BSS and
 * initial page tables included (Debian's 6.1: 0x2010000 bytes, from a 0x1f6da00-byte file), and there is
 * no file-size field. An Image built with the EFI stub (every distribution kernel) carries a PE/COFF
 * header for the firmware: booting.rst says code0 is then "MZ" and the u32 at 0x3c (res5) the offset of
 * the "PE\0\0" signature; arch/arm64/kernel/efi-header.S writes a section table whose last section,
 * .data, has PointerToRawData + SizeOfRawData = _edata - _head, which is exactly where the Image file
 * ({@code objcopy -O binary} of vmlinux) ends. The firmware loads those bytes from the file, so a file
 * that ends before them is a truncated Image (e.g. the first 1 MiB of one). Anything after them (a
 * signature that sbsign appended) is allowed. Field offsets are those of the PE format specification.
 */
final class EfiStubHeader {
    private static final int RES5 = 0x3c, PE_SIGNATURE = 0x00004550; // "PE\0\0"
    private static final int COFF_HEADER = 4, SECTION_SIZE = 40;

    private EfiStubHeader() {}

    /**
     * The length the Image's file must have according to its PE/COFF header: the end of the furthest
     * section's raw data, or of the headers and section table if they reach further (a file that ends
     * inside them is truncated too). -1 when the Image has no PE/COFF header (a kernel without the EFI
     * stub), whose length nothing in the file tells.
     */
    static long requiredLength(ByteBuffer le) {
        int n = le.limit();
        if (n < RES5 + 4 || le.get(0) != 'M' || le.get(1) != 'Z') return -1;
        long pe = Integer.toUnsignedLong(le.getInt(RES5));
        if (pe == 0) return -1; // res5 is 0 without the EFI stub
        long coffEnd = pe + COFF_HEADER + 20;
        if (coffEnd > n) return coffEnd;
        if (le.getInt((int) pe) != PE_SIGNATURE) return -1; // not a PE header: no length to hold the file to
        int sections = Short.toUnsignedInt(le.getShort((int) pe + COFF_HEADER + 2));
        int optionalSize = Short.toUnsignedInt(le.getShort((int) pe + COFF_HEADER + 16));
        long table = coffEnd + optionalSize, end = table + (long) SECTION_SIZE * sections;
        if (end > n) return end;
        // SizeOfHeaders, at 60 in the PE32+ optional header: the firmware reads that much from the file too.
        if (optionalSize >= 64) end = Math.max(end, Integer.toUnsignedLong(le.getInt((int) coffEnd + 60)));
        for (int i = 0; i < sections; i++) {
            int s = (int) (table + (long) SECTION_SIZE * i);
            long rawSize = Integer.toUnsignedLong(le.getInt(s + 16)), rawPointer = Integer.toUnsignedLong(le.getInt(s + 20));
            if (rawSize != 0) end = Math.max(end, rawPointer + rawSize);
        }
        return end;
    }
}
