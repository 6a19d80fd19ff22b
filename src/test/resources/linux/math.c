/* libm: transcendental functions, fma, rounding functions, lrint under every rounding mode, and the
 * exception flags (fetestexcept) raised by operations. Results printed exactly (%a). */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

static const double X[] = {0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1.5, 2.5, -2.5, 3.0, 0.1, 1e-300, 1e300, 4.9e-324,
                           2.2250738585072014e-308, 100.0, -700.0, 710.0, 3.14159265358979, 1e16, 4503599627370496.5,
                           0.49999999999999994, 2147483647.5, -2147483648.5, 9.2233720368547758e18, INFINITY,
                           -INFINITY, NAN};
#define N (sizeof X / sizeof X[0])

static void flags(const char *what) {
    int f = fetestexcept(FE_ALL_EXCEPT);
    printf("%s:%s%s%s%s%s\n", what, f & FE_INVALID ? " invalid" : "", f & FE_DIVBYZERO ? " divbyzero" : "",
           f & FE_OVERFLOW ? " overflow" : "", f & FE_UNDERFLOW ? " underflow" : "", f & FE_INEXACT ? " inexact" : "");
    feclearexcept(FE_ALL_EXCEPT);
}

int main(void) {
    for (unsigned i = 0; i < N; i++) {
        volatile double x = X[i];
        printf("%a: sin %a cos %a tan %a exp %a log %a sqrt %a cbrt %a atan %a\n", x, sin(x), cos(x), tan(x), exp(x),
               log(fabs(x)), sqrt(fabs(x)), cbrt(x), atan(x));
        printf("  floor %a ceil %a round %a trunc %a rint %a nearbyint %a pow %a fma %a hypot %a fmod %a\n", floor(x),
               ceil(x), round(x), trunc(x), rint(x), nearbyint(x), pow(fabs(x), 0.75), fma(x, x, -1.0), hypot(x, 3.0),
               fmod(x, 0.7));
        float f = (float) x;
        printf("  float %a sinf %a expf %a logf %a sqrtf %a powf %a roundf %a fmaf %a\n", f, sinf(f), expf(f),
               logf(fabsf(f)), sqrtf(fabsf(f)), powf(fabsf(f), 1.25f), roundf(f), fmaf(f, f, -1.0f));
        feclearexcept(FE_ALL_EXCEPT);
    }
    static const int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    static const char *names[] = {"nearest", "upward", "downward", "towardzero"};
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        printf("mode %s (fegetround ok %d)\n", names[m], fegetround() == modes[m]);
        for (unsigned i = 0; i < N; i++) {
            volatile double x = X[i];
            feclearexcept(FE_ALL_EXCEPT);
            long l = lrint(x);
            long long ll = llrint(x * 3.0);
            printf("  %a: lrint %ld llrint(3x) %lld rint %a nearbyint %a lrintf %ld 1/3 %a x*1.1 %a x+1e-17 %a", x, l, ll,
                   rint(x), nearbyint(x), lrintf((float) x), x / 3.0, x * 1.1, x + 1e-17);
            flags("");
        }
        volatile float a = 1.0f, b = 3.0f;
        printf("  float 1/3 %a (double)(float) %a sqrt2 %a\n", a / b, (double) (float) (1.0 / 3.0), sqrt(2.0));
    }
    fesetround(FE_TONEAREST);
    volatile double zero = 0.0, one = 1.0, big = 1e308, tiny = 1e-308, inf = INFINITY, three = 3.0;
    volatile double r;
    feclearexcept(FE_ALL_EXCEPT);
    r = one / zero; flags("1/0");
    r = zero / zero; flags("0/0");
    r = inf - inf; flags("inf-inf");
    r = big * 10.0; flags("overflow");
    r = tiny / 1e10; flags("underflow");
    r = one / three; flags("1/3");
    r = sqrt(-one); flags("sqrt(-1)");
    r = log(zero); flags("log(0)");
    r = exp(1000.0); flags("exp(1000)");
    r = exp(-1000.0); flags("exp(-1000)");
    long l = lrint(1e30); flags("lrint(1e30)");
    int i = (int) (volatile double) 3e10; flags("(int)3e10");
    volatile float fnan = NAN;
    r = fnan + 1.0f; flags("qnan+1");
    (void) r; (void) l; (void) i;
    printf("int conversions %d %u %ld %lu\n", (int) -2.9, (unsigned) 3.99, (long) -1e18, (unsigned long) 1.8e19);
    return 0;
}
