#include "masks.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compat.h"
#include "error.h"
#include "mountfd.h"
#include "viewpath.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define MASK_TMPFS_SIZE 4096

/* runc's defaults (libcontainer/specconv/example.go), and powercap as Docker's defaults mask it. */
static const char *const proc_masked[] = {
    "acpi", "asound", "kcore", "keys", "latency_stats", "timer_list", "timer_stats", "sched_debug", "scsi",
};
static const char *const sys_masked[] = {"firmware", "devices/virtual/powercap"};
static const char *const proc_readonly[] = {"bus", "fs", "irq", "sys", "sysrq-trigger"};

#define COUNT(a) (sizeof a / sizeof a[0])
#define MASK_ATTRS (SBX_MOUNT_ATTR_RDONLY | SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV | SBX_MOUNT_ATTR_NOEXEC)

/*
 * Cover `name` (a path below the held directory `dir`, shown as prefix/name), walked without
 * following anything: a file with /dev/null, a directory with an empty read-only tmpfs. The first
 * directory gets the helper's premade tmpfs, or a new one; later ones a bind of that one (*empty),
 * which costs no new superblock.
 * Every mount call here costs the kernel microseconds, so what does not exist costs one openat.
 */
int sbx_premade_empty = -1;

int masks_premade_empty(void)
{
    int fs = (int)syscall(SYS_fsopen, "tmpfs", SBX_FSOPEN_CLOEXEC);
    if (fs < 0)
        return -1;
    int mnt = -1;
    if (syscall(SYS_fsconfig, fs, SBX_FSCONFIG_SET_STRING, "source", "tmpfs", 0) == 0 &&
        syscall(SYS_fsconfig, fs, SBX_FSCONFIG_SET_STRING, "mode", "0755", 0) == 0 &&
        syscall(SYS_fsconfig, fs, SBX_FSCONFIG_SET_STRING, "size", "4096", 0) == 0 &&
        syscall(SYS_fsconfig, fs, SBX_FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
        mnt = (int)syscall(SYS_fsmount, fs, SBX_FSMOUNT_CLOEXEC, (unsigned)MASK_ATTRS);
    close(fs);
    return mnt;
}

static int mask_path(int dir, const char *prefix, const char *name, int devnull, int *empty)
{
    struct view_walk w;
    struct mfd_at at;
    int rc = view_walk(&w, dir, name, 0, NULL, "mask");
    if (rc == 0 && view_at(&w, &at) == 0) {
        struct stat st;
        int m = -1;
        if (fstat(at.fd, &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                m = mfd_bind(devnull, &at, 0);
            else if (*empty >= 0)
                m = mfd_bind(*empty, &at, 0);
            else if (sbx_premade_empty >= 0 && mfd_attach(sbx_premade_empty, &at) == 0)
                m = *empty = sbx_premade_empty, sbx_premade_empty = -1;
            else
                m = *empty = mfd_tmpfs(&at, 0755, MASK_TMPFS_SIZE, MASK_ATTRS);
        }
        if (m < 0) {
            char shown[128];
            snprintf(shown, sizeof shown, "/%s/%s", prefix, name);
            rc = fail_errno("mask", shown);
        } else if (m != *empty) {
            close(m);
        }
    }
    view_done(&w);
    return rc < 0 ? -1 : 0;
}

/* `name` below the held directory `dir` (shown as prefix/name) and every mount below it read-only. */
static int readonly_below(int dir, const char *prefix, const char *name)
{
    struct view_walk w;
    struct mfd_at at;
    int rc = view_walk(&w, dir, name, 0, NULL, "remount-ro");
    if (rc == 0 && view_at(&w, &at) == 0) {
        int m = mfd_bind(at.fd, &at, 1);
        if (m < 0 || mfd_readonly(m, 1) < 0) {
            char shown[128];
            snprintf(shown, sizeof shown, "/%s/%s", prefix, name);
            rc = fail_errno("remount-ro", shown);
        }
        if (m >= 0)
            close(m);
    }
    view_done(&w);
    return rc < 0 ? -1 : 0;
}

int readonly_path(int root, const char *path)
{
    return readonly_below(root, "", path);
}

/* The view's top-level directory `name` if it is a file system of `magic`, held; else -1. */
static int open_fs(int root, const char *name, long magic)
{
    int fd = openat(root, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    struct statfs sf;
    if (fd >= 0 && (fstatfs(fd, &sf) < 0 || (long)sf.f_type != magic)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int masks_apply(int root, int devnull, int proc, int sys)
{
    int empty = -1, rc = 0;
    int fd = proc ? open_fs(root, "proc", PROC_SUPER_MAGIC) : -1;
    if (fd >= 0) {
        for (size_t i = 0; rc == 0 && i < COUNT(proc_masked); i++)
            rc = mask_path(fd, "proc", proc_masked[i], devnull, &empty);
        for (size_t i = 0; rc == 0 && i < COUNT(proc_readonly); i++)
            rc = readonly_below(fd, "proc", proc_readonly[i]);
        close(fd);
    }
    fd = rc == 0 && sys ? open_fs(root, "sys", SYSFS_MAGIC) : -1;
    if (fd >= 0) {
        for (size_t i = 0; rc == 0 && i < COUNT(sys_masked); i++)
            rc = mask_path(fd, "sys", sys_masked[i], devnull, &empty);
        close(fd);
    }
    if (empty >= 0)
        close(empty);
    return rc;
}
