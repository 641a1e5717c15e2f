/*
 * What a container runtime hides or freezes by default in a view: runc's masked paths (covered
 * by /dev/null or an empty read-only tmpfs) and read-only paths (bound onto themselves read-only).
 */
#ifndef SBX_MASKS_H
#define SBX_MASKS_H

/*
 * Mask and freeze runc's default /proc paths when the view's /proc is a procfs (`proc`) and its
 * /sys paths when the view's /sys is a sysfs (`sys`); what does not exist is skipped. `root` is
 * the view's "/", `devnull` the host's /dev/null (O_PATH). Returns 0, or -1 with the failure
 * recorded (step "mask" or "remount-ro", the view path).
 */
int masks_apply(int root, int devnull, int proc, int sys);

/*
 * A tmpfs superblock costs the kernel ~35 us here. A privileged helper makes the empty read-only
 * tmpfs that masks directories while it waits for its spec (masks_premade_empty, detached; -1 when
 * it cannot) and keeps it in sbx_premade_empty, which the first directory mask then attaches.
 */
extern int sbx_premade_empty;
int masks_premade_empty(void);

/*
 * The view path `path` (from `root`, no symlinks followed) and every mount below it read-only,
 * by binding it onto itself; nothing if it does not exist. Returns 0, or -1 recorded as "remount-ro".
 */
int readonly_path(int root, const char *path);

#endif
