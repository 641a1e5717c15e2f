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
#include "io.h"

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

/* In a throw-away child: no_new_privs and an allow-all filter; the exit code is the errno. */
static int probe_seccomp_filter(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return errno;
    if (pid == 0) {
        struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        struct sock_fprog prog = {.len = 1, .filter = &allow};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            _exit(errno & 0xff);
        _exit(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0 ? 0 : (errno & 0xff));
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
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
 * Root only: whether a bind of `dir` can be idmapped (open_tree, a user namespace of a child,
 * mount_setattr) - what a root caller's writable binds need. The errno, 0 when it can.
 */
static int probe_idmap(const char *dir)
{
    if (geteuid() != 0)
        return EPERM;
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, dir, SBX_OPEN_TREE_CLONE | SBX_OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return errno;
    int hold[2];
    if (pipe2(hold, O_CLOEXEC) < 0) {
        close(tree);
        return errno;
    }
    pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, NULL);
    if (pid == 0) {
        char c;
        close(hold[1]);
        while (read(hold[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    int rc = pid < 0 ? errno : 0;
    close(hold[0]);
    char path[64];
    int ns = -1;
    if (rc == 0) {
        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
        if (write_file(path, "0 1879048192 1\n", 15) < 0)
            rc = errno;
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
        if (write_file(path, "0 1879048192 1\n", 15) < 0)
            rc = errno;
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
        if ((ns = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            rc = errno;
    }
    close(hold[1]);
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    if (rc == 0) {
        struct sbx_mount_attr attr = {.attr_set = SBX_MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)ns};
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
            rc = errno;
    }
    if (ns >= 0)
        close(ns);
    close(tree);
    return rc;
}

int probe_main(const char *idmap_dir)
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
    printf("seccomp %d\n", probe_seccomp_filter());
    probe_seccomp_features();
    printf("landlock %d\n", probe_landlock());
    printf("idmap %d\n", probe_idmap(idmap_dir));
    return fflush(stdout) == 0 ? 0 : 1;
}
