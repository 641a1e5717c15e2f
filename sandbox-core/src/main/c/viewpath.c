#include "viewpath.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

#define MAX_SYMLINKS 40

const char *view_shown(const struct view_walk *w)
{
    return w->depth ? w->shown : "/";
}

/* Record a failure at `name` in the directory where the walk stands. */
static int fail_at(const struct view_walk *w, const char *name, const char *step, int err)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", w->shown, name) >= sizeof path)
        path[sizeof path - 1] = '\0'; /* a cut name still says where */
    return fail(step, err, path);
}

static int push(struct view_walk *w, int fd, const char *name, const char *step)
{
    size_t len = w->end[w->depth], nlen = strlen(name);
    if (w->depth == VIEW_MAX_DEPTH || len + 1 + nlen >= sizeof w->shown) {
        close(fd);
        return fail_at(w, name, step, ENAMETOOLONG);
    }
    w->shown[len] = '/';
    memcpy(w->shown + len + 1, name, nlen + 1);
    w->fd[++w->depth] = fd;
    w->end[w->depth] = len + 1 + nlen;
    return 0;
}

static void pop(struct view_walk *w)
{
    close(w->fd[w->depth--]);
    w->shown[w->end[w->depth]] = '\0';
}

void view_done(struct view_walk *w)
{
    while (w->depth > 0)
        pop(w);
}

static void start(struct view_walk *w)
{
    w->fd[0] = w->root;
    w->depth = 0;
    w->end[0] = 0;
    w->shown[0] = '\0';
}

int view_walk(struct view_walk *w, int root, const char *path, int flags, view_create_fn create, const char *step)
{
    char rest[PATH_MAX], next[PATH_MAX], link[PATH_MAX];
    int links = 0;
    w->root = root;
    start(w);
    if (strlen(path) >= sizeof rest)
        return fail(step, ENAMETOOLONG, path);
    strcpy(rest, path);
    const char *p = rest;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            return 0;
        size_t clen = strcspn(p, "/");
        char comp[NAME_MAX + 1];
        if (clen > NAME_MAX)
            return fail(step, ENAMETOOLONG, path);
        memcpy(comp, p, clen);
        comp[clen] = '\0';
        p += clen;
        const char *q = p;
        while (*q == '/')
            q++;
        int last = !*q;
        if (!strcmp(comp, "."))
            continue;
        if (!strcmp(comp, "..")) {
            if (w->depth > 0)
                pop(w);
            continue;
        }
        int fd = openat(w->fd[w->depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno != ENOENT)
                return fail_at(w, comp, step, errno);
            if (!create)
                return VIEW_ABSENT;
            fd = create(w, comp, last ? (flags & VIEW_DIR) != 0 : 1);
            if (fd == VIEW_RESTART) {
                view_done(w);
                start(w);
                strcpy(rest, path);
                p = rest;
                links = 0;
                continue;
            }
            if (fd < 0 || push(w, fd, comp, step) < 0)
                return -1;
            continue;
        }
        struct stat st;
        if (fstat(fd, &st) < 0) {
            int err = errno;
            close(fd);
            return fail_at(w, comp, step, err);
        }
        if (S_ISLNK(st.st_mode)) {
            if (!(flags & VIEW_FOLLOW)) {
                close(fd);
                return VIEW_ABSENT;
            }
            /* Read from the descriptor just opened: what it names cannot change any more. */
            ssize_t n = readlinkat(fd, "", link, sizeof link);
            int err = errno;
            close(fd);
            if (n < 0)
                return fail_at(w, comp, "readlink", err);
            if (++links > MAX_SYMLINKS)
                return fail(step, ELOOP, path);
            if ((size_t)n >= sizeof link ||
                (size_t)snprintf(next, sizeof next, "%.*s%s%s", (int)n, link, *p ? "/" : "", p) >= sizeof next)
                return fail(step, ENAMETOOLONG, path);
            strcpy(rest, next);
            p = rest;
            if (link[0] == '/')
                view_done(w); /* absolute: from the view's root, not the process's */
            continue;
        }
        if (!S_ISDIR(st.st_mode) && !last) {
            close(fd);
            return fail_at(w, comp, step, ENOTDIR);
        }
        if (push(w, fd, comp, step) < 0)
            return -1;
    }
}

int view_at(struct view_walk *w, struct mfd_at *at)
{
    if (w->depth == 0) {
        errno = EBUSY;
        return -1;
    }
    at->fd = w->fd[w->depth];
    at->dir = w->fd[w->depth - 1];
    at->name = w->shown + w->end[w->depth - 1] + 1;
    return 0;
}
