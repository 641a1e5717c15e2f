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
    public static final int SPEC_VERSION = 2;
    public static final int SPEC_MAX_BODY = 64 * 1024 * 1024;

    public static final int T_NAMESPACES = 1;
    public static final int T_UID_MAP = 2;
    public static final int T_GID_MAP = 3;
    public static final int T_SETGROUPS_DENY = 4;
    public static final int T_HOSTNAME = 5;
    public static final int T_ROOT = 6;
    public static final int T_MOUNT = 7;
    public static final int T_FEATURES = 8;
    public static final int T_CWD = 9;
    public static final int T_PATH = 10;
    public static final int T_TIMEOUT_MS = 11;
    public static final int T_GRACE_MS = 12;
    public static final int T_ARG = 13;
    public static final int T_ENV = 14;
    public static final int T_CAPS = 15;
    public static final int T_SECURITY = 16;
    public static final int T_IDS = 17;
    public static final int T_SECCOMP = 18;
    public static final int T_LAST = T_SECCOMP;

    public static final int ROOT_HOST = 0;
    public static final int ROOT_READ_ONLY = 1;
    public static final int ROOT_EMPTY = 2;

    public static final int MOUNT_BIND = 1;
    public static final int MOUNT_RO_BIND = 2;
    public static final int MOUNT_TMPFS = 3;

    public static final int MOUNT_F_IDMAP = 1;

    public static final int FEATURE_PROC = 1;
    public static final int FEATURE_DEV = 1 << 1;
    public static final int FEATURE_LOOPBACK = 1 << 2;
    public static final int FEATURE_SYS = 1 << 3;
    public static final int FEATURE_RO_CGROUP = 1 << 4;

    public static final int SEC_NO_NEW_PRIVS = 1;
    public static final int SEC_NEW_SESSION = 1 << 1;
    public static final int SEC_LOCK_MOUNTS = 1 << 2;
    public static final int SEC_CLEAR_GROUPS = 1 << 3;

    public static final int FRAME_STARTED = 1;
    public static final int FRAME_ERROR = 2;
    public static final int FRAME_EXIT = 3;

    public static final int EXIT_TIMED_OUT = 1;
    public static final int EXIT_KILLED = 1 << 1;

    public static final int CMD_SIGNAL = 1;
    public static final int CMD_TERMINATE = 2;
    public static final int CMD_KILL = 3;

    private Protocol() {
    }
}
