/* The helper after STARTED: watches the command, the control socket and the clock. */
#ifndef SBX_MONITOR_H
#define SBX_MONITOR_H

#include <stdint.h>
#include <sys/types.h>

struct sbx_monitor {
    pid_t child;      /* our direct child: PID 1 with a pid ns, else the command itself */
    pid_t command;    /* the command's host pid */
    int pidns;
    int status_rd;    /* PID 1's status pipe, -1 without a pid ns */
    int sigfd;        /* signalfd for SIGCHLD */
    int64_t timeout_at_ms; /* CLOCK_MONOTONIC deadline, 0 = none */
    uint64_t grace_ms;
    int cpu_fd;            /* the cgroup's CPU usage file (cputime.h), -1 without a CPU-time limit */
    uint64_t cpu_limit_ns;
    int cpus;              /* how many CPUs the sandbox can use at once (cputime_cpus) */
};

/* Monotonic milliseconds. */
int64_t now_ms(void);

/* SIGKILL everything we started (does not reap). */
void kill_tree(const struct sbx_monitor *m);
/* After the direct child is gone or killed: kill and reap whatever is left until we have no children. */
void reap_leftovers(const struct sbx_monitor *m);

/* Command bytes read from fd 3 and not handled yet (a frame may come in pieces). */
struct sbx_commands {
    unsigned char buf[256];
    size_t len;
};

/*
 * Sends EXIT when the command has ended (and its whole tree is gone), then exits 0; exits 1 on
 * hang-up. With reuse (a --reuse helper) it returns instead, right after EXIT, with the command
 * bytes read but not handled in *left (for monitor_await_recycle).
 */
void monitor_run(struct sbx_monitor *m, int reuse, struct sbx_commands *left);

/*
 * After EXIT, in a --reuse helper: commands the JVM sent before it read EXIT are dropped (the tree
 * is gone) until SBX_CMD_RECYCLE. Reads exactly up to its end, never into the next spec (whose
 * first bytes carry descriptors). End of file ends the helper: the JVM keeps it no longer.
 */
void monitor_await_recycle(struct sbx_commands *c);

#endif
