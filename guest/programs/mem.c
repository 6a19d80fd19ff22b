/* mem [MiB]: allocates MiB (default 64) and writes one byte in each page, so every page is faulted in once:
 * a stage-1 fault in the guest kernel and, for RAM the VM never touched, a stage-2 fault (a MEM trap). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "programs.h"

int mem_main(int argc, char **argv)
{
    long mib = argc > 1 ? atol(argv[1]) : 64;
    long page = sysconf(_SC_PAGESIZE);
    size_t len = (size_t)mib << 20;
    /* mmap rather than malloc: fresh anonymous memory, nothing touched before the loop */
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mem: mmap"); return 1; }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long pages = 0;
    for (size_t off = 0; off < len; off += page, pages++) ((volatile unsigned char *)p)[off] = 1;
    printf("mem: touched %lu pages of %ld bytes (%ld MiB) in %.1f ms\n", pages, page, mib, elapsed_ms(&t0));
    return 0;
}
