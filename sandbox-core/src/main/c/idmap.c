#include "idmap.h"

#include <stdio.h>

#include "error.h"
#include "io.h"

static int write_proc_file(pid_t child, const char *name, const char *step, const char *data, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)child, name);
    if (write_file(path, data, len) < 0)
        return fail_errno(step, path);
    return 0;
}

/* All lines in one write(): the kernel accepts a map file's content only once, whole. The step is
   named after the file (uid_map, gid_map). */
static int write_map(pid_t child, const char *step, const struct sbx_idmap *map, size_t n)
{
    char buf[SBX_MAX_MAP_LINES * 34 + 1]; /* 3 x 10 digits, 2 spaces, newline */
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%u %u %u\n", map[i].inside, map[i].outside,
                                map[i].count);
    return write_proc_file(child, step, step, buf, len);
}

int idmap_write(pid_t child, const struct sbx_spec *spec)
{
    /* setgroups must be denied before an unprivileged writer may set gid_map. */
    if (spec->setgroups_deny && write_proc_file(child, "setgroups", "setgroups", "deny", 4) < 0)
        return -1;
    if (spec->n_uid_map && write_map(child, "uid_map", spec->uid_map, spec->n_uid_map) < 0)
        return -1;
    if (spec->n_gid_map && write_map(child, "gid_map", spec->gid_map, spec->n_gid_map) < 0)
        return -1;
    return 0;
}
