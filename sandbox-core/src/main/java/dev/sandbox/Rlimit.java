package dev.sandbox;

import jnr.constants.platform.RLIMIT;

/**
 * The kernel's per-process resource limits ({@code setrlimit(2)}), for
 * {@link Sandbox.Builder#rlimit(Rlimit, long, long)}. Each constant is the resource of the same name
 * with the {@code RLIMIT_} prefix dropped ({@link #NOFILE} is {@code RLIMIT_NOFILE}) and knows its
 * number on the running architecture ({@link #number()}; the numbers are the same on x86_64 and
 * aarch64). The units are the kernel's: bytes for {@link #AS}, {@link #CORE}, {@link #DATA},
 * {@link #FSIZE}, {@link #MEMLOCK}, {@link #MSGQUEUE}, {@link #RSS} and {@link #STACK}; seconds for
 * {@link #CPU}; microseconds for {@link #RTTIME}; a count for the rest. See {@code getrlimit(2)}.
 */
public enum Rlimit {
    /** Address space (virtual memory) in bytes. */
    AS(RLIMIT.RLIMIT_AS),
    /** Largest core dump in bytes; 0: no core dumps. */
    CORE(RLIMIT.RLIMIT_CORE),
    /** CPU time in seconds: SIGXCPU at the soft limit, SIGKILL at the hard one. */
    CPU(RLIMIT.RLIMIT_CPU),
    /** Data segment (heap) in bytes. */
    DATA(RLIMIT.RLIMIT_DATA),
    /** Largest file the process may create or extend, in bytes: SIGXFSZ, or EFBIG when that is ignored. */
    FSIZE(RLIMIT.RLIMIT_FSIZE),
    /** File locks ({@code flock}, {@code fcntl} leases). */
    LOCKS(RLIMIT.RLIMIT_LOCKS),
    /** Memory locked into RAM ({@code mlock}), in bytes. */
    MEMLOCK(RLIMIT.RLIMIT_MEMLOCK),
    /** Bytes in POSIX message queues of the process's real uid. */
    MSGQUEUE(RLIMIT.RLIMIT_MSGQUEUE),
    /** Ceiling of the nice value, as {@code 20 - rlim}. */
    NICE(RLIMIT.RLIMIT_NICE),
    /** One more than the highest file descriptor number the process may open. */
    NOFILE(RLIMIT.RLIMIT_NOFILE),
    /** Processes and threads of the process's real uid (in the sandbox: its host uid). */
    NPROC(RLIMIT.RLIMIT_NPROC),
    /** Resident set in bytes (without effect since Linux 2.6). */
    RSS(RLIMIT.RLIMIT_RSS),
    /** Ceiling of the real-time priority. */
    RTPRIO(RLIMIT.RLIMIT_RTPRIO),
    /** CPU time in microseconds a real-time task may use without a blocking call. */
    RTTIME(RLIMIT.RLIMIT_RTTIME),
    /** Queued signals of the process's real uid. */
    SIGPENDING(RLIMIT.RLIMIT_SIGPENDING),
    /** The main thread's stack in bytes. */
    STACK(RLIMIT.RLIMIT_STACK);

    /** No limit: the kernel's {@code RLIM_INFINITY} (all bits set, -1 as a Java long). */
    public static final long UNLIMITED = -1L;

    private final RLIMIT constant;

    Rlimit(RLIMIT constant) {
        this.constant = constant;
    }

    /** The resource's number for {@code setrlimit(2)} on this machine. */
    public int number() {
        return constant.intValue();
    }

    /** The kernel's name, e.g. {@code RLIMIT_NOFILE}: what a failure's path and {@code /proc} tables say. */
    public String kernelName() {
        return "RLIMIT_" + name();
    }

    /**
     * The resource numbered {@code number}.
     *
     * @throws IllegalArgumentException for a number that is no resource
     */
    public static Rlimit of(int number) {
        for (Rlimit r : values()) {
            if (r.number() == number) {
                return r;
            }
        }
        throw new IllegalArgumentException("rlimit resource " + number);
    }
}
