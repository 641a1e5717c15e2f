/*
 * The wire protocol between the JVM (dev.sandbox.internal.Spec / HelperChannel) and
 * sandbox-helper. Both ends run on the same machine, so every integer is in host byte order.
 * Any change to the layout bumps SBX_SPEC_VERSION; the Java side keeps the same numbers in
 * dev.sandbox.internal.Protocol.
 *
 * Transport: fd 3 of the helper is one end of an AF_UNIX SOCK_STREAM socketpair.
 *
 * Test modes hold the two ends to one contract: `sandbox-helper --describe-spec` decodes a spec
 * from stdin and prints it readably (SpecRoundTripTest), `--describe-frames` encodes frames
 * described as text on stdin with the real frame_send_* and writes them to stdout
 * (FramesRoundTripTest), `--describe-namespaces` prints the namespace table; ProtocolContractTest
 * parses this file against Protocol.java.
 *
 * 1. JVM -> helper, once: the spec, with SCM_RIGHTS {stdin, stdout, stderr} (and the CPU usage file
 *    when the spec has SBX_T_CPU_LIMIT) on its first bytes.
 *      u32 magic SBX_SPEC_MAGIC, u32 version SBX_SPEC_VERSION, u32 body_length,
 *      then body_length bytes of records: u16 tag, u16 zero, u32 length, payload.
 *    Strings are raw bytes (no terminator, no NUL allowed inside).
 *
 * 2. helper -> JVM: frames  u32 type, u32 length, payload.
 *      SBX_FRAME_STARTED  i32 child_pid, i32 command_pid   (host pids; equal without a pid ns;
 *                         the command reports its own pid just before exec, as SCM_CREDENTIALS)
 *      SBX_FRAME_ERROR    i32 errno, u32 n, step[n], u32 m, path[m]
 *      SBX_FRAME_EXIT     i32 wait_status (of the command, waitpid(2) encoding),
 *                         u32 flags (SBX_EXIT_*), i64 utime_us, i64 stime_us, i64 maxrss_kib
 *    Exactly one of STARTED or ERROR comes first. After ERROR the helper exits. After STARTED,
 *    EXIT comes when the command has ended and the whole tree is gone; then the helper exits,
 *    unless it was started with --reuse (the runtime's pool): then it waits for SBX_CMD_RECYCLE
 *    (any other command before it is dropped: the tree is gone), resets itself and waits for the
 *    next spec as a fresh helper does; end of file instead ends it.
 *
 * 3. JVM -> helper after the spec: frames u32 type, u32 length, payload.
 *      SBX_CMD_SIGNAL     i32 signo: deliver to the command (via PID 1 with a pid ns)
 *                         (PID 1 forwards TERM INT HUP QUIT USR1 USR2; any other signal goes
 *                          from the helper straight to the command's host pid)
 *      SBX_CMD_TERMINATE  (empty): SIGTERM to the command, SIGKILL to the tree after grace_ms
 *      SBX_CMD_KILL       (empty): SIGKILL to the whole tree now
 *      SBX_CMD_RECYCLE    (empty): after EXIT, to a --reuse helper only (see 2.)
 *    End of file on fd 3 (the JVM died or closed the sandbox) kills the whole tree.
 *    With grace_ms 0, SBX_CMD_TERMINATE and the timeout SIGKILL the tree right after SIGTERM.
 *
 * Failures before the command runs arrive as ERROR {errno, step, path}. The steps are the string
 * literals the sources pass to fail()/fail_errno() (directly or through a `const char *step`
 * parameter); dev.sandbox.internal.Step lists them with their meaning, and StepTest keeps the two
 * equal. Mount steps name the path as the sandbox sees it.
 */
#ifndef SANDBOX_PROTOCOL_H
#define SANDBOX_PROTOCOL_H

#define SBX_SPEC_MAGIC 0x53425853u /* arbitrary; rejects a stray writer on fd 3 */
#define SBX_SPEC_VERSION 5u
#define SBX_SPEC_MAX_BODY (64u * 1024u * 1024u)

/* Spec record tags. */
enum sbx_tag {
    SBX_T_NAMESPACES = 1,     /* u32: CLONE_NEW* bits; exactly once */
    SBX_T_UID_MAP = 2,        /* u32 inside, u32 outside, u32 count; repeatable */
    SBX_T_GID_MAP = 3,        /* same */
    SBX_T_SETGROUPS_DENY = 4, /* empty: write "deny" to /proc/<pid>/setgroups */
    SBX_T_HOSTNAME = 5,       /* string */
    SBX_T_OP = 6,             /* one setup operation (below); repeatable, executed in order */
    SBX_T_LOOPBACK = 7,       /* empty: bring lo up (new net ns); at most once */
    SBX_T_PATH = 8,           /* string: the PATH searched when argv[0] has no '/'; exactly once */
    SBX_T_TIMEOUT_MS = 9,     /* u64: wall-clock limit, 0 = none */
    SBX_T_GRACE_MS = 10,      /* u64: SIGTERM -> SIGKILL grace period */
    SBX_T_ARG = 11,           /* string; repeatable, in order; at least one */
    SBX_T_ENV = 12,           /* string "NAME=value"; repeatable, in order */
    SBX_T_CAPS = 13,          /* u64: capabilities kept after exec (bit n = capability n); absent = none */
    SBX_T_SECURITY = 14,      /* u32 SBX_SEC_* bits; at most once */
    SBX_T_IDS = 15,           /* u32 uid, u32 gid: the ids (inside the user ns) the command runs as; at most once */
    SBX_T_SECCOMP = 16,       /* struct sock_filter[] (8 bytes each, 1..4096): installed right before execve */
    SBX_T_RLIMIT = 17,        /* u32 resource (RLIMIT_*), u32 zero, u64 soft, u64 hard (RLIM_INFINITY: all ones);
                                 soft <= hard; repeatable, at most one per resource; set by the command's own
                                 process right before exec (setrlimit) */
    SBX_T_LANDLOCK = 18,      /* u32 flags (0): Landlock on, file access only beneath the rules below; at most once */
    SBX_T_LANDLOCK_RULE = 19, /* u32 access (SBX_LANDLOCK_*), u32 flags (SBX_LANDLOCK_F_*), path (as the sandbox sees
                                 it, absolute); repeatable; only with SBX_T_LANDLOCK */
    SBX_T_CPU_LIMIT = 20,     /* u64 limit_ns (> 0): CPU time of the whole sandbox, read from the cgroup file
                                 passed as a 4th SCM_RIGHTS fd with the stdio (v1 cpuacct.usage or v2 cpu.stat);
                                 the monitor kills the tree when it reaches limit_ns. Its per-process backstop
                                 is an SBX_T_RLIMIT record for RLIMIT_CPU that the JVM adds; at most once */
    SBX_T_CGROUP = 21,        /* string: absolute path of the cgroup v2 directory the sandbox's first process
                                 is created in (clone3 CLONE_INTO_CGROUP; where the kernel lacks that, its pid
                                 is written into the directory's cgroup.procs before it runs); at most once */
};
#define SBX_T_LAST SBX_T_CGROUP

/*
 * Landlock (landlock.c): the helper handles every file system right the kernel's ABI knows, opens each
 * rule's path with O_PATH in the final view and allows beneath it (a file gets only the rights that
 * apply to files); the command's process restricts itself just before exec, before seccomp.
 */
enum sbx_landlock_access {
    SBX_LANDLOCK_READ = 1,        /* execute, read files, list directories */
    SBX_LANDLOCK_READ_WRITE = 2,  /* every handled right */
    SBX_LANDLOCK_READ_WRITE_FILES = 3, /* read, plus writing existing files and device ioctls (/dev, /proc) */
};
enum sbx_landlock_flag {
    SBX_LANDLOCK_F_OPTIONAL = 1u << 0, /* a missing path is skipped */
};

/*
 * Setup operations (SBX_T_OP): the sandbox's file system view and working directory as an ordered
 * list, built by the JVM (dev.sandbox.internal.SetupPlan, where every cross-field rule lives) and
 * executed in order by the child (mounts.c). Payload:
 *     u32 kind (SBX_OP_*), u32 flags (SBX_OP_F_*), u64 size, u32 mode, u32 n, source[n], u32 m, target[m]
 * Targets are absolute paths in the sandbox's view (no "." or ".." component, shorter than
 * SBX_OP_MAX_PATH); a target is created in the view (never on the host) when missing. What each
 * kind takes is fixed (spec.c op_kinds, Spec.Op): a field a kind does not take must be 0 or empty.
 * A failing operation is reported with its name as the step and its target as the path (a bind
 * whose source cannot be opened: the source; mirror-host: the entry).
 * The helper checks structure and safety only: every kind but chdir needs CLONE_NEWNS, idmap needs
 * CLONE_NEWUSER; new-root only as the first operation and then with a switch-root later;
 * mirror-host only after new-root; after switch-root or chdir only chdir.
 */
enum sbx_op_kind {
    SBX_OP_NEW_ROOT = 1,    /* target "/": stage an empty tmpfs as the view's root (the host stays reachable
                               for sources until switch-root) */
    SBX_OP_MIRROR_HOST = 2, /* target "/", source: top-level names to leave out, separated by '/' ("proc/dev");
                               the host's top level in the new root: entries bound (recursively), symlinks copied */
    SBX_OP_BIND = 3,        /* source: absolute host path; a recursive bind */
    SBX_OP_TMPFS = 4,       /* size (bytes, 0: the kernel's default), mode; nosuid, nodev */
    SBX_OP_PROC = 5,        /* a fresh procfs (nosuid, nodev, noexec) */
    SBX_OP_DEV = 6,         /* a minimal /dev: a few host devices, links, devpts, shm */
    SBX_OP_SYSFS = 7,       /* a fresh read-only sysfs (the net ns's devices) */
    SBX_OP_MQUEUE = 8,      /* a fresh mqueue file system */
    SBX_OP_SYMLINK = 9,     /* source: the link's text */
    SBX_OP_MKDIR = 10,      /* mode */
    SBX_OP_REMOUNT_RO = 11, /* the target's mount read-only ("/": the root's own mount; else bound onto itself) */
    SBX_OP_MASK = 12,       /* a file covered by /dev/null, a directory by an empty read-only tmpfs */
    SBX_OP_SWITCH_ROOT = 13, /* target "/": enter the new root, detach the host's */
    SBX_OP_CHDIR = 14,      /* the working directory */
};
#define SBX_OP_LAST SBX_OP_CHDIR
#define SBX_OP_MAX 4096     /* operations per spec */
#define SBX_OP_MAX_PATH 4096 /* a source or target is shorter than this */

enum sbx_op_flag {
    SBX_OP_F_RO = 1u << 0,        /* bind, mirror-host: read-only (recursively) */
    SBX_OP_F_IDMAP = 1u << 1,     /* bind: an idmapped mount (made by the helper, outside the user ns) showing
                                     the source's owner as the sandbox's uid/gid */
    SBX_OP_F_RECURSIVE = 1u << 2, /* remount-ro: every mount below too */
    SBX_OP_F_OPTIONAL = 1u << 3,  /* remount-ro, mask: a missing target is skipped */
    SBX_OP_F_IDMAP_FALLBACK = 1u << 4, /* bind with idmap: a file system that cannot be idmapped (EINVAL,
                                          e.g. tmpfs before Linux 6.3, sysfs, 9p) gets a plain bind */
};

enum sbx_security {
    SBX_SEC_NO_NEW_PRIVS = 1u << 0, /* prctl(PR_SET_NO_NEW_PRIVS) before exec */
    SBX_SEC_NEW_SESSION = 1u << 1,  /* setsid(): no controlling terminal, own session */
    SBX_SEC_LOCK_MOUNTS = 1u << 2,  /* a nested user namespace once the view is built: every mount locked */
    SBX_SEC_CLEAR_GROUPS = 1u << 3, /* setgroups(0, NULL): drop the caller's supplementary groups */
    SBX_SEC_NET_AHEAD = 1u << 4,    /* with CLONE_NEWNET: a network namespace the helper made before the spec came
                                       (started with --net-ahead, as root; lo up) may serve instead of a new one.
                                       It belongs to the helper's user namespace, so nothing in the sandbox has a
                                       capability over it (no interface, route or sysctl changes, no fresh sysfs):
                                       the JVM allows it only where that changes nothing (netns.c, SetupPlan) */
};

enum sbx_frame {
    SBX_FRAME_STARTED = 1,
    SBX_FRAME_ERROR = 2,
    SBX_FRAME_EXIT = 3,
};

enum sbx_exit_flag {
    SBX_EXIT_TIMED_OUT = 1u << 0, /* the wall-clock limit ended it */
    SBX_EXIT_KILLED = 1u << 1,    /* the JVM asked for termination */
    SBX_EXIT_CPU_TIME = 1u << 2,  /* the CPU-time watch ended it (SBX_T_CPU_LIMIT reached, or the command died of
                                     SIGXCPU from its backstop) */
};

enum sbx_command {
    SBX_CMD_SIGNAL = 1,
    SBX_CMD_TERMINATE = 2,
    SBX_CMD_KILL = 3,
    SBX_CMD_RECYCLE = 4, /* (empty), only after EXIT to a --reuse helper: the JVM sends nothing more for this
                            sandbox; the next spec may follow */
};

#endif
