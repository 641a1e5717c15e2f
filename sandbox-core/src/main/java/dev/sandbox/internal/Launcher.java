package dev.sandbox.internal;

import dev.sandbox.SandboxException;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Starts sandbox-helper with {@code posix_spawn} (a vfork-style clone inside glibc: nothing of
 * the JVM runs in the child), hands it the spec on fd 3 and waits for its first frame: the
 * command is running ({@code STARTED}) or setup failed at a named step ({@code ERROR}).
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Launcher {

    /** What a successful start hands to the process object. */
    public record Started(HelperChannel channel, int childPid, int commandPid,
                          OutputStream stdin, InputStream stdout, InputStream stderr) {
    }

    private static final int HELPER_CONTROL_FD = 3;

    /** Like ProcessBuilder's stream for a redirected stdin: every write fails with "Stream closed". */
    private static OutputStream closedOutput() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Stream closed");
            }
        };
    }

    private Launcher() {
    }

    /** Starts one sandboxed command; on failure nothing it created is left behind. */
    public static Started launch(Spec spec, Redirect in, Redirect out, Redirect err, boolean errorToOutput)
            throws IOException {
        Path helper = HelperBinary.path();
        LibC libc = LibC.get();
        Fds fds = new Fds();
        try {
            int[] sv = new int[2];
            if (libc.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, sv) != 0) {
                throw new SandboxException("socketpair", "", LibC.errno(), "");
            }
            fds.control = sv[0];
            fds.helperControl = sv[1];
            OutputStream stdin = closedOutput();
            InputStream stdout = InputStream.nullInputStream();
            InputStream stderr = InputStream.nullInputStream();
            fds.childStdin = childEnd(in, 0, fds);
            if (in == Redirect.PIPE) {
                stdin = new BufferedOutputStream(fds.openOutput());
            }
            fds.childStdout = childEnd(out, 1, fds);
            if (out == Redirect.PIPE) {
                stdout = new BufferedInputStream(fds.openInput());
            }
            if (errorToOutput) {
                fds.childStderr = fds.childStdout;
            } else {
                fds.childStderr = childEnd(err, 2, fds);
                if (err == Redirect.PIPE) {
                    stderr = new BufferedInputStream(fds.openInput());
                }
            }
            int pid = spawn(helper, fds);
            fds.closeChildEnds();
            HelperChannel channel = new HelperChannel(fds.control, pid);
            fds.control = -1;
            fds.streams.clear(); // from here on handshake() owns them
            return handshake(channel, spec, helper, new Streams(stdin, stdout, stderr));
        } finally {
            fds.closeAll();
        }
    }

    private record Streams(OutputStream stdin, InputStream stdout, InputStream stderr) {
        void close() {
            for (java.io.Closeable c : new java.io.Closeable[] {stdin, stdout, stderr}) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // Closing our end of a pipe to a process that never ran cannot lose data.
                }
            }
        }
    }

    private static Started handshake(HelperChannel channel, Spec spec, Path helper, Streams streams)
            throws IOException {
        boolean ok = false;
        try {
            channel.sendAll(spec.encode()); // a failed send shows up as EOF below
            HelperChannel.Frame first = channel.readFrameBlocking();
            if (first != null && first.type() == Protocol.FRAME_STARTED) {
                ByteBuffer b = first.buffer();
                int child = b.getInt();
                int command = b.getInt();
                ok = true;
                return new Started(channel, child, command, streams.stdin(), streams.stdout(), streams.stderr());
            }
            int status = channel.reapHelper();
            if (first != null && first.type() == Protocol.FRAME_ERROR) {
                throw setupFailure(first);
            }
            throw new SandboxException("helper", helper.toString(),
                    "sandbox-helper " + WaitStatus.describe(status) + " before the command started", null);
        } finally {
            if (!ok) {
                channel.close();
                streams.close();
            }
        }
    }

    /** An ERROR frame as the exception users see, with a hint where the kernel's answer is terse. */
    static SandboxException setupFailure(HelperChannel.Frame frame) {
        ByteBuffer b = frame.buffer();
        int errno = b.getInt();
        byte[] step = new byte[b.getInt()];
        b.get(step);
        byte[] path = new byte[b.getInt()];
        b.get(path);
        String stepName = new String(step, StandardCharsets.UTF_8);
        String pathName = new String(path, Encoding.CHARSET);
        return new SandboxException(stepName, pathName, errno, Hints.forStep(stepName, errno));
    }

    private static int spawn(Path helper, Fds fds) throws SandboxException {
        LibC libc = LibC.get();
        Runtime rt = LibC.runtime();
        Pointer actions = jnr.ffi.Memory.allocateDirect(rt, 512, true);
        if (libc.posix_spawn_file_actions_init(actions) != 0) {
            throw new SandboxException("posix_spawn_file_actions_init", "", LibC.errno(), "");
        }
        try {
            int[] sources = {fds.childStdin, fds.childStdout, fds.childStderr, fds.helperControl};
            for (int target = 0; target < sources.length; target++) {
                if (sources[target] >= 0) {
                    int rc = libc.posix_spawn_file_actions_adddup2(actions, sources[target], target);
                    if (rc != 0) {
                        throw new SandboxException("posix_spawn_file_actions_adddup2", "", rc, "");
                    }
                }
            }
            IntByReference pid = new IntByReference();
            byte[] path = Encoding.cString(helper.toString());
            int rc = libc.posix_spawn(pid, path, actions, null, Argv.HELPER_ARGV, Argv.EMPTY_ENV);
            if (rc != 0) {
                throw new SandboxException("posix_spawn", helper.toString(), rc, "");
            }
            return pid.intValue();
        } finally {
            libc.posix_spawn_file_actions_destroy(actions);
        }
    }

    /**
     * The descriptor the helper gets as {@code target} for {@code redirect}: a pipe end, an opened
     * file, or -1 to inherit the JVM's own (no file action at all). Every descriptor we create
     * is close-on-exec and numbered above 3, so the dup2 actions cannot clobber each other.
     */
    private static int childEnd(Redirect redirect, int target, Fds fds) throws IOException {
        LibC libc = LibC.get();
        switch (redirect.type()) {
            case INHERIT:
                return -1;
            case PIPE: {
                int[] p = new int[2];
                if (libc.pipe2(p, LibC.O_CLOEXEC) != 0) {
                    throw new SandboxException("pipe2", "", LibC.errno(), "");
                }
                // For stdin the JVM writes (p[1]) and the child reads (p[0]); the others the reverse.
                int ours = target == 0 ? p[1] : p[0];
                int theirs = target == 0 ? p[0] : p[1];
                fds.pendingParentEnd = high(ours);
                return fds.track(high(theirs));
            }
            case READ:
            case WRITE:
            case APPEND: {
                String file = redirect.file().getPath();
                int flags = switch (redirect.type()) {
                    case READ -> LibC.O_RDONLY;
                    case WRITE -> LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC;
                    default -> LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND;
                };
                int fd = libc.open(Encoding.cString(file), flags | LibC.O_CLOEXEC, 0666);
                if (fd < 0) {
                    throw new SandboxException("open", file, LibC.errno(), "redirect of fd " + target);
                }
                return fds.track(high(fd));
            }
            default:
                throw new IllegalArgumentException("redirect: " + redirect + " (expected: PIPE, INHERIT, DISCARD, a file)");
        }
    }

    /** Moves an fd above 3 (only possible if the JVM closed its own stdio). */
    private static int high(int fd) throws SandboxException {
        if (fd > HELPER_CONTROL_FD) {
            return fd;
        }
        LibC libc = LibC.get();
        int moved = libc.fcntl(fd, LibC.F_DUPFD_CLOEXEC, 10);
        int err = LibC.errno();
        libc.close(fd);
        if (moved < 0) {
            throw new SandboxException("fcntl", "", err, "");
        }
        return moved;
    }

    /** Every descriptor a launch holds, so any failure closes all of them. */
    private static final class Fds {
        int control = -1;
        int helperControl = -1;
        int childStdin = -1;
        int childStdout = -1;
        int childStderr = -1;
        int pendingParentEnd = -1;
        private final int[] tracked = new int[4];
        private int trackedCount;

        int track(int fd) {
            tracked[trackedCount++] = fd;
            return fd;
        }

        final java.util.List<java.io.Closeable> streams = new java.util.ArrayList<>(3);

        /*
         * The pending parent pipe end becomes a Java stream by opening /proc/self/fd/N, and the
         * raw descriptor is closed. Done while the child end is still open here, so opening the
         * pipe never waits for a peer.
         */
        InputStream openInput() throws IOException {
            FileInputStream s = new FileInputStream(procPath());
            streams.add(s);
            closePending();
            return s;
        }

        OutputStream openOutput() throws IOException {
            FileOutputStream s = new FileOutputStream(procPath());
            streams.add(s);
            closePending();
            return s;
        }

        private String procPath() {
            return "/proc/self/fd/" + pendingParentEnd;
        }

        private void closePending() {
            LibC.get().close(pendingParentEnd);
            pendingParentEnd = -1;
        }

        void closeChildEnds() {
            LibC libc = LibC.get();
            for (int i = 0; i < trackedCount; i++) {
                libc.close(tracked[i]);
            }
            trackedCount = 0;
            if (helperControl >= 0) {
                libc.close(helperControl);
                helperControl = -1;
            }
        }

        void closeAll() {
            closeChildEnds();
            for (java.io.Closeable c : streams) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // Nothing was written through them yet.
                }
            }
            streams.clear();
            LibC libc = LibC.get();
            if (pendingParentEnd >= 0) {
                libc.close(pendingParentEnd);
                pendingParentEnd = -1;
            }
            if (control >= 0) {
                libc.close(control);
                control = -1;
            }
        }
    }
}
