#include "error.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

struct sbx_error sbx_failure;

static void copy_bounded(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

int fail(const char *step, int err, const char *path)
{
    sbx_failure.err = err;
    copy_bounded(sbx_failure.step, sizeof sbx_failure.step, step);
    copy_bounded(sbx_failure.path, sizeof sbx_failure.path, path);
    return -1;
}

int fail_errno(const char *step, const char *path)
{
    return fail(step, errno, path);
}

size_t error_encode(const struct sbx_error *e, unsigned char *buf)
{
    int32_t err = e->err;
    uint32_t n = (uint32_t)strlen(e->step), m = (uint32_t)strlen(e->path);
    size_t off = 0;
    memcpy(buf + off, &err, 4), off += 4;
    memcpy(buf + off, &n, 4), off += 4;
    memcpy(buf + off, e->step, n), off += n;
    memcpy(buf + off, &m, 4), off += 4;
    memcpy(buf + off, e->path, m), off += m;
    return off;
}

int error_decode(const unsigned char *buf, size_t len, struct sbx_error *e)
{
    int32_t err;
    uint32_t n, m;
    if (len < 12)
        return -1;
    memcpy(&err, buf, 4);
    memcpy(&n, buf + 4, 4);
    if (n >= SBX_STEP_MAX || len < 8 + (size_t)n + 4)
        return -1;
    memcpy(&m, buf + 8 + n, 4);
    if (m >= SBX_ERRPATH_MAX || len != 12 + (size_t)n + m)
        return -1;
    e->err = err;
    memcpy(e->step, buf + 8, n);
    e->step[n] = '\0';
    memcpy(e->path, buf + 12 + n, m);
    e->path[m] = '\0';
    return 0;
}

void error_exit_to_pipe(int fd)
{
    unsigned char buf[SBX_ERROR_WIRE_MAX];
    size_t n = error_encode(&sbx_failure, buf);
    /* One write: the helper reads until EOF, nothing else writes while we fail. */
    write_full(fd, buf, n);
    _exit(127);
}
