#include "spec.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "io.h"
#include "protocol.h"
#include "rlimit.h"

#define ALL_NAMESPACES                                                                        \
    ((uint32_t)(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS |    \
                CLONE_NEWIPC | CLONE_NEWCGROUP | CLONE_NEWTIME))
#define ALL_SECURITY \
    ((uint32_t)(SBX_SEC_NO_NEW_PRIVS | SBX_SEC_NEW_SESSION | SBX_SEC_LOCK_MOUNTS | SBX_SEC_CLEAR_GROUPS | \
                SBX_SEC_NET_AHEAD))
#define SBX_SECCOMP_MAX_INSNS 4096 /* BPF_MAXINSNS */
#define SBX_LAST_CAP 63

const struct sbx_ns_name sbx_ns_names[SBX_NS_COUNT] = {
    {CLONE_NEWUSER, "user"}, {CLONE_NEWNS, "mount"},     {CLONE_NEWPID, "pid"},
    {CLONE_NEWNET, "net"},   {CLONE_NEWUTS, "uts"},      {CLONE_NEWIPC, "ipc"},
    {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWTIME, "time"},
};

void spec_describe_namespaces(FILE *out)
{
    for (size_t i = 0; i < SBX_NS_COUNT; i++)
        fprintf(out, "%s 0x%08x\n", sbx_ns_names[i].name, (unsigned)sbx_ns_names[i].bit);
}

#define ALL_OP_FLAGS ((uint32_t)(SBX_OP_F_RO | SBX_OP_F_IDMAP | SBX_OP_F_RECURSIVE | SBX_OP_F_OPTIONAL | SBX_OP_F_IDMAP_FALLBACK))

const struct sbx_op_info sbx_op_kinds[SBX_OP_LAST + 1] = {
    [SBX_OP_NEW_ROOT] = {"new-root", 0, SRC_NONE, NULL, TGT_ROOT, 0, 0},
    [SBX_OP_MIRROR_HOST] = {"mirror-host", SBX_OP_F_RO, SRC_NAMES, "skip", TGT_ROOT, 0, 0},
    [SBX_OP_BIND] = {"bind", SBX_OP_F_RO | SBX_OP_F_IDMAP | SBX_OP_F_IDMAP_FALLBACK, SRC_PATH, "from", TGT_BELOW, 0, 0},
    [SBX_OP_TMPFS] = {"tmpfs", 0, SRC_NONE, NULL, TGT_BELOW, 1, 1},
    [SBX_OP_PROC] = {"proc", 0, SRC_NONE, NULL, TGT_BELOW, 0, 0},
    [SBX_OP_DEV] = {"dev", 0, SRC_NONE, NULL, TGT_BELOW, 0, 0},
    [SBX_OP_SYSFS] = {"sysfs", 0, SRC_NONE, NULL, TGT_BELOW, 0, 0},
    [SBX_OP_MQUEUE] = {"mqueue", 0, SRC_NONE, NULL, TGT_BELOW, 0, 0},
    [SBX_OP_SYMLINK] = {"symlink", 0, SRC_TEXT, "to", TGT_BELOW, 0, 0},
    [SBX_OP_MKDIR] = {"mkdir", 0, SRC_NONE, NULL, TGT_BELOW, 0, 1},
    [SBX_OP_REMOUNT_RO] = {"remount-ro", SBX_OP_F_RECURSIVE | SBX_OP_F_OPTIONAL, SRC_NONE, NULL, TGT_ANY, 0, 0},
    [SBX_OP_MASK] = {"mask", SBX_OP_F_OPTIONAL, SRC_NONE, NULL, TGT_BELOW, 0, 0},
    [SBX_OP_SWITCH_ROOT] = {"switch-root", 0, SRC_NONE, NULL, TGT_ROOT, 0, 0},
    [SBX_OP_CHDIR] = {"chdir", 0, SRC_NONE, NULL, TGT_ANY, 0, 0},
};

static const char *const op_flag_names[] = {"ro", "idmap", "recursive", "optional", "idmap-fallback"};

static const struct {
    uint32_t bit;
    const char *name;
} security_names[] = {
    {SBX_SEC_NO_NEW_PRIVS, "no-new-privs"},
    {SBX_SEC_NEW_SESSION, "new-session"},
    {SBX_SEC_LOCK_MOUNTS, "lock-mounts"},
    {SBX_SEC_CLEAR_GROUPS, "clear-groups"},
    {SBX_SEC_NET_AHEAD, "net-ahead"},
};

static const char *tag_name(unsigned tag)
{
    static const char *names[] = {NULL,       "NAMESPACES", "UID_MAP",  "GID_MAP", "SETGROUPS_DENY",
                                  "HOSTNAME", "OP",         "LOOPBACK", "PATH",    "TIMEOUT_MS",
                                  "GRACE_MS", "ARG",        "ENV",      "CAPS",    "SECURITY",
                                  "IDS",      "SECCOMP",  "RLIMIT",   "LANDLOCK", "LANDLOCK_RULE",
                                  "CPU_LIMIT", "CGROUP"};
    return tag < sizeof names / sizeof names[0] && names[tag] ? names[tag] : "?";
}

static int reject(char *reason, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, cap, fmt, ap);
    va_end(ap);
    return -1;
}

int spec_read(int fd, int *stdio, unsigned char **body, size_t *body_len, char *reason, size_t reason_cap)
{
    uint32_t hdr[3];
    struct sbx_received got = {.nfds = 0};
    ssize_t n = stdio ? read_full_with_fds(fd, hdr, sizeof hdr, &got) : read_full(fd, hdr, sizeof hdr);
    if (n < 0)
        return -2;
    if (stdio && got.nfds != 3 && got.nfds != 4) {
        for (int i = 0; i < got.nfds && i < SBX_MAX_PASSED_FDS; i++)
            close(got.fds[i]);
        return reject(reason, reason_cap,
                      "%d descriptors came with the spec (expected: 3, the command's stdio, or 4 with the CPU usage file)",
                      got.nfds);
    }
    if (stdio) {
        memcpy(stdio, got.fds, 3 * sizeof(int));
        stdio[3] = got.nfds == 4 ? got.fds[3] : -1;
    }
    if ((size_t)n < sizeof hdr)
        return reject(reason, reason_cap, "truncated header (%zd of 12 bytes)", n);
    if (hdr[0] != SBX_SPEC_MAGIC)
        return reject(reason, reason_cap, "bad magic 0x%08x", hdr[0]);
    if (hdr[1] != SBX_SPEC_VERSION)
        return reject(reason, reason_cap, "unsupported version %u", hdr[1]);
    if (hdr[2] > SBX_SPEC_MAX_BODY)
        return reject(reason, reason_cap, "body length %u exceeds %u", hdr[2], SBX_SPEC_MAX_BODY);
    unsigned char *buf = malloc(hdr[2] ? hdr[2] : 1);
    if (!buf) {
        errno = ENOMEM;
        return -2;
    }
    n = read_full(fd, buf, hdr[2]);
    if (n < 0) {
        free(buf);
        return -2;
    }
    if ((size_t)n < hdr[2]) {
        free(buf);
        return reject(reason, reason_cap, "truncated body (%zd of %u bytes)", n, hdr[2]);
    }
    *body = buf;
    *body_len = hdr[2];
    return 0;
}

/* A string payload as a NUL-terminated copy; strings may not contain NUL. */
static char *take_string(const unsigned char *p, uint32_t len)
{
    char *s = malloc((size_t)len + 1);
    if (s) {
        memcpy(s, p, len);
        s[len] = '\0';
    }
    return s;
}

/* A string record's payload into *out; strings may not contain NUL. 0, or -1 with reason set. */
static int take_text(char **out, const unsigned char *p, uint32_t len, unsigned tag, char *reason, size_t cap);

/* Append to a NULL-terminated vector, doubling its capacity (kept in *cap) as needed. */
static int push_string(char ***vec, size_t *count, size_t *cap, char *s)
{
    if (*count + 2 > *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        char **nv = realloc(*vec, ncap * sizeof *nv);
        if (!nv)
            return -1;
        *vec = nv;
        *cap = ncap;
    }
    (*vec)[(*count)++] = s;
    (*vec)[*count] = NULL;
    return 0;
}

static int take_text(char **out, const unsigned char *p, uint32_t len, unsigned tag, char *reason, size_t cap)
{
    if (memchr(p, 0, len))
        return reject(reason, cap, "NUL byte in %s", tag_name(tag));
    if (!(*out = take_string(p, len)))
        return reject(reason, cap, "out of memory");
    return 0;
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* "/"-separated components of p[0..n): none "." or "..", and none empty if `names`. */
static int bad_components(const unsigned char *p, uint32_t n, int names)
{
    uint32_t i = 0;
    while (i <= n) {
        uint32_t j = i;
        while (j < n && p[j] != '/')
            j++;
        uint32_t len = j - i;
        if ((len == 1 && p[i] == '.') || (len == 2 && p[i] == '.' && p[i + 1] == '.'))
            return 1;
        if (names && len == 0 && n != 0)
            return 1;
        i = j + 1;
    }
    return 0;
}

static int is_absolute(const unsigned char *p, uint32_t n)
{
    return n > 0 && p[0] == '/' && !bad_components(p, n, 0);
}

static int is_root(const unsigned char *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != '/')
            return 0;
    return n > 0;
}

/* The OP payload: u32 kind, u32 flags, u64 size, u32 mode, u32 n, source[n], u32 m, target[m]. */
static int decode_op(const unsigned char *p, uint32_t len, struct sbx_spec *s, char *reason, size_t cap)
{
    if (len < 28)
        return reject(reason, cap, "OP payload too short (%u bytes)", len);
    uint32_t kind = get_u32(p), flags = get_u32(p + 4), mode = get_u32(p + 16), n = get_u32(p + 20);
    uint64_t size = get_u64(p + 8);
    if (n > len - 28)
        return reject(reason, cap, "OP source length %u overruns the record", n);
    uint32_t m = get_u32(p + 24 + n);
    if ((uint64_t)28 + n + m != len)
        return reject(reason, cap, "OP lengths (%u, %u) do not match the record length %u", n, m, len);
    const unsigned char *src = p + 24, *dst = p + 28 + n;
    if (kind < 1 || kind > SBX_OP_LAST)
        return reject(reason, cap, "unknown operation kind %u", kind);
    const struct sbx_op_info *k = &sbx_op_kinds[kind];
    if (memchr(src, 0, n) || memchr(dst, 0, m))
        return reject(reason, cap, "NUL byte in %s operation", k->name);
    if (n >= SBX_OP_MAX_PATH || m >= SBX_OP_MAX_PATH)
        return reject(reason, cap, "%s operation: a path of %u bytes or more", k->name, SBX_OP_MAX_PATH);
    if (flags & ~k->flags)
        return reject(reason, cap, "%s operation: flags 0x%x not allowed", k->name, flags & ~k->flags);
    if (size && !k->size)
        return reject(reason, cap, "%s operation with a size", k->name);
    if (mode && !k->mode)
        return reject(reason, cap, "%s operation with a mode", k->name);
    if (mode > 07777)
        return reject(reason, cap, "%s operation: mode 0%o", k->name, mode);
    switch (k->source) {
    case SRC_NONE:
        if (n != 0)
            return reject(reason, cap, "%s operation with a source", k->name);
        break;
    case SRC_PATH:
        if (!is_absolute(src, n))
            return reject(reason, cap, "%s operation: source not absolute or with a . or .. component", k->name);
        break;
    case SRC_TEXT:
        if (n == 0)
            return reject(reason, cap, "%s operation with an empty source", k->name);
        break;
    case SRC_NAMES:
        if (bad_components(src, n, 1))
            return reject(reason, cap, "%s operation: an empty, . or .. name", k->name);
        break;
    }
    if (!is_absolute(dst, m))
        return reject(reason, cap, "%s operation: target not absolute or with a . or .. component", k->name);
    if (k->target == TGT_ROOT && !is_root(dst, m))
        return reject(reason, cap, "%s operation: target other than /", k->name);
    if (k->target == TGT_BELOW && is_root(dst, m))
        return reject(reason, cap, "%s operation: target /", k->name);
    if (s->n_ops >= SBX_OP_MAX)
        return reject(reason, cap, "more than %d operations", SBX_OP_MAX);
    if (s->n_ops % 16 == 0) {
        struct sbx_op *no = realloc(s->ops, (s->n_ops + 16) * sizeof *no);
        if (!no)
            return reject(reason, cap, "out of memory");
        s->ops = no;
    }
    struct sbx_op *op = &s->ops[s->n_ops];
    op->kind = kind;
    op->flags = flags;
    op->size = size;
    op->mode = mode;
    op->tree_fd = -1;
    op->source = take_string(src, n);
    op->target = take_string(dst, m);
    if (!op->source || !op->target) {
        free(op->source);
        free(op->target);
        return reject(reason, cap, "out of memory");
    }
    s->n_ops++;
    return 0;
}

/*
 * The order of the operations, as far as safety needs it: a staged root is always entered (else
 * the host's root stays reachable below it), and nothing changes the view after it is entered.
 */
static int check_ops(const struct sbx_spec *s, char *reason, size_t cap)
{
    int staged = 0, entered = 0, chdir_seen = 0;
    for (size_t i = 0; i < s->n_ops; i++) {
        const struct sbx_op *op = &s->ops[i];
        const char *name = sbx_op_kinds[op->kind].name;
        if (op->kind != SBX_OP_CHDIR && !(s->namespaces & CLONE_NEWNS))
            return reject(reason, cap, "%s operation without CLONE_NEWNS", name);
        if ((op->flags & SBX_OP_F_IDMAP) && !(s->namespaces & CLONE_NEWUSER))
            return reject(reason, cap, "idmapped bind without CLONE_NEWUSER");
        if ((op->flags & SBX_OP_F_IDMAP_FALLBACK) && !(op->flags & SBX_OP_F_IDMAP))
            return reject(reason, cap, "idmap-fallback without idmap");
        if (op->kind != SBX_OP_CHDIR && (entered || chdir_seen))
            return reject(reason, cap, "%s operation after %s", name, entered ? "switch-root" : "chdir");
        switch (op->kind) {
        case SBX_OP_NEW_ROOT:
            if (i != 0)
                return reject(reason, cap, "new-root operation not first");
            staged = 1;
            break;
        case SBX_OP_MIRROR_HOST:
            if (!staged)
                return reject(reason, cap, "mirror-host operation without new-root");
            break;
        case SBX_OP_SWITCH_ROOT:
            if (!staged)
                return reject(reason, cap, "switch-root operation without new-root");
            entered = 1;
            break;
        case SBX_OP_CHDIR:
            chdir_seen = 1;
            break;
        }
    }
    if (staged && !entered)
        return reject(reason, cap, "new-root operation without switch-root");
    return 0;
}

static int add_map(struct sbx_idmap *map, size_t *n, const unsigned char *p, const char *what, char *reason,
                   size_t cap)
{
    if (*n >= SBX_MAX_MAP_LINES)
        return reject(reason, cap, "more than %d %s lines", SBX_MAX_MAP_LINES, what);
    struct sbx_idmap m = {get_u32(p), get_u32(p + 4), get_u32(p + 8)};
    if (m.count == 0)
        return reject(reason, cap, "%s line with count 0", what);
    map[(*n)++] = m;
    return 0;
}

/* One SBX_T_RLIMIT record: a resource this helper knows, soft <= hard, once per resource. */
static int add_rlimit(struct sbx_spec *s, const unsigned char *p, char *reason, size_t cap)
{
    struct sbx_rlimit r = {get_u32(p), get_u64(p + 8), get_u64(p + 16)};
    const char *name = rlimit_name(r.resource);
    if (!name)
        return reject(reason, cap, "RLIMIT: unknown resource %u", r.resource);
    if (get_u32(p + 4) != 0)
        return reject(reason, cap, "RLIMIT %s: non-zero reserved field", name);
    if (r.soft > r.hard)
        return reject(reason, cap, "RLIMIT %s: soft %llu above hard %llu", name, (unsigned long long)r.soft,
                      (unsigned long long)r.hard);
    for (size_t i = 0; i < s->n_rlimits; i++)
        if (s->rlimits[i].resource == r.resource)
            return reject(reason, cap, "repeated RLIMIT %s", name);
    if (s->n_rlimits >= SBX_RLIMIT_MAX) /* unreachable: each known resource at most once */
        return reject(reason, cap, "more than %d RLIMIT records", SBX_RLIMIT_MAX);
    s->rlimits[s->n_rlimits++] = r;
    return 0;
}

/* Cross-record rules, checked once every record is in. */
static int check_whole(const struct sbx_spec *s, unsigned seen_ns, char *reason, size_t cap)
{
    if (!seen_ns)
        return reject(reason, cap, "missing NAMESPACES");
    if (s->argc == 0)
        return reject(reason, cap, "no ARG");
    if (!s->path)
        return reject(reason, cap, "missing PATH");
    if (s->hostname && !(s->namespaces & CLONE_NEWUTS))
        return reject(reason, cap, "hostname without CLONE_NEWUTS");
    if (s->loopback && !(s->namespaces & CLONE_NEWNET))
        return reject(reason, cap, "LOOPBACK without CLONE_NEWNET");
    if ((s->security & SBX_SEC_NET_AHEAD) && !(s->namespaces & CLONE_NEWNET))
        return reject(reason, cap, "SECURITY net-ahead without CLONE_NEWNET");
    if (check_ops(s, reason, cap))
        return -1;
    if ((s->security & SBX_SEC_LOCK_MOUNTS) && (s->namespaces & (CLONE_NEWUSER | CLONE_NEWNS)) != (CLONE_NEWUSER | CLONE_NEWNS))
        return reject(reason, cap, "lock-mounts without CLONE_NEWUSER and CLONE_NEWNS");
    if (s->has_ids && !(s->namespaces & CLONE_NEWUSER))
        return reject(reason, cap, "IDS without CLONE_NEWUSER");
    if (s->keep_caps >> SBX_LAST_CAP)
        return reject(reason, cap, "capability bit 63 set");
    if (s->n_landlock_rules && !s->landlock)
        return reject(reason, cap, "LANDLOCK_RULE without LANDLOCK");
    return 0;
}

/* u32 access, u32 flags, path: an absolute path without "." or ".." components. */
static int decode_landlock_rule(const unsigned char *p, uint32_t plen, struct sbx_spec *s, char *reason, size_t cap)
{
    if (plen < 9)
        return reject(reason, cap, "LANDLOCK_RULE payload is %u bytes, expected at least 9", plen);
    uint32_t access = get_u32(p), flags = get_u32(p + 4);
    if (access < SBX_LANDLOCK_READ || access > SBX_LANDLOCK_READ_WRITE_FILES)
        return reject(reason, cap, "LANDLOCK_RULE with unknown access %u", access);
    if (flags & ~(uint32_t)SBX_LANDLOCK_F_OPTIONAL)
        return reject(reason, cap, "LANDLOCK_RULE with unknown flags 0x%x", flags);
    if (s->n_landlock_rules >= SBX_OP_MAX)
        return reject(reason, cap, "more than %d LANDLOCK_RULE records", SBX_OP_MAX);
    if (plen - 8 >= SBX_OP_MAX_PATH || !is_absolute(p + 8, plen - 8))
        return reject(reason, cap, "LANDLOCK_RULE path not absolute, with a . or .. component, or too long");
    char *path;
    if (take_text(&path, p + 8, plen - 8, SBX_T_LANDLOCK_RULE, reason, cap))
        return -1;
    struct sbx_landlock_rule *grown = realloc(s->landlock_rules, (s->n_landlock_rules + 1) * sizeof *grown);
    if (!grown) {
        free(path);
        return reject(reason, cap, "out of memory");
    }
    s->landlock_rules = grown;
    s->landlock_rules[s->n_landlock_rules++] = (struct sbx_landlock_rule){access, flags, path};
    return 0;
}

static int decode_records(const unsigned char *body, size_t len, struct sbx_spec *s, char *reason, size_t cap)
{
    unsigned seen[SBX_T_LAST + 1] = {0};
    size_t argv_cap = 0, envp_cap = 0;
    memset(s, 0, sizeof *s);

    size_t off = 0;
    while (off < len) {
        if (len - off < 8)
            return reject(reason, cap, "truncated record header at offset %zu", off);
        uint16_t tag, zero;
        memcpy(&tag, body + off, 2);
        memcpy(&zero, body + off + 2, 2);
        uint32_t plen = get_u32(body + off + 4);
        if (zero != 0)
            return reject(reason, cap, "non-zero reserved field in record at offset %zu", off);
        if (plen > len - off - 8)
            return reject(reason, cap, "truncated record (tag %u, length %u) at offset %zu", tag, plen, off);
        const unsigned char *p = body + off + 8;
        off += 8 + (size_t)plen;

        if (tag < SBX_T_NAMESPACES || tag > SBX_T_LAST)
            return reject(reason, cap, "unknown tag %u", tag);
        seen[tag]++;
        switch (tag) {
        case SBX_T_NAMESPACES:
        case SBX_T_LOOPBACK:
        case SBX_T_HOSTNAME:
        case SBX_T_PATH:
        case SBX_T_TIMEOUT_MS:
        case SBX_T_GRACE_MS:
        case SBX_T_CAPS:
        case SBX_T_SECURITY:
        case SBX_T_IDS:
        case SBX_T_SECCOMP:
        case SBX_T_CPU_LIMIT:
        case SBX_T_LANDLOCK:
        case SBX_T_CGROUP:
            if (seen[tag] > 1)
                return reject(reason, cap, "repeated %s", tag_name(tag));
            break;
        }

        /* Fixed payload sizes. */
        uint32_t want = UINT32_MAX;
        switch (tag) {
        case SBX_T_NAMESPACES:
        case SBX_T_SECURITY:
        case SBX_T_LANDLOCK:
            want = 4;
            break;
        case SBX_T_IDS:
        case SBX_T_CAPS:
        case SBX_T_CPU_LIMIT:
            want = 8;
            break;
        case SBX_T_UID_MAP:
        case SBX_T_GID_MAP:
            want = 12;
            break;
        case SBX_T_SETGROUPS_DENY:
        case SBX_T_LOOPBACK:
            want = 0;
            break;
        case SBX_T_TIMEOUT_MS:
        case SBX_T_GRACE_MS:
            want = 8;
            break;
        case SBX_T_RLIMIT:
            want = 24;
            break;
        }
        if (want != UINT32_MAX && plen != want)
            return reject(reason, cap, "%s payload is %u bytes, expected %u", tag_name(tag), plen, want);

        switch (tag) {
        case SBX_T_NAMESPACES:
            s->namespaces = get_u32(p);
            if (s->namespaces & ~ALL_NAMESPACES)
                return reject(reason, cap, "unknown namespace bits 0x%x", s->namespaces & ~ALL_NAMESPACES);
            break;
        case SBX_T_UID_MAP:
            if (add_map(s->uid_map, &s->n_uid_map, p, "uid_map", reason, cap))
                return -1;
            break;
        case SBX_T_GID_MAP:
            if (add_map(s->gid_map, &s->n_gid_map, p, "gid_map", reason, cap))
                return -1;
            break;
        case SBX_T_SETGROUPS_DENY:
            s->setgroups_deny = 1;
            break;
        case SBX_T_HOSTNAME:
            if (take_text(&s->hostname, p, plen, tag, reason, cap))
                return -1;
            break;
        case SBX_T_OP:
            if (decode_op(p, plen, s, reason, cap))
                return -1;
            break;
        case SBX_T_LOOPBACK:
            s->loopback = 1;
            break;
        case SBX_T_PATH:
            if (take_text(&s->path, p, plen, tag, reason, cap))
                return -1;
            break;
        case SBX_T_TIMEOUT_MS:
            s->timeout_ms = get_u64(p);
            break;
        case SBX_T_GRACE_MS:
            s->grace_ms = get_u64(p);
            break;
        case SBX_T_ARG:
        case SBX_T_ENV: {
            char *str;
            if (take_text(&str, p, plen, tag, reason, cap))
                return -1;
            if (tag == SBX_T_ARG ? push_string(&s->argv, &s->argc, &argv_cap, str)
                                 : push_string(&s->envp, &s->envc, &envp_cap, str)) {
                free(str);
                return reject(reason, cap, "out of memory");
            }
            break;
        }
        case SBX_T_CAPS:
            s->keep_caps = get_u64(p);
            break;
        case SBX_T_SECURITY:
            s->security = get_u32(p);
            if (s->security & ~ALL_SECURITY)
                return reject(reason, cap, "unknown security bits 0x%x", s->security & ~ALL_SECURITY);
            break;
        case SBX_T_IDS:
            s->has_ids = 1;
            s->uid = get_u32(p);
            s->gid = get_u32(p + 4);
            break;
        case SBX_T_CGROUP:
            if (take_text(&s->cgroup, p, plen, tag, reason, cap))
                return -1;
            if (s->cgroup[0] != '/' || plen >= SBX_OP_MAX_PATH)
                return reject(reason, cap, "CGROUP is not an absolute path shorter than %d bytes", SBX_OP_MAX_PATH);
            break;
        case SBX_T_SECCOMP:
            if (plen == 0 || plen % 8 != 0 || plen / 8 > SBX_SECCOMP_MAX_INSNS)
                return reject(reason, cap, "SECCOMP payload of %u bytes (expected: 1 to %d instructions of 8 bytes)",
                              plen, SBX_SECCOMP_MAX_INSNS);
            if (!(s->seccomp = malloc(plen)))
                return reject(reason, cap, "out of memory");
            memcpy(s->seccomp, p, plen);
            s->seccomp_len = plen / 8;
            break;
        case SBX_T_RLIMIT:
            if (add_rlimit(s, p, reason, cap))
                return -1;
            break;
        case SBX_T_CPU_LIMIT:
            s->cpu_limit_ns = get_u64(p);
            if (s->cpu_limit_ns == 0)
                return reject(reason, cap, "CPU_LIMIT 0 ns (expected: > 0)");
            break;
        case SBX_T_LANDLOCK:
            if (get_u32(p) != 0)
                return reject(reason, cap, "unknown LANDLOCK flags 0x%x", get_u32(p));
            s->landlock = 1;
            break;
        case SBX_T_LANDLOCK_RULE:
            if (decode_landlock_rule(p, plen, s, reason, cap))
                return -1;
            break;
        default:
            return reject(reason, cap, "unknown tag %u", tag);
        }
    }
    if (check_whole(s, seen[SBX_T_NAMESPACES], reason, cap))
        return -1;
    if (!s->envp) { /* execve wants a vector even when empty */
        s->envp = calloc(1, sizeof *s->envp);
        if (!s->envp)
            return reject(reason, cap, "out of memory");
    }
    return 0;
}

void spec_free(struct sbx_spec *s)
{
    free(s->hostname);
    free(s->path);
    free(s->cgroup);
    for (size_t i = 0; i < s->n_ops; i++) {
        free(s->ops[i].source);
        free(s->ops[i].target);
    }
    free(s->ops);
    for (size_t i = 0; i < s->argc; i++)
        free(s->argv[i]);
    free(s->argv);
    for (size_t i = 0; i < s->envc; i++)
        free(s->envp[i]);
    free(s->envp);
    free(s->seccomp);
    for (size_t i = 0; i < s->n_landlock_rules; i++)
        free(s->landlock_rules[i].path);
    free(s->landlock_rules);
    memset(s, 0, sizeof *s);
}

int spec_decode(const unsigned char *body, size_t len, struct sbx_spec *s, char *reason, size_t cap)
{
    int rc = decode_records(body, len, s, reason, cap);
    if (rc < 0)
        spec_free(s); /* a refused spec keeps nothing */
    return rc;
}

/* "..." with printable ASCII as is, \" and \\, and \xNN (lowercase) for every other byte. */
static void put_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p >= 0x20 && *p <= 0x7e)
            fputc(*p, out);
        else
            fprintf(out, "\\x%02x", *p);
    }
    fputc('"', out);
}

static void put_map(FILE *out, const char *name, const struct sbx_idmap *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s %u %u %u\n", name, m[i].inside, m[i].outside, m[i].count);
}

/* A limit in the readable form: the number, or "unlimited" for RLIM_INFINITY. */
static void put_rlim(FILE *out, const char *label, uint64_t v)
{
    if (v == UINT64_MAX)
        fprintf(out, "%sunlimited", label);
    else
        fprintf(out, "%s%llu", label, (unsigned long long)v);
}

void spec_describe(const struct sbx_spec *s, FILE *out)
{
    int any;

    fprintf(out, "sandbox-spec v%u\n", SBX_SPEC_VERSION);
    fputs("namespaces ", out);
    any = 0;
    for (size_t i = 0; i < SBX_NS_COUNT; i++)
        if (s->namespaces & sbx_ns_names[i].bit)
            fprintf(out, "%s%s", any++ ? "," : "", sbx_ns_names[i].name);
    fputs(any ? "\n" : "none\n", out);
    put_map(out, "uid_map", s->uid_map, s->n_uid_map);
    put_map(out, "gid_map", s->gid_map, s->n_gid_map);
    if (s->setgroups_deny)
        fputs("setgroups deny\n", out);
    if (s->hostname) {
        fputs("hostname ", out);
        put_quoted(out, s->hostname);
        fputc('\n', out);
    }
    for (size_t i = 0; i < s->n_ops; i++) {
        const struct sbx_op *op = &s->ops[i];
        const struct sbx_op_info *k = &sbx_op_kinds[op->kind];
        fprintf(out, "op %s ", k->name);
        put_quoted(out, op->target);
        if (k->source != SRC_NONE) {
            fprintf(out, " %s ", k->source_word);
            put_quoted(out, op->source);
        }
        for (size_t b = 0; b < sizeof op_flag_names / sizeof op_flag_names[0]; b++)
            if (op->flags & (1u << b))
                fprintf(out, " %s", op_flag_names[b]);
        if (k->size)
            fprintf(out, " size=%llu", (unsigned long long)op->size);
        if (k->mode)
            fprintf(out, " mode=0%03o", (unsigned)op->mode);
        fputc('\n', out);
    }
    if (s->loopback)
        fputs("loopback\n", out);
    if (s->path) {
        fputs("path ", out);
        put_quoted(out, s->path);
        fputc('\n', out);
    }
    fputs("security ", out);
    any = 0;
    for (size_t i = 0; i < sizeof security_names / sizeof security_names[0]; i++)
        if (s->security & security_names[i].bit)
            fprintf(out, "%s%s", any++ ? "," : "", security_names[i].name);
    fputs(any ? "\n" : "none\n", out);
    fprintf(out, "caps 0x%llx\n", (unsigned long long)s->keep_caps);
    if (s->has_ids)
        fprintf(out, "ids %u %u\n", s->uid, s->gid);
    if (s->seccomp)
        fprintf(out, "seccomp %zu\n", s->seccomp_len);
    if (s->landlock)
        fputs("landlock\n", out);
    for (size_t i = 0; i < s->n_landlock_rules; i++) {
        static const char *const access[] = {NULL, "read", "read-write", "read-write-files"};
        const struct sbx_landlock_rule *r = &s->landlock_rules[i];
        fprintf(out, "landlock-rule %s%s ", access[r->access], r->flags & SBX_LANDLOCK_F_OPTIONAL ? " optional" : "");
        put_quoted(out, r->path);
        fputc('\n', out);
    }
    for (size_t i = 0; i < s->n_rlimits; i++) {
        const struct sbx_rlimit *r = &s->rlimits[i];
        fprintf(out, "rlimit %s", rlimit_name(r->resource) + sizeof "RLIMIT_" - 1);
        put_rlim(out, " soft=", r->soft);
        put_rlim(out, " hard=", r->hard);
        fputc('\n', out);
    }
    if (s->cgroup) {
        fputs("cgroup ", out);
        put_quoted(out, s->cgroup);
        fputc('\n', out);
    }
    fprintf(out, "timeout_ms %llu\n", (unsigned long long)s->timeout_ms);
    fprintf(out, "grace_ms %llu\n", (unsigned long long)s->grace_ms);
    if (s->cpu_limit_ns)
        fprintf(out, "cpu_limit_ns %llu\n", (unsigned long long)s->cpu_limit_ns);
    for (size_t i = 0; i < s->argc; i++) {
        fputs("arg ", out);
        put_quoted(out, s->argv[i]);
        fputc('\n', out);
    }
    for (size_t i = 0; i < s->envc; i++) {
        fputs("env ", out);
        put_quoted(out, s->envp[i]);
        fputc('\n', out);
    }
}
