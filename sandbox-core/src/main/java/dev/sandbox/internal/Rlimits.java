package dev.sandbox.internal;

import dev.sandbox.Rlimit;
import dev.sandbox.base.Checks;
import dev.sandbox.base.ProcessFacts;
import jnr.constants.platform.RLIMIT;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The command's resource limits: the one place that checks a setting against the caller's own hard
 * limit and that decides which {@code RLIMIT} records a spec carries (the defaults, then what the
 * builder set over them). Values are unsigned, {@link Rlimit#UNLIMITED} (-1) the largest.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Rlimits {

    /** The default {@code RLIMIT_NOFILE}, soft and hard, unless the caller's hard limit is lower. */
    public static final long DEFAULT_OPEN_FILES = 1024;

    private Rlimits() {
    }

    /** This JVM's hard limit of {@code r}: the most a sandbox can get. {@link Rlimit#UNLIMITED} when none. */
    public static long callerHard(Rlimit r) {
        return ProcessFacts.hardRlimit(RLIMIT.valueOf(r.kernelName()));
    }

    /**
     * A limit as set on the builder: each value 0 or more (or {@link Rlimit#UNLIMITED}),
     * {@code soft <= hard}, {@code hard} at most the caller's own hard limit (the command runs in a
     * user namespace, where not even root can raise a hard limit).
     *
     * @throws IllegalArgumentException naming {@code setting}, the value and the caller's hard limit
     */
    public static Spec.Limit check(String setting, Rlimit r, long soft, long hard) {
        long max = callerHard(r);
        String allowed = max == Rlimit.UNLIMITED ? "0.." + Long.MAX_VALUE + " or Rlimit.UNLIMITED"
                : "0.." + max + " (the caller's hard " + r.kernelName() + "; a sandbox cannot raise it)";
        for (long v : new long[] {soft, hard}) {
            if (v < 0 && v != Rlimit.UNLIMITED) {
                throw Checks.invalid(setting, "got " + v, allowed);
            }
            if (Long.compareUnsigned(v, max) > 0) {
                throw Checks.invalid(setting, "got " + show(v) + ", above the caller's hard " + r.kernelName() + " of "
                        + max, allowed);
            }
        }
        if (Long.compareUnsigned(soft, hard) > 0) {
            throw Checks.invalid(setting, "got soft " + show(soft) + " above hard " + show(hard), "soft <= hard");
        }
        return new Spec.Limit(r.number(), soft, hard);
    }

    /**
     * The limits a spec sets, in {@link Rlimit} order: {@code CORE} 0/0 and {@code NOFILE}
     * {@value #DEFAULT_OPEN_FILES}/{@value #DEFAULT_OPEN_FILES} (or the caller's hard limit where
     * lower), and with a CPU-time limit its per-process backstop, each replaced by an explicit
     * setting; every other resource stays the JVM's own.
     *
     * @param cpuTimeLimit the whole sandbox's CPU-time limit (null: none); with one, each process
     *                     gets {@code RLIMIT_CPU} of the limit rounded up to seconds plus one (hard:
     *                     one more), past the sandbox's limit so that the helper's watch acts first,
     *                     never above the caller's hard limit
     */
    public static List<Spec.Limit> of(Map<Rlimit, Spec.Limit> explicit, java.time.Duration cpuTimeLimit) {
        EnumMap<Rlimit, Spec.Limit> all = new EnumMap<>(Rlimit.class);
        all.put(Rlimit.CORE, new Spec.Limit(Rlimit.CORE.number(), 0, 0));
        all.put(Rlimit.NOFILE, new Spec.Limit(Rlimit.NOFILE.number(), atMostCallers(Rlimit.NOFILE, DEFAULT_OPEN_FILES),
                atMostCallers(Rlimit.NOFILE, DEFAULT_OPEN_FILES)));
        if (cpuTimeLimit != null) {
            long soft = (cpuTimeLimit.toNanos() + 999_999_999L) / 1_000_000_000L + 1;
            all.put(Rlimit.CPU, new Spec.Limit(Rlimit.CPU.number(), atMostCallers(Rlimit.CPU, soft),
                    atMostCallers(Rlimit.CPU, soft + 1)));
        }
        all.putAll(explicit);
        return List.copyOf(new ArrayList<>(all.values()));
    }

    /** {@code value}, or the caller's hard limit of {@code r} where that is lower. */
    private static long atMostCallers(Rlimit r, long value) {
        long max = callerHard(r);
        return Long.compareUnsigned(max, value) < 0 ? max : value;
    }

    /** A value in the readable form: the unsigned number, or {@code unlimited}. */
    static String show(long v) {
        return v == Rlimit.UNLIMITED ? "unlimited" : Long.toUnsignedString(v);
    }
}
