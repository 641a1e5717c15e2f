package dev.sandbox.cgroups;

import dev.sandbox.base.Checks;
import dev.sandbox.cgroups.internal.CpuList;
import dev.sandbox.cgroups.internal.Units;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Pattern;

import static dev.sandbox.base.Checks.check;

/**
 * What a {@link Cgroup} may use: memory, CPU time and placement, processes, block I/O. Immutable;
 * build one with {@link #builder()}, derive a variant with {@link #newBuilder()}.
 *
 * <pre>{@code
 * Limits limits = Limits.builder()
 *     .memoryMax(256L << 20)   // 256 MiB, swap not allowed on top
 *     .cpus(1.5)
 *     .pidsMax(64)
 *     .build();
 * }</pre>
 *
 * <p>Every setting is unset by default, meaning "no limit". Each is written to the kernel's
 * files of the host's cgroup version (the javadoc of each setter names them) and read back; see
 * {@link Cgroups#create(Limits)}. Setters validate at once and throw
 * {@link IllegalArgumentException} in the form {@code name: got value; allowed: range}.
 */
public final class Limits {

    /** Largest memory limit accepted: 1 PiB (a bound, so the kernel's page rounding stays exact). */
    public static final long MAX_MEMORY_BYTES = 1L << 50;
    /** Smallest memory limit accepted: one 4 KiB page. */
    public static final long MIN_MEMORY_BYTES = 4096;
    /** Largest {@code pids.max} the kernel accepts (PID_MAX_LIMIT). */
    public static final long MAX_PIDS = 4_194_304;

    private static final Limits NONE = new Builder().build();
    private static final Pattern MAJ_MIN = Pattern.compile("[0-9]{1,10}:[0-9]{1,10}");

    private final long memoryMax;
    private final long memoryHigh;
    private final boolean swapAllowed;
    private final double cpus;
    private final int cpuWeight;
    private final String cpuset;
    private final long pidsMax;
    private final List<IoMax> ioMax;
    private final boolean cpuAccounting;

    private Limits(Builder b) {
        this.memoryMax = b.memoryMax;
        this.memoryHigh = b.memoryHigh;
        this.swapAllowed = b.swapAllowed;
        this.cpus = b.cpus;
        this.cpuWeight = b.cpuWeight;
        this.cpuset = b.cpuset;
        this.pidsMax = b.pidsMax;
        this.ioMax = Collections.unmodifiableList(new ArrayList<>(b.ioMax.values()));
        this.cpuAccounting = b.cpuAccounting;
    }

    /** No limit at all: the group only measures, freezes and kills. */
    public static Limits none() {
        return NONE;
    }

    /** A builder with every setting unset. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this value's settings. */
    public Builder newBuilder() {
        return new Builder(this);
    }

    /** Hard memory limit in bytes: the group's processes are OOM-killed above it. */
    public OptionalLong memoryMax() {
        return memoryMax < 0 ? OptionalLong.empty() : OptionalLong.of(memoryMax);
    }

    /** Memory throttling threshold in bytes (cgroup v2 only). */
    public OptionalLong memoryHigh() {
        return memoryHigh < 0 ? OptionalLong.empty() : OptionalLong.of(memoryHigh);
    }

    /** Whether swap may be used on top of {@link #memoryMax()}; {@code false} unless asked for. */
    public boolean swapAllowed() {
        return swapAllowed;
    }

    /** CPU bandwidth in cores ({@code 0.5} is half of one core). */
    public OptionalDouble cpus() {
        return Double.isNaN(cpus) ? OptionalDouble.empty() : OptionalDouble.of(cpus);
    }

    /** CFS quota in µs per {@link #cpuPeriodMicros()}: {@code round(cpus × period)}. */
    public OptionalLong cpuQuotaMicros() {
        return Double.isNaN(cpus) ? OptionalLong.empty() : OptionalLong.of(Units.cpuQuotaMicros(cpus));
    }

    /** CFS period in µs written with the quota: always 100000. */
    public long cpuPeriodMicros() {
        return Units.CPU_PERIOD_MICROS;
    }

    /** Relative CPU weight, 1..10000 (v2's default is 100). */
    public OptionalInt cpuWeight() {
        return cpuWeight == 0 ? OptionalInt.empty() : OptionalInt.of(cpuWeight);
    }

    /** CPUs the group may run on, in the kernel's list form ({@code 0-1,3}), normalized. */
    public Optional<String> cpuset() {
        return Optional.ofNullable(cpuset);
    }

    /** Maximum number of tasks (processes and threads) in the group. */
    public OptionalLong pidsMax() {
        return pidsMax < 0 ? OptionalLong.empty() : OptionalLong.of(pidsMax);
    }

    /** Block I/O throttles, one per device, in the order first set. */
    public List<IoMax> ioMax() {
        return ioMax;
    }

    /** Whether the group must count its CPU time ({@link Builder#cpuAccounting()}). */
    public boolean cpuAccounting() {
        return cpuAccounting;
    }

    /** Whether no setting is set. */
    public boolean isEmpty() {
        return equals(NONE);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Limits l && memoryMax == l.memoryMax && memoryHigh == l.memoryHigh
                && swapAllowed == l.swapAllowed && Double.compare(cpus, l.cpus) == 0 && cpuWeight == l.cpuWeight
                && Objects.equals(cpuset, l.cpuset) && pidsMax == l.pidsMax && ioMax.equals(l.ioMax)
                && cpuAccounting == l.cpuAccounting;
    }

    @Override
    public int hashCode() {
        return Objects.hash(memoryMax, memoryHigh, swapAllowed, cpus, cpuWeight, cpuset, pidsMax, ioMax, cpuAccounting);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Limits[");
        memoryMax().ifPresent(v -> sb.append("memoryMax=").append(v).append(", "));
        memoryHigh().ifPresent(v -> sb.append("memoryHigh=").append(v).append(", "));
        if (swapAllowed) {
            sb.append("swapAllowed, ");
        }
        cpus().ifPresent(v -> sb.append("cpus=").append(v).append(", "));
        cpuWeight().ifPresent(v -> sb.append("cpuWeight=").append(v).append(", "));
        cpuset().ifPresent(v -> sb.append("cpuset=").append(v).append(", "));
        pidsMax().ifPresent(v -> sb.append("pidsMax=").append(v).append(", "));
        ioMax.forEach(v -> sb.append(v).append(", "));
        if (cpuAccounting) {
            sb.append("cpuAccounting, ");
        }
        if (sb.length() > "Limits[".length()) {
            sb.setLength(sb.length() - 2);
        }
        return sb.append(']').toString();
    }

    /**
     * A block I/O throttle on one device. A field of 0 means "no limit" for that field.
     *
     * @param device     {@code major:minor} of the block device, as in {@code /sys/block/<dev>/dev}
     * @param readBps    read bytes per second
     * @param writeBps   write bytes per second
     * @param readIops   read operations per second
     * @param writeIops  write operations per second
     */
    public record IoMax(String device, long readBps, long writeBps, long readIops, long writeIops) {

        /** Validates like {@link Builder#ioMax}. */
        public IoMax {
            Objects.requireNonNull(device, "device");
            check(MAJ_MIN.matcher(device).matches(), "ioMax device", device, "major:minor, e.g. 8:0");
            check(readBps >= 0, "ioMax rbps", readBps, ">= 0, 0 = unlimited");
            check(writeBps >= 0, "ioMax wbps", writeBps, ">= 0, 0 = unlimited");
            check(readIops >= 0, "ioMax riops", readIops, ">= 0, 0 = unlimited");
            check(writeIops >= 0, "ioMax wiops", writeIops, ">= 0, 0 = unlimited");
            if (readBps + writeBps + readIops + writeIops <= 0) {
                throw Checks.invalid("ioMax", "all fields 0 for device " + Checks.quote(device),
                        "at least one of rbps, wbps, riops, wiops > 0");
            }
        }

        @Override
        public String toString() {
            return "ioMax=" + device + " rbps=" + readBps + " wbps=" + writeBps + " riops=" + readIops + " wiops=" + writeIops;
        }
    }

    /** Mutable builder of {@link Limits}; setters validate at once, {@link #build()} checks combinations. */
    public static final class Builder {

        private long memoryMax = -1;
        private long memoryHigh = -1;
        private boolean swapAllowed;
        private double cpus = Double.NaN;
        private int cpuWeight;
        private String cpuset;
        private long pidsMax = -1;
        private final Map<String, IoMax> ioMax = new LinkedHashMap<>();
        private boolean cpuAccounting;

        private Builder() {
        }

        private Builder(Limits l) {
            memoryMax = l.memoryMax;
            memoryHigh = l.memoryHigh;
            swapAllowed = l.swapAllowed;
            cpus = l.cpus;
            cpuWeight = l.cpuWeight;
            cpuset = l.cpuset;
            pidsMax = l.pidsMax;
            l.ioMax.forEach(io -> ioMax.put(io.device(), io));
            cpuAccounting = l.cpuAccounting;
        }

        /**
         * Hard memory limit; above it the kernel reclaims, then OOM-kills in the group. Default: none.
         * Range 4096 .. 2^50 bytes; the kernel rounds down to whole pages.
         *
         * <p>v2: {@code memory.max}, and {@code memory.swap.max = 0}; v1: {@code memory.limit_in_bytes},
         * and {@code memory.memsw.limit_in_bytes} set to the same value — unless {@link #allowSwap(boolean)}.
         * Where the kernel has no swap accounting (no such file), only the memory limit is set and
         * {@link Cgroup#notes()} says so.
         */
        public Builder memoryMax(long bytes) {
            check(bytes >= MIN_MEMORY_BYTES && bytes <= MAX_MEMORY_BYTES, "memoryMax", bytes,
                    MIN_MEMORY_BYTES + ".." + MAX_MEMORY_BYTES + " bytes");
            this.memoryMax = bytes;
            return this;
        }

        /**
         * Memory throttling threshold: above it the group's processes are slowed and reclaimed,
         * never killed. Default: none. Range 4096 .. 2^50 bytes, at most {@code memoryMax}.
         * v2 only ({@code memory.high}): v1 has no equivalent, so creating such a group on v1
         * fails rather than pretending.
         */
        public Builder memoryHigh(long bytes) {
            check(bytes >= MIN_MEMORY_BYTES && bytes <= MAX_MEMORY_BYTES, "memoryHigh", bytes,
                    MIN_MEMORY_BYTES + ".." + MAX_MEMORY_BYTES + " bytes");
            this.memoryHigh = bytes;
            return this;
        }

        /** Lets the group swap beyond {@code memoryMax} (the kernel's default). Default: {@code false}. */
        public Builder allowSwap(boolean allowed) {
            this.swapAllowed = allowed;
            return this;
        }

        /**
         * CPU bandwidth in cores, e.g. {@code 0.5} for half of one core, {@code 2} for two. Default: none.
         * Range 0.01 .. 4096 (the quota {@code round(cores × 100000)} µs must be at least 1000 µs).
         * v2: {@code cpu.max = "<quota> 100000"}; v1: {@code cpu.cfs_period_us = 100000},
         * {@code cpu.cfs_quota_us = <quota>}.
         */
        public Builder cpus(double cores) {
            check(Double.isFinite(cores) && cores <= Units.MAX_CPUS
                            && Units.cpuQuotaMicros(cores) >= Units.MIN_CPU_QUOTA_MICROS, "cpus", cores,
                    "0.01..4096 cores");
            this.cpus = cores;
            return this;
        }

        /**
         * Relative CPU weight against sibling groups, 1..10000. Default: none (the kernel's 100 on
         * v2, 1024 shares on v1). v2: {@code cpu.weight}; v1: {@code cpu.shares =
         * 2 + (weight − 1) × 262142 / 9999}, the inverse of runc's and systemd's shares → weight map.
         */
        public Builder cpuWeight(int weight) {
            check(weight >= Units.MIN_WEIGHT && weight <= Units.MAX_WEIGHT, "cpuWeight", weight, "1..10000");
            this.cpuWeight = weight;
            return this;
        }

        /**
         * CPUs the group may run on, in the kernel's list form: {@code "0"}, {@code "0-3,6"}. Default:
         * all of the parent's. v2: {@code cpuset.cpus}; v1: {@code cpuset.cpus}, plus
         * {@code cpuset.mems} copied from the parent (v1 needs both before a process may join).
         */
        public Builder cpuset(String cpus) {
            Objects.requireNonNull(cpus, "cpuset");
            BitSet set;
            try {
                set = CpuList.parse(cpus);
            } catch (IllegalArgumentException e) {
                throw Checks.invalid("cpuset", "got " + Checks.quote(cpus) + ": " + e.getMessage(),
                        "a CPU list such as 0-3,6");
            }
            check(!set.isEmpty(), "cpuset", cpus, "a non-empty CPU list such as 0-3,6");
            this.cpuset = CpuList.format(set);
            return this;
        }

        /**
         * Maximum number of tasks (processes and threads) in the group; {@code fork}/{@code clone}
         * fail with EAGAIN beyond it. Default: none. Range 1..4194304. {@code pids.max} on v1 and v2.
         */
        public Builder pidsMax(long max) {
            check(max >= 1 && max <= MAX_PIDS, "pidsMax", max, "1.." + MAX_PIDS);
            this.pidsMax = max;
            return this;
        }

        /**
         * Throttles block I/O on one device; 0 means no limit for that field, at least one must be
         * set. Setting a device again replaces its throttle. Default: none.
         * v2: an {@code io.max} line {@code "8:0 rbps=… wbps=… riops=… wiops=…"} ({@code max} for 0);
         * v1: {@code blkio.throttle.{read,write}_{bps,iops}_device} lines {@code "8:0 <value>"} for
         * each non-zero field. On v1 only direct I/O is throttled (buffered writes are charged to
         * the flusher threads, not the group).
         *
         * @param majMin {@code major:minor} of the device, as in {@code /sys/block/<dev>/dev}
         */
        public Builder ioMax(String majMin, long rbps, long wbps, long riops, long wiops) {
            IoMax io = new IoMax(majMin, rbps, wbps, riops, wiops);
            ioMax.put(io.device(), io);
            return this;
        }

        /**
         * The group must count its CPU time, for a reader of {@link Cgroup#cpuUsageFile()} (a
         * CPU-time limit enforced from outside the kernel). v2 counts it in every group
         * ({@code cpu.stat} usage_usec); v1 joins the cpuacct hierarchy as a requirement, so a host
         * without one, or a caller who may not write it, fails {@link Cgroups#create} instead of
         * getting a group without the count. Default: off (cpuacct is joined when usable, to measure).
         */
        public Builder cpuAccounting() {
            cpuAccounting = true;
            return this;
        }

        /** Checks the combination and builds. */
        public Limits build() {
            if (memoryHigh >= 0 && memoryMax >= 0) {
                check(memoryHigh <= memoryMax, "memoryHigh", memoryHigh, "at most memoryMax (" + memoryMax + ")");
            }
            return new Limits(this);
        }
    }
}
