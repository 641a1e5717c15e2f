package dev.sandbox.internal;

import java.nio.charset.Charset;

/**
 * How Java strings become the bytes of arguments, environment and paths: the platform's file
 * name encoding ({@code sun.jnu.encoding}), as {@link ProcessBuilder} does. The same as
 * {@link dev.sandbox.base.Encoding}, which the cgroup library uses for its paths.
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
