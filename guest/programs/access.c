/* access: reads through a NULL pointer. The guest kernel finds no stage-1 mapping at address 0 and sends
 * SIGSEGV; the hypervisor sees nothing of it (a stage-1 fault is taken at EL1, inside the guest). */
#include <stdio.h>
#include "programs.h"

int access_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    volatile int *p = NULL;
    printf("access: reading address 0\n");
    fflush(stdout);
    printf("access: read %d (not reached)\n", *p);
    return 0;
}
