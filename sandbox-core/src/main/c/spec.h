/* The decoded spec: what to run and in which namespaces and filesystem view (wire format in protocol.h). */
#ifndef SBX_SPEC_H
#define SBX_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "protocol.h"

#define SBX_MAX_MAP_LINES 340 /* the kernel's limit per uid_map/gid_map since 4.15 */
#define SBX_REASON_MAX 160

struct sbx_idmap {
    uint32_t inside, outside, count;
};

/* One resource limit of the command (protocol.h SBX_T_RLIMIT); at most one per resource. */
#define SBX_RLIMIT_MAX 16 /* RLIMIT_NLIMITS on x86_64 and aarch64 */
struct sbx_rlimit {
    uint32_t resource;   /* RLIMIT_* */
    uint64_t soft, hard; /* RLIM_INFINITY: all ones */
};

/* One setup operation (protocol.h SBX_T_OP). */
struct sbx_op {
    uint32_t kind;  /* SBX_OP_* */
    uint32_t flags; /* SBX_OP_F_* */
    uint64_t size;  /* tmpfs: size= in bytes, 0 for the kernel's default */
    uint32_t mode;  /* tmpfs, mkdir */
    int tree_fd;    /* a bind's detached (maybe idmapped) tree, made by the helper (idmount.c); -1 otherwise */
    char *source;   /* "" when the kind takes none */
    char *target;   /* absolute path inside the sandbox */
};

/* One Landlock rule (protocol.h SBX_T_LANDLOCK_RULE). */
struct sbx_landlock_rule {
    uint32_t access; /* SBX_LANDLOCK_* */
    uint32_t flags;  /* SBX_LANDLOCK_F_* */
    char *path;      /* absolute, inside the sandbox */
};

/* What an operation kind takes (the structure spec_decode checks); Java's Spec.Op.Kind mirrors it. */
enum sbx_op_source {
    SRC_NONE,  /* empty */
    SRC_PATH,  /* an absolute path without "." or ".." components */
    SRC_TEXT,  /* any non-empty bytes (a symlink's text) */
    SRC_NAMES, /* '/'-separated names, none "." or "..", may be empty */
};
enum sbx_op_target {
    TGT_ROOT,  /* exactly "/" */
    TGT_BELOW, /* absolute, not "/" */
    TGT_ANY,   /* absolute */
};
struct sbx_op_info {
    const char *name;        /* in the readable form and as the step of a failure */
    uint32_t flags;          /* SBX_OP_F_* allowed */
    enum sbx_op_source source;
    const char *source_word; /* "from", "to", "skip": how the readable form shows the source */
    enum sbx_op_target target;
    int size, mode;          /* takes a size, a mode */
};
/* Indexed by SBX_OP_*; entry 0 unused. */
extern const struct sbx_op_info sbx_op_kinds[SBX_OP_LAST + 1];

struct sbx_spec {
    uint32_t namespaces; /* CLONE_NEW* bits */
    struct sbx_idmap uid_map[SBX_MAX_MAP_LINES];
    size_t n_uid_map;
    struct sbx_idmap gid_map[SBX_MAX_MAP_LINES];
    size_t n_gid_map;
    int setgroups_deny;
    char *hostname; /* NULL when absent */
    struct sbx_op *ops; /* in order */
    size_t n_ops;
    int loopback;      /* bring lo up */
    char *path;        /* NULL when absent */
    uint64_t timeout_ms;
    uint64_t grace_ms;
    char **argv; /* NULL-terminated, at least one */
    size_t argc;
    char **envp; /* NULL-terminated */
    size_t envc;
    uint64_t keep_caps; /* capabilities kept after exec, bit n = capability n */
    uint32_t security;  /* SBX_SEC_* */
    int has_ids;        /* uid/gid below are set */
    uint32_t uid, gid;  /* inside the user namespace */
    unsigned char *seccomp; /* struct sock_filter[], NULL when absent */
    size_t seccomp_len;     /* instructions */
    struct sbx_rlimit rlimits[SBX_RLIMIT_MAX]; /* in the order sent */
    size_t n_rlimits;
    uint64_t cpu_limit_ns;  /* CPU time of the whole sandbox, 0 = none */
    int landlock;           /* SBX_T_LANDLOCK seen: restrict file access to the rules */
    struct sbx_landlock_rule *landlock_rules;
    size_t n_landlock_rules;
    char *cgroup;           /* v2 directory to clone the child into, NULL when absent */
};

/*
 * Read header + body from fd, exactly, never past the body (commands follow on the same socket).
 * With stdio non-NULL (room for 4), fd is the control socket and the header must bring three or four
 * descriptors (SCM_RIGHTS): the command's stdin, stdout and stderr, stored in stdio[0..2], and the
 * cgroup's CPU usage file in stdio[3] (-1 when only three came; the spec must say it is there).
 * Returns 0 with a malloc'd body; -1 with reason set when the bytes are not a spec;
 * -2 with errno on an I/O error.
 */
int spec_read(int fd, int *stdio, unsigned char **body, size_t *body_len, char *reason, size_t reason_cap);
/* Decode and validate a body; returns 0, or -1 with reason set. */
int spec_decode(const unsigned char *body, size_t len, struct sbx_spec *spec, char *reason, size_t reason_cap);
/* Frees everything spec_decode allocated; the spec is empty afterwards. */
void spec_free(struct sbx_spec *spec);
/* The readable form (--describe-spec); the Java side prints the same text. */
void spec_describe(const struct sbx_spec *spec, FILE *out);

/* The namespace types by their names in the readable form and in --probe; Java's Namespace mirrors them. */
#define SBX_NS_COUNT 8
struct sbx_ns_name {
    uint32_t bit;
    const char *name;
};
extern const struct sbx_ns_name sbx_ns_names[SBX_NS_COUNT];
/* --describe-namespaces: "name 0x<CLONE_NEW* bit>" per line, for ProtocolContractTest. */
void spec_describe_namespaces(FILE *out);

#endif
