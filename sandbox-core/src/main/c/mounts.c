#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "compat.h"
#include "error.h"
#include "protocol.h"

/* Where the new root is assembled, and where the host's root sits meanwhile. */
#define STAGE_BASE "/tmp"
#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"

/*
 * The state of the view under construction. Single-threaded and used once per process,
 * so it lives in one static.
 */
static struct {
    const struct sbx_spec *spec;
    size_t next_mount;  /* index of the user mount being applied */
    int staged;         /* a new root is being built under NEWROOT (host at OLDROOT) */
    const char *root;   /* prefix turning a view path into a path we can use: "" or NEWROOT */
    const char *proc;   /* a procfs where /proc/self/fd reaches our fds */
    dev_t *owned;       /* superblocks of the tmpfs mounts we made: the only places we create in */
    size_t n_owned;
    char **ro_later;    /* tmpfs mounts to make read-only once everything is mounted */
    size_t n_ro_later;
    char **sources;     /* bind sources resolved on the host side, once staged */
    char saved_cwd[PATH_MAX];
} V;

static int join(char *out, const char *a, const char *b)
{
    if ((size_t)snprintf(out, PATH_MAX, "%s%s", a, b) >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static int push_owned(dev_t dev)
{
    dev_t *n = realloc(V.owned, (V.n_owned + 1) * sizeof *n);
    if (!n)
        return -1;
    V.owned = n;
    V.owned[V.n_owned++] = dev;
    return 0;
}

static int is_owned(dev_t dev)
{
    for (size_t i = 0; i < V.n_owned; i++)
        if (V.owned[i] == dev)
            return 1;
    return 0;
}

static int push_ro_later(const char *path)
{
    char **n = realloc(V.ro_later, (V.n_ro_later + 1) * sizeof *n);
    if (!n || !(n[V.n_ro_later] = strdup(path)))
        return -1;
    V.ro_later = n;
    V.n_ro_later++;
    return 0;
}

/* Mount changes in here must never propagate back to the host. */
static int make_mounts_private(void)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return fail_errno("mount-private", "/");
    return 0;
}

/* A fresh tmpfs at path, remembered as ours; step and shown name the failure. */
static int mount_tmpfs(const char *path, unsigned mode, unsigned long flags, const char *step, const char *shown)
{
    char opts[32];
    snprintf(opts, sizeof opts, "mode=%04o", mode & 07777);
    if (mount("tmpfs", path, "tmpfs", flags, opts) < 0)
        return fail_errno(step, shown);
    struct stat st;
    if (stat(path, &st) < 0 || push_owned(st.st_dev) < 0)
        return fail_errno(step, shown);
    return 0;
}

/* One mount read-only by remount, keeping the flags a user namespace may not drop. */
static int remount_ro_one(const char *path)
{
    struct statvfs sv;
    if (statvfs(path, &sv) < 0)
        return -1;
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
    if (sv.f_flag & ST_NOSUID)
        flags |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        flags |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        flags |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME)
        flags |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME)
        flags |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME)
        flags |= MS_RELATIME;
    if (!(sv.f_flag & (ST_NOATIME | ST_RELATIME)))
        flags |= MS_STRICTATIME; /* the kernel would otherwise default to relatime: EPERM when locked */
    return mount(NULL, path, NULL, flags, NULL);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
            r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* Before mount_setattr (5.12): remount path and every mount below it, one by one. */
static int remount_ro_tree(const char *path)
{
    if (remount_ro_one(path) < 0)
        return -1;
    char info[PATH_MAX];
    if (join(info, V.proc, "/self/mountinfo") < 0)
        return -1;
    FILE *f = fopen(info, "re");
    if (!f)
        return -1;
    size_t plen = strlen(path);
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        /* id parent major:minor root mount-point ... */
        char *mp = line;
        for (int i = 0; i < 4 && mp; i++)
            mp = strchr(mp, ' '), mp = mp ? mp + 1 : NULL;
        if (!mp)
            continue;
        char *end = strchr(mp, ' ');
        if (end)
            *end = '\0';
        unescape_octal(mp);
        if (strncmp(mp, path, plen) == 0 && mp[plen] == '/' && remount_ro_one(mp) < 0 && errno != ENOENT)
            rc = -1;
    }
    int saved = errno;
    free(line);
    fclose(f);
    errno = saved;
    return rc;
}

/* Make the mount at path (and, if recursive, all below it) read-only; -1 with errno. */
static int make_readonly(const char *path, int recursive)
{
/* CFLAGS=-DSBX_TEST_NO_MOUNT_SETATTR builds the pre-5.12 fallback alone, to test it on a new kernel. */
#ifndef SBX_TEST_NO_MOUNT_SETATTR
    struct sbx_mount_attr attr = {.attr_set = SBX_MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr, sizeof attr) == 0)
        return 0;
    if (errno != ENOSYS)
        return -1;
#endif
    return recursive ? remount_ro_tree(path) : remount_ro_one(path);
}

/* An empty directory or regular file to mount on. */
static int create_node(const char *path, int dir)
{
    if (dir)
        return mkdir(path, 0755);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int ensure_dir(const char *path, const char *shown)
{
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return fail_errno("mkdir", shown);
    return 0;
}

static int mount_proc(const char *path)
{
    if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return fail_errno("proc", "/proc");
    return 0;
}

/* Resolve bind sources from mount index `from` on, while the host is still our root. */
static int resolve_sources(size_t from)
{
    const struct sbx_spec *s = V.spec;
    if (!V.sources && !(V.sources = calloc(s->n_mounts + 1, sizeof *V.sources)))
        return fail("bind", ENOMEM, "");
    for (size_t i = from; i < s->n_mounts; i++) {
        if (s->mounts[i].kind == SBX_MOUNT_TMPFS || s->mounts[i].tree_fd >= 0)
            continue;
        /* Absolute symlinks must resolve against the host, which stops being "/" soon. */
        if (!(V.sources[i] = realpath(s->mounts[i].source, NULL)))
            return fail_errno("bind", s->mounts[i].source);
    }
    return 0;
}

/* The host-side path of mount i's source as seen from where we stand now. */
static int source_path(size_t i, char *out)
{
    if (!V.staged)
        return join(out, "", V.spec->mounts[i].source);
    return join(out, OLDROOT, V.sources[i]);
}

/*
 * Put a tmpfs at STAGE_BASE (only in our namespace), pivot into it with the host at OLDROOT,
 * and mount the tmpfs that becomes the new root at NEWROOT.
 */
static int stage_new_root(void)
{
    if (mount_tmpfs(STAGE_BASE, 0755, MS_NOSUID | MS_NODEV, "tmpfs", STAGE_BASE) < 0)
        return -1;
    if (ensure_dir(STAGE_BASE NEWROOT, STAGE_BASE NEWROOT) < 0 || ensure_dir(STAGE_BASE OLDROOT, STAGE_BASE OLDROOT) < 0)
        return -1;
    if (syscall(SYS_pivot_root, STAGE_BASE, STAGE_BASE OLDROOT) < 0)
        return fail_errno("pivot_root", STAGE_BASE);
    V.staged = 1;
    V.root = NEWROOT;
    V.proc = OLDROOT "/proc";
    return mount_tmpfs(NEWROOT, 0755, MS_NOSUID | MS_NODEV, "tmpfs", "/");
}

/*
 * Recreate the entry `name` of directory dfd at `to`: a symlink as a symlink, anything else as
 * an empty node with `from` bound on it (recursively, read-only if asked). `shown` names it.
 */
static int mirror_entry(int dfd, const char *name, const char *from, const char *to, const char *shown, int readonly)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return fail_errno("bind", shown);
    if (S_ISLNK(st.st_mode)) {
        char link[PATH_MAX];
        ssize_t n = readlinkat(dfd, name, link, sizeof link - 1);
        if (n < 0)
            return fail_errno("mkdir", shown);
        link[n] = '\0';
        if (symlink(link, to) < 0)
            return fail_errno("mkdir", shown);
        return 0;
    }
    if (create_node(to, S_ISDIR(st.st_mode)) < 0)
        return fail_errno("mkdir", shown);
    if (mount(from, to, NULL, MS_BIND | MS_REC, NULL) < 0)
        return fail_errno("bind", shown);
    if (readonly && make_readonly(to, 1) < 0)
        return fail_errno("remount-ro", shown);
    return 0;
}

/*
 * Recreate the host's top level under NEWROOT: directories and files as (recursive) binds,
 * symlinks as symlinks. /proc, /dev and /sys get an empty directory instead when `fresh` (SBX_FEATURE_*
 * bits) says a new instance goes there.
 */
static int mirror_host_root(int readonly, uint32_t fresh)
{
    DIR *d = opendir(OLDROOT);
    if (!d)
        return fail_errno("bind", "/");
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (!strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        char shown[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
        if (join(shown, "/", name) < 0 || join(from, OLDROOT, shown) < 0 || join(to, NEWROOT, shown) < 0) {
            rc = fail_errno("mkdir", name);
            break;
        }
        if (((fresh & SBX_FEATURE_PROC) && !strcmp(name, "proc")) || ((fresh & SBX_FEATURE_DEV) && !strcmp(name, "dev")) ||
            ((fresh & SBX_FEATURE_SYS) && !strcmp(name, "sys"))) {
            rc = ensure_dir(to, shown);
            continue;
        }
        rc = mirror_entry(dirfd(d), name, from, to, shown, readonly);
    }
    closedir(d);
    return rc;
}

/*
 * Host root: a top-level target is missing and "/" is the host's own. Switch to a staged root
 * that mirrors the current view read-write, so the new entry lands in our tmpfs instead.
 */
static int stage_host_view(void)
{
    if (!getcwd(V.saved_cwd, sizeof V.saved_cwd))
        V.saved_cwd[0] = '\0';
    /* Split tmpfs mounts recorded so far would be copied read-write by the mirror: seal them now. */
    for (size_t i = 0; i < V.n_ro_later; i++)
        if (make_readonly(V.ro_later[i], 0) < 0)
            return fail_errno("remount-ro", V.ro_later[i]);
    V.n_ro_later = 0;
    if (resolve_sources(V.next_mount) < 0 || stage_new_root() < 0)
        return -1;
    return mirror_host_root(0, 0);
}

/*
 * Cover the directory at `full` (view path `shown`) with a tmpfs holding the same entries:
 * directories and files bound from the original (as it is visible now, earlier mounts included),
 * symlinks copied. Afterwards new entries can be created there without touching the host.
 */
static int split_dir(const char *full, const char *shown)
{
    int dfd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return fail_errno("mkdir", shown);
    struct stat st;
    struct statvfs sv;
    if (fstat(dfd, &st) < 0 || fstatvfs(dfd, &sv) < 0) {
        int saved = errno;
        close(dfd);
        return fail("mkdir", saved, shown);
    }
    if (mount_tmpfs(full, st.st_mode, MS_NOSUID | MS_NODEV, "tmpfs", shown) < 0) {
        close(dfd);
        return -1;
    }
    if ((sv.f_flag & ST_RDONLY) && push_ro_later(full) < 0) {
        close(dfd);
        return fail_errno("tmpfs", shown);
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        int saved = errno;
        close(dfd);
        return fail("mkdir", saved, shown);
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (!strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        char to[PATH_MAX], from[PATH_MAX], entry[PATH_MAX];
        if ((size_t)snprintf(to, sizeof to, "%s/%s", full, name) >= sizeof to ||
            (size_t)snprintf(from, sizeof from, "%s/self/fd/%d/%s", V.proc, dfd, name) >= sizeof from) {
            rc = fail("mkdir", ENAMETOOLONG, shown);
            break;
        }
        snprintf(entry, sizeof entry, "%s/%s", strcmp(shown, "/") ? shown : "", name);
        rc = mirror_entry(dfd, name, from, to, entry, 0);
    }
    closedir(d);
    return rc;
}

/* Create `name` in the view directory `parent` (view path), splitting it first if it is not ours. */
static int create_in_view(const char *parent, const char *cand, int dir)
{
    char parent_full[PATH_MAX], full[PATH_MAX];
    const char *parent_shown = parent[0] ? parent : "/";
    if (!V.staged && !parent[0]) {
        if (stage_host_view() < 0)
            return -1;
    }
    if (join(parent_full, V.root, parent_shown) < 0 || join(full, V.root, cand) < 0)
        return fail_errno("mkdir", cand);
    struct stat st;
    if (stat(parent_full, &st) < 0)
        return fail_errno("mkdir", parent_shown);
    int split = 0;
    if (!is_owned(st.st_dev)) {
        if (split_dir(parent_full, parent_shown) < 0)
            return -1;
        split = 1;
    }
    if (create_node(full, dir) == 0)
        return 0;
    /* One of ours, but sealed read-only meanwhile: cover it like a host directory. */
    if (errno == EROFS && !split) {
        if (split_dir(parent_full, parent_shown) < 0)
            return -1;
        if (create_node(full, dir) == 0)
            return 0;
    }
    return fail_errno("mkdir", cand);
}

/*
 * Walk target inside the view (symlinks resolved within the view), creating what is missing:
 * directories on the way, and a directory or empty file (want_dir) at the end.
 * `full` gets the path to mount on.
 */
static int ensure_target(const char *target, int want_dir, char *full)
{
    char resolved[PATH_MAX] = ""; /* view path walked so far; "" is the view's root */
    char rest[PATH_MAX], next[PATH_MAX];
    int links = 0;
    if (join(rest, "", target) < 0)
        return fail_errno("mkdir", target);
    const char *p = rest;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t clen = strcspn(p, "/");
        char comp[NAME_MAX + 1];
        if (clen > NAME_MAX)
            return fail("mkdir", ENAMETOOLONG, target);
        memcpy(comp, p, clen);
        comp[clen] = '\0';
        p += clen;
        const char *q = p;
        while (*q == '/')
            q++;
        int last = !*q;
        if (!strcmp(comp, "."))
            continue;
        if (!strcmp(comp, "..")) {
            char *slash = strrchr(resolved, '/');
            if (slash)
                *slash = '\0';
            continue;
        }
        char cand[PATH_MAX], host[PATH_MAX];
        if ((size_t)snprintf(cand, sizeof cand, "%s/%s", resolved, comp) >= sizeof cand ||
            join(host, V.root, cand) < 0)
            return fail("mkdir", ENAMETOOLONG, target);
        struct stat st;
        if (lstat(host, &st) == 0) {
            if (S_ISLNK(st.st_mode)) {
                if (++links > 40)
                    return fail("mkdir", ELOOP, target);
                char link[PATH_MAX];
                ssize_t n = readlink(host, link, sizeof link - 1);
                if (n < 0)
                    return fail_errno("mkdir", cand);
                link[n] = '\0';
                if ((size_t)snprintf(next, sizeof next, "%s%s%s", link, *p ? "/" : "", p) >= sizeof next)
                    return fail("mkdir", ENAMETOOLONG, target);
                memcpy(rest, next, strlen(next) + 1);
                p = rest;
                if (link[0] == '/')
                    resolved[0] = '\0';
                continue;
            }
            if (!S_ISDIR(st.st_mode) && !last)
                return fail("mkdir", ENOTDIR, cand);
        } else if (errno != ENOENT) {
            return fail_errno("mkdir", cand);
        } else if (create_in_view(resolved, cand, last ? want_dir : 1) < 0) {
            return -1;
        }
        memcpy(resolved, cand, strlen(cand) + 1);
    }
    if (join(full, V.root, resolved[0] ? resolved : (V.root[0] ? "" : "/")) < 0)
        return fail_errno("mkdir", target);
    return 0;
}

/* One MOUNT record, targets created in the view as needed. */
static int apply_mount(size_t i)
{
    const struct sbx_mount *m = &V.spec->mounts[i];
    char src[PATH_MAX], full[PATH_MAX];
    int want_dir = 1;
    V.next_mount = i;
    if (m->kind != SBX_MOUNT_TMPFS) {
        struct stat st;
        if (m->tree_fd >= 0 ? fstat(m->tree_fd, &st) < 0 : (source_path(i, src) < 0 || stat(src, &st) < 0))
            return fail_errno("bind", m->source);
        want_dir = S_ISDIR(st.st_mode);
    }
    if (ensure_target(m->target, want_dir, full) < 0)
        return -1;
    if (m->kind == SBX_MOUNT_TMPFS)
        return mount_tmpfs(full, 0755, MS_NOSUID | MS_NODEV, "tmpfs", m->target);
    if (m->tree_fd >= 0) { /* opened (and maybe idmapped) by the helper: attach its detached tree */
        if (syscall(SYS_move_mount, m->tree_fd, "", AT_FDCWD, full, SBX_MOVE_MOUNT_F_EMPTY_PATH) < 0)
            return fail_errno("bind", m->source);
    } else if (source_path(i, src) < 0 || mount(src, full, NULL, MS_BIND | MS_REC, NULL) < 0) {
        /* Creating the target may have staged the root: the source moved under OLDROOT. */
        return fail_errno("bind", m->source);
    }
    if (m->kind == SBX_MOUNT_RO_BIND && make_readonly(full, 1) < 0)
        return fail_errno("ro-bind", m->target);
    return 0;
}

static int apply_mounts(void)
{
    for (size_t i = 0; i < V.spec->n_mounts; i++)
        if (apply_mount(i) < 0)
            return -1;
    return 0;
}

/* A minimal /dev: a few host devices, the usual links, a private devpts and /dev/shm. */
static int make_dev(void)
{
    static const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
    static const char *links[][2] = {
        {"fd", "/proc/self/fd"},           {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"},     {"ptmx", "pts/ptmx"},
    };
    if (ensure_dir(NEWROOT "/dev", "/dev") < 0 || mount_tmpfs(NEWROOT "/dev", 0755, MS_NOSUID, "dev", "/dev") < 0)
        return -1;
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        char shown[64], from[PATH_MAX], to[PATH_MAX];
        snprintf(shown, sizeof shown, "/dev/%s", nodes[i]);
        join(from, OLDROOT, shown);
        join(to, NEWROOT, shown);
        if (create_node(to, 0) < 0 || mount(from, to, NULL, MS_BIND, NULL) < 0)
            return fail_errno("dev", shown);
    }
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        char shown[64], to[PATH_MAX];
        snprintf(shown, sizeof shown, "/dev/%s", links[i][0]);
        join(to, NEWROOT, shown);
        if (symlink(links[i][1], to) < 0)
            return fail_errno("dev", shown);
    }
    const char *pts = NEWROOT "/dev/pts";
    if (ensure_dir(pts, "/dev/pts") < 0)
        return -1;
    if (mount("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") < 0 &&
        /* mode=620 implies gid=5, which a user namespace may not map */
        (errno != EINVAL || mount("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666") < 0))
        return fail_errno("dev", "/dev/pts");
    if (ensure_dir(NEWROOT "/dev/shm", "/dev/shm") < 0)
        return -1;
    return mount_tmpfs(NEWROOT "/dev/shm", 01777, MS_NOSUID | MS_NODEV, "dev", "/dev/shm");
}

/* Seal the split tmpfs mounts that stand in for read-only directories. */
static int seal_split_dirs(void)
{
    for (size_t i = 0; i < V.n_ro_later; i++)
        if (make_readonly(V.ro_later[i], 0) < 0)
            return fail_errno("remount-ro", V.ro_later[i]);
    return 0;
}

/* Enter NEWROOT and drop the staging base together with the host's root. */
static int switch_root(void)
{
    if (chdir(NEWROOT) < 0)
        return fail_errno("pivot_root", NEWROOT);
    /* Stack the old root on top of the new one, then detach it: no directory for it needed. */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return fail_errno("pivot_root", NEWROOT);
    if (umount2(".", MNT_DETACH) < 0)
        return fail_errno("umount", OLDROOT);
    if (chdir("/") < 0)
        return fail_errno("chdir", "/");
    return 0;
}

/* ROOT host: the host's root itself, with fresh /proc and the user's mounts on top. */
static int build_host_view(const struct sbx_spec *s)
{
    if ((s->features & SBX_FEATURE_PROC) && mount_proc("/proc") < 0)
        return -1;
    if (apply_mounts() < 0 || seal_split_dirs() < 0)
        return -1;
    if (!V.staged)
        return 0;
    if (switch_root() < 0)
        return -1;
    /* The mirror keeps every host path, so the helper's working directory is still there. */
    if (V.saved_cwd[0] && chdir(V.saved_cwd) < 0)
        return fail_errno("chdir", V.saved_cwd);
    return 0;
}

/* ROOT read-only / empty: a tmpfs root holding a read-only mirror of the host or nothing. */
static int build_new_root(const struct sbx_spec *s)
{
    int proc = !!(s->features & SBX_FEATURE_PROC), dev = !!(s->features & SBX_FEATURE_DEV);
    if (resolve_sources(0) < 0 || stage_new_root() < 0)
        return -1;
    if (s->root == SBX_ROOT_READ_ONLY && mirror_host_root(1, s->features) < 0)
        return -1;
    /* sysfs shows the network devices of the namespace that mounts it: ours, not the host's. */
    if ((s->features & SBX_FEATURE_SYS) &&
        mount("sysfs", NEWROOT "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return fail_errno("sysfs", "/sys");
    if (dev && make_dev() < 0)
        return -1;
    if (proc && (ensure_dir(NEWROOT "/proc", "/proc") < 0 || mount_proc(NEWROOT "/proc") < 0))
        return -1;
    if (apply_mounts() < 0 || seal_split_dirs() < 0)
        return -1;
    /* Only the declared binds, tmpfs mounts and /dev stay writable. */
    if (make_readonly(NEWROOT, 0) < 0)
        return fail_errno("remount-ro", "/");
    return switch_root();
}

int mounts_build(const struct sbx_spec *spec)
{
    V.spec = spec;
    V.root = "";
    V.proc = "/proc";
    if (make_mounts_private() < 0)
        return -1;
    return spec->root == SBX_ROOT_HOST ? build_host_view(spec) : build_new_root(spec);
}
