package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Reserved encodings of the SIMD load/store, permute and crypto groups are Undefined (binutils' objdump
 * agrees they are unallocated), ahead of the FP access trap; allocated ones trap with EC 0x07 while
 * CPACR_EL1.FPEN disables FP.
 */
@NeedsCross
class SimdEncodingTest {
    static final String[] RESERVED = {
            "0x0C408C20", // ld2 {v0.1d, v1.1d}: size 11 with Q=0 and more than one element per structure
            "0x0C401020", // load/store multiple structures, opcode 0001
            "0x7DC00020", // ldr with size 01 and opc 11 (no 256-bit register)
            "0xED400020", // ldp (SIMD&FP) with opc 11
            "0xDC000040", // ldr (literal, SIMD&FP) with opc 11
            "0x0EC03800", // zip1 .1d
            "0x4E000800", // permute opcode 000
            "0x2E004000", // ext .8b with index 8
            "0x4E000400", // dup (element) with imm5 00000
            "0x0E080C00", // dup v0.1d, x0
            "0x0E042C00", // smov w0, v0.s[0]
            "0x4E013C00", // umov x0, v0.b[0]
            "0x4EE00800", // rev64 .2d
            "0x4E601800", // rev16 .8h
            "0x6EA00800", // rev32 .4s
            "0x4E605800", // cnt .8h
            "0x6EE04800", // clz .2d
            "0x4F00FC00", // fmov v0.8h, #2.0 (FEAT_FP16, not implemented)
            "0x2F00F400", // fmov .1d (op 1, cmode 1111, Q=0)
            "0x5E007000", // crypto three-register SHA, opcode 111
            "0x0D404400", // ld1 {v0.h}[0] with size<0> set
            "0x0D40D000", // ld1r with S set
            "0x0D00C000", // "st1r"
            "0x0D409400", // ld1 {v0.d}[x] with S set
    };

    @Test
    void reservedEncodingsAreUndefinedBeforeTheFpTrap() {
        for (long cpacr : new long[] {3L << 20, 0}) {
            for (String insn : RESERVED) {
                TestMachine m = LoadStoreTest.machine(".inst " + insn);
                m.cpu.x[1] = LoadStoreTest.DATA;
                m.cpu.sr.cpacrEl1 = cpacr;
                assertEquals(1, m.runToHvc(), insn);
                assertEquals(Esr.encode(Esr.EC_UNKNOWN, 0), m.cpu.sr.esr[1], insn);
            }
        }
    }

    @Test
    void everyGroupTrapsWhenFpIsDisabled() {
        String[] insns = {"ldr q0, [x1]", "str b0, [x1, #1]", "ldp d0, d1, [x1]", "ld1 {v0.16b}, [x1]", "st4 {v0.s-v3.s}[1], [x1]",
                "ld3r {v0.8b-v2.8b}, [x1]", "zip1 v0.4s, v1.4s, v2.4s", "tbl v0.8b, {v1.16b}, v2.8b", "umov w0, v1.b[3]",
                "movi v0.2d, #0", "eor v0.16b, v0.16b, v0.16b", "cnt v0.8b, v0.8b", "aese v0.16b, v1.16b",
                "sha256h q0, q1, v2.4s", "pmull v0.1q, v1.1d, v2.1d"};
        Features crypto = Features.cortexA57();
        crypto.aes = crypto.pmull = crypto.sha1 = crypto.sha2 = true;
        for (String insn : insns) {
            TestMachine m = LoadStoreTest.machine(new TestMachine(crypto).normalMemory(), ".arch_extension crypto\n" + insn);
            m.cpu.x[1] = LoadStoreTest.DATA;
            assertEquals(1, m.runToHvc(), insn);
            assertEquals(Esr.encode(Esr.EC_FP_ASIMD, Esr.ISS_COND_ALWAYS), m.cpu.sr.esr[1], insn);
            assertEquals(LoadStoreTest.DATA, m.cpu.x[1], insn);
        }
    }

    @Test
    void cryptoIsUndefinedUnlessAdvertised() {
        String[] insns = {"aese v0.16b, v1.16b", "aesimc v0.16b, v1.16b", "sha1h s0, s1", "sha1c q0, s1, v2.4s",
                "sha256su0 v0.4s, v1.4s", "sha256h2 q0, q1, v2.4s", "pmull2 v0.1q, v1.2d, v2.2d"};
        for (String insn : insns) {
            TestMachine m = LoadStoreTest.machine(new TestMachine(new Features()).normalMemory(), ".arch_extension crypto\n" + insn);
            m.cpu.sr.cpacrEl1 = 3L << 20;
            assertEquals(1, m.runToHvc(), insn);
            assertEquals(Esr.encode(Esr.EC_UNKNOWN, 0), m.cpu.sr.esr[1], insn);
        }
    }
}
