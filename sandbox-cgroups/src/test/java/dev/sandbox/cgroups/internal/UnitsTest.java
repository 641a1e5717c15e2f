package dev.sandbox.cgroups.internal;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import static org.assertj.core.api.Assertions.assertThat;

/** Properties of every unit conversion between the library's settings and cgroup files. */
@Label("Units: conversions between settings and cgroup files")
class UnitsTest {

    @Property
    @Label("cpus → quota → cores round-trips within half a microsecond of quota")
    void cpusRoundTrip(@ForAll @DoubleRange(min = 0.01, max = 4096) double cores) {
        long quota = Units.cpuQuotaMicros(cores);
        assertThat(quota).isGreaterThanOrEqualTo(Units.MIN_CPU_QUOTA_MICROS - 1);
        double back = Units.cores(quota, Units.CPU_PERIOD_MICROS);
        assertThat(Math.abs(back - cores)).isLessThanOrEqualTo(0.5 / Units.CPU_PERIOD_MICROS + 1e-12 * cores);
    }

    @Property
    @Label("quota is monotone in cpus")
    void quotaMonotone(@ForAll @DoubleRange(min = 0.01, max = 4096) double a, @ForAll @DoubleRange(min = 0.01, max = 4096) double b) {
        if (a <= b) {
            assertThat(Units.cpuQuotaMicros(a)).isLessThanOrEqualTo(Units.cpuQuotaMicros(b));
        }
    }

    @Property
    @Label("quota → cores → quota is exact")
    void quotaRoundTrip(@ForAll @LongRange(min = 1000, max = 409_600_000) long quota) {
        assertThat(Units.cpuQuotaMicros(Units.cores(quota, Units.CPU_PERIOD_MICROS))).isEqualTo(quota);
    }

    @Example
    @Label("weight ↔ shares: the ends of both ranges meet, and the documented formula holds")
    void weightEnds() {
        assertThat(Units.weightToShares(1)).isEqualTo(2);
        assertThat(Units.weightToShares(10_000)).isEqualTo(262_144);
        assertThat(Units.weightToShares(100)).isEqualTo(2 + (99L * 262_142) / 9_999).isEqualTo(2597);
        assertThat(Units.sharesToWeight(2)).isEqualTo(1);
        assertThat(Units.sharesToWeight(262_144)).isEqualTo(10_000);
        // runc/systemd's direction (floor): weight = 1 + (shares - 2) * 9999 / 262142; ours rounds up
        assertThat(Units.sharesToWeight(1024)).isEqualTo(1 + (int) Math.ceil((1024 - 2) * 9999.0 / 262_142));
    }

    @Property
    @Label("weight → shares stays in [2, 262144] and is monotone")
    void sharesRange(@ForAll @IntRange(min = 1, max = 10_000) int a, @ForAll @IntRange(min = 1, max = 10_000) int b) {
        long sa = Units.weightToShares(a);
        assertThat(sa).isBetween(2L, 262_144L);
        if (a <= b) {
            assertThat(sa).isLessThanOrEqualTo(Units.weightToShares(b));
        }
        if (a < b) {
            assertThat(sa).as("distinct weights give distinct shares").isLessThan(Units.weightToShares(b));
        }
    }

    @Property
    @Label("weight → shares → weight is exact")
    void weightRoundTrip(@ForAll @IntRange(min = 1, max = 10_000) int weight) {
        assertThat(Units.sharesToWeight(Units.weightToShares(weight))).isEqualTo(weight);
    }

    @Property
    @Label("shares → weight → shares is within one weight step (262142/9999 ≈ 26.2 shares)")
    void sharesRoundTrip(@ForAll @LongRange(min = 2, max = 262_144) long shares) {
        long back = Units.weightToShares(Units.sharesToWeight(shares));
        assertThat(back).isGreaterThanOrEqualTo(shares);
        assertThat(back - shares).isLessThanOrEqualTo(27);
        // and agrees with runc's floor formula within one weight
        int runc = (int) (1 + (shares - 2) * 9999 / 262_142);
        assertThat(Units.sharesToWeight(shares) - runc).isBetween(0, 1);
    }

    @Property
    @Label("memory bytes: page rounding only ever goes down, by less than a page, to a page multiple")
    void pageFloor(@ForAll @LongRange(min = 4096, max = 1L << 50) long bytes, @ForAll("pageSizes") long page) {
        long f = Units.pageFloor(bytes, page);
        assertThat(f).isLessThanOrEqualTo(bytes).isGreaterThan(bytes - page);
        assertThat(f % page).isZero();
        assertThat(Units.pageFloor(f, page)).isEqualTo(f);
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<Long> pageSizes() {
        return net.jqwik.api.Arbitraries.of(4096L, 16_384L, 65_536L);
    }

    @Property
    @Label("cpu time: µs become nanoseconds exactly (up to 292 years)")
    void micros(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 1000) long n) {
        assertThat(Units.microsToNanos(n)).isEqualTo(n * 1000);
    }

    @Property
    @Label("cpu time: USER_HZ ticks become nanoseconds exactly (up to 292 years), never silently overflowing")
    void ticks(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 10_000_000) long n) {
        assertThat(Units.ticksToNanos(n)).isEqualTo(n * 10_000_000);
        assertThat(Units.ticksToNanos(Units.USER_HZ)).isEqualTo(1_000_000_000L);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Units.ticksToNanos(Long.MAX_VALUE / 10_000_000 + 1))
                .isInstanceOf(ArithmeticException.class);
    }
}
