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

#define MASK_TMPFS_SIZE 4096
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

int mask_path(int root, const char *path, int devnull, int *empty, int optional)
{
    struct view_walk w;
    struct mfd_at at;
    int rc = view_walk(&w, root, path, 0, NULL, "mask");
    if (rc == VIEW_ABSENT && !optional)
        rc = fail("mask", ENOENT, path);
    if (rc == 0 && view_at(&w, &at) < 0)
        rc = fail_errno("mask", path);
    if (rc == 0) {
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
        if (m < 0)
            rc = fail_errno("mask", path);
        else if (m != *empty)
            close(m);
    }
    view_done(&w);
    return rc < 0 ? -1 : 0;
}

int readonly_path(int root, const char *path, int recursive, int optional)
{
    struct view_walk w;
    struct mfd_at at;
    int rc = view_walk(&w, root, path, 0, NULL, "remount-ro");
    if (rc == VIEW_ABSENT && !optional)
        rc = fail("remount-ro", ENOENT, path);
    if (rc == 0 && view_at(&w, &at) < 0)
        rc = fail_errno("remount-ro", path);
    if (rc == 0) {
        int m = mfd_bind(at.fd, &at, recursive);
        if (m < 0 || mfd_readonly(m, recursive) < 0)
            rc = fail_errno("remount-ro", path);
        if (m >= 0)
            close(m);
    }
    view_done(&w);
    return rc < 0 ? -1 : 0;
}
