#include "frames.h"

#include <string.h>

#include "io.h"
#include "protocol.h"

/* Header and payload go out in one send() so the JVM never sees half a frame from a dying helper. */
static int frame_send(int fd, uint32_t type, const void *payload, uint32_t len)
{
    unsigned char buf[8 + SBX_ERROR_WIRE_MAX];
    if (len > sizeof buf - 8)
        return -1;
    memcpy(buf, &type, 4);
    memcpy(buf + 4, &len, 4);
    memcpy(buf + 8, payload, len);
    return send_full(fd, buf, 8 + (size_t)len);
}

int frame_send_started(int fd, pid_t child_pid, pid_t command_pid)
{
    int32_t p[2] = {(int32_t)child_pid, (int32_t)command_pid};
    return frame_send(fd, SBX_FRAME_STARTED, p, sizeof p);
}

int frame_send_error(int fd, const struct sbx_error *e)
{
    unsigned char payload[SBX_ERROR_WIRE_MAX];
    size_t n = error_encode(e, payload);
    return frame_send(fd, SBX_FRAME_ERROR, payload, (uint32_t)n);
}

static int64_t timeval_us(const struct timeval *tv)
{
    return (int64_t)tv->tv_sec * 1000000 + tv->tv_usec;
}

int frame_send_exit(int fd, int wait_status, uint32_t flags, const struct rusage *ru)
{
    unsigned char p[32];
    int32_t st = wait_status;
    int64_t utime = timeval_us(&ru->ru_utime), stime = timeval_us(&ru->ru_stime);
    int64_t maxrss = ru->ru_maxrss; /* Linux reports KiB */
    memcpy(p, &st, 4);
    memcpy(p + 4, &flags, 4);
    memcpy(p + 8, &utime, 8);
    memcpy(p + 16, &stime, 8);
    memcpy(p + 24, &maxrss, 8);
    return frame_send(fd, SBX_FRAME_EXIT, p, sizeof p);
}
