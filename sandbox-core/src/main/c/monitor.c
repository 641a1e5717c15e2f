#include "monitor.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cputime.h"
#include "frames.h"
#include "init.h"
#include "io.h"
#include "protocol.h"

#define MAX_COMMAND_PAYLOAD 64

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SIGKILL each of our children: orphans of the command re-parent to us (we are a subreaper). */
static void kill_own_children(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1)
        kill((pid_t)pid, SIGKILL);
    fclose(f);
}

void kill_tree(const struct sbx_monitor *m)
{
    if (m->pidns) {
        kill(m->child, SIGKILL); /* the kernel kills the rest of the pid namespace */
        return;
    }
    kill(-m->child, SIGKILL); /* the command's process group */
    kill(m->child, SIGKILL);
    kill_own_children();
}

void reap_leftovers(const struct sbx_monitor *m)
{
    /* The group id stays reserved while any member lives, so this cannot hit a stranger. */
    if (!m->pidns)
        kill(-m->child, SIGKILL);
    for (;;) {
        int status;
        pid_t r = waitpid(-1, &status, WNOHANG);
        if (r > 0 || (r < 0 && errno == EINTR))
            continue;
        if (r < 0)
            return; /* ECHILD: nothing left */
        kill_own_children(); /* live children remain */
        while (waitpid(-1, &status, 0) < 0 && errno == EINTR)
            ;
    }
}

/* With a pid ns, forwarded signals go through PID 1; the rest straight to the command. */
static void deliver_signal(const struct sbx_monitor *m, int sig)
{
    if (sig <= 0 || sig >= NSIG)
        return;
    sigset_t fwd;
    init_forwarded_signals(&fwd);
    if (m->pidns && sigismember(&fwd, sig))
        kill(m->child, sig);
    else if (m->command > 0)
        kill(m->command, sig);
}

struct run_state {
    uint32_t flags;
    int terminating;   /* SIGTERM sent, SIGKILL due at kill_at_ms */
    int killed;        /* SIGKILL sent to the tree */
    int64_t kill_at_ms;
    int64_t cpu_check_at_ms; /* next read of the CPU usage; 0 = no watch (none, or the tree is killed) */
    struct sbx_commands cmd;
};

static void begin_terminate(const struct sbx_monitor *m, struct run_state *rs)
{
    if (rs->terminating || rs->killed)
        return;
    rs->terminating = 1;
    rs->kill_at_ms = now_ms() + (int64_t)(m->grace_ms > INT64_MAX / 4 ? INT64_MAX / 4 : m->grace_ms);
    if (m->pidns)
        kill(m->child, SIGTERM); /* PID 1 passes it on */
    else
        kill(-m->child, SIGTERM);
}

static void kill_now(const struct sbx_monitor *m, struct run_state *rs)
{
    if (!rs->killed)
        kill_tree(m);
    rs->killed = 1;
}

__attribute__((noreturn)) static void hang_up(const struct sbx_monitor *m)
{
    kill_tree(m);
    reap_leftovers(m);
    exit(1);
}

/* Handle every complete command frame in the buffer; returns -1 on a protocol violation. */
static int handle_commands(const struct sbx_monitor *m, struct run_state *rs)
{
    size_t off = 0;
    while (rs->cmd.len - off >= 8) {
        uint32_t type, plen;
        memcpy(&type, rs->cmd.buf + off, 4);
        memcpy(&plen, rs->cmd.buf + off + 4, 4);
        if (plen > MAX_COMMAND_PAYLOAD)
            return -1;
        if (rs->cmd.len - off < 8 + plen)
            break;
        const unsigned char *p = rs->cmd.buf + off + 8;
        switch (type) {
        case SBX_CMD_SIGNAL:
            if (plen >= 4) {
                int32_t sig;
                memcpy(&sig, p, 4);
                deliver_signal(m, sig);
            }
            break;
        case SBX_CMD_TERMINATE:
            rs->flags |= SBX_EXIT_KILLED;
            begin_terminate(m, rs);
            break;
        case SBX_CMD_KILL:
            rs->flags |= SBX_EXIT_KILLED;
            kill_now(m, rs);
            break;
        default:
            break; /* unknown commands are skipped: newer JVM side, older helper */
        }
        off += 8 + plen;
    }
    memmove(rs->cmd.buf, rs->cmd.buf + off, rs->cmd.len - off);
    rs->cmd.len -= off;
    return 0;
}

/* The command's own wait status: PID 1 wrote it, unless PID 1 itself was killed first. */
static int command_status(const struct sbx_monitor *m, int child_status)
{
    int32_t raw;
    if (m->pidns && m->status_rd >= 0 && read_full(m->status_rd, &raw, sizeof raw) == (ssize_t)sizeof raw)
        return raw;
    return child_status;
}

/* The direct child is gone: reap the rest, then report. Exits when the JVM cannot be told. */
static void finish(const struct sbx_monitor *m, struct run_state *rs, int child_status, const struct rusage *ru)
{
    int status = command_status(m, child_status);
    if (m->cpu_fd >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
        rs->flags |= SBX_EXIT_CPU_TIME; /* the RLIMIT_CPU backstop ended it */
    reap_leftovers(m);
    if (frame_send_exit(SBX_CONTROL_FD, status, rs->flags, ru) < 0)
        exit(1);
}

/*
 * Reads the sandbox's CPU time and kills the tree once it reaches the limit; otherwise schedules
 * the next read for the soonest moment the limit could be reached, so reads are rare until the
 * usage comes near it. A usage file that cannot be read fails closed: the tree is killed.
 */
static void watch_cpu_time(const struct sbx_monitor *m, struct run_state *rs)
{
    uint64_t used;
    if (cputime_read(m->cpu_fd, &used) < 0) {
        rs->cpu_check_at_ms = 0;
        kill_now(m, rs);
        return;
    }
    if (used >= m->cpu_limit_ns) {
        rs->cpu_check_at_ms = 0;
        if (!rs->killed)
            rs->flags |= SBX_EXIT_CPU_TIME;
        kill_now(m, rs);
        return;
    }
    rs->cpu_check_at_ms = now_ms() + cputime_next_check_ms(used, m->cpu_limit_ns, m->cpus);
}

/* Reap what has ended; returns 1 once the direct child was among it (EXIT is sent). */
static int reap_ready(const struct sbx_monitor *m, struct run_state *rs)
{
    struct signalfd_siginfo si;
    while (read(m->sigfd, &si, sizeof si) > 0)
        ; /* drain: one SIGCHLD may stand for several children */
    for (;;) {
        int status;
        struct rusage ru;
        pid_t p = wait4(-1, &status, WNOHANG, &ru);
        if (p < 0 && errno == EINTR)
            continue;
        if (p <= 0)
            return 0;
        if (p == m->child) {
            finish(m, rs, status, &ru);
            return 1;
        }
    }
}

void monitor_await_recycle(struct sbx_commands *c)
{
    /* What the monitor read already holds only commands sent before EXIT: never RECYCLE. */
    size_t off = 0;
    while (c->len - off >= 8) {
        uint32_t type, plen;
        memcpy(&type, c->buf + off, 4);
        memcpy(&plen, c->buf + off + 4, 4);
        if (type == SBX_CMD_RECYCLE || plen > MAX_COMMAND_PAYLOAD)
            exit(1);
        if (c->len - off < 8 + plen)
            break;
        off += 8 + plen;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    for (;;) {
        while (c->len < 8) {
            ssize_t n = read(SBX_CONTROL_FD, c->buf + c->len, 8 - c->len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                exit(n == 0 ? 0 : 1);
            c->len += (size_t)n;
        }
        uint32_t type, plen;
        memcpy(&type, c->buf, 4);
        memcpy(&plen, c->buf + 4, 4);
        if (plen > MAX_COMMAND_PAYLOAD)
            exit(1);
        while (c->len < 8 + plen) {
            ssize_t n = read(SBX_CONTROL_FD, c->buf + c->len, 8 + plen - c->len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                exit(n == 0 ? 0 : 1);
            c->len += (size_t)n;
        }
        c->len = 0;
        if (type == SBX_CMD_RECYCLE)
            return;
    }
}

void monitor_run(struct sbx_monitor *m, int reuse, struct sbx_commands *left)
{
    struct run_state rs;
    memset(&rs, 0, sizeof rs);
    if (m->cpu_fd >= 0)
        watch_cpu_time(m, &rs);
    for (;;) {
        int64_t now = now_ms();
        if (rs.cpu_check_at_ms && !rs.killed && now >= rs.cpu_check_at_ms)
            watch_cpu_time(m, &rs);
        if (m->timeout_at_ms && !rs.terminating && !rs.killed && now >= m->timeout_at_ms) {
            rs.flags |= SBX_EXIT_TIMED_OUT;
            begin_terminate(m, &rs);
        }
        if (rs.terminating && !rs.killed && now >= rs.kill_at_ms)
            kill_now(m, &rs);

        int64_t wake = -1;
        if (rs.terminating && !rs.killed)
            wake = rs.kill_at_ms;
        else if (m->timeout_at_ms && !rs.terminating && !rs.killed)
            wake = m->timeout_at_ms;
        if (rs.cpu_check_at_ms && !rs.killed && (wake < 0 || rs.cpu_check_at_ms < wake))
            wake = rs.cpu_check_at_ms;
        int timeout = -1;
        if (wake >= 0) {
            int64_t d = wake - now_ms();
            timeout = d < 0 ? 0 : d > 86400000 ? 86400000 : (int)d;
        }

        struct pollfd pfd[2] = {{.fd = m->sigfd, .events = POLLIN}, {.fd = SBX_CONTROL_FD, .events = POLLIN}};
        int r = poll(pfd, 2, timeout);
        if (r < 0 && errno != EINTR)
            hang_up(m);
        if (r <= 0)
            continue;
        if (pfd[0].revents && reap_ready(m, &rs)) {
            if (!reuse)
                exit(0);
            *left = rs.cmd;
            /* EXIT woke the JVM's waiting thread, which the kernel likely queued on this CPU (a socket's
               wake-up is a sync one): let it run before we reset ourselves for the next sandbox. */
            sched_yield();
            return;
        }
        if (pfd[1].revents) {
            ssize_t n = recv(SBX_CONTROL_FD, rs.cmd.buf + rs.cmd.len, sizeof rs.cmd.buf - rs.cmd.len, MSG_DONTWAIT);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                hang_up(m); /* the JVM closed the sandbox or died */
            rs.cmd.len += (size_t)n;
            if (handle_commands(m, &rs) < 0)
                hang_up(m);
        }
    }
}
