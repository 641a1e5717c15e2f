package dev.sandbox.base;

import java.nio.charset.Charset;
import java.util.Arrays;

/**
 * How Java strings become the bytes of arguments, environment and paths: the platform's file
 * name encoding ({@code sun.jnu.encoding}), as {@link ProcessBuilder} does.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Encoding {

    public static final Charset CHARSET = platformCharset();

    private Encoding() {
    }

    public static byte[] bytes(String s) {
        return s.getBytes(CHARSET);
    }

    /** The bytes of {@code s} followed by a NUL, for a {@code const char *} argument. */
    public static byte[] cString(String s) {
        byte[] b = bytes(s);
        return Arrays.copyOf(b, b.length + 1);
    }

    private static Charset platformCharset() {
        String name = System.getProperty("sun.jnu.encoding");
        try {
            return name == null ? Charset.defaultCharset() : Charset.forName(name);
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }
}
