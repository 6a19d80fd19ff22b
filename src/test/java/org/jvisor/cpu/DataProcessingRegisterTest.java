package org.jvisor.cpu;

import static org.jvisor.cpu.DpCheck.assertUndefined;
import static org.jvisor.cpu.DpCheck.check;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * The register data-processing group. Every {@code check} snippet was replayed under
 * {@code qemu-aarch64-static -cpu cortex-a57} from the same zeroed state, and its expected values are
 * QEMU's results (src/test/python/replay_checks.py replays them all and reports any difference).
 */
@NeedsCross
class DataProcessingRegisterTest {
    @Test
    void logicalShiftedRegister64() {
        check("""
                movq x0, 0xff00ff00ff00ff00
                movq x1, 0x0123456789abcdef
                and x2, x0, x1
                bic x3, x0, x1
                orr x4, x0, x1
                orn x5, x0, x1
                eor x6, x0, x1
                eon x7, x0, x1
                and x8, x0, x1, lsl #4
                orr x9, xzr, x1, lsr #63
                eor x10, xzr, x0, asr #63
                orr x11, xzr, x1, ror #63
                mov x12, x1
                mvn x13, x1
                orr x14, xzr, x1, ror #0
                and x15, x0, x0, asr #0
                """, "x2=0x010045008900cd00 x3=0xfe00ba0076003200 x4=0xff23ff67ffabffef x5=0xffdcff98ff54ff10 "
                + "x6=0xfe23ba6776ab32ef x7=0x01dc45988954cd10 nzcv=----");
    }

    @Test
    void logicalShiftedRegister32() {
        check("""
                movq x0, 0xaaaaaaaaff00ff00
                movq x1, 0x5555555589abcdef
                and w2, w0, w1
                bic w3, w0, w1
                orr w4, w0, w1
                orn w5, w0, w1
                eor w6, w0, w1
                eon w7, w0, w1
                orr w8, wzr, w1, lsl #31
                orr w9, wzr, w1, lsr #31
                orr w10, wzr, w1, asr #31
                orr w11, wzr, w1, ror #31
                mov w12, w1
                mvn w13, w1
                orr w14, wzr, w1, ror #4
                """, "w2=0x8900cd00 w3=0x76003200 w4=0xffabffef w5=0xff54ff10 w6=0x76ab32ef w7=0x8954cd10 "
                + "w8=0x80000000 w9=1 w10=0xffffffff w11=0x13579bdf w12=0x89abcdef w13=0x76543210 w14=0xf89abcde");
    }

    @Test
    void logicalShiftedSFormsSetNzAndClearCv() {
        check("movq x0, -1\n cmp x0, x0\n movq x1, 0x8000000000000000\n ands x2, x0, x1", "x2=0x8000000000000000 nzcv=N---");
        check("movq x0, 0x7fffffffffffffff\n cmn x0, x0\n bics x2, x0, x0", "x2=0 nzcv=-Z--");
        check("movq x0, 0xffffffff7fffffff\n tst w0, w0", "nzcv=----");
        check("movq x0, 0x80000000\n tst w0, w0", "nzcv=N---");
        check("movq x0, 0x100000000\n tst w0, w0", "nzcv=-Z--");
        check("movq x0, 0x00000000ffffffff\n movq x1, 0x7fffffff\n bics w2, w0, w1", "w2=0x80000000 nzcv=N---");
        check("movq x0, 1\n tst x0, x0, lsl #63", "nzcv=-Z--");
        check("movq x0, 0x8000000000000001\n tst x0, x0, lsl #63", "nzcv=N---");
    }

    @Test
    void addSubShiftedRegister() {
        check("""
                movq x0, 0x7fffffffffffffff
                movq x1, 1
                add x2, x0, x1
                sub x3, xzr, x1
                add x4, x1, x1, lsl #63
                sub x5, x1, x0, asr #62
                add x6, x0, x0, lsr #63
                neg x7, x1
                add w8, w0, w1
                sub w9, w1, w0, lsl #31
                add w10, w1, w0, asr #31
                sub w11, wzr, w0, lsr #1
                """, "x2=0x8000000000000000 x3=-1 x4=0x8000000000000001 x5=0 x6=0x7fffffffffffffff x7=-1 "
                + "w8=0 w9=0x80000001 w10=0 w11=0x80000001 nzcv=----");
    }

    @Test
    void addsSubsShiftedRegisterFlags() {
        check("movq x0, 0x7fffffffffffffff\n movq x1, 1\n adds x2, x0, x1", "x2=0x8000000000000000 nzcv=N--V");
        check("movq x0, -1\n movq x1, 1\n adds x2, x0, x1", "x2=0 nzcv=-ZC-");
        check("movq x0, 0x8000000000000000\n adds x2, x0, x0", "x2=0 nzcv=-ZCV");
        check("movq x0, 0x8000000000000000\n movq x1, 1\n subs x2, x0, x1", "x2=0x7fffffffffffffff nzcv=--CV");
        check("movq x0, 0\n movq x1, 0x8000000000000000\n subs x2, x0, x1", "x2=0x8000000000000000 nzcv=N--V");
        check("movq x0, 3\n cmp x0, x0", "nzcv=-ZC-");
        check("movq x0, 3\n movq x1, 4\n cmp x0, x1", "nzcv=N---");
        check("movq x0, 4\n movq x1, 1\n cmp x0, x1, lsl #2", "nzcv=-ZC-");
        check("movq x1, 1\n negs x2, x1", "x2=-1 nzcv=N---");
        check("negs x2, xzr", "x2=0 nzcv=-ZC-");
        check("movq x0, 0x8000000000000000\n negs x2, x0", "x2=0x8000000000000000 nzcv=N--V");
        check("movq x0, 0x7fffffff\n movq x1, 1\n adds w2, w0, w1", "w2=0x80000000 nzcv=N--V");
        check("movq x0, 0xffffffff\n movq x1, 1\n adds w2, w0, w1", "w2=0 nzcv=-ZC-");
        check("movq x0, 0x80000000\n movq x1, 1\n subs w2, w0, w1", "w2=0x7fffffff nzcv=--CV");
        check("movq x0, 0x0000000100000000\n cmp w0, wzr", "nzcv=-ZC-");
        check("movq x0, 0xffffffff00000000\n movq x1, 1\n cmp w0, w1", "nzcv=N---");
        check("movq x0, 1\n movq x1, 1\n cmn w0, w1, lsl #31", "nzcv=N---");
    }

    @Test
    void addSubExtendedRegister() {
        check("""
                movq x0, 0x1000
                movq x1, 0xfedcba9876543280
                add x2, x0, w1, uxtb
                add x3, x0, w1, uxth #4
                add x4, x0, w1, uxtw
                add x5, x0, x1, uxtx #1
                add x6, x0, w1, sxtb
                add x7, x0, w1, sxth #2
                add x8, x0, w1, sxtw #3
                add x9, x0, x1, sxtx #4
                sub x10, x0, w1, sxtb
                add w11, w0, w1, sxtb
                sub w12, w0, w1, uxth #1
                add w13, w0, w1, uxtx #2
                """, "x2=0x1080 x3=0x33800 x4=0x76544280 x5=0xfdb97530eca87500 x6=0xf80 x7=0xda00 "
                + "x8=0x3b2a1a400 x9=0xedcba98765433800 x10=0x1080 w11=0xf80 w12=0xffffab00 w13=0xd950da00");
    }

    @Test
    void addSubExtendedRegisterUseSp() {
        check("""
                movq x0, 0x1000
                mov sp, x0
                movq x1, -16
                add sp, sp, x1
                mov x2, sp
                add x3, sp, w1, uxtw
                sub sp, sp, w1, sxtw #4
                mov x4, sp
                add wsp, wsp, w1
                """, "x2=0xff0 x3=0x100000fe0 x4=0x10f0 sp=0x10e0");
        check("""
                movq x0, 0x100
                mov sp, x0
                movq x1, 0x100
                cmp sp, x1
                """, "nzcv=-ZC- sp=0x100");
        check("""
                movq x0, 0x100
                mov sp, x0
                movq x1, 0x101
                subs x2, sp, x1
                adds x3, sp, w1, uxtb #4
                """, "x2=-1 x3=0x110 nzcv=---- sp=0x100");
        check("""
                movq x0, 0x80000000
                mov sp, x0
                cmn wsp, w0, uxtw
                """, "nzcv=-ZCV sp=0x80000000");
    }

    @Test
    void addSubWithCarry() {
        check("""
                movq x0, -1
                movq x1, 1
                adds x2, x0, x1
                adc x3, x1, x1
                adc w4, w0, wzr
                sbc x5, x1, x1
                """, "x2=0 x3=3 w4=0 x5=0 nzcv=-ZC-");
        check("""
                movq x0, -1
                movq x1, 1
                adc x3, x1, x1
                adc w4, w0, wzr
                sbc x5, x1, x1
                sbc w6, wzr, wzr
                ngc x7, x1
                """, "x3=2 w4=0xffffffff x5=-1 w6=0xffffffff x7=-2 nzcv=----");
        check("movq x0, -1\n cmp x0, x0\n adcs x2, x0, xzr", "x2=0 nzcv=-ZC-");
        check("movq x0, 0x7fffffffffffffff\n cmp x0, x0\n adcs x2, x0, xzr", "x2=0x8000000000000000 nzcv=N--V");
        check("movq x0, 0x7fffffffffffffff\n adcs x2, x0, xzr", "x2=0x7fffffffffffffff nzcv=----");
        check("movq x0, 5\n sbcs x2, x0, x0", "x2=-1 nzcv=N---");
        check("movq x0, 5\n cmp x0, x0\n sbcs x2, x0, x0", "x2=0 nzcv=-ZC-");
        check("movq x0, 0x8000000000000000\n sbcs x2, x0, xzr", "x2=0x7fffffffffffffff nzcv=--CV");
        check("movq x0, 0xffffffff\n cmp x0, x0\n adcs w2, w0, wzr", "w2=0 nzcv=-ZC-");
        check("movq x0, 0x7fffffff\n cmp x0, x0\n adcs w2, w0, wzr", "w2=0x80000000 nzcv=N--V");
        check("movq x0, 0x80000000\n sbcs w2, w0, wzr", "w2=0x7fffffff nzcv=--CV");
        check("movq x0, 0xffffffff00000000\n ngcs w2, w0", "w2=0xffffffff nzcv=N---");
    }

    @Test
    void conditionalCompare() {
        // CMP 1,2 leaves N set (LT, NE, MI true; EQ, GE false)
        check("movq x0, 1\n movq x1, 2\n cmp x0, x1\n ccmp x0, x0, #0b0010, lt", "nzcv=-ZC-");
        check("movq x0, 1\n movq x1, 2\n cmp x0, x1\n ccmp x0, x0, #0b0010, ge", "nzcv=--C-");
        check("movq x0, 1\n movq x1, 2\n cmp x0, x1\n ccmp x0, #31, #0b1111, ne", "nzcv=N---");
        check("movq x0, 1\n movq x1, 2\n cmp x0, x1\n ccmp x0, #31, #0b1001, eq", "nzcv=N--V");
        check("movq x0, -5\n cmp x0, x0\n ccmn x0, #5, #0, eq", "nzcv=-ZC-");
        check("movq x0, 0x7fffffffffffffff\n movq x1, 1\n cmp x0, x0\n ccmn x0, x1, #0, al", "nzcv=N--V");
        check("movq x0, 0x7fffffffffffffff\n movq x1, 1\n cmp x0, x0\n ccmn x0, x1, #0b0100, nv", "nzcv=N--V");
        check("movq x0, 0x8000000000000000\n cmp x0, x0\n ccmp x0, #1, #0, hs", "nzcv=--CV");
        check("movq x0, 0xffffffff80000000\n cmp x0, x0\n ccmp w0, #1, #0, eq", "nzcv=--CV");
        check("movq x0, 0x1ffffffff\n cmp x0, x0\n ccmn w0, #1, #0, eq", "nzcv=-ZC-");
        check("movq x0, 0x100000000\n movq x1, 1\n cmp x0, x0\n ccmp w0, w1, #0, eq", "nzcv=N---");
    }

    @Test
    void conditionalSelect() {
        check("""
                movq x0, 10
                movq x1, 20
                cmp x0, x1
                csel x2, x0, x1, lt
                csel x3, x0, x1, ge
                csinc x4, x0, x1, ge
                csinv x5, x0, x1, ge
                csneg x6, x0, x1, ge
                csinc x7, x0, x1, lt
                cset x8, lt
                csetm x9, lt
                cinc x10, x0, ge
                cneg x11, x0, lt
                movq x12, 0xffffffffffffffff
                csinc w13, w0, w12, ge
                csinv w14, w0, wzr, ge
                csneg w15, w0, w1, ge
                csel w16, w12, w1, lt
                csinc x17, x0, x12, ge
                csel x18, x0, x1, al
                csel x19, x0, x1, nv
                """, "x2=10 x3=20 x4=21 x5=-21 x6=-20 x7=10 x8=1 x9=-1 x10=10 x11=-10 w13=0 w14=0xffffffff "
                + "w15=0xffffffec w16=0xffffffff x17=0 x18=10 x19=10 nzcv=N---");
    }

    @Test
    void conditionsOfEveryCode() {
        // after CMP 1, 2: N=1 Z=0 C=0 V=0
        check("""
                movq x0, 1
                movq x1, 2
                cmp x0, x1
                cset x2, eq
                cset x3, ne
                cset x4, hs
                cset x5, lo
                cset x6, mi
                cset x7, pl
                cset x8, vs
                cset x9, vc
                cset x10, hi
                cset x11, ls
                cset x12, ge
                cset x13, lt
                cset x14, gt
                cset x15, le
                """, "x2=0 x3=1 x4=0 x5=1 x6=1 x7=0 x8=0 x9=1 x10=0 x11=1 x12=0 x13=1 x14=0 x15=1 nzcv=N---");
        // after CMP INT64_MIN, 1: N=0 Z=0 C=1 V=1
        check("""
                movq x0, 0x8000000000000000
                cmp x0, #1
                cset x2, eq
                cset x3, ne
                cset x4, hs
                cset x5, lo
                cset x6, mi
                cset x7, pl
                cset x8, vs
                cset x9, vc
                cset x10, hi
                cset x11, ls
                cset x12, ge
                cset x13, lt
                cset x14, gt
                cset x15, le
                """, "x2=0 x3=1 x4=1 x5=0 x6=0 x7=1 x8=1 x9=0 x10=1 x11=0 x12=0 x13=1 x14=0 x15=1 nzcv=--CV");
    }

    @Test
    void oneSource() {
        check("""
                movq x0, 0x0123456789abcdef
                rbit x1, x0
                rbit w2, w0
                rev16 x3, x0
                rev16 w4, w0
                rev32 x5, x0
                rev w6, w0
                rev x7, x0
                clz x8, x0
                clz w9, w0
                cls x10, x0
                cls w11, w0
                clz x12, xzr
                clz w13, wzr
                cls x14, xzr
                cls w15, wzr
                movq x16, -1
                cls x17, x16
                cls w18, w16
                clz x19, x16
                movq x20, 0x8000000000000001
                cls x21, x20
                clz w22, w20
                cls w23, w20
                movq x24, 0x00000000c0000000
                cls w25, w24
                cls x26, x24
                """, "x1=0xf7b3d591e6a2c480 w2=0xf7b3d591 x3=0x23016745ab89efcd w4=0xab89efcd x5=0x67452301efcdab89 "
                + "w6=0xefcdab89 x7=0xefcdab8967452301 x8=7 w9=0 x10=6 w11=0 x12=64 w13=32 x14=63 w15=31 "
                + "x17=63 w18=31 x19=0 x21=0 w22=31 w23=30 w25=1 x26=31");
    }

    @Test
    void divide() {
        check("""
                movq x0, 100
                movq x1, 7
                movq x2, -100
                udiv x3, x0, x1
                sdiv x4, x2, x1
                udiv x5, x0, xzr
                sdiv x6, x2, xzr
                movq x7, 0x8000000000000000
                movq x8, -1
                sdiv x9, x7, x8
                udiv x10, x8, x1
                udiv x11, x7, x8
                udiv w12, w8, w1
                sdiv w13, w2, w1
                movq x14, 0x80000000
                sdiv w15, w14, w8
                sdiv w16, w2, wzr
                udiv w17, w8, wzr
                sdiv x18, x0, x2
                """, "x3=14 x4=-14 x5=0 x6=0 x9=0x8000000000000000 x10=0x2492492492492492 x11=0 w12=0x24924924 "
                + "w13=0xfffffff2 w15=0x80000000 w16=0 w17=0 x18=-1");
    }

    @Test
    void variableShifts() {
        check("""
                movq x0, 0x8000000000000001
                movq x1, 63
                movq x2, 64
                movq x3, 65
                movq x4, 32
                movq x5, 31
                lsl x6, x0, x1
                lsr x7, x0, x1
                asr x8, x0, x1
                ror x9, x0, x1
                lsl x10, x0, x2
                lsr x11, x0, x3
                asr x12, x0, x3
                ror x13, x0, x4
                lsl w14, w0, w5
                lsr w15, w0, w4
                asr w16, w0, w3
                ror w17, w0, w5
                movq x18, 0x80000000
                asr w19, w18, w5
                lsr w20, w18, w5
                ror w21, w18, w4
                """, "x6=0x8000000000000000 x7=1 x8=-1 x9=3 x10=0x8000000000000001 x11=0x4000000000000000 "
                + "x12=0xc000000000000000 x13=0x0000000180000000 w14=0x80000000 w15=1 w16=0 w17=2 w19=0xffffffff "
                + "w20=1 w21=0x80000000");
    }

    @Test
    void crc32() {
        // "123456789" check values: CRC-32 0xcbf43926, CRC-32C 0xe3069283 (with the usual ~ before and after)
        check("""
                movq x0, 0x3837363534333231
                movq x1, 0x39
                movn w2, #0
                crc32x w2, w2, x0
                crc32b w2, w2, w1
                mvn w2, w2
                movn w3, #0
                crc32cx w3, w3, x0
                crc32cb w3, w3, w1
                mvn w3, w3
                movn w4, #0
                movq x5, 0x34333231
                crc32w w4, w4, w5
                movq x5, 0x3635
                crc32h w4, w4, w5
                movq x5, 0xff37
                crc32b w4, w4, w5
                movq x5, 0x3938
                crc32h w4, w4, w5
                mvn w4, w4
                movn w6, #0
                movq x5, 0xffffffff34333231
                crc32cw w6, w6, w5
                movq x5, 0x3635
                crc32ch w6, w6, w5
                movq x5, 0x3837
                crc32ch w6, w6, w5
                crc32cb w6, w6, w1
                mvn w6, w6
                movq x7, 0xffffffff00000000
                crc32b w8, w7, w7
                movq x9, 0x123456789
                crc32cw w10, w9, w7
                """, "w2=0xcbf43926 w3=0xe3069283 w4=0xcbf43926 w6=0xe3069283 w8=0 w10=0xbaa25d40");
    }

    @Test
    void multiply() {
        check("""
                movq x0, 0x0123456789abcdef
                movq x1, 0xfedcba9876543210
                movq x2, 100
                movq x3, -1
                madd x4, x0, x1, x2
                msub x5, x0, x1, x2
                mul x6, x0, x1
                mneg x7, x0, x1
                madd w8, w0, w1, w2
                msub w9, w0, w1, w2
                smaddl x10, w3, w3, x2
                smsubl x11, w0, w1, x2
                umaddl x12, w3, w3, x2
                umsubl x13, w0, w1, x2
                smulh x14, x0, x1
                umulh x15, x0, x1
                smulh x16, x3, x3
                umulh x17, x3, x3
                smull x18, w0, w1
                umull x19, w0, w1
                movq x20, 0x8000000000000000
                smulh x21, x20, x20
                umulh x22, x20, x20
                smulh x23, x20, x3
                mul w24, w3, w3
                """, "x4=0x2236d88fe5618d54 x5=0xddc927701a9e7374 x6=0x2236d88fe5618cf0 x7=0xddc927701a9e7310 "
                + "w8=0xe5618d54 w9=0x1a9e7374 x10=101 x11=0x36b1b9d81a9e7374 x12=0xfffffffe00000065 "
                + "x13=0xc05d87c81a9e7374 x14=0xfffeb49923cc0953 x15=0x0121fa00ad77d742 x16=0 x17=0xfffffffffffffffe "
                + "x18=0xc94e4627e5618cf0 x19=0x3fa27837e5618cf0 x21=0x4000000000000000 x22=0x4000000000000000 "
                + "x23=0 w24=1");
    }

    @Test
    void reservedRegisterEncodingsAreUndefined() {
        assertUndefined(0x0a008000); // AND (shifted) 32-bit with imm6=32
        assertUndefined(0x2a3f8000); // ORN 32-bit with imm6=32
        assertUndefined(0x8bc00000); // ADD (shifted) with shift=ROR
        assertUndefined(0x6bc00000); // SUBS (shifted) 32-bit with shift=ROR
        assertUndefined(0x0b008000); // ADD (shifted) 32-bit with imm6=32
        assertUndefined(0x8b205400); // ADD (extended) with shift=5
        assertUndefined(0x8b20fc00); // ADD (extended) with shift=7
        assertUndefined(0x8b600000); // add/sub extended with opt=01
        assertUndefined(0x5ac00c00); // REV (64-bit opcode) with sf=0
        assertUndefined(0xdac10000); // one-source opcode2=00001 (PAC: not implemented)
        assertUndefined(0xdac01800); // one-source opcode 000110
        assertUndefined(0x3ac00000); // one-source with S=1
        assertUndefined(0x1ac04c00); // CRC32X with sf=0
        assertUndefined(0x9ac04000); // CRC32B with sf=1
    }

    @Test
    void moreReservedRegisterEncodingsAreUndefined() {
        assertUndefined(0x9ac00000); // two-source opcode 000000
        assertUndefined(0x9ac03000); // two-source opcode 001100
        assertUndefined(0xbac00800); // two-source with S=1
        assertUndefined(0x1b200000); // SMADDL with sf=0
        assertUndefined(0x1b400000); // SMULH with sf=0
        assertUndefined(0x9b408000); // SMULH with o0=1
        assertUndefined(0x9bc08000); // UMULH with o0=1
        assertUndefined(0x9b600000); // three-source op31=011
        assertUndefined(0xbb000000); // three-source op54=01
        assertUndefined(0xfa400400); // CCMP with o2=1
        assertUndefined(0xfa400010); // CCMP with o3=1
        assertUndefined(0xda400000); // CCMP with S=0
        assertUndefined(0x3a800000); // CSEL with S=1
        assertUndefined(0x1a800800); // conditional select op2=10
        assertUndefined(0x9a000400); // ADC with opcode2 != 0
    }

    @Test
    void crcIsUndefinedWithoutTheFeature() {
        Features f = Features.cortexA57();
        f.crc32 = false;
        PhysicalBus bus = new PhysicalBus();
        bus.addRam(TestMachine.RAM_BASE, Ram.allocate(1 << 20));
        Cpu cpu = new Cpu(bus, f);
        byte[] code = Asm.assemble("""
                crc32b w0, w1, w2
                hvc #0
                .balign 0x800
                .skip 0x200
                hvc #1
                """, TestMachine.RAM_BASE);
        bus.writeBytes(TestMachine.RAM_BASE, code);
        cpu.pc = TestMachine.RAM_BASE;
        cpu.sr.vbar[1] = TestMachine.RAM_BASE + 0x800;
        assertEquals(ExitReason.EL2_TRAP, cpu.run(1000));
        assertEquals(1, cpu.sr.esr[2] & 0xffff);
        assertEquals(0x02000000L, cpu.sr.esr[1]);
    }
}
