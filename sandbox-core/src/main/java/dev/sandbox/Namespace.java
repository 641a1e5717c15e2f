package dev.sandbox;

/**
 * The Linux namespace types a sandbox can create, by their kernel names.
 *
 * <p>{@link #procName()} is the entry in {@code /proc/<pid>/ns/} that identifies the namespace a
 * process is in; two processes share a namespace exactly when those links have the same inode.
 */
public enum Namespace {
    /** Users and groups: uid/gid maps, capabilities scoped to the namespace. */
    USER(0x10000000, "user"),
    /** The mount table. */
    MOUNT(0x00020000, "mnt"),
    /** Process ids: the sandbox's first process is PID 1. */
    PID(0x20000000, "pid"),
    /** Network devices, addresses, routes, ports. */
    NET(0x40000000, "net"),
    /** Hostname and domain name. */
    UTS(0x04000000, "uts"),
    /** System V IPC and POSIX message queues. */
    IPC(0x08000000, "ipc"),
    /** The cgroup root the sandbox sees. */
    CGROUP(0x02000000, "cgroup"),
    /** The monotonic and boot-time clocks' offsets. */
    TIME(0x00000080, "time");

    private final int cloneFlag;
    private final String procName;

    Namespace(int cloneFlag, String procName) {
        this.cloneFlag = cloneFlag;
        this.procName = procName;
    }

    /** The {@code CLONE_NEW*} flag that creates this namespace. */
    public int cloneFlag() {
        return cloneFlag;
    }

    /** The name of this namespace's link in {@code /proc/<pid>/ns/}, for example {@code mnt}. */
    public String procName() {
        return procName;
    }
}
