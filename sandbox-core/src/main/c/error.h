/*
 * The failure record {step, errno, path}: every step that can fail before the command runs
 * fills it, and it travels child -> helper over the error pipe and helper -> JVM in an ERROR frame.
 */
#ifndef SBX_ERROR_H
#define SBX_ERROR_H

#include <stddef.h>

#define SBX_STEP_MAX 32
#define SBX_ERRPATH_MAX 4096
/* errno + length-prefixed step + length-prefixed path */
#define SBX_ERROR_WIRE_MAX (4 + 4 + SBX_STEP_MAX + 4 + SBX_ERRPATH_MAX)

struct sbx_error {
    int err;
    char step[SBX_STEP_MAX];
    char path[SBX_ERRPATH_MAX];
};

/* The failure of this process; single-threaded, and each forked process has its own copy. */
extern struct sbx_error sbx_failure;

/* Record a failure and return -1, so callers can write `return fail(...)`. */
int fail(const char *step, int err, const char *path);
/* Same with the current errno. */
int fail_errno(const char *step, const char *path);

/* Encode as  i32 errno, u32 n, step[n], u32 m, path[m]  (the ERROR frame payload). */
size_t error_encode(const struct sbx_error *e, unsigned char *buf);
/* Decode; returns 0, or -1 if the bytes are not one whole record. */
int error_decode(const unsigned char *buf, size_t len, struct sbx_error *e);

/* Child side: write sbx_failure to the error pipe and _exit(127). */
__attribute__((noreturn)) void error_exit_to_pipe(int fd);

#endif
