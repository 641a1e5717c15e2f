package dev.sandbox.cgroups;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Limits: an immutable, validated value")
class LimitsTest {

    @Test
    void unsetSettingsAreEmpty() {
        Limits l = Limits.none();
        assertThat(l.isEmpty()).isTrue();
        assertThat(l.memoryMax()).isEmpty();
        assertThat(l.memoryHigh()).isEmpty();
        assertThat(l.cpus()).isEmpty();
        assertThat(l.cpuQuotaMicros()).isEmpty();
        assertThat(l.cpuWeight()).isEmpty();
        assertThat(l.cpuset()).isEmpty();
        assertThat(l.pidsMax()).isEmpty();
        assertThat(l.ioMax()).isEmpty();
        assertThat(l.swapAllowed()).isFalse();
        assertThat(l).hasToString("Limits[]");
    }

    @Test
    void holdsWhatWasSetAndDerivesTheQuota() {
        Limits l = Limits.builder().memoryMax(64L << 20).memoryHigh(32L << 20).cpus(0.5).cpuWeight(200)
                .cpuset("1,0").pidsMax(20).ioMax("8:0", 1 << 20, 0, 0, 100).build();
        assertThat(l.memoryMax()).hasValue(64L << 20);
        assertThat(l.memoryHigh()).hasValue(32L << 20);
        assertThat(l.cpus()).hasValue(0.5);
        assertThat(l.cpuQuotaMicros()).hasValue(50_000);
        assertThat(l.cpuPeriodMicros()).isEqualTo(100_000);
        assertThat(l.cpuWeight()).hasValue(200);
        assertThat(l.cpuset()).as("normalized like the kernel prints it").hasValue("0-1");
        assertThat(l.pidsMax()).hasValue(20);
        assertThat(l.ioMax()).containsExactly(new Limits.IoMax("8:0", 1 << 20, 0, 0, 100));
        assertThat(l.isEmpty()).isFalse();
    }

    @Test
    void newBuilderDerivesAVariantWithoutChangingTheOriginal() {
        Limits a = Limits.builder().memoryMax(1 << 20).ioMax("8:0", 1, 0, 0, 0).build();
        Limits b = a.newBuilder().pidsMax(5).ioMax("8:0", 2, 0, 0, 0).build();
        assertThat(a.pidsMax()).isEmpty();
        assertThat(b.pidsMax()).hasValue(5);
        assertThat(b.memoryMax()).hasValue(1 << 20);
        assertThat(b.ioMax()).as("same device replaced").containsExactly(new Limits.IoMax("8:0", 2, 0, 0, 0));
        assertThat(a.newBuilder().build()).isEqualTo(a).hasSameHashCodeAs(a);
        Limits c = a.newBuilder().cpuAccounting().build();
        assertThat(c).isNotEqualTo(a).hasToString("Limits[memoryMax=1048576, ioMax=8:0 rbps=1 wbps=0 riops=0 wiops=0, cpuAccounting]");
        assertThat(c.newBuilder().build()).isEqualTo(c);
        assertThat(Limits.builder().cpuAccounting().build().isEmpty()).isFalse();
    }

    @Nested
    @DisplayName("setters reject out-of-range values with 'name: got value; allowed: range'")
    class Validation {

        @Test
        void memory() {
            assertThatThrownBy(() -> Limits.builder().memoryMax(100))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("memoryMax: got 100; allowed: 4096..1125899906842624 bytes");
            assertThatThrownBy(() -> Limits.builder().memoryHigh(-1))
                    .hasMessage("memoryHigh: got -1; allowed: 4096..1125899906842624 bytes");
        }

        @Test
        void memoryHighAboveMaxIsRefusedByBuild() {
            assertThatThrownBy(() -> Limits.builder().memoryMax(1 << 20).memoryHigh(2 << 20).build())
                    .hasMessage("memoryHigh: got 2097152; allowed: at most memoryMax (1048576)");
        }

        @Test
        void cpus() {
            assertThatThrownBy(() -> Limits.builder().cpus(0.005)).hasMessage("cpus: got 0.005; allowed: 0.01..4096 cores");
            assertThatThrownBy(() -> Limits.builder().cpus(Double.NaN)).hasMessage("cpus: got NaN; allowed: 0.01..4096 cores");
            assertThatThrownBy(() -> Limits.builder().cpus(5000)).hasMessage("cpus: got 5000.0; allowed: 0.01..4096 cores");
            assertThat(Limits.builder().cpus(0.01).build().cpuQuotaMicros()).hasValue(1000);
        }

        @Test
        void cpuWeight() {
            assertThatThrownBy(() -> Limits.builder().cpuWeight(0)).hasMessage("cpuWeight: got 0; allowed: 1..10000");
            assertThatThrownBy(() -> Limits.builder().cpuWeight(10001)).hasMessage("cpuWeight: got 10001; allowed: 1..10000");
        }

        @Test
        void cpuset() {
            assertThatThrownBy(() -> Limits.builder().cpuset("")).hasMessage("cpuset: got \"\"; allowed: a non-empty CPU list such as 0-3,6");
            assertThatThrownBy(() -> Limits.builder().cpuset("3-1")).hasMessage("cpuset: got \"3-1\": range 3-1 runs backwards; allowed: a CPU list such as 0-3,6");
            assertThatThrownBy(() -> Limits.builder().cpuset("a")).hasMessageStartingWith("cpuset: got \"a\": ").hasMessageEndingWith("; allowed: a CPU list such as 0-3,6");
        }

        @Test
        void pids() {
            assertThatThrownBy(() -> Limits.builder().pidsMax(0)).hasMessage("pidsMax: got 0; allowed: 1..4194304");
            assertThatThrownBy(() -> Limits.builder().pidsMax(4194305)).hasMessage("pidsMax: got 4194305; allowed: 1..4194304");
        }

        @Test
        void io() {
            assertThatThrownBy(() -> Limits.builder().ioMax("sda", 1, 0, 0, 0))
                    .hasMessage("ioMax device: got \"sda\"; allowed: major:minor, e.g. 8:0");
            assertThatThrownBy(() -> Limits.builder().ioMax("8:0", -1, 0, 0, 0))
                    .hasMessage("ioMax rbps: got -1; allowed: >= 0, 0 = unlimited");
            assertThatThrownBy(() -> Limits.builder().ioMax("8:0", 0, 0, 0, 0))
                    .hasMessage("ioMax: all fields 0 for device \"8:0\"; allowed: at least one of rbps, wbps, riops, wiops > 0");
        }
    }
}
