/* printf of doubles and floats: %f %e %g %a over edge values (zeros, denormals, NaN, inf, halfway cases). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static double d_of(uint64_t bits) {
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

static float f_of(uint32_t bits) {
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static const uint64_t DBITS[] = {
    0, 0x8000000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,
    0xfff8000000000000ull, 1, 0x000fffffffffffffull, 0x0010000000000000ull, 0x7fefffffffffffffull,
    0x3ff0000000000000ull, 0x3fe0000000000000ull, 0x3ff8000000000000ull, 0x4004000000000000ull,
    0x3fb999999999999aull, 0x400921fb54442d18ull, 0x3fd5555555555555ull, 0x43e0000000000000ull,
    0xc1e0000000000000ull, 0x3ff0000000000001ull, 0x3fefffffffffffffull, 0x0000000000000123ull,
};

static const uint32_t FBITS[] = {
    0, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 1, 0x007fffffu, 0x00800000u, 0x7f7fffffu,
    0x3f800000u, 0x3dcccccdu, 0x40490fdbu, 0x3eaaaaabu, 0x4b000001u, 0xcf000000u,
};

static void show(double d) {
    printf("%f|%.0f|%.3f|%.17f|%e|%.0e|%.10e|%g|%.17g|%a|%.3a|%-12.4g|%+09.2f|%#.0f\n", d, d, d, d, d, d, d, d, d,
           d, d, d, d, d);
}

int main(void) {
    for (unsigned i = 0; i < sizeof DBITS / sizeof DBITS[0]; i++) show(d_of(DBITS[i]));
    for (unsigned i = 0; i < sizeof FBITS / sizeof FBITS[0]; i++) show(f_of(FBITS[i]));
    /* Rounding of the decimal conversions: halfway cases and long expansions. */
    volatile double half[] = {0.5, 1.5, 2.5, 0.125, 0.375, 2.675, 1e22, 1e23, 5e-324, 2.2250738585072009e-308,
                              123456789012345678.0, 0.1 + 0.2, 1.0 / 3.0, 2.0 / 3.0, 1e-5, 9.9999999999999995e-8};
    for (unsigned i = 0; i < sizeof half / sizeof half[0]; i++)
        printf("%.0f %.1f %.2f %.20e %.30g\n", half[i], half[i], half[i], half[i], half[i]);
    /* Computed values: powers of 10 and 2 by repeated multiplication, and a series. */
    volatile double p = 1.0, q = 1.0;
    for (int i = 0; i < 40; i++) {
        p *= 10.0;
        q /= 7.0;
        printf("%d %.17g %.17g %a %g\n", i, p, q, q * p, (float) q);
    }
    double s = 0;
    for (int i = 1; i <= 2000; i++) s += 1.0 / ((double) i * i);
    printf("basel %.17g %a\n", s, s);
    float fs = 0;
    for (int i = 1; i <= 2000; i++) fs += 1.0f / ((float) i * (float) i);
    printf("basel float %.9g %a\n", fs, fs);
    printf("limits %g %g %g %g %a %a\n", DBL_MAX, DBL_MIN, DBL_EPSILON, FLT_EPSILON, DBL_TRUE_MIN, (double) FLT_TRUE_MIN);
    printf("ints %d %ld %lu %x %lo\n", -123456, -9223372036854775807L - 1, 18446744073709551615UL, 0xdeadbeef, 0777L);
    return 0;
}
