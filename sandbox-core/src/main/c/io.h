/* EINTR-safe whole-buffer I/O: nothing in the helper may hang or stop half-way on a signal. */
#ifndef SBX_IO_H
#define SBX_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Read up to n bytes, stopping early only at end of file; returns bytes read or -1. */
ssize_t read_full(int fd, void *buf, size_t n);
#define SBX_MAX_PASSED_FDS 4

/* What came with a message besides its bytes. */
struct sbx_received {
    int fds[SBX_MAX_PASSED_FDS]; /* SCM_RIGHTS, received close-on-exec */
    int nfds;                    /* how many came; those beyond SBX_MAX_PASSED_FDS were closed */
    pid_t sender;                /* SCM_CREDENTIALS pid as we see it (needs SO_PASSCRED), else 0 */
};

/* One recvmsg (EINTR-safe) into buf; returns bytes or -1. */
ssize_t recv_message(int fd, void *buf, size_t cap, struct sbx_received *got);
/* Like read_full on a socket, also taking what came with the first bytes. */
ssize_t read_full_with_fds(int fd, void *buf, size_t n, struct sbx_received *got);
/* Write all n bytes; returns 0 or -1. */
int write_full(int fd, const void *buf, size_t n);
/* send() all n bytes with MSG_NOSIGNAL (a vanished JVM must not kill us with SIGPIPE). */
int send_full(int fd, const void *buf, size_t n);
/* open(O_WRONLY) + one write + close; returns 0 or -1 with errno. */
int write_file(const char *path, const void *data, size_t n);

#endif
