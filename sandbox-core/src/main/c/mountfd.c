#include "mountfd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "compat.h"

static const char *proc = "/proc";

/*
 * Set once the new mount API proved missing (ENOSYS): mount(2) from then on.
 * CFLAGS=-DSBX_TEST_NO_NEW_MOUNT_API builds that path alone, to test it on a new kernel.
 */
#ifdef SBX_TEST_NO_NEW_MOUNT_API
static int classic = 1;
#else
static int classic = 0;
#endif

/* Mount ids of what the mount(2) path made: a mount found again by name must not be one of them. */
static int *made;
static size_t n_made;

void mfd_set_proc(const char *prefix)
{
    proc = prefix;
}

/* "<proc>/self/fd/<fd>": a path the kernel resolves to exactly what fd names. */
static int mfd_fd_path(int fd, char *out, size_t cap)
{
    if ((size_t)snprintf(out, cap, "%s/self/fd/%d", proc, fd) >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* The id of the mount fd is on, from /proc/self/fdinfo (there since 3.15). */
static int mount_id(int fd)
{
    char path[PATH_MAX], buf[512];
    if ((size_t)snprintf(path, sizeof path, "%s/self/fdinfo/%d", proc, fd) >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return -1;
    ssize_t n = read(f, buf, sizeof buf - 1);
    close(f);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    const char *p = strstr(buf, "mnt_id:");
    if (!p) {
        errno = ENOTSUP;
        return -1;
    }
    return atoi(p + strlen("mnt_id:"));
}

static unsigned long ms_flags(uint64_t attrs)
{
    return (attrs & SBX_MOUNT_ATTR_RDONLY ? MS_RDONLY : 0) | (attrs & SBX_MOUNT_ATTR_NOSUID ? MS_NOSUID : 0) |
           (attrs & SBX_MOUNT_ATTR_NODEV ? MS_NODEV : 0) | (attrs & SBX_MOUNT_ATTR_NOEXEC ? MS_NOEXEC : 0);
}

/* What the mount just made must look like: a file system of `magic`, or the root `dev`/`ino` of a bind. */
struct expect {
    long magic;
    dev_t dev;
    ino_t ino;
};

/* The ids of the mounts at a target and at its directory, before mount(2) puts one on top. */
struct before {
    int target, dir;
};

static int ids_before(const struct mfd_at *at, struct before *b)
{
    if (at->dir < 0) {
        errno = EINVAL; /* nowhere to find the new mount again */
        return -1;
    }
    b->target = mount_id(at->fd);
    b->dir = mount_id(at->dir);
    return b->target < 0 || b->dir < 0 ? -1 : 0;
}

/*
 * mount(2) leaves no descriptor of what it made: open the target again by name and accept it only
 * if it is a mount that was not there before and that no earlier call made. Anything else (the
 * directory's owner renamed another entry into place) is EBUSY; nothing has been written then.
 */
static int find_new_mount(const struct mfd_at *at, const struct before *b, const struct expect *want)
{
    int fd = openat(at->dir, at->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int id = mount_id(fd);
    int ok = id >= 0 && id != b->target && id != b->dir;
    for (size_t i = 0; ok && i < n_made; i++)
        ok = made[i] != id;
    if (ok && want->magic) {
        struct statfs sf;
        ok = fstatfs(fd, &sf) == 0 && (long)sf.f_type == want->magic;
    } else if (ok) {
        struct stat st;
        ok = fstat(fd, &st) == 0 && st.st_dev == want->dev && st.st_ino == want->ino;
    }
    int *n = ok ? realloc(made, (n_made + 1) * sizeof *made) : NULL;
    if (!n) {
        close(fd);
        errno = ok ? ENOMEM : EBUSY;
        return -1;
    }
    made = n;
    made[n_made++] = id;
    return fd;
}

static long magic_of(const char *type)
{
    static const struct {
        const char *type;
        long magic;
    } known[] = {{"tmpfs", 0x01021994}, {"proc", 0x9fa0}, {"sysfs", 0x62656572}, {"devpts", 0x1cd1}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(known[i].type, type))
            return known[i].magic;
    return 0;
}

/* mount(2)-style "a=b,c" options, one fsconfig call each. */
static int configure(int fs, const char *options)
{
    char buf[256];
    if (!options)
        return 0;
    if (strlen(options) >= sizeof buf) {
        errno = E2BIG;
        return -1;
    }
    strcpy(buf, options);
    char *save = NULL;
    for (char *opt = strtok_r(buf, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(opt, '=');
        if (eq)
            *eq = '\0';
        if (syscall(SYS_fsconfig, fs, eq ? SBX_FSCONFIG_SET_STRING : SBX_FSCONFIG_SET_FLAG, opt, eq ? eq + 1 : NULL, 0) < 0)
            return -1;
    }
    return 0;
}

/*
 * After fsopen or open_tree failed: whether to use mount(2) from now on. ENOSYS is an older kernel;
 * EPERM may be a seccomp filter written before these calls existed. A real EPERM (no CAP_SYS_ADMIN
 * over our mount namespace) fails mount(2) the same way.
 */
static int new_api_missing(void)
{
    if (errno == ENOSYS || errno == EPERM)
        classic = 1;
    return classic;
}

int mfd_attach(int mnt, const struct mfd_at *at)
{
    return syscall(SYS_move_mount, mnt, "", at->fd, "", SBX_MOVE_MOUNT_F_EMPTY_PATH | SBX_MOVE_MOUNT_T_EMPTY_PATH) < 0 ? -1 : 0;
}

/* Attach a detached mount, or close it (which dissolves it) on failure. */
static int attach_or_drop(int mnt, const struct mfd_at *at)
{
    if (mfd_attach(mnt, at) == 0)
        return mnt;
    int saved = errno;
    close(mnt);
    errno = saved;
    return -1;
}

int mfd_new(const char *type, const struct mfd_at *at, uint64_t attrs, const char *options)
{
    if (!classic) {
        int fs = syscall(SYS_fsopen, type, SBX_FSOPEN_CLOEXEC);
        if (fs >= 0) {
            int mnt = -1;
            if (syscall(SYS_fsconfig, fs, SBX_FSCONFIG_SET_STRING, "source", type, 0) == 0 && configure(fs, options) == 0 &&
                syscall(SYS_fsconfig, fs, SBX_FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
                mnt = syscall(SYS_fsmount, fs, SBX_FSMOUNT_CLOEXEC, (unsigned)attrs);
            int saved = errno;
            close(fs);
            errno = saved;
            return mnt < 0 ? -1 : attach_or_drop(mnt, at);
        }
        if (!new_api_missing())
            return -1;
    }
    struct before b;
    char target[PATH_MAX];
    if (ids_before(at, &b) < 0 || mfd_fd_path(at->fd, target, sizeof target) < 0)
        return -1;
    if (mount(type, target, type, ms_flags(attrs), options) < 0)
        return -1;
    return find_new_mount(at, &b, &(struct expect){.magic = magic_of(type)});
}

int mfd_tmpfs(const struct mfd_at *at, unsigned mode, uint64_t size, uint64_t attrs)
{
    char opts[64];
    int n = snprintf(opts, sizeof opts, "mode=%04o", mode & 07777);
    if (size)
        snprintf(opts + n, sizeof opts - (size_t)n, ",size=%llu", (unsigned long long)size);
    return mfd_new("tmpfs", at, attrs, opts);
}

int mfd_bind(int src, const struct mfd_at *at, int recursive)
{
    if (!classic) {
        int mnt = syscall(SYS_open_tree, src, "",
                          SBX_OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
        if (mnt >= 0)
            return attach_or_drop(mnt, at);
        if (!new_api_missing())
            return -1;
    }
    struct stat st;
    struct before b;
    char from[PATH_MAX], to[PATH_MAX];
    if (fstat(src, &st) < 0 || ids_before(at, &b) < 0 || mfd_fd_path(src, from, sizeof from) < 0 ||
        mfd_fd_path(at->fd, to, sizeof to) < 0)
        return -1;
    if (mount(from, to, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
        return -1;
    return find_new_mount(at, &b, &(struct expect){.dev = st.st_dev, .ino = st.st_ino});
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

/*
 * Before mount_setattr (5.12): remount every mount below `path` one by one, found by the mount
 * points mountinfo lists.
 */
static int remount_ro_below(const char *path)
{
    char info[PATH_MAX];
    if ((size_t)snprintf(info, sizeof info, "%s/self/mountinfo", proc) >= sizeof info) {
        errno = ENAMETOOLONG;
        return -1;
    }
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

int mfd_readonly(int root, int recursive)
{
/* CFLAGS=-DSBX_TEST_NO_MOUNT_SETATTR builds the pre-5.12 fallback alone, to test it on a new kernel. */
#ifndef SBX_TEST_NO_MOUNT_SETATTR
    struct sbx_mount_attr attr = {.attr_set = SBX_MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, root, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) == 0)
        return 0;
    if (errno != ENOSYS)
        return -1;
#endif
    char path[PATH_MAX], where[PATH_MAX];
    if (mfd_fd_path(root, path, sizeof path) < 0 || remount_ro_one(path) < 0)
        return -1;
    if (!recursive)
        return 0;
    /* Where the mount is, as mountinfo names it. */
    ssize_t n = readlink(path, where, sizeof where - 1);
    if (n < 0)
        return -1;
    where[n] = '\0';
    return remount_ro_below(where);
}
