package dev.sandbox.cgroups.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Parsers for the cgroupfs file formats: flat keyed ({@code cpu.stat}: {@code key value} lines),
 * single values ({@code max} meaning unlimited), pid lists and space-separated words.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Formats {

    /** How v2 writes "no limit"; v1 uses large numbers instead. */
    public static final String MAX = "max";

    private Formats() {
    }

    /** {@code key value} lines ({@code cpu.stat}, {@code memory.events}, {@code memory.oom_control}). */
    public static Map<String, Long> flatKeyed(String text) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0) {
                try {
                    out.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1).trim()));
                } catch (NumberFormatException notANumber) {
                    // a line of another shape (none in today's kernels): not ours to interpret
                }
            }
        }
        return out;
    }

    /** One number per file; {@code max} reads as {@link Long#MAX_VALUE}. */
    public static long single(String text) {
        String s = text.trim();
        return s.equals(MAX) ? Long.MAX_VALUE : Long.parseLong(s);
    }

    /** A value from a flat keyed text, if the key is there. */
    public static OptionalLong key(String text, String key) {
        Long v = flatKeyed(text).get(key);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /** {@code cgroup.procs}: one pid per line. */
    public static List<Long> pids(String text) {
        List<Long> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String s = line.trim();
            if (!s.isEmpty()) {
                out.add(Long.parseLong(s));
            }
        }
        return out;
    }

    /**
     * Space-separated words ({@code cgroup.controllers}, {@code cgroup.subtree_control}); a
     * leading {@code +} is dropped, so a tree that echoes what was written reads the same.
     */
    public static Set<String> words(String text) {
        Set<String> out = new LinkedHashSet<>();
        for (String w : text.trim().split("\\s+")) {
            String s = w.startsWith("+") ? w.substring(1) : w;
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }
}
