/* EINTR-safe whole-buffer I/O: nothing in the helper may hang or stop half-way on a signal. */
#ifndef SBX_IO_H
#define SBX_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Read up to n bytes, stopping early only at end of file; returns bytes read or -1. */
ssize_t read_full(int fd, void *buf, size_t n);
/*
 * Like read_full, on a socket, also taking the descriptors passed with the first bytes
 * (SCM_RIGHTS, received close-on-exec): up to max_fds go to fds, *nfds says how many came;
 * any beyond max_fds are closed and counted.
 */
ssize_t read_full_with_fds(int fd, void *buf, size_t n, int *fds, int max_fds, int *nfds);
/* Write all n bytes; returns 0 or -1. */
int write_full(int fd, const void *buf, size_t n);
/* send() all n bytes with MSG_NOSIGNAL (a vanished JVM must not kill us with SIGPIPE). */
int send_full(int fd, const void *buf, size_t n);
/* open(O_WRONLY) + one write + close; returns 0 or -1 with errno. */
int write_file(const char *path, const void *data, size_t n);

#endif
