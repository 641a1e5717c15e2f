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

    /** Makes daemon threads named {@code name} in {@code group}. */
    public static ThreadFactory daemon(ThreadGroup group, String name) {
        return r -> {
            Thread t = new Thread(group, r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
