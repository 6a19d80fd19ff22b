/* Loops GCC vectorises at -O3: integer and float reductions, saxpy, conversions, compares and selects. */
#include <stdint.h>
#include <stdio.h>

#define N 1003
static int32_t a[N], b[N];
static int16_t s16[N];
static uint8_t u8[N];
static float x[N], y[N];
static double dx[N], dy[N];

__attribute__((noinline)) static int64_t isum(const int32_t *p, int n) {
    int64_t s = 0;
    for (int i = 0; i < n; i++) s += p[i];
    return s;
}

__attribute__((noinline)) static int32_t imax(const int32_t *p, int n) {
    int32_t m = INT32_MIN;
    for (int i = 0; i < n; i++) m = p[i] > m ? p[i] : m;
    return m;
}

__attribute__((noinline)) static uint32_t u8sum(const uint8_t *p, int n) {
    uint32_t s = 0;
    for (int i = 0; i < n; i++) s += p[i];
    return s;
}

__attribute__((noinline)) static int32_t dot16(const int16_t *p, const int16_t *q, int n) {
    int32_t s = 0;
    for (int i = 0; i < n; i++) s += p[i] * q[i];
    return s;
}

__attribute__((noinline)) static uint32_t xorall(const int32_t *p, int n) {
    uint32_t s = 0;
    for (int i = 0; i < n; i++) s ^= (uint32_t) p[i] * 2654435761u;
    return s;
}

__attribute__((noinline)) static void saxpy(float alpha, const float *p, float *q, int n) {
    for (int i = 0; i < n; i++) q[i] = alpha * p[i] + q[i];
}

__attribute__((noinline)) static void daxpy(double alpha, const double *p, double *q, int n) {
    for (int i = 0; i < n; i++) q[i] = alpha * p[i] + q[i];
}

__attribute__((noinline)) static float fmaxred(const float *p, int n) {
    float m = -1e30f;
    for (int i = 0; i < n; i++) m = p[i] > m ? p[i] : m;
    return m;
}

__attribute__((noinline)) static void mix(int32_t *out, const int32_t *p, const int32_t *q, int n) {
    for (int i = 0; i < n; i++) {
        int32_t v = p[i] * 3 - (q[i] >> 2);
        v = v < 0 ? -v : v;
        out[i] = (v ^ (q[i] << 3)) + (p[i] > q[i] ? p[i] : q[i]) + (int32_t) ((uint32_t) p[i] >> 7);
    }
}

__attribute__((noinline)) static void convert(float *out, double *dout, const int32_t *p, int n) {
    for (int i = 0; i < n; i++) {
        out[i] = (float) p[i] * 0.5f + 0.25f;
        dout[i] = (double) p[i] / 3.0;
    }
}

__attribute__((noinline)) static void narrow(uint8_t *out, const int32_t *p, int n) {
    for (int i = 0; i < n; i++) {
        int32_t v = p[i] >> 20;
        out[i] = (uint8_t) (v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

__attribute__((noinline)) static void fsel(float *out, const float *p, const float *q, int n) {
    for (int i = 0; i < n; i++) out[i] = p[i] < q[i] ? p[i] * q[i] : p[i] - q[i];
}

static uint64_t hash(const void *p, int bytes) {
    const uint8_t *c = p;
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < bytes; i++) h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

int main(void) {
    uint32_t r = 2463534242u;
    for (int i = 0; i < N; i++) {
        r ^= r << 13;
        r ^= r >> 17;
        r ^= r << 5;
        a[i] = (int32_t) r;
        b[i] = (int32_t) (r * 2654435761u) >> 3;
        s16[i] = (int16_t) (r >> 7);
        u8[i] = (uint8_t) (r >> 11);
        x[i] = (float) (int32_t) (r >> 8) / 65536.0f;
        y[i] = (float) i * 0.001f - 0.3f;
        dx[i] = (double) (int32_t) r / 3.0;
        dy[i] = 1.0 / (i + 1);
    }
    for (int n = 0; n <= N; n += (n < 40 ? 1 : 97)) {
        printf("n=%d isum %lld imax %d u8sum %u dot16 %d xor %08x\n", n, (long long) isum(a, n), imax(a, n),
               u8sum(u8, n), dot16(s16, s16 + 1, n > 0 ? n - 1 : 0), xorall(b, n));
    }
    saxpy(1.75f, x, y, N);
    daxpy(-0.3, dx, dy, N);
    printf("saxpy %016llx %a %a daxpy %016llx %a\n", (unsigned long long) hash(y, sizeof y), y[0], y[N - 1],
           (unsigned long long) hash(dy, sizeof dy), dy[N / 2]);
    printf("fmax %a\n", fmaxred(x, N));
    mix(b, a, b, N);
    printf("mix %016llx\n", (unsigned long long) hash(b, sizeof b));
    convert(x, dx, a, N);
    printf("convert %016llx %016llx %a %a\n", (unsigned long long) hash(x, sizeof x),
           (unsigned long long) hash(dx, sizeof dx), x[5], dx[5]);
    narrow(u8, b, N);
    printf("narrow %016llx\n", (unsigned long long) hash(u8, sizeof u8));
    fsel(y, x, y, N);
    printf("fsel %016llx\n", (unsigned long long) hash(y, sizeof y));
    return 0;
}
