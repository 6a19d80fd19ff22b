package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.simd.FpCore;
import org.jvisor.cpu.simd.SimdInteger;

/**
 * Replays simd-int-qemu-corpus.txt: random Advanced SIMD integer words (from SimdInteger's encodings,
 * fields random, so reserved sizes and arrangements are in) run once from random V registers and FPSR.QC
 * under {@code qemu-aarch64-static -cpu cortex-a57}; jvisor must produce the same V registers and FPSR,
 * and take Undefined Instruction exactly where QEMU raised SIGILL. Regenerate with
 * src/test/python/simd_int_corpus.py.
 */
class SimdIntegerCorpusTest {
    private static final long VECTORS = TestMachine.RAM_BASE + 0xC00000; // above the code slots of large corpora

    @Test
    void matchesQemuOnTheCorpus() throws IOException {
        List<String> lines = corpus();
        assertTrue(lines.size() > 1000, "corpus is missing");
        TestMachine m = new TestMachine();
        m.bus.writeBytes(VECTORS, Asm.assemble(".skip 0x200\nhvc #1\n", VECTORS));
        List<String> failures = new ArrayList<>();
        int slot = 0, checked = 0;
        for (String line : lines) {
            String[] f = line.split(" ");
            int word = (int) Long.parseLong(f[0], 16);
            int op = Decoder.decode(word);
            if (op != Decoder.UNALLOCATED && (op >>> 12) != Executor.G_SIMD_INT) continue; // another group's
            checked++;
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
            c.fpsr = (int) in[64];
            c.fpcr = 0;
            c.pc = pc;
            assertEquals(ExitReason.EL2_TRAP, c.run(10));
            boolean undef = (c.sr.esr[2] & 0xffff) == 1;
            String got;
            if (undef) {
                got = "UNDEF";
            } else {
                StringBuilder sb = new StringBuilder("fpsr=" + Integer.toHexString(c.fpsr));
                for (int r = 0; r < 32; r++)
                    if (c.vreg[2 * r] != in[2 * r] || c.vreg[2 * r + 1] != in[2 * r + 1])
                        sb.append(String.format(" v%d=%016x%016x", r, c.vreg[2 * r + 1], c.vreg[2 * r]));
                got = sb.toString();
            }
            String want = line.substring(f[0].length() + f[1].length() + 2);
            if (!got.equals(want) && failures.size() < 40)
                failures.add(String.format("%08x (%s) seed %s: QEMU %s, jvisor %s", word, Decoder.nameOf(word), f[1], want, got));
        }
        assertTrue(checked > 1000, "too few corpus words are SIMD integer ones");
        assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
    }

    private static List<String> corpus() throws IOException {
        return QemuCorpus.load("simd-int-qemu-corpus.txt");
    }

    /** V0-V31 (64 halves, low first) and FPSR from a seed, exactly as simd_int_corpus.py expands it. */
    static long[] state(long seed) {
        long[] g = {seed};
        long[] s = new long[65];
        for (int i = 0; i < 64; i++) s[i] = word(g);
        s[64] = (next(g) & 3) == 0 ? FpCore.QC : 0;
        return s;
    }

    private static long word(long[] g) {
        long v = next(g);
        if ((v & 3) == 0) return next(g);
        int esize = 8 << ((v >>> 2) & 3);
        long mask = -1L >>> (64 - esize), min = 1L << (esize - 1);
        long w = 0;
        for (int i = 0; i < 64 / esize; i++) {
            long r = next(g);
            long e = switch ((int) (r & 7)) {
                case 0 -> 0;
                case 1 -> 1;
                case 2 -> mask;
                case 3 -> min;
                case 4 -> min - 1;
                case 5 -> (Long.remainderUnsigned(r >>> 8, 141) - 70) & mask;
                case 6 -> min + 1;
                default -> (r >>> 8) & mask;
            };
            w |= e << (i * esize);
        }
        return w;
    }

    /** splitmix64 */
    private static long next(long[] g) {
        long z = (g[0] += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
