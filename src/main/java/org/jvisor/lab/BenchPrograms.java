package org.jvisor.lab;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The benchmark loops as fixed A64 instruction words (so {@code jvisor bench} needs no cross tools), each
 * with its assembly; BenchProgramsTest checks the words against the GNU assembler. A program is the
 * prologue (iteration count in x0, buffer address in x1), one loop, and an epilogue: {@code hvc #0} for
 * jvisor, or the Linux {@code exit(x3)} system call for qemu-aarch64. The result of every loop is in x3.
 */
public final class BenchPrograms {
    /** Where the code is loaded (virtual address) in both jvisor and the Linux ELF; the buffer follows. */
    public static final long CODE_VA = 0x4001_0000L, BUFFER_VA = 0x4002_0000L, BUFFER_SIZE = 0x1_0000L;

    /** A loop: its name, its instructions (words and assembly), and how many it retires per iteration. */
    public record Loop(String name, String description, int[] words, String[] asm) {
        public int perIteration() { return words.length; }
    }

    static final int MOVZ_X0 = 0xd2800000, MOVK_X0_LSL16 = 0xf2a00000;

    /** movz x0, #count[15:0]; movk x0, #count[31:16], lsl #16; x1 = buffer; x2, x3, x5 = 0. */
    static final String[] PROLOGUE_ASM = {
            "movz x0, #0", "movk x0, #0, lsl #16", "movz x1, #0x0000", "movk x1, #0x4002, lsl #16",
            "mov x2, #0", "mov x3, #0", "mov x5, #0"};
    static final int[] PROLOGUE = {MOVZ_X0, MOVK_X0_LSL16, 0xd2800001, 0xf2a80041, 0xd2800002, 0xd2800003, 0xd2800005};

    public static final Loop INTEGER = new Loop("integer", "adds, logical ops, shifts, compare, select, branch",
            new int[] {
                    0x8b000042, // 1: add  x2, x2, x0
                    0xcac21c63, //    eor  x3, x3, x2, ror #7
                    0x92009c64, //    and  x4, x3, #0xff00ff00ff00ff
                    0xaa050485, //    orr  x5, x4, x5, lsl #1
                    0xd343fca6, //    lsr  x6, x5, #3
                    0xcb0200c7, //    sub  x7, x6, x2
                    0xeb0300ff, //    cmp  x7, x3
                    0x9a8330e3, //    csel x3, x7, x3, lo
                    0xf1000400, //    subs x0, x0, #1
                    0x54fffee1, //    b.ne 1b
            },
            new String[] {"1: add x2, x2, x0", "eor x3, x3, x2, ror #7", "and x4, x3, #0xff00ff00ff00ff",
                    "orr x5, x4, x5, lsl #1", "lsr x6, x5, #3", "sub x7, x6, x2", "cmp x7, x3", "csel x3, x7, x3, lo",
                    "subs x0, x0, #1", "b.ne 1b"});

    public static final Loop LOAD_STORE = new Loop("load/store", "LDP, STP, LDRB, LDR (register) over a 64 KiB buffer, plus arithmetic",
            new int[] {
                    0x927c2c44, // 1: and  x4, x2, #0xfff0      (a 16-byte slot of the 64 KiB buffer)
                    0x8b040025, //    add  x5, x1, x4
                    0xa9401ca6, //    ldp  x6, x7, [x5]
                    0x8b0200c6, //    add  x6, x6, x2
                    0xca460ce7, //    eor  x7, x7, x6, lsr #3
                    0xa90018a7, //    stp  x7, x6, [x5]
                    0x39400ca8, //    ldrb w8, [x5, #3]
                    0xb8646829, //    ldr  w9, [x1, x4]
                    0x8b080063, //    add  x3, x3, x8
                    0x8b090063, //    add  x3, x3, x9
                    0x9107c042, //    add  x2, x2, #0x1f0       (31 slots on: visits all 4096 slots)
                    0xf1000400, //    subs x0, x0, #1
                    0x54fffe81, //    b.ne 1b
            },
            new String[] {"1: and x4, x2, #0xfff0", "add x5, x1, x4", "ldp x6, x7, [x5]", "add x6, x6, x2",
                    "eor x7, x7, x6, lsr #3", "stp x7, x6, [x5]", "ldrb w8, [x5, #3]", "ldr w9, [x1, x4]",
                    "add x3, x3, x8", "add x3, x3, x9", "add x2, x2, #0x1f0", "subs x0, x0, #1", "b.ne 1b"});

    public static final Loop[] LOOPS = {INTEGER, LOAD_STORE};

    /** hvc #0 */
    static final int[] EPILOGUE_JVISOR = {0xd4000002};
    static final String[] EPILOGUE_JVISOR_ASM = {"hvc #0"};
    /** mov x0, x3; mov x8, #93 (exit); svc #0 */
    static final int[] EPILOGUE_LINUX = {0xaa0303e0, 0xd2800ba8, 0xd4000001};
    static final String[] EPILOGUE_LINUX_ASM = {"mov x0, x3", "mov x8, #93", "svc #0"};

    private BenchPrograms() {}

    /** The program's code for jvisor ({@code linux} false) or Linux, running {@code iterations} (1 to 2^32-1) times. */
    public static byte[] code(Loop loop, long iterations, boolean linux) {
        if (iterations < 1 || iterations > 0xffff_ffffL) throw new IllegalArgumentException("iterations out of range: " + iterations);
        int[] epi = linux ? EPILOGUE_LINUX : EPILOGUE_JVISOR;
        ByteBuffer b = ByteBuffer.allocate(4 * (PROLOGUE.length + loop.words.length + epi.length)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < PROLOGUE.length; i++) {
            int w = PROLOGUE[i];
            if (i == 0) w |= (int) (iterations & 0xffff) << 5;
            if (i == 1) w |= (int) ((iterations >>> 16) & 0xffff) << 5;
            b.putInt(w);
        }
        for (int w : loop.words) b.putInt(w);
        for (int w : epi) b.putInt(w);
        return b.array();
    }

    /** The whole program as assembly (for the test that checks the words against the assembler). */
    public static String source(Loop loop, long iterations, boolean linux) {
        StringBuilder s = new StringBuilder();
        s.append(String.format("movz x0, #0x%x%n", iterations & 0xffff));
        s.append(String.format("movk x0, #0x%x, lsl #16%n", (iterations >>> 16) & 0xffff));
        for (int i = 2; i < PROLOGUE_ASM.length; i++) s.append(PROLOGUE_ASM[i]).append('\n');
        for (String l : loop.asm) s.append(l).append('\n');
        for (String l : linux ? EPILOGUE_LINUX_ASM : EPILOGUE_JVISOR_ASM) s.append(l).append('\n');
        return s.toString();
    }

    /**
     * A static AArch64 Linux executable: one read/write/execute PT_LOAD segment at {@link #CODE_VA} holding
     * the code, whose zero-filled tail covers the buffer.
     */
    public static byte[] linuxElf(Loop loop, long iterations) {
        byte[] code = code(loop, iterations, true);
        int codeOffset = 0x1000;
        ByteBuffer h = ByteBuffer.allocate(codeOffset).order(ByteOrder.LITTLE_ENDIAN);
        h.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0}); // ELFCLASS64, little-endian, version 1, SysV
        h.position(16);
        h.putShort((short) 2); // ET_EXEC
        h.putShort((short) 183); // EM_AARCH64
        h.putInt(1);
        h.putLong(CODE_VA); // e_entry
        h.putLong(64); // e_phoff
        h.putLong(0); // e_shoff
        h.putInt(0); // e_flags
        h.putShort((short) 64); // e_ehsize
        h.putShort((short) 56); // e_phentsize
        h.putShort((short) 1); // e_phnum
        h.putShort((short) 64); // e_shentsize
        h.putShort((short) 0); // e_shnum
        h.putShort((short) 0); // e_shstrndx
        h.putInt(1); // PT_LOAD
        h.putInt(7); // PF_R | PF_W | PF_X
        h.putLong(codeOffset); // p_offset
        h.putLong(CODE_VA); // p_vaddr
        h.putLong(CODE_VA); // p_paddr
        h.putLong(code.length); // p_filesz
        h.putLong(BUFFER_VA + BUFFER_SIZE - CODE_VA); // p_memsz
        h.putLong(0x1000); // p_align
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(h.array());
        out.writeBytes(code);
        return out.toByteArray();
    }
}
