#include "init.h"

#include <errno.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "exec.h"
#include "io.h"
#include "security.h"

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

void init_forwarded_signals(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
        sigaddset(set, forwarded[i]);
}

static int exit_code_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

/* Reap every child that has ended (orphans re-parent to us); returns 1 once the command has. */
static int reap_children(pid_t command, int *command_status)
{
    int status, done = 0;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) != 0) {
        if (p < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p == command) {
            *command_status = status;
            done = 1;
        }
    }
    return done;
}

/* What the command's process needs until it execs (it runs on its own stack, in PID 1's memory). */
struct command_start {
    const struct sbx_spec *spec;
    int err_fd, sfd, status_fd;
};

static int command_main(void *arg)
{
    const struct command_start *c = arg;
    close(c->sfd);
    close(c->status_fd);
    exec_command(c->spec, c->err_fd, 0, 0); /* in the pid namespace the command cannot name helper or JVM */
    return 127; /* not reached: exec_command execs or _exits */
}

/*
 * The command's stack until it execs. posix_spawn-style: the command's process shares PID 1's memory
 * (CLONE_VM) and PID 1 sleeps until the exec replaced it (CLONE_VFORK), so no page table is copied and
 * no page faulted in twice. The command's code before exec writes only to this stack and to the error
 * record; PID 1 reads neither. Descriptors, signal dispositions, credentials, rlimits, seccomp and
 * Landlock stay per process: only the memory is shared, and only until execve.
 */
static unsigned char command_stack[64 * 1024] __attribute__((aligned(4096)));

void init_main(const struct sbx_spec *spec, int err_fd, int status_fd)
{
    /* Blocked signals stay pending for the signalfd; a SIG_DFL init would simply drop them. */
    sigset_t set;
    init_forwarded_signals(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) {
        fail_errno("init", "signalfd");
        error_exit_to_pipe(err_fd);
    }

    struct command_start start = {.spec = spec, .err_fd = err_fd, .sfd = sfd, .status_fd = status_fd};
    pid_t command = clone(command_main, command_stack + sizeof command_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
    if (command < 0) {
        fail_errno("fork", "");
        error_exit_to_pipe(err_fd);
    }
    /* The command has exec'd (or died): the pages its stack touched are PID 1's memory; give them back. */
    madvise(command_stack, sizeof command_stack, MADV_DONTNEED);
    /* Init needs no privilege to reap and to pass signals on to a process of its own uid. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    drop_all_capabilities();
    /* From now on only the command holds the error pipe: EOF there means it exec'd. */
    close(err_fd);
    /* Nor does init keep the command's stdio open. */
    close(0);
    close(1);
    close(2);

    int status = 0, done = 0;
    while (!done) {
        struct signalfd_siginfo si;
        ssize_t n = read(sfd, &si, sizeof si);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof si) {
            /* Cannot happen with a valid signalfd; fall back to waiting for the command itself. */
            while (waitpid(command, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        if (si.ssi_signo == SIGCHLD)
            done = reap_children(command, &status);
        else
            kill(command, (int)si.ssi_signo);
    }
    int32_t raw = status;
    write_full(status_fd, &raw, sizeof raw);
    _exit(exit_code_of(status));
}
