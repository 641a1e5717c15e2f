#include "cputime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

#define MIN_CHECK_MS 3

int cputime_read(int fd, uint64_t *ns)
{
    char buf[128];
    ssize_t n;
    do
        n = pread(fd, buf, sizeof buf - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    static const char key[] = "usage_usec ";
    int usec = strncmp(buf, key, sizeof key - 1) == 0;
    const char *digits = usec ? buf + sizeof key - 1 : buf;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(digits, &end, 10);
    if (errno || end == digits || (*end != '\n' && *end != '\0') || (usec && v > UINT64_MAX / 1000)) {
        errno = EINVAL;
        return -1;
    }
    *ns = usec ? (uint64_t)v * 1000 : (uint64_t)v;
    return 0;
}

int cputime_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4096 ? 4096 : (int)n;
}

int64_t cputime_next_check_ms(uint64_t used_ns, uint64_t limit_ns, int cpus)
{
    if (used_ns >= limit_ns)
        return 0;
    /* All CPUs busy cannot reach the limit sooner than this; rounded down, so never late. */
    uint64_t ms = (limit_ns - used_ns) / (uint64_t)cpus / 1000000u;
    return ms < MIN_CHECK_MS ? MIN_CHECK_MS : ms > 86400000u ? 86400000 : (int64_t)ms;
}
