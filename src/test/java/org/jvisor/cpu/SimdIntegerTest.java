package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.simd.SimdInteger;
import org.jvisor.testing.NeedsCross;

/**
 * Advanced SIMD integer instructions on edge values (INT_MIN/MAX lanes, saturation and FPSR.QC, shifts
 * by 0, by the element size and by negative register amounts, rounding), snippets from
 * src/test/python/simd_int_cases.txt with the registers QEMU (qemu-aarch64-static -cpu cortex-a57) produced, via
 * src/test/python/qemu_simd_ref.py --java. The random corpus (SimdIntegerCorpusTest) covers every encoding.
 */
@NeedsCross
class SimdIntegerTest {
    @Test
    void encodingsClaimNoOtherGroupsWords() {
        List<String> clashes = new ArrayList<>();
        for (int g = 1; g < Executor.GROUPS.length; g++) {
            if (g == Executor.G_SIMD_INT || Executor.GROUPS[g] == null) continue;
            for (Encoding mine : SimdInteger.ENCODINGS)
                for (Encoding other : Executor.GROUPS[g])
                    if (((mine.value() ^ other.value()) & mine.mask() & other.mask()) == 0)
                        clashes.add(mine.name() + " " + mine.pattern() + " / " + other.name() + " " + other.pattern());
        }
        assertTrue(clashes.isEmpty(), () -> String.join("\n", clashes));
    }

    @Test
    void trapsWhenFpIsDisabledAndReservedFormsAreUndefinedFirst() {
        String[] allocated = {"add v0.4s, v1.4s, v2.4s", "sqadd b0, b1, b2", "saddl v0.8h, v1.8b, v2.8b", "abs v0.2d, v1.2d",
                "sshr v0.4s, v1.4s, #3", "addv b0, v1.16b", "mul v0.8h, v1.8h, v2.h[3]", "sqdmulh s0, s1, v2.s[1]"};
        for (String insn : allocated) {
            TestMachine m = LoadStoreTest.machine(insn);
            m.cpu.sr.cpacrEl1 = 0;
            assertEquals(1, m.runToHvc(), insn);
            assertEquals(Esr.encode(Esr.EC_FP_ASIMD, Esr.ISS_COND_ALWAYS), m.cpu.sr.esr[1], insn);
        }
        String[] reserved = {
                "0x0EE08400", // add .1d (size 11, Q=0)
                "0x4EE09C00", // mul .2d
                "0x6E609C00", // pmul .8h
                "0x4E20B400", // sqdmulh .16b
                "0x0EE0BC00", // addp .1d
                "0x5E208400", // add b (scalar add is D only)
                "0x4EE00000", // saddl with size 11
                "0x0E209000", // sqdmlal .8h from .8b (size 00)
                "0x0E60E000", // pmull .4s from .4h (size 01: neither 8-bit nor 1Q)
                "0x0EE0B800", // abs .1d
                "0x4EE02800", // saddlp with size 11
                "0x0EB1B800", // addv .2s
                "0x4EF1B800", // addv .2d
                "0x0F400400", // sshr .1d (immh 1xxx, Q=0)
                "0x4F408400", // shrn from .2d... to 128-bit elements (immh 1xxx)
                "0x5F100400", // sshr s (scalar shift right is D only)
                "0x5F409400", // sqshrn d (immh 1xxx)
                "0x0F008000", // mul by element with size 00
                "0x0FC08000", // mul by element with size 11
                "0x5E20B400", // sqdmulh b (scalar)
        };
        for (long cpacr : new long[] {3L << 20, 0}) {
            for (String insn : reserved) {
                TestMachine m = LoadStoreTest.machine(".inst " + insn);
                m.cpu.sr.cpacrEl1 = cpacr;
                assertEquals(1, m.runToHvc(), insn);
                assertEquals(Esr.encode(Esr.EC_UNKNOWN, 0), m.cpu.sr.esr[1], insn);
            }
        }
    }

    @Test
    void saturatingAddSubSetQc() {
        SimdTesting.check("""
                mov w1, #0x7fffffff
                dup v1.4s, w1
                mov w2, #0x80000000
                dup v2.4s, w2
                msr fpsr, xzr
                mrs x5, fpsr
                sqadd v3.4s, v1.4s, v1.4s
                mrs x3, fpsr
                msr fpsr, xzr
                sqsub v4.4s, v2.4s, v1.4s
                uqadd v5.16b, v1.16b, v2.16b
                uqsub v6.8h, v2.8h, v1.8h
                sqadd b7, b1, b1
                sqadd d8, d1, d2
                uqadd d9, d1, d1
                sqsub h10, h2, h1
                mrs x4, fpsr
                """, "v3=7fffffff7fffffff7fffffff7fffffff v4=80000000800000008000000080000000 v5=ffffffffffffffffffffffffffffffff v6=00010000000100000001000000010000 v7=000000000000000000000000000000fe v8=0000000000000000ffffffffffffffff v9=0000000000000000fffffffefffffffe v10=00000000000000000000000000000001 x3=0000000008000000 x4=0000000008000000 x5=0000000000000000");
    }

    @Test
    void noSaturationLeavesQcClear() {
        SimdTesting.check("""
                msr fpsr, xzr
                movi v1.8h, #1
                sqadd v2.8h, v1.8h, v1.8h
                uqsub v3.4s, v1.4s, v1.4s
                mrs x1, fpsr
                """, "v2=00020002000200020002000200020002 v3=00000000000000000000000000000000 x1=0000000000000000");
    }

    @Test
    void halvingAndRoundingHalvingAdds() {
        SimdTesting.check("""
                shadd v1.16b, v20.16b, v21.16b
                uhadd v2.8h, v20.8h, v21.8h
                srhadd v3.4s, v20.4s, v21.4s
                urhadd v4.8b, v20.8b, v21.8b
                shsub v5.4h, v20.4h, v21.4h
                uhsub v6.4s, v20.4s, v21.4s
                """, "v1=1ef9542f0ae5c01bf6512c07e2bd18f3 v2=9e79542f8a65c09b76512c8762bd9873 v3=1e79542f0a65c09bf6512c87e2bd9873 v4=000000000000000076512c8762bd9873 v5=000000000000000057d8d858d7d857d8 v6=d7d7d7d85857d7d8d7d7d85857d7d7d8");
    }

    @Test
    void compares() {
        SimdTesting.check("""
                cmgt v1.16b, v20.16b, v21.16b
                cmhi v2.8h, v20.8h, v21.8h
                cmge v3.4s, v20.4s, v20.4s
                cmhs v4.2d, v20.2d, v21.2d
                cmeq v5.8b, v20.8b, v20.8b
                cmtst v6.4h, v20.4h, v22.4h
                cmgt d7, d20, d21
                cmeq d8, d20, d20
                cmgt v9.16b, v20.16b, #0
                cmge v10.8h, v21.8h, #0
                cmeq v11.4s, v23.4s, #0
                cmle v12.2d, v22.2d, #0
                cmlt v13.2s, v24.2s, #0
                cmle d14, d25, #0
                """, "v1=ffff0000000000ffff0000000000ffff v2=00000000ffff000000000000ffff0000 v3=ffffffffffffffffffffffffffffffff v4=00000000000000000000000000000000 v5=0000000000000000ffffffffffffffff v6=0000000000000000ffffffffffffffff v7=0000000000000000ffffffffffffffff v8=0000000000000000ffffffffffffffff v9=ffffffff000000ffffffff000000ffff v10=0000ffffffff00000000ffffffff0000 v11=00000000000000000000000000000000 v12=0000000000000000ffffffffffffffff v13=0000000000000000ffffffffffffffff v14=0000000000000000ffffffffffffffff");
    }

    @Test
    void registerShifts() {
        SimdTesting.check("""
                    b 1f
                    .balign 16
                2:  .quad 0xffffffe000000000, 0x000000210000001f
                    .quad 0x00000040ffffffff, 0xffffff80ffffffdf
                    .quad 0x000000000000003f, 0xffffffffffffffc1
                    .quad 0x0000000000000040, 0xffffffffffffffbf
                1:  adr x5, 2b
                    ldp q1, q2, [x5]
                    ldp q15, q16, [x5, #32]
                    mov w6, #0x80000001
                    dup v17.4s, w6
                    msr fpsr, xzr
                    sshl v3.4s, v17.4s, v1.4s
                    ushl v4.4s, v17.4s, v2.4s
                    srshl v5.4s, v17.4s, v2.4s
                    urshl v6.4s, v17.4s, v1.4s
                    sqshl v7.4s, v17.4s, v1.4s
                    uqshl v8.4s, v17.4s, v2.4s
                    sqrshl v9.4s, v17.4s, v2.4s
                    uqrshl v10.4s, v17.4s, v1.4s
                    sshl v11.2d, v17.2d, v15.2d
                    urshl v12.2d, v17.2d, v16.2d
                    srshl d13, d17, d16
                    uqshl d14, d17, d15
                    mrs x1, fpsr
                """, "v3=0000000080000000ffffffff80000001 v4=00000000000000000000000040000000 v5=000000000000000000000000c0000001 v6=00000000800000000000000180000001 v7=8000000080000000ffffffff80000001 v8=0000000000000000ffffffff40000000 v9=000000000000000080000000c0000001 v10=ffffffffffffffff0000000180000001 v11=ffffffffffffffff8000000000000000 v12=00000000000000000000000000000000 v13=00000000000000000000000000000000 v14=0000000000000000ffffffffffffffff x1=0000000008000000");
    }

    @Test
    void shiftRightByImmediate() {
        SimdTesting.check("""
                sshr v1.2d, v20.2d, #64
                ushr v2.2d, v20.2d, #64
                srshr v3.2d, v20.2d, #64
                urshr v4.2d, v20.2d, #63
                ssra v5.16b, v20.16b, #8
                usra v6.8h, v20.8h, #3
                srsra v7.4s, v20.4s, #17
                ursra v8.2s, v20.2s, #32
                sri v9.4s, v20.4s, #32
                sri v10.8b, v20.8b, #1
                sshr d11, d21, #1
                ursra d12, d21, #64
                sri d13, d21, #64
                srshr d14, d21, #7
                """, "v1=00000000000000000000000000000000 v2=00000000000000000000000000000000 v3=00000000000000000000000000000000 v4=00000000000000010000000000000001 v5=c6a17c57310ce7c39e79542e09e4c09b v6=25bbd2279eb44b21f88ea51a71871ef4 v7=66415820d2ad79c23e1a1be4aa853d86 v8=00000000000000008e69441ffad5b08c v9=06e1bc97724d2803deb9946f4a2500db v10=0000000000000000271482efdd4a3825 v11=0000000000000000cf3caa178572e04d v12=0000000000000000cea9845f3a15f0cc v13=00000000000000001ef9d4af8a65401b v14=0000000000000000ff3cf2a85e15cb81");
    }

    @Test
    void shiftLeftByImmediate() {
        SimdTesting.check("""
                msr fpsr, xzr
                shl v1.16b, v20.16b, #7
                sli v2.8h, v20.8h, #0
                sli v3.2d, v20.2d, #63
                sqshl v4.4s, v20.4s, #3
                uqshl v5.8b, v20.8b, #1
                sqshlu v6.8h, v20.8h, #2
                sshll v7.8h, v20.8b, #0
                ushll2 v8.4s, v20.8h, #15
                sxtl2 v9.2d, v20.4s
                shl d10, d21, #63
                sli d11, d21, #5
                sqshlu s12, s21, #31
                uqshl b13, b21, #7
                mrs x1, fpsr
                """, "v1=00800080008000800080008000800080 v2=76512c07e2bd98734e2904dfba95704b v3=a601dcb7926d4823fed9b48f6a4520fb v4=7fffffff800000007fffffff80000000 v5=00000000000000009c5208ffffffe096 v6=ffffb01c00000000ffff137c0000ffff v7=004e00290004ffdfffbaff950070004b v8=3b28800016038000715e80004c398000 v9=0000000076512c07ffffffffe2bd9873 v10=00000000000000008000000000000000 v11=0000000000000000cf2a85e15cb8137b v12=000000000000000000000000ffffffff v13=000000000000000000000000000000ff x1=0000000008000000");
    }

    @Test
    void narrowingShifts() {
        SimdTesting.check("""
                msr fpsr, xzr
                shrn v1.8b, v20.8h, #8
                rshrn2 v1.16b, v21.8h, #1
                sqshrn v2.4h, v20.4s, #16
                sqrshrn2 v2.8h, v21.4s, #1
                uqshrn v3.2s, v20.2d, #1
                uqrshrn2 v3.4s, v21.2d, #32
                sqshrun v4.8b, v20.8h, #3
                sqrshrun2 v4.16b, v21.8h, #8
                sqshrn s5, d20, #1
                uqrshrn h6, s21, #16
                sqrshrun b7, h22, #8
                sqshrun s8, d23, #32
                rshrn v9.2s, v22.2d, #32
                sqrshrn v10.8b, v23.8h, #1
                uqshrn b11, h20, #8
                sqrshrn h12, s24, #16
                mrs x1, fpsr
                """, "v1=512c07623d18734e762ce2984e04ba70 v2=80007fff80007fff7651e2bd4e29ba95 v3=c6a17c579e79542fffffffffffffffff v4=007c320000540b00ffff0000ff9b00ff v5=0000000000000000000000007fffffff v6=00000000000000000000000000000ae6 v7=00000000000000000000000000000011 v8=0000000000000000000000003e19f4cf v9=000000000000000016f1cca8eec9a47f v10=00000000000000007f7f80807f80807f v11=00000000000000000000000000000070 v12=0000000000000000000000000000fad6 x1=0000000008000000");
    }

    @Test
    void multiplies() {
        SimdTesting.check("""
                msr fpsr, xzr
                mul v1.16b, v20.16b, v21.16b
                mla v2.8h, v20.8h, v21.8h
                mls v3.4s, v20.4s, v21.4s
                pmul v4.16b, v20.16b, v21.16b
                sqdmulh v5.8h, v20.8h, v21.8h
                sqrdmulh v6.4s, v20.4s, v21.4s
                mov w2, #0x8000
                dup v7.8h, w2
                sqdmulh v8.8h, v7.8h, v7.8h
                sqrdmulh h9, h7, h7
                mrs x1, fpsr
                """, "v1=44f150612499c099246150f144490069 v2=e5a2e6c8afb6506cedea7530d43e0e14 v3=84b18256d602f08a4051a39efc7ae392 v4=b4f190a5a4a1c0d534915005a4a100b5 v5=caf82ac4f48e12ccc4720334fa17c862 v6=caf87d15f48ee199c472ae73fa1713ad v7=80008000800080008000800080008000 v8=7fff7fff7fff7fff7fff7fff7fff7fff v9=00000000000000000000000000007fff x1=0000000008000000");
    }

    @Test
    void minMaxAbsoluteDifference() {
        SimdTesting.check("""
                smax v1.16b, v20.16b, v21.16b
                umax v2.8h, v20.8h, v21.8h
                smin v3.4s, v20.4s, v21.4s
                umin v4.2s, v20.2s, v21.2s
                sabd v5.16b, v20.16b, v21.16b
                uabd v6.4h, v20.4h, v21.4h
                saba v7.4s, v20.4s, v21.4s
                uaba v8.8b, v20.8b, v21.8b
                smaxp v9.16b, v20.16b, v21.16b
                uminp v10.4h, v20.4h, v21.4h
                addp v11.2d, v20.2d, v21.2d
                addp v12.4s, v12.4s, v20.4s
                """, "v1=76517c57320de8734e79542f0ae5704b v2=c6a17c57e2bde8c39e79542fba95c09b v3=c6a17c57e2bd98739e79542fba95704b v4=00000000000000004e2904df0ae5c09b v5=b0b05050505050b0b05050505050b0b0 v6=000000000000000050504f50afb05050 v7=15f0cca721fdd8b3edc9a57ffad5b08b v8=0000000000000000deb994cfaa2500db v9=c67c32e879540ac0762ce2734e04ba70 v10=0000000000000000542f0ae504df704b v11=651ad0863cf3a95ec47a30e79d5308be v12=590ec47a08be752a590ec57a08bf752a");
    }

    @Test
    void threeDifferent() {
        SimdTesting.check("""
                msr fpsr, xzr
                saddl v1.8h, v20.8b, v21.8b
                uaddl2 v2.4s, v20.8h, v21.8h
                ssubw v3.2d, v20.2d, v21.2s
                usubw2 v4.8h, v20.8h, v21.16b
                addhn v5.8b, v20.8h, v21.8h
                raddhn2 v5.16b, v22.8h, v23.8h
                subhn v6.4h, v20.4s, v21.4s
                rsubhn2 v6.4s, v20.2d, v21.2d
                sabal v7.8h, v20.8b, v21.8b
                uabdl2 v8.2d, v20.4s, v21.4s
                smlal2 v9.4s, v20.8h, v21.8h
                umlsl v10.2d, v20.2s, v21.2s
                smull v11.8h, v20.8b, v21.8b
                umull2 v12.4s, v20.8h, v21.8h
                sqdmull v13.4s, v20.4h, v21.4h
                sqdmlal2 v14.2d, v20.4s, v21.4s
                pmull v15.8h, v20.8b, v21.8b
                pmull2 v16.8h, v20.16b, v21.16b
                mov w2, #0x80000000
                dup v19.4s, w2
                sqdmull v17.2d, v19.2s, v19.2s
                sqdmlsl s18, h19, h19
                mrs x1, fpsr
                """, "v1=ffec00a20058000effc4ff7a0030ffe6 v2=00013cf20000a85e000114ca00018136 v3=76512c08444444444e2904dfafafafb0 v4=758b2b66e241981c4df704d2b9ad6f88 v5=7dea55c02d9905713ca81481ec59c530 v6=afafafb1afafb0b1afafb0afafafafaf v7=66f11d47d2fd88b33e69f51fab3560eb v8=000000005050505000000000b0afafb0 v9=ec5dcb8887af8264d9010208538b5874 v10=25ceb0cf0415676226189a4e2cab12c2 v11=e22413610150f9f1fd440b49e400e269 v12=5bcd0ef115625a612c546d998a9c5799 v13=c4727ec2033421e2fa177292c8627ad2 v14=800000000000000062d80699538a3f9d v15=20340c9101501f0504a47fa1240023b5 v16=27b422f10d9001a513a407a17dc025d5 v17=7fffffffffffffff7fffffffffffffff v18=0000000000000000000000001af5d0ab x1=0000000008000000");
    }

    @Test
    void twoRegisterMisc() {
        SimdTesting.check("""
                msr fpsr, xzr
                mov x2, #0x8000000000000000
                dup v19.2d, x2
                abs v1.2d, v19.2d
                neg v2.16b, v20.16b
                sqabs v3.2d, v19.2d
                sqneg v4.8h, v20.8h
                saddlp v5.8h, v20.16b
                uadalp v6.2s, v20.4h
                suqadd v7.4s, v20.4s
                usqadd v8.16b, v21.16b
                xtn v9.8b, v20.8h
                sqxtn2 v9.16b, v21.8h
                uqxtn v10.4h, v20.4s
                sqxtun2 v10.8h, v21.4s
                shll v11.8h, v20.8b, #8
                shll2 v12.2d, v20.4s, #32
                sqabs b13, b19
                usqadd d14, d20
                sqxtun s15, d21
                mrs x1, fpsr
                """, "v1=80000000000000008000000000000000 v2=8aafd4f91e43688db2d7fc21466b90b5 v3=7fffffffffffffff7fffffffffffffff v4=89afd3f91d43678db1d7fb21456b8fb5 v5=00c70033ff9f000b0077ffe3ff4f00bb v6=0000000000000000eec9f7875a363bcb v7=7fffffff7fffffff7fffffff651ad086 v8=7c32e89e54ffc0762ce2984effba7026 v9=807f7f80807f7f805107bd7329df954b v10=0000ffff0000ffffffffffffffffffff v11=4e0029000400df00ba00950070004b00 v12=76512c0700000000e2bd987300000000 v13=00000000000000000000000000000000 v14=0000000000000000bc7229df954b00b6 v15=00000000000000000000000000000000 x1=0000000008000000");
    }

    @Test
    void acrossLanes() {
        SimdTesting.check("""
                addv b1, v20.16b
                addv h2, v20.4h
                addv s3, v20.4s
                saddlv h4, v20.16b
                uaddlv d5, v20.4s
                smaxv b6, v20.8b
                umaxv h7, v20.8h
                sminv s8, v20.4s
                uminv b9, v20.16b
                """, "v1=00000000000000000000000000000008 v2=00000000000000000000000000007de8 v3=00000000000000000000000061cd39a4 v4=00000000000000000000000000000108 v5=00000000000000000000000261cd39a4 v6=00000000000000000000000000000070 v7=0000000000000000000000000000e2bd v8=000000000000000000000000ba95704b v9=00000000000000000000000000000004");
    }

    @Test
    void byElement() {
        SimdTesting.check("""
                msr fpsr, xzr
                mul v1.8h, v20.8h, v15.h[7]
                mla v2.4s, v20.4s, v31.s[3]
                mls v3.4h, v20.4h, v2.h[0]
                smull v4.4s, v20.4h, v15.h[5]
                umull2 v5.2d, v20.4s, v21.s[1]
                smlal2 v6.4s, v20.8h, v14.h[2]
                umlsl v7.2d, v20.2s, v30.s[2]
                sqdmulh v8.8h, v20.8h, v13.h[6]
                sqrdmulh v9.2s, v20.2s, v29.s[0]
                sqdmull2 v10.4s, v20.8h, v12.h[1]
                sqdmlal v11.2d, v20.2s, v28.s[3]
                sqdmlsl2 v12.4s, v20.8h, v11.h[4]
                sqdmulh s13, s20, v27.s[2]
                sqrdmulh h14, h20, v10.h[3]
                sqdmlal d15, s20, v26.s[1]
                mrs x1, fpsr
                """, "v1=f9117b47be7d40b3c2e9061f88550a8b v2=c88847a871d8ea4808b18be8f165b788 v3=00000000000000002a11b517c81ddc23 v4=1916df3501904933e9b78631240bc32f v5=493e2c727ca861498c5c7a43df2fb91d v6=280b0b5688ba0f0cea8f12c24b3e1778 v7=6561192a831c74563c0330669740fd2a v8=fd14fee900b8028efe12ffe101b6fd3a v9=0000000000000000b83003053fc753a2 v10=35b01d4a13fa6526f2b8d702d1031ede v11=a0e6302928da93d57fffffffffffffff v12=5acdc3bd7fffffffb5ef27dde2942f6d v13=000000000000000000000000f5bc0fad v14=0000000000000000000000000000f459 v15=0000000000000000a5a1cb1e9e4f08a5 x1=0000000008000000");
    }

    @Test
    void scalarForms() {
        SimdTesting.check("""
                msr fpsr, xzr
                add d1, d20, d21
                sub d2, d20, d21
                addp d3, v20.2d
                abs d4, d20
                neg d5, d21
                sqneg s6, s20
                suqadd h7, h21
                sqxtn b8, h20
                uqxtn s9, d21
                sqdmull s10, h20, h21
                sqdmlal d11, s20, s21
                ushl d12, d20, d21
                mrs x1, fpsr
                """, "v1=0000000000000000eca2590ec57b30e6 v2=0000000000000000afafb0b0afafafb0 v3=0000000000000000c47a30e79d5308be v4=00000000000000004e2904dfba95704b v5=00000000000000006186abd0f51a3f65 v6=000000000000000000000000456a8fb5 v7=00000000000000000000000000007fff v8=0000000000000000000000000000007f v9=000000000000000000000000ffffffff v10=000000000000000000000000c8627ad2 v11=0000000000000000787047bcc65a1b4d v12=00000000000000000000000000000000 x1=0000000008000000");
    }

}
