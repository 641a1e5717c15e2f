#include "frames.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* --describe-frames: the numbers of one input line, each within [min, max]; -1 if malformed. */
static int parse_numbers(char *rest, long long *v, int n, long long min, long long max)
{
    for (int i = 0; i < n; i++) {
        char *tok = strtok(i == 0 ? rest : NULL, " "), *end; /* rest NULL: go on in the same line */
        if (!tok)
            return -1;
        errno = 0;
        v[i] = strtoll(tok, &end, 10);
        if (errno || *end || end == tok || v[i] < min || v[i] > max)
            return -1;
    }
    return 0;
}

/* Hex digits to bytes ("-" is empty); the result is a string, so a NUL byte is refused. */
static int parse_hex(const char *tok, char *out, size_t cap)
{
    if (!tok)
        return -1;
    if (strcmp(tok, "-") == 0) {
        out[0] = '\0';
        return 0;
    }
    size_t n = strlen(tok);
    if (n % 2 || n / 2 >= cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned b;
        if (!isxdigit((unsigned char)tok[2 * i]) || !isxdigit((unsigned char)tok[2 * i + 1])
            || sscanf(tok + 2 * i, "%2x", &b) != 1 || b == 0)
            return -1;
        out[i] = (char)b;
    }
    out[n / 2] = '\0';
    return 0;
}

/* Encode one line with the real frame_send_* into `fd`; 0, or -1 if the line is malformed. */
static int encode_line(int fd, char *line)
{
    static char step[SBX_ERROR_WIRE_MAX], path[SBX_ERROR_WIRE_MAX];
    long long v[5];
    char *kind = strtok(line, " "), *rest = strtok(NULL, "");
    if (!kind || !rest)
        return -1;
    if (strcmp(kind, "started") == 0) {
        if (parse_numbers(rest, v, 2, INT32_MIN, INT32_MAX) < 0 || strtok(NULL, " "))
            return -1;
        return frame_send_started(fd, (pid_t)v[0], (pid_t)v[1]) < 0 ? -2 : 0;
    }
    if (strcmp(kind, "error") == 0) {
        if (parse_numbers(rest, v, 1, INT32_MIN, INT32_MAX) < 0 || parse_hex(strtok(NULL, " "), step, sizeof step) < 0
            || parse_hex(strtok(NULL, " "), path, sizeof path) < 0 || strtok(NULL, " "))
            return -1;
        fail(step, (int)v[0], path); /* as the helper records it: step and path cut to their bounds */
        return frame_send_error(fd, &sbx_failure) < 0 ? -2 : 0;
    }
    if (strcmp(kind, "exit") == 0) {
        if (parse_numbers(rest, v, 1, INT32_MIN, INT32_MAX) < 0 || parse_numbers(NULL, v + 1, 1, 0, UINT32_MAX) < 0
            || parse_numbers(NULL, v + 2, 3, INT64_MIN, INT64_MAX) < 0 || strtok(NULL, " "))
            return -1;
        struct rusage ru = {.ru_utime = {.tv_sec = v[2] / 1000000, .tv_usec = v[2] % 1000000},
                            .ru_stime = {.tv_sec = v[3] / 1000000, .tv_usec = v[3] % 1000000},
                            .ru_maxrss = v[4]};
        return frame_send_exit(fd, (int)v[0], (uint32_t)v[1], &ru) < 0 ? -2 : 0;
    }
    return -1;
}

int frames_describe(void)
{
    /* frame_send_* send(), as on the control socket: encode into a socketpair, relay to stdout. */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        fprintf(stderr, "sandbox-helper: socketpair: %s\n", strerror(errno));
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    for (int n = 1; (len = getline(&line, &cap, stdin)) >= 0; n++) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        int rc = encode_line(sv[0], line);
        if (rc == -1) {
            fprintf(stderr, "sandbox-helper: --describe-frames: line %d: malformed (expected: started CHILD COMMAND"
                            " | error ERRNO STEP-HEX PATH-HEX | exit STATUS FLAGS UTIME STIME MAXRSS)\n", n);
            return 2;
        }
        unsigned char frame[8 + SBX_ERROR_WIRE_MAX];
        uint32_t plen;
        if (rc < 0 || read_full(sv[1], frame, 8) != 8 || (memcpy(&plen, frame + 4, 4), plen > SBX_ERROR_WIRE_MAX)
            || read_full(sv[1], frame + 8, plen) != (ssize_t)plen || write_full(STDOUT_FILENO, frame, 8 + (size_t)plen) < 0) {
            fprintf(stderr, "sandbox-helper: --describe-frames: line %d: %s\n", n, strerror(errno));
            return 1;
        }
    }
    free(line);
    return 0;
}
