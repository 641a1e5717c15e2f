package dev.sandbox.base;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * How Java strings become the bytes of arguments, environment and paths, and how a command's
 * output becomes text: the platform's file name encoding ({@code sun.jnu.encoding}), as
 * {@link ProcessBuilder} does — except where that is ASCII (no {@code LANG}, or {@code LC_ALL=C}:
 * the POSIX locale), which cannot carry any other character and would turn each into {@code ?}.
 * UTF-8 then, as JDK 18 chose for {@code file.encoding}: what a sandbox receives does not depend on
 * whether the caller's environment happened to set a locale.
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
        Charset cs;
        try {
            cs = name == null ? Charset.defaultCharset() : Charset.forName(name);
        } catch (RuntimeException e) {
            cs = Charset.defaultCharset();
        }
        return cs.equals(StandardCharsets.US_ASCII) ? StandardCharsets.UTF_8 : cs;
    }
}
