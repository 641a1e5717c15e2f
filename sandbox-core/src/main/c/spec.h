/* The decoded spec: what to run and in which namespaces and filesystem view (wire format in protocol.h). */
#ifndef SBX_SPEC_H
#define SBX_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SBX_MAX_MAP_LINES 340 /* the kernel's limit per uid_map/gid_map since 4.15 */
#define SBX_MAX_MOUNTS 4096
#define SBX_REASON_MAX 160

struct sbx_idmap {
    uint32_t inside, outside, count;
};

struct sbx_mount {
    uint32_t kind;  /* SBX_MOUNT_* */
    uint32_t flags; /* SBX_MOUNT_F_* */
    uint64_t size;  /* tmpfs: size= in bytes, 0 for the kernel's default */
    int tree_fd;    /* an idmapped bind's detached tree, made by the helper (idmount.c); -1 otherwise */
    char *source;   /* "" for tmpfs */
    char *target;   /* absolute path inside the sandbox */
};

struct sbx_spec {
    uint32_t namespaces; /* CLONE_NEW* bits */
    struct sbx_idmap uid_map[SBX_MAX_MAP_LINES];
    size_t n_uid_map;
    struct sbx_idmap gid_map[SBX_MAX_MAP_LINES];
    size_t n_gid_map;
    int setgroups_deny;
    char *hostname; /* NULL when absent */
    uint32_t root;  /* SBX_ROOT_* */
    struct sbx_mount *mounts;
    size_t n_mounts;
    uint32_t features; /* SBX_FEATURE_* bits */
    char *cwd;         /* NULL when absent */
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
};

/*
 * Read header + body from fd, exactly, never past the body (commands follow on the same socket).
 * With stdio non-NULL, fd is the control socket and the header must bring exactly three
 * descriptors (SCM_RIGHTS): the command's stdin, stdout and stderr, stored in stdio[0..2].
 * Returns 0 with a malloc'd body; -1 with reason set when the bytes are not a spec;
 * -2 with errno on an I/O error.
 */
int spec_read(int fd, int *stdio, unsigned char **body, size_t *body_len, char *reason, size_t reason_cap);
/* Decode and validate a body; returns 0, or -1 with reason set. */
int spec_decode(const unsigned char *body, size_t len, struct sbx_spec *spec, char *reason, size_t reason_cap);
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
