/* The sandbox's filesystem view, built inside its new mount namespace. */
#ifndef SBX_MOUNTS_H
#define SBX_MOUNTS_H

#include "spec.h"

/*
 * Build the view the spec asks for (root host / read-only / empty, binds, tmpfs, /proc, /dev).
 * When a new root was built, the working directory is its "/" afterwards. Returns 0, or -1 with
 * sbx_failure naming the step and path.
 */
int mounts_build(const struct sbx_spec *spec);

#endif
