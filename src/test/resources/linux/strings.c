/* String functions over buffers of every alignment 0..15 and length 0..256: checksums of results. glibc
 * chooses its (SIMD) implementations by HWCAP at start-up. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned char src[1024] __attribute__((aligned(64)));
static unsigned char dst[1024] __attribute__((aligned(64)));
static uint64_t h = 1469598103934665603ull;

static void mix(uint64_t v) {
    h ^= v;
    h *= 1099511628211ull;
}

static void mixbuf(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) mix(p[i]);
}

static void fill(void) {
    uint32_t x = 12345;
    for (int i = 0; i < 1024; i++) {
        x = x * 1103515245u + 12345u;
        src[i] = (unsigned char) ((x >> 16) % 255 + 1); /* no zero bytes */
    }
}

static void report(const char *name) {
    printf("%-8s %016llx\n", name, (unsigned long long) h);
    h = 1469598103934665603ull;
}

int main(void) {
    fill();
    for (int sa = 0; sa < 16; sa++)
        for (int da = 0; da < 16; da += 3)
            for (int n = 0; n <= 256; n++) {
                memset(dst, 0x5a, 600);
                memcpy(dst + da, src + sa, n);
                mixbuf(dst, 300);
            }
    report("memcpy");
    for (int a = 0; a < 16; a++)
        for (int n = 0; n <= 256; n++)
            for (int d = -17; d <= 17; d += 17) {
                memcpy(dst, src, 600);
                memmove(dst + 64 + a + d, dst + 64 + a, n);
                mixbuf(dst, 400);
            }
    report("memmove");
    for (int a = 0; a < 16; a++)
        for (int n = 0; n <= 256; n++) {
            memset(dst, 0, 300);
            memset(dst + a, n & 0xff, n);
            mixbuf(dst, 300);
        }
    report("memset");
    for (int a = 0; a < 16; a++)
        for (int n = 0; n <= 256; n++) {
            memcpy(dst + a, src + 3, n);
            mix((uint64_t) (memcmp(dst + a, src + 3, n) == 0));
            if (n > 0) {
                dst[a + n - 1] ^= 0x80;
                int c = memcmp(dst + a, src + 3, n);
                mix(c < 0 ? 1 : c > 0 ? 2 : 0);
                dst[a + n / 2] = 0;
                c = memcmp(dst + a, src + 3, n);
                mix(c < 0 ? 1 : c > 0 ? 2 : 0);
            }
        }
    report("memcmp");
    for (int a = 0; a < 16; a++)
        for (int n = 0; n <= 256; n++) {
            memcpy(dst + a, src, n);
            dst[a + n] = 0;
            mix(strlen((char *) dst + a));
            mix(strnlen((char *) dst + a, n / 2));
            char *p = strchr((char *) dst + a, src[n / 3]);
            mix(p ? (uint64_t) (p - (char *) dst) : 999);
            p = strchr((char *) dst + a, 0);
            mix((uint64_t) (p - (char *) dst));
            p = strrchr((char *) dst + a, src[n / 2]);
            mix(p ? (uint64_t) (p - (char *) dst) : 999);
            void *q = memchr(dst + a, src[n / 4], n);
            mix(q ? (uint64_t) ((unsigned char *) q - dst) : 999);
            q = memchr(dst + a, 0xff, n);
            mix(q ? (uint64_t) ((unsigned char *) q - dst) : 999);
        }
    report("strlen+chr");
    for (int a = 0; a < 16; a++)
        for (int b = 0; b < 16; b += 5)
            for (int n = 0; n <= 256; n++) {
                memcpy(dst + a, src, n);
                dst[a + n] = 0;
                memcpy(dst + 512 + b, src, n);
                dst[512 + b + n] = 0;
                int c = strcmp((char *) dst + a, (char *) dst + 512 + b);
                mix(c < 0 ? 1 : c > 0 ? 2 : 0);
                if (n > 0) dst[512 + b + n - 1] ^= 1;
                c = strcmp((char *) dst + a, (char *) dst + 512 + b);
                mix(c < 0 ? 1 : c > 0 ? 2 : 0);
                c = strncmp((char *) dst + a, (char *) dst + 512 + b, n / 2 + 1);
                mix(c < 0 ? 1 : c > 0 ? 2 : 0);
            }
    report("strcmp");
    for (int a = 0; a < 16; a++)
        for (int n = 0; n <= 256; n++) {
            memset(dst, 0x33, 600);
            memcpy(dst + 300, src, n);
            dst[300 + n] = 0;
            strncpy((char *) dst + a, (char *) dst + 300, n / 2 + 8);
            mixbuf(dst, 300);
            strcpy((char *) dst + a, (char *) dst + 300);
            mixbuf(dst, 300);
            mix((uint64_t) (stpcpy((char *) dst + a + 1, (char *) dst + 300) - (char *) dst));
        }
    report("strcpy");
    return 0;
}
