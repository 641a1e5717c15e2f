package dev.sandbox.cgroups.internal;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits for a kernel state that has no event we could block on from plain Java (a group
 * becoming frozen or empty): checks at once, then with growing pauses (50 µs up to 5 ms), so
 * the common fast case costs microseconds and the slow case little CPU.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Poll {

    /** How long kill, freeze and removal wait by default before failing loudly. */
    public static final long DEFAULT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** A check that may read files. */
    @FunctionalInterface
    public interface Condition {
        boolean met() throws IOException;
    }

    private Poll() {
    }

    /** True once {@code condition} holds; false if it still does not at {@code deadline} ({@link System#nanoTime()}). */
    public static boolean until(Condition condition, long deadline) throws IOException {
        long pause = TimeUnit.MICROSECONDS.toNanos(50);
        while (true) {
            if (condition.met()) {
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            LockSupport.parkNanos(Math.min(pause, left));
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for a cgroup");
            }
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(5));
        }
    }
}
