/* stack: unbounded recursion. Each call takes a 1 KiB frame until the stack reaches its limit
 * (RLIMIT_STACK, 8 MiB) and the guest kernel sends SIGSEGV. Every new stack page is a stage-1 fault in
 * the guest and, for RAM the VM never touched, a stage-2 fault. */
#include <stdio.h>
#include <string.h>
#include "programs.h"

static unsigned long depth;

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static unsigned long recurse(volatile char *prev)
{
    volatile char frame[1024];
    frame[0] = prev ? prev[0] + 1 : 0;
    depth++;
    return recurse(frame) + frame[0];   /* not a tail call: every frame stays */
}

int stack_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    printf("stack: recursing\n");
    fflush(stdout);
    return (int)recurse(NULL);
}
