/*
 * Syscall numbers and constants that older libc headers may lack. The helper is built on the
 * host that runs it, but that host's headers can be older than its kernel.
 */
#ifndef SBX_COMPAT_H
#define SBX_COMPAT_H

#include <stdint.h>
#include <sys/syscall.h>

/* x86_64 and aarch64 share these numbers (clone3 and later use the unified table). */
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
/* The new mount API (5.2): mounts made and placed through descriptors. */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Our own copies: <linux/mount.h> and <linux/sched.h> clash with older <sys/mount.h>/<sched.h>. */
struct sbx_mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};
#define SBX_MOUNT_ATTR_RDONLY 0x00000001ULL
#define SBX_MOUNT_ATTR_NOSUID 0x00000002ULL
#define SBX_MOUNT_ATTR_NODEV 0x00000004ULL
#define SBX_MOUNT_ATTR_NOEXEC 0x00000008ULL
#define SBX_MOUNT_ATTR_IDMAP 0x00100000ULL
#define SBX_OPEN_TREE_CLOEXEC 02000000u /* O_CLOEXEC */

#define SBX_OPEN_TREE_CLONE 1u
#define SBX_MOVE_MOUNT_F_EMPTY_PATH 0x00000004u
#define SBX_MOVE_MOUNT_T_EMPTY_PATH 0x00000040u
#define SBX_FSOPEN_CLOEXEC 0x00000001u
#define SBX_FSMOUNT_CLOEXEC 0x00000001u
#define SBX_FSCONFIG_SET_FLAG 0u
#define SBX_FSCONFIG_SET_STRING 1u
#define SBX_FSCONFIG_CMD_CREATE 6u

struct sbx_clone_args {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;      /* Linux 5.5 */
    uint64_t set_tid_size;
    uint64_t cgroup;       /* Linux 5.7: CLONE_INTO_CGROUP */
};
#define SBX_CLONE_ARGS_SIZE_VER0 64 /* up to tls */
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

#endif
