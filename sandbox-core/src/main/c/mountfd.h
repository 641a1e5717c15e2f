/*
 * Mounts made and placed through descriptors: a new mount goes onto exactly the inode a held
 * O_PATH descriptor names, never onto whatever a path string resolves to by then.
 *
 * With the new mount API (5.2) a mount is made detached (fsmount, open_tree) and attached with
 * move_mount onto the target descriptor; its descriptor then names the attached mount's root.
 * Older kernels get mount(2) onto /proc/self/fd/N, which the kernel resolves to that same inode,
 * and the new mount's root is found again by name in the directory the target was opened from,
 * accepted only if it is a mount nobody but this call can have made (mnt_id from fdinfo).
 *
 * Every function returns -1 with errno on failure; the caller records the step and view path.
 */
#ifndef SBX_MOUNTFD_H
#define SBX_MOUNTFD_H

#include <stdint.h>

/* Where a new mount goes: the held target, and the directory it was opened from with its name there. */
struct mfd_at {
    int fd;
    int dir;
    const char *name;
};

/* The procfs whose self/fd and self/fdinfo reach our descriptors (pre-5.2 path and remount fallback). */
void mfd_set_proc(const char *prefix);

/*
 * A new instance of `type` (tmpfs, proc, sysfs, devpts) on `at`, with SBX_MOUNT_ATTR_* `attrs` and
 * mount(2)-style comma-separated `options` (may be NULL). Returns a descriptor of its root.
 */
int mfd_new(const char *type, const struct mfd_at *at, uint64_t attrs, const char *options);

/* A tmpfs on `at`: mode, size in bytes (0: the kernel's default). Returns a descriptor of its root. */
int mfd_tmpfs(const struct mfd_at *at, unsigned mode, uint64_t size, uint64_t attrs);

/* A bind of `src` (any descriptor, O_PATH will do) on `at`, with everything below it if `recursive`. */
int mfd_bind(int src, const struct mfd_at *at, int recursive);

/*
 * A ready-made detached mount (open_tree(OPEN_TREE_CLONE) or fsmount descriptor, e.g. an idmapped
 * clone) attached on `at`; `mnt` names the attached mount's root afterwards. Returns 0.
 */
int mfd_attach(int mnt, const struct mfd_at *at);

/* The mount whose root `root` names read-only, and every mount below it if `recursive`. Returns 0. */
int mfd_readonly(int root, int recursive);

#endif
