// Lives in C because POSIX_SPAWN_SETSID and posix_spawn_file_actions_addclosefrom_np
// are only declared under _GNU_SOURCE, which Swift's Glibc module does not define.
#define _GNU_SOURCE
#include "cspawn.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

/// The attributes and file actions both spawns share: default dispositions and
/// an empty mask (an ignored SIGCHLD or SIGPIPE would otherwise survive exec),
/// `group_flag` (POSIX_SPAWN_SETSID or POSIX_SPAWN_SETPGROUP), stdin on /dev/null.
/// Returns 0, or an errno with nothing left to destroy.
static int cspawn_prepare(posix_spawnattr_t *attr, posix_spawn_file_actions_t *actions, short group_flag) {
    int rc = posix_spawnattr_init(attr);
    if (rc != 0) return rc;
    rc = posix_spawn_file_actions_init(actions);
    if (rc != 0) { posix_spawnattr_destroy(attr); return rc; }
    sigset_t defaults, empty;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGCHLD);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGHUP);
    sigaddset(&defaults, SIGUSR1);
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(attr, &defaults);
    posix_spawnattr_setsigmask(attr, &empty);
    if (group_flag == POSIX_SPAWN_SETPGROUP) posix_spawnattr_setpgroup(attr, 0);
    posix_spawnattr_setflags(attr, group_flag | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0);
    return 0;
}

/// Closes every other descriptor in the child, spawns, and frees the attributes.
static pid_t cspawn_start(const char *path, char *const argv[], char *const envp[], posix_spawnattr_t *attr,
                          posix_spawn_file_actions_t *actions) {
    posix_spawn_file_actions_addclosefrom_np(actions, 3);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, path, actions, attr, argv, envp);
    posix_spawn_file_actions_destroy(actions);
    posix_spawnattr_destroy(attr);
    return rc == 0 ? pid : -rc;
}

pid_t cspawn_detached(const char *path, char *const argv[], char *const envp[], const char *log_path) {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    // A new session detaches the generator from the handler's process group, so a
    // signal sent to the handler's group (Ctrl-C, spawn-fcgi shutdown) spares it.
    int rc = cspawn_prepare(&attr, &actions, POSIX_SPAWN_SETSID);
    if (rc != 0) return -rc;

    // fd 0 may be the FastCGI listening socket and fds 1–2 the pipes fcgiwrap waits
    // on: the child must hold none of them, nor the request's connection.
    if (log_path != NULL && log_path[0] != '\0') {
        posix_spawn_file_actions_addopen(&actions, 1, log_path, O_WRONLY | O_APPEND | O_CREAT, 0640);
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    }
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    return cspawn_start(path, argv, envp, &attr, &actions);
}

int cspawn_reap_children(void) {
    int reaped = 0;
    while (waitpid(-1, NULL, WNOHANG) > 0) reaped++;
    return reaped;
}

pid_t cspawn_child(const char *path, char *const argv[], char *const envp[], const char *output_path) {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    // Its own process group: on a timeout the whole group is killed, so a
    // helper the program started cannot outlive it.
    int rc = cspawn_prepare(&attr, &actions, POSIX_SPAWN_SETPGROUP);
    if (rc != 0) return -rc;
    posix_spawn_file_actions_addopen(&actions, 1, output_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    // The generator's database connection and lock files stay out of the child.
    return cspawn_start(path, argv, envp, &attr, &actions);
}

static long long monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void cspawn_usage(const struct rusage *usage, long *peak_rss_kib, long *cpu_ms) {
    *peak_rss_kib = usage->ru_maxrss;
    *cpu_ms = (usage->ru_utime.tv_sec + usage->ru_stime.tv_sec) * 1000
        + (usage->ru_utime.tv_usec + usage->ru_stime.tv_usec) / 1000;
}

int cspawn_wait(pid_t pid, int timeout_ms, int *wait_status, long *peak_rss_kib, long *cpu_ms) {
    long long deadline = monotonic_ms() + timeout_ms;
    // Polling keeps SIGCHLD and the caller's signal mask untouched; the pause
    // grows from 2 to 50 ms, a negligible delay beside a PDF's second or two.
    long pause_us = 2000;
    struct rusage usage;
    for (;;) {
        pid_t done = wait4(pid, wait_status, WNOHANG, &usage);
        if (done == pid) {
            cspawn_usage(&usage, peak_rss_kib, cpu_ms);
            return 1;
        }
        if (done < 0 && errno != EINTR) return -errno;
        if (monotonic_ms() >= deadline) break;
        struct timespec pause = {0, pause_us * 1000};
        nanosleep(&pause, NULL);
        if (pause_us < 50000) pause_us *= 2;
    }
    kill(-pid, SIGKILL);
    while (wait4(pid, wait_status, 0, &usage) < 0) {
        if (errno != EINTR) return -errno;
    }
    cspawn_usage(&usage, peak_rss_kib, cpu_ms);
    return 0;
}
