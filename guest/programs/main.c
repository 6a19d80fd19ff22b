/* jvprogs: the default guest's test programs in one static binary (one C library copy instead of eight);
 * /home/root/mem, io, ... are symbolic links to it, and "jvprogs NAME ARGS" works too. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "programs.h"

static const struct { const char *name; int (*main)(int, char **); } programs[] = {
    {"mem", mem_main}, {"io", io_main}, {"divide", divide_main}, {"access", access_main},
    {"fork", fork_main}, {"stack", stack_main}, {"bomb", bomb_main}, {"cpubench", cpubench_main},
};

double elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1e3 + (now.tv_nsec - since->tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
    for (int skip = 0; skip < 2 && argc > 0; skip++, argc--, argv++) {
        const char *base = strrchr(argv[0], '/');
        base = base ? base + 1 : argv[0];
        for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
            if (strcmp(base, programs[i].name) == 0) return programs[i].main(argc, argv);
    }
    fprintf(stderr, "usage: jvprogs mem|io|divide|access|fork|stack|bomb|cpubench [args]\n");
    return 2;
}
