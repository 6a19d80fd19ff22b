/* bomb [seconds [tasks]]: a fork bomb that stops itself. A child starts a new process group and forks
 * without end (each copy forks too); after the given seconds (default 10) the parent counts the processes,
 * kills the whole group with SIGKILL until none is left, and reports. Without the time limit it would run
 * until the guest could fork no more, and stay so.
 *
 * The bombers run as user nobody with RLIMIT_NPROC at the given tasks (default 200; root ignores the
 * limit) and at nice 19. Without that, on jvisor's interpreted processor (many times slower than a real one) the
 * spinning bombers starve the guest kernel's own threads (ksoftirqd, RCU's grace-period thread), so the
 * memory that exiting and failed forks free after an RCU grace period is never freed: the guest runs out
 * of memory, and its OOM killer kills bombers one at a time, each kill reported in a hundred console lines,
 * for minutes. With the limits, fork fails with EAGAIN once nobody has that many processes, the bombers
 * spin, and the kernel's threads still run. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

static void write_proc(const char *path, const char *value)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(value, f);
        fclose(f);
    }
}

int bomb_main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 10;
    long tasks = argc > 2 ? atol(argv[2]) : 200;
    /* the bombers orphaned by kills come back to this process (not to init), which reaps them */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int before = processes();
    pid_t leader = fork();
    if (leader < 0) { perror("bomb: fork"); return 1; }
    if (leader == 0) {
        setpgid(0, 0);
        write_proc("/proc/self/oom_score_adj", "1000");   /* the bombers first, should memory run out anyway */
        struct rlimit nproc = {tasks, tasks};
        if (setpriority(PRIO_PROCESS, 0, 19) != 0 || setrlimit(RLIMIT_NPROC, &nproc) != 0 || setgid(65534) != 0
                || setuid(65534) != 0) {
            perror("bomb: cannot become nobody with a process limit");
            _exit(1);
        }
        for (;;) fork();
    }
    setpgid(leader, leader);   /* also here, so that the group exists before the kill below either way */
    /* should memory run out, Linux's OOM killer must not pick this process */
    write_proc("/proc/self/oom_score_adj", "-1000");
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
