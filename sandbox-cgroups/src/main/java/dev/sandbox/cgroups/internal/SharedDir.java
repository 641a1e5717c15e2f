package dev.sandbox.cgroups.internal;

import dev.sandbox.cgroups.CgroupException;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A directory that this JVM's groups share (the {@code jvm-<pid>-<start>} directory of one
 * hierarchy): made when the first group needs it, removed {@link #LINGER_MILLIS} after the last
 * one closed — so a loop of create/close does not pay an extra mkdir and rmdir per hierarchy
 * each time (≈ 0.2 ms on five v1 hierarchies), and yet nothing stays once the JVM is idle.
 * A shutdown hook, registered with the first directory, removes idle directories at exit, unless
 * a library that closes groups in its own hook took that over ({@link #takeOverExit()}); what a
 * killed JVM leaves, the next one sweeps ({@link Sweeper}).
 *
 * <p>Per directory, one lock covers making, setting up and removing it; creating and removing
 * the groups inside runs outside that lock.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class SharedDir {

    /** How long an unused directory stays for the next group. */
    public static final long LINGER_MILLIS = 1000;

    private static final ConcurrentHashMap<Path, SharedDir> ALL = new ConcurrentHashMap<>();
    private static final ScheduledThreadPoolExecutor TIMER;

    static {
        TIMER = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sandbox-cgroups-linger");
            t.setDaemon(true);
            return t;
        });
        TIMER.setKeepAliveTime(5, TimeUnit.SECONDS);
        TIMER.allowCoreThreadTimeOut(true);
        TIMER.setRemoveOnCancelPolicy(true);
    }

    /** The exit hook: registered with the first directory made, unless taken over first. */
    private static Thread exitHook;
    private static boolean exitTakenOver;

    private static synchronized void registerExitHook() {
        if (exitHook == null && !exitTakenOver) {
            exitHook = new Thread(SharedDir::removeIdle, "sandbox-cgroups-exit");
            try {
                Runtime.getRuntime().addShutdownHook(exitHook);
            } catch (IllegalStateException exiting) {
                // the JVM is already exiting: the caller's own close removes what it made
            }
        }
    }

    /**
     * From now on the caller runs {@link #removeIdle()} at exit, after closing its groups, in its own
     * shutdown hook; this library registers none (and removes its own if it had registered one), so
     * that no hook of ours can run before the caller's groups are gone.
     */
    public static synchronized void takeOverExit() {
        exitTakenOver = true;
        if (exitHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(exitHook);
            } catch (IllegalStateException exiting) {
                // already running: harmless, removeIdle() only removes what is idle
            }
            exitHook = null;
        }
    }

    /** Set-up run while holding the directory's lock, with each acquisition. */
    @FunctionalInterface
    public interface Setup {
        /**
         * @param dir   the directory, existing
         * @param fresh whether this acquisition made it: any state kept in {@link SharedDir#state} is gone
         */
        void run(SharedDir dir, boolean fresh) throws CgroupException;
    }

    private final Path path;
    private CgroupFs fs;
    private int users;
    private boolean exists;
    private long generation;
    private Object state;

    private SharedDir(Path path) {
        this.path = path;
    }

    /** The one instance for {@code path} in this JVM. */
    public static SharedDir of(Path path) {
        return ALL.computeIfAbsent(path, SharedDir::new);
    }

    public Path path() {
        return path;
    }

    /** What the set-up recorded about the directory (its enabled controllers, its cpuset.mems). */
    public synchronized Object state() {
        return state;
    }

    public synchronized void state(Object value) {
        this.state = value;
    }

    /**
     * Makes the directory unless it is there, runs {@code setup}, and counts one more user.
     * Throws the {@link IOException} of a failed {@code mkdir} (ENOENT: the parent is gone).
     */
    public synchronized void acquire(CgroupFs fs, Setup setup) throws IOException {
        boolean fresh = !exists;
        if (fresh) {
            registerExitHook();
            state = null;
            try {
                fs.mkdir(path);
            } catch (FileAlreadyExistsException leftByUs) {
                // a removal that failed earlier in this JVM: reuse it, set up from scratch
            }
            exists = true;
            this.fs = fs;
        }
        generation++;
        if (setup != null) {
            try {
                setup.run(this, fresh);
            } catch (CgroupException e) {
                if (fresh && users == 0) {
                    removeNow();
                }
                throw e;
            }
        }
        users++;
    }

    /** Counts one user less; when none is left, the directory goes after {@link #LINGER_MILLIS}. */
    public synchronized void release() {
        if (users <= 0) {
            throw new IllegalStateException("release of " + path + " without acquire");
        }
        if (--users == 0) {
            long idleSince = generation;
            TIMER.schedule(() -> removeIfIdle(idleSince), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The directory vanished from outside (a leaf mkdir in it said ENOENT): counts the caller
     * out and forgets it, so the next acquire makes it again.
     */
    public synchronized void releaseVanished() {
        users = Math.max(0, users - 1);
        exists = false;
        state = null;
    }

    private synchronized void removeIfIdle(long idleSince) {
        if (users == 0 && exists && generation == idleSince) {
            removeNow();
        }
    }

    private void removeNow() {
        state = null;
        exists = false;
        try {
            fs.rmdir(path);
        } catch (NoSuchFileException gone) {
            // removed from outside: fine
        } catch (IOException e) {
            // EBUSY: someone made a group in it by hand; the next JVM's sweep takes it
        }
    }

    /** Removes every directory no group uses now; at JVM exit, and for tests that need it now. */
    public static void removeIdle() {
        for (SharedDir d : ALL.values()) {
            synchronized (d) {
                if (d.users == 0 && d.exists) {
                    d.removeNow();
                }
            }
        }
    }
}
