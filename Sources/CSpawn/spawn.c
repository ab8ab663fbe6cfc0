// Lives in C because POSIX_SPAWN_SETSID and posix_spawn_file_actions_addclosefrom_np
// are only declared under _GNU_SOURCE, which Swift's Glibc module does not define.
#define _GNU_SOURCE
#include "cspawn.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

pid_t cspawn_detached(const char *path, char *const argv[], char *const envp[], const char *log_path) {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    int rc = posix_spawnattr_init(&attr);
    if (rc != 0) return -rc;
    rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) { posix_spawnattr_destroy(&attr); return -rc; }

    // A new session detaches the generator from the handler's process group, so a
    // signal sent to the handler's group (Ctrl-C, spawn-fcgi shutdown) spares it.
    // Default dispositions: an ignored SIGCHLD or SIGPIPE would otherwise survive exec.
    sigset_t defaults, empty;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGCHLD);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGHUP);
    sigaddset(&defaults, SIGUSR1);
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    // fd 0 may be the FastCGI listening socket and fds 1–2 the pipes fcgiwrap waits
    // on: the child must hold none of them, nor the request's connection.
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (log_path != NULL && log_path[0] != '\0') {
        posix_spawn_file_actions_addopen(&actions, 1, log_path, O_WRONLY | O_APPEND | O_CREAT, 0640);
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    }
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);

    pid_t pid = 0;
    rc = posix_spawn(&pid, path, &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return rc == 0 ? pid : -rc;
}

int cspawn_reap_children(void) {
    int reaped = 0;
    while (waitpid(-1, NULL, WNOHANG) > 0) reaped++;
    return reaped;
}
