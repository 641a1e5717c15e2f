package dev.sandbox;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SandboxRuntimeTest {

    @Test
    void settingsAcceptZeroAndTheirMaximum() {
        SandboxRuntime.Builder b = SandboxRuntime.builder();
        b.prespawnHelpers(0).prespawnHelpers(64);
        b.sparesPerKind(0).sparesPerKind(16);
        b.kindsKept(0).kindsKept(64);
    }

    @Test
    void settingsOutOfRangeNameTheSettingAndTheRange() {
        SandboxRuntime.Builder b = SandboxRuntime.builder();
        assertThatThrownBy(() -> b.prespawnHelpers(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prespawnHelpers: got -1; allowed: 0..64");
        assertThatThrownBy(() -> b.prespawnHelpers(65)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prespawnHelpers: got 65; allowed: 0..64");
        assertThatThrownBy(() -> b.sparesPerKind(17)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sparesPerKind: got 17; allowed: 0..16");
        assertThatThrownBy(() -> b.sparesPerKind(-5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sparesPerKind: got -5; allowed: 0..16");
        assertThatThrownBy(() -> b.kindsKept(65)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("kindsKept: got 65; allowed: 0..64");
        assertThatThrownBy(() -> b.kindsKept(Integer.MIN_VALUE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("kindsKept: got -2147483648; allowed: 0..64");
    }

    @Test
    void aBuilderRejectsANullRuntime() {
        assertThatThrownBy(() -> Sandbox.builder().runtime(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("runtime");
    }

    @Test
    void settingsAreReported() {
        try (SandboxRuntime rt = SandboxRuntime.builder().prespawnHelpers(0).sparesPerKind(3).kindsKept(5).build()) {
            assertThat(rt.prespawnHelpers()).isZero();
            assertThat(rt.sparesPerKind()).isEqualTo(3);
            assertThat(rt.kindsKept()).isEqualTo(5);
            assertThat(rt.toString()).contains("prespawnHelpers=0", "sparesPerKind=3", "kindsKept=5");
            assertThat(rt.isClosed()).isFalse();
        }
    }
}
