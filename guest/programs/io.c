/* io [lines]: writes lines (default 1000) to standard output, each with its own write(2), so on the serial
 * console every character passes through the PL011's data register (an MMIO access: an IO trap). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "programs.h"

int io_main(int argc, char **argv)
{
    long lines = argc > 1 ? atol(argv[1]) : 1000;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char line[64];
    for (long i = 1; i <= lines; i++) {
        int n = snprintf(line, sizeof line, "io line %ld\n", i);
        if (write(1, line, n) != n) { perror("io: write"); return 1; }
    }
    fprintf(stderr, "io: wrote %ld lines in %.1f ms\n", lines, elapsed_ms(&t0));
    return 0;
}
