/*
 * Order (compare runc's init and bubblewrap):
 *   1. ids, first of all: supplementary groups cleared, setresgid, setresuid - inside the sandbox's
 *      user namespace, where we keep every capability until step 3 (no id change here goes from
 *      that namespace's root to non-root); the view is then built as the command's ids;
 *   2. once the view is built, with a capability kept: lock-mounts, a nested user + mount namespace:
 *      copying the mount table into a less privileged user namespace locks every mount, flag and
 *      cover (MNT_LOCKED and the MNT_LOCK_* flags), so even a kept CAP_SYS_ADMIN cannot unmount,
 *      remount or move what the view is made of. Without a kept capability the kernel refuses every
 *      mount call anyway (no CAP_SYS_ADMIN over the namespace, an empty bounding set, no_new_privs),
 *      and a user namespace the command could make copies - and so locks - the table; the copy
 *      costs ~80 us, so it is made only when needed. The bounding and ambient sets are emptied first
 *      thing in the child, while the helper writes its maps, and again after a lock (a new user
 *      namespace gives a full bounding set);
 *   3. right before exec, in the process that execs: setsid, the effective, permitted and inheritable
 *      sets (and the ambient set for kept capabilities), no_new_privs, the Landlock domain (landlock.c,
 *      under the same rule as seccomp: no_new_privs or CAP_SYS_ADMIN), and the seccomp filters - last
 *      when no_new_privs allows it, before the capabilities are dropped when it does not (the kernel
 *      then wants CAP_SYS_ADMIN).
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
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "landlock.h"
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

/* The bounding and ambient sets; one PR_CAPBSET_DROP per capability (~1 us each: each commits new
   credentials), so it is done once for PID 1 and the command both, while the helper writes our maps. */
static int drop_bounding_set(uint64_t keep)
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
    return 0;
}

int security_bound_capabilities(const struct sbx_spec *spec)
{
    return drop_bounding_set(spec->keep_caps);
}

int security_after_view(const struct sbx_spec *spec)
{
    /* A new user namespace hands out a full bounding set again: bound it once more. */
    if ((spec->security & SBX_SEC_LOCK_MOUNTS) && (lock_mounts() < 0 || drop_bounding_set(spec->keep_caps) < 0))
        return -1;
    if (procfd >= 0) {
        close(procfd);
        procfd = -1;
    }
    return 0;
}

/* The three sets of this process (the bounding and ambient sets went in security_after_view). */
static int set_capabilities(uint64_t keep)
{
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
struct pid_taking {
    long nr;
    unsigned arg;
};
static const struct pid_taking pid_taking[] = {
    {SYS_kill, 0},              {SYS_tkill, 0},
    {SYS_tgkill, 0},            {SYS_rt_sigqueueinfo, 0},
    {SYS_rt_tgsigqueueinfo, 0}, {SYS_ptrace, 1},
    {SYS_process_vm_readv, 0},  {SYS_process_vm_writev, 0},
    {SYS_prlimit64, 0},         {SYS_sched_setaffinity, 0},
    {SYS_sched_setscheduler, 0}, {SYS_sched_setparam, 0},
    {SYS_setpriority, 1},       {SYS_ioprio_set, 1},
    {SYS_kcmp, 0},
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
#define GUARD_MAX 256

/* The guard under construction, written back to front so every jump target is already placed. */
struct guard {
    struct sock_filter f[GUARD_MAX];
    size_t n;            /* instructions written, at the end of f */
    size_t allow, deny;  /* labels: distances from the end */
    size_t check[2];     /* the argument checks, for arg 0 and arg 1 */
};

/* Put one instruction in front; its label (counted from the end) is returned. */
static size_t put(struct guard *g, struct sock_filter insn)
{
    g->f[GUARD_MAX - 1 - g->n] = insn;
    return g->n++;
}

static uint8_t skip_to(const struct guard *g, size_t label)
{
    return (uint8_t)(g->n - label - 1);
}

static size_t jump(struct guard *g, uint16_t op, uint32_t k, size_t yes, size_t no)
{
    return put(g, (struct sock_filter)BPF_JUMP(op, k, skip_to(g, yes), skip_to(g, no)));
}

/* A binary search over the sorted pid-taking syscalls (A = nr) to their argument check, else allow. */
static size_t dispatch(struct guard *g, const struct pid_taking *t, size_t lo, size_t hi)
{
    if (hi - lo < 3) {
        size_t next = g->allow;
        for (size_t i = hi + 1; i-- > lo;)
            next = jump(g, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)t[i].nr, g->check[t[i].arg], next);
        return next;
    }
    size_t mid = (lo + hi + 1) / 2;
    size_t above = dispatch(g, t, mid, hi);
    size_t below = dispatch(g, t, lo, mid - 1);
    return jump(g, BPF_JMP | BPF_JGE | BPF_K, (uint32_t)t[mid].nr, above, below);
}

static int by_nr(const void *a, const void *b)
{
    long x = ((const struct pid_taking *)a)->nr, y = ((const struct pid_taking *)b)->nr;
    return x < y ? -1 : x > y;
}

/*
 * A small filter of our own: the command may not signal, trace, pidfd, re-prioritise or limit the
 * helper or the JVM, nor signal every process it may (-1) or their process groups. The pid is an
 * int to the kernel, so only the low 32 bits of the argument count. Both processes are outside
 * the command's pid namespace when it has one; then it cannot name them and no guard is needed.
 * The syscall is found by a binary search: the kernel runs the filter for every syscall number
 * when it is installed, so the path of each must stay short.
 */
static int install_guard(pid_t monitor, pid_t jvm)
{
    /* A process group whose leader is outside our pid namespace reads as 0 (the JVM under `unshare -p`,
       or below a kernel-started init): -0 would be the pid 0 of prlimit(0)/setpriority(0)/kill(0), the
       caller itself, so such a group is not named (the monitor's pid stands in, already guarded). */
    pid_t mg = getpgid(monitor), jg = getpgid(jvm);
    uint32_t values[GUARD_VALUES] = {(uint32_t)monitor, (uint32_t)jvm, (uint32_t)-1,
                                     (uint32_t)(mg > 0 ? -mg : monitor), (uint32_t)(jg > 0 ? -jg : monitor)};
    struct pid_taking sorted[PID_TAKING];
    memcpy(sorted, pid_taking, sizeof sorted);
    qsort(sorted, PID_TAKING, sizeof sorted[0], by_nr);
    struct guard g = {.n = 0};
    g.deny = put(&g, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)));
    g.allow = put(&g, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    for (unsigned arg = 0; arg < 2; arg++) {
        size_t next = g.allow;
        for (size_t v = GUARD_VALUES; v-- > 0;)
            next = jump(&g, BPF_JMP | BPF_JEQ | BPF_K, values[v], g.deny, next);
        g.check[arg] = put(&g, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                             offsetof(struct seccomp_data, args[arg])));
        (void)next;
    }
    size_t entry = dispatch(&g, sorted, 0, PID_TAKING - 1);
    size_t load_nr = put(&g, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
    (void)entry;
    jump(&g, BPF_JMP | BPF_JEQ | BPF_K, SBX_AUDIT_ARCH, load_nr, g.allow);
    put(&g, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
    return install_filter(g.f + GUARD_MAX - g.n, g.n, "monitor guard");
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
    /* The view is final: the Landlock rules' paths are opened now, while we may still search everywhere. */
    if (landlock_prepare(spec) < 0)
        return -1;
    int nnp = !!(spec->security & SBX_SEC_NO_NEW_PRIVS);
    /* Without no_new_privs the kernel takes a Landlock domain or a filter only while we hold CAP_SYS_ADMIN. */
    if (!nnp && (landlock_enforce() < 0 || install_filters(spec, monitor, jvm) < 0))
        return -1;
    if (set_capabilities(spec->keep_caps) < 0)
        return -1;
    if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fail_errno("prctl", "PR_SET_NO_NEW_PRIVS");
    if (nnp && (landlock_enforce() < 0 || install_filters(spec, monitor, jvm) < 0))
        return -1;
    return 0;
}
