#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = read(fd, (char *)buf + done, n - done);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

ssize_t recv_message(int fd, void *buf, size_t cap, struct sbx_received *got)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 16) + CMSG_SPACE(sizeof(struct ucred))];
    } control;
    struct iovec iov = {.iov_base = buf, .iov_len = cap};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    ssize_t r;
    got->nfds = 0;
    got->sender = 0;
    do
        r = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cred;
            memcpy(&cred, CMSG_DATA(c), sizeof cred);
            got->sender = cred.pid;
        } else if (c->cmsg_type == SCM_RIGHTS) {
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; i++) {
                int passed;
                memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
                if (got->nfds < SBX_MAX_PASSED_FDS)
                    got->fds[got->nfds] = passed;
                else
                    close(passed);
                got->nfds++;
            }
        }
    }
    return r;
}

ssize_t read_full_with_fds(int fd, void *buf, size_t n, struct sbx_received *got)
{
    ssize_t r = recv_message(fd, buf, n, got);
    if (r <= 0 || (size_t)r == n)
        return r;
    ssize_t rest = read_full(fd, (char *)buf + r, n - (size_t)r);
    return rest < 0 ? -1 : r + rest;
}

/* All of buf through write(2), or send(2) with MSG_NOSIGNAL on a socket. */
static int put_all(int fd, const void *buf, size_t n, int as_send)
{
    size_t done = 0;
    while (done < n) {
        const char *p = (const char *)buf + done;
        ssize_t r = as_send ? send(fd, p, n - done, MSG_NOSIGNAL) : write(fd, p, n - done);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

int write_full(int fd, const void *buf, size_t n)
{
    return put_all(fd, buf, n, 0);
}

int send_full(int fd, const void *buf, size_t n)
{
    return put_all(fd, buf, n, 1);
}

int write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* /proc map files take the whole content in one write(); a short write is an error there. */
    ssize_t r;
    do
        r = write(fd, data, n);
    while (r < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    if (r < 0) {
        errno = saved;
        return -1;
    }
    if ((size_t)r != n) {
        errno = EIO;
        return -1;
    }
    return 0;
}
