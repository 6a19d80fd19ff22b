package org.jvisor.cpu;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Advanced SIMD data movement and bitwise instructions against QEMU: every expected value below came
 * from running the same snippet under qemu-aarch64-static -cpu cortex-a57 (src/test/python/qemu_simd_ref.py; see
 * {@link SimdTesting}). V0-V31 start with the prologue's byte pattern.
 */
@NeedsCross
class SimdPermuteTest {
    @Test
    void zipUzpTrnBytesAndHalfwords() {
        SimdTesting.check("""
                zip1 v1.8b, v30.8b, v31.8b
                zip2 v2.8b, v30.8b, v31.8b
                uzp1 v3.8b, v30.8b, v31.8b
                uzp2 v4.8b, v30.8b, v31.8b
                trn1 v5.8b, v30.8b, v31.8b
                trn2 v6.8b, v30.8b, v31.8b
                zip1 v7.16b, v30.16b, v31.16b
                zip2 v8.16b, v30.16b, v31.16b
                uzp1 v9.16b, v30.16b, v31.16b
                uzp2 v10.16b, v30.16b, v31.16b
                trn1 v11.16b, v30.16b, v31.16b
                trn2 v12.16b, v30.16b, v31.16b
                zip1 v13.4h, v30.4h, v31.4h
                zip2 v14.4h, v30.4h, v31.4h
                uzp1 v15.4h, v30.4h, v31.4h
                uzp2 v16.4h, v30.4h, v31.4h
                trn1 v17.4h, v30.4h, v31.4h
                trn2 v18.4h, v30.4h, v31.4h
                zip1 v19.8h, v30.8h, v31.8h
                zip2 v20.8h, v30.8h, v31.8h
                uzp1 v21.8h, v30.8h, v31.8h
                uzp2 v22.8h, v30.8h, v31.8h
                trn1 v23.8h, v30.8h, v31.8h
                trn2 v24.8h, v30.8h, v31.8h
                """, "v1=00000000000000002ada05b5e090bb6b v2=0000000000000000be6e994974244fff v3=0000000000000000994f05bb49ffb56b v4=0000000000000000be742ae06e24da90 v5=000000000000000099494fff05b5bb6b v6=0000000000000000be6e74242adae090 v7=be6e994974244fff2ada05b5e090bb6b v8=e696c1719c4c772752022ddd08b8e393 v9=c1772de3994f05bb7127dd9349ffb56b v10=e69c5208be742ae0964c02b86e24da90 v11=c17177272ddde39399494fff05b5bb6b v12=e6969c4c520208b8be6e74242adae090 v13=00000000000000002a05dab5e0bb906b v14=0000000000000000be996e49744f24ff v15=0000000000000000744fe0bb24ff906b v16=0000000000000000be992a056e49dab5 v17=0000000000000000744f24ffe0bb906b v18=0000000000000000be996e492a05dab5 v19=be996e49744f24ff2a05dab5e0bb906b v20=e6c196719c774c27522d02dd08e3b893 v21=9c7708e3744fe0bb4c27b89324ff906b v22=e6c1522dbe992a05967102dd6e49dab5 v23=9c774c2708e3b893744f24ffe0bb906b v24=e6c19671522d02ddbe996e492a05dab5");
    }

    @Test
    void zipUzpTrnWordsAndDoublewords() {
        SimdTesting.check("""
                zip1 v1.2s, v30.2s, v31.2s
                zip2 v2.2s, v30.2s, v31.2s
                uzp1 v3.2s, v30.2s, v31.2s
                uzp2 v4.2s, v30.2s, v31.2s
                trn1 v5.2s, v30.2s, v31.2s
                trn2 v6.2s, v30.2s, v31.2s
                zip1 v7.4s, v30.4s, v31.4s
                zip2 v8.4s, v30.4s, v31.4s
                uzp1 v9.4s, v30.4s, v31.4s
                uzp2 v10.4s, v30.4s, v31.4s
                trn1 v11.4s, v30.4s, v31.4s
                trn2 v12.4s, v30.4s, v31.4s
                zip1 v13.2d, v30.2d, v31.2d
                zip2 v14.2d, v30.2d, v31.2d
                uzp1 v15.2d, v30.2d, v31.2d
                uzp2 v16.2d, v30.2d, v31.2d
                trn1 v17.2d, v30.2d, v31.2d
                trn2 v18.2d, v30.2d, v31.2d
                zip1 v19.16b, v19.16b, v19.16b
                uzp2 v20.8h, v21.8h, v20.8h
                """, "v1=00000000000000002a05e0bbdab5906b v2=0000000000000000be99744f6e4924ff v3=00000000000000002a05e0bbdab5906b v4=0000000000000000be99744f6e4924ff v5=00000000000000002a05e0bbdab5906b v6=0000000000000000be99744f6e4924ff v7=be99744f6e4924ff2a05e0bbdab5906b v8=e6c19c7796714c27522d08e302ddb893 v9=522d08e32a05e0bb02ddb893dab5906b v10=e6c19c77be99744f96714c276e4924ff v11=522d08e302ddb8932a05e0bbdab5906b v12=e6c19c7796714c27be99744f6e4924ff v13=be99744f2a05e0bb6e4924ffdab5906b v14=e6c19c77522d08e396714c2702ddb893 v15=be99744f2a05e0bb6e4924ffdab5906b v16=e6c19c77522d08e396714c2702ddb893 v17=be99744f2a05e0bb6e4924ffdab5906b v18=e6c19c77522d08e396714c2702ddb893 v19=fefed9d9b4b48f8f6a6a45452020fbfb v20=7651e2bd4e29ba95c6a1320d9e790ae5");
    }

    @Test
    void extConcatenates() {
        SimdTesting.check("""
                ext v1.8b, v30.8b, v31.8b, #3
                ext v2.16b, v30.16b, v31.16b, #13
                ext v3.16b, v30.16b, v31.16b, #0
                ext v4.8b, v4.8b, v4.8b, #7
                ext v5.16b, v6.16b, v5.16b, #8
                """, "v1=000000000000000005e0bb6e4924ffda v2=77522d08e3be99744f2a05e0bb96714c v3=96714c2702ddb8936e4924ffdab5906b v4=00000000000000002904dfba95704b4e v5=9e79542f0ae5c09b16f1cca7825d3813");
    }

    @Test
    void tableLookups() {
        SimdTesting.check("""
                movi v21.16b, #0x7f
                and v20.16b, v5.16b, v21.16b
                tbl v1.16b, {v10.16b}, v20.16b
                tbl v2.16b, {v10.16b, v11.16b}, v20.16b
                tbl v3.16b, {v10.16b, v11.16b, v12.16b}, v20.16b
                tbl v4.16b, {v30.16b, v31.16b, v0.16b, v1.16b}, v20.16b
                tbl v5.8b, {v12.16b, v13.16b}, v20.8b
                tbx v6.16b, {v10.16b}, v20.16b
                tbx v7.16b, {v10.16b, v11.16b}, v20.16b
                tbx v8.16b, {v10.16b, v11.16b, v12.16b}, v20.16b
                tbx v9.8b, {v12.16b, v13.16b, v14.16b, v15.16b}, v20.8b
                tbl v10.16b, {v10.16b}, v10.16b
                tbx v11.16b, {v11.16b, v12.16b}, v29.16b
                """, "v1=00000000000c0000000000009d000000 v2=00000000000c0000810000009d000012 v3=00f00000000c0000810000f69d000012 v4=00300000004c0000c1000036dd000052 v5=0000000000000000210000003d0000b2 v6=16f1cca7820c3813eec9a47f9d3510eb v7=66411cf7d20c88638119f4cf9d856012 v8=b6f06c47220cd8b3816944f69dd5b012 v9=000000000000000021b994963d2500b2 v10=0000e700000000000078000000000000 v11=a6815c3712edc8a3d159340feac5a062");
    }

    @Test
    void dupInsAndMoves() {
        SimdTesting.check("""
                movz x20, #0x8182
                movk x20, #0x8384, lsl #16
                movk x20, #0x8586, lsl #32
                movk x20, #0x8788, lsl #48
                dup v1.8b, v30.b[13]
                dup v2.8h, v30.h[7]
                dup v3.2s, v30.s[3]
                dup v4.2d, v30.d[1]
                dup v5.16b, w20
                dup v6.4h, w20
                dup v7.4s, w20
                dup v8.2d, x20
                ins v9.b[11], w20
                ins v10.h[5], w20
                ins v11.s[3], w20
                ins v12.d[1], x20
                ins v13.b[3], v30.b[14]
                ins v14.h[6], v30.h[1]
                ins v15.s[0], v30.s[3]
                ins v16.d[1], v30.d[0]
                umov w1, v30.b[15]
                umov w2, v30.h[6]
                umov w3, v30.s[3]
                umov x4, v30.d[1]
                smov w5, v30.b[15]
                smov w6, v30.h[6]
                smov x7, v30.b[5]
                smov x8, v30.h[3]
                smov x10, v30.s[3]
                mov b17, v30.b[9]
                mov x11, v31.d[0]
                """, "x1=0000000000000096 x2=0000000000004c27 x3=0000000096714c27 x4=96714c2702ddb893 x5=00000000ffffff96 x6=0000000000004c27 x7=0000000000000024 x8=0000000000006e49 x10=ffffffff96714c27 x11=be99744f2a05e0bb v1=00000000000000004c4c4c4c4c4c4c4c v2=96719671967196719671967196719671 v3=000000000000000096714c2796714c27 v4=96714c2702ddb89396714c2702ddb893 v5=82828282828282828282828282828282 v6=00000000000000008182818281828182 v7=83848182838481828384818283848182 v8=87888586838481828788858683848182 v9=06e1bc97824d2803deb9946f4a2500db v10=56310ce7818278532e09e4bf9a75502b v11=8384818212edc8a37e59340feac5a07b v12=8788858683848182cea9845f3a15f0cb v13=4621fcd7b28d68431ef9d4af7165401b v14=9671dab502ddb8936e4924ffdab5906b v15=e6c19c77522d08e3be99744f96714c27 v16=6e4924ffdab5906b0ee9c49f7a55300b v17=000000000000000000000000000000b8");
    }

    @Test
    void scalarDupOfEverySize() {
        SimdTesting.check("""
                mov b1, v30.b[15]
                mov h2, v30.h[5]
                mov s3, v30.s[2]
                mov d4, v30.d[1]
                """, "v1=00000000000000000000000000000096 v2=000000000000000000000000000002dd v3=00000000000000000000000002ddb893 v4=000000000000000096714c2702ddb893");
    }

    @Test
    void reversesAndBitCounts() {
        SimdTesting.check("""
                movi v25.16b, #0
                movi v26.4s, #0x80, lsl #24
                ins v26.h[2], v25.h[0]
                ins v26.b[3], w9
                rev16 v1.16b, v30.16b
                rev16 v2.8b, v30.8b
                rev32 v3.16b, v30.16b
                rev32 v4.4h, v30.4h
                rev64 v5.16b, v30.16b
                rev64 v6.8h, v30.8h
                rev64 v7.2s, v30.2s
                rev64 v8.4s, v30.4s
                cls v9.16b, v30.16b
                cls v10.4h, v30.4h
                cls v11.4s, v26.4s
                clz v12.8b, v30.8b
                clz v13.8h, v25.8h
                clz v14.4s, v26.4s
                cnt v15.16b, v30.16b
                cnt v16.8b, v29.8b
                not v17.16b, v30.16b
                mvn v18.8b, v30.8b
                rbit v19.16b, v30.16b
                rbit v20.8b, v30.8b
                cls v21.8h, v25.8h
                """, "v1=7196274cdd0293b8496eff24b5da6b90 v2=0000000000000000496eff24b5da6b90 v3=274c719693b8dd02ff24496e6b90b5da v4=000000000000000024ff6e49906bdab5 v5=93b8dd02274c71966b90b5daff24496e v6=b89302dd4c279671906bdab524ff6e49 v7=0000000000000000dab5906b6e4924ff v8=02ddb89396714c27dab5906b6e4924ff v9=00000001050100000000010701000000 v10=00000000000000000000000100010000 v11=0000000000000000000000000000001f v12=00000000000000000101020000000001 v13=00100010001000100010001000100010 v14=00000000000000000000000000000020 v15=04040304010604040503020805050205 v16=00000000000000000406040603040104 v17=698eb3d8fd22476c91b6db00254a6f94 v18=000000000000000091b6db00254a6f94 v19=698e32e440bb1dc9769224ff5bad09d6 v20=0000000000000000769224ff5bad09d6 v21=000f000f000f000f000f000f000f000f");
    }

    @Test
    void modifiedImmediates() {
        SimdTesting.check("""
                movi v1.4s, #0xab
                movi v2.2s, #0xab, lsl #8
                movi v3.4s, #0xab, lsl #16
                movi v4.4s, #0xab, lsl #24
                movi v5.8h, #0xcd
                movi v6.4h, #0xcd, lsl #8
                movi v7.4s, #0x12, msl #8
                movi v8.2s, #0x12, msl #16
                movi v9.16b, #0x5a
                movi v10.2d, #0xff00ff0000ffff00
                movi d11, #0x00ff00ff00ff00ff
                mvni v12.4s, #0xab, lsl #16
                mvni v13.8h, #0xcd, lsl #8
                mvni v14.2s, #0x12, msl #16
                orr v15.4s, #0xab, lsl #8
                orr v16.4h, #0xcd
                bic v17.4s, #0xff, lsl #24
                bic v18.8h, #0xff
                bic v19.2s, #0xff
                fmov v20.4s, #1.0
                fmov v21.2s, #-0.1875
                fmov v22.2d, #31.0
                fmov v23.2d, #-0.125
                orr v24.2s, #0x1, lsl #24
                """, "v1=000000ab000000ab000000ab000000ab v2=00000000000000000000ab000000ab00 v3=00ab000000ab000000ab000000ab0000 v4=ab000000ab000000ab000000ab000000 v5=00cd00cd00cd00cd00cd00cd00cd00cd v6=0000000000000000cd00cd00cd00cd00 v7=000012ff000012ff000012ff000012ff v8=00000000000000000012ffff0012ffff v9=5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a v10=ff00ff0000ffff00ff00ff0000ffff00 v11=000000000000000000ff00ff00ff00ff v12=ff54ffffff54ffffff54ffffff54ffff v13=32ff32ff32ff32ff32ff32ff32ff32ff v14=0000000000000000ffed0000ffed0000 v15=e6c1bf77522dabe3be99ff4f2a05ebbb v16=00000000000000000eedc4df7add30cf v17=00613c1700cda883003914ef00a5805b v18=d6008c004200f800ae0064001a00d000 v19=0000000000000000fed9b4006a452000 v20=3f8000003f8000003f8000003f800000 v21=0000000000000000be400000be400000 v22=403f000000000000403f000000000000 v23=bfc0000000000000bfc0000000000000 v24=00000000000000008f69441ffbd5b08b");
    }

    @Test
    void bitwiseThreeSame() {
        SimdTesting.check("""
                and v1.16b, v30.16b, v31.16b
                and v2.8b, v30.8b, v31.8b
                bic v3.16b, v30.16b, v31.16b
                orr v4.16b, v30.16b, v31.16b
                orn v5.8b, v30.8b, v31.8b
                eor v6.16b, v30.16b, v31.16b
                mov v7.16b, v29.16b
                bsl v7.16b, v30.16b, v31.16b
                mov v8.16b, v29.16b
                bit v8.16b, v30.16b, v31.16b
                mov v9.16b, v29.16b
                bif v9.16b, v30.16b, v31.16b
                bsl v10.8b, v30.8b, v31.8b
                bit v11.8b, v30.8b, v31.8b
                bif v12.8b, v30.8b, v31.8b
                eor v13.8b, v13.8b, v13.8b
                orr v14.8b, v30.8b, v30.8b
                orn v15.16b, v15.16b, v31.16b
                bic v16.8b, v16.8b, v31.8b
                """, "v1=86410c27020d08832e09244f0a05802b v2=00000000000000002e09244f0a05802b v3=1030400000d0b010404000b0d0b01040 v4=f6f1dc7752fdb8f3fed974fffab5f0fb v5=00000000000000006f6fafffdfff9f6f v6=70b0d05050f0b070d0d050b0f0b070d0 v7=a6e14c2742ad28a3ae4924efaa25a0ab v8=86616ca7a28d68832e69a4ef8a65802b v9=5631dc5712ddb8535ed954bfdab5505b v10=0000000000000000be9934ffba35b0bb v11=00000000000000006e49244fcac5806b v12=0000000000000000cec904fffab5f0cb v13=00000000000000000000000000000000 v14=00000000000000006e4924ffdab5906b v15=ffffffffffffffffffffffffffffffff v16=00000000000000000060809050501000");
    }

}
