/* Conversions: decimal strings to and from double/float (strtod, strtof, sscanf, snprintf round trips),
 * FP <-> integer casts at the limits, half precision (__fp16), sorting doubles, and -Ofast reductions. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *DEC[] = {"0", "-0", "1", "0.1", "0.2", "0.3", "1e-320", "4.9406564584124654e-324",
                            "2.4703282292062327e-324", "2.4703282292062328e-324", "1.7976931348623157e308",
                            "1.7976931348623158e308", "1.8e308", "2.2250738585072011e-308", "2.2250738585072012e-308",
                            "9007199254740993", "9007199254740992.5", "123456789012345678901234567890",
                            "3.14159265358979323846264338327950288", "1e23", "8.98846567431158e307", "0x1.8p1",
                            "inf", "-nan", "1e-45", "1.4e-45", "3.4028235e38", "3.4028236e38", "16777217",
                            "0.000000000000000000000000000000000000011754943508222875"};

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y ? 1 : 0;
}

__attribute__((optimize("Ofast"), noinline)) static float fsum(const float *p, int n) {
    float s = 0;
    for (int i = 0; i < n; i++) s += p[i] * p[i];
    return s;
}

__attribute__((optimize("Ofast"), noinline)) static double dmin(const double *p, int n) {
    double m = p[0];
    for (int i = 1; i < n; i++) m = fmin(m, p[i]);
    return m;
}

int main(void) {
    char buf[64];
    for (unsigned i = 0; i < sizeof DEC / sizeof DEC[0]; i++) {
        char *end;
        double d = strtod(DEC[i], &end);
        float f = strtof(DEC[i], NULL);
        double s;
        sscanf(DEC[i], "%lf", &s);
        snprintf(buf, sizeof buf, "%.17g", d);
        double back = strtod(buf, NULL);
        printf("%s -> %a %a %a [%s] round trip %d, consumed %d\n", DEC[i], d, (double) f, s, buf,
               memcmp(&back, &d, 8) == 0, (int) (end - DEC[i]));
    }
    static const double LIM[] = {-1.0, -0.5, 0.5, 0.99999, 2147483647.0, 2147483648.0, -2147483649.0,
                                 4294967295.5, 4294967296.0, 9.2233720368547758e18, -9.2233720368547758e18,
                                 1.8446744073709552e19, 1e300, -1e300, NAN, INFINITY, -INFINITY};
    for (unsigned i = 0; i < sizeof LIM / sizeof LIM[0]; i++) {
        volatile double d = LIM[i];
        volatile float f = (float) d;
        printf("%a: i32 %d u32 %u i64 %ld u64 %lu | f %a i32 %d u32 %u i64 %ld u64 %lu | lround %ld\n", d, (int32_t) d,
               (uint32_t) d, (int64_t) d, (uint64_t) d, (double) f, (int32_t) f, (uint32_t) f, (int64_t) f,
               (uint64_t) f, isnan(d) || isinf(d) || fabs(d) > 9e18 ? 0L : lround(d));
    }
    static const int64_t INTS[] = {0, 1, -1, 16777217, -16777217, 9007199254740993, INT64_MAX, INT64_MIN,
                                   (int64_t) 0x8000000000000401, 0x7ffffffffffffdff};
    for (unsigned i = 0; i < sizeof INTS / sizeof INTS[0]; i++) {
        volatile int64_t v = INTS[i];
        printf("%ld: d %a f %a ud %a uf %a (i32) f %a\n", (long) v, (double) v, (double) (float) v,
               (double) (uint64_t) v, (double) (float) (uint64_t) v, (double) (float) (int32_t) v);
    }
    static const float HF[] = {0.0f, -0.0f, 1.0f, 65504.0f, 65520.0f, 65519.0f, 1e-8f, 5.96e-8f, 2.98e-8f,
                               6.1e-5f, 0.333333f, -2.5f, INFINITY, NAN};
    for (unsigned i = 0; i < sizeof HF / sizeof HF[0]; i++) {
        volatile float f = HF[i];
        __fp16 h = (__fp16) f;
        uint16_t bits;
        memcpy(&bits, &h, 2);
        volatile double d = HF[i] * 1.0000001;
        __fp16 hd = (__fp16) d;
        uint16_t bd;
        memcpy(&bd, &hd, 2);
        printf("half %a -> %04x -> %a; from double %04x\n", (double) f, bits, (double) (float) h, bd);
    }
    double arr[200];
    uint32_t r = 7;
    for (int i = 0; i < 200; i++) {
        r = r * 1103515245u + 12345u;
        arr[i] = ((double) (int32_t) r) / (double) (r % 1000 + 1);
    }
    qsort(arr, 200, sizeof(double), cmp);
    uint64_t h = 0;
    for (int i = 0; i < 200; i++) {
        uint64_t b;
        memcpy(&b, &arr[i], 8);
        h = h * 31 + b;
    }
    printf("sorted %016llx first %a last %a\n", (unsigned long long) h, arr[0], arr[199]);
    float fl[333];
    for (int i = 0; i < 333; i++) fl[i] = (float) arr[i % 200] * 1e-3f;
    printf("ofast fsum %a dmin %a\n", fsum(fl, 333), dmin(arr, 200));
    return 0;
}
