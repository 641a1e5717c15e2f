package dev.sandbox.base;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The argument checks of every builder ({@code Sandbox.Builder}, {@code Limits.Builder}, …), with
 * one message form:
 *
 * <pre>{@code <setting>: <what is wrong>; allowed: <range or form>}</pre>
 *
 * <p>for example {@code memoryMax: got 100; allowed: 4096..1125899906842624 bytes} or
 * {@code bind target: got "a/b"; allowed: an absolute path}. The setting is named as the user wrote
 * it (the builder method, or {@code <method> <part>} for one of its arguments). Values are shown by
 * {@link #show}: numbers bare, everything else in double quotes with Java escapes.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Checks {

    private Checks() {
    }

    /** The exception for a bad setting: {@code setting: problem; allowed: allowed}. */
    public static IllegalArgumentException invalid(String setting, String problem, String allowed) {
        return new IllegalArgumentException(setting + ": " + problem + "; allowed: " + allowed);
    }

    /** Throws {@code setting: got <value>; allowed: allowed} unless {@code ok}. */
    public static void check(boolean ok, String setting, Object value, String allowed) {
        if (!ok) {
            throw invalid(setting, "got " + show(value), allowed);
        }
    }

    /** {@code value} if within {@code min..max}, else {@code setting: got v; allowed: min..max unit}. */
    public static long inRange(String setting, long value, long min, long max, String unit) {
        check(value >= min && value <= max, setting, value, min + ".." + max + (unit.isEmpty() ? "" : " " + unit));
        return value;
    }

    /** {@code value}, or a {@link NullPointerException} naming {@code setting}. */
    public static <T> T notNull(String setting, T value) {
        return Objects.requireNonNull(value, setting);
    }

    /** A value as messages show it: numbers and booleans bare, everything else {@link #quote}d. */
    public static String show(Object value) {
        if (value instanceof Number || value instanceof Boolean) {
            return String.valueOf(value);
        }
        return quote(String.valueOf(value));
    }

    /** {@code "text"}, with {@code "}, {@code \} and control characters escaped as in Java source. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** {@code value}, unless it holds a NUL (which no C string can carry). */
    public static String noNul(String setting, String value) {
        if (value.indexOf('\0') >= 0) {
            throw invalid(setting, "got " + quote(value) + ", which contains a NUL character", "text without NUL");
        }
        return value;
    }

    /** {@code path}, non-null, without NUL, absolute. */
    public static String absolute(String setting, String path) {
        notNull(setting, path);
        noNul(setting, path);
        check(path.startsWith("/"), setting, path, "an absolute path");
        return path;
    }

    /**
     * A mount target inside the sandbox, normalized ({@code //a/b/} → {@code /a/b}): absolute, no
     * {@code .} or {@code ..} component, not {@code /} itself. Checked as {@code <setting> target}.
     */
    public static String target(String setting, String inside) {
        String name = setting + " target";
        absolute(name, inside);
        for (String part : inside.split("/")) {
            check(!part.equals("..") && !part.equals("."), name, inside, "a path without . or .. components");
        }
        String normalized = inside.replaceAll("/+", "/");
        if (normalized.length() > 1 && normalized.endsWith("/")) {
            normalized = normalized.substring(0, normalized.length() - 1);
        }
        check(!normalized.equals("/"), name, inside,
                "a path below /; for the whole host use the host root or readOnlyRoot()");
        return normalized;
    }

    /** A host path, made absolute and normalized; checked as {@code <setting> source}. */
    public static Path hostPath(String setting, Path host) {
        String name = setting + " source";
        notNull(name, host);
        noNul(name, host.toString());
        return host.toAbsolutePath().normalize();
    }
}
