package org.jvisor.cpu;

import static org.jvisor.cpu.DpCheck.assertUndefined;
import static org.jvisor.cpu.DpCheck.check;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * The immediate data-processing group. Every {@code check} snippet was replayed under
 * {@code qemu-aarch64-static -cpu cortex-a57} from the same zeroed state, and its expected values are
 * QEMU's results (src/test/python/replay_checks.py replays them all and reports any difference).
 */
@NeedsCross
class DataProcessingImmediateTest {
    @Test
    void addAndSubImmediateWrap() {
        check("""
                movq x0, -1
                add x1, x0, #1
                add x2, x0, #1, lsl #12
                sub x3, x9, #4095
                sub x4, x0, #1, lsl #12
                add x5, x0, #4095, lsl #12
                """, "x1=0 x2=0xfff x3=-4095 x4=0xffffffffffffefff x5=0xffefff nzcv=----");
    }

    @Test
    void addImmediateWRegistersZeroTheUpperHalf() {
        check("""
                movq x0, 0xffffffff00000005
                add w1, w0, #1
                movq x2, 0x12345678ffffffff
                add w3, w2, #2
                sub w4, w9, #1
                sub w5, w0, #6
                """, "w1=6 w3=1 w4=0xffffffff w5=0xffffffff");
    }

    @Test
    void addSubImmediateUseSpForRdAndRn() {
        check("""
                movq x0, 0x1000
                mov sp, x0
                add sp, sp, #0x10
                mov x1, sp
                sub sp, sp, #1, lsl #12
                add x2, sp, #0
                add w3, wsp, #1
                """, "x1=0x1010 x2=0x10 w3=0x11 sp=0x10");
        check("""
                movq x0, 0x1234567800000ff0
                add wsp, w0, #0x10
                mov x1, sp
                """, "x1=0x1000 sp=0x1000");
    }

    @Test
    void addsAndSubsImmediateSetFlags64() {
        check("movq x0, 0x7fffffffffffffff\n adds x1, x0, #1", "x1=0x8000000000000000 nzcv=N--V");
        check("movq x0, -1\n adds x1, x0, #1", "x1=0 nzcv=-ZC-");
        check("adds x1, x2, #0", "x1=0 nzcv=-Z--");
        check("subs x1, x2, #0", "x1=0 nzcv=-ZC-");
        check("subs x1, x2, #1", "x1=-1 nzcv=N---");
        check("movq x0, 0x8000000000000000\n subs x1, x0, #1", "x1=0x7fffffffffffffff nzcv=--CV");
        check("movq x0, -1\n subs x1, x0, #4095, lsl #12", "x1=0xffffffffff000fff nzcv=N-C-");
        check("movq x0, 5\n cmp x0, #6", "x0=5 nzcv=N---");
        check("movq x0, -6\n cmn x0, #6", "nzcv=-ZC-");
    }

    @Test
    void addsAndSubsImmediateSetFlags32() {
        check("movq x0, 0x7fffffff\n adds w1, w0, #1", "w1=0x80000000 nzcv=N--V");
        check("movq x0, 0xffffffffffffffff\n adds w1, w0, #1", "w1=0 nzcv=-ZC-");
        check("movq x0, 0x80000000\n subs w1, w0, #1", "w1=0x7fffffff nzcv=--CV");
        check("movq x0, 0xffffffff00000005\n subs w1, w0, #5", "w1=0 nzcv=-ZC-");
        check("movq x0, 0x100000000\n cmp w0, #1", "nzcv=N---");
        check("subs w1, w2, #1", "w1=0xffffffff nzcv=N---");
    }

    @Test
    void compareImmediateReadsSpButWritesXzr() {
        check("""
                movq x0, 0x100
                mov sp, x0
                cmp sp, #0x100
                """, "nzcv=-ZC- sp=0x100");
        check("""
                movq x0, 0x80000000
                mov sp, x0
                cmn wsp, #0
                """, "nzcv=N--- sp=0x80000000");
        // SUBS with Rd=31 writes XZR: the other registers and SP stay as they were.
        check("""
                movq x0, 0x200
                mov sp, x0
                subs xzr, sp, #0x200
                adds xzr, x0, #1
                mov x1, sp
                """, "x1=0x200 x0=0x200 nzcv=----");
    }

    @Test
    void logicalImmediate64() {
        check("""
                movq x0, -1
                and x1, x0, #0xff
                and x2, x0, #0x5555555555555555
                orr x3, xzr, #0x0f0f0f0f0f0f0f0f
                eor x4, x0, #0xffff0000ffff0000
                orr x5, xzr, #0x8000000000000001
                and x6, x0, #0x1111111111111111
                orr x7, xzr, #0x00ff00ff00ff00ff
                eor x8, xzr, #0x7ffffffffffffffe
                orr x9, xzr, #0x0101010101010101
                orr x10, xzr, #0xfffffffffffffffe
                """, "x1=0xff x2=0x5555555555555555 x3=0x0f0f0f0f0f0f0f0f x4=0x0000ffff0000ffff "
                + "x5=0x8000000000000001 x6=0x1111111111111111 x7=0x00ff00ff00ff00ff x8=0x7ffffffffffffffe "
                + "x9=0x0101010101010101 x10=0xfffffffffffffffe nzcv=----");
    }

    @Test
    void logicalImmediate32ZeroesTheUpperHalf() {
        check("""
                movq x0, -1
                and w1, w0, #0xff00ff00
                orr w2, wzr, #0x80000000
                eor w3, w0, #1
                orr w4, w0, #0x3
                movq x5, 0xaaaaaaaa55555555
                eor w5, w5, #0xffff
                orr w6, wzr, #0x80000001
                """, "w1=0xff00ff00 w2=0x80000000 w3=0xfffffffe w4=0xffffffff w5=0x5555aaaa w6=0x80000001");
    }

    @Test
    void andsImmediateSetsNzAndClearsCv() {
        // CMP 0,0 first sets Z and C; the logical S form must clear C (and V).
        check("cmp x0, #0\n movq x0, -1\n ands x1, x0, #0x8000000000000000", "x1=0x8000000000000000 nzcv=N---");
        check("movq x0, 0x7fffffffffffffff\n adds xzr, x0, #1\n ands x1, xzr, #1", "x1=0 nzcv=-Z--");
        check("movq x0, 0xffffffff7fffffff\n ands w1, w0, #0x80000000", "w1=0 nzcv=-Z--");
        check("movq x0, 0xffffffff\n ands w1, w0, #0x80000000", "w1=0x80000000 nzcv=N---");
        check("movq x0, 0x100\n tst x0, #0x100", "nzcv=----");
    }

    @Test
    void logicalImmediateWritesSpExceptAnds() {
        check("orr sp, xzr, #0x1000\n mov x1, sp", "x1=0x1000 sp=0x1000");
        check("movq x0, -1\n and wsp, w0, #0xfff0", "sp=0xfff0");
        check("movq x0, 0x10\n mov sp, x0\n eor sp, x0, #0x3000", "sp=0x3010");
        check("movq x0, 0x10\n mov sp, x0\n ands xzr, x0, #0x10", "sp=0x10 nzcv=----");
    }

    @Test
    void moveWide() {
        check("""
                movn w0, #0
                movn x1, #0
                movz x2, #0xffff, lsl #48
                movq x3, -1
                movk x3, #0x1234, lsl #16
                movk w4, #0xbeef
                movn x5, #0x1234, lsl #32
                movq x6, -1
                movk w6, #0x5678, lsl #16
                movn w7, #0xffff, lsl #16
                """, "w0=0xffffffff x1=-1 x2=0xffff000000000000 x3=0xffffffff1234ffff w4=0xbeef "
                + "x5=0xffffedcbffffffff w6=0x5678ffff w7=0xffff");
    }

    @Test
    void bitfieldShiftAliases() {
        check("""
                movq x0, 0x8123456789abcdef
                lsl x1, x0, #4
                lsr x2, x0, #60
                asr x3, x0, #60
                lsl x4, x0, #63
                asr x5, x0, #63
                lsr x6, x0, #63
                lsl w7, w0, #31
                asr w8, w0, #31
                lsr w9, w0, #0
                lsr w10, w0, #31
                asr w11, w0, #4
                lsl x12, x0, #0
                """, "x1=0x123456789abcdef0 x2=8 x3=0xfffffffffffffff8 x4=0x8000000000000000 x5=-1 x6=1 "
                + "w7=0x80000000 w8=0xffffffff w9=0x89abcdef w10=1 w11=0xf89abcde x12=0x8123456789abcdef");
    }

    @Test
    void bitfieldExtendAliases() {
        check("""
                movq x0, 0x0000000080008080
                sxtb x1, w0
                sxth x2, w0
                sxtw x3, w0
                uxtb w4, w0
                uxth w5, w0
                sxtb w6, w0
                sxth w7, w0
                movq x8, 0x7f
                sxtb x9, w8
                """, "x1=0xffffffffffffff80 x2=0xffffffffffff8080 x3=0xffffffff80008080 w4=0x80 w5=0x8080 "
                + "w6=0xffffff80 w7=0xffff8080 x9=0x7f");
    }

    @Test
    void bitfieldExtractAndInsert() {
        check("""
                movq x0, 0xfedcba9876543210
                ubfx x1, x0, #8, #16
                sbfx x2, x0, #60, #4
                sbfx x3, x0, #0, #4
                ubfiz x4, x0, #56, #8
                sbfiz x5, x0, #4, #8
                movq x6, 0x1111111111111111
                bfi x6, x0, #8, #8
                movq x7, 0x1111111111111111
                bfxil x7, x0, #60, #4
                movq x8, -1
                bfi w8, w0, #28, #4
                movq x9, -1
                bfxil w9, w0, #0, #16
                ubfx w10, w0, #31, #1
                sbfx w11, w0, #28, #4
                sbfiz w12, w0, #31, #1
                movq x13, 0x1111111111111111
                bfi x13, x0, #0, #64
                sbfx x14, x0, #0, #64
                """, "x1=0x5432 x2=0xffffffffffffffff x3=0 x4=0x1000000000000000 x5=0x0000000000000100 "
                + "x6=0x1111111111111011 x7=0x111111111111111f w8=0x0fffffff w9=0xffff3210 w10=0 "
                + "w11=0x00000007 w12=0 x13=0xfedcba9876543210 x14=0xfedcba9876543210");
        check("""
                movq x0, 0x00000000000000f5
                ubfiz x1, x0, #56, #8
                sbfiz x2, x0, #4, #8
                sbfiz w3, w0, #28, #4
                sbfiz x4, x0, #62, #2
                sbfx w5, w0, #4, #4
                """, "x1=0xf500000000000000 x2=0xffffffffffffff50 w3=0x50000000 x4=0x4000000000000000 "
                + "w5=0xffffffff");
    }

    @Test
    void extract() {
        check("""
                movq x2, 0x0123456789abcdef
                movq x3, 0xfedcba9876543210
                extr x1, x2, x3, #0
                extr x4, x2, x3, #63
                extr x5, x2, x3, #8
                ror x6, x2, #8
                extr w7, w2, w3, #31
                extr w8, w2, w3, #0
                ror w9, w2, #4
                ror x10, x2, #0
                """, "x1=0xfedcba9876543210 x4=0x02468acf13579bdf x5=0xeffedcba98765432 x6=0xef0123456789abcd "
                + "w7=0x13579bde w8=0x76543210 w9=0xf89abcde x10=0x0123456789abcdef");
    }

    @Test
    void adrAndAdrpAreRelativeToTheInstruction() {
        TestMachine m = new TestMachine().load("""
                nop
                adr x0, .
                adr x1, . + 0xfffff
                adr x2, . - 0x100000
                adrp x3, .
                adrp x4, . + 0x12345000
                adrp x5, . - 0x100000000
                adr x6, 1f
                1: hvc #0
                """);
        assertEquals(0, m.runToHvc());
        long b = TestMachine.RAM_BASE;
        assertEquals(b + 4, m.x(0));
        assertEquals(b + 8 + 0xfffff, m.x(1));
        assertEquals(b + 12 - 0x100000, m.x(2));
        assertEquals(b, m.x(3));
        assertEquals(b + 0x12345000, m.x(4));
        assertEquals(b - 0x100000000L, m.x(5));
        assertEquals(b + 32, m.x(6));
    }

    @Test
    void adrpMasksTheLow12BitsOfThePc() {
        TestMachine m = new TestMachine().load("""
                b 1f
                .balign 0x800
                1: adrp x0, .
                adrp x1, . + 0xfff
                adrp x2, . + 0x1000
                hvc #0
                """);
        assertEquals(0, m.runToHvc());
        long b = TestMachine.RAM_BASE;
        assertEquals(b, m.x(0));
        assertEquals(b + 0x1000, m.x(1)); // . is b+0x804: + 0xfff crosses into the next page
        assertEquals(b + 0x1000, m.x(2));
    }

    @Test
    void reservedLogicalImmediatesAreUndefined() {
        assertUndefined(0x12400000); // AND (immediate) 32-bit with N=1
        assertUndefined(0x9240fc00); // N=1, imms=111111: an all-ones 64-bit element
        assertUndefined(0x9200f400); // N=0, imms=111101: an all-ones 2-bit element
        assertUndefined(0x9200f800); // N=0, imms=11111x: no element size
        assertUndefined(0x9200fc00);
        assertUndefined(0x1200f800);
        assertUndefined(0x32007c00); // ORR 32-bit, imms=011111: all-ones 32-bit element
        assertUndefined(0xf240fc1f); // ANDS (TST) with an all-ones element
    }

    @Test
    void bitfieldAndExtractConsistencyChecks() {
        assertUndefined(0x93000000); // SBFM sf=1 N=0
        assertUndefined(0xb3000000); // BFM sf=1 N=0
        assertUndefined(0xd3000000); // UBFM sf=1 N=0
        assertUndefined(0x13400000); // SBFM sf=0 N=1
        assertUndefined(0x53200000); // UBFM sf=0 immr=32
        assertUndefined(0x33008000); // BFM sf=0 imms=32
        assertUndefined(0x73000000); // opc=11: unallocated
        assertUndefined(0x93800000); // EXTR sf=1 N=0
        assertUndefined(0x13c00000); // EXTR sf=0 N=1
        assertUndefined(0x13808000); // EXTR sf=0 imms=32
        assertUndefined(0x13a00000); // EXTR op21=01
        assertUndefined(0x93e00000); // EXTR o0=1
        assertUndefined(0x52c00000); // MOVZ sf=0 hw=2
        assertUndefined(0x12e00000); // MOVN sf=0 hw=3
        assertUndefined(0x72a00000 | (1 << 22)); // MOVK sf=0 hw=3
        assertUndefined(0x32800000); // move wide opc=01 is unallocated
        assertUndefined(0x91800000); // ADD (immediate) with bit 23 set (ADDG, MTE: not implemented)
    }

    @Test
    void decodeBitMasksMatchesEveryRotatedRunOfOnes() {
        // Independent construction: a run of s ones in an e-bit element, rotated right by r, replicated.
        long[] expected = new long[1 << 13];
        for (int e = 2; e <= 64; e <<= 1) {
            for (int s = 1; s < e; s++) {
                for (int immr = 0; immr < 64; immr++) {
                    int r = immr & (e - 1);
                    long elem = 0;
                    for (int i = 0; i < s; i++) elem |= 1L << ((i - r + e) % e);
                    long v = 0;
                    for (int k = 0; k < 64; k += e) v |= elem << k;
                    int nbit = e == 64 ? 1 : 0;
                    int imms = ((~(2 * e - 1)) & 0x3f) | (s - 1);
                    if (e == 64) imms = s - 1;
                    expected[(nbit << 12) | (immr << 6) | imms] = v;
                }
            }
        }
        for (int k = 0; k < expected.length; k++) {
            int fk = k;
            assertEquals(expected[k], Alu.decodeBitMasks(k >>> 12, k & 0x3f, (k >>> 6) & 0x3f),
                    () -> String.format("N=%d immr=%d imms=%d", fk >>> 12, (fk >>> 6) & 0x3f, fk & 0x3f));
        }
    }
}
