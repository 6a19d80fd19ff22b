/* The optional instructions glibc does not use but programs do (built with +crypto+crc): AES rounds, SHA1
 * and SHA256 steps, PMULL, CRC32/CRC32C, through the ACLE intrinsics over pseudo-random data. */
#include <arm_acle.h>
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t s = 0x0123456789abcdefull;

static uint64_t next(void) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

static uint8x16_t rand128(void) {
    return vreinterpretq_u8_u64(vcombine_u64(vcreate_u64(next()), vcreate_u64(next())));
}

static uint64_t h = 0xcbf29ce484222325ull;

static void mix128(uint8x16_t v) {
    uint64x2_t w = vreinterpretq_u64_u8(v);
    h = (h ^ vgetq_lane_u64(w, 0)) * 0x100000001b3ull;
    h = (h ^ vgetq_lane_u64(w, 1)) * 0x100000001b3ull;
}

int main(void) {
    uint8x16_t st = rand128();
    for (int i = 0; i < 2000; i++) {
        uint8x16_t k = rand128();
        st = vaesmcq_u8(vaeseq_u8(st, k));
        mix128(st);
        st = vaesimcq_u8(vaesdq_u8(st, k));
        mix128(st);
    }
    printf("aes %016llx\n", (unsigned long long) h);
    uint32x4_t abcd = vreinterpretq_u32_u8(rand128()), efgh = vreinterpretq_u32_u8(rand128());
    for (int i = 0; i < 1000; i++) {
        uint32x4_t w0 = vreinterpretq_u32_u8(rand128()), w1 = vreinterpretq_u32_u8(rand128()),
                   w2 = vreinterpretq_u32_u8(rand128()), w3 = vreinterpretq_u32_u8(rand128());
        uint32_t e = (uint32_t) next();
        uint32x4_t c = vsha1cq_u32(abcd, e, w0), p = vsha1pq_u32(abcd, e, w1), m = vsha1mq_u32(abcd, e, w2);
        uint32_t e2 = vsha1h_u32(e);
        uint32x4_t su = vsha1su1q_u32(vsha1su0q_u32(w0, w1, w2), w3);
        uint32x4_t h1 = vsha256hq_u32(abcd, efgh, w0), h2 = vsha256h2q_u32(efgh, abcd, w1);
        uint32x4_t s2 = vsha256su1q_u32(vsha256su0q_u32(w2, w3), w0, w1);
        abcd = veorq_u32(veorq_u32(c, p), veorq_u32(m, h1));
        efgh = veorq_u32(veorq_u32(su, s2), vaddq_u32(h2, vdupq_n_u32(e2)));
        mix128(vreinterpretq_u8_u32(abcd));
        mix128(vreinterpretq_u8_u32(efgh));
    }
    printf("sha %016llx\n", (unsigned long long) h);
    for (int i = 0; i < 2000; i++) {
        poly128_t p = vmull_p64((poly64_t) next(), (poly64_t) next());
        mix128(vreinterpretq_u8_p128(p));
        poly64x2_t a = vreinterpretq_p64_u8(rand128()), b = vreinterpretq_p64_u8(rand128());
        mix128(vreinterpretq_u8_p128(vmull_high_p64(a, b)));
        mix128(vreinterpretq_u8_p16(vmull_p8(vreinterpret_p8_u64(vcreate_u64(next())), vreinterpret_p8_u64(vcreate_u64(next())))));
    }
    printf("pmull %016llx\n", (unsigned long long) h);
    uint32_t crc = 0xffffffffu, crcc = 0xffffffffu;
    for (int i = 0; i < 5000; i++) {
        uint64_t v = next();
        crc = __crc32d(__crc32w(__crc32h(__crc32b(crc, (uint8_t) v), (uint16_t) v), (uint32_t) v), v);
        crcc = __crc32cd(__crc32cw(__crc32ch(__crc32cb(crcc, (uint8_t) v), (uint16_t) v), (uint32_t) v), v);
    }
    printf("crc32 %08x crc32c %08x\n", crc, crcc);
    return 0;
}
