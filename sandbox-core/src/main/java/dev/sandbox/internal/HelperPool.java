package dev.sandbox.internal;

import dev.sandbox.SandboxException;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Helpers started ahead of time. Spawning and exec'ing sandbox-helper is the largest single cost
 * of a start (about 0.4 ms here), so the JVM keeps {@value #PROPERTY} idle helpers (default 1)
 * that wait on their control socket for a spec; the command's stdio travels with the spec
 * (SCM_RIGHTS). Taking one starts a replacement on a background thread. An idle helper does
 * nothing and exits when the JVM does (its control socket closes).
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class HelperPool {

    /** How many helpers to keep started ahead of time; 0 spawns each one on demand. */
    public static final String PROPERTY = "sandbox.helper.prespawn";

    private static final class Holder {
        static final HelperPool INSTANCE = new HelperPool(Integer.getInteger(PROPERTY, 1));
    }

    private final int size;
    private final Deque<HelperChannel> idle = new ArrayDeque<>();
    private final ExecutorService refill;
    private int pending;

    private HelperPool(int size) {
        if (size < 0 || size > 64) {
            throw new IllegalArgumentException(PROPERTY + " : " + size + " (expected: 0 to 64)");
        }
        this.size = size;
        this.refill = size == 0 ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sandbox-prespawn");
            t.setDaemon(true);
            return t;
        });
    }

    public static HelperPool get() {
        return Holder.INSTANCE;
    }

    /** An idle helper, or a freshly spawned one when none is ready; the pool refills behind. */
    HelperChannel take() throws SandboxException {
        HelperChannel h;
        synchronized (this) {
            h = idle.pollFirst();
            scheduleRefill();
        }
        return h != null ? h : spawn();
    }

    /** Waits (up to {@code millis}) until no helper is being started ahead of time; true if none is. */
    public boolean awaitSettled(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (true) {
            synchronized (this) {
                if (pending == 0) {
                    return true;
                }
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
    }

    /** The idle helpers' pids: processes of this JVM that belong to no sandbox (yet). */
    public synchronized List<Integer> idlePids() {
        return idle.stream().map(HelperChannel::helperPid).toList();
    }

    /** The idle helpers' control sockets in this JVM. */
    public synchronized List<Integer> idleFds() {
        return idle.stream().map(HelperChannel::fd).toList();
    }

    private void scheduleRefill() {
        while (refill != null && idle.size() + pending < size) {
            pending++;
            refill.execute(this::refillOne);
        }
    }

    private void refillOne() {
        HelperChannel h = null;
        try {
            h = spawn();
        } catch (SandboxException | RuntimeException e) {
            // The next take() spawns on demand and reports the failure to its caller.
        }
        synchronized (this) {
            pending--;
            if (h != null) {
                idle.addLast(h);
            }
        }
    }

    /** Spawns a helper with the control socket as its fd 3 (see {@link #spawnImage}). */
    static HelperChannel spawn() throws SandboxException {
        HelperBinary.Held helper = HelperBinary.held();
        int[] sv = new int[2];
        if (LibC.get().socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, sv) != 0) {
            throw new SandboxException("socketpair", "", LibC.errno(), "");
        }
        boolean ok = false;
        try {
            int pid = spawnImage(helper, sv[1], Argv.HELPER_ARGV);
            ok = true;
            return new HelperChannel(sv[0], pid);
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
        Pointer actions = Memory.allocateDirect(LibC.runtime(), 512, true);
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
