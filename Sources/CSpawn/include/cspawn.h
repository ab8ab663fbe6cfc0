#ifndef CSPAWN_H
#define CSPAWN_H
#include <sys/types.h>

/// Starts `path` with `argv` and `envp` as a detached process: its own session,
/// default signal dispositions, stdin on /dev/null, stdout and stderr appended to
/// `log_path` (or /dev/null when NULL), and no other inherited descriptor.
/// Returns the child's pid, or -errno on failure.
pid_t cspawn_detached(const char *path, char *const argv[], char *const envp[], const char *log_path);

/// Reaps every exited child without blocking; returns how many were reaped.
int cspawn_reap_children(void);
#endif
