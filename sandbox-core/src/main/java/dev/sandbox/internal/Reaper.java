package dev.sandbox.internal;

import dev.sandbox.SandboxException;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The one thread per runtime that waits for every running sandbox: epoll over the helpers'
 * control sockets.
 * A helper reports {@code EXIT} and closes its socket when its command is over; end of file
 * without a report means the helper itself died, which is reported as such.
 *
 * <p>A thread that waits for one sandbox ({@code waitFor}, {@code close}) may read that sandbox's
 * channel itself for a while ({@link #drive}): the helper's report then wakes the waiting thread
 * directly instead of this thread, which would only wake it in turn. One reader at a time: the
 * channel leaves the epoll set while a waiter drives it and returns when the waiter gives up.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Reaper {

    private static final int MAX_EVENTS = 64;
    // struct epoll_event is packed on x86_64 (12 bytes), naturally aligned elsewhere (16 bytes).
    private static final boolean PACKED = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)
            .matches("amd64|x86_64");
    private static final int EVENT_SIZE = PACKED ? 12 : 16;
    private static final int DATA_OFFSET = PACKED ? 4 : 8;

    /** Who reads a watch's channel now; guarded by the watch. */
    private static final int NOBODY = 0;
    private static final int LOOP = 1;
    private static final int WAITER = 2;
    /** How long a waiter polls at a time before it checks for an interrupt. */
    private static final int DRIVE_SLICE_MILLIS = 10;

    private static final class Watch {
        final HelperChannel channel;
        final Consumer<Exit> onExit;
        final Runnable onReaped;
        boolean exitDelivered;
        int reader = NOBODY;
        boolean finished;

        Watch(HelperChannel channel, Consumer<Exit> onExit, Runnable onReaped) {
            this.channel = channel;
            this.onExit = onExit;
            this.onReaped = onReaped;
        }
    }

    private final int epfd;
    /** A pipe whose read end is in the epoll set: a byte written to it wakes the loop to stop. */
    private final int[] wake = new int[2];
    private final Map<Integer, Watch> watches = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean stopping;
    /** Set (under this object's lock) once {@link #epfd} is closed: its number may be reused. */
    private boolean epfdClosed;

    /** Starts the reaper's thread, made by {@code threads}. */
    public Reaper(java.util.concurrent.ThreadFactory threads) {
        LibC libc = LibC.get();
        epfd = libc.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (epfd < 0) {
            throw new IllegalStateException(new SandboxException("epoll_create1", "", LibC.errno(), ""));
        }
        if (libc.pipe2(wake, LibC.O_CLOEXEC) != 0) {
            int err = LibC.errno();
            libc.close(epfd);
            throw new IllegalStateException(new SandboxException("pipe2", "", err, ""));
        }
        Pointer ev = Memory.allocateDirect(LibC.runtime(), EVENT_SIZE, true);
        ev.putInt(0, LibC.EPOLLIN);
        ev.putLong(DATA_OFFSET, wake[0]);
        if (libc.epoll_ctl(epfd, LibC.EPOLL_CTL_ADD, wake[0], ev) != 0) {
            int err = LibC.errno();
            libc.close(epfd);
            libc.close(wake[0]);
            libc.close(wake[1]);
            throw new IllegalStateException(new SandboxException("epoll_ctl", "", err, ""));
        }
        thread = threads.newThread(this::loop);
        thread.start();
    }

    /** How many sandboxes are being waited for. */
    public int watching() {
        return watches.size();
    }

    /**
     * Stops the thread and closes the epoll set. Sandboxes still watched are no longer waited for:
     * the caller ends them first. Idempotent.
     */
    public void close() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        LibC libc = LibC.get();
        libc.write(wake[1], new byte[] {1}, 1);
        boolean interrupted = false;
        while (thread.isAlive() && thread != Thread.currentThread()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        synchronized (this) {
            epfdClosed = true;
            libc.close(epfd);
        }
        libc.close(wake[0]);
        libc.close(wake[1]);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Watches {@code channel}: calls {@code onExit} (on the reaper thread) as soon as the helper
     * reports that the command and its whole tree are gone, then {@code onReaped} once the helper
     * itself has exited and been reaped and the channel is closed, or (a {@code --reuse} helper)
     * has gone back to its pool.
     */
    public void watch(HelperChannel channel, Consumer<Exit> onExit, Runnable onReaped) throws SandboxException {
        watches.put(channel.fd(), new Watch(channel, onExit, onReaped));
        if (LibC.get().epoll_ctl(epfd, LibC.EPOLL_CTL_ADD, channel.fd(), event(channel.fd())) != 0) {
            int err = LibC.errno();
            watches.remove(channel.fd());
            throw new SandboxException("epoll_ctl", "", err, "");
        }
    }

    private void loop() {
        LibC libc = LibC.get();
        Pointer events = Memory.allocateDirect(LibC.runtime(), MAX_EVENTS * EVENT_SIZE, true);
        while (!stopping) {
            int n = libc.epoll_wait(epfd, events, MAX_EVENTS, -1);
            if (n < 0) {
                continue; // EINTR; nothing else can fail on a valid epoll fd and buffer
            }
            for (int i = 0; i < n; i++) {
                int fd = (int) events.getLong((long) i * EVENT_SIZE + DATA_OFFSET);
                if (fd == wake[0]) {
                    continue; // close(): the loop ends with this round
                }
                Watch w = watches.get(fd);
                if (w != null && claim(w, LOOP)) {
                    boolean finished = false;
                    try {
                        finished = readable(w);
                    } finally {
                        release(w, finished); // a waiter blocked on this watch must never wait forever
                    }
                }
            }
        }
    }

    /**
     * Lets the calling thread read {@code channel} itself for up to {@code nanos}, so that the
     * helper's report wakes it directly: the watch's callbacks then run on this thread. Returns
     * true once the watch is finished (the report delivered, the helper reaped); false when the
     * time is up, the thread is interrupted, or another thread reads the channel (the caller then
     * waits as usual, and this thread's loop takes over again).
     */
    public boolean drive(HelperChannel channel, long nanos) {
        Watch w = watches.get(channel.fd());
        if (w == null || w.channel != channel || nanos <= 0 || Thread.currentThread().isInterrupted()) {
            return false;
        }
        synchronized (w) {
            if (Threads.awaitUninterruptibly(w, () -> w.reader != LOOP)) {
                return false;
            }
            if (w.reader != NOBODY || w.finished || stopping) {
                return false;
            }
            // Out of the epoll set before anyone else may read: the loop must not spin on it.
            synchronized (this) {
                if (epfdClosed) {
                    return false;
                }
                LibC.get().epoll_ctl(epfd, LibC.EPOLL_CTL_DEL, channel.fd(), null);
            }
            w.reader = WAITER;
        }
        boolean finished = false;
        try {
            long deadline = System.nanoTime() + nanos;
            int[] pollfd = {channel.fd(), LibC.pollIn()};
            while (!(finished = readable(w))) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || Thread.currentThread().isInterrupted()) {
                    return false;
                }
                long millis = Math.min(DRIVE_SLICE_MILLIS, (left + 999_999) / 1_000_000);
                LibC.get().poll(pollfd, 1, (int) millis); // EINTR: just look again
            }
            return true;
        } finally {
            release(w, finished);
        }
    }

    /** Makes {@code who} the reader of {@code w}; false when somebody else reads it or it is finished. */
    private static boolean claim(Watch w, int who) {
        synchronized (w) {
            if (w.reader != NOBODY || w.finished) {
                return false;
            }
            w.reader = who;
            return true;
        }
    }

    /** The reader is done with {@code w} for now; a waiter hands an unfinished channel back to the loop. */
    private void release(Watch w, boolean finished) {
        synchronized (w) {
            if (finished) {
                w.finished = true;
            } else if (w.reader == WAITER && !rearm(w)) {
                // Cannot happen with a valid epoll set; the loop is gone: end it rather than leave it unwatched.
                w.reader = NOBODY;
                w.notifyAll();
                w.channel.command(Protocol.CMD_KILL, 0);
                return;
            }
            w.reader = NOBODY;
            w.notifyAll();
        }
    }

    /** A struct epoll_event for {@code fd} (EPOLLIN), in this thread's scratch memory. */
    private static Pointer event(int fd) {
        Pointer ev = Scratch.get().epollEvent;
        ev.putLong(0, 0);
        ev.putLong(8, 0);
        ev.putInt(0, LibC.EPOLLIN);
        ev.putLong(DATA_OFFSET, fd);
        return ev;
    }

    private boolean rearm(Watch w) {
        Pointer ev = event(w.channel.fd());
        synchronized (this) {
            return !epfdClosed && LibC.get().epoll_ctl(epfd, LibC.EPOLL_CTL_ADD, w.channel.fd(), ev) == 0;
        }
    }

    /** Reads what the helper sent; true once the watch is finished (the channel is then closed). */
    private boolean readable(Watch w) {
        HelperChannel ch = w.channel;
        try {
            Frames.Frame f;
            while ((f = ch.readFrameNonBlocking()) != null) {
                if (f.type() == Protocol.FRAME_EXIT && !w.exitDelivered) {
                    deliver(w, Frames.exit(f));
                    if (ch.reusable()) {
                        handBack(w); // it sends nothing more for this sandbox
                        return true;
                    }
                }
            }
        } catch (RuntimeException e) {
            ch.command(Protocol.CMD_KILL, 0); // a helper we cannot understand must not keep running
            if (!w.exitDelivered) {
                deliver(w, new Exit(-1, 0, 0, 0, 0, new SandboxException("helper", "", e.getMessage(), e)));
            }
            // A --reuse helper ends at end of file only (also after EXIT, when it waits for CMD_RECYCLE).
            finish(w, ch.reusable());
            return true;
        }
        if (ch.atEof()) {
            finish(w, false);
            return true;
        }
        return false;
    }

    /**
     * A {@code --reuse} helper has reported its sandbox's end: the whole tree is gone, so the watch
     * is over. Its pool has it back ({@code CMD_RECYCLE}); one kept out of the pool (moved into the
     * sandbox's cgroup) ends at end of file instead and is reaped here.
     */
    private void handBack(Watch w) {
        HelperChannel ch = w.channel;
        if (!ch.servesAgain()) {
            finish(w, true);
            return;
        }
        unwatch(w); // before the pool may lend it (and its descriptor) to the next sandbox
        ch.owner().giveBack(ch);
        call(w.onReaped);
    }

    private void unwatch(Watch w) {
        HelperChannel ch = w.channel;
        if (w.reader != WAITER) { // a waiter took it out of the set already
            synchronized (this) {
                if (!epfdClosed) {
                    LibC.get().epoll_ctl(epfd, LibC.EPOLL_CTL_DEL, ch.fd(), null);
                }
            }
        }
        watches.remove(ch.fd(), w);
    }

    /**
     * The watch is over: out of the set and the map, the helper reaped, the channel closed. With
     * {@code endOfFile} the channel is closed before the reaping, which ends a helper that would
     * otherwise wait (a --reuse one); never before it left the epoll set and the map, whose keys are
     * descriptor numbers that a close frees for reuse.
     */
    private void finish(Watch w, boolean endOfFile) {
        HelperChannel ch = w.channel;
        unwatch(w);
        if (endOfFile) {
            ch.close();
        }
        int helperStatus = ch.reapHelper();
        ch.close();
        if (!w.exitDelivered) {
            deliver(w, new Exit(helperStatus, 0, 0, 0, 0, new SandboxException("helper", "",
                    "sandbox-helper (pid " + ch.helperPid() + ") " + WaitStatus.describe(helperStatus)
                            + " without reporting how the command ended; the sandbox was torn down", null)));
        }
        call(w.onReaped);
    }

    private static void deliver(Watch w, Exit exit) {
        w.exitDelivered = true;
        call(() -> w.onExit.accept(exit));
    }

    private static void call(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException | Error e) {
            Thread t = Thread.currentThread();
            t.getUncaughtExceptionHandler().uncaughtException(t, e);
        }
    }
}
