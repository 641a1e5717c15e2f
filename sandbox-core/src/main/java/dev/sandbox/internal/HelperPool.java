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
 * <p>Helpers serve sandbox after sandbox: the pool starts them with {@code --reuse}, and once a
 * sandbox has ended (its {@code EXIT} read, its whole tree gone) the reaper hands its helper back
 * ({@link #giveBack}): the pool sends {@code CMD_RECYCLE}, the helper resets itself (main.c
 * {@code reset_for_next}: every descriptor of the last run closed, stdio on /dev/null, no signal
 * blocked) and waits for the next spec like a fresh one. A helper moved into a sandbox's cgroup
 * never comes back ({@link HelperChannel#keepOutOfPool}).
 *
 * <p>How many: at least {@code size} idle, so that a start never waits for a spawn; each start
 * that leaves fewer spawns one on its own thread while its helper sets the sandbox up
 * ({@link #replenish}), a larger shortfall goes to up to {@link #REFILL_THREADS} background threads.
 * Beyond that a lane owns (idle, being spawned or lent) up to that minimum plus the most helpers
 * lent at once lately ({@code peak}, at most {@link #MAX_TARGET}): a helper handed back beyond
 * that ends. A start that finds none spawns its own on its thread. {@code peak} shrinks by one
 * after {@link #SHRINK_AFTER} takes that left more than {@code size} idle. A size of 0 keeps none
 * and reuses none: every start spawns its helper, which exits after its sandbox.
 *
 * <p>Two lanes: plain helpers, and (for a root caller) helpers that made a network namespace
 * while they waited ({@code --net-ahead}, see netns.c), for sandboxes whose spec allows one
 * ({@code SEC_NET_AHEAD}): making a network namespace is most of what a new one costs, and this
 * takes it off the start path. The second lane has size 0 and keeps one ready once a start asked
 * for it; a start that finds it empty takes a plain helper (which makes its namespace on the path)
 * and counts as demand for the lane. A
 * helper makes a fresh namespace before each spec it waits for; an idle one holds one namespace.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class HelperPool {

    /** The upper bound of a lane's adaptive demand. */
    static final int MAX_TARGET = 16;
    /** Helpers spawned in parallel in the background, at most. */
    static final int REFILL_THREADS = 2;
    /** Takes that left more than the lane's size idle before its demand shrinks by one. */
    private static final int SHRINK_AFTER = 512;

    /** The kinds of helper the pool keeps. */
    public enum Kind {
        /** Waits for its spec and makes everything on the start path. */
        PLAIN(Argv.HELPER_ARGV, Argv.REUSE_ARGV),
        /** Made a network namespace with {@code lo} up while it waited ({@code --net-ahead}). */
        NET_AHEAD(Argv.NET_AHEAD_ARGV, Argv.NET_AHEAD_REUSE_ARGV);

        private final Pointer argv;
        private final Pointer reuseArgv;

        Kind(Pointer argv, Pointer reuseArgv) {
            this.argv = argv;
            this.reuseArgv = reuseArgv;
        }
    }

    /** The idle helpers of one kind, and how many the pool aims to own. Guarded by the pool. */
    private static final class Lane {
        final Kind kind;
        final int size;
        final Deque<HelperChannel> idle = new ArrayDeque<>();
        int pending;
        /** Taken and not handed back or ended yet. */
        int lent;
        /** The most helpers lent at once lately: the demand beyond {@link #size}. */
        int peak;
        int surplusTakes;

        Lane(Kind kind, int size) {
            this.kind = kind;
            this.size = size;
        }

        /** An idle helper or null (then the caller spawns one and lends it: {@link #lend}). */
        HelperChannel poll() {
            HelperChannel h = idle.pollFirst();
            if (h != null) {
                lend(h);
                if (idle.size() > size && ++surplusTakes >= SHRINK_AFTER) {
                    peak = Math.max(peak - 1, 0);
                    surplusTakes = 0;
                }
            }
            return h;
        }

        void lend(HelperChannel h) {
            h.lent = true;
            lent++;
            peak = Math.min(Math.max(peak, lent), MAX_TARGET);
        }

        /** Idle helpers kept ready at least: the size, or one once a lane of size 0 has seen demand. */
        int minIdle() {
            return size > 0 ? size : Math.min(peak, 1);
        }

        /** Below the minimum idle, or below what the lane may own. */
        boolean isShort() {
            int ready = idle.size() + pending;
            return ready < minIdle() || ready + lent < minIdle() + peak;
        }

        /** Whether a helper handed back (already counted out of {@link #lent}) stays: the lane owns no more than it may. */
        boolean keeps() {
            return idle.size() + pending + lent < minIdle() + peak;
        }
    }

    private final Lane plain;
    private final Lane netAhead;
    private final ThreadPoolExecutor refill;
    private boolean closed;

    /**
     * @param size    helpers kept ready at least (0: none, and none reused)
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
        boolean reuse;
        synchronized (this) {
            reuse = refill != null && !closed;
            HelperChannel h = null;
            if (reuse && kind == Kind.NET_AHEAD) {
                h = netAhead.poll();
                if (h == null) {
                    // Demand for the lane: it fills behind (replenish) for the next such start.
                    netAhead.peak = Math.min(Math.max(netAhead.peak, netAhead.lent + 1), MAX_TARGET);
                }
            }
            if (h == null && reuse) {
                h = plain.poll();
            }
            if (h != null) {
                return h;
            }
        }
        if (!reuse) {
            return spawn(Kind.PLAIN, null);
        }
        HelperChannel h = spawn(Kind.PLAIN, this);
        synchronized (this) {
            plain.lend(h);
        }
        return h;
    }

    /**
     * Brings the pool back towards its targets after a {@link #take}. The caller runs this right
     * after handing its spec to the helper it took (of kind {@code taken}), while that helper sets
     * the sandbox up: one helper of that kind is spawned on the caller's thread, in time it would
     * otherwise spend waiting for the handshake, and without waking a refill thread; a larger
     * shortfall goes to the refill threads.
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

    /**
     * A lent helper whose sandbox has ended (its EXIT read: nothing of the sandbox is left): it
     * serves again, or ends when the lane owns enough or the pool is closed.
     */
    void giveBack(HelperChannel h) {
        boolean kept = false;
        synchronized (this) {
            Lane lane = h.kind() == Kind.NET_AHEAD ? netAhead : plain;
            if (h.lent) {
                h.lent = false;
                lane.lent--;
            }
            if (!closed && h.servesAgain() && lane.keeps() && h.recycle()) {
                lane.idle.addFirst(h); // the most recently used first: its pages are still warm
                kept = true;
            }
        }
        if (!kept) {
            endSoon(h);
        }
    }

    /** A lent helper that will not come back (it failed, died or was closed): counted out. */
    void lost(HelperChannel h) {
        synchronized (this) {
            if (h.lent) {
                h.lent = false;
                (h.kind() == Kind.NET_AHEAD ? netAhead : plain).lent--;
            }
        }
    }

    /** Ends a helper off the caller's thread where the refill threads still run, else here. */
    private void endSoon(HelperChannel h) {
        if (refill != null) {
            try {
                refill.execute(() -> end(h));
                return;
            } catch (RejectedExecutionException closing) {
                // fall through: end it here
            }
        }
        end(h);
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
            h = spawn(lane.kind, this);
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

    /** Spawns a plain helper that serves one sandbox, with the control socket as its fd 3 (see {@link #spawnImage}). */
    static HelperChannel spawn() throws SandboxException {
        return spawn(Kind.PLAIN, null);
    }

    /** Spawns a helper of {@code kind} with the control socket as its fd 3; with an {@code owner}, one that serves again. */
    static HelperChannel spawn(Kind kind, HelperPool owner) throws SandboxException {
        HelperBinary.Held helper = HelperBinary.held();
        int[] sv = new int[2];
        if (LibC.get().socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, sv) != 0) {
            throw new SandboxException("socketpair", "", LibC.errno(), "");
        }
        boolean ok = false;
        try {
            int pid = spawnImage(helper, sv[1], owner != null ? kind.reuseArgv : kind.argv);
            ok = true;
            return new HelperChannel(sv[0], pid, kind, owner);
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
