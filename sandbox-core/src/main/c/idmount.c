#include "idmount.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "error.h"
#include "io.h"
#include "protocol.h"

/*
 * A user namespace mapping `owner` to the sandbox's host ids: an idmapped mount through it shows
 * files owned by `owner` on disk as owned by the sandbox, and stores the sandbox's files as `owner`'s.
 * A child holds the namespace just long enough for us to write its maps and open it.
 */
int idmount_userns(uid_t owner_uid, gid_t owner_gid, uid_t uid, gid_t gid, const char *shown)
{
    int hold[2];
    if (pipe2(hold, O_CLOEXEC) < 0)
        return fail_errno("idmap", shown);
    pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, NULL);
    if (pid < 0) {
        int saved = errno;
        close(hold[0]);
        close(hold[1]);
        return fail("idmap", saved, shown);
    }
    if (pid == 0) {
        char c;
        close(hold[1]);
        while (read(hold[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    close(hold[0]);
    char path[64], map[48];
    int fd = -1, rc = 0;
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)owner_uid, (unsigned)uid);
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
    if (write_file(path, map, strlen(map)) < 0)
        rc = fail_errno("idmap", path);
    snprintf(map, sizeof map, "%u %u 1\n", (unsigned)owner_gid, (unsigned)gid);
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
    if (rc == 0 && write_file(path, map, strlen(map)) < 0)
        rc = fail_errno("idmap", path);
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
    if (rc == 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        rc = fail_errno("idmap", path);
    close(hold[1]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return rc < 0 ? -1 : fd;
}

/* The user namespaces made for one spec's binds, one per owner on disk: binds of the same owner share one. */
struct owner_ns {
    uid_t uid;
    gid_t gid;
    int fd;
};

/* *kept: whether the table holds the returned fd (else the caller closes it after use). */
static int owner_ns_fd(struct owner_ns *made, size_t *n, size_t cap, const struct stat *st, uid_t uid, gid_t gid,
                       const char *shown, int *kept)
{
    *kept = 1;
    for (size_t i = 0; i < *n; i++)
        if (made[i].uid == st->st_uid && made[i].gid == st->st_gid)
            return made[i].fd;
    int fd = idmount_userns(st->st_uid, st->st_gid, uid, gid, shown);
    if (fd >= 0 && *n < cap)
        made[(*n)++] = (struct owner_ns){.uid = st->st_uid, .gid = st->st_gid, .fd = fd};
    else
        *kept = 0;
    return fd;
}

static int prepare_binds(struct sbx_spec *spec, struct owner_ns *made, size_t *n_made, size_t cap)
{
    uid_t uid = spec->n_uid_map ? spec->uid_map[0].outside : 0;
    gid_t gid = spec->n_gid_map ? spec->gid_map[0].outside : 0;
    for (size_t i = 0; i < spec->n_ops; i++) {
        struct sbx_op *m = &spec->ops[i];
        if (m->kind != SBX_OP_BIND)
            continue;
        int tree = (int)syscall(SYS_open_tree, AT_FDCWD, m->source,
                                SBX_OPEN_TREE_CLONE | SBX_OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0)
            return fail_errno("bind", m->source);
        if (!(m->flags & SBX_OP_F_IDMAP)) {
            m->tree_fd = tree;
            continue;
        }
        struct stat st;
        if (fstat(tree, &st) < 0) {
            int saved = errno;
            close(tree);
            return fail("idmap", saved, m->source);
        }
        int kept;
        int ns = owner_ns_fd(made, n_made, cap, &st, uid, gid, m->source, &kept);
        if (ns < 0) {
            close(tree);
            return -1;
        }
        struct sbx_mount_attr attr = {.attr_set = SBX_MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)ns};
        int rc = (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
        int saved = errno;
        if (!kept)
            close(ns); /* more owners than the table holds */
        if (rc < 0 && saved == EINVAL && (m->flags & SBX_OP_F_IDMAP_FALLBACK))
            rc = 0; /* this file system cannot be idmapped: the tree stays a plain bind, as the JVM allows */
        if (rc < 0) {
            close(tree);
            /* EINVAL: this file system (or one mounted below the source) cannot be idmapped */
            return fail("idmap", saved, m->source);
        }
        m->tree_fd = tree;
    }
    return 0;
}

int idmounts_prepare(struct sbx_spec *spec)
{
    if (geteuid() != 0 || !(spec->namespaces & CLONE_NEWUSER))
        return 0;
    struct owner_ns made[16];
    size_t n = 0;
    int rc = prepare_binds(spec, made, &n, sizeof made / sizeof made[0]);
    for (size_t i = 0; i < n; i++)
        close(made[i].fd);
    return rc;
}
