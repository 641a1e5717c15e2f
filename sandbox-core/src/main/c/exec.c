#include "exec.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "hygiene.h"
#include "rlimit.h"
#include "security.h"

pid_t sbx_jvm_pid;


/* Only dispositions set to SIG_IGN survive exec; the helper ignores SIGPIPE, so undo that. */
static void restore_signal_defaults(void)
{
    struct sigaction sa = {.sa_handler = SIG_DFL};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Like execvpe: try each PATH directory; EACCES is remembered, "not there" moves on. */
static void search_and_exec(const struct sbx_spec *spec)
{
    const char *file = spec->argv[0];
    const char *dirs = spec->path; /* always in the spec: the JVM owns the default (Sandbox.DEFAULT_PATH) */
    char candidate[PATH_MAX];
    char denied[PATH_MAX] = "";
    size_t flen = strlen(file);

    for (const char *d = dirs;; d++) {
        const char *end = strchrnul(d, ':');
        size_t dlen = (size_t)(end - d);
        if (dlen == 0) /* an empty element means the working directory, as in execvp */
            candidate[0] = '.', dlen = 1;
        else if (dlen < sizeof candidate)
            memcpy(candidate, d, dlen);
        if (dlen + 1 + flen < sizeof candidate) {
            candidate[dlen] = '/';
            memcpy(candidate + dlen + 1, file, flen + 1);
            execve(candidate, spec->argv, spec->envp);
            switch (errno) {
            case EACCES:
                if (!denied[0])
                    memcpy(denied, candidate, strlen(candidate) + 1);
                break;
            case ENOENT:
            case ENOTDIR:
            case ESTALE:
            case ENODEV:
            case ETIMEDOUT:
            case ENAMETOOLONG:
                break;
            default:
                fail_errno("execve", candidate);
                return;
            }
        }
        if (*end == '\0')
            break;
        d = end;
    }
    if (denied[0])
        fail("execve", EACCES, denied);
    else
        fail("execve", ENOENT, file);
}

/* The helper has SO_PASSCRED on its end: the kernel stamps this message with our pid as the
   helper sees it, which is how the helper learns the command's host pid inside a pid namespace. */
static void announce_exec(int err_fd)
{
    send(err_fd, SBX_EXEC_ANNOUNCE, 1, MSG_NOSIGNAL);
}

void exec_command(const struct sbx_spec *spec, int err_fd, pid_t monitor, pid_t jvm)
{
    announce_exec(err_fd);
    restore_signal_defaults();
    /* The error pipe is already close-on-exec; everything else >= 3 must not reach the command. */
    cloexec_fds_from(3);
    /* Here and not during set-up: a tiny NOFILE or FSIZE binds the command only, never the helper's steps
       (a CPU-time limit's RLIMIT_CPU backstop is one of these records, added by the JVM). */
    if (rlimits_apply(spec) < 0)
        error_exit_to_pipe(err_fd);
    /* Last: from here on only execve (and, on failure, the report) runs under the seccomp policy. */
    if (security_before_exec(spec, monitor, jvm) < 0)
        error_exit_to_pipe(err_fd);
    const char *file = spec->argv[0];
    if (file[0] == '\0') {
        fail("execve", ENOENT, file);
    } else if (strchr(file, '/')) {
        execve(file, spec->argv, spec->envp);
        fail_errno("execve", file);
    } else {
        search_and_exec(spec);
    }
    error_exit_to_pipe(err_fd);
}
