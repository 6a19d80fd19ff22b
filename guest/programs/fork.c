/* fork: one fork; the parent waits for the child. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "programs.h"

int fork_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) {
        printf("i am child\n");
        return 0;
    }
    printf("i am mama\n");
    fflush(stdout);
    int status;
    if (waitpid(pid, &status, 0) < 0) { perror("waitpid"); return 1; }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
