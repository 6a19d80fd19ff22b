package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Scalar FP instructions: the snippets of fp-scalar-qemu.txt (FMOV in all its forms, arithmetic in each
 * rounding mode, FZ and DN, the FMADD family's NaN signs, FCVT with AHP, FRINT*, FCMP/FCCMP/FCSEL,
 * conversions to and from integers and fixed point) run from a zeroed state; X0-X7, Q0-Q7, NZCV and FPSR
 * must be what they were under {@code qemu-aarch64-static -cpu cortex-a57}. Regenerate the file with
 * src/test/python/fp_scalar_cases.py.
 */
@NeedsCross
class FpScalarTest {
    @Test
    void snippetsLeaveTheStateQemuLeaves() throws IOException {
        QemuCorpus.replaySnippets("fp-scalar-qemu.txt");
    }

    @Test
    void fpInstructionsTrapWhenCpacrFpenIsOff() {
        for (String insn : new String[] {"fadd s0, s1, s2", "fmov d0, x1", "fcvtzs w0, d1", "fmadd d0, d1, d2, d3",
                "fcmp s0, #0.0", "fcvt h0, s1", "fmov s0, #1.0", "scvtf d0, x1, #3"}) {
            TestMachine m = LoadStoreTest.machine(new TestMachine(), insn);
            m.cpu.sr.cpacrEl1 = 0;
            LoadStoreTest.expectException(m, Esr.EC_FP_ASIMD, Esr.ISS_COND_ALWAYS);
            assertEquals(LoadStoreTest.BODY, m.cpu.sr.elr[1], insn);
        }
    }

    @Test
    void halfPrecisionArithmeticAndReservedFormsAreUndefined() {
        // FEAT_FP16 is not implemented: type=11 is unallocated outside FCVT (QEMU -cpu cortex-a57: SIGILL).
        int[] words = {
                0x1EE22820, // fadd h0, h1, h2
                0x1EE60020, // fmov w0, h1
                0x1EE1C020, // fsqrt h0, h1
                0x1E26C020, // FRINT with rmode 101
                0x1E224020, // fcvt with opc == type (S to S)
                0x1E7E0020, // FJCVTZS (FEAT_JSCVT)
                0x1E021020, // scvtf s0, w1 with sf=0 and scale<32: reserved
                0x1EA20020, // type=10 conversion
        };
        for (int w : words) {
            TestMachine m = LoadStoreTest.machine(new TestMachine(), ".inst 0x" + Integer.toHexString(w));
            m.cpu.sr.cpacrEl1 = 0; // undefined wins over the FP trap
            LoadStoreTest.expectException(m, Esr.EC_UNKNOWN, 0);
        }
    }

}
