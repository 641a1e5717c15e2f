package dev.sandbox.internal;

import dev.sandbox.SandboxException;
import dev.sandbox.cgroups.Cgroup;
import dev.sandbox.cgroups.CgroupException;
import dev.sandbox.cgroups.Cgroups;
import dev.sandbox.cgroups.Limits;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * Helpers that already sit in a fresh cgroup with a sandbox's limits, ready to fork the sandbox
 * into it; and the removal of groups whose sandbox has ended. Both happen on background threads,
 * so that, while spares last, no cgroup operation but reading counters is left on a start's path.
 *
 * <p>Why: moving a process into a cgroup (a write to {@code cgroup.procs}) takes the kernel's
 * cgroup threadgroup lock for writing, which waits for an RCU grace period unless another move
 * happened moments before — 5 to 13 ms on this project's kernel — and holds the global
 * {@code cgroup_mutex} meanwhile, which every mkdir and rmdir of a cgroup then waits for. A child
 * inherits its parent's cgroups at fork with no such cost. So a helper is moved into each new group
 * ahead of time, and forks the sandbox inside it; the helper stays in the group as the sandbox's
 * monitor, and the group's {@code pids.max} is the sandbox's limit plus one.
 *
 * <p>A start that finds no spare makes its group on the spot. On a pure v2 host nothing is moved
 * then: the start's helper creates the sandbox in the leaf with {@code clone3(CLONE_INTO_CGROUP)}
 * (Linux 5.7; older kernels: the helper moves its child before it runs, see {@code main.c}) and stays
 * outside the group. Measured in the pure v2 VM (README, Cgroups): with a spare ready, the pre-placed
 * helper starts faster (a fork inside the group reuses the helper's css_set; CLONE_INTO_CGROUP takes
 * {@code cgroup_mutex} and makes a new one), while a burst that outruns the spares starts faster with
 * CLONE_INTO_CGROUP than with a move; so both are used, each where it is the faster.
 *
 * <p>The helper, and so the sandbox, goes into a leaf {@value #LEAF} below the group that holds
 * the limits, made with it on the same background path: the limit files are then never those of
 * the sandbox's own group, and with a cgroup namespace (made at the clone, while in the leaf) its
 * {@code /proc/self/cgroup} and any cgroup file system it mounts start at the leaf, below them.
 * Usage is read from the group, which covers the leaf; removal takes the leaf, then the group.
 *
 * <p>Spares are kept per (factory, limits) for the last {@code kinds} kinds started,
 * {@code perKind} each (settings of the {@code SandboxRuntime} that owns this). They go when
 * evicted, when the runtime closes (at the latest in the library's shutdown hook), or, after a
 * killed JVM, with the next JVM's sweep of stale groups.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class CgroupedHelpers {

    /**
     * A sandbox's fresh group: with {@code helper} already in it, waiting for a spec; or, with
     * {@code helper} null (made on a pure v2 start's path), a group the start's helper creates the
     * sandbox in ({@link #cloneInto()}).
     */
    public record Placed(HelperChannel helper, Cgroup cgroup, Object kind) {
        /** The v2 directory to clone the sandbox into, or null when the helper already sits in the group. */
        public String cloneInto() {
            return helper != null ? null : cgroup.unifiedDirectory().orElseThrow().toString();
        }
    }

    private record Kind(Cgroups factory, Limits limits) {
    }

    /** The leaf below each sandbox's group that its processes live in. */
    public static final String LEAF = "sandbox";

    private final HelperPool pool;
    private final int perKind;
    private final int kinds;
    private final Map<Kind, Deque<Placed>> spares = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Kind, Integer> pending = new HashMap<>();
    private final java.util.concurrent.ThreadPoolExecutor refill;
    private final java.util.concurrent.ThreadPoolExecutor cleanup;
    private volatile boolean closing;

    /**
     * @param pool    where a start without a spare takes its helper
     * @param perKind spares kept per kind of limits (0: none, every start places its helper itself)
     * @param kinds   kinds of limits whose spares are kept (the most recently started)
     */
    public CgroupedHelpers(HelperPool pool, int perKind, int kinds, ThreadGroup group) {
        if (perKind < 0 || perKind > 16) {
            throw new IllegalArgumentException("sparesPerKind : " + perKind + " (expected: 0 to 16)");
        }
        if (kinds < 0 || kinds > 64) {
            throw new IllegalArgumentException("kindsKept : " + kinds + " (expected: 0 to 64)");
        }
        this.pool = pool;
        this.perKind = kinds == 0 ? 0 : perKind;
        this.kinds = kinds;
        this.refill = lazySingle(Threads.daemon(group, "sandbox-cgroup-prespawn"));
        this.cleanup = lazySingle(Threads.daemon(group, "sandbox-cgroup-cleanup"));
    }

    /** One thread, started by the first task, ended after a few idle seconds. */
    private static java.util.concurrent.ThreadPoolExecutor lazySingle(java.util.concurrent.ThreadFactory threads) {
        java.util.concurrent.ThreadPoolExecutor e = new java.util.concurrent.ThreadPoolExecutor(1, 1, 5,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), threads);
        e.allowCoreThreadTimeOut(true);
        return e;
    }

    /**
     * A helper in a fresh group with {@code limits}: a spare if one is ready, else made now (the
     * slow path: the move into the group waits for the kernel). Spares of the kind are refilled.
     */
    public Placed take(Cgroups factory, Limits limits) throws CgroupException, SandboxException {
        Kind kind = new Kind(factory, limits);
        Placed spare;
        synchronized (this) {
            Deque<Placed> q = spares.get(kind);
            spare = q == null ? null : q.pollFirst();
            if (q == null || q.isEmpty()) {
                // Otherwise the refill waits until this sandbox has ended (release), so that it
                // does not compete with the start for the CPU and the kernel's cgroup lock.
                scheduleRefill(kind);
            }
        }
        if (spare != null && !spare.helper().exitedAlready()) {
            return spare;
        }
        if (spare != null) {
            retire(spare); // killed from outside while it waited
        }
        if (cloneInto(kind)) {
            return place(kind, null);
        }
        HelperChannel helper = pool.take();
        helper.keepOutOfPool(); // it joins the sandbox's group, which it must leave by exiting
        return place(kind, helper);
    }

    /** Whether a group made on a start's path takes the sandbox at its clone (pure v2) rather than by a move. */
    private static boolean cloneInto(Kind kind) {
        return kind.factory().host().layout() == dev.sandbox.cgroups.CgroupHost.Layout.V2;
    }

    /**
     * The sandbox in {@code placed} has ended and its helper is reaped: returns the work that
     * removes its group (kills what is left, rmdir) and prepares the next spare of its kind, to
     * run when the caller likes. Once the removal is over, {@code settled} gets its failure, or
     * null when the group is gone.
     */
    public Runnable release(Placed placed, Consumer<CgroupException> settled) {
        return () -> {
            Runnable remove = () -> {
                CgroupException failure = null;
                try {
                    placed.cgroup().close();
                } catch (CgroupException e) {
                    failure = e;
                }
                settled.accept(failure);
            };
            synchronized (this) {
                scheduleRefill((Kind) placed.kind());
            }
            try {
                cleanup.execute(remove);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                remove.run(); // the runtime is closing: remove it here
            }
        };
    }

    /**
     * Stops making spares, retires every spare (helpers end, groups are removed) and waits for the
     * removals under way. Call once no sandbox of this runtime runs any more. Idempotent.
     */
    public void close() {
        closing = true;
        // Queued spares are dropped; one being made now is retired as soon as it is made. Not
        // shutdownNow(): an interrupt would break the cgroup file I/O of the one under way.
        refill.getQueue().clear();
        refill.shutdown();
        await(refill, 15);
        List<Placed> all = new ArrayList<>();
        synchronized (this) {
            spares.values().forEach(all::addAll);
            spares.clear();
        }
        all.forEach(CgroupedHelpers::retire);
        cleanup.shutdown();
        await(cleanup, 15);
    }

    private static void await(ExecutorService e, int seconds) {
        try {
            e.awaitTermination(seconds, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Creates the group and moves {@code helper} into its leaf (the pids limit then counts the
     * helper too); with {@code helper} null, the group only, for {@code CLONE_INTO_CGROUP}.
     */
    private static Placed place(Kind kind, HelperChannel helper) throws CgroupException {
        Limits limits = kind.limits();
        if (helper != null && limits.pidsMax().isPresent()) {
            limits = limits.newBuilder().pidsMax(limits.pidsMax().getAsLong() + 1).build();
        }
        Cgroup cgroup;
        try {
            cgroup = kind.factory().create(limits, LEAF);
        } catch (CgroupException | RuntimeException e) {
            if (helper != null) {
                end(helper);
            }
            throw e;
        }
        try {
            if (helper != null) {
                cgroup.addProcess(helper.helperPid());
            } else if (cgroup.procsFiles().size() != 1 || cgroup.unifiedDirectory().isEmpty()) {
                throw new IllegalStateException("a v2 host's group spans " + cgroup.directories());
            }
            cgroup.usage(); // opens the counter files now, so the read at the sandbox's end is cheap
            return new Placed(helper, cgroup, kind);
        } catch (CgroupException | RuntimeException e) {
            if (helper != null) {
                end(helper);
            }
            try {
                cgroup.close();
            } catch (CgroupException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Keeps {@code perKind} spares of {@code kind} on the way; called with the lock held. */
    private void scheduleRefill(Kind kind) {
        if (closing) {
            return;
        }
        Deque<Placed> q = spares.get(kind);
        int have = (q == null ? 0 : q.size()) + pending.getOrDefault(kind, 0);
        for (; have < perKind; have++) {
            pending.merge(kind, 1, Integer::sum);
            try {
                refill.execute(() -> refillOne(kind));
            } catch (java.util.concurrent.RejectedExecutionException exiting) {
                pending.computeIfPresent(kind, (k, n) -> n > 1 ? n - 1 : null);
                return;
            }
        }
    }

    private void refillOne(Kind kind) {
        Placed p = null;
        try {
            p = place(kind, HelperPool.spawn());
        } catch (CgroupException | SandboxException | RuntimeException e) {
            // The next take() of this kind makes one on the spot and reports the failure there.
        }
        List<Placed> evicted = new ArrayList<>();
        if (p != null && closing) {
            evicted.add(p); // the runtime is closing: nobody will take it
            p = null;
        }
        synchronized (this) {
            pending.computeIfPresent(kind, (k, n) -> n > 1 ? n - 1 : null);
            if (p != null) {
                spares.computeIfAbsent(kind, k -> new ArrayDeque<>()).addLast(p);
            }
            while (spares.size() > kinds) {
                Kind eldest = spares.keySet().iterator().next();
                evicted.addAll(spares.remove(eldest));
            }
        }
        evicted.forEach(CgroupedHelpers::retire);
    }

    private static void retire(Placed p) {
        if (p.helper() != null) {
            end(p.helper());
        }
        try {
            p.cgroup().close();
        } catch (CgroupException e) {
            // Nothing runs in it any more; the next JVM's sweep removes what is left.
        }
    }

    /** Ends an idle helper: closing its control socket makes it exit; then reap it. */
    private static void end(HelperChannel helper) {
        HelperPool.end(helper);
    }
}
