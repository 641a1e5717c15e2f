#include "masks.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/statfs.h>
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
    "proc/acpi",       "proc/asound",      "proc/kcore",       "proc/keys",       "proc/latency_stats",
    "proc/timer_list", "proc/timer_stats", "proc/sched_debug", "proc/scsi",
};
static const char *const sys_masked[] = {"sys/firmware", "sys/devices/virtual/powercap"};
static const char *const proc_readonly[] = {"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger"};

#define COUNT(a) (sizeof a / sizeof a[0])

/*
 * Cover one path: a file with /dev/null, a directory with an empty read-only tmpfs. The first
 * directory gets a new tmpfs; later ones a bind of that one (*empty), which costs the kernel no
 * new superblock.
 */
static int mask_path(int root, const char *path, int devnull, int *empty)
{
    struct view_walk w;
    struct mfd_at at;
    int rc = view_walk(&w, root, path, 0, NULL, "mask");
    if (rc == 0 && view_at(&w, &at) == 0) {
        struct stat st;
        int m = -1;
        if (fstat(at.fd, &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                m = mfd_bind(devnull, &at, 0);
            else if (*empty >= 0)
                m = mfd_bind(*empty, &at, 0);
            else
                m = *empty = mfd_tmpfs(&at, 0755, MASK_TMPFS_SIZE,
                                       SBX_MOUNT_ATTR_RDONLY | SBX_MOUNT_ATTR_NOSUID | SBX_MOUNT_ATTR_NODEV |
                                           SBX_MOUNT_ATTR_NOEXEC);
        }
        if (m < 0)
            rc = fail_errno("mask", view_shown(&w));
        else if (m != *empty)
            close(m);
    }
    view_done(&w);
    return rc < 0 ? -1 : 0;
}

int readonly_path(int root, const char *path)
{
    struct view_walk w;
    struct mfd_at at;
    int rc = view_walk(&w, root, path, 0, NULL, "remount-ro");
    if (rc == 0 && view_at(&w, &at) == 0) {
        int m = mfd_bind(at.fd, &at, 1);
        if (m < 0 || mfd_readonly(m, 1) < 0)
            rc = fail_errno("remount-ro", view_shown(&w));
        if (m >= 0)
            close(m);
    }
    view_done(&w);
    return rc < 0 ? -1 : 0;
}

/* Whether the view's `dir` (a top-level name) is a file system of `magic`. */
static int is_fs(int root, const char *dir, long magic)
{
    struct view_walk w;
    struct statfs sf;
    int yes = view_walk(&w, root, dir, 0, NULL, "mask") == 0 && fstatfs(w.fd[w.depth], &sf) == 0 && sf.f_type == magic;
    view_done(&w);
    return yes;
}

int masks_apply(int root, int devnull, int proc, int sys)
{
    int empty = -1, rc = 0;
    if (proc && is_fs(root, "proc", PROC_SUPER_MAGIC)) {
        for (size_t i = 0; rc == 0 && i < COUNT(proc_masked); i++)
            rc = mask_path(root, proc_masked[i], devnull, &empty);
        for (size_t i = 0; rc == 0 && i < COUNT(proc_readonly); i++)
            rc = readonly_path(root, proc_readonly[i]);
    }
    if (rc == 0 && sys && is_fs(root, "sys", SYSFS_MAGIC)) {
        for (size_t i = 0; rc == 0 && i < COUNT(sys_masked); i++)
            rc = mask_path(root, sys_masked[i], devnull, &empty);
    }
    if (empty >= 0)
        close(empty);
    return rc;
}
