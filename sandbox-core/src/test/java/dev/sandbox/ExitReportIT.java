package dev.sandbox;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The helper's EXIT frame flag KILLED (protocol.h SBX_EXIT_KILLED): the JVM asked for the end. */
@DisplayName("destroyed(): the helper's report that the end was requested")
class ExitReportIT {

    @Test
    void destroyAndDestroyForciblyAndCloseAreReportedAsRequested() throws Exception {
        Sandbox s = Sandbox.builder().pidNs().killGracePeriod(Duration.ofMillis(200)).build();
        SandboxedProcess polite = s.start("sleep", "30");
        assertThat(polite.destroyed()).isFalse();
        polite.destroy();
        assertThat(polite.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(polite.destroyed()).isTrue();
        polite.close();

        SandboxedProcess forced = s.start("sleep", "30");
        forced.destroyForcibly();
        assertThat(forced.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(forced.destroyed()).isTrue();
        assertThat(forced.exitValue()).isEqualTo(128 + 9);
        forced.close();

        SandboxedProcess closed = s.start("sleep", "30");
        closed.close();
        assertThat(closed.destroyed()).isTrue();
    }

    @Test
    void anEndThatNobodyRequestedIsNotReportedAsRequested() throws Exception {
        Sandbox s = Sandbox.builder().pidNs().build();
        try (SandboxedProcess p = s.start("true")) {
            p.waitFor();
            p.destroy(); // after the end: the helper has already reported it
            assertThat(p.destroyed()).isFalse();
        }
        // killed by a signal from inside, not by the JVM
        try (SandboxedProcess p = s.start("sh", "-c", "kill -9 $$")) {
            assertThat(p.waitFor()).isEqualTo(128 + 9);
            assertThat(p.destroyed()).isFalse();
        }
        // the timeout ends it: timed out, not destroyed
        try (SandboxedProcess p = s.newBuilder().timeout(Duration.ofMillis(1000)).killGracePeriod(Duration.ZERO).build()
                .start("sleep", "30")) {
            p.waitFor();
            assertThat(p.timedOut()).isTrue();
            assertThat(p.destroyed()).isFalse();
        }
    }
}
