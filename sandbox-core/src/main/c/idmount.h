/*
 * Bind sources opened by a privileged helper, outside the sandbox's user namespace: a detached
 * copy of each source (open_tree), attached by the child where the bind goes. The child of a root
 * caller runs as an unprivileged uid and could not reach a root-only source itself; and only here
 * can a bind be idmapped (the kernel wants CAP_SYS_ADMIN over the file system's own user
 * namespace): its owner shown as the sandbox's host uid/gid.
 */
#ifndef SBX_IDMOUNT_H
#define SBX_IDMOUNT_H

#include <sys/types.h>

#include "spec.h"

/*
 * With a user namespace and a privileged helper: every bind's detached tree in tree_fd, idmapped
 * where SBX_OP_F_IDMAP says so. 0, or -1 with sbx_failure.
 */
int idmounts_prepare(struct sbx_spec *spec);

/*
 * A user namespace (an open /proc/<pid>/ns/user) whose map shows `owner_uid`/`owner_gid` as the
 * host's `uid`/`gid`: the idmapping of a mount through it. -1 with sbx_failure (step "idmap", `shown`).
 */
int idmount_userns(uid_t owner_uid, gid_t owner_gid, uid_t uid, gid_t gid, const char *shown);

#endif
