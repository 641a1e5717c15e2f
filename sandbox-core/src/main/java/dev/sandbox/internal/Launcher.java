package dev.sandbox.internal;

import dev.sandbox.SandboxException;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;

/**
 * Starts one command: takes a helper from the runtime's {@link HelperPool}, hands it the spec and the
 * command's stdio on its control socket, and waits for its first frame: the command is running
 * ({@code STARTED}) or setup failed at a named step ({@code ERROR}).
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Launcher {

    /** What a successful start hands to the process object. */
    public record Started(HelperChannel channel, int childPid, int commandPid,
                          OutputStream stdin, InputStream stdout, InputStream stderr) {
    }

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

    /**
     * Starts one sandboxed command; on failure nothing it created is left behind.
     *
     * @param preset a helper to use (already placed in the sandbox's cgroup), or null to take one
     *               from {@code pool}
     * @param pool   the runtime's idle helpers
     */
    public static Started launch(Spec spec, Redirect in, Redirect out, Redirect err, boolean errorToOutput,
                                 HelperChannel preset, HelperPool pool) throws IOException {
        return launch(spec.encode(), in, out, err, errorToOutput, preset, pool);
    }

    /** {@link #launch(Spec, Redirect, Redirect, Redirect, boolean, HelperChannel, HelperPool)} with the spec already encoded. */
    public static Started launch(byte[] encoded, Redirect in, Redirect out, Redirect err, boolean errorToOutput,
                                 HelperChannel preset, HelperPool pool) throws IOException {
        return launch(encoded, in, out, err, errorToOutput, preset, pool, HelperPool.Kind.PLAIN, null);
    }

    /**
     * The same, for a spec with {@code SBX_T_CPU_LIMIT}: {@code cpuUsage} (the sandbox's cgroup's
     * CPU usage file) is opened here and passed to the helper with the stdio, for its monitor to read.
     * {@code kind}: the helper the spec can use best (see {@link HelperPool#take(HelperPool.Kind)}).
     */
    public static Started launch(byte[] encoded, Redirect in, Redirect out, Redirect err, boolean errorToOutput,
                                 HelperChannel preset, HelperPool pool, HelperPool.Kind kind,
                                 java.nio.file.Path cpuUsage) throws IOException {
        Fds fds = new Fds();
        try {
            OutputStream stdin = closedOutput();
            InputStream stdout = InputStream.nullInputStream();
            InputStream stderr = InputStream.nullInputStream();
            int[] stdio = new int[3];
            stdio[0] = childEnd(in, 0, fds);
            if (in == Redirect.PIPE) {
                stdin = new BufferedOutputStream(fds.openOutput());
            }
            stdio[1] = childEnd(out, 1, fds);
            if (out == Redirect.PIPE) {
                stdout = new BufferedInputStream(fds.openInput());
            }
            if (errorToOutput) {
                stdio[2] = stdio[1];
            } else {
                stdio[2] = childEnd(err, 2, fds);
                if (err == Redirect.PIPE) {
                    stderr = new BufferedInputStream(fds.openInput());
                }
            }
            if (cpuUsage != null) {
                int fd = LibC.get().open(Encoding.cString(cpuUsage.toString()), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
                if (fd < 0) {
                    throw new SandboxException("cpu-time", cpuUsage.toString(), LibC.errno(),
                            "cpuTimeLimit needs the sandbox's cgroup's CPU usage file");
                }
                stdio = java.util.Arrays.copyOf(stdio, 4);
                stdio[3] = fds.track(fd);
            }
            HelperChannel channel = preset != null ? preset : pool.take(kind);
            HelperPool.Kind taken = channel.kind();
            if (!channel.sendSpec(encoded, stdio) && preset == null) {
                // A helper started ahead of time has died (killed from outside): use a fresh one.
                channel.abandon();
                channel = HelperPool.spawn();
                channel.sendSpec(encoded, stdio); // a failure here shows up as EOF in the handshake
            }
            fds.closeChildEnds(); // the helper holds its own copies now
            fds.streams.clear(); // from here on handshake() owns them
            Streams streams = new Streams(stdin, stdout, stderr);
            if (preset == null) {
                // While the helper clones and sets the sandbox up, replace it in the pool.
                try {
                    pool.replenish(taken);
                } catch (RuntimeException | Error e) {
                    closeAfter(channel, streams, e);
                    throw e;
                }
            }
            return handshake(channel, streams);
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

    private static void closeAfter(HelperChannel channel, Streams streams, Throwable e) {
        channel.close(); // the helper sees the hang-up, kills what it started and exits
        channel.reapHelper();
        streams.close();
    }

    private static Started handshake(HelperChannel channel, Streams streams) throws IOException {
        boolean ok = false;
        try {
            Frames.Frame first = channel.readFrameBlocking();
            if (first != null && first.type() == Protocol.FRAME_STARTED) {
                Frames.Started started = Frames.started(first);
                ok = true;
                return new Started(channel, started.childPid(), started.commandPid(),
                        streams.stdin(), streams.stdout(), streams.stderr());
            }
            int status = channel.reapHelper();
            if (first != null && first.type() == Protocol.FRAME_ERROR) {
                throw setupFailure(Frames.error(first));
            }
            throw new SandboxException("helper", HelperBinary.origin(),
                    "sandbox-helper " + WaitStatus.describe(status) + " before the command started", null);
        } finally {
            if (!ok) {
                channel.close();
                streams.close();
            }
        }
    }

    /** An ERROR frame as the exception users see, with a hint where the kernel's answer is terse. */
    static SandboxException setupFailure(Frames.Failure failure) {
        String step = failure.stepName();
        return new SandboxException(step, failure.pathName(), failure.errno(), Hints.forStep(step, failure.errno()));
    }

    /**
     * The descriptor the command gets as {@code target} for {@code redirect}: a pipe end, an
     * opened file, or the JVM's own {@code target} to inherit it. Every descriptor we create is
     * close-on-exec; the helper receives copies with the spec.
     */
    private static int childEnd(Redirect redirect, int target, Fds fds) throws IOException {
        LibC libc = LibC.get();
        switch (redirect.type()) {
            case INHERIT:
                return target;
            case PIPE: {
                int[] p = new int[2];
                if (libc.pipe2(p, LibC.O_CLOEXEC) != 0) {
                    throw new SandboxException("pipe2", "", LibC.errno(), "");
                }
                // For stdin the JVM writes (p[1]) and the child reads (p[0]); the others the reverse.
                int ours = target == 0 ? p[1] : p[0];
                int theirs = target == 0 ? p[0] : p[1];
                fds.pendingParentEnd = ours;
                return fds.track(theirs);
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
                return fds.track(fd);
            }
            default:
                throw new IllegalArgumentException("redirect: " + redirect + " (expected: PIPE, INHERIT, DISCARD, a file)");
        }
    }

    /** Every descriptor a launch holds, so any failure closes all of them. */
    private static final class Fds {
        int pendingParentEnd = -1;
        private final int[] tracked = new int[5];
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
        }
    }
}
