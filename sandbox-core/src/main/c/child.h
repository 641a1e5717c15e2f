/* The cloned child: waits for its id maps, sets up the sandbox from inside, then execs (or runs init). */
#ifndef SBX_CHILD_H
#define SBX_CHILD_H

#include "spec.h"

/* The pipes between helper and child; -1 where absent. */
struct sbx_pipes {
    int sync_rd, sync_wr;     /* helper -> child: one "go" byte once the id maps are written */
    /* command -> helper, SOCK_SEQPACKET, close-on-exec: first a one-byte "about to exec" message whose
       SCM_CREDENTIALS give the command's host pid, then a failure record or, on exec, EOF. */
    int err_rd, err_wr;
    int status_rd, status_wr; /* PID 1 -> helper: the command's raw wait status (pid ns only) */
    int sigfd;                /* the helper's signalfd */
};

/* Set before the clone when the child must make its cgroup namespace itself, once the helper has
   moved it into its group (no CLONE_INTO_CGROUP). */
extern int sbx_late_cgroupns;

__attribute__((noreturn)) void child_main(const struct sbx_spec *spec, const struct sbx_pipes *p);

#endif
