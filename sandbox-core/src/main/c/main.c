/*
 * sandbox-helper: started by the JVM with the command's stdio on fds 0-2 and the control socket
 * on fd 3. Reads the spec, clones the sandbox's first process into its namespaces, writes its id
 * maps, relays "started" or the failure, then monitors it (monitor.c). See docs/ARCHITECTURE.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "compat.h"
#include "cputime.h"
#include "error.h"
#include "exec.h"
#include "frames.h"
#include "hygiene.h"
#include "idmap.h"
#include "idmount.h"
#include "init.h"
#include "io.h"
#include "masks.h"
#include "monitor.h"
#include "netns.h"
#include "probe.h"
#include "protocol.h"
#include "spec.h"

/* Report the failure in sbx_failure to the JVM, after killing and reaping anything started. */
__attribute__((noreturn)) static void abort_start(const struct sbx_monitor *m)
{
    if (m && m->child > 0) {
        kill_tree(m);
        reap_leftovers(m);
    }
    frame_send_error(SBX_CONTROL_FD, &sbx_failure);
    exit(1);
}

/*
 * The command's stdio, passed with the spec, becomes our fds 0-2 (inherited by the sandbox).
 * Received descriptors are new numbers above 3 (0-3 are open), so dup2 cannot clobber one.
 */
static void install_stdio(const int *stdio)
{
    for (int i = 0; i < 3; i++) {
        if (dup2(stdio[i], i) < 0) {
            fail_errno("dup2", "stdio");
            abort_start(NULL);
        }
    }
    for (int i = 0; i < 3; i++)
        close(stdio[i]);
}

/*
 * Read and validate the spec from fd 3, with the command's stdio. A helper may have waited idle
 * for this since the JVM started it ahead of time (spawning is off the start path).
 */
static int receive_spec(struct sbx_spec *spec)
{
    unsigned char *body;
    size_t len;
    char reason[SBX_REASON_MAX];
    int stdio[4] = {-1, -1, -1, -1};
    int rc = spec_read(SBX_CONTROL_FD, stdio, &body, &len, reason, sizeof reason);
    if (rc == 0)
        install_stdio(stdio);
    if (rc == -2) {
        fail_errno("spec", "");
        abort_start(NULL);
    }
    if (rc == 0) {
        rc = spec_decode(body, len, spec, reason, sizeof reason);
        free(body); /* the spec holds copies */
    }
    if (rc == 0 && !spec->cpu_limit_ns != (stdio[3] < 0))
        rc = -1, snprintf(reason, sizeof reason, "%s", stdio[3] < 0 ? "CPU_LIMIT without the CPU usage file"
                                                                     : "a 4th descriptor without CPU_LIMIT");
    if (rc < 0) {
        fail("spec", EINVAL, reason);
        abort_start(NULL);
    }
    return stdio[3];
}

/*
 * Clone the sandbox's first process. With cgfd >= 0 it is created in that cgroup v2 directory
 * (CLONE_INTO_CGROUP): unlike a move, that takes the kernel's cgroup threadgroup lock only for
 * reading. *placed says whether it went there; a kernel before 5.7 (E2BIG) or without clone3
 * (ENOSYS, also from older container runtimes' seccomp profiles) leaves the move to the caller; a
 * cgroup namespace then waits until the child is in its group (sbx_late_cgroupns), so that its root
 * is the sandbox's group and not ours.
 */
static pid_t clone_child(uint32_t ns, int cgfd, int *placed)
{
    /* clone3 is the only way to ask for CLONE_NEWTIME (in clone() it collides with the exit signal). */
    struct sbx_clone_args args = {.flags = ns, .exit_signal = SIGCHLD};
    *placed = 0;
    pid_t pid;
    if (cgfd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgfd;
        pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
        if (pid >= 0) {
            *placed = 1;
            return pid;
        }
        if (errno != E2BIG && errno != ENOSYS)
            return pid;
        args.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
        args.cgroup = 0;
        if (ns & CLONE_NEWCGROUP) {
            ns &= ~(uint32_t)CLONE_NEWCGROUP;
            args.flags &= ~(uint64_t)CLONE_NEWCGROUP;
            sbx_late_cgroupns = 1;
        }
    }
    pid = (pid_t)syscall(SYS_clone3, &args, (size_t)SBX_CLONE_ARGS_SIZE_VER0);
    if (pid >= 0 || errno != ENOSYS)
        return pid;
    if (ns & CLONE_NEWTIME) {
        /* Old kernel or seccomp without clone3: a time ns unshared here is entered by our next child. */
        if (unshare(CLONE_NEWTIME) < 0) {
            if (errno == EPERM)
                errno = ENOSYS; /* unprivileged: only clone3 could have made it inside the user ns */
            return -1;
        }
        ns &= ~(uint32_t)CLONE_NEWTIME;
    }
    /* Fork-like raw clone: we are single-threaded, so no libc fork handlers are needed. */
    return (pid_t)syscall(SYS_clone, (unsigned long)ns | SIGCHLD, NULL, NULL, NULL, NULL);
}

/* Writes pid into cgroup.procs of the directory cgfd (the slow way into a cgroup). */
static int cgroup_move(int cgfd, pid_t pid, const char *dir)
{
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%d", (int)pid);
    int fd = openat(cgfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return fail_errno("cgroup", dir);
    if (write_full(fd, buf, (size_t)n) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return fail_errno("cgroup", dir);
    }
    close(fd);
    return 0;
}

static int make_pipes(struct sbx_pipes *p, int pidns)
{
    int a[2], b[2], c[2] = {-1, -1}, one = 1;
    if (pipe2(a, O_CLOEXEC) < 0 || (pidns && pipe2(c, O_CLOEXEC | O_NONBLOCK) < 0))
        return fail_errno("pipe", "");
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, b) < 0)
        return fail_errno("socketpair", "");
    /* Credentials on every message: the kernel translates the sender's pid into our namespace. */
    if (setsockopt(b[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
        return fail_errno("setsockopt", "SO_PASSCRED");
    *p = (struct sbx_pipes){.sync_rd = a[0], .sync_wr = a[1], .err_rd = b[0], .err_wr = b[1],
                            .status_rd = c[0], .status_wr = c[1], .sigfd = -1};
    return 0;
}

/*
 * Wait until the command has been exec'd (its "about to exec" message, then EOF on the error
 * channel) or a failure record arrives. Watches the control socket (hang-up kills the sandbox)
 * and the wall-clock deadline meanwhile. Returns the command's host pid; on failure does not return.
 * Only the hang-up of the error channel wakes us: every writer is gone then (the command exec'd, or a
 * failing writer _exit'ed after its record), and what they sent is still queued. A wake-up for the
 * announce would come while the command runs on (its message is a sync wake-up: the kernel would queue
 * us behind it on its CPU, however idle the other).
 */
static pid_t wait_for_exec(const struct sbx_monitor *m, int err_rd)
{
    pid_t command = 0;
    for (;;) {
        int timeout = -1;
        if (m->timeout_at_ms) {
            int64_t d = m->timeout_at_ms - now_ms();
            timeout = d < 0 ? 0 : d > 86400000 ? 86400000 : (int)d;
        }
        struct pollfd pfd[2] = {{.fd = err_rd, .events = POLLRDHUP}, {.fd = SBX_CONTROL_FD, .events = POLLRDHUP}};
        int r = poll(pfd, 2, timeout);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fail_errno("poll", "");
            abort_start(m);
        }
        if (r == 0) {
            fail("timeout", ETIMEDOUT, "");
            abort_start(m);
        }
        if (pfd[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
            kill_tree(m);
            reap_leftovers(m);
            exit(1);
        }
        if (!pfd[0].revents)
            continue;
        unsigned char buf[SBX_ERROR_WIRE_MAX + 1];
        struct sbx_received got;
        ssize_t n = recv_message(err_rd, buf, sizeof buf, &got);
        for (int i = 0; i < got.nfds && i < SBX_MAX_PASSED_FDS; i++)
            close(got.fds[i]); /* nobody passes fds here; never keep one */
        if (n == 0) /* every writer is gone: the command exec'd (or died before it could say so) */
            return command > 0 ? command : m->child;
        if (n == 1 && buf[0] == SBX_EXEC_ANNOUNCE[0]) {
            command = got.sender;
            continue;
        }
        if (n < 0)
            fail_errno("child", "error channel");
        else if (error_decode(buf, (size_t)n, &sbx_failure) < 0)
            fail("child", EIO, "malformed failure record");
        abort_start(m);
    }
}

/* Work for the sandbox to come, done before we wait for its spec (off the start path). */
static void prepare(int net_ahead)
{
    if (geteuid() == 0)
        sbx_premade_empty = masks_premade_empty();
    if (net_ahead && netns_premake() < 0)
        abort_start(NULL);
}

/*
 * One sandbox: waits for its spec, starts it, relays STARTED or the failure, monitors it until
 * EXIT. Returns only in a --reuse helper, right after EXIT (with the commands read but not handled
 * in *left); everything of the sandbox is gone then, and the caller resets what the run changed in us.
 */
static void serve(int reuse, struct sbx_commands *left)
{
    struct sbx_spec spec;
    int cpu_fd = receive_spec(&spec);
    if (netns_premade() && (spec.security & SBX_SEC_NET_AHEAD) && (spec.namespaces & CLONE_NEWNET)) {
        /* The child is cloned into the premade one, whose lo is up (netns_premake made sure). */
        spec.namespaces &= ~(uint32_t)CLONE_NEWNET;
        spec.loopback = 0;
    } else {
        netns_discard();
    }
    struct sbx_monitor m = {.pidns = !!(spec.namespaces & CLONE_NEWPID), .status_rd = -1, .grace_ms = spec.grace_ms,
                            .cpu_fd = cpu_fd, .cpu_limit_ns = spec.cpu_limit_ns, .cpus = cputime_cpus()};
    uint64_t cpu_used;
    if (cpu_fd >= 0 && cputime_read(cpu_fd, &cpu_used) < 0) { /* no silent run without the limit */
        fail_errno("cpu-time", "CPU usage file");
        abort_start(NULL);
    }
    if (spec.timeout_ms)
        m.timeout_at_ms = now_ms() + (int64_t)(spec.timeout_ms > INT64_MAX / 4 ? INT64_MAX / 4 : spec.timeout_ms);

    /* SIGCHLD is read from a signalfd; the forwarded set stays blocked across clone so that PID 1
       (which blocks it for its own signalfd) cannot lose one that arrives during setup. */
    sigset_t chld, startup, saved;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    init_forwarded_signals(&startup);
    sigaddset(&startup, SIGCHLD);
    sigprocmask(SIG_BLOCK, &startup, &saved);
    if (idmounts_prepare(&spec) < 0)
        abort_start(NULL);
    struct sbx_pipes p;
    if (make_pipes(&p, m.pidns) < 0)
        abort_start(NULL);
    if ((p.sigfd = m.sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
        fail_errno("signalfd", "");
        abort_start(NULL);
    }

    int cgfd = -1, placed;
    if (spec.cgroup && (cgfd = open(spec.cgroup, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fail_errno("cgroup", spec.cgroup);
        abort_start(NULL);
    }
    if (netns_premade() && netns_enter_premade() < 0)
        abort_start(NULL);
    pid_t pid = clone_child(spec.namespaces, cgfd, &placed);
    if (pid < 0)
        fail_errno("clone", spec.cgroup ? spec.cgroup : "");
    if (pid != 0 && netns_premade()) {
        m.child = pid;
        if (netns_leave_premade() < 0) /* not back in our own network namespace: go no further */
            abort_start(pid > 0 ? &m : NULL);
    }
    if (pid < 0)
        abort_start(NULL);
    if (pid == 0) {
        if (cgfd >= 0)
            close(cgfd); /* the sandbox gets no handle on the host's cgroup tree */
        child_main(&spec, &p);
    }

    m.child = pid;
    if (cgfd >= 0) {
        /* Not created there: moved before it may run anything. */
        if (!placed && cgroup_move(cgfd, pid, spec.cgroup) < 0)
            abort_start(&m);
        close(cgfd);
    }
    m.status_rd = p.status_rd;
    /* From now on the sandbox runs: no ptrace of us, no /proc/<us>/mem, fd or environ for it (the
       child was cloned while we were dumpable, so its own /proc files stay its own). */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
        fail_errno("prctl", "PR_SET_DUMPABLE");
        abort_start(&m);
    }
    sigaddset(&saved, SIGCHLD);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    close(p.sync_rd);
    close(p.err_wr);
    if (p.status_wr >= 0)
        close(p.status_wr);
    /* The command owns its stdio now; we must not keep its pipes open. */
    close(0);
    close(1);
    close(2);

    if ((spec.namespaces & CLONE_NEWUSER) && idmap_write(pid, &spec) < 0)
        abort_start(&m);
    if (write_full(p.sync_wr, "g", 1) < 0) {
        fail_errno("sync", "");
        abort_start(&m);
    }
    close(p.sync_wr);
    m.command = wait_for_exec(&m, p.err_rd);
    close(p.err_rd);

    if (frame_send_started(SBX_CONTROL_FD, m.child, m.command) < 0) {
        kill_tree(&m);
        reap_leftovers(&m);
        exit(1);
    }
    monitor_run(&m, reuse, left);
    spec_free(&spec);
}

/*
 * A --reuse helper after EXIT: back to the state a fresh one waits in. Every descriptor
 * of the last run closed (signalfd, pipes, bind trees, CPU usage file, the premade mask), stdio
 * on /dev/null again (the sandbox's went with it), no signal blocked, and dumpable again: the
 * next child is cloned from us and its own /proc files must stay its own (see serve()).
 */
static void reset_for_next(void)
{
    close_fds_from(SBX_CONTROL_FD + 1);
    sbx_premade_empty = -1;
    sbx_late_cgroupns = 0;
    ensure_stdio_open();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static int run_helper(int net_ahead, int reuse)
{
    reset_signals();
    ensure_stdio_open();
    close_fds_from(SBX_CONTROL_FD + 1); /* the JVM leaks fds without CLOEXEC into us */
    /* A vanished reader must give us EPIPE, not kill us before we clean up. */
    signal(SIGPIPE, SIG_IGN);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        fail_errno("prctl", "PR_SET_CHILD_SUBREAPER");
        abort_start(NULL);
    }
    sbx_jvm_pid = getppid();
    prepare(net_ahead);
    for (;;) {
        struct sbx_commands left;
        serve(reuse, &left);
        /* Ready for the next sandbox before the JVM says there is one: this is off its start path. */
        reset_for_next();
        prepare(net_ahead);
        monitor_await_recycle(&left);
    }
}

static int describe_spec(void)
{
    unsigned char *body;
    size_t len;
    char reason[SBX_REASON_MAX];
    struct sbx_spec spec;
    int rc = spec_read(0, NULL, &body, &len, reason, sizeof reason);
    if (rc == -2) {
        fprintf(stderr, "sandbox-helper: cannot read spec: %s\n", strerror(errno));
        return 2;
    }
    if (rc == 0) {
        char extra;
        ssize_t n = read_full(0, &extra, 1);
        if (n > 0)
            rc = -1, snprintf(reason, sizeof reason, "trailing bytes after the spec body");
    }
    if (rc == 0)
        rc = spec_decode(body, len, &spec, reason, sizeof reason);
    if (rc < 0) {
        fprintf(stderr, "sandbox-helper: invalid spec: %s\n", reason);
        return 2;
    }
    spec_describe(&spec, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* Whether a process of uid `uid` other than us still runs (zombies do not count: they are dead). */
static int uid_has_live_process(unsigned long uid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
            continue;
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        char state = 0;
        unsigned long real = (unsigned long)-1;
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "State:", 6))
                sscanf(line + 6, " %c", &state);
            else if (!strncmp(line, "Uid:", 4))
                sscanf(line + 4, "%lu", &real);
        }
        fclose(f);
        found = real == uid && state != 'Z' && state != 'X';
    }
    closedir(d);
    return found;
}

/*
 * --kill-uid N: SIGKILL every process of host uid N, as uid N (kill(-1) reaches exactly the
 * processes we may signal), until none is left alive. The JVM's backstop when a root caller's
 * helper died without tearing its sandbox down: that uid was the sandbox's alone.
 */
static int kill_uid(const char *arg)
{
    char *end;
    errno = 0;
    unsigned long uid = strtoul(arg, &end, 10);
    if (errno || *end || end == arg || uid == 0 || uid >= 0xffffffffUL) {
        fprintf(stderr, "sandbox-helper: --kill-uid wants a uid other than 0, not '%s'\n", arg);
        return 2;
    }
    if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0) {
        fprintf(stderr, "sandbox-helper: setresuid %lu: %s\n", uid, strerror(errno));
        return 1;
    }
    for (int round = 0; round < 1000; round++) {
        if (kill(-1, SIGKILL) < 0 && errno == ESRCH)
            return 0;
        if (!uid_has_live_process(uid))
            return 0; /* only zombies left, for their new parent to reap */
        usleep(1000);
    }
    return 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: sandbox-helper [--net-ahead] [--reuse] | --describe-spec | --describe-frames"
                    " | --describe-namespaces | --probe [DIR] | --kill-uid UID | --exec-check"
                    "  (normal mode, --net-ahead, --reuse: spec on fd 3)\n");
    return 2;
}

int main(int argc, char **argv)
{
    /* Exec'd as /proc/self/fd/4 (the image the JVM holds), the kernel names us "4"; ps and top
       should say what we are. */
    prctl(PR_SET_NAME, "sandbox-helper", 0, 0, 0);
    if (argc == 1)
        return run_helper(0, 0);
    if (strcmp(argv[1], "--net-ahead") == 0 || strcmp(argv[1], "--reuse") == 0) {
        int net_ahead = 0, reuse = 0;
        for (int i = 1; i < argc; i++) {
            if (strcmp(argv[i], "--net-ahead") == 0 && !net_ahead)
                net_ahead = 1;
            else if (strcmp(argv[i], "--reuse") == 0 && !reuse)
                reuse = 1;
            else
                return usage();
        }
        return run_helper(net_ahead, reuse);
    }
    if (argc == 2 && strcmp(argv[1], "--describe-spec") == 0)
        return describe_spec();
    if (argc == 2 && strcmp(argv[1], "--describe-frames") == 0)
        return frames_describe();
    if (argc == 2 && strcmp(argv[1], "--describe-namespaces") == 0) {
        spec_describe_namespaces(stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "--probe") == 0)
        return probe_main(argc == 3 ? argv[2] : "/tmp");
    if (argc == 3 && strcmp(argv[1], "--kill-uid") == 0)
        return kill_uid(argv[2]);
    if (argc == 2 && strcmp(argv[1], "--exec-check") == 0)
        return 0; /* the JVM's one-time proof that the image it holds can be exec'd here */
    return usage();
}
