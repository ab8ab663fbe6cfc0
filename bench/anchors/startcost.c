/*
 * Start-up and connection costs for the benchmark (bench/README.md).
 *   startcost N program [args...]   posix_spawn + waitpid N times; JSON with the median,
 *                                   p90 and min wall time in ms (stdio to /dev/null).
 *   startcost --connect N conninfo  PQconnectdb + PQfinish N times; the same figures.
 */
#include <fcntl.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static void report(double *v, int n, int status) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    printf("{\"runs\": %d, \"median_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"min_ms\": %.3f, \"last_status\": %d}\n",
           n, v[n / 2], v[(int)(n * 0.9)], v[(int)(n * 0.99)], v[0], status);
}

int main(int argc, char **argv) {
    if (argc >= 4 && !strcmp(argv[1], "--connect")) {
        int n = atoi(argv[2]);
        double *v = calloc((size_t)n, sizeof *v);
        for (int i = 0; i < n; i++) {
            double t = now_ms();
            PGconn *c = PQconnectdb(argv[3]);
            if (PQstatus(c) != CONNECTION_OK) { fprintf(stderr, "%s", PQerrorMessage(c)); return 1; }
            PQfinish(c);
            v[i] = now_ms() - t;
        }
        report(v, n, 0);
        return 0;
    }
    if (argc < 3) { fprintf(stderr, "usage: startcost N program [args...] | --connect N conninfo\n"); return 64; }
    int n = atoi(argv[1]);
    double *v = calloc((size_t)n, sizeof *v);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int status = 0;
    for (int i = 0; i < n; i++) {
        pid_t pid;
        double t = now_ms();
        if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ)) { perror("posix_spawn"); return 1; }
        waitpid(pid, &status, 0);
        v[i] = now_ms() - t;
    }
    report(v, n, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
