/*
 * Order (compare runc's init and bubblewrap):
 *   1. ids, first of all: supplementary groups cleared, setresgid, setresuid - inside the sandbox's
 *      user namespace, where we keep every capability until step 3 (no id change here goes from
 *      that namespace's root to non-root); the view is then built as the command's ids;
 *   2. lock-mounts: a nested user + mount namespace: copying the mount table into a less privileged
 *      user namespace locks every mount, flag and cover (MNT_LOCKED and the MNT_LOCK_* flags), so
 *      even a kept CAP_SYS_ADMIN cannot unmount, remount or move what the view is made of;
 *   3. right before exec: setsid, the capability sets (bounding, ambient, then effective, permitted,
 *      inheritable), no_new_privs, and the seccomp filters - last when no_new_privs allows it, before
 *      the capabilities are dropped when it does not (the kernel then wants CAP_SYS_ADMIN).
 */
#include "security.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "protocol.h"

#if defined(__x86_64__)
#define SBX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SBX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "sandbox-helper supports x86_64 and aarch64"
#endif

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* The host's procfs, opened before the view replaced it: the nested namespace's maps are written there. */
static int procfd = -1;

int security_prepare(void)
{
    procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (procfd < 0)
        return fail_errno("proc", "/proc");
    return 0;
}

/* Write to /proc/self/<name> through the held procfs; opened now, so it names our current namespace. */
static int write_self(const char *name, const char *data)
{
    char shown[64];
    snprintf(shown, sizeof shown, "/proc/self/%s", name);
    char rel[64];
    snprintf(rel, sizeof rel, "self/%s", name);
    int fd = openat(procfd, rel, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return fail_errno("lock-mounts", shown);
    size_t n = strlen(data);
    ssize_t w = write(fd, data, n);
    int saved = errno;
    close(fd);
    if (w != (ssize_t)n)
        return fail("lock-mounts", w < 0 ? saved : EIO, shown);
    return 0;
}

static int lock_mounts(void)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
        return fail_errno("lock-mounts", "unshare");
    char map[48];
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    if (write_self("uid_map", map) < 0 || write_self("setgroups", "deny") < 0)
        return -1;
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    if (write_self("gid_map", map) < 0)
        return -1;
    /* New credentials cleared the parent-death signal; set it again. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        return fail_errno("prctl", "PR_SET_PDEATHSIG");
    return 0;
}

int security_set_ids(const struct sbx_spec *spec)
{
    if ((spec->security & SBX_SEC_CLEAR_GROUPS) && setgroups(0, NULL) < 0)
        return fail_errno("setgroups", "");
    if (spec->has_ids) {
        if (setresgid(spec->gid, spec->gid, spec->gid) < 0)
            return fail_errno("setresgid", "");
        if (setresuid(spec->uid, spec->uid, spec->uid) < 0)
            return fail_errno("setresuid", "");
        /* A change of ids leaves us non-dumpable, and then /proc/self belongs to root: we could not
           write our nested namespace's maps. execve decides the command's own dumpability anew. */
        if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
            return fail_errno("prctl", "PR_SET_DUMPABLE");
        /* The kernel also forgot our parent-death signal: we still die with the helper. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
            return fail_errno("prctl", "PR_SET_PDEATHSIG");
    }
    return 0;
}

int security_lock_mounts(const struct sbx_spec *spec)
{
    if ((spec->security & SBX_SEC_LOCK_MOUNTS) && lock_mounts() < 0)
        return -1;
    if (procfd >= 0) {
        close(procfd);
        procfd = -1;
    }
    return 0;
}

/* Bounding and ambient sets first (they need CAP_SETPCAP), then the three sets of this process. */
static int set_capabilities(uint64_t keep)
{
    for (int cap = 0; cap < 64; cap++) {
        if (keep & (1ULL << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                break; /* past the kernel's last capability */
            return fail_errno("capabilities", "bounding set");
        }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return fail_errno("capabilities", "ambient set");
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    data[0].effective = data[0].permitted = data[0].inheritable = (uint32_t)keep;
    data[1].effective = data[1].permitted = data[1].inheritable = (uint32_t)(keep >> 32);
    if (syscall(SYS_capset, &hdr, data) < 0)
        return fail_errno("capabilities", "capset");
    /* Ambient: what a non-root command keeps across execve. */
    for (int cap = 0; cap < 64; cap++)
        if ((keep & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            return fail_errno("capabilities", "ambient set");
    return 0;
}

void drop_all_capabilities(void)
{
    set_capabilities(0);
}

static int install_filter(const struct sock_filter *insns, size_t n, const char *what)
{
    struct sock_fprog prog = {.len = (unsigned short)n, .filter = (struct sock_filter *)insns};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        return fail_errno("seccomp", what);
    return 0;
}

/* Syscalls that act on another process named by a pid argument, and which argument that is. */
static const struct {
    long nr;
    unsigned arg;
} pid_taking[] = {
    {SYS_kill, 0},              {SYS_tkill, 0},
    {SYS_tgkill, 0},            {SYS_rt_sigqueueinfo, 0},
    {SYS_rt_tgsigqueueinfo, 0}, {SYS_ptrace, 1},
    {SYS_process_vm_readv, 0},  {SYS_process_vm_writev, 0},
    {SYS_prlimit64, 0},         {SYS_sched_setaffinity, 0},
    {SYS_sched_setscheduler, 0}, {SYS_sched_setparam, 0},
    {SYS_setpriority, 1},       {SYS_ioprio_set, 1},
    {SYS_kcmp, 0},              {SYS_kcmp, 1},
#ifdef SYS_pidfd_open
    {SYS_pidfd_open, 0},
#else
    {434, 0},
#endif
#ifdef SYS_sched_setattr
    {SYS_sched_setattr, 0},
#endif
};

#define GUARD_VALUES 5
#define PID_TAKING (sizeof pid_taking / sizeof pid_taking[0])
#define GUARD_MAX (3 + PID_TAKING + 1 + 2 * (2 + GUARD_VALUES) + 1)

/*
 * A small filter of our own: the command may not signal, trace, pidfd, re-prioritise or limit the
 * helper or the JVM, nor signal every process it may (-1) or their process groups. The pid is an
 * int to the kernel, so only the low 32 bits of the argument count. Both processes are outside
 * the command's pid namespace when it has one; then it cannot name them and no guard is needed.
 */
static int install_guard(pid_t monitor, pid_t jvm)
{
    uint32_t values[GUARD_VALUES] = {(uint32_t)monitor, (uint32_t)jvm, (uint32_t)-1,
                                     (uint32_t)-getpgid(monitor), (uint32_t)-getpgid(jvm)};
    struct sock_filter f[GUARD_MAX];
    size_t n = 0;
    const size_t checks = 3, allow = checks + PID_TAKING;
    const size_t block0 = allow + 1, block1 = block0 + 2 + GUARD_VALUES, deny = block1 + 2 + GUARD_VALUES;
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SBX_AUDIT_ARCH, 0, (uint8_t)(allow - 2));
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (size_t i = 0; i < PID_TAKING; i++) {
        size_t target = pid_taking[i].arg == 0 ? block0 : block1;
        f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)pid_taking[i].nr,
                                            (uint8_t)(target - n - 1), 0);
        n++;
    }
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    for (unsigned arg = 0; arg < 2; arg++) {
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[arg]));
        for (size_t v = 0; v < GUARD_VALUES; v++) {
            f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, values[v], (uint8_t)(deny - n - 1), 0);
            n++;
        }
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
    return install_filter(f, n, "monitor guard");
}

static int install_filters(const struct sbx_spec *spec, pid_t monitor, pid_t jvm)
{
    if (monitor > 0 && install_guard(monitor, jvm) < 0)
        return -1;
    if (spec->seccomp && install_filter((const struct sock_filter *)spec->seccomp, spec->seccomp_len, "policy") < 0)
        return -1;
    return 0;
}

int security_before_exec(const struct sbx_spec *spec, pid_t monitor, pid_t jvm)
{
    if ((spec->security & SBX_SEC_NEW_SESSION) && setsid() < 0)
        return fail_errno("setsid", "");
    int nnp = !!(spec->security & SBX_SEC_NO_NEW_PRIVS);
    /* Without no_new_privs the kernel installs a filter only while we hold CAP_SYS_ADMIN. */
    if (!nnp && install_filters(spec, monitor, jvm) < 0)
        return -1;
    if (set_capabilities(spec->keep_caps) < 0)
        return -1;
    if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fail_errno("prctl", "PR_SET_NO_NEW_PRIVS");
    if (nnp && install_filters(spec, monitor, jvm) < 0)
        return -1;
    return 0;
}
