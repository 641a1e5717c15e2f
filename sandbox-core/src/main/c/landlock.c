#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "protocol.h"

/* The kernel's header where the build host has it; the numbers below are the same (the ABI is stable). */
#if defined(__has_include)
#if __has_include(<linux/landlock.h>)
#include <linux/landlock.h>
#endif
#endif

/* x86_64 and aarch64 share these numbers (the unified table). */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#ifndef LANDLOCK_ACCESS_FS_EXECUTE
#define LANDLOCK_RULE_PATH_BENEATH 1
#define LANDLOCK_ACCESS_FS_EXECUTE (1ULL << 0)
#define LANDLOCK_ACCESS_FS_WRITE_FILE (1ULL << 1)
#define LANDLOCK_ACCESS_FS_READ_FILE (1ULL << 2)
#define LANDLOCK_ACCESS_FS_READ_DIR (1ULL << 3)
#define LANDLOCK_ACCESS_FS_MAKE_SYM (1ULL << 12)
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

/* Our own copies: older headers lack fields, and the kernel takes the prefix it is given. */
struct sbx_ruleset_attr {
    uint64_t handled_access_fs;
};
struct sbx_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

#define READ_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* The rights that apply to a file (the others need a directory: landlock_add_rule refuses them, EINVAL). */
#define FILE_RIGHTS                                                                                            \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |               \
     LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

static int ruleset = -1;

/* Every file system right this ABI can restrict: v1 has 13, v2 adds REFER, v3 TRUNCATE, v5 IOCTL_DEV. */
static uint64_t handled_for(int abi)
{
    uint64_t handled = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;
    if (abi >= 2)
        handled |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        handled |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return handled;
}

static uint64_t rights_of(uint32_t access, uint64_t handled)
{
    switch (access) {
    case SBX_LANDLOCK_READ:
        return READ_RIGHTS & handled;
    case SBX_LANDLOCK_READ_WRITE_FILES:
        return (READ_RIGHTS | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_IOCTL_DEV) & handled;
    default:
        return handled;
    }
}

static int add_rule(const struct sbx_landlock_rule *r, uint64_t handled)
{
    int fd = open(r->path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && (r->flags & SBX_LANDLOCK_F_OPTIONAL))
            return 0;
        return fail_errno("landlock", r->path);
    }
    struct stat st;
    struct sbx_path_beneath_attr attr = {.allowed_access = rights_of(r->access, handled), .parent_fd = fd};
    int rc = fstat(fd, &st);
    if (rc == 0 && !S_ISDIR(st.st_mode))
        attr.allowed_access &= FILE_RIGHTS;
    if (rc == 0)
        rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0);
    int saved = errno;
    close(fd);
    return rc < 0 ? fail("landlock", saved, r->path) : 0;
}

int landlock_prepare(const struct sbx_spec *spec)
{
    if (!spec->landlock)
        return 0;
    /* ENOSYS: a kernel without Landlock; EOPNOTSUPP: built in but not enabled (lsm=). */
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 0)
        return fail_errno("landlock", "landlock_create_ruleset");
    struct sbx_ruleset_attr attr = {.handled_access_fs = handled_for((int)abi)};
    ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (ruleset < 0)
        return fail_errno("landlock", "landlock_create_ruleset");
    for (size_t i = 0; i < spec->n_landlock_rules; i++)
        if (add_rule(&spec->landlock_rules[i], attr.handled_access_fs) < 0)
            return -1;
    return 0;
}

int landlock_enforce(void)
{
    if (ruleset < 0)
        return 0;
    long rc = syscall(SYS_landlock_restrict_self, ruleset, 0);
    int saved = errno;
    close(ruleset);
    ruleset = -1;
    return rc < 0 ? fail("landlock", saved, "landlock_restrict_self") : 0;
}
