/*
 * Masked and read-only paths: a path covered by /dev/null or an empty read-only tmpfs, or bound
 * onto itself read-only. Which paths (runc's defaults) is decided in Java (SetupPlan).
 */
#ifndef SBX_MASKS_H
#define SBX_MASKS_H

/*
 * Cover the view path `path` (from `root`, no symlinks followed): a file with `devnull` (the
 * host's /dev/null, O_PATH), a directory with an empty read-only tmpfs. The first directory gets
 * the helper's premade tmpfs or a new one, kept in *empty; later ones a bind of it (no new
 * superblock). A missing path is skipped when `optional`, else ENOENT. Returns 0, or -1 recorded
 * as "mask".
 */
int mask_path(int root, const char *path, int devnull, int *empty, int optional);

/*
 * A tmpfs superblock costs the kernel ~35 us here. A privileged helper makes the empty read-only
 * tmpfs that masks directories while it waits for its spec (masks_premade_empty, detached; -1 when
 * it cannot) and keeps it in sbx_premade_empty, which the first directory mask then attaches.
 */
extern int sbx_premade_empty;
int masks_premade_empty(void);

/*
 * The view path `path` (from `root`, no symlinks followed) read-only, by binding it onto itself,
 * with every mount below it if `recursive`. A missing path is skipped when `optional`, else ENOENT.
 * Returns 0, or -1 recorded as "remount-ro".
 */
int readonly_path(int root, const char *path, int recursive, int optional);

#endif
