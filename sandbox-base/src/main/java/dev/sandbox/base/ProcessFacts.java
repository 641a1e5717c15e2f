package dev.sandbox.base;

import jnr.constants.platform.RLIMIT;

/**
 * Facts about this JVM's process, each got one way: the pid from the JDK, the effective ids and
 * rlimits from the kernel through {@link Posix}.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class ProcessFacts {

    /** {@code RLIM_INFINITY} as a Java long: the kernel's all-ones value. */
    public static final long RLIM_INFINITY = -1L;

    private static final long PID = ProcessHandle.current().pid();

    private ProcessFacts() {
    }

    /** This JVM's pid. */
    public static long pid() {
        return PID;
    }

    /** The effective uid ({@code geteuid(2)}). */
    public static int euid() {
        return Posix.get().geteuid();
    }

    /** The effective gid ({@code getegid(2)}). */
    public static int egid() {
        return Posix.get().getegid();
    }

    /** Whether this process runs as root (euid 0). */
    public static boolean root() {
        return euid() == 0;
    }

    /**
     * The hard limit of {@code resource} ({@code getrlimit(2)}'s {@code rlim_max});
     * {@link #RLIM_INFINITY} when unlimited.
     *
     * @throws IllegalStateException when the kernel refuses (an unknown resource: EINVAL)
     */
    public static long hardRlimit(RLIMIT resource) {
        return rlimit(resource)[1];
    }

    /** The soft limit of {@code resource} ({@code rlim_cur}); {@link #RLIM_INFINITY} when unlimited. */
    public static long softRlimit(RLIMIT resource) {
        return rlimit(resource)[0];
    }

    private static long[] rlimit(RLIMIT resource) {
        if (!resource.defined()) {
            throw new IllegalStateException(resource + " is not defined on this platform");
        }
        long[] lim = new long[2];
        if (Posix.get().getrlimit(resource.intValue(), lim) != 0) {
            throw new IllegalStateException("getrlimit(" + resource + "): " + Errno.describe(Posix.errno()));
        }
        return lim;
    }
}
