package dev.sandbox.cgroups.internal;

/**
 * Every unit conversion between {@code Limits}/{@code Usage} and cgroup files, in one place.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Units {

    /** CFS period written with every CPU quota: 100 ms, the kernel's default. */
    public static final long CPU_PERIOD_MICROS = 100_000;

    /** The smallest quota the kernel accepts (v1 and v2): 1 ms. */
    public static final long MIN_CPU_QUOTA_MICROS = 1_000;

    /** The largest CPU count accepted ({@code cpus}); far above any machine, but bounded. */
    public static final double MAX_CPUS = 4096;

    /** cgroup v2 {@code cpu.weight} range. */
    public static final int MIN_WEIGHT = 1;
    public static final int MAX_WEIGHT = 10_000;

    /** cgroup v1 {@code cpu.shares} range reachable from a weight. */
    public static final long MIN_SHARES = 2;
    public static final long MAX_SHARES = 262_144;

    /**
     * v1 {@code cpuacct.stat} counts in USER_HZ ticks, which is 100 on every Linux architecture
     * ({@code sysconf(_SC_CLK_TCK)}; the kernel's exported USER_HZ, independent of CONFIG_HZ).
     */
    public static final long USER_HZ = 100;

    private Units() {
    }

    /** {@code cpus} → CFS quota in µs per {@link #CPU_PERIOD_MICROS}: {@code round(cores × period)}. */
    public static long cpuQuotaMicros(double cores) {
        return Math.round(cores * CPU_PERIOD_MICROS);
    }

    /** CFS quota/period → cores. */
    public static double cores(long quotaMicros, long periodMicros) {
        return (double) quotaMicros / periodMicros;
    }

    /**
     * v2 {@code cpu.weight} [1, 10000] → v1 {@code cpu.shares} [2, 262144]:
     * {@code shares = 2 + (weight − 1) × 262142 / 9999} (integer division). This is the inverse
     * of the OCI runtimes' (runc, crun) and systemd's shares → weight mapping
     * {@code weight = 1 + (shares − 2) × 9999 / 262142}, which maps the ends of both ranges onto
     * each other. Note it maps weight 100 (v2's default) to 2597, not to v1's default 1024.
     */
    public static long weightToShares(int weight) {
        return MIN_SHARES + ((long) (weight - MIN_WEIGHT) * (MAX_SHARES - MIN_SHARES)) / (MAX_WEIGHT - MIN_WEIGHT);
    }

    /**
     * v1 {@code cpu.shares} → weight, rounding up, so that {@code sharesToWeight(weightToShares(w)) == w}
     * for every weight. Shares outside [2, 262144] are clamped.
     */
    public static int sharesToWeight(long shares) {
        long s = Math.max(MIN_SHARES, Math.min(MAX_SHARES, shares)) - MIN_SHARES;
        long span = MAX_SHARES - MIN_SHARES;
        long num = s * (MAX_WEIGHT - MIN_WEIGHT);
        return (int) (MIN_WEIGHT + (num + span - 1) / span);
    }

    /** The kernel stores memory limits in pages, rounding down: what it will read back. */
    public static long pageFloor(long bytes, long pageSize) {
        return bytes - Math.floorMod(bytes, pageSize);
    }

    /** v2 {@code cpu.stat} microseconds → nanoseconds. */
    public static long microsToNanos(long micros) {
        return Math.multiplyExact(micros, 1_000L);
    }

    /** v1 {@code cpuacct.stat} USER_HZ ticks → nanoseconds. */
    public static long ticksToNanos(long ticks) {
        return Math.multiplyExact(ticks, 1_000_000_000L / USER_HZ);
    }
}
