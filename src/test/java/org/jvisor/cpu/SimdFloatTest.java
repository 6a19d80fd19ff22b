package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Advanced SIMD floating point: the snippets of simdfp-qemu-cases.txt (NaN payloads and signs, the operand
 * order of pairwise instructions, the FMAXV tree, FCVTN2/FCVTL2 halves, FCVTXN's round to odd, AHP, FZ,
 * DN, FRINT and FCVT in each rounding mode, fixed point, by-element forms, estimates) run from a zeroed
 * state and must leave X0-X7, Q0-Q7, NZCV and FPSR as they were under {@code qemu-aarch64-static -cpu
 * cortex-a57} (regenerate with src/test/python/simdfp_cases.py). SimdFloatCorpusTest covers every
 * encoding with random edge values.
 */
@NeedsCross
class SimdFloatTest {
    @Test
    void snippetsLeaveTheStateQemuLeaves() throws IOException {
        QemuCorpus.replaySnippets("simdfp-qemu-cases.txt");
    }

    @Test
    void everyFormTrapsWhenFpIsDisabled() {
        String[] insns = {"fadd v0.4s, v1.4s, v2.4s", "fmulx s0, s1, s2", "faddp v0.2d, v1.2d, v2.2d", "faddp d0, v1.2d",
                "fabs v0.2s, v1.2s", "fcvtzs d0, d1", "fmaxv s0, v1.4s", "fmla v0.4s, v1.4s, v2.s[3]",
                "fmul d0, d1, v2.d[1]", "scvtf v0.2d, v1.2d, #3", "ucvtf s0, s1, #5", "fcvtl2 v0.2d, v1.4s",
                "fcvtxn s0, d1", "urecpe v0.4s, v1.4s"};
        for (String insn : insns) {
            TestMachine m = LoadStoreTest.machine(new TestMachine(), insn);
            m.cpu.vreg[2] = 0x3f800000;
            LoadStoreTest.expectException(m, Esr.EC_FP_ASIMD, Esr.ISS_COND_ALWAYS);
            assertEquals(LoadStoreTest.BODY, m.cpu.sr.elr[1], insn);
            assertEquals(0, m.cpu.vreg[0], insn);
        }
    }

    @Test
    void reservedFormsAreUndefinedBeforeTheFpTrap() {
        // objdump calls these undefined (or FEAT_FP16/FEAT_FHM, not implemented); QEMU -cpu cortex-a57: SIGILL.
        int[] words = {
                0x0E60D400, // fadd .1d (sz=1, Q=0)
                0x0EE1D800, // frecpe .1d
                0x0EE0F800, // fabs .1d
                0x2E216800, // fcvtxn with sz=0
                0x7E216800, // fcvtxn (scalar) with sz=0
                0x6E70F800, // fmaxv with sz=1
                0x2E30F800, // fmaxv with Q=0
                0x4FE01000, // fmla (by element) .2d with L=1
                0x5FE01000, // fmla (scalar, by element) d with L=1
                0x0F40E400, // scvtf (fixed point) .1d
                0x4EE1C800, // urecpe with sz=1
                0x0E401400, // fadd v0.4h (FEAT_FP16)
                0x0F10E400, // scvtf v0.4h, #16 (FEAT_FP16)
                0x0E20EC00, // fmlal (FEAT_FHM)
        };
        for (long cpacr : new long[] {3L << 20, 0}) {
            for (int w : words) {
                TestMachine m = LoadStoreTest.machine(new TestMachine(), ".inst 0x" + Integer.toHexString(w));
                m.cpu.sr.cpacrEl1 = cpacr;
                LoadStoreTest.expectException(m, Esr.EC_UNKNOWN, 0);
            }
        }
    }

}
