/* The command's resource limits (protocol.h SBX_T_RLIMIT): set by its own process right before exec. */
#ifndef SBX_RLIMIT_H
#define SBX_RLIMIT_H

#include <stdint.h>

#include "spec.h"

/* "RLIMIT_NOFILE" for RLIMIT_NOFILE; NULL for a resource this helper does not know. */
const char *rlimit_name(uint32_t resource);

/*
 * setrlimit(2) for each of the spec's limits, in order. Lowering is always allowed; a hard limit
 * above the current one needs CAP_SYS_RESOURCE in the initial user namespace, which the sandbox
 * never has (the JVM refuses such values first). Returns 0, or -1 with the failure recorded
 * (step "rlimit", path the resource's name).
 */
int rlimits_apply(const struct sbx_spec *spec);

#endif
