/* The last step in the sandbox: exec the command with exactly the spec's argv and environment. */
#ifndef SBX_EXEC_H
#define SBX_EXEC_H

#include "spec.h"

/* The one-byte message the command sends on the error channel right before exec. */
#define SBX_EXEC_ANNOUNCE "x"

/* Never returns: execs, or writes {step "execve", errno, path} to err_fd and _exit(127)s. */
__attribute__((noreturn)) void exec_command(const struct sbx_spec *spec, int err_fd);

#endif
