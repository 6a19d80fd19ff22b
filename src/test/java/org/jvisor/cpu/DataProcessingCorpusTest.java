package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Replays dp-qemu-corpus.txt: random data-processing words (from the encoding tables, and from anywhere
 * in the data-processing spaces for the unallocated ones) run once from a random register state under
 * {@code qemu-aarch64-static -cpu cortex-a57}; jvisor must produce the same registers, NZCV and SP, and
 * take Undefined Instruction exactly where QEMU raised SIGILL. Regenerate with src/test/python/dp_corpus.py.
 */
@NeedsCross
class DataProcessingCorpusTest {
    private static final long[] EDGE = {0, 1, 2, -1, 0x7fffffffL, 0x80000000L, 0xffffffffL, 0x100000000L,
            Long.MAX_VALUE, Long.MIN_VALUE, 0xffffffff80000000L, 0xffffffff7fffffffL, 31, 32, 63, 64};
    private static final long VECTORS = TestMachine.RAM_BASE + 0x100000;

    @Test
    void matchesQemuOnTheCorpus() throws IOException {
        List<String> lines = corpus();
        assertTrue(lines.size() > 1000, "corpus is missing");
        TestMachine m = new TestMachine();
        m.bus.writeBytes(VECTORS, Asm.assemble(".skip 0x200\nhvc #1\n", VECTORS));
        List<String> failures = new ArrayList<>();
        int slot = 0;
        for (String line : lines) {
            String[] f = line.split(" ");
            int word = (int) Long.parseLong(f[0], 16);
            long seed = Long.parseLong(f[1], 16);
            long pc = TestMachine.RAM_BASE + 8L * slot++; // a fresh address each: no stale decoded code
            m.bus.writeBytes(pc, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(word).putInt(0xd4000002 /* hvc #0 */).array());
            Cpu c = m.cpu;
            c.setElAndSpSel(1, 1);
            c.sr.vbar[1] = VECTORS;
            c.sr.hcrEl2 = 0;
            long[] in = state(seed);
            System.arraycopy(in, 0, c.x, 0, 31);
            c.setNzcv((int) in[31]);
            c.sp = in[32];
            c.pc = pc;
            assertEquals(ExitReason.EL2_TRAP, c.run(10));
            boolean undef = (c.sr.esr[2] & 0xffff) == 1;
            String got;
            if (undef) {
                got = "UNDEF";
            } else {
                StringBuilder sb = new StringBuilder("nzcv=" + Integer.toHexString(c.nzcv()));
                long sp = c.getSpEl(1);
                if (sp != in[32]) sb.append(" sp=").append(Long.toHexString(sp));
                for (int r = 0; r < 31; r++)
                    if (c.x[r] != in[r]) sb.append(" x").append(r).append('=').append(Long.toHexString(c.x[r]));
                got = sb.toString();
            }
            String want = line.substring(f[0].length() + f[1].length() + 2);
            if (!got.equals(want) && failures.size() < 20)
                failures.add(String.format("%08x (%s) seed %s: QEMU %s, jvisor %s", word, Decoder.nameOf(word), f[1], want, got));
        }
        assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
    }

    private static List<String> corpus() throws IOException {
        return QemuCorpus.load("dp-qemu-corpus.txt");
    }

    /** X0-X30, NZCV, SP from a seed, exactly as dp_corpus.py expands it. */
    static long[] state(long seed) {
        long[] g = {seed};
        long[] s = new long[33];
        for (int r = 0; r < 31; r++) s[r] = value(g);
        s[31] = next(g) & 15;
        s[32] = value(g);
        return s;
    }

    private static long value(long[] g) {
        long v = next(g);
        int kind = (int) (v & 7);
        if (kind <= 2) return EDGE[(int) Long.remainderUnsigned(v >>> 8, EDGE.length)];
        if (kind == 3) return (v >>> 8) & 63;
        if (kind == 4) return ((v >>> 8) & 0xffffffffL) | (v < 0 ? 0xffffffff00000000L : 0);
        return next(g);
    }

    /** splitmix64 */
    private static long next(long[] g) {
        long z = (g[0] += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
