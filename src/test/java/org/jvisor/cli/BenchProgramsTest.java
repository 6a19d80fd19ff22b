package org.jvisor.cli;

import org.jvisor.lab.BenchPrograms;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;

class BenchProgramsTest {
    @Test
    void wordsAreWhatTheAssemblerMakesOfTheListedAssembly() {
        for (BenchPrograms.Loop loop : BenchPrograms.LOOPS) {
            for (boolean linux : new boolean[] {false, true}) {
                long n = 0x5678_1234L;
                byte[] expected = Asm.assemble(BenchPrograms.source(loop, n, linux), BenchPrograms.CODE_VA);
                assertArrayEquals(expected, BenchPrograms.code(loop, n, linux), loop.name() + (linux ? " (Linux)" : " (jvisor)"));
            }
        }
    }

    /** The loops compute the same x3 in jvisor (EL1, MMU on) as under qemu-aarch64 (its exit status). */
    @Test
    void jvisorComputesWhatQemuComputes(@TempDir Path dir) throws Exception {
        BenchCommand.Machine m = new BenchCommand.Machine();
        for (BenchPrograms.Loop loop : BenchPrograms.LOOPS) {
            for (long n : new long[] {1, 1000, 70_000}) {
                long[] r = m.run(loop, n);
                // 7 prologue instructions, the loop, and the HVC (which may or may not count as retired)
                long loopInsns = n * loop.perIteration() + 7;
                assertTrue(r[0] == loopInsns || r[0] == loopInsns + 1, "instructions retired: " + r[0]);
                Path elf = BenchCommand.writeElf(dir.resolve(loop.perIteration() + "-" + n), loop, n);
                long[] q = BenchCommand.runQemu("qemu-aarch64-static", elf);
                assertEquals(q[1], r[2] & 0xff, loop.name() + " x " + n + ": x3=0x" + Long.toHexString(r[2]));
            }
        }
    }

    @Test
    void benchCommandRuns() {
        assertEquals(0, Main.execute("bench", "--iterations", "1000", "--runs", "1", "--warmup", "0"));
        // each mode's loops compute what QEMU's do (else a MISMATCH line and status 1)
        assertEquals(0, Main.execute("bench", "--iterations", "1000", "--runs", "1", "--warmup", "0", "--translate", "off,on,force"));
    }
}
