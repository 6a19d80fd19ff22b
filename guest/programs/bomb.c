/* bomb [seconds]: a fork bomb that stops itself. A child starts a new process group and forks without end
 * (each copy forks too); after the given seconds (default 10) the parent counts the processes, kills the
 * whole group with SIGKILL until none is left, and reports. Without the time limit it would run until
 * the guest could fork no more, and stay so. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "programs.h"

static int processes(void)
{
    DIR *d = opendir("/proc");
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9') n++;
    closedir(d);
    return n;
}

int bomb_main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 10;
    /* the bombers orphaned by kills come back to this process (not to init), which reaps them */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int before = processes();
    pid_t leader = fork();
    if (leader < 0) { perror("bomb: fork"); return 1; }
    if (leader == 0) {
        setpgid(0, 0);
        for (;;) fork();
    }
    setpgid(leader, leader);   /* also here, so that the group exists before the kill below either way */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sleep(seconds);
    int most = processes() - before;
    int rounds = 0;
    while (kill(-leader, SIGKILL) == 0) {   /* until ESRCH: no process is left in the group */
        rounds++;
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
        usleep(10000);
    }
    while (waitpid(-1, NULL, 0) > 0) {}
    printf("bomb: %d processes after %d s, all killed (%d rounds of SIGKILL) in %.1f ms\n", most, seconds, rounds,
           elapsed_ms(&t0) - seconds * 1e3);
    return 0;
}
