package dev.sandbox.internal;

import java.util.concurrent.ThreadFactory;

/**
 * Daemon threads with the library's names ({@code sandbox-…}); a runtime's threads belong to its
 * thread group, so that it can tell them apart from another runtime's.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Threads {

    private Threads() {
    }

    /**
     * Waits on {@code lock}, which the caller holds, until {@code done} holds. An interrupt does not end
     * the wait; it is remembered and set again on the thread at the end, never lost.
     *
     * @return whether the thread was interrupted meanwhile
     */
    public static boolean awaitUninterruptibly(Object lock, java.util.function.BooleanSupplier done) {
        boolean interrupted = false;
        while (!done.getAsBoolean()) {
            try {
                lock.wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return interrupted;
    }

    /** Makes daemon threads named {@code name} in {@code group}. */
    public static ThreadFactory daemon(ThreadGroup group, String name) {
        return r -> {
            Thread t = new Thread(group, r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
