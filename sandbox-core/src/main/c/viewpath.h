/*
 * Paths inside the sandbox's view, resolved one component at a time from a held descriptor of
 * the view's root: each step is openat(dir, name, O_PATH | O_NOFOLLOW) on the directory held from
 * the step before, so a rename elsewhere cannot redirect the walk. Symlinks are read from the
 * held descriptor and resolved against the view's root, never the process's; ".." never climbs
 * above the view's root.
 */
#ifndef SBX_VIEWPATH_H
#define SBX_VIEWPATH_H

#include <limits.h>
#include <stddef.h>

#include "mountfd.h"

#define VIEW_MAX_DEPTH 128

struct view_walk {
    int root;                            /* the view's "/", borrowed */
    int fd[VIEW_MAX_DEPTH + 1];          /* fd[0] = root, fd[i] the i-th directory below it (O_PATH) */
    size_t depth;                        /* fd[depth] is where the walk stands */
    size_t end[VIEW_MAX_DEPTH + 1];      /* shown[0..end[i]) is the view path of fd[i] */
    char shown[PATH_MAX];                /* the view path of fd[depth] ("" at the root) */
};

/* Follow symlinks (within the view); without it a symlink counts as absent. */
#define VIEW_FOLLOW 1
/* Create a missing last component as a directory (else as an empty file). */
#define VIEW_DIR 2

/* Returned by a create callback after it replaced w->root: the walk starts over from there. */
#define VIEW_RESTART (-2)
/* Returned by view_walk without a create callback when a component is missing. */
#define VIEW_ABSENT 1

/*
 * Create `name` (a directory if `dir`) in the directory w->fd[w->depth] and return an O_PATH
 * descriptor of it, or -1 with the failure recorded. It may replace w->fd[w->depth] (closing the
 * old one), e.g. by a directory it mounted over it.
 */
typedef int (*view_create_fn)(struct view_walk *w, const char *name, int dir);

/*
 * Walk `path` from `root`. Returns 0 with w->fd[w->depth] the target; VIEW_ABSENT when `create`
 * is NULL and a component is missing; -1 with the failure recorded as `step` and the view path.
 * Call view_done() afterwards in every case.
 */
int view_walk(struct view_walk *w, int root, const char *path, int flags, view_create_fn create, const char *step);

/* Close what the walk holds (not the root). */
void view_done(struct view_walk *w);

/* The view path of where the walk stands ("/" at the root). */
const char *view_shown(const struct view_walk *w);

/* The walk's target as a place for a new mount; -1 (EBUSY) at the view's root. */
int view_at(struct view_walk *w, struct mfd_at *at);

#endif
