/* PID 1 of the sandbox's pid namespace: forks the command, forwards signals, reaps. */
#ifndef SBX_INIT_H
#define SBX_INIT_H

#include <signal.h>

#include "spec.h"

/* The signals the helper sends to PID 1 and PID 1 passes on to the command. */
void init_forwarded_signals(sigset_t *set);

/*
 * Never returns. Forks the command (which execs or reports to err_fd), closes err_fd, then reaps
 * until the command ends, writes its raw wait status to status_fd and exits with its code
 * (128 + signal when killed).
 */
__attribute__((noreturn)) void init_main(const struct sbx_spec *spec, int err_fd, int status_fd);

#endif
