package dev.sandbox.internal;

import java.nio.charset.Charset;

/**
 * How Java strings become the bytes of arguments, environment and paths, and how output becomes
 * text: {@link dev.sandbox.base.Encoding} (the platform's file name encoding, UTF-8 where that is
 * ASCII), which the cgroup library uses for its paths too.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Encoding {

    public static final Charset CHARSET = dev.sandbox.base.Encoding.CHARSET;

    private Encoding() {
    }

    public static byte[] bytes(String s) {
        return dev.sandbox.base.Encoding.bytes(s);
    }

    /** The bytes of {@code s} followed by a NUL, for a {@code const char *} argument. */
    public static byte[] cString(String s) {
        return dev.sandbox.base.Encoding.cString(s);
    }
}
