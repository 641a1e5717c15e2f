package dev.sandbox.cgroups.internal;

import dev.sandbox.base.ProcessFacts;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of the directory that holds one JVM's groups: {@code jvm-<pid>-<starttime>}. A later
 * JVM can tell from {@code /proc/<pid>/stat} whether the JVM that made it still runs, and remove
 * what a JVM killed with SIGKILL left behind. Pid and start time are those of the JVM's pid
 * namespace: JVMs in different pid namespaces must not share a prefix; nor should a JVM that
 * cannot see the others' {@code /proc/<pid>} (a {@code hidepid} mount), since it would take their
 * markers for stale.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class JvmMarker {

    /** Exactly the names this library creates; nothing else under a prefix is ever touched. */
    public static final Pattern PATTERN = Pattern.compile("jvm-([1-9][0-9]{0,9})-([0-9]{1,20})");

    private static final String SELF = "jvm-" + ProcessFacts.pid() + "-"
            + Proc.startTime(ProcessFacts.pid()).orElseThrow(
                    () -> new IllegalStateException("cannot read /proc/self/stat (is /proc mounted?): the JVM marker needs it"));

    private JvmMarker() {
    }

    /** This JVM's marker. */
    public static String self() {
        return SELF;
    }

    /** Whether {@code name} is a marker this library creates. */
    public static boolean matches(String name) {
        return PATTERN.matcher(name).matches();
    }

    /**
     * Whether {@code name} is a marker whose JVM is gone: no process with that pid, or one that
     * started at another time (the pid was reused).
     */
    public static boolean isStale(String name) {
        Matcher m = PATTERN.matcher(name);
        if (!m.matches()) {
            return false;
        }
        long pid;
        long start;
        try {
            pid = Long.parseLong(m.group(1));
            start = Long.parseLong(m.group(2));
        } catch (NumberFormatException tooBig) {
            return true; // no process has such a pid or start time
        }
        OptionalLong now = Proc.startTime(pid);
        return now.isEmpty() || now.getAsLong() != start;
    }
}
