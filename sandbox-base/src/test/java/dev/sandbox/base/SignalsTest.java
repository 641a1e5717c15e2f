package dev.sandbox.base;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SignalsTest {

    private static Map<String, Long> table() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 1; i <= Signals.maxNamed(); i++) {
            m.put(Signals.name(i), (long) i);
        }
        return m;
    }

    @Test
    @DisplayName("names and numbers match <signal.h> of this machine and of aarch64")
    void matchesSignalH(@TempDir Path tmp) throws Exception {
        CHeaders.require(CHeaders.onPath("gcc"), "needs gcc to read <signal.h>");
        Map<String, Long> table = table();
        assertThat(CHeaders.lines(CHeaders.values("gcc", "signal.h", table.keySet(), tmp)))
                .containsExactlyElementsOf(CHeaders.lines(table));
        if (CHeaders.onPath("aarch64-linux-gnu-gcc")) {
            assertThat(CHeaders.lines(CHeaders.values("aarch64-linux-gnu-gcc", "signal.h", table.keySet(), tmp)))
                    .containsExactlyElementsOf(CHeaders.lines(table));
        }
        // and jnr-constants agrees for this platform
        List<String> fromJnr = new ArrayList<>();
        for (String name : table.keySet()) {
            fromJnr.add(name + "=" + jnr.constants.platform.Signal.valueOf(name).longValue());
        }
        assertThat(fromJnr).containsExactlyElementsOf(CHeaders.lines(table));
    }

    @Test
    void namesBothWays() {
        assertThat(Signals.name(Signals.SIGKILL)).isEqualTo("SIGKILL");
        assertThat(Signals.name(15)).isEqualTo("SIGTERM");
        assertThat(Signals.name(40)).isEqualTo("signal 40");
        assertThat(Signals.number("SIGCONT")).isEqualTo(Signals.SIGCONT);
        assertThat(Signals.number("TERM")).isEqualTo(Signals.SIGTERM);
        assertThat(Signals.number("SIGNOPE")).isZero();
    }

    @Test
    void refusesToKillThisJvm() {
        assertThatThrownBy(() -> Signals.kill(ProcessFacts.pid())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is this JVM");
    }
}
