/* Advanced SIMD integer intrinsics (arm_neon.h) over vectors biased to lane limits and small shift
 * counts: one hash per operation (results and FPSR.QC), so the first differing operation is named. */
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>

#define K 48
static uint8_t buf[3][16 * K];
static uint64_t h = 1469598103934665603ull, rs = 88172645463325252ull;

static uint64_t next(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }

static void mix(const void *p, unsigned n) {
    const uint8_t *q = p;
    for (unsigned i = 0; i < n; i++) { h ^= q[i]; h *= 1099511628211ull; }
}

static uint64_t fpsr(void) { uint64_t v; __asm__ volatile("mrs %0, fpsr" : "=r"(v)); return v; }
static void clearqc(void) { __asm__ volatile("msr fpsr, xzr" ::: "memory"); }

static uint64_t word(void) {
    uint64_t v = next();
    if ((v & 3) == 0) return next();
    int esize = 8 << ((v >> 2) & 3);
    uint64_t mask = esize == 64 ? ~0ull : (1ull << esize) - 1, min = 1ull << (esize - 1), w = 0;
    for (int i = 0; i < 64 / esize; i++) {
        uint64_t r = next(), e;
        switch (r & 7) {
        case 0: e = 0; break;
        case 1: e = 1; break;
        case 2: e = mask; break;
        case 3: e = min; break;
        case 4: e = min - 1; break;
        case 5: e = ((r >> 8) % 141 - 70) & mask; break;
        case 6: e = min + 1; break;
        default: e = (r >> 8) & mask;
        }
        w |= e << (i * esize);
    }
    return w;
}

#define Qs8(p) vld1q_s8((const int8_t *)(p))
#define Qu8(p) vld1q_u8((const uint8_t *)(p))
#define Qs16(p) vld1q_s16((const int16_t *)(p))
#define Qu16(p) vld1q_u16((const uint16_t *)(p))
#define Qs32(p) vld1q_s32((const int32_t *)(p))
#define Qu32(p) vld1q_u32((const uint32_t *)(p))
#define Qs64(p) vld1q_s64((const int64_t *)(p))
#define Qu64(p) vld1q_u64((const uint64_t *)(p))
#define Qp8(p) vld1q_p8((const poly8_t *)(p))
#define Ds8(p) vld1_s8((const int8_t *)(p))
#define Du8(p) vld1_u8((const uint8_t *)(p))
#define Ds16(p) vld1_s16((const int16_t *)(p))
#define Du16(p) vld1_u16((const uint16_t *)(p))
#define Ds32(p) vld1_s32((const int32_t *)(p))
#define Du32(p) vld1_u32((const uint32_t *)(p))
#define Dp8(p) vld1_p8((const poly8_t *)(p))
#define S8(p) (*(const int8_t *)(p))
#define S16(p) (*(const int16_t *)(p))
#define S32(p) (*(const int32_t *)(p))
#define S64(p) (*(const int64_t *)(p))
#define U64(p) (*(const uint64_t *)(p))

#define T(expr) do { \
        clearqc(); \
        for (int i = 0; i < K; i++) { \
            const uint8_t *a = buf[0] + 16 * i, *b = buf[1] + 16 * ((i * 7 + 3) % K), *c = buf[2] + 16 * ((i * 5 + 1) % K); \
            (void) a; (void) b; (void) c; \
            __typeof__(expr) r = expr; \
            mix(&r, sizeof r); \
        } \
        uint64_t f = fpsr() >> 27 & 1; \
        mix(&f, sizeof f); \
        printf("%-60s %016llx qc=%llu\n", #expr, (unsigned long long) h, (unsigned long long) f); \
    } while (0)

int main(void) {
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 2 * K; i++) ((uint64_t *) buf[k])[i] = word();
    /* three same */
    T(vqaddq_s8(Qs8(a), Qs8(b)));
    T(vqaddq_u16(Qu16(a), Qu16(b)));
    T(vqsubq_s32(Qs32(a), Qs32(b)));
    T(vqsubq_u64(Qu64(a), Qu64(b)));
    T(vqaddq_s64(Qs64(a), Qs64(b)));
    T(vhaddq_s8(Qs8(a), Qs8(b)));
    T(vrhaddq_u16(Qu16(a), Qu16(b)));
    T(vhsubq_s32(Qs32(a), Qs32(b)));
    T(vcgtq_s16(Qs16(a), Qs16(b)));
    T(vcgeq_u32(Qu32(a), Qu32(b)));
    T(vceqq_s64(Qs64(a), Qs64(b)));
    T(vtstq_s8(Qs8(a), Qs8(b)));
    T(vshlq_s32(Qs32(a), Qs32(b)));
    T(vshlq_u64(Qu64(a), Qs64(b)));
    T(vrshlq_u16(Qu16(a), Qs16(b)));
    T(vrshlq_s64(Qs64(a), Qs64(b)));
    T(vqshlq_s8(Qs8(a), Qs8(b)));
    T(vqshlq_u32(Qu32(a), Qs32(b)));
    T(vqrshlq_u64(Qu64(a), Qs64(b)));
    T(vqrshlq_s16(Qs16(a), Qs16(b)));
    T(vmaxq_s16(Qs16(a), Qs16(b)));
    T(vminq_u8(Qu8(a), Qu8(b)));
    T(vabdq_s32(Qs32(a), Qs32(b)));
    T(vabaq_u16(Qu16(c), Qu16(a), Qu16(b)));
    T(vmulq_s16(Qs16(a), Qs16(b)));
    T(vmlaq_u32(Qu32(c), Qu32(a), Qu32(b)));
    T(vmlsq_s8(Qs8(c), Qs8(a), Qs8(b)));
    T(vmulq_p8(Qp8(a), Qp8(b)));
    T(vpaddq_s16(Qs16(a), Qs16(b)));
    T(vpaddq_u64(Qu64(a), Qu64(b)));
    T(vpmaxq_u8(Qu8(a), Qu8(b)));
    T(vpminq_s32(Qs32(a), Qs32(b)));
    T(vpmax_s8(Ds8(a), Ds8(b)));
    T(vqdmulhq_s16(Qs16(a), Qs16(b)));
    T(vqrdmulhq_s32(Qs32(a), Qs32(b)));
    /* three different */
    T(vaddl_s8(Ds8(a), Ds8(b)));
    T(vaddw_u16(Qu32(a), Du16(b)));
    T(vsubl_high_s16(Qs16(a), Qs16(b)));
    T(vaddhn_s32(Qs32(a), Qs32(b)));
    T(vraddhn_u64(Qu64(a), Qu64(b)));
    T(vrsubhn_high_s16(Ds8(c), Qs16(a), Qs16(b)));
    T(vabal_s8(Qs16(c), Ds8(a), Ds8(b)));
    T(vabdl_u16(Du16(a), Du16(b)));
    T(vmlal_s32(Qs64(c), Ds32(a), Ds32(b)));
    T(vmlsl_high_u8(Qu16(c), Qu8(a), Qu8(b)));
    T(vmull_s16(Ds16(a), Ds16(b)));
    T(vqdmlal_s16(Qs32(c), Ds16(a), Ds16(b)));
    T(vqdmlsl_high_s32(Qs64(c), Qs32(a), Qs32(b)));
    T(vqdmull_s32(Ds32(a), Ds32(b)));
    T(vmull_p8(Dp8(a), Dp8(b)));
    /* two-register misc */
    T(vpaddlq_s8(Qs8(a)));
    T(vpadalq_u16(Qu32(c), Qu16(a)));
    T(vuqaddq_s32(Qs32(c), Qu32(a)));
    T(vsqaddq_u8(Qu8(c), Qs8(a)));
    T(vsqaddq_u64(Qu64(c), Qs64(a)));
    T(vuqaddq_s64(Qs64(c), Qu64(a)));
    T(vabsq_s64(Qs64(a)));
    T(vnegq_s16(Qs16(a)));
    T(vqabsq_s8(Qs8(a)));
    T(vqnegq_s32(Qs32(a)));
    T(vqnegq_s64(Qs64(a)));
    T(vcgtzq_s16(Qs16(a)));
    T(vclezq_s8(Qs8(a)));
    T(vcltzq_s64(Qs64(a)));
    T(vmovn_s32(Qs32(a)));
    T(vqmovn_s16(Qs16(a)));
    T(vqmovn_u32(Qu32(a)));
    T(vqmovun_s64(Qs64(a)));
    T(vqmovn_high_s64(Ds32(c), Qs64(a)));
    T(vshll_n_s8(Ds8(a), 8));
    T(vshll_high_n_u16(Qu16(a), 16));
    /* shift by immediate */
    T(vshrq_n_s16(Qs16(a), 15));
    T(vshrq_n_u64(Qu64(a), 64));
    T(vshrq_n_s64(Qs64(a), 64));
    T(vsraq_n_s8(Qs8(c), Qs8(a), 3));
    T(vrshrq_n_u32(Qu32(a), 32));
    T(vrsraq_n_s64(Qs64(c), Qs64(a), 64));
    T(vshlq_n_u16(Qu16(a), 15));
    T(vsliq_n_s32(Qs32(c), Qs32(a), 7));
    T(vsriq_n_u8(Qu8(c), Qu8(a), 8));
    T(vsriq_n_u64(Qu64(c), Qu64(a), 1));
    T(vqshlq_n_s16(Qs16(a), 9));
    T(vqshlq_n_u64(Qu64(a), 63));
    T(vqshluq_n_s32(Qs32(a), 4));
    T(vshrn_n_u32(Qu32(a), 16));
    T(vrshrn_n_s64(Qs64(a), 32));
    T(vqshrn_n_s32(Qs32(a), 1));
    T(vqshrn_n_u64(Qu64(a), 3));
    T(vqrshrun_n_s16(Qs16(a), 8));
    T(vqrshrn_high_n_s32(Ds16(c), Qs32(a), 5));
    T(vshll_n_u16(Du16(a), 3));
    /* across lanes */
    T(vaddvq_s8(Qs8(a)));
    T(vaddlvq_u16(Qu16(a)));
    T(vaddlvq_s32(Qs32(a)));
    T(vmaxvq_s32(Qs32(a)));
    T(vminvq_u8(Qu8(a)));
    T(vaddv_s16(Ds16(a)));
    T(vmaxv_u16(Du16(a)));
    /* by element */
    T(vmulq_laneq_s16(Qs16(a), Qs16(b), 7));
    T(vmlaq_lane_s32(Qs32(c), Qs32(a), Ds32(b), 1));
    T(vmull_laneq_s16(Ds16(a), Qs16(b), 5));
    T(vmlsl_high_lane_u32(Qu64(c), Qu32(a), Du32(b), 0));
    T(vqdmulhq_laneq_s32(Qs32(a), Qs32(b), 3));
    T(vqrdmulh_lane_s16(Ds16(a), Ds16(b), 2));
    T(vqdmlal_laneq_s16(Qs32(c), Ds16(a), Qs16(b), 6));
    T(vqdmull_high_laneq_s32(Qs32(a), Qs32(b), 1));
    /* scalar */
    T(vqaddb_s8(S8(a), S8(b)));
    T(vqsubd_u64(U64(a), U64(b)));
    T(vqaddd_s64(S64(a), S64(b)));
    T(vshld_s64(S64(a), S64(b)));
    T(vrshld_u64(U64(a), S64(b)));
    T(vqrshls_s32(S32(a), S32(b)));
    T(vqshlh_u16(*(const uint16_t *) a, S16(b)));
    T(vqdmulhs_s32(S32(a), S32(b)));
    T(vqrdmulhh_s16(S16(a), S16(b)));
    T(vqdmlals_s32(S64(c), S32(a), S32(b)));
    T(vqdmullh_s16(S16(a), S16(b)));
    T(vqmovnd_s64(S64(a)));
    T(vqmovund_s64(S64(a)));
    T(vqabsb_s8(S8(a)));
    T(vqnegd_s64(S64(a)));
    T(vuqaddd_s64(S64(c), U64(a)));
    T(vsqaddb_u8(*(const uint8_t *) c, S8(a)));
    T(vqshrnd_n_s64(S64(a), 17));
    T(vqrshrund_n_s64(S64(a), 32));
    T(vqshlud_n_s64(S64(a), 5));
    T(vcgtd_s64(S64(a), S64(b)));
    T(vceqzd_s64(S64(a)));
    T(vpaddd_s64(Qs64(a)));
    T(vrsrad_n_u64(U64(c), U64(a), 64));
    T(vqdmulhh_laneq_s16(S16(a), Qs16(b), 7));
    T(vqdmlsls_lane_s32(S64(c), S32(a), Ds32(b), 1));
    return 0;
}
