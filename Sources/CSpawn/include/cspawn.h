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

/// Starts `path` as a child the caller waits for (`cspawn_wait`): its own
/// process group (so a timeout kills whatever it started too), default signal
/// dispositions, stdin on /dev/null, stdout and stderr written to `output_path`
/// (truncated), no other inherited descriptor. Returns the pid, or -errno.
pid_t cspawn_child(const char *path, char *const argv[], char *const envp[], const char *output_path);

/// Waits for a child of `cspawn_child` at most `timeout_ms`; past it, kills its
/// process group (SIGKILL) and reaps it. Returns 1 when the child exited by
/// itself (`*wait_status` as waitpid gives it), 0 when it was killed for the
/// timeout, -errno on failure. `*peak_rss_kib` is the child's peak resident set,
/// `*cpu_ms` the CPU time (user + system) it used.
int cspawn_wait(pid_t pid, int timeout_ms, int *wait_status, long *peak_rss_kib, long *cpu_ms);
#endif
