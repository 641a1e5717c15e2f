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
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Helpers that already sit in a fresh cgroup with a sandbox's limits, ready to fork the sandbox
 * into it; and the removal of groups whose sandbox has ended. Both happen on background threads,
 * so no cgroup operation but reading counters is left on a start's path.
 *
 * <p>Why: moving a process into a cgroup (a write to {@code cgroup.procs}) takes the kernel's
 * cgroup threadgroup lock for writing, which waits for an RCU grace period unless another move
 * happened moments before — 5 to 13 ms on this project's kernel — and holds the global
 * {@code cgroup_mutex} meanwhile, which every mkdir and rmdir of a cgroup then waits for. A child
 * inherits its parent's cgroups at fork with no such cost. So a helper is moved into each new
 * group ahead of time, and forks the sandbox inside it. The helper stays in the group as the
 * sandbox's monitor: the group's {@code pids.max} is the sandbox's limit plus one.
 *
 * <p>The helper, and so the sandbox, goes into a leaf {@value #LEAF} below the group that holds
 * the limits, made with it on the same background path: the limit files are then never those of
 * the sandbox's own group, and with a cgroup namespace (made at the clone, while in the leaf) its
 * {@code /proc/self/cgroup} and any cgroup file system it mounts start at the leaf, below them.
 * Usage is read from the group, which covers the leaf; removal takes the leaf, then the group.
 *
 * <p>Spares are kept per (factory, limits) for the last {@value #KINDS} kinds started,
 * {@value #PER_KIND} each. They go when evicted, at JVM exit (shutdown hook), or, after a killed
 * JVM, with the next JVM's sweep of stale groups.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class CgroupedHelpers {

    /** A helper placed in its sandbox's group, waiting for a spec. */
    public record Placed(HelperChannel helper, Cgroup cgroup, Object kind) {
    }

    private record Kind(Cgroups factory, Limits limits) {
    }

    /** The leaf below each sandbox's group that its processes live in. */
    public static final String LEAF = "sandbox";

    private static final int KINDS = 8;
    private static final int PER_KIND = 2;

    private static final class Holder {
        static final CgroupedHelpers INSTANCE = new CgroupedHelpers();
    }

    private final Map<Kind, Deque<Placed>> spares = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Kind, Integer> pending = new HashMap<>();
    private final AtomicInteger removing = new AtomicInteger();
    private final ExecutorService refill = daemon("sandbox-cgroup-prespawn");
    private final ExecutorService cleanup = daemon("sandbox-cgroup-cleanup");
    private volatile boolean closing;

    private CgroupedHelpers() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown, "sandbox-cgroup-shutdown"));
    }

    private static ExecutorService daemon(String name) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    public static CgroupedHelpers get() {
        return Holder.INSTANCE;
    }

    /**
     * A helper in a fresh group with {@code limits}: a spare if one is ready, else made now (the
     * slow path: the move into the group waits for the kernel). Spares of the kind are refilled.
     */
    public Placed take(Cgroups factory, Limits limits) throws CgroupException, SandboxException {
        Kind kind = new Kind(factory, limits);
        Placed spare;
        synchronized (this) {
            Deque<Placed> q = spares.computeIfAbsent(kind, k -> new ArrayDeque<>());
            spare = q.pollFirst();
            if (q.isEmpty()) {
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
        return place(kind, HelperPool.get().take());
    }

    /**
     * The sandbox in {@code placed} has ended and its helper is reaped: returns the work that
     * removes its group (kills what is left, rmdir; failures go to {@code onFailure}) and
     * prepares the next spare of its kind, to run when the caller likes. The work is counted as
     * pending from this call on ({@link #awaitSettled}).
     */
    public Runnable release(Placed placed, Consumer<CgroupException> onFailure) {
        removing.incrementAndGet();
        return () -> {
            Runnable remove = () -> {
                try {
                    placed.cgroup().close();
                } catch (CgroupException e) {
                    onFailure.accept(e);
                } finally {
                    removing.decrementAndGet();
                }
            };
            // The refill is counted as pending before the removal can finish, so that
            // awaitSettled() never sees "nothing pending, nothing removing" in between.
            synchronized (this) {
                scheduleRefill((Kind) placed.kind());
            }
            try {
                cleanup.execute(remove);
            } catch (java.util.concurrent.RejectedExecutionException exiting) {
                remove.run(); // the JVM is exiting: remove it here
            }
        };
    }

    /** Waits (up to {@code millis}) until no spare is being prepared and no group being removed. */
    public boolean awaitSettled(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (true) {
            synchronized (this) {
                if (pending.isEmpty() && removing.get() == 0) {
                    return true;
                }
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
    }

    /** The spare helpers' pids. */
    public synchronized List<Integer> sparePids() {
        List<Integer> out = new ArrayList<>();
        spares.values().forEach(q -> q.forEach(p -> out.add(p.helper().helperPid())));
        return out;
    }

    /** The spare helpers' control sockets in this JVM. */
    public synchronized List<Integer> spareFds() {
        List<Integer> out = new ArrayList<>();
        spares.values().forEach(q -> q.forEach(p -> out.add(p.helper().fd())));
        return out;
    }

    /** The spares' groups and their leaves: directories that exist while no sandbox runs in them. */
    public synchronized List<java.nio.file.Path> spareGroups() {
        List<java.nio.file.Path> out = new ArrayList<>();
        spares.values().forEach(q -> q.forEach(p -> {
            out.addAll(p.cgroup().directories());
            out.addAll(p.cgroup().leafDirectories());
        }));
        return out;
    }

    /** Retires every spare: helpers end, their groups are removed. */
    public void retireAll() {
        List<Placed> all = new ArrayList<>();
        synchronized (this) {
            spares.values().forEach(all::addAll);
            spares.clear();
        }
        all.forEach(CgroupedHelpers::retire);
    }

    private void shutdown() {
        closing = true;
        refill.shutdown(); // a spare being made now is retired as soon as it is made
        try {
            refill.awaitTermination(15, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        retireAll();
        cleanup.shutdown();
        try {
            cleanup.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Hooks run in no set order: the cgroup library's own may have run before the groups went.
        Cgroups.removeIdleDirectories();
    }

    /** Creates the group (the pids limit counts the helper too) and moves the helper into its leaf. */
    private static Placed place(Kind kind, HelperChannel helper) throws CgroupException {
        Limits limits = kind.limits();
        if (limits.pidsMax().isPresent()) {
            limits = limits.newBuilder().pidsMax(limits.pidsMax().getAsLong() + 1).build();
        }
        Cgroup cgroup;
        try {
            cgroup = kind.factory().create(limits, LEAF);
        } catch (CgroupException | RuntimeException e) {
            end(helper);
            throw e;
        }
        try {
            cgroup.addProcess(helper.helperPid());
            cgroup.usage(); // opens the counter files now, so the read at the sandbox's end is cheap
            return new Placed(helper, cgroup, kind);
        } catch (CgroupException | RuntimeException e) {
            end(helper);
            try {
                cgroup.close();
            } catch (CgroupException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Keeps {@value #PER_KIND} spares of {@code kind} on the way; called with the lock held. */
    private void scheduleRefill(Kind kind) {
        int have = spares.getOrDefault(kind, new ArrayDeque<>()).size() + pending.getOrDefault(kind, 0);
        for (; have < PER_KIND; have++) {
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
            evicted.add(p); // the JVM is exiting: nobody will take it
            p = null;
        }
        synchronized (this) {
            pending.computeIfPresent(kind, (k, n) -> n > 1 ? n - 1 : null);
            if (p != null) {
                spares.computeIfAbsent(kind, k -> new ArrayDeque<>()).addLast(p);
            }
            while (spares.size() > KINDS) {
                Kind eldest = spares.keySet().iterator().next();
                evicted.addAll(spares.remove(eldest));
            }
        }
        evicted.forEach(CgroupedHelpers::retire);
    }

    private static void retire(Placed p) {
        end(p.helper());
        try {
            p.cgroup().close();
        } catch (CgroupException e) {
            // Nothing runs in it any more; the next JVM's sweep removes what is left.
        }
    }

    /** Ends an idle helper: closing its control socket makes it exit; then reap it. */
    private static void end(HelperChannel helper) {
        helper.close();
        helper.reapHelper();
    }
}
