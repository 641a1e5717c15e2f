/* The sandbox's filesystem view, built inside its new mount namespace. */
#ifndef SBX_MOUNTS_H
#define SBX_MOUNTS_H

#include "spec.h"

/*
 * Run the spec's setup operations in order (protocol.h SBX_OP_*): in a mount namespace, after
 * making every mount private; without one, only chdir operations come (spec_decode checks it).
 * A root staged because a target was missing from the host's own root is entered at the end.
 * Returns 0, or -1 with sbx_failure naming the failing operation (step) and its target (path).
 */
int mounts_build(const struct sbx_spec *spec);

#endif
