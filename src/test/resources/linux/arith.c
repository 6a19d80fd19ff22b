/* Scalar and vector FP arithmetic over random operands (every exponent, denormals, NaNs, infinities) in
 * every rounding mode, with flush-to-zero and default-NaN on and off: hashes of the results and of the
 * FPSR flags each operation raised. Written with inline assembly so the instructions are exactly these. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t state = 0x9e3779b97f4a7c15ull;

static uint64_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static uint64_t rdouble(void) {
    uint64_t r = next();
    switch (r & 7) {
    case 0: return r & 0x800fffffffffffffull;                           /* zero or denormal */
    case 1: return (r & 0x800fffffffffffffull) | 0x7ff0000000000000ull; /* inf or NaN */
    case 2: return (r & 0x800fffffffffffffull) | ((uint64_t) (1023 + (int) (r >> 52 & 63) - 32) << 52);
    case 3: return (r & 0x8000000000000000ull) | ((r >> 20 & 3) << 52) | (r & 0xfull);
    default: return r;
    }
}

static uint32_t rfloat(void) {
    uint64_t r = next();
    uint32_t v = (uint32_t) r;
    switch (r >> 40 & 7) {
    case 0: return v & 0x807fffffu;
    case 1: return (v & 0x807fffffu) | 0x7f800000u;
    case 2: return (v & 0x807fffffu) | ((uint32_t) (127 + (int) (r >> 50 & 31) - 16) << 23);
    default: return v;
    }
}

static uint64_t h, fl;

static void mix(uint64_t v) { h = (h ^ v) * 0x100000001b3ull; }

static uint64_t fpsr_take(void) {
    uint64_t s;
    __asm__ volatile("mrs %0, fpsr\n msr fpsr, xzr" : "=r"(s));
    return s;
}

#define OP2D(name, insn)                                                                    \
    static uint64_t name(uint64_t a, uint64_t b) {                                          \
        uint64_t r;                                                                         \
        __asm__ volatile("fmov d0, %1\n fmov d1, %2\n " insn " d2, d0, d1\n fmov %0, d2"    \
                         : "=r"(r) : "r"(a), "r"(b) : "v0", "v1", "v2");                    \
        return r;                                                                           \
    }
#define OP2S(name, insn)                                                                    \
    static uint32_t name(uint32_t a, uint32_t b) {                                          \
        uint32_t r;                                                                         \
        __asm__ volatile("fmov s0, %w1\n fmov s1, %w2\n " insn " s2, s0, s1\n fmov %w0, s2" \
                         : "=r"(r) : "r"(a), "r"(b) : "v0", "v1", "v2");                    \
        return r;                                                                           \
    }
OP2D(addd, "fadd") OP2D(subd, "fsub") OP2D(muld, "fmul") OP2D(divd, "fdiv") OP2D(maxd, "fmaxnm") OP2D(mind, "fmin")
OP2D(mulxd, "fmulx") OP2D(recpsd, "frecps") OP2D(rsqrtsd, "frsqrts")
OP2S(adds, "fadd") OP2S(subs, "fsub") OP2S(muls, "fmul") OP2S(divs, "fdiv") OP2S(maxs, "fmax") OP2S(mins, "fminnm")

static uint64_t fmad(uint64_t a, uint64_t b, uint64_t c) {
    uint64_t r;
    __asm__ volatile("fmov d0, %1\n fmov d1, %2\n fmov d2, %3\n fmadd d3, d0, d1, d2\n fmov %0, d3"
                     : "=r"(r) : "r"(a), "r"(b), "r"(c) : "v0", "v1", "v2", "v3");
    return r;
}

static uint32_t fnmss(uint32_t a, uint32_t b, uint32_t c) {
    uint32_t r;
    __asm__ volatile("fmov s0, %w1\n fmov s1, %w2\n fmov s2, %w3\n fnmsub s3, s0, s1, s2\n fmov %w0, s3"
                     : "=r"(r) : "r"(a), "r"(b), "r"(c) : "v0", "v1", "v2", "v3");
    return r;
}

static uint64_t unaryd(uint64_t a, int which) {
    uint64_t r;
    switch (which) {
    case 0: __asm__ volatile("fmov d0, %1\n fsqrt d1, d0\n fmov %0, d1" : "=r"(r) : "r"(a) : "v0", "v1"); break;
    case 1: __asm__ volatile("fmov d0, %1\n frintx d1, d0\n fmov %0, d1" : "=r"(r) : "r"(a) : "v0", "v1"); break;
    case 2: __asm__ volatile("fmov d0, %1\n fcvt s1, d0\n fmov %w0, s1" : "=r"(r) : "r"(a) : "v0", "v1"); break;
    case 3: __asm__ volatile("fmov d0, %1\n fcvtzs %0, d0" : "=r"(r) : "r"(a) : "v0"); break;
    case 4: __asm__ volatile("fmov d0, %1\n fcvtnu %w0, d0" : "=r"(r) : "r"(a) : "v0"); break;
    case 5: __asm__ volatile("fmov d0, %1\n frecpe d1, d0\n fmov %0, d1" : "=r"(r) : "r"(a) : "v0", "v1"); break;
    case 6: __asm__ volatile("fmov d0, %1\n frsqrte d1, d0\n fmov %0, d1" : "=r"(r) : "r"(a) : "v0", "v1"); break;
    case 7: __asm__ volatile("fmov d0, %1\n fcvt h1, d0\n umov %w0, v1.h[0]" : "=r"(r) : "r"(a) : "v0", "v1"); break;
    case 8: __asm__ volatile("scvtf d1, %1\n fmov %0, d1" : "=r"(r) : "r"(a) : "v1"); break;
    case 9: __asm__ volatile("fmov d0, %1\n fcvtzs %0, d0, #17" : "=r"(r) : "r"(a) : "v0"); break;
    default: __asm__ volatile("fmov d0, %1\n fcvtxn s1, d0\n fmov %w0, s1" : "=r"(r) : "r"(a) : "v0", "v1"); break;
    }
    return r;
}

static void vec(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1) {
    uint64_t r[8];
    __asm__ volatile("fmov d0, %8\n mov v0.d[1], %9\n fmov d1, %10\n mov v1.d[1], %11\n"
                     "fadd v2.4s, v0.4s, v1.4s\n fmul v3.2d, v0.2d, v1.2d\n"
                     "fmla v3.4s, v0.4s, v1.4s\n faddp v4.4s, v0.4s, v1.4s\n"
                     "fmaxnmv s5, v0.4s\n fcvtn v5.4h, v1.4s\n frecpe v6.4s, v0.4s\n fcvtzu v7.4s, v1.4s\n"
                     "fmov %0, d2\n mov %1, v2.d[1]\n fmov %2, d3\n mov %3, v3.d[1]\n"
                     "fmov %4, d4\n mov %5, v5.d[0]\n fmov %6, d6\n mov %7, v7.d[1]\n"
                     : "=&r"(r[0]), "=&r"(r[1]), "=&r"(r[2]), "=&r"(r[3]), "=&r"(r[4]), "=&r"(r[5]), "=&r"(r[6]),
                       "=&r"(r[7])
                     : "r"(a0), "r"(a1), "r"(b0), "r"(b1)
                     : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7");
    for (int i = 0; i < 8; i++) mix(r[i]);
}

int main(void) {
    static const char *rm[] = {"RN", "RP", "RM", "RZ"};
    for (int mode = 0; mode < 16; mode++) {
        uint64_t fpcr = (uint64_t) (mode & 3) << 22 | (uint64_t) (mode >> 2 & 1) << 24 | (uint64_t) (mode >> 3 & 1) << 25;
        __asm__ volatile("msr fpcr, %0\n msr fpsr, xzr" : : "r"(fpcr));
        uint64_t (*d2[])(uint64_t, uint64_t) = {addd, subd, muld, divd, maxd, mind, mulxd, recpsd, rsqrtsd};
        uint32_t (*s2[])(uint32_t, uint32_t) = {adds, subs, muls, divs, maxs, mins};
        for (int op = 0; op < 9; op++) {
            h = 0xcbf29ce484222325ull, fl = 0;
            for (int i = 0; i < 1500; i++) {
                mix(d2[op](rdouble(), rdouble()));
                fl = fl * 3 + fpsr_take();
            }
            printf("%s%s%s d op%d %016llx flags %016llx\n", rm[mode & 3], mode & 4 ? " FZ" : "", mode & 8 ? " DN" : "",
                   op, (unsigned long long) h, (unsigned long long) fl);
        }
        for (int op = 0; op < 6; op++) {
            h = 0xcbf29ce484222325ull, fl = 0;
            for (int i = 0; i < 1500; i++) {
                mix(s2[op](rfloat(), rfloat()));
                fl = fl * 3 + fpsr_take();
            }
            printf("%s%s%s s op%d %016llx flags %016llx\n", rm[mode & 3], mode & 4 ? " FZ" : "", mode & 8 ? " DN" : "",
                   op, (unsigned long long) h, (unsigned long long) fl);
        }
        h = 0xcbf29ce484222325ull, fl = 0;
        for (int i = 0; i < 1500; i++) {
            mix(fmad(rdouble(), rdouble(), rdouble()));
            mix(fnmss(rfloat(), rfloat(), rfloat()));
            fl = fl * 3 + fpsr_take();
        }
        printf("  fma %016llx flags %016llx\n", (unsigned long long) h, (unsigned long long) fl);
        for (int u = 0; u < 11; u++) {
            h = 0xcbf29ce484222325ull, fl = 0;
            for (int i = 0; i < 800; i++) {
                mix(unaryd(rdouble(), u));
                fl = fl * 3 + fpsr_take();
            }
            printf("  unary%d %016llx flags %016llx\n", u, (unsigned long long) h, (unsigned long long) fl);
        }
        h = 0xcbf29ce484222325ull, fl = 0;
        for (int i = 0; i < 800; i++) {
            vec((uint64_t) rfloat() << 32 | rfloat(), rdouble(), (uint64_t) rfloat() << 32 | rfloat(), rdouble());
            fl = fl * 3 + fpsr_take();
        }
        printf("  vector %016llx flags %016llx\n", (unsigned long long) h, (unsigned long long) fl);
    }
    return 0;
}
