/* The helper (parent side) writes the child's setgroups / uid_map / gid_map. */
#ifndef SBX_IDMAP_H
#define SBX_IDMAP_H

#include <sys/types.h>

#include "spec.h"

/* Returns 0, or -1 with sbx_failure set (step "setgroups", "uid_map" or "gid_map"). */
int idmap_write(pid_t child, const struct sbx_spec *spec);

#endif
