package dev.sandbox.internal;

import dev.sandbox.SandboxException;

/**
 * How a sandboxed command ended, as the helper reported it ({@code EXIT} frame, decoded by
 * {@link Frames#exit}), or why no
 * report came ({@link #failure()} non-null: the helper itself died).
 *
 * <p><strong>Internal usage only.</strong>
 */
public record Exit(int waitStatus, int flags, long userMicros, long systemMicros, long maxRssKib,
                   SandboxException failure) {

    /** Process.exitValue(): the exit code, 128+n for signal n. */
    public int exitValue() {
        return WaitStatus.exitValue(waitStatus);
    }

    public boolean timedOut() {
        return (flags & Protocol.EXIT_TIMED_OUT) != 0;
    }

    /** The helper's CPU-time watch ended it: the limit was reached, or the command died of its RLIMIT_CPU backstop. */
    public boolean cpuTimeExceeded() {
        return (flags & Protocol.EXIT_CPU_TIME) != 0;
    }

    /** The JVM asked for the end ({@code CMD_TERMINATE} or {@code CMD_KILL}) while the command ran. */
    public boolean destroyed() {
        return (flags & Protocol.EXIT_KILLED) != 0;
    }
}
