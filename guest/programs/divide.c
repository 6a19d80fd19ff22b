/* divide: an integer division by zero. AArch64's SDIV/UDIV give 0 for a zero divisor and raise no
 * exception (Arm ARM, SDIV), so the program goes on and prints 0: no trap, no signal. */
#include <stdio.h>
#include "programs.h"

int divide_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    volatile int a = 50, b = 0;   /* volatile: the division happens at run time, on the processor */
    int c = a / b;
    printf("a = %d\nb = %d\nc = a/b = %d\n", a, b, c);
    return 0;
}
