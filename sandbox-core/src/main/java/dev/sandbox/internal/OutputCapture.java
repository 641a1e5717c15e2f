package dev.sandbox.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads a command's output stream to its end, keeping at most a limit of it: the rest is read
 * and dropped, so the command never blocks on a full pipe and the JVM holds no more than the limit
 * (plus one 64 KiB chunk) however much the command writes.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class OutputCapture {

    private static final int CHUNK = 64 * 1024;

    /** What was kept, and whether more came than the limit. */
    public record Captured(byte[] bytes, boolean truncated) {
    }

    private OutputCapture() {
    }

    /**
     * Reads {@code in} to end of file, keeping its first {@code limit} bytes; runs
     * {@code onOverflow} once, when the first byte past the limit arrives, and goes on reading.
     * A stream of exactly {@code limit} bytes is not truncated.
     */
    public static Captured read(InputStream in, int limit, Runnable onOverflow) throws IOException {
        byte[] chunk = new byte[CHUNK];
        byte[] kept = new byte[Math.min(limit, CHUNK)];
        int len = 0;
        boolean truncated = false;
        int n;
        while ((n = in.read(chunk)) >= 0) {
            int keep = Math.min(n, limit - len);
            if (len + keep > kept.length) {
                // Doubling, but never past the limit: the buffer's size is bounded by it.
                kept = Arrays.copyOf(kept, (int) Math.min(limit, Math.max(len + (long) keep, 2L * kept.length)));
            }
            System.arraycopy(chunk, 0, kept, len, keep);
            len += keep;
            if (keep < n && !truncated) {
                truncated = true;
                onOverflow.run();
            }
        }
        return new Captured(len == kept.length ? kept : Arrays.copyOf(kept, len), truncated);
    }
}
