package dev.sandbox;

/**
 * The kernel's capabilities, by their names without {@code CAP_} and in the kernel's numbering
 * ({@link #number()} is the bit in {@code /proc/<pid>/status}' {@code CapEff} and friends).
 *
 * <p>A sandboxed command has none of them after exec: its bounding, permitted, effective,
 * inheritable and ambient sets are empty. {@link Sandbox.Builder#keepCapabilities(Capability...)}
 * keeps the listed ones, like bubblewrap's {@code --cap-add}. Inside a user namespace a kept
 * capability is a capability over that namespace only (its mounts, its network namespace), never
 * over the host; the sandbox's mounts stay locked even with {@link #SYS_ADMIN}.
 */
public enum Capability {
    CHOWN,
    DAC_OVERRIDE,
    DAC_READ_SEARCH,
    FOWNER,
    FSETID,
    KILL,
    SETGID,
    SETUID,
    SETPCAP,
    LINUX_IMMUTABLE,
    NET_BIND_SERVICE,
    NET_BROADCAST,
    NET_ADMIN,
    NET_RAW,
    IPC_LOCK,
    IPC_OWNER,
    SYS_MODULE,
    SYS_RAWIO,
    SYS_CHROOT,
    SYS_PTRACE,
    SYS_PACCT,
    SYS_ADMIN,
    SYS_BOOT,
    SYS_NICE,
    SYS_RESOURCE,
    SYS_TIME,
    SYS_TTY_CONFIG,
    MKNOD,
    LEASE,
    AUDIT_WRITE,
    AUDIT_CONTROL,
    SETFCAP,
    MAC_OVERRIDE,
    MAC_ADMIN,
    SYSLOG,
    WAKE_ALARM,
    BLOCK_SUSPEND,
    AUDIT_READ,
    PERFMON,
    BPF,
    CHECKPOINT_RESTORE;

    /** The kernel's number for this capability ({@code CAP_SYS_ADMIN} is 21). */
    public int number() {
        return ordinal();
    }
}
