/*
 * Landlock: the command's file access limited to the spec's rules (SBX_T_LANDLOCK_RULE). Runs in the
 * command's process right before exec, once the view is final (see security.c for the order).
 */
#ifndef SBX_LANDLOCK_H
#define SBX_LANDLOCK_H

#include "spec.h"

/* The ruleset: the ABI probed, every path opened (O_PATH) in the final view and allowed beneath. */
int landlock_prepare(const struct sbx_spec *spec);
/* landlock_restrict_self with the prepared ruleset (needs no_new_privs or CAP_SYS_ADMIN), then closes it. */
int landlock_enforce(void);

#endif
