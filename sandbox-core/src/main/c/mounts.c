#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
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
    int fallback;       /* staged by create_in_view for a host-root view: entered at the end, cwd kept */
    int finished;       /* split dirs sealed, a fallback root entered: only chdir from here */
    int host;           /* the host's "/" */
    int root;           /* the view's "/": the host's, or the new root's tmpfs once staged */
    int *sources;       /* each bind operation's source, opened once at the start (-1 for the others) */
    int devnull;        /* the host's /dev/null for masks, opened on first use (-1) */
    int empty;          /* the empty read-only tmpfs that directory masks share (-1 until the first) */
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
    /* Both or neither: an entry is counted only once it holds its descriptor and its name. */
    char *copy = strdup(shown);
    if (!copy)
        return -1;
    int fd = dup(root);
    if (fd < 0) {
        free(copy);
        return -1;
    }
    n[V.n_ro_later].root = fd;
    n[V.n_ro_later].shown = copy;
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
    if (!(V.sources = malloc((s->n_ops + 1) * sizeof *V.sources)))
        return fail("bind", ENOMEM, "");
    for (size_t i = 0; i < s->n_ops; i++)
        V.sources[i] = -1;
    for (size_t i = 0; i < s->n_ops; i++) {
        /* A source the helper opened for us (idmount.c) is not resolved again here. */
        if (s->ops[i].kind == SBX_OP_BIND && s->ops[i].tree_fd < 0 &&
            (V.sources[i] = open(s->ops[i].source, O_PATH | O_CLOEXEC)) < 0)
            return fail_errno("bind", s->ops[i].source);
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

/* `name` is one of the '/'-separated names of `list`. */
static int listed(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, "/");
        if (n == len && !strncmp(p, name, n))
            return 1;
        p += n;
        if (*p)
            p++;
    }
    return 0;
}

/*
 * Recreate the host's top level in the new root: directories and files as (recursive) binds,
 * symlinks as symlinks; the names in `skip` ('/'-separated) are left out.
 */
static int mirror_host_root(int readonly, const char *skip)
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
        if (listed(skip, name))
            continue;
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
    V.fallback = 1;
    return mirror_host_root(0, "");
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

/* Walk to `op`'s target in the view, creating what is missing (in the view, never on the host). */
static int walk_target(struct view_walk *w, struct mfd_at *at, const char *target, int dir, const char *step)
{
    int rc = view_walk(w, V.root, target, VIEW_FOLLOW | (dir ? VIEW_DIR : 0), create_in_view, step);
    if (rc == 0 && view_at(w, at) < 0)
        rc = fail_errno(step, target); /* it resolved to the view's root itself */
    return rc;
}

/* bind: the helper's detached (maybe idmapped) tree, or a bind of the source opened at the start. */
static int op_bind(size_t i)
{
    const struct sbx_op *op = &V.spec->ops[i];
    struct stat st;
    if (fstat(op->tree_fd >= 0 ? op->tree_fd : V.sources[i], &st) < 0)
        return fail_errno("bind", op->source);
    struct view_walk w;
    struct mfd_at at;
    int rc = walk_target(&w, &at, op->target, S_ISDIR(st.st_mode), "bind");
    if (rc == 0) {
        int root = op->tree_fd >= 0 ? (mfd_attach(op->tree_fd, &at) < 0 ? -1 : dup(op->tree_fd))
                                    : mfd_bind(V.sources[i], &at, 1);
        if (root < 0)
            rc = fail_errno("bind", op->source);
        else if ((op->flags & SBX_OP_F_RO) && mfd_readonly(root, 1) < 0)
            rc = fail_errno("bind", op->target);
        if (root >= 0)
            close(root);
    }
    view_done(&w);
    return rc;
}

static int op_tmpfs(const struct sbx_op *op)
{
    struct view_walk w;
    struct mfd_at at;
    int rc = walk_target(&w, &at, op->target, 1, "tmpfs");
    if (rc == 0) {
        int root = owned_tmpfs(&at, op->mode, op->size, "tmpfs", op->target);
        rc = root < 0 ? -1 : close(root);
    }
    view_done(&w);
    return rc;
}

#define ATTR_KERNEL_FS (SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV | SBX_MOUNT_ATTR_NOEXEC)

/* A fresh instance of `type` on the target (proc, sysfs, mqueue). */
static int op_fresh(const struct sbx_op *op, const char *type, uint64_t attrs, const char *step)
{
    struct view_walk w;
    struct mfd_at at;
    int rc = walk_target(&w, &at, op->target, 1, step);
    if (rc == 0) {
        int m = mfd_new(type, &at, attrs, NULL);
        rc = m < 0 ? fail_errno(step, op->target) : close(m);
    }
    view_done(&w);
    return rc;
}

/* The host's device `name` bound on an empty file of that name in `dev` (our /dev tmpfs). */
static int bind_device(int host, int dev, const char *name, const char *shown)
{
    struct stat st;
    int from = openat(host, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (from < 0 || fstat(from, &st) < 0) {
        int saved = errno;
        if (from >= 0)
            close(from);
        return fail("dev", saved, shown);
    }
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

/* A new mount of `type` on the directory `name` in `dev`, made there; `make` does the mount. */
static int dev_subdir(int dev, const char *name, const char *shown, int (*make)(const struct mfd_at *at))
{
    int dir = ensure_dir(dev, name, shown);
    if (dir < 0)
        return -1;
    int m = make(&(struct mfd_at){dir, dev, name});
    int saved = errno;
    close(dir);
    if (m < 0)
        return fail("dev", saved, shown);
    close(m);
    return 0;
}

static int make_devpts(const struct mfd_at *at)
{
    uint64_t attrs = SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NOEXEC;
    int m = mfd_new("devpts", at, attrs, "newinstance,ptmxmode=0666,mode=620");
    /* mode=620 implies gid=5, which a user namespace may not map */
    if (m < 0 && errno == EINVAL)
        m = mfd_new("devpts", at, attrs, "newinstance,ptmxmode=0666");
    return m;
}

static int make_shm(const struct mfd_at *at)
{
    int m = mfd_tmpfs(at, 01777, SHM_SIZE, ATTR_TMPFS);
    if (m >= 0 && push_owned(m) < 0) {
        int saved = errno;
        close(m);
        errno = saved;
        return -1;
    }
    return m;
}

/* A minimal /dev on the target: a few host devices, the usual links, a private devpts and shm. */
static int op_dev(const struct sbx_op *op)
{
    static const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
    static const char *links[][2] = {
        {"fd", "/proc/self/fd"},           {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"},     {"ptmx", "pts/ptmx"},
    };
    /* The host's /dev, held before anything is mounted: with the host's root as the view, the new
       /dev may go right over it. */
    int host = openat(V.host, "dev", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (host < 0)
        return fail_errno("dev", "/dev");
    struct view_walk w;
    struct mfd_at at;
    int dev = walk_target(&w, &at, op->target, 1, "dev");
    /* nodev: the devices are binds of the host's nodes, which keep their own mount's flags. */
    if (dev == 0)
        dev = owned_tmpfs(&at, 0755, DEV_SIZE, "dev", op->target);
    view_done(&w);
    if (dev < 0) {
        close(host);
        return -1;
    }
    int rc = 0;
    char shown[PATH_MAX];
    for (size_t i = 0; rc == 0 && i < sizeof nodes / sizeof nodes[0]; i++)
        rc = join_shown(shown, op->target, nodes[i]) < 0 ? fail_errno("dev", op->target)
                                                         : bind_device(host, dev, nodes[i], shown);
    for (size_t i = 0; rc == 0 && i < sizeof links / sizeof links[0]; i++)
        if (symlinkat(links[i][1], dev, links[i][0]) < 0)
            rc = fail_errno("dev", op->target);
    if (rc == 0)
        rc = dev_subdir(dev, "pts", op->target, make_devpts);
    if (rc == 0)
        rc = dev_subdir(dev, "shm", op->target, make_shm);
    close(host);
    close(dev);
    return rc;
}

/* symlink: the link `target` with the text `source`, in the view (its directory split if not ours). */
static int op_symlink(const struct sbx_op *op)
{
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", op->target);
    size_t end = strlen(parent);
    while (end > 1 && parent[end - 1] == '/') /* "/a/b/" names b */
        parent[--end] = '\0';
    char *slash = strrchr(parent, '/');
    char name[NAME_MAX + 1];
    if (!slash || strlen(slash + 1) > NAME_MAX)
        return fail("symlink", ENAMETOOLONG, op->target);
    snprintf(name, sizeof name, "%s", slash + 1);
    slash[slash == parent ? 1 : 0] = '\0';
    struct view_walk w;
    int rc = view_walk(&w, V.root, parent, VIEW_FOLLOW | VIEW_DIR, create_in_view, "symlink");
    struct stat st;
    if (rc == 0 && fstat(w.fd[w.depth], &st) < 0)
        rc = fail_errno("symlink", op->target);
    if (rc == 0 && !is_owned(st.st_dev) && w.depth == 0) {
        /* the host's own "/": move to a staged mirror of it, as a mount target would */
        view_done(&w);
        rc = stage_host_view();
        if (rc == 0)
            rc = view_walk(&w, V.root, parent, VIEW_FOLLOW | VIEW_DIR, create_in_view, "symlink");
    } else if (rc == 0 && !is_owned(st.st_dev)) {
        rc = split_dir(&w);
    }
    if (rc == 0 && symlinkat(op->source, w.fd[w.depth], name) < 0) {
        /* one of ours, sealed read-only meanwhile: cover it like a host directory */
        if (errno == EROFS && w.depth > 0 && split_dir(&w) == 0 && symlinkat(op->source, w.fd[w.depth], name) == 0)
            rc = 0;
        else
            rc = fail_errno("symlink", op->target);
    }
    view_done(&w);
    return rc;
}

/* mkdir: the directory, made in the view where missing; `mode` applies where it is one of ours. */
static int op_mkdir(const struct sbx_op *op)
{
    struct view_walk w;
    int rc = view_walk(&w, V.root, op->target, VIEW_FOLLOW | VIEW_DIR, create_in_view, "mkdir");
    struct stat st;
    if (rc == 0 && fstat(w.fd[w.depth], &st) < 0)
        rc = fail_errno("mkdir", op->target);
    if (rc == 0 && !S_ISDIR(st.st_mode))
        rc = fail("mkdir", ENOTDIR, op->target);
    if (rc == 0 && is_owned(st.st_dev)) {
        /* a directory on one of our tmpfs mounts, never the host's: chmod through a real descriptor */
        int fd = openat(w.fd[w.depth], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fchmod(fd, op->mode) < 0)
            rc = fail_errno("mkdir", op->target);
        if (fd >= 0)
            close(fd);
    }
    view_done(&w);
    return rc;
}

/* remount-ro: "/" is the root's own mount; any other target is bound onto itself, then made read-only. */
static int op_remount_ro(const struct sbx_op *op)
{
    int recursive = !!(op->flags & SBX_OP_F_RECURSIVE);
    const char *p = op->target;
    while (*p == '/')
        p++;
    if (!*p)
        return mfd_readonly(V.root, recursive) < 0 ? fail_errno("remount-ro", "/") : 0;
    return readonly_path(V.root, op->target, recursive, !!(op->flags & SBX_OP_F_OPTIONAL));
}

/* The host's /dev/null, checked to be the null device (it masks files). */
static int host_devnull(void)
{
    struct stat st;
    int dev = openat(V.host, "dev", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    int fd = dev < 0 ? -1 : openat(dev, "null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (dev >= 0)
        close(dev);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        return fail("mask", saved, "/dev/null");
    }
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
        close(fd);
        return fail("mask", ENODEV, "/dev/null");
    }
    return fd;
}

static int op_mask(const struct sbx_op *op)
{
    if (V.devnull < 0 && (V.devnull = host_devnull()) < 0)
        return -1;
    return mask_path(V.root, op->target, V.devnull, &V.empty, !!(op->flags & SBX_OP_F_OPTIONAL));
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

/*
 * The view is complete: seal the split directories, and enter a root staged for a host-root view
 * (the mirror keeps every host path, so the helper's working directory is still there).
 */
static int finish_view(void)
{
    if (V.finished)
        return 0;
    V.finished = 1;
    if (seal_split_dirs() < 0)
        return -1;
    if (!V.fallback)
        return 0;
    if (switch_root() < 0)
        return -1;
    if (V.saved_cwd[0] && chdir(V.saved_cwd) < 0)
        return fail_errno("chdir", V.saved_cwd);
    return 0;
}

static int op_switch_root(void)
{
    if (seal_split_dirs() < 0 || switch_root() < 0)
        return -1;
    V.finished = 1;
    return 0;
}

static int op_chdir(const struct sbx_op *op)
{
    if (finish_view() < 0)
        return -1;
    if (chdir(op->target) < 0)
        return fail_errno("chdir", op->target);
    return 0;
}

/*
 * A failed operation is reported under its own name, with its target as the sandbox sees it;
 * a bind whose source could not be opened names the source, a mirror-host the entry that failed.
 */
static int named(int rc, const char *step, const struct sbx_op *op)
{
    if (rc >= 0)
        return rc;
    char path[SBX_ERRPATH_MAX];
    int keep = op->kind == SBX_OP_MIRROR_HOST || (op->kind == SBX_OP_BIND && !strcmp(sbx_failure.path, op->source));
    snprintf(path, sizeof path, "%s", keep ? sbx_failure.path : op->target);
    return fail(step, sbx_failure.err, path);
}

static int run_op(size_t i)
{
    const struct sbx_op *op = &V.spec->ops[i];
    switch (op->kind) {
    case SBX_OP_NEW_ROOT:
        return named(stage_new_root(), "new-root", op);
    case SBX_OP_MIRROR_HOST:
        return named(mirror_host_root(!!(op->flags & SBX_OP_F_RO), op->source), "mirror-host", op);
    case SBX_OP_BIND:
        return named(op_bind(i), "bind", op);
    case SBX_OP_TMPFS:
        return named(op_tmpfs(op), "tmpfs", op);
    case SBX_OP_PROC:
        return named(op_fresh(op, "proc", ATTR_KERNEL_FS, "proc"), "proc", op);
    case SBX_OP_DEV:
        return named(op_dev(op), "dev", op);
    /* sysfs shows the network devices of the namespace that mounts it: ours, not the host's. */
    case SBX_OP_SYSFS:
        return named(op_fresh(op, "sysfs", ATTR_KERNEL_FS | SBX_MOUNT_ATTR_RDONLY, "sysfs"), "sysfs", op);
    case SBX_OP_MQUEUE:
        return named(op_fresh(op, "mqueue", ATTR_KERNEL_FS, "mqueue"), "mqueue", op);
    case SBX_OP_SYMLINK:
        return named(op_symlink(op), "symlink", op);
    case SBX_OP_MKDIR:
        return named(op_mkdir(op), "mkdir", op);
    case SBX_OP_REMOUNT_RO:
        return named(op_remount_ro(op), "remount-ro", op);
    case SBX_OP_MASK:
        return named(op_mask(op), "mask", op);
    case SBX_OP_SWITCH_ROOT:
        return named(op_switch_root(), "switch-root", op);
    case SBX_OP_CHDIR:
        return named(op_chdir(op), "chdir", op);
    }
    return fail("spec", EINVAL, op->target); /* spec_decode lets no other kind through */
}

/* Without a mount namespace the list holds only chdir operations (spec_decode checks it). */
static int run_chdirs(const struct sbx_spec *spec)
{
    for (size_t i = 0; i < spec->n_ops; i++)
        if (chdir(spec->ops[i].target) < 0)
            return fail_errno("chdir", spec->ops[i].target);
    return 0;
}

int mounts_build(const struct sbx_spec *spec)
{
    if (!(spec->namespaces & CLONE_NEWNS))
        return run_chdirs(spec);
    V.spec = spec;
    V.devnull = V.empty = -1;
    mfd_set_proc("/proc");
    if (make_mounts_private() < 0)
        return -1;
    if ((V.host = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return fail_errno("mount-private", "/");
    V.root = V.host;
    int rc = open_sources();
    for (size_t i = 0; rc == 0 && i < spec->n_ops; i++)
        rc = run_op(i);
    if (rc == 0)
        rc = finish_view();
    /* Nothing of the host stays open into the command's life. */
    for (size_t i = 0; V.sources && i < spec->n_ops; i++)
        if (V.sources[i] >= 0)
            close(V.sources[i]);
    if (V.devnull >= 0)
        close(V.devnull);
    if (V.empty >= 0)
        close(V.empty);
    if (V.root != V.host)
        close(V.root);
    close(V.host);
    return rc;
}
