package dev.sandbox.base;

import jnr.constants.platform.RLIMIT;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessFactsTest {

    private static String field(String status, String name) {
        return status.lines().filter(l -> l.startsWith(name + ":")).findFirst().orElseThrow()
                .substring(name.length() + 1).trim();
    }

    @Test
    @DisplayName("pid, euid and egid are what /proc/self/status says")
    void idsMatchProc() throws Exception {
        String status = Files.readString(Path.of("/proc/self/status"));
        assertThat(ProcessFacts.pid()).isEqualTo(Long.parseLong(field(status, "Pid")));
        assertThat(ProcessFacts.euid()).isEqualTo(Integer.parseInt(field(status, "Uid").split("\\s+")[1]));
        assertThat(ProcessFacts.egid()).isEqualTo(Integer.parseInt(field(status, "Gid").split("\\s+")[1]));
        assertThat(ProcessFacts.root()).isEqualTo(ProcessFacts.euid() == 0);
    }

    @Test
    @DisplayName("the hard and soft open-files limits are what /proc/self/limits says")
    void rlimitsMatchProc() throws Exception {
        String line = Files.readString(Path.of("/proc/self/limits")).lines()
                .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
        String[] f = line.substring("Max open files".length()).trim().split("\\s+");
        assertThat(ProcessFacts.softRlimit(RLIMIT.RLIMIT_NOFILE)).isEqualTo(parse(f[0]));
        assertThat(ProcessFacts.hardRlimit(RLIMIT.RLIMIT_NOFILE)).isEqualTo(parse(f[1]));
        String core = Files.readString(Path.of("/proc/self/limits")).lines()
                .filter(l -> l.startsWith("Max core file size")).findFirst().orElseThrow();
        assertThat(ProcessFacts.hardRlimit(RLIMIT.RLIMIT_CORE))
                .isEqualTo(parse(core.substring("Max core file size".length()).trim().split("\\s+")[1]));
    }

    private static long parse(String v) {
        return v.equals("unlimited") ? ProcessFacts.RLIM_INFINITY : Long.parseLong(v);
    }
}
