/*
 * What the command keeps of its sandbox's privileges: the ids it runs as, a locked mount table,
 * its capabilities, no_new_privs, its own session and the seccomp filters. Runs in the child after
 * the view is built, in the order the kernel needs (see security.c).
 */
#ifndef SBX_SECURITY_H
#define SBX_SECURITY_H

#include <sys/types.h>

#include "spec.h"

/* Before the view is built: hold what the later steps need from the host's /proc. */
int security_prepare(void);
/* First thing in the child, before its maps exist: the bounding and ambient sets emptied but for kept capabilities. */
int security_bound_capabilities(const struct sbx_spec *spec);
/* Then: supplementary groups, gid, uid (capabilities in the user ns stay). */
int security_set_ids(const struct sbx_spec *spec);
/* Once the view is built: the nested user namespace that locks it (SBX_SEC_LOCK_MOUNTS), bounded again. */
int security_after_view(const struct sbx_spec *spec);
/*
 * Right before execve, in the process that execs: the new session, capabilities, no_new_privs and
 * seccomp. monitor is the helper's pid and jvm the JVM's (0 with a pid namespace, where the
 * command cannot name them): the guard filter refuses signals, ptrace and pidfds aimed at them.
 */
int security_before_exec(const struct sbx_spec *spec, pid_t monitor, pid_t jvm);
/* PID 1 once it has forked the command: every capability set emptied, best effort. */
void drop_all_capabilities(void);

#endif
