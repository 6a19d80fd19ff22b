/* glibc's static start-up (TLS, IRELATIVE relocations choosing string functions by HWCAP, stdio). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    char *p = malloc(100);
    strcpy(p, "hello from glibc");
    printf("%s, argc=%d, strlen=%zu\n", p, argc, strlen(p));
    free(p);
    return 0;
}
