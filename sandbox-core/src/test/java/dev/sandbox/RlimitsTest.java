package dev.sandbox;

import dev.sandbox.internal.Rlimits;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rlimit settings' checks and the limits a spec carries (the kernel's side: RlimitsIT). */
@DisplayName("rlimits: checks against the caller's hard limit, defaults, readable form")
class RlimitsTest {

    @Test
    @DisplayName("each resource has the kernel's number (asm-generic, as on x86_64 and aarch64)")
    void numbersAreTheKernels() {
        Map<Rlimit, Integer> generic = new LinkedHashMap<>();
        String[] order = {"CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS", "LOCKS",
            "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME"};
        for (int i = 0; i < order.length; i++) {
            generic.put(Rlimit.valueOf(order[i]), i);
        }
        assertThat(generic).hasSize(Rlimit.values().length);
        for (Rlimit r : Rlimit.values()) {
            assertThat(r.number()).as(r.kernelName()).isEqualTo(generic.get(r));
            assertThat(Rlimit.of(r.number())).isEqualTo(r);
        }
        assertThatThrownBy(() -> Rlimit.of(16)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("a value above the caller's own hard limit is refused, naming the setting, the value and that limit")
    void aboveTheCallersHardLimitIsRefused() {
        long hard = Rlimits.callerHard(Rlimit.NOFILE);
        assertThat(hard).isNotEqualTo(Rlimit.UNLIMITED); // the kernel caps it at fs.nr_open
        assertThatThrownBy(() -> Sandbox.builder().maxOpenFiles((int) hard + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxOpenFiles: got " + (hard + 1) + ", above the caller's hard RLIMIT_NOFILE of " + hard
                        + "; allowed: 0.." + hard + " (the caller's hard RLIMIT_NOFILE; a sandbox cannot raise it)");
        assertThatThrownBy(() -> Sandbox.builder().rlimit(Rlimit.NOFILE, 10, hard + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("rlimit NOFILE: got " + (hard + 1) + ", above the caller's hard RLIMIT_NOFILE of " + hard);
        assertThatThrownBy(() -> Sandbox.builder().rlimit(Rlimit.NOFILE, 10, Rlimit.UNLIMITED))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("rlimit NOFILE: got unlimited, above the caller's hard RLIMIT_NOFILE of " + hard);
        // at the caller's hard limit: allowed
        assertThat(Sandbox.builder().maxOpenFiles((int) hard).build().describe("true"))
                .contains("rlimit NOFILE soft=" + hard + " hard=" + hard + "\n");
        for (Rlimit r : new Rlimit[] {Rlimit.FSIZE, Rlimit.STACK}) {
            long max = Rlimits.callerHard(r);
            if (max == Rlimit.UNLIMITED) {
                assertThat(Sandbox.builder().rlimit(r, Rlimit.UNLIMITED, Rlimit.UNLIMITED).build().describe("true"))
                        .contains("rlimit " + r + " soft=unlimited hard=unlimited\n");
            } else {
                assertThatThrownBy(() -> Sandbox.builder().rlimit(r, 0, max + 1))
                        .hasMessageStartingWith("rlimit " + r + ": got " + (max + 1) + ", above the caller's hard");
            }
        }
    }

    @Test
    @DisplayName("negative values and soft above hard are refused")
    void negativeAndSoftAboveHardAreRefused() {
        assertThatThrownBy(() -> Sandbox.builder().maxOpenFiles(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("maxOpenFiles: got -1; allowed: 0..");
        assertThatThrownBy(() -> Sandbox.builder().maxFileSize(-2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("maxFileSize: got -2; allowed: 0..");
        assertThatThrownBy(() -> Sandbox.builder().maxStackSize(Long.MIN_VALUE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("maxStackSize: got " + Long.MIN_VALUE + "; allowed: 0..");
        assertThatThrownBy(() -> Sandbox.builder().rlimit(Rlimit.NOFILE, 11, 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rlimit NOFILE: got soft 11 above hard 10; allowed: soft <= hard");
        assertThatThrownBy(() -> Sandbox.builder().rlimit(Rlimit.CORE, Rlimit.UNLIMITED, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rlimit CORE: got soft unlimited above hard 0; allowed: soft <= hard");
        assertThatThrownBy(() -> Sandbox.builder().rlimit(null, 1, 1)).isInstanceOf(NullPointerException.class)
                .hasMessage("rlimit resource");
    }

    @Test
    @DisplayName("by default a start sets core 0/0 and NOFILE 1024 and nothing else; a setting replaces its default")
    void defaultsAndOverrides() {
        long nofile = Math.min(1024, Rlimits.callerHard(Rlimit.NOFILE));
        assertThat(rlimitLines(Sandbox.builder().build()))
                .isEqualTo("rlimit CORE soft=0 hard=0\nrlimit NOFILE soft=" + nofile + " hard=" + nofile + "\n");
        Sandbox set = Sandbox.builder().maxOpenFiles(10).rlimit(Rlimit.CORE, 0, 4096).maxStackSize(1 << 20)
                .maxFileSize(5000).rlimit(Rlimit.FSIZE, 100, 200).build();
        String expected = "rlimit CORE soft=0 hard=4096\nrlimit FSIZE soft=100 hard=200\nrlimit NOFILE soft=10 hard=10\n"
                + "rlimit STACK soft=1048576 hard=1048576\n";
        assertThat(rlimitLines(set)).isEqualTo(expected);
        assertThat(rlimitLines(set.newBuilder().build())).isEqualTo(expected);
    }

    private static String rlimitLines(Sandbox s) {
        StringBuilder sb = new StringBuilder();
        s.describe("true").lines().filter(l -> l.startsWith("rlimit ")).forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }
}
