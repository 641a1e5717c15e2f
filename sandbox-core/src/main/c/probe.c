#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "error.h"
#include "idmount.h"
#include "spec.h"

/* Run `attempt(arg)` in a throw-away child (it would change the prober itself); its errno, 0 for success. */
static int in_child(int (*attempt)(int), int arg)
{
    pid_t pid = fork();
    if (pid < 0)
        return errno;
    if (pid == 0)
        _exit(attempt(arg) == 0 ? 0 : (errno & 0xff));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
}

static int try_unshare(int flag)
{
    /* unprivileged: only possible inside a new user namespace */
    return unshare(flag | (geteuid() != 0 ? CLONE_NEWUSER : 0));
}

/* no_new_privs and an allow-all filter. */
static int try_seccomp(int unused)
{
    (void)unused;
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {.len = 1, .filter = &allow};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* The filter flags and actions this kernel knows (a NULL program gives EFAULT for a known flag). */
static void probe_seccomp_features(void)
{
    static const struct {
        const char *name;
        unsigned flag;
    } flags[] = {{"tsync", 1u}, {"log", 2u}, {"spec_allow", 4u}, {"new_listener", 8u}, {"tsync_esrch", 16u},
                 {"wait_killable_recv", 32u}};
    static const struct {
        const char *name;
        unsigned action;
    } actions[] = {{"kill_process", 0x80000000u}, {"errno", 0x00050000u}, {"log", 0x7ffc0000u},
                   {"user_notif", 0x7fc00000u}};
    printf("seccomp_flags");
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags[i].flag, NULL) < 0 && errno == EFAULT)
            printf(" %s", flags[i].name);
    printf("\nseccomp_actions");
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        unsigned a = actions[i].action;
        if (syscall(SYS_seccomp, 2 /* SECCOMP_GET_ACTION_AVAIL */, 0, &a) == 0)
            printf(" %s", actions[i].name);
    }
    printf("\n");
}

/* Landlock's ABI version, or minus the errno. */
static int probe_landlock(void)
{
    long abi = syscall(444 /* landlock_create_ruleset, same on x86_64 and aarch64 */, NULL, 0, 1u);
    return abi < 0 ? -errno : (int)abi;
}

/*
 * Root only: whether a bind of `dir` can be idmapped (open_tree, a user namespace mapping root to
 * an unprivileged id, mount_setattr) - what a root caller's binds need. The errno, 0 when it can.
 */
static int probe_idmap(const char *dir)
{
    if (geteuid() != 0)
        return EPERM;
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, dir, SBX_OPEN_TREE_CLONE | SBX_OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return errno;
    int rc = 0, ns = idmount_userns(0, 0, 1879048192, 1879048192, dir);
    if (ns < 0) {
        rc = sbx_failure.err;
    } else {
        struct sbx_mount_attr attr = {.attr_set = SBX_MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)ns};
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
            rc = errno;
        close(ns);
    }
    close(tree);
    return rc;
}

int probe_main(const char *idmap_dir)
{
    for (size_t i = 0; i < SBX_NS_COUNT; i++)
        printf("%s %d\n", sbx_ns_names[i].name, in_child(try_unshare, (int)sbx_ns_names[i].bit));
    printf("seccomp %d\n", in_child(try_seccomp, 0));
    probe_seccomp_features();
    printf("landlock %d\n", probe_landlock());
    printf("idmap %d\n", probe_idmap(idmap_dir));
    return fflush(stdout) == 0 ? 0 : 1;
}
