package dev.sandbox.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The frames sandbox-helper sends the JVM ({@code frames.c}; layouts in {@code protocol.h}),
 * cut from the socket's bytes and decoded here and nowhere else. A frame that does not have its
 * type's exact layout is an {@link IllegalStateException}: the helper and the library disagree.
 * FramesRoundTripTest decodes what the helper's own encoders wrote ({@code sandbox-helper --describe-frames}).
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Frames {

    /** u32 type, u32 length. */
    static final int HEADER_BYTES = 8;
    /** Far above the largest frame the helper sends (an ERROR with a 4 KiB path): anything bigger is garbage. */
    static final int MAX_PAYLOAD = 1 << 20;

    /** One frame as it came: its type ({@link Protocol#FRAME_STARTED} etc.) and its payload. */
    public record Frame(int type, byte[] payload) {
    }

    /** STARTED: the host pids of the sandbox's first process and of the command (equal without a pid namespace). */
    public record Started(int childPid, int commandPid) {
    }

    /** ERROR: the step that failed, its errno and the path it acted on, as the helper's bytes. */
    public record Failure(int errno, byte[] step, byte[] path) {

        /** The step's name (ASCII in the helper's sources). */
        public String stepName() {
            return new String(step, StandardCharsets.UTF_8);
        }

        /** The path as the JVM names files. */
        public String pathName() {
            return new String(path, Encoding.CHARSET);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Failure f && errno == f.errno && Arrays.equals(step, f.step) && Arrays.equals(path, f.path);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * errno + Arrays.hashCode(step)) + Arrays.hashCode(path);
        }

        @Override
        public String toString() {
            return "Failure[errno=" + errno + ", step=" + Arrays.toString(step) + ", path=" + Arrays.toString(path) + "]";
        }
    }

    private Frames() {
    }

    /**
     * The first whole frame in {@code buf[0, len)}, or null while it is incomplete; the caller
     * drops {@link #HEADER_BYTES} plus the payload's length from its buffer.
     */
    static Frame read(byte[] buf, int len) {
        if (len < HEADER_BYTES) {
            return null;
        }
        ByteBuffer h = ByteBuffer.wrap(buf, 0, len).order(ByteOrder.nativeOrder());
        int type = h.getInt();
        int length = h.getInt();
        if (length < 0 || length > MAX_PAYLOAD) {
            throw new IllegalStateException("sandbox-helper sent a malformed frame (type " + type
                    + ", length " + length + ")");
        }
        if (len - HEADER_BYTES < length) {
            return null;
        }
        return new Frame(type, Arrays.copyOfRange(buf, HEADER_BYTES, HEADER_BYTES + length));
    }

    /** {@code i32 child_pid, i32 command_pid}. */
    static Started started(Frame f) {
        ByteBuffer b = payload(f, Protocol.FRAME_STARTED, "STARTED");
        requireLength(f, 8, "STARTED");
        return new Started(b.getInt(), b.getInt());
    }

    /** {@code i32 errno, u32 n, step[n], u32 m, path[m]}. */
    static Failure error(Frame f) {
        ByteBuffer b = payload(f, Protocol.FRAME_ERROR, "ERROR");
        int errno = b.remaining() >= 4 ? b.getInt() : malformed(f, "ERROR");
        byte[] step = counted(b, f);
        byte[] path = counted(b, f);
        if (b.hasRemaining()) {
            malformed(f, "ERROR");
        }
        return new Failure(errno, step, path);
    }

    /** {@code i32 wait_status, u32 flags, i64 utime_us, i64 stime_us, i64 maxrss_kib}. */
    static Exit exit(Frame f) {
        ByteBuffer b = payload(f, Protocol.FRAME_EXIT, "EXIT");
        requireLength(f, 32, "EXIT");
        return new Exit(b.getInt(), b.getInt(), b.getLong(), b.getLong(), b.getLong(), null);
    }

    private static ByteBuffer payload(Frame f, int type, String name) {
        if (f.type() != type) {
            throw new IllegalArgumentException("frame type " + f.type() + " (expected: " + name + " = " + type + ")");
        }
        return ByteBuffer.wrap(f.payload()).order(ByteOrder.nativeOrder());
    }

    private static void requireLength(Frame f, int length, String name) {
        if (f.payload().length != length) {
            malformed(f, name);
        }
    }

    private static byte[] counted(ByteBuffer b, Frame f) {
        int n = b.remaining() >= 4 ? b.getInt() : malformed(f, "ERROR");
        if (n < 0 || n > b.remaining()) {
            malformed(f, "ERROR");
        }
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static int malformed(Frame f, String name) {
        throw new IllegalStateException("sandbox-helper sent a malformed " + name + " frame (payload length "
                + f.payload().length + ")");
    }
}
