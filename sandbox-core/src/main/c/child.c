#include "child.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "error.h"
#include "exec.h"
#include "frames.h"
#include "init.h"
#include "mounts.h"
#include "netns.h"
#include "protocol.h"
#include "security.h"

/* Keep only our ends: the control socket and the helper's ends must not stay open in here. */
static void close_helper_fds(const struct sbx_pipes *p)
{
    close(SBX_CONTROL_FD);
    close(p->sync_wr);
    close(p->err_rd);
    if (p->status_rd >= 0)
        close(p->status_rd);
    close(p->sigfd);
    netns_discard(); /* the helper's handle on its own network namespace must not come in here */
}

/* Block until the helper has written our id maps; EOF means the helper died. */
static int wait_for_go(int fd)
{
    char c;
    ssize_t n;
    do
        n = read(fd, &c, 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    return n == 1 ? 0 : -1;
}

static int set_hostname(const char *name)
{
    if (sethostname(name, strlen(name)) < 0)
        return fail_errno("sethostname", name);
    return 0;
}

/* Everything between the id maps and exec, in the order the kernel needs it. */
static int setup_sandbox(const struct sbx_spec *spec)
{
    /* First the command's ids: what we create inside belongs to them (an unmapped owner is EOVERFLOW). */
    if (security_set_ids(spec) < 0)
        return -1;
    if (spec->hostname && set_hostname(spec->hostname) < 0)
        return -1;
    if ((spec->security & SBX_SEC_LOCK_MOUNTS) && security_prepare() < 0)
        return -1;
    /* The setup operations in order: the view, ending in the working directory (chdir). */
    if (mounts_build(spec) < 0)
        return -1;
    if (spec->loopback && netns_loopback_up() < 0)
        return -1;
    /* The view is complete: lock it, and bound the capabilities. */
    return security_after_view(spec);
}

int sbx_late_cgroupns;

void child_main(const struct sbx_spec *spec, const struct sbx_pipes *p)
{
    /* Die with the helper; the go pipe covers the window before this call. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close_helper_fds(p);
    /* ~40 us of credential commits, done while the helper writes our id maps. */
    if (security_bound_capabilities(spec) < 0)
        error_exit_to_pipe(p->err_wr);
    if (wait_for_go(p->sync_rd) < 0)
        _exit(127);
    /* In our group now: a cgroup namespace made here has it as its root. */
    if (sbx_late_cgroupns && unshare(CLONE_NEWCGROUP) < 0) {
        fail_errno("cgroupns", "");
        error_exit_to_pipe(p->err_wr);
    }
    if (setup_sandbox(spec) < 0)
        error_exit_to_pipe(p->err_wr);
    if (spec->namespaces & CLONE_NEWPID)
        init_main(spec, p->err_wr, p->status_wr);
    /* Our own process group (with a new session, setsid makes one), so the helper can signal
       everything the command starts. */
    if (!(spec->security & SBX_SEC_NEW_SESSION))
        setpgid(0, 0);
    /* No pid namespace: the helper (our parent) and the JVM are in reach, so guard them. */
    exec_command(spec, p->err_wr, getppid(), sbx_jvm_pid);
}
