#include "probe.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"

/* Try one unshare in a throw-away child (it would change the prober itself); the exit code is the errno. */
static int probe_one(int flag)
{
    pid_t pid = fork();
    if (pid < 0)
        return errno;
    if (pid == 0) {
        int flags = flag;
        if (geteuid() != 0)
            flags |= CLONE_NEWUSER; /* unprivileged: only possible inside a new user namespace */
        _exit(unshare(flags) == 0 ? 0 : (errno & 0xff));
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
}

int probe_main(void)
{
    static const struct {
        const char *name;
        int flag;
    } types[] = {
        {"user", CLONE_NEWUSER}, {"mount", CLONE_NEWNS},     {"pid", CLONE_NEWPID},
        {"net", CLONE_NEWNET},   {"uts", CLONE_NEWUTS},      {"ipc", CLONE_NEWIPC},
        {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        printf("%s %d\n", types[i].name, probe_one(types[i].flag));
    return fflush(stdout) == 0 ? 0 : 1;
}
