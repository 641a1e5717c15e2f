package dev.sandbox.internal;

import dev.sandbox.SandboxException;
import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Helpers started ahead of time, for one {@code SandboxRuntime}. Spawning and exec'ing
 * sandbox-helper is the largest single cost of a start, so the runtime keeps idle helpers that
 * wait on their control socket for a spec; the command's stdio travels with the spec
 * (SCM_RIGHTS). An idle helper does nothing and exits when its control socket closes (the pool
 * is closed or the JVM exits).
 *
 * <p>How many: at least the configured {@code size}; when a start finds the pool empty, the
 * caller spawns its own helper on its thread and the pool's target grows by one (up to
 * {@link #MAX_TARGET}), so that concurrent callers find one ready next time; it shrinks back
 * slowly once takes keep finding more than one ready. Each start replaces the helper it took on
 * its own thread ({@link #replenish()}, while its helper sets the sandbox up); a larger shortfall
 * and the first fill run on up to {@link #REFILL_THREADS} threads in parallel, which end when
 * idle. A size of 0 keeps none: every start spawns its helper.
 *
 * <p>Two lanes, each with its own target: plain helpers, and (for a root caller) helpers that made
 * a network namespace while they waited ({@code --net-ahead}, see netns.c), for sandboxes whose spec
 * allows one ({@code SEC_NET_AHEAD}): making a network namespace is most of what a new one costs, and
 * this takes it off the start path. The second lane keeps none until such a start finds it empty;
 * that start then takes a plain helper (which makes its namespace on the path) and the lane's target
 * grows by one. A helper's own netns is freed when it ends, so an idle one holds one namespace.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class HelperPool {

    /** The upper bound of the adaptive target. */
    static final int MAX_TARGET = 16;
    /** Helpers spawned in parallel in the background, at most. */
    static final int REFILL_THREADS = 2;
    /** Takes that found a spare helper before the target shrinks by one. */
    private static final int SHRINK_AFTER = 512;

    /** The kinds of helper the pool keeps. */
    public enum Kind {
        /** Waits for its spec and makes everything on the start path. */
        PLAIN(Argv.HELPER_ARGV),
        /** Made a network namespace with {@code lo} up while it waited ({@code --net-ahead}). */
        NET_AHEAD(Argv.NET_AHEAD_ARGV);

        private final Pointer argv;

        Kind(Pointer argv) {
            this.argv = argv;
        }
    }

    /** The idle helpers of one kind and how many of them the pool aims to hold. */
    private static final class Lane {
        final Kind kind;
        final int size;
        final Deque<HelperChannel> idle = new ArrayDeque<>();
        int target;
        int pending;
        int surplusTakes;
        boolean taken;

        Lane(Kind kind, int size) {
            this.kind = kind;
            this.size = size;
            this.target = size;
        }

        /** An idle helper or null; a miss grows the target (except a plain lane's first take: no demand yet). */
        HelperChannel poll(boolean adapt) {
            HelperChannel h = idle.pollFirst();
            if (adapt) {
                if (h == null && (taken || kind != Kind.PLAIN)) {
                    target = Math.min(Math.max(target, size) + 1, Math.max(size, MAX_TARGET));
                    surplusTakes = 0;
                } else if (h != null && !idle.isEmpty() && target > size && ++surplusTakes >= SHRINK_AFTER) {
                    target--;
                    surplusTakes = 0;
                }
            }
            taken = true;
            return h;
        }

        boolean isShort() {
            return idle.size() + pending < target;
        }
    }

    private final Lane plain;
    private final Lane netAhead;
    private final ThreadPoolExecutor refill;
    private boolean closed;

    /**
     * @param size    helpers kept ready at least (0: none)
     * @param threads makes the refill threads
     */
    public HelperPool(int size, ThreadFactory threads) {
        dev.sandbox.base.Checks.inRange("prespawnHelpers", size, 0, 64, "");
        this.plain = new Lane(Kind.PLAIN, size);
        this.netAhead = new Lane(Kind.NET_AHEAD, 0);
        if (size == 0) {
            this.refill = null;
        } else {
            this.refill = new ThreadPoolExecutor(REFILL_THREADS, REFILL_THREADS, 5, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), threads);
            this.refill.allowCoreThreadTimeOut(true);
        }
    }

    /** A plain helper: an idle one, or a freshly spawned one when none is ready; the pool refills behind. */
    HelperChannel take() throws SandboxException {
        return take(Kind.PLAIN);
    }

    /**
     * A helper for a start that wants {@code kind}: an idle one of that kind, else an idle plain one,
     * else a freshly spawned plain one. Hand it back to {@link #replenish(Kind)} with its kind once
     * its spec is sent.
     */
    HelperChannel take(Kind kind) throws SandboxException {
        HelperChannel h;
        synchronized (this) {
            boolean adapt = refill != null && !closed;
            h = kind == Kind.NET_AHEAD ? netAhead.poll(adapt) : null;
            if (h == null) {
                h = plain.poll(adapt);
            }
        }
        return h != null ? h : spawn(Kind.PLAIN);
    }

    /**
     * Brings the pool back towards its targets after a {@link #take}. The caller runs this right
     * after handing its spec to the helper it took (of kind {@code taken}), while that helper sets
     * the sandbox up: one helper of that kind is spawned on the caller's thread, in time it would
     * otherwise spend waiting for the handshake, and without waking a refill thread; a larger
     * shortfall (a target just grew) goes to the refill threads.
     */
    void replenish(Kind taken) {
        Lane lane;
        synchronized (this) {
            lane = taken == Kind.NET_AHEAD ? netAhead : plain;
            if (refill == null || closed || !lane.isShort()) {
                lane = null;
            } else {
                lane.pending++;
            }
        }
        if (lane != null) {
            refillOne(lane);
        }
        synchronized (this) {
            scheduleRefill(plain);
            scheduleRefill(netAhead);
        }
    }

    private void scheduleRefill(Lane lane) {
        while (refill != null && !closed && lane.isShort()) {
            lane.pending++;
            try {
                refill.execute(() -> refillOne(lane));
            } catch (RejectedExecutionException closing) {
                lane.pending--;
                return;
            }
        }
    }

    private void refillOne(Lane lane) {
        HelperChannel h = null;
        try {
            h = spawn(lane.kind);
        } catch (SandboxException | RuntimeException e) {
            // The next take() spawns on demand and reports the failure to its caller.
        }
        synchronized (this) {
            lane.pending--;
            if (h != null && !closed) {
                lane.idle.addLast(h);
                h = null;
            }
            notifyAll();
        }
        if (h != null) {
            end(h); // the pool closed while it was spawned
        }
    }

    /**
     * Stops refilling, waits for the helpers being spawned, and ends every idle helper (its control
     * socket closes, it exits, it is reaped). Idempotent.
     */
    public void close() {
        List<HelperChannel> all;
        synchronized (this) {
            closed = true;
            all = new java.util.ArrayList<>(plain.idle);
            all.addAll(netAhead.idle);
            plain.idle.clear();
            netAhead.idle.clear();
        }
        if (refill != null) {
            refill.getQueue().clear(); // queued refills are dropped; one under way ends its helper itself
            refill.shutdown();
            try {
                refill.awaitTermination(15, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        all.forEach(HelperPool::end);
    }

    /** Ends an idle helper: closing its control socket makes it exit; then reap it. */
    static void end(HelperChannel helper) {
        helper.close();
        helper.reapHelper();
    }

    /** Spawns a plain helper with the control socket as its fd 3 (see {@link #spawnImage}). */
    static HelperChannel spawn() throws SandboxException {
        return spawn(Kind.PLAIN);
    }

    /** Spawns a helper of {@code kind} with the control socket as its fd 3. */
    static HelperChannel spawn(Kind kind) throws SandboxException {
        HelperBinary.Held helper = HelperBinary.held();
        int[] sv = new int[2];
        if (LibC.get().socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, sv) != 0) {
            throw new SandboxException("socketpair", "", LibC.errno(), "");
        }
        boolean ok = false;
        try {
            int pid = spawnImage(helper, sv[1], kind.argv);
            ok = true;
            return new HelperChannel(sv[0], pid, kind);
        } finally {
            LibC.get().close(sv[1]);
            if (!ok) {
                LibC.get().close(sv[0]);
            }
        }
    }

    /**
     * posix_spawn's the image {@code helper} holds, with /dev/null as stdio (the command's come with
     * its spec), {@code control} as fd 3 (none when negative) and the image as fd 4, exec'd as
     * {@value HelperBinary#EXEC_PATH}: the kernel execs the file the JVM holds, never a path someone
     * could re-point. dup2 clears close-on-exec on fd 4 in the child only, and the helper closes
     * every fd above 3 as it starts. Nothing of the JVM runs in the child: glibc's posix_spawn is a
     * vfork-style clone followed straight by the file actions and exec. Returns the child's pid.
     */
    static int spawnImage(HelperBinary.Held helper, int control, Pointer argv) throws SandboxException {
        LibC libc = LibC.get();
        Pointer actions = Scratch.get().spawnActions; // posix_spawn_file_actions_init fills it in
        check("posix_spawn_file_actions_init", libc.posix_spawn_file_actions_init(actions));
        try {
            for (int fd = 0; fd < 3; fd++) {
                check("posix_spawn_file_actions_addopen", libc.posix_spawn_file_actions_addopen(actions, fd,
                        DEV_NULL, fd == 0 ? LibC.O_RDONLY : LibC.O_WRONLY, 0));
            }
            if (control >= 0) {
                check("posix_spawn_file_actions_adddup2", libc.posix_spawn_file_actions_adddup2(actions, control, 3));
            }
            check("posix_spawn_file_actions_adddup2",
                    libc.posix_spawn_file_actions_adddup2(actions, helper.fd(), HelperBinary.EXEC_FD));
            IntByReference pid = new IntByReference();
            int rc = libc.posix_spawn(pid, EXEC_PATH, actions, null, argv, Argv.EMPTY_ENV);
            if (rc != 0) {
                throw new SandboxException("posix_spawn", helper.origin(), rc, "");
            }
            return pid.intValue();
        } finally {
            libc.posix_spawn_file_actions_destroy(actions);
        }
    }

    private static final byte[] DEV_NULL = Encoding.cString("/dev/null");
    private static final byte[] EXEC_PATH = Encoding.cString(HelperBinary.EXEC_PATH);

    private static void check(String call, int rc) throws SandboxException {
        if (rc != 0) {
            throw new SandboxException(call, "", rc, "");
        }
    }
}
