/* The last step in the sandbox: exec the command with exactly the spec's argv and environment. */
#ifndef SBX_EXEC_H
#define SBX_EXEC_H

#include "spec.h"

/* The one-byte message the command sends on the error channel right before exec. */
#define SBX_EXEC_ANNOUNCE "x"

#include <sys/types.h>

/* The JVM's pid, as the helper saw it when it started (its parent). */
extern pid_t sbx_jvm_pid;

/*
 * Never returns: drops what the command may not keep (security.c), then execs, or writes
 * {step, errno, path} to err_fd and _exit(127)s. monitor and jvm: the processes the command
 * could name and must not touch (0 with a pid namespace).
 */
__attribute__((noreturn)) void exec_command(const struct sbx_spec *spec, int err_fd, pid_t monitor, pid_t jvm);

#endif
