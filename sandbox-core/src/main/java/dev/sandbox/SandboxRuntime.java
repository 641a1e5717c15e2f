package dev.sandbox;

import dev.sandbox.cgroups.Cgroups;
import dev.sandbox.internal.Backstop;
import dev.sandbox.internal.CgroupedHelpers;
import dev.sandbox.internal.HelperPool;
import dev.sandbox.internal.Reaper;
import dev.sandbox.base.Checks;
import dev.sandbox.internal.Threads;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What running sandboxes needs besides their settings, owned in one place: the helpers started
 * ahead of time, the helpers already placed in fresh cgroups (per kind of limits), the thread that
 * waits for every sandbox (the reaper), the timer that watches helpers past their timeout, the
 * threads that drain {@code run()}'s output and remove cgroups, and the default cgroup factory
 * ({@link Cgroups#detect()}, made on first use).
 *
 * <p>Most programs never name one: every {@link Sandbox} uses {@link #defaultRuntime()} unless
 * {@link Sandbox.Builder#runtime(SandboxRuntime)} picks another. A runtime of one's own serves
 * code that must end everything it started at a point of its choosing (a test, a plugin being
 * unloaded), or wants other pool sizes:
 *
 * <pre>{@code
 * try (SandboxRuntime rt = SandboxRuntime.builder().prespawnHelpers(0).sparesPerKind(0).build()) {
 *     Sandbox s = Sandbox.builder().pidNs().runtime(rt).build();
 *     s.run("true");
 * } // every sandbox of rt is killed, its helpers reaped, its groups removed, its threads ended
 * }</pre>
 *
 * <p>{@link #close()} kills the process trees of its sandboxes that still run, waits until their
 * helpers are reaped, closes the JVM's ends of their stdio pipes, ends its idle helpers, removes the cgroups it created and stops its threads;
 * a start on a closed runtime throws {@link IllegalStateException}. The library has one shutdown
 * hook, which closes every runtime still open at JVM exit, the default one included. Threads are
 * started when first needed and the pools' threads end after a few idle seconds; a runtime that
 * runs nothing holds none but its reaper.
 *
 * <p>Shared by all runtimes of a JVM: the range of host uids that root callers' sandboxes run
 * under (one per running sandbox, whichever runtime started it), and the helper executable.
 *
 * <p>Thread-safe.
 */
public final class SandboxRuntime implements AutoCloseable {

    /** The system property that sets the default runtime's {@link Builder#prespawnHelpers(int)} (default 1). */
    public static final String PRESPAWN_PROPERTY = "sandbox.helper.prespawn";

    private static final AtomicInteger IDS = new AtomicInteger();
    /** Runtimes not closed yet, for the shutdown hook. */
    private static final Set<SandboxRuntime> OPEN = new LinkedHashSet<>();
    private static Thread hook;

    private static final class Default {
        static final SandboxRuntime INSTANCE = new SandboxRuntime(settings(), "default");

        private static Builder settings() {
            int prespawn = Integer.getInteger(PRESPAWN_PROPERTY, 1);
            try {
                return new Builder().prespawnHelpers(prespawn);
            } catch (IllegalArgumentException e) {
                IllegalArgumentException bad = Checks.invalid(PRESPAWN_PROPERTY, "got " + prespawn, "0..64");
                bad.initCause(e);
                throw bad;
            }
        }
    }

    private final String name;
    private final int prespawnHelpers;
    private final int sparesPerKind;
    private final int kindsKept;
    private final ThreadGroup threads;
    private final HelperPool helpers;
    private final CgroupedHelpers placed;
    private final Reaper reaper;
    private final Backstop backstop;
    private final ThreadPoolExecutor drain;
    private volatile Cgroups cgroups;

    private final Object lock = new Object();
    private final Set<SandboxedProcess> running = new LinkedHashSet<>();
    private int starting;
    private boolean closed;
    private boolean closeDone;

    private SandboxRuntime(Builder b, String name) {
        this.name = name;
        this.prespawnHelpers = b.prespawnHelpers;
        this.sparesPerKind = b.sparesPerKind;
        this.kindsKept = b.kindsKept;
        this.threads = new ThreadGroup("sandbox-runtime-" + name);
        this.helpers = new HelperPool(prespawnHelpers, Threads.daemon(threads, "sandbox-prespawn"));
        this.placed = new CgroupedHelpers(helpers, sparesPerKind, kindsKept, threads);
        this.reaper = new Reaper(Threads.daemon(threads, "sandbox-reaper"));
        this.backstop = new Backstop(Threads.daemon(threads, "sandbox-backstop"));
        this.drain = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
                new java.util.concurrent.SynchronousQueue<>(), Threads.daemon(threads, "sandbox-stderr-drain"));
        register(this);
    }

    /**
     * The runtime every {@link Sandbox} uses unless its builder picked another; made on first use,
     * closed by the library's shutdown hook. Its {@link Builder#prespawnHelpers(int)} comes from the
     * system property {@value #PRESPAWN_PROPERTY} (default 1), the rest are the builder's defaults.
     * Closing it is allowed; sandboxes that use it fail to start from then on.
     */
    public static SandboxRuntime defaultRuntime() {
        return Default.INSTANCE;
    }

    /** A builder with the default settings. */
    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a new runtime; each is validated when set. */
    public static final class Builder {
        private int prespawnHelpers = 1;
        private int sparesPerKind = 2;
        private int kindsKept = 8;

        Builder() {
        }

        /**
         * Helpers started ahead of time, at least (default 1): a start takes a ready helper instead
         * of spawning one, and once the sandbox has ended (its whole tree gone) the helper serves
         * the next start. The runtime keeps up to 16 more while the demand lasts (as many as were
         * busy at once lately). 0: none, every start spawns its helper, which exits with its sandbox.
         *
         * @throws IllegalArgumentException outside 0 to 64
         */
        public Builder prespawnHelpers(int count) {
            this.prespawnHelpers = check("prespawnHelpers", count, 64);
            return this;
        }

        /**
         * Helpers kept already placed in a fresh cgroup, per kind of limits (default 2): the start
         * of a sandbox with limits then needs no cgroup operation. 0: none, each start makes its
         * group and moves its helper in (milliseconds of the kernel's cgroup lock).
         *
         * @throws IllegalArgumentException outside 0 to 16
         */
        public Builder sparesPerKind(int count) {
            this.sparesPerKind = check("sparesPerKind", count, 16);
            return this;
        }

        /**
         * How many kinds of limits (the most recently started, per cgroup factory) keep spares
         * (default 8). 0: none.
         *
         * @throws IllegalArgumentException outside 0 to 64
         */
        public Builder kindsKept(int count) {
            this.kindsKept = check("kindsKept", count, 64);
            return this;
        }

        private static int check(String setting, int value, int max) {
            return (int) Checks.inRange(setting, value, 0, max, "");
        }

        /** A new, open runtime; close it when done. */
        public SandboxRuntime build() {
            return new SandboxRuntime(this, Integer.toString(IDS.incrementAndGet()));
        }
    }

    /** Helpers started ahead of time, at least. */
    public int prespawnHelpers() {
        return prespawnHelpers;
    }

    /** Helpers kept placed in a fresh cgroup per kind of limits. */
    public int sparesPerKind() {
        return sparesPerKind;
    }

    /** Kinds of limits that keep spares. */
    public int kindsKept() {
        return kindsKept;
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Sandboxes of this runtime that have been started and whose helper is not reaped yet. */
    public int running() {
        synchronized (lock) {
            return running.size();
        }
    }

    /**
     * Kills the process tree of every sandbox of this runtime that still runs, waits until its
     * helper is reaped and closes its streams ({@link SandboxedProcess#close()}); ends the idle helpers; removes the cgroups this runtime created (spares and
     * sandboxes' groups alike) and waits for removals under way; stops the runtime's threads.
     * Starts after this throw {@link IllegalStateException}. Idempotent; a second call returns once
     * the first is done.
     */
    @Override
    public void close() {
        List<SandboxedProcess> toKill;
        synchronized (lock) {
            if (closed) {
                awaitCloseDone();
                return;
            }
            closed = true;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            boolean interrupted = false;
            while (starting > 0 && deadline - System.nanoTime() > 0) {
                try {
                    lock.wait(100);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            toKill = new ArrayList<>(running);
        }
        try {
            for (SandboxedProcess p : toKill) {
                p.destroyForcibly();
            }
            for (SandboxedProcess p : toKill) {
                if (!p.awaitSettled(5000)) {
                    // The helper does not answer: kill it; the reaper then sees its socket close.
                    p.killUnresponsiveHelper();
                    p.awaitSettled(5000);
                }
                p.closeStreams(); // the JVM's ends of its pipes: nothing of the sandbox stays open
            }
            placed.close();    // spares retired, removals of ended sandboxes' groups awaited
            helpers.close();   // idle helpers end and are reaped
            reaper.close();
            backstop.close();
            drain.shutdown();
            try {
                drain.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Cgroups.removeIdleDirectories(); // this JVM's marker directories, if no other runtime uses them
        } finally {
            unregister(this);
            synchronized (lock) {
                closeDone = true;
                lock.notifyAll();
            }
        }
    }

    private void awaitCloseDone() {
        Threads.awaitUninterruptibly(lock, () -> closeDone);
    }

    @Override
    public String toString() {
        return "SandboxRuntime[" + name + (isClosed() ? ", closed" : "") + ", prespawnHelpers=" + prespawnHelpers
                + ", sparesPerKind=" + sparesPerKind + ", kindsKept=" + kindsKept + "]";
    }

    // --- for Sandbox and SandboxedProcess ---

    /** Counts a start in; throws if the runtime is closed. Pair with {@link #endStart()}. */
    void beginStart() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("runtime " + name + " is closed: " + this
                        + "; start sandboxes on an open SandboxRuntime (build a new one, or the default)");
            }
            starting++;
        }
    }

    void endStart() {
        synchronized (lock) {
            starting--;
            lock.notifyAll();
        }
    }

    /** A sandbox started by this runtime; called before its start returns. */
    void track(SandboxedProcess p) {
        synchronized (lock) {
            running.add(p);
        }
    }

    /** Its helper is reaped. */
    void untrack(SandboxedProcess p) {
        synchronized (lock) {
            running.remove(p);
        }
    }

    HelperPool helpers() {
        return helpers;
    }

    CgroupedHelpers placed() {
        return placed;
    }

    Reaper reaper() {
        return reaper;
    }

    Backstop backstop() {
        return backstop;
    }

    ExecutorService drain() {
        return drain;
    }

    /** The cgroup factory of sandboxes that set none: {@link Cgroups#detect()}, made on first use. */
    Cgroups cgroups() {
        Cgroups c = cgroups;
        if (c == null) {
            synchronized (lock) {
                c = cgroups;
                if (c == null) {
                    c = Cgroups.detect();
                    cgroups = c;
                }
            }
        }
        return c;
    }

    /** The runtime's threads, for tests: those of its thread group that are alive. */
    ThreadGroup threadGroup() {
        return threads;
    }

    // --- the one shutdown hook ---

    private static void register(SandboxRuntime rt) {
        synchronized (OPEN) {
            OPEN.add(rt);
            if (hook == null) {
                // The cgroup library's groups are this library's: its idle directories go after ours.
                Cgroups.takeOverExitCleanup();
                hook = new Thread(SandboxRuntime::closeAllAtExit, "sandbox-shutdown");
                try {
                    Runtime.getRuntime().addShutdownHook(hook);
                } catch (IllegalStateException exiting) {
                    // made while the JVM exits: its helpers die with their control sockets
                }
            }
        }
    }

    private static void unregister(SandboxRuntime rt) {
        synchronized (OPEN) {
            OPEN.remove(rt);
        }
    }

    /** At JVM exit: every runtime still open is closed, then the cgroup library's idle directories go. */
    private static void closeAllAtExit() {
        List<SandboxRuntime> all;
        synchronized (OPEN) {
            all = new ArrayList<>(OPEN);
        }
        for (SandboxRuntime rt : all) {
            try {
                rt.close();
            } catch (RuntimeException | Error e) {
                // the next runtime still gets closed; a killed JVM's leftovers go with the next sweep
            }
        }
        Cgroups.removeIdleDirectories();
    }
}
