package dev.sandbox.internal;

import dev.sandbox.SandboxException;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The one thread that waits for every running sandbox: epoll over the helpers' control sockets.
 * A helper reports {@code EXIT} and closes its socket when its command is over; end of file
 * without a report means the helper itself died, which is reported as such.
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

    private static final class Holder {
        static final Reaper INSTANCE = new Reaper();
    }

    private static final class Watch {
        final HelperChannel channel;
        final Consumer<Exit> onExit;
        final Runnable onReaped;
        boolean exitDelivered;

        Watch(HelperChannel channel, Consumer<Exit> onExit, Runnable onReaped) {
            this.channel = channel;
            this.onExit = onExit;
            this.onReaped = onReaped;
        }
    }

    private final int epfd;
    private final Map<Integer, Watch> watches = new ConcurrentHashMap<>();

    private Reaper() {
        LibC libc = LibC.get();
        epfd = libc.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (epfd < 0) {
            throw new IllegalStateException(new SandboxException("epoll_create1", "", LibC.errno(), ""));
        }
        Thread t = new Thread(this::loop, "sandbox-reaper");
        t.setDaemon(true);
        t.start();
    }

    public static Reaper get() {
        return Holder.INSTANCE;
    }

    /**
     * Watches {@code channel}: calls {@code onExit} (on the reaper thread) as soon as the helper
     * reports that the command and its whole tree are gone, then {@code onReaped} once the helper
     * itself has exited and been reaped and the channel is closed.
     */
    public void watch(HelperChannel channel, Consumer<Exit> onExit, Runnable onReaped) throws SandboxException {
        watches.put(channel.fd(), new Watch(channel, onExit, onReaped));
        Pointer ev = Memory.allocateDirect(LibC.runtime(), EVENT_SIZE, true);
        ev.putInt(0, LibC.EPOLLIN);
        ev.putLong(DATA_OFFSET, channel.fd());
        if (LibC.get().epoll_ctl(epfd, LibC.EPOLL_CTL_ADD, channel.fd(), ev) != 0) {
            int err = LibC.errno();
            watches.remove(channel.fd());
            throw new SandboxException("epoll_ctl", "", err, "");
        }
    }

    private void loop() {
        LibC libc = LibC.get();
        Pointer events = Memory.allocateDirect(LibC.runtime(), MAX_EVENTS * EVENT_SIZE, true);
        while (true) {
            int n = libc.epoll_wait(epfd, events, MAX_EVENTS, -1);
            if (n < 0) {
                continue; // EINTR; nothing else can fail on a valid epoll fd and buffer
            }
            for (int i = 0; i < n; i++) {
                int fd = (int) events.getLong((long) i * EVENT_SIZE + DATA_OFFSET);
                Watch w = watches.get(fd);
                if (w != null) {
                    readable(w);
                }
            }
        }
    }

    private void readable(Watch w) {
        HelperChannel ch = w.channel;
        try {
            Frames.Frame f;
            while ((f = ch.readFrameNonBlocking()) != null) {
                if (f.type() == Protocol.FRAME_EXIT && !w.exitDelivered) {
                    deliver(w, Frames.exit(f));
                }
            }
        } catch (RuntimeException e) {
            ch.command(Protocol.CMD_KILL, 0); // a helper we cannot understand must not keep running
            if (!w.exitDelivered) {
                deliver(w, new Exit(-1, 0, 0, 0, 0, new SandboxException("helper", "", e.getMessage(), e)));
            }
            finish(w);
            return;
        }
        if (ch.atEof()) {
            finish(w);
        }
    }

    private void finish(Watch w) {
        HelperChannel ch = w.channel;
        LibC.get().epoll_ctl(epfd, LibC.EPOLL_CTL_DEL, ch.fd(), null);
        watches.remove(ch.fd());
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
