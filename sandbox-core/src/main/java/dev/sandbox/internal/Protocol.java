package dev.sandbox.internal;

/**
 * The numbers of the wire protocol between the JVM and sandbox-helper. The authoritative layout,
 * with comments, is {@code sandbox-core/src/main/c/protocol.h}; these constants mirror it, each
 * {@code SBX_NAME} there as {@code NAME} here (ProtocolContractTest holds the two to the same numbers).
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Protocol {

    public static final int SPEC_MAGIC = 0x53425853;
    public static final int SPEC_VERSION = 5;
    public static final int SPEC_MAX_BODY = 64 * 1024 * 1024;

    public static final int T_NAMESPACES = 1;
    public static final int T_UID_MAP = 2;
    public static final int T_GID_MAP = 3;
    public static final int T_SETGROUPS_DENY = 4;
    public static final int T_HOSTNAME = 5;
    public static final int T_OP = 6;
    public static final int T_LOOPBACK = 7;
    public static final int T_PATH = 8;
    public static final int T_TIMEOUT_MS = 9;
    public static final int T_GRACE_MS = 10;
    public static final int T_ARG = 11;
    public static final int T_ENV = 12;
    public static final int T_CAPS = 13;
    public static final int T_SECURITY = 14;
    public static final int T_IDS = 15;
    public static final int T_SECCOMP = 16;
    public static final int T_RLIMIT = 17;
    public static final int T_LANDLOCK = 18;
    public static final int T_LANDLOCK_RULE = 19;
    public static final int T_CPU_LIMIT = 20;
    public static final int T_CGROUP = 21;
    public static final int T_LAST = T_CGROUP;

    public static final int LANDLOCK_READ = 1;
    public static final int LANDLOCK_READ_WRITE = 2;
    public static final int LANDLOCK_READ_WRITE_FILES = 3;
    public static final int LANDLOCK_F_OPTIONAL = 1;

    public static final int OP_NEW_ROOT = 1;
    public static final int OP_MIRROR_HOST = 2;
    public static final int OP_BIND = 3;
    public static final int OP_TMPFS = 4;
    public static final int OP_PROC = 5;
    public static final int OP_DEV = 6;
    public static final int OP_SYSFS = 7;
    public static final int OP_MQUEUE = 8;
    public static final int OP_SYMLINK = 9;
    public static final int OP_MKDIR = 10;
    public static final int OP_REMOUNT_RO = 11;
    public static final int OP_MASK = 12;
    public static final int OP_SWITCH_ROOT = 13;
    public static final int OP_CHDIR = 14;
    public static final int OP_LAST = OP_CHDIR;
    public static final int OP_MAX = 4096;
    public static final int OP_MAX_PATH = 4096;

    public static final int OP_F_RO = 1;
    public static final int OP_F_IDMAP = 1 << 1;
    public static final int OP_F_RECURSIVE = 1 << 2;
    public static final int OP_F_OPTIONAL = 1 << 3;
    public static final int OP_F_IDMAP_FALLBACK = 1 << 4;

    public static final int SEC_NO_NEW_PRIVS = 1;
    public static final int SEC_NEW_SESSION = 1 << 1;
    public static final int SEC_LOCK_MOUNTS = 1 << 2;
    public static final int SEC_CLEAR_GROUPS = 1 << 3;
    public static final int SEC_NET_AHEAD = 1 << 4;

    public static final int FRAME_STARTED = 1;
    public static final int FRAME_ERROR = 2;
    public static final int FRAME_EXIT = 3;

    public static final int EXIT_TIMED_OUT = 1;
    public static final int EXIT_KILLED = 1 << 1;
    public static final int EXIT_CPU_TIME = 1 << 2;

    public static final int CMD_SIGNAL = 1;
    public static final int CMD_TERMINATE = 2;
    public static final int CMD_KILL = 3;
    public static final int CMD_RECYCLE = 4;

    private Protocol() {
    }
}
