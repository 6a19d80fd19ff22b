package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * The crypto extensions: each instruction against QEMU (the expected values of the first tests came from
 * running the same snippets under qemu-aarch64-static -cpu cortex-a57, see {@link SimdTesting}), then
 * whole algorithms built from them against the published known answers: AES-128 of FIPS-197 Appendix
 * C.1 (both ways), SHA-256 and SHA-1 of "abc" (FIPS 180-2 Appendices B.1 and A.1).
 */
@NeedsCross
class CryptoTest {
    @Test
    void aesRounds() {
        SimdTesting.check("""
                mov v1.16b, v20.16b
                aese v1.16b, v21.16b
                mov v2.16b, v20.16b
                aesd v2.16b, v21.16b
                aesmc v3.16b, v22.16b
                aesimc v4.16b, v22.16b
                aesmc v5.16b, v5.16b
                aesimc v6.16b, v6.16b
                aese v7.16b, v7.16b
                aesd v8.16b, v9.16b
                """, "v1=7053e753705153e7e78c518ce7e75370 v2=fc6cd06cfcd06cfc6017fc1760fc6c60 v3=e3a83afd4f0c06b12b7b822eb77fce92 v4=aae773b270ce3973b934106148e6310b v5=b323914ddf672d817b30924587943e99 v6=aae773b270ce3973b934106148e6310b v7=63636363636363636363636363636363 v8=fc601760fc1760fc6cd0fcd06cfc606c");
    }

    @Test
    void sha1Instructions() {
        SimdTesting.check("""
                mov v1.16b, v20.16b
                sha1c q1, s21, v22.4s
                mov v2.16b, v20.16b
                sha1p q2, s21, v22.4s
                mov v3.16b, v20.16b
                sha1m q3, s21, v22.4s
                sha1h s4, s23
                mov v5.16b, v20.16b
                sha1su0 v5.4s, v21.4s, v22.4s
                mov v6.16b, v20.16b
                sha1su1 v6.4s, v21.4s
                sha1c q7, s7, v7.4s
                sha1h s8, s8
                """, "v1=0a9080d4a00100af6123688d7d8a7c1e v2=24a3a2ead0a3bba9669a3bfb464b9da9 v3=078079d505fd42df423d851e39d20afa v4=000000000000000000000000eaa1580e v5=fed9b48f6a0560fbd6b18ca7021df8d3 v6=7f12c99e4839c848f849d83849d848c8 v7=be0014171fc4818677225104d8b316ce v8=000000000000000000000000feb56c22");
    }

    @Test
    void sha256Instructions() {
        SimdTesting.check("""
                mov v1.16b, v20.16b
                sha256h q1, q21, v22.4s
                mov v2.16b, v20.16b
                sha256h2 q2, q21, v22.4s
                mov v3.16b, v20.16b
                sha256su0 v3.4s, v21.4s
                mov v4.16b, v20.16b
                sha256su1 v4.4s, v21.4s, v22.4s
                sha256h q5, q5, v6.4s
                sha256h2 q6, q6, v7.4s
                """, "v1=8ce1327a96d530041963f68adf1d137e v2=4e7664767a74b2fac6f4d2f41ece2c31 v3=bdc0dd322de4f2bfebb73570b1041163 v4=aa48f76571828bab5ff9c3779439eaa5 v5=d4bb877a08d093e46097f8f5e6d6298f v6=4d3e095022040126c6c2a6bf6f97d560");
    }

    @Test
    void polynomialMultiplyLong64() {
        SimdTesting.check("""
                pmull v1.1q, v20.1d, v21.1d
                pmull2 v2.1q, v20.2d, v21.2d
                pmull v3.1q, v3.1d, v3.1d
                movi v5.2d, #0xffffffffffffffff
                pmull2 v4.1q, v5.2d, v5.2d
                """, "v1=203f28d4f067c015c286d0755d8b73b5 v2=27bcb943bc8a300ddc794605afa335d5 v3=55545141451040551444101104005545 v4=55555555555555555555555555555555");
    }

    /** V[r] as the bytes in memory order (byte 0 first), in hex. */
    static String bytes(TestMachine m, int r) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 16; i++) s.append(String.format("%02x", (m.cpu.vreg[2 * r + i / 8] >>> (8 * (i % 8))) & 0xff));
        return s.toString();
    }

    /** V[r]'s four 32-bit words, lane 0 first. */
    static String words(TestMachine m, int r) {
        return String.format("%08x%08x%08x%08x", m.cpu.vreg[2 * r] & 0xffffffffL, m.cpu.vreg[2 * r] >>> 32,
                m.cpu.vreg[2 * r + 1] & 0xffffffffL, m.cpu.vreg[2 * r + 1] >>> 32);
    }

    @Test
    void aes128EncryptsAndDecryptsTheFips197Example() {
        StringBuilder s = new StringBuilder("""
                adr x1, 8f
                ld1 {v16.16b-v19.16b}, [x1], #64
                ld1 {v20.16b-v23.16b}, [x1], #64
                ld1 {v24.16b-v26.16b}, [x1], #48
                ld1 {v0.16b}, [x1]
            """);
        for (int r = 16; r < 25; r++) s.append("    aese v0.16b, v").append(r).append(".16b\n    aesmc v0.16b, v0.16b\n");
        s.append("    aese v0.16b, v25.16b\n    eor v0.16b, v0.16b, v26.16b\n");
        // The equivalent inverse cipher: AESD with the InvMixColumns of round keys 9..1.
        s.append("    aesd v1.16b, v26.16b\n");
        for (int r = 25; r > 16; r--)
            s.append("    aesimc v1.16b, v1.16b\n    aesimc v2.16b, v").append(r).append(".16b\n    aesd v1.16b, v2.16b\n");
        s.append("    eor v1.16b, v1.16b, v16.16b\n");
        s.append("""
                b 9f
                .balign 16
            8:  .byte 0x00,0x01,0x02,0x03,0x04,0x05,0x06,0x07,0x08,0x09,0x0a,0x0b,0x0c,0x0d,0x0e,0x0f
            """);
        String[] keys = {"d6aa74fdd2af72fadaa678f1d6ab76fe", "b692cf0b643dbdf1be9bc5006830b3fe", "b6ff744ed2c2c9bf6c590cbf0469bf41",
                "47f7f7bc95353e03f96c32bcfd058dfd", "3caaa3e8a99f9deb50f3af57adf622aa", "5e390f7df7a69296a7553dc10aa31f6b",
                "14f9701ae35fe28c440adf4d4ea9c026", "47438735a41c65b9e016baf4aebf7ad2", "549932d1f08557681093ed9cbe2c974e",
                "13111d7fe3944a17f307a78b4d2b30c5", "00112233445566778899aabbccddeeff"}; // round keys 1-10 (FIPS-197 A.1), plaintext
        for (String k : keys) s.append("    .byte ").append(byteList(k)).append('\n');
        s.append("9:\n");
        // v1 starts as the ciphertext for the decryption: move it there once the encryption is done.
        String src = s.toString().replace("    aesd v1.16b, v26.16b\n", "    mov v1.16b, v0.16b\n    aesd v1.16b, v26.16b\n");
        TestMachine m = SimdTesting.run(src);
        assertEquals("69c4e0d86a7b0430d8cdb78070b4c55a", bytes(m, 0), "ciphertext");
        assertEquals("00112233445566778899aabbccddeeff", bytes(m, 1), "decrypted");
    }

    private static String byteList(String hex) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < hex.length(); i += 2) b.append(i == 0 ? "" : ",").append("0x").append(hex, i, i + 2);
        return b.toString();
    }

    /** vd.4s = vs.4s + the four 32-bit constants, lane by lane through general registers (no ADD (vector) needed). */
    private static void addWords(StringBuilder s, int vd, int vs, long... k) {
        for (int i = 0; i < 4; i++) {
            s.append(String.format("    mov w10, v%d.s[%d]\n    movz w11, #0x%x\n    movk w11, #0x%x, lsl #16\n", vs, i, k[i] & 0xffff, k[i] >>> 16));
            s.append(String.format("    add w10, w10, w11\n    mov v%d.s[%d], w10\n", vd, i));
        }
    }

    private static final long[] SHA256_K = {
            0x428a2f98L, 0x71374491L, 0xb5c0fbcfL, 0xe9b5dba5L, 0x3956c25bL, 0x59f111f1L, 0x923f82a4L, 0xab1c5ed5L,
            0xd807aa98L, 0x12835b01L, 0x243185beL, 0x550c7dc3L, 0x72be5d74L, 0x80deb1feL, 0x9bdc06a7L, 0xc19bf174L,
            0xe49b69c1L, 0xefbe4786L, 0x0fc19dc6L, 0x240ca1ccL, 0x2de92c6fL, 0x4a7484aaL, 0x5cb0a9dcL, 0x76f988daL,
            0x983e5152L, 0xa831c66dL, 0xb00327c8L, 0xbf597fc7L, 0xc6e00bf3L, 0xd5a79147L, 0x06ca6351L, 0x14292967L,
            0x27b70a85L, 0x2e1b2138L, 0x4d2c6dfcL, 0x53380d13L, 0x650a7354L, 0x766a0abbL, 0x81c2c92eL, 0x92722c85L,
            0xa2bfe8a1L, 0xa81a664bL, 0xc24b8b70L, 0xc76c51a3L, 0xd192e819L, 0xd6990624L, 0xf40e3585L, 0x106aa070L,
            0x19a4c116L, 0x1e376c08L, 0x2748774cL, 0x34b0bcb5L, 0x391c0cb3L, 0x4ed8aa4aL, 0x5b9cca4fL, 0x682e6ff3L,
            0x748f82eeL, 0x78a5636fL, 0x84c87814L, 0x8cc70208L, 0x90befffaL, 0xa4506cebL, 0xbef9a3f7L, 0xc67178f2L};

    @Test
    void sha256OfAbc() {
        long[] h = {0x6a09e667L, 0xbb67ae85L, 0x3c6ef372L, 0xa54ff53aL, 0x510e527fL, 0x9b05688cL, 0x1f83d9abL, 0x5be0cd19L};
        StringBuilder s = new StringBuilder("""
                adr x1, 8f
                ld1 {v16.4s-v19.4s}, [x1]
                movi v0.2d, #0
                movi v1.2d, #0
            """);
        addWords(s, 0, 0, h[0], h[1], h[2], h[3]);
        addWords(s, 1, 1, h[4], h[5], h[6], h[7]);
        for (int g = 0; g < 16; g++) {
            int w = 16 + (g & 3);
            addWords(s, 5, w, SHA256_K[4 * g], SHA256_K[4 * g + 1], SHA256_K[4 * g + 2], SHA256_K[4 * g + 3]);
            s.append("    mov v2.16b, v0.16b\n    sha256h q0, q1, v5.4s\n    sha256h2 q1, q2, v5.4s\n");
            if (g < 12) s.append(String.format("    sha256su0 v%d.4s, v%d.4s\n    sha256su1 v%d.4s, v%d.4s, v%d.4s\n",
                    w, 16 + ((g + 1) & 3), w, 16 + ((g + 2) & 3), 16 + ((g + 3) & 3)));
        }
        addWords(s, 0, 0, h[0], h[1], h[2], h[3]);
        addWords(s, 1, 1, h[4], h[5], h[6], h[7]);
        // The padded block of "abc" as its sixteen big-endian message words.
        s.append("    b 9f\n    .balign 16\n8:  .word 0x61626380, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x18\n9:\n");
        TestMachine m = SimdTesting.run(s.toString());
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", words(m, 0) + words(m, 1));
    }

    @Test
    void sha1OfAbc() {
        long[] h = {0x67452301L, 0xEFCDAB89L, 0x98BADCFEL, 0x10325476L, 0xC3D2E1F0L};
        long[] k = {0x5A827999L, 0x6ED9EBA1L, 0x8F1BBCDCL, 0xCA62C1D6L};
        StringBuilder s = new StringBuilder("""
                adr x1, 8f
                ld1 {v8.4s-v11.4s}, [x1]
                movi v0.2d, #0
                movi v1.2d, #0
            """);
        addWords(s, 0, 0, h[0], h[1], h[2], h[3]);
        addWords(s, 1, 1, h[4], 0, 0, 0); // e in s1
        for (int g = 0; g < 20; g++) {
            int w = 8 + (g & 3);
            long kk = k[g / 5];
            addWords(s, 5, w, kk, kk, kk, kk);
            String op = g < 5 ? "c" : g >= 10 && g < 15 ? "m" : "p";
            s.append("    sha1h s3, s0\n    sha1").append(op).append(" q0, s1, v5.4s\n    mov v1.16b, v3.16b\n");
            if (g < 16) s.append(String.format("    sha1su0 v%d.4s, v%d.4s, v%d.4s\n    sha1su1 v%d.4s, v%d.4s\n",
                    w, 8 + ((g + 1) & 3), 8 + ((g + 2) & 3), w, 8 + ((g + 3) & 3)));
        }
        addWords(s, 0, 0, h[0], h[1], h[2], h[3]);
        addWords(s, 1, 1, h[4], 0, 0, 0);
        s.append("    b 9f\n    .balign 16\n8:  .word 0x61626380, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x18\n9:\n");
        TestMachine m = SimdTesting.run(s.toString());
        assertEquals("a9993e364706816aba3e25717850c26c9cd0d89d", words(m, 0) + words(m, 1).substring(0, 8));
    }

    @Test
    void idAa64Isar0AdvertisesAesPmullSha1Sha2AsQemusCortexA57() {
        TestMachine m = LoadStoreTest.machine("mrs x1, id_aa64isar0_el1");
        assertEquals(0, m.runToHvc());
        // QEMU's cortex-a57: AES [7:4] = 2 (with PMULL), SHA1 [11:8] = 1, SHA2 [15:12] = 1, CRC32 [19:16] = 1
        assertEquals(0x11120L, m.x(1));
    }
}
