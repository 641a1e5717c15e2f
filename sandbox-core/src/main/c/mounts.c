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
#include <sys/sysmacros.h>
#include <unistd.h>

#include "compat.h"
#include "error.h"
#include "masks.h"
#include "mountfd.h"
#include "protocol.h"
#include "viewpath.h"

/*
 * Where the new root is assembled: a tmpfs on the host's /tmp (only in our namespace) that we
 * pivot into, with the host's root at OLDROOT meanwhile and the new root's tmpfs at NEWROOT.
 */
#define STAGE_BASE "tmp"
#define NEWROOT "newroot"
#define OLDROOT "oldroot"

/* The staging and new-root tmpfs and /dev only hold mount points, directories and symlinks. */
#define STAGE_SIZE (1u << 20)
#define DEV_SIZE (64u << 10)
/* The command's shared memory: runc's default. */
#define SHM_SIZE (64u << 20)

#define ATTR_TMPFS (SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV)

/*
 * The state of the view under construction. Single-threaded and used once per process,
 * so it lives in one static. Every place is held as a descriptor and nothing is looked up again
 * by a path string. On the host's side only the declared bind sources are resolved as paths (the
 * caller's own); the rest are root's top-level names (/tmp, /dev and its nodes, the entries of
 * "/"), one component at a time from the held "/", never following a symlink.
 */
static struct {
    const struct sbx_spec *spec;
    int staged;         /* a new root is being built (host at OLDROOT) */
    int host;           /* the host's "/" */
    int root;           /* the view's "/": the host's, or the new root's tmpfs once staged */
    int *sources;       /* each bind source, opened once at the start (-1 for tmpfs) */
    dev_t *owned;       /* superblocks of the tmpfs mounts we made: the only places we create in */
    size_t n_owned;
    struct sealed {     /* split tmpfs mounts to make read-only once everything is mounted */
        int root;
        char *shown;
    } *ro_later;
    size_t n_ro_later;
    char saved_cwd[PATH_MAX];
} V;

static int push_owned(int root)
{
    struct stat st;
    if (fstat(root, &st) < 0)
        return -1;
    dev_t *n = realloc(V.owned, (V.n_owned + 1) * sizeof *n);
    if (!n)
        return -1;
    V.owned = n;
    V.owned[V.n_owned++] = st.st_dev;
    return 0;
}

static int is_owned(dev_t dev)
{
    for (size_t i = 0; i < V.n_owned; i++)
        if (V.owned[i] == dev)
            return 1;
    return 0;
}

static int push_ro_later(int root, const char *shown)
{
    struct sealed *n = realloc(V.ro_later, (V.n_ro_later + 1) * sizeof *n);
    if (!n)
        return -1;
    V.ro_later = n;
    if ((n[V.n_ro_later].root = dup(root)) < 0 || !(n[V.n_ro_later].shown = strdup(shown)))
        return -1;
    V.n_ro_later++;
    return 0;
}

/* Seal the split tmpfs mounts that stand in for read-only directories. */
static int seal_split_dirs(void)
{
    for (size_t i = 0; i < V.n_ro_later; i++) {
        if (mfd_readonly(V.ro_later[i].root, 0) < 0)
            return fail_errno("remount-ro", V.ro_later[i].shown);
        close(V.ro_later[i].root);
        free(V.ro_later[i].shown);
    }
    V.n_ro_later = 0;
    return 0;
}

/* Mount changes in here must never propagate back to the host. */
static int make_mounts_private(void)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return fail_errno("mount-private", "/");
    return 0;
}

/* A tmpfs on `at`, remembered as ours; returns its root. */
static int owned_tmpfs(const struct mfd_at *at, unsigned mode, uint64_t size, const char *step, const char *shown)
{
    int root = mfd_tmpfs(at, mode, size, ATTR_TMPFS);
    if (root < 0 || push_owned(root) < 0)
        return fail_errno(step, shown);
    return root;
}

/* An empty directory or regular file `name` in `dir` (one of our tmpfs mounts); returns it, O_PATH. */
static int create_node(int dir, const char *name, int is_dir)
{
    if (is_dir) {
        if (mkdirat(dir, name, 0755) < 0)
            return -1;
    } else {
        int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
            return -1;
        close(fd);
    }
    return openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

/* The directory `name` in `dir` (one of ours), made if missing; returns it, O_PATH. */
static int ensure_dir(int dir, const char *name, const char *shown)
{
    if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST)
        return fail_errno("mkdir", shown);
    int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail_errno("mkdir", shown);
    return fd;
}

/* Open every bind source once, while the host is our root: the caller's own declared host paths. */
static int open_sources(void)
{
    const struct sbx_spec *s = V.spec;
    if (!(V.sources = malloc((s->n_mounts + 1) * sizeof *V.sources)))
        return fail("bind", ENOMEM, "");
    for (size_t i = 0; i < s->n_mounts; i++) {
        V.sources[i] = -1;
        /* A source the helper opened for us (idmount.c) is not resolved again here. */
        if (s->mounts[i].kind != SBX_MOUNT_TMPFS && s->mounts[i].tree_fd < 0 &&
            (V.sources[i] = open(s->mounts[i].source, O_PATH | O_CLOEXEC)) < 0)
            return fail_errno("bind", s->mounts[i].source);
    }
    return 0;
}

/*
 * Put a tmpfs on the host's /tmp (only in our namespace), pivot into it with the host at OLDROOT,
 * and mount the tmpfs that becomes the new root at NEWROOT.
 */
static int stage_new_root(void)
{
    int tmp = openat(V.host, STAGE_BASE, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (tmp < 0)
        return fail_errno("tmpfs", "/" STAGE_BASE);
    int stage = owned_tmpfs(&(struct mfd_at){tmp, V.host, STAGE_BASE}, 0755, STAGE_SIZE, "tmpfs", "/" STAGE_BASE);
    close(tmp);
    if (stage < 0)
        return -1;
    int newroot = ensure_dir(stage, NEWROOT, "/" STAGE_BASE "/" NEWROOT);
    if (newroot < 0 || mkdirat(stage, OLDROOT, 0755) < 0)
        return newroot < 0 ? -1 : fail_errno("mkdir", "/" STAGE_BASE "/" OLDROOT);
    if (fchdir(stage) < 0 || syscall(SYS_pivot_root, ".", OLDROOT) < 0 || chdir("/") < 0)
        return fail_errno("pivot_root", "/" STAGE_BASE);
    V.staged = 1;
    mfd_set_proc("/" OLDROOT "/proc");
    V.root = owned_tmpfs(&(struct mfd_at){newroot, stage, NEWROOT}, 0755, STAGE_SIZE, "tmpfs", "/");
    close(newroot);
    close(stage);
    return V.root < 0 ? -1 : 0;
}

static int join_shown(char *out, const char *dir, const char *name)
{
    if ((size_t)snprintf(out, PATH_MAX, "%s/%s", strcmp(dir, "/") ? dir : "", name) >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/*
 * Recreate the entry `name` of directory `src` in `dst` (one of our tmpfs mounts): a symlink as a
 * symlink, anything else as an empty node with the entry bound on it (recursively, read-only if
 * asked). The entry is opened once, without following it, and bound from that descriptor.
 */
static int mirror_entry(int src, const char *name, int dst, const char *shown, int readonly)
{
    struct stat st;
    int from = openat(src, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (from < 0 || fstat(from, &st) < 0)
        return fail_errno("bind", shown);
    int rc = 0;
    if (S_ISLNK(st.st_mode)) {
        char link[PATH_MAX];
        ssize_t n = readlinkat(from, "", link, sizeof link);
        if (n < 0 || (size_t)n >= sizeof link)
            rc = fail("readlink", n < 0 ? errno : ENAMETOOLONG, shown);
        else if (link[n] = '\0', symlinkat(link, dst, name) < 0)
            rc = fail_errno("symlink", shown);
        close(from);
        return rc;
    }
    int to = create_node(dst, name, S_ISDIR(st.st_mode));
    if (to < 0) {
        rc = fail_errno("mkdir", shown);
    } else {
        int m = mfd_bind(from, &(struct mfd_at){to, dst, name}, 1);
        if (m < 0)
            rc = fail_errno("bind", shown);
        else if (readonly && mfd_readonly(m, 1) < 0)
            rc = fail_errno("remount-ro", shown);
        if (m >= 0)
            close(m);
        close(to);
    }
    close(from);
    return rc;
}

/*
 * Recreate the host's top level in the new root: directories and files as (recursive) binds,
 * symlinks as symlinks. /proc, /dev and /sys get an empty directory instead when `fresh`
 * (SBX_FEATURE_* bits) says a new instance goes there.
 */
static int mirror_host_root(int readonly, uint32_t fresh)
{
    int fd = openat(V.host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0)
            close(fd);
        return fail_errno("bind", "/");
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (!strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        char shown[PATH_MAX];
        if (join_shown(shown, "/", name) < 0) {
            rc = fail_errno("mkdir", name);
            break;
        }
        if (((fresh & SBX_FEATURE_PROC) && !strcmp(name, "proc")) || ((fresh & SBX_FEATURE_DEV) && !strcmp(name, "dev")) ||
            ((fresh & SBX_FEATURE_SYS) && !strcmp(name, "sys"))) {
            int dir = ensure_dir(V.root, name, shown);
            rc = dir < 0 ? -1 : close(dir);
            continue;
        }
        rc = mirror_entry(dirfd(d), name, V.root, shown, readonly);
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
    if (seal_split_dirs() < 0 || stage_new_root() < 0)
        return -1;
    return mirror_host_root(0, 0);
}

/*
 * Cover the directory where the walk stands with a tmpfs holding the same entries: directories
 * and files bound from the original (as it is visible now, earlier mounts included), symlinks
 * copied. The walk goes on in the tmpfs; new entries can be created there without touching the
 * host. The original is read through the walk's descriptor, the tmpfs put on exactly it.
 */
static int split_dir(struct view_walk *w)
{
    const char *shown = view_shown(w);
    struct mfd_at at;
    int fd = view_at(w, &at) < 0 ? -1 : openat(at.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0)
            close(fd);
        return fail_errno("mkdir", shown);
    }
    struct stat st;
    struct statvfs sv;
    uint64_t entries = 0;
    while (readdir(d))
        entries++;
    rewinddir(d);
    if (fstat(fd, &st) < 0 || fstatvfs(fd, &sv) < 0) {
        closedir(d);
        return fail_errno("mkdir", shown);
    }
    /* Room for a page per entry: a long symlink's target takes one. */
    int root = owned_tmpfs(&at, st.st_mode, STAGE_SIZE + entries * 4096, "tmpfs", shown);
    if (root >= 0 && (sv.f_flag & ST_RDONLY) && push_ro_later(root, shown) < 0)
        root = fail_errno("tmpfs", shown);
    struct dirent *e;
    int rc = root < 0 ? -1 : 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        char entry[PATH_MAX];
        if (!strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        if (join_shown(entry, shown, name) < 0)
            rc = fail_errno("mkdir", shown);
        else
            rc = mirror_entry(fd, name, root, entry, 0);
    }
    closedir(d);
    if (root >= 0) {
        close(w->fd[w->depth]);
        w->fd[w->depth] = root;
    }
    return rc;
}

/*
 * view_walk's create callback for mount targets: create `name` where the walk stands, splitting
 * that directory first if it is not one of ours (staging a new root if it is the host's "/").
 */
static int create_in_view(struct view_walk *w, const char *name, int dir)
{
    char cand[PATH_MAX];
    if (join_shown(cand, view_shown(w), name) < 0)
        return fail_errno("mkdir", name);
    if (!V.staged && w->depth == 0) {
        if (stage_host_view() < 0)
            return -1;
        w->root = V.root;
        return VIEW_RESTART;
    }
    struct stat st;
    if (fstat(w->fd[w->depth], &st) < 0)
        return fail_errno("mkdir", view_shown(w));
    int split = 0;
    if (!is_owned(st.st_dev)) {
        if (split_dir(w) < 0)
            return -1;
        split = 1;
    }
    int fd = create_node(w->fd[w->depth], name, dir);
    /* One of ours, but sealed read-only meanwhile: cover it like a host directory. */
    if (fd < 0 && errno == EROFS && !split) {
        if (split_dir(w) < 0)
            return -1;
        fd = create_node(w->fd[w->depth], name, dir);
    }
    if (fd < 0)
        return fail_errno("mkdir", cand);
    return fd;
}

/* One MOUNT record, its target resolved in the view and created there as needed. */
static int apply_mount(size_t i)
{
    const struct sbx_mount *m = &V.spec->mounts[i];
    int want_dir = 1;
    if (m->kind != SBX_MOUNT_TMPFS) {
        struct stat st;
        if (fstat(m->tree_fd >= 0 ? m->tree_fd : V.sources[i], &st) < 0)
            return fail_errno("bind", m->source);
        want_dir = S_ISDIR(st.st_mode);
    }
    struct view_walk w;
    struct mfd_at at;
    int rc = view_walk(&w, V.root, m->target, VIEW_FOLLOW | (want_dir ? VIEW_DIR : 0), create_in_view, "mkdir");
    if (rc == 0 && view_at(&w, &at) < 0)
        rc = fail_errno("mkdir", m->target); /* it resolved to the view's root itself */
    if (rc == 0 && m->kind == SBX_MOUNT_TMPFS) {
        int root = owned_tmpfs(&at, 0755, m->size, "tmpfs", m->target);
        rc = root < 0 ? -1 : close(root);
    } else if (rc == 0) {
        /* The helper's detached (maybe idmapped) copy of the source, or a bind of the source we opened. */
        int root = m->tree_fd >= 0 ? (mfd_attach(m->tree_fd, &at) < 0 ? -1 : dup(m->tree_fd))
                                   : mfd_bind(V.sources[i], &at, 1);
        if (root < 0)
            rc = fail_errno("bind", m->source);
        else if (m->kind == SBX_MOUNT_RO_BIND && mfd_readonly(root, 1) < 0)
            rc = fail_errno("ro-bind", m->target);
        if (root >= 0)
            close(root);
    }
    view_done(&w);
    return rc;
}

static int apply_mounts(void)
{
    for (size_t i = 0; i < V.spec->n_mounts; i++)
        if (apply_mount(i) < 0)
            return -1;
    return 0;
}

/* The host's /dev/null, checked to be the null device (it masks files). */
static int host_devnull(void)
{
    struct stat st;
    int dev = openat(V.host, "dev", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    int fd = dev < 0 ? -1 : openat(dev, "null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (dev >= 0)
        close(dev);
    if (fd < 0 || fstat(fd, &st) < 0)
        return fail_errno("mask", "/dev/null");
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
        close(fd);
        return fail("mask", ENODEV, "/dev/null");
    }
    return fd;
}

/* runc's masked and read-only paths, and a read-only /sys/fs/cgroup if asked for. */
static int protect_kernel_files(const struct sbx_spec *s)
{
    /* A fresh /proc gets runc's treatment; a new root's /sys too. The host root stays as it is. */
    int proc = !!(s->features & SBX_FEATURE_PROC), sys = s->root != SBX_ROOT_HOST;
    if (proc || sys) {
        int devnull = host_devnull();
        if (devnull < 0 || masks_apply(V.root, devnull, proc, sys) < 0)
            return -1;
        close(devnull);
    }
    if ((s->features & SBX_FEATURE_RO_CGROUP) && readonly_path(V.root, "sys/fs/cgroup") < 0)
        return -1;
    return 0;
}

/* The host's device `name` bound on an empty file of that name in `dev` (our /dev tmpfs). */
static int bind_device(int host, int dev, const char *name)
{
    char shown[64];
    snprintf(shown, sizeof shown, "/dev/%s", name);
    struct stat st;
    int from = openat(host, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (from < 0 || fstat(from, &st) < 0)
        return fail_errno("dev", shown);
    int rc = 0, to = -1, m = -1;
    if (!S_ISCHR(st.st_mode))
        rc = fail("dev", ENODEV, shown);
    else if ((to = create_node(dev, name, 0)) < 0 || (m = mfd_bind(from, &(struct mfd_at){to, dev, name}, 0)) < 0)
        rc = fail_errno("dev", shown);
    if (m >= 0)
        close(m);
    if (to >= 0)
        close(to);
    close(from);
    return rc;
}

/* A minimal /dev: a few host devices, the usual links, a private devpts and /dev/shm. */
static int make_dev(void)
{
    static const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
    static const char *links[][2] = {
        {"fd", "/proc/self/fd"},           {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"},     {"ptmx", "pts/ptmx"},
    };
    int dir = ensure_dir(V.root, "dev", "/dev");
    if (dir < 0)
        return -1;
    /* nodev: the devices are binds of the host's nodes, which keep their own mount's flags. */
    int dev = owned_tmpfs(&(struct mfd_at){dir, V.root, "dev"}, 0755, DEV_SIZE, "dev", "/dev");
    close(dir);
    if (dev < 0)
        return -1;
    int host = openat(V.host, "dev", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    int rc = host < 0 ? fail_errno("dev", "/dev") : 0;
    for (size_t i = 0; rc == 0 && i < sizeof nodes / sizeof nodes[0]; i++)
        rc = bind_device(host, dev, nodes[i]);
    for (size_t i = 0; rc == 0 && i < sizeof links / sizeof links[0]; i++) {
        if (symlinkat(links[i][1], dev, links[i][0]) < 0) {
            char shown[64];
            snprintf(shown, sizeof shown, "/dev/%s", links[i][0]);
            rc = fail_errno("dev", shown);
        }
    }
    int pts = rc < 0 ? -1 : ensure_dir(dev, "pts", "/dev/pts");
    if (pts >= 0) {
        struct mfd_at at = {pts, dev, "pts"};
        uint64_t attrs = SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NOEXEC;
        int m = mfd_new("devpts", &at, attrs, "newinstance,ptmxmode=0666,mode=620");
        /* mode=620 implies gid=5, which a user namespace may not map */
        if (m < 0 && errno == EINVAL)
            m = mfd_new("devpts", &at, attrs, "newinstance,ptmxmode=0666");
        rc = m < 0 ? fail_errno("dev", "/dev/pts") : close(m);
        close(pts);
    } else {
        rc = -1;
    }
    int shm = rc < 0 ? -1 : ensure_dir(dev, "shm", "/dev/shm");
    if (shm >= 0) {
        int m = owned_tmpfs(&(struct mfd_at){shm, dev, "shm"}, 01777, SHM_SIZE, "dev", "/dev/shm");
        rc = m < 0 ? -1 : close(m);
        close(shm);
    } else {
        rc = -1;
    }
    if (host >= 0)
        close(host);
    close(dev);
    return rc;
}

/* Enter the new root and drop the staging base together with the host's root. */
static int switch_root(void)
{
    if (fchdir(V.root) < 0)
        return fail_errno("pivot_root", "/");
    /* Stack the old root on top of the new one, then detach it: no directory for it needed. */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return fail_errno("pivot_root", "/");
    if (umount2(".", MNT_DETACH) < 0)
        return fail_errno("umount", "/" OLDROOT);
    if (chdir("/") < 0)
        return fail_errno("chdir", "/");
    return 0;
}

/* A fresh instance of `type` on the view's top-level directory `name`, made if missing. */
static int fresh_fs(const char *type, const char *name, uint64_t attrs, const char *step, const char *shown)
{
    int dir = V.staged ? ensure_dir(V.root, name, shown) : openat(V.root, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return V.staged ? -1 : fail_errno(step, shown);
    int m = mfd_new(type, &(struct mfd_at){dir, V.root, name}, attrs, NULL);
    close(dir);
    if (m < 0)
        return fail_errno(step, shown);
    return close(m);
}

#define ATTR_KERNEL_FS (SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV | SBX_MOUNT_ATTR_NOEXEC)

/* ROOT host: the host's root itself, with fresh /proc and the user's mounts on top. */
static int build_host_view(const struct sbx_spec *s)
{
    if ((s->features & SBX_FEATURE_PROC) && fresh_fs("proc", "proc", ATTR_KERNEL_FS, "proc", "/proc") < 0)
        return -1;
    if (apply_mounts() < 0 || protect_kernel_files(s) < 0 || seal_split_dirs() < 0)
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
    if (stage_new_root() < 0)
        return -1;
    if (s->root == SBX_ROOT_READ_ONLY && mirror_host_root(1, s->features) < 0)
        return -1;
    /* sysfs shows the network devices of the namespace that mounts it: ours, not the host's. */
    if ((s->features & SBX_FEATURE_SYS) && fresh_fs("sysfs", "sys", ATTR_KERNEL_FS | SBX_MOUNT_ATTR_RDONLY, "sysfs", "/sys") < 0)
        return -1;
    if ((s->features & SBX_FEATURE_DEV) && make_dev() < 0)
        return -1;
    if ((s->features & SBX_FEATURE_PROC) && fresh_fs("proc", "proc", ATTR_KERNEL_FS, "proc", "/proc") < 0)
        return -1;
    if (apply_mounts() < 0 || protect_kernel_files(s) < 0 || seal_split_dirs() < 0)
        return -1;
    /* Only the declared binds, tmpfs mounts and /dev stay writable. */
    if (mfd_readonly(V.root, 0) < 0)
        return fail_errno("remount-ro", "/");
    return switch_root();
}

int mounts_build(const struct sbx_spec *spec)
{
    V.spec = spec;
    mfd_set_proc("/proc");
    if (make_mounts_private() < 0)
        return -1;
    if ((V.host = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return fail_errno("mount-private", "/");
    V.root = V.host;
    if (open_sources() < 0)
        return -1;
    int rc = spec->root == SBX_ROOT_HOST ? build_host_view(spec) : build_new_root(spec);
    /* Nothing of the host stays open into the command's life. */
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (V.sources[i] >= 0)
            close(V.sources[i]);
    if (V.root != V.host)
        close(V.root);
    close(V.host);
    return rc;
}
