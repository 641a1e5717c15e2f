/*
 * Network namespaces: lo brought up in a new one (the child's setup step), and for a root caller a
 * namespace made ahead of time by an idle helper (off the start path) that the sandbox's first
 * process is cloned into instead of a new one, when the spec allows it (SBX_SEC_NET_AHEAD).
 */
#ifndef SBX_NETNS_H
#define SBX_NETNS_H

/* Brings lo up in the caller's network namespace (nothing to do when it is up). 0, or -1 with
   sbx_failure set (step "loopback"). */
int netns_loopback_up(void);

/*
 * As root, in an idle helper: makes a network namespace with lo up and keeps a descriptor of it, and
 * one of our own to come back to. Without privilege, or when the kernel refuses a new namespace, none
 * is made (a start then makes its own: slower, the same result). Returns -1 with sbx_failure set only
 * when we could not return to our own namespace (the helper must not go on).
 */
int netns_premake(void);

/* Whether a premade namespace waits. */
int netns_premade(void);

/* Drops the premade namespace unused (a spec that does not allow it, or wants none). */
void netns_discard(void);

/*
 * Around the clone of the sandbox's first process: enter the premade namespace so that the child is
 * created in it, and come back (then the namespace is the sandbox's alone: we keep no descriptor).
 * Both return -1 with sbx_failure set (step "setns").
 */
int netns_enter_premade(void);
int netns_leave_premade(void);

#endif
