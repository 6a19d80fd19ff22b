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
 * Replays simdfp-qemu-corpus.txt: Advanced SIMD floating-point words (from SimdFloat's encoding table, and
 * their unallocated and FEAT_FP16 neighbours) run once from V registers full of edge values and a random
 * FPCR under {@code qemu-aarch64-static -cpu cortex-a57}; jvisor must produce the same V registers and FPSR,
 * and take Undefined Instruction exactly where QEMU raised SIGILL. Regenerate with
 * src/test/python/simdfp_corpus.py.
 */
@NeedsCross
class SimdFloatCorpusTest {
    static final long[] F32 = {0x00000000, 0x80000000L, 0x3f800000, 0xbf800000L, 0x7f800000, 0xff800000L, 0x7fc00000,
            0x7fc12345, 0xffc54321L, 0x7f812345, 0xff800001L, 0x00000001, 0x807fffffL, 0x00800000, 0x80800000L,
            0x7f7fffff, 0xff7fffffL, 0x3f000000, 0x3fc00000, 0x40200000, 0xc0200000L, 0xbfc00000L, 0x40400000,
            0x4f000000, 0xcf000000L, 0x4f800000, 0x5f000000, 0xdf000000L, 0x5f800000, 0x3eaaaaab, 0x3f7fffff,
            0x00400000, 0x4effffff, 0xceffffffL, 0x4b7fffff, 0x40000000, 0x0001e240, 0x3c00_3c00, 0x7c00_fc00L,
            0x7e01_0001, 0x7d00_8001, 0x7bff_0400};
    static final long[] F64 = {0x0000000000000000L, 0x8000000000000000L, 0x3ff0000000000000L, 0xbff0000000000000L,
            0x7ff0000000000000L, 0xfff0000000000000L, 0x7ff8000000000000L, 0x7ff8000000012345L, 0xfff8000000054321L,
            0x7ff0000000012345L, 0xfff0000000000001L, 0x0000000000000001L, 0x800fffffffffffffL, 0x0010000000000000L,
            0x7fefffffffffffffL, 0x3fe0000000000000L, 0x3ff8000000000000L, 0x4004000000000000L, 0xc004000000000000L,
            0x41dfffffffc00000L, 0x41e0000000000000L, 0xc1e0000000000000L, 0x41f0000000000000L, 0x43e0000000000000L,
            0xc3e0000000000000L, 0x43f0000000000000L, 0x3fd5555555555555L, 0x47efffffe0000000L, 0x47efffff10000000L,
            0x36a0000000000000L, 0x3810000000000000L, 0x380fffffffffffffL, 0x0008000000000000L, 0x4330000000000001L,
            0x7fffffffffffffffL};
    private static final long VECTORS = TestMachine.RAM_BASE + 0x100000;

    @Test
    void matchesQemuOnTheCorpus() throws IOException {
        List<String> lines = corpus();
        assertTrue(lines.size() > 1000, "corpus is missing");
        TestMachine m = new TestMachine();
        m.bus.writeBytes(VECTORS, Asm.assemble(".skip 0x200\nhvc #1\n", VECTORS));
        List<String> failures = new ArrayList<>();
        int slot = 0, failed = 0;
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
            c.sr.cpacrEl1 = 3L << 20;
            long[] in = state(seed);
            System.arraycopy(in, 0, c.vreg, 0, 64);
            c.fpcr = (int) in[64];
            c.fpsr = 0;
            c.pc = pc;
            String got;
            try {
                assertEquals(ExitReason.EL2_TRAP, c.run(10));
                if ((c.sr.esr[2] & 0xffff) == 1) {
                    got = "UNDEF";
                } else {
                    StringBuilder sb = new StringBuilder("fpsr=" + Integer.toHexString(c.fpsr));
                    for (int r = 0; r < 32; r++)
                        if (c.vreg[2 * r] != in[2 * r] || c.vreg[2 * r + 1] != in[2 * r + 1])
                            sb.append(String.format(" v%d=%016x%016x", r, c.vreg[2 * r + 1], c.vreg[2 * r]));
                    got = sb.toString();
                }
            } catch (RuntimeException e) {
                got = e.toString();
            }
            String want = line.substring(f[0].length() + f[1].length() + 2);
            if (!got.equals(want)) {
                failed++;
                if (failures.size() < 30)
                    failures.add(String.format("%08x (%s) seed %s fpcr %x: QEMU %s, jvisor %s", word, Decoder.nameOf(word),
                            f[1], in[64], want, got));
            }
        }
        int n = failed;
        assertTrue(failures.isEmpty(), () -> n + " of " + lines.size() + " differ:\n" + String.join("\n", failures));
    }

    private static List<String> corpus() throws IOException {
        return QemuCorpus.load("simdfp-qemu-corpus.txt");
    }

    /** V0-V31 (64 halves, low first) and FPCR from a seed, exactly as simdfp_corpus.py expands it. */
    static long[] state(long seed) {
        long[] g = {seed};
        long[] s = new long[65];
        for (int i = 0; i < 64; i++) s[i] = half(g);
        long r = next(g);
        long fpcr = (((r >>> 2) & 1) != 0 ? r & 3 : 0) << 22;
        if (((r >>> 3) & 3) == 0) fpcr |= 1L << 24;
        if (((r >>> 5) & 3) == 0) fpcr |= 1L << 25;
        if (((r >>> 7) & 3) == 0) fpcr |= 1L << 26;
        s[64] = fpcr;
        return s;
    }

    private static long moderate32(long w) {
        return (w & 0x807fffffL) | ((119 + ((w >>> 23) & 31)) << 23);
    }

    private static long half(long[] g) {
        long v = next(g);
        int kind = (int) (v & 7);
        if (kind <= 1) return F32[pick(v >>> 8, F32.length)] | (F32[pick(v >>> 24, F32.length)] << 32);
        if (kind == 2) return F64[pick(v >>> 8, F64.length)];
        long w = next(g);
        if (kind == 3) return moderate32(w & 0xffffffffL) | (moderate32(w >>> 32) << 32);
        if (kind == 4) return (w & 0x800fffffffffffffL) | ((1015 + ((w >>> 52) & 63)) << 52);
        if (kind == 5) return (F32[pick(v >>> 8, F32.length)] << 32) | moderate32(w & 0xffffffffL);
        return w;
    }

    private static int pick(long v, int n) { return (int) Long.remainderUnsigned(v, n); }

    /** splitmix64 */
    private static long next(long[] g) {
        long z = (g[0] += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
