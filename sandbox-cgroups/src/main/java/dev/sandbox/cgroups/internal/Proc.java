package dev.sandbox.cgroups.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * What {@code /proc} says about processes and this JVM (pid and ids: {@link dev.sandbox.base.ProcessFacts}).
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Proc {

    private static volatile long pageSize;

    private Proc() {
    }

    /**
     * Field 22 of {@code /proc/<pid>/stat}: when the process started, in clock ticks after boot.
     * With the pid it names one process for the machine's uptime (pids are reused, this pair is not).
     * Empty when the process does not exist.
     */
    public static OptionalLong startTime(long pid) {
        return statField(pid, 22);
    }

    /** Field 4 of {@code /proc/<pid>/stat}: the parent's pid; empty when the process does not exist. */
    public static OptionalLong parent(long pid) {
        return statField(pid, 4);
    }

    /** Numeric field {@code field} (1-based, as proc(5) counts, 3 or later) of {@code /proc/<pid>/stat}. */
    private static OptionalLong statField(long pid, int field) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
        } catch (IOException gone) {
            return OptionalLong.empty();
        }
        // comm (field 2) may contain spaces and parentheses: count fields after the last ')'
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return OptionalLong.of(Long.parseLong(after[field - 3]));
    }

    /** The kernel's page size, from {@code KernelPageSize} in {@code /proc/self/smaps}; 4096 if unreadable. */
    public static long pageSize() {
        long p = pageSize;
        if (p == 0) {
            p = 4096;
            try (BufferedReader r = Files.newBufferedReader(Path.of("/proc/self/smaps"), StandardCharsets.US_ASCII)) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (line.startsWith("KernelPageSize:")) {
                        p = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                        break;
                    }
                }
            } catch (IOException | NumberFormatException unreadable) {
                // keep 4096: the verification then only accepts exact values or 4 KiB rounding
            }
            pageSize = p;
        }
        return p;
    }
}
