/* cpubench [rounds]: a deterministic integer workload with no system call inside the timed part. Each round
 * fills 16 KiB with a xorshift64 sequence, hashes it with FNV-1a, multiplies two 16x16 integer matrices and
 * counts the primes below 4096 with a sieve. Prints the time taken and a checksum that every correct AArch64
 * processor gives for the same rounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "programs.h"

#define WORDS 4096
#define N 16
#define SIEVE 4096

static uint32_t words[WORDS];
static int32_t a[N][N], b[N][N], c[N][N];
static uint8_t composite[SIEVE];

static uint64_t round_of(uint64_t x)
{
    for (int i = 0; i < WORDS; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        words[i] = (uint32_t)(x >> 16);
    }
    uint32_t h = 2166136261u;
    const uint8_t *p = (const uint8_t *)words;
    for (size_t i = 0; i < sizeof words; i++) h = (h ^ p[i]) * 16777619u;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = (int32_t)words[i * N + j] >> 20;
            b[i][j] = (int32_t)words[WORDS - 1 - (i * N + j)] >> 20;
        }
    int64_t trace = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t s = 0;
            for (int k = 0; k < N; k++) s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
    for (int i = 0; i < N; i++) trace += c[i][i];
    memset(composite, 0, sizeof composite);
    int primes = 0;
    for (int i = 2; i < SIEVE; i++) {
        if (composite[i]) continue;
        primes++;
        for (int j = i * i; j < SIEVE; j += i) composite[j] = 1;
    }
    return x ^ h ^ (uint64_t)trace ^ ((uint64_t)primes << 32);
}

int cpubench_main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 200;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t x = 0x9E3779B97F4A7C15ull, sum = 0;
    for (long r = 0; r < rounds; r++) {
        uint64_t v = round_of(x);
        x = v | 1;
        sum = (sum << 5 | sum >> 59) ^ v;
    }
    printf("cpubench: %ld rounds in %.1f ms, checksum %016llx\n", rounds, elapsed_ms(&t0), (unsigned long long)sum);
    return 0;
}
