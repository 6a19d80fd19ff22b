package org.jvisor.difftest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes a static ELF64 AArch64 executable with PT_LOAD segments for code (R-X), data and the signal stack
 * (RW-) and the probe page (R--), no sections.
 */
final class ElfWriter {
    private static final int EHDR = 64, PHDR = 56, PAGE = 0x1000;

    private ElfWriter() {}

    static byte[] write(Layout l) {
        byte[] code = l.codeBytes();
        int codeOff = PAGE;
        int dataOff = codeOff + roundUp(code.length);
        int probeOff = dataOff + roundUp(l.data.length);
        ByteBuffer b = ByteBuffer.allocate(probeOff + Layout.PROBE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* little-endian */, 1 /* version */, 0 /* SysV */});
        b.position(16);
        b.putShort((short) 2); // ET_EXEC
        b.putShort((short) 183); // EM_AARCH64
        b.putInt(1);
        b.putLong(l.entry);
        b.putLong(EHDR); // e_phoff
        b.putLong(0); // e_shoff
        b.putInt(0); // e_flags
        b.putShort((short) EHDR);
        b.putShort((short) PHDR);
        b.putShort((short) 4);
        b.putShort((short) 64); // e_shentsize
        b.putShort((short) 0);
        b.putShort((short) 0);
        phdr(b, 5 /* R+X */, codeOff, Layout.CODE_BASE, code.length, code.length);
        phdr(b, 6 /* R+W */, dataOff, Layout.DATA_BASE, l.data.length, l.dataMemSize());
        phdr(b, 6, 0, Layout.ALTSTACK_BASE, 0, Layout.ALTSTACK_SIZE);
        phdr(b, 4 /* R */, probeOff, Layout.PROBE_BASE, Layout.PROBE_SIZE, Layout.PROBE_SIZE);
        b.position(codeOff);
        b.put(code);
        b.position(dataOff);
        b.put(l.data);
        b.position(probeOff);
        b.put(Layout.probeBytes());
        return b.array();
    }

    private static void phdr(ByteBuffer b, int flags, long off, long vaddr, long filesz, long memsz) {
        b.putInt(1); // PT_LOAD
        b.putInt(flags);
        b.putLong(off);
        b.putLong(vaddr);
        b.putLong(vaddr);
        b.putLong(filesz);
        b.putLong(memsz);
        b.putLong(PAGE);
    }

    static int roundUp(long v) {
        return (int) ((v + PAGE - 1) & ~(PAGE - 1L));
    }
}
