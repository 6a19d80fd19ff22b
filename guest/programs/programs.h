/* The trap experiment's test programs, one multi-call binary: main() runs the program named by argv[0]. */
#ifndef PROGRAMS_H
#define PROGRAMS_H
#include <time.h>
int mem_main(int argc, char **argv);
int io_main(int argc, char **argv);
int divide_main(int argc, char **argv);
int access_main(int argc, char **argv);
int fork_main(int argc, char **argv);
int stack_main(int argc, char **argv);
int bomb_main(int argc, char **argv);
int cpubench_main(int argc, char **argv);
double elapsed_ms(const struct timespec *since);
#endif
