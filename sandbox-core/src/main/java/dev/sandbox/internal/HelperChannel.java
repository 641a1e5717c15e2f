package dev.sandbox.internal;

import dev.sandbox.base.Errno;
import dev.sandbox.base.Signals;
import dev.sandbox.internal.Frames.Frame;
import jnr.ffi.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The JVM's end of one helper's control socket (fd 3 on the helper's side): frames in, commands
 * out, and the helper's pid to reap. Reads happen on one thread at a time (the starting thread
 * until the first frame, then the reaper); sends may come from any thread and never touch a
 * closed (possibly reused) descriptor.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class HelperChannel {

    private final int fd;
    private final int helperPid;
    private final HelperPool.Kind kind;
    /** The pool that started it with {@code --reuse} (it then serves sandbox after sandbox), or null. */
    private final HelperPool owner;
    private final Object lock = new Object();
    private boolean closed;
    /** Taken from its owner and not handed back yet; guarded by the owner. */
    boolean lent;
    /** Whether its owner (if any) may have it back after EXIT: not once it was moved into a sandbox's cgroup. */
    private volatile boolean returnable;
    private byte[] buf = new byte[512];
    private int len;
    private boolean eof;

    HelperChannel(int fd, int helperPid, HelperPool.Kind kind, HelperPool owner) {
        this.fd = fd;
        this.helperPid = helperPid;
        this.kind = kind;
        this.owner = owner;
        this.returnable = owner != null;
    }

    /** What the helper was started as. */
    HelperPool.Kind kind() {
        return kind;
    }

    /** Whether the helper was started with {@code --reuse}: after EXIT it waits for recycling or end of file. */
    boolean reusable() {
        return owner != null;
    }

    /** Whether the helper goes back to its pool after its sandbox's EXIT (and may then serve another). */
    public boolean servesAgain() {
        return returnable;
    }

    /** The pool that started it with {@code --reuse}, or null. */
    HelperPool owner() {
        return owner;
    }

    /**
     * Never back to the pool: the helper is moved into a sandbox's cgroup, whose removal waits for
     * it to exit. After EXIT its socket is closed, which ends it.
     */
    void keepOutOfPool() {
        returnable = false;
        if (owner != null) {
            owner.lost(this);
        }
    }

    /**
     * Tells a {@code --reuse} helper that nothing more comes for its last sandbox: it resets itself
     * and waits for the next spec. False when it cannot serve again (not such a helper, unread
     * bytes after EXIT, gone).
     */
    boolean recycle() {
        if (owner == null || len != 0 || eof) {
            return false;
        }
        return command(Protocol.CMD_RECYCLE, 0);
    }

    public int fd() {
        return fd;
    }

    public int helperPid() {
        return helperPid;
    }

    /** Writes all of {@code data}; false when the helper is gone. */
    boolean sendAll(byte[] data) {
        LibC libc = LibC.get();
        synchronized (lock) {
            if (closed) {
                return false;
            }
            int off = 0;
            while (off < data.length) {
                byte[] chunk = off == 0 ? data : Arrays.copyOfRange(data, off, data.length);
                long n = libc.send(fd, chunk, chunk.length, LibC.MSG_NOSIGNAL);
                if (n < 0) {
                    if (LibC.errno() == Errno.EINTR) {
                        continue;
                    }
                    return false;
                }
                off += (int) n;
            }
            return true;
        }
    }

    /**
     * Sends the spec with the command's stdio descriptors attached (SCM_RIGHTS on the first
     * bytes); false when the helper is gone (EPIPE, ECONNRESET) before taking it.
     */
    boolean sendSpec(byte[] spec, int[] stdio) {
        if (stdio.length > 4) {
            throw new IllegalArgumentException("at most 4 descriptors, got " + stdio.length);
        }
        LibC libc = LibC.get();
        // struct msghdr, iovec and one cmsghdr with three ints: the LP64 layout of x86_64 and aarch64.
        Scratch scratch = Scratch.get();
        Pointer data = scratch.data(spec.length);
        data.put(0, spec, 0, spec.length);
        Pointer msg = scratch.message;
        long iov = 56;
        long control = 72;
        int cmsgLen = 16 + 4 * stdio.length;
        msg.putPointer(iov, data);
        msg.putLong(iov + 8, spec.length);
        msg.putLong(control, cmsgLen);
        msg.putInt(control + 8, LibC.SOL_SOCKET);
        msg.putInt(control + 12, LibC.SCM_RIGHTS);
        for (int i = 0; i < stdio.length; i++) {
            msg.putInt(control + 16 + 4L * i, stdio[i]);
        }
        if ((cmsgLen & 7) != 0) {
            msg.putInt(control + cmsgLen, 0); // padding up to the 8-byte boundary
        }
        msg.putLong(0, 0); // msg_name
        msg.putLong(8, 0); // msg_namelen and padding
        msg.putLong(16, msg.address() + iov);
        msg.putLong(24, 1);
        msg.putLong(32, msg.address() + control);
        msg.putLong(40, (cmsgLen + 7) & ~7);
        msg.putLong(48, 0); // msg_flags and padding
        long sent;
        synchronized (lock) {
            if (closed) {
                return false;
            }
            do {
                sent = libc.sendmsg(fd, msg, LibC.MSG_NOSIGNAL);
            } while (sent < 0 && LibC.errno() == Errno.EINTR);
        }
        if (sent < 0) {
            return false;
        }
        // A spec larger than the socket buffer goes out in more pieces; the fds came with the first.
        return sent == spec.length || sendAll(java.util.Arrays.copyOfRange(spec, (int) sent, spec.length));
    }

    /** Sends a command frame ({@link Protocol#CMD_SIGNAL} etc.); false when the helper is gone. */
    public boolean command(int type, int argument) {
        ByteBuffer b = ByteBuffer.allocate(type == Protocol.CMD_SIGNAL ? 12 : 8).order(ByteOrder.nativeOrder());
        b.putInt(type).putInt(type == Protocol.CMD_SIGNAL ? 4 : 0);
        if (type == Protocol.CMD_SIGNAL) {
            b.putInt(argument);
        }
        return sendAll(b.array());
    }

    /** The next frame, blocking; null at end of file (the helper exited). */
    Frame readFrameBlocking() {
        while (true) {
            Frame f = parse();
            if (f != null || eof) {
                return f;
            }
            fill(0);
        }
    }

    /**
     * Reads what is available without blocking and returns the next complete frame, or null
     * when none is complete yet; {@link #atEof()} tells whether the helper has closed its end.
     */
    Frame readFrameNonBlocking() {
        Frame f = parse();
        if (f != null || eof) {
            return f;
        }
        if (fill(LibC.MSG_DONTWAIT)) {
            return parse();
        }
        return null;
    }

    boolean atEof() {
        return eof && len == 0;
    }

    /** Reads once; false when nothing was available. */
    private boolean fill(int flags) {
        if (buf.length - len < 256) {
            buf = Arrays.copyOf(buf, buf.length * 2);
        }
        byte[] tmp = new byte[buf.length - len];
        while (true) {
            long n = LibC.get().recv(fd, tmp, tmp.length, flags);
            if (n > 0) {
                System.arraycopy(tmp, 0, buf, len, (int) n);
                len += (int) n;
                return true;
            }
            if (n == 0) {
                eof = true;
                return false;
            }
            int err = LibC.errno();
            if (err == Errno.EINTR) {
                continue;
            }
            if (err == Errno.EAGAIN) {
                return false;
            }
            eof = true; // ECONNRESET and friends: the helper is gone all the same
            return false;
        }
    }

    private Frame parse() {
        Frame f = Frames.read(buf, len);
        if (f != null) {
            int used = Frames.HEADER_BYTES + f.payload().length;
            System.arraycopy(buf, used, buf, 0, len - used);
            len -= used;
        }
        return f;
    }

    /** Whether the helper has already exited; if so it is reaped here (a later reapHelper() returns -1). */
    boolean exitedAlready() {
        int[] status = new int[1];
        return LibC.get().waitpid(helperPid, status, LibC.WNOHANG) == helperPid;
    }

    /** Waits for the helper to exit and returns its wait status. */
    int reapHelper() {
        return WaitStatus.reap(helperPid);
    }

    /**
     * Ends a helper nobody will watch: SIGKILL (its sandbox dies with it: PR_SET_PDEATHSIG, the pid
     * namespace), reaped, its socket closed.
     */
    public void abandon() {
        LibC.get().kill(helperPid, Signals.SIGKILL);
        reapHelper();
        close();
    }

    /** Closes the socket (a helper waiting for its next sandbox then exits); later sends become no-ops. */
    void close() {
        boolean now;
        synchronized (lock) {
            now = !closed;
            if (now) {
                closed = true;
                LibC.get().close(fd);
            }
        }
        if (now && owner != null) {
            owner.lost(this); // its pool counts it out, if it was lent
        }
    }
}
