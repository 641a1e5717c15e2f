#include "rlimit.h"

#include <sys/resource.h>

#include "error.h"

_Static_assert(RLIMIT_NLIMITS <= SBX_RLIMIT_MAX, "SBX_RLIMIT_MAX below the C library's RLIMIT_NLIMITS");

/* Indexed by resource number, from the C library's headers for the target architecture. */
static const char *const rlimit_names[RLIMIT_NLIMITS] = {
    [RLIMIT_AS] = "RLIMIT_AS",
    [RLIMIT_CORE] = "RLIMIT_CORE",
    [RLIMIT_CPU] = "RLIMIT_CPU",
    [RLIMIT_DATA] = "RLIMIT_DATA",
    [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
    [RLIMIT_LOCKS] = "RLIMIT_LOCKS",
    [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",
    [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE",
    [RLIMIT_NICE] = "RLIMIT_NICE",
    [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
    [RLIMIT_NPROC] = "RLIMIT_NPROC",
    [RLIMIT_RSS] = "RLIMIT_RSS",
    [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",
    [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
    [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
    [RLIMIT_STACK] = "RLIMIT_STACK",
};

const char *rlimit_name(uint32_t resource)
{
    return resource < RLIMIT_NLIMITS ? rlimit_names[resource] : NULL;
}

int rlimits_apply(const struct sbx_spec *spec)
{
    for (size_t i = 0; i < spec->n_rlimits; i++) {
        const struct sbx_rlimit *r = &spec->rlimits[i];
        struct rlimit lim = {.rlim_cur = (rlim_t)r->soft, .rlim_max = (rlim_t)r->hard};
        if (setrlimit((int)r->resource, &lim) < 0)
            return fail_errno("rlimit", rlimit_name(r->resource));
    }
    return 0;
}
