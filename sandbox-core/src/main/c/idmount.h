/*
 * Bind sources opened by a privileged helper, outside the sandbox's user namespace: a detached
 * copy of each source (open_tree), attached by the child where the bind goes. The child of a root
 * caller runs as an unprivileged uid and could not reach a root-only source itself; and only here
 * can a bind be idmapped (the kernel wants CAP_SYS_ADMIN over the file system's own user
 * namespace): its owner shown as the sandbox's host uid/gid.
 */
#ifndef SBX_IDMOUNT_H
#define SBX_IDMOUNT_H

#include "spec.h"

/*
 * With a user namespace and a privileged helper: every bind's detached tree in tree_fd, idmapped
 * where SBX_MOUNT_F_IDMAP says so. 0, or -1 with sbx_failure.
 */
int idmounts_prepare(struct sbx_spec *spec);

#endif
