package dev.sandbox;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("500 sandboxes leave no fd, mount, process or temp file behind (kernel's view)")
class LeakIT {

    @Test
    void fiveHundredRunsLeakNothing(@TempDir Path dir) throws Exception {
        Sandbox full = Sandbox.builder().pidNs().netNs().utsNs().ipcNs().cgroupNs().hostname("leak")
                .readOnlyRoot().tmpfs("/tmp").bind(dir, "/data").build();
        Sandbox plain = Sandbox.builder().build();
        full.run("true"); // warm-up: reaper thread, epoll fd, jnr stubs
        plain.run("true");
        List<String> fds = Spare.fdsBesidesIdleHelpers();
        String mounts = Kernel.read("/proc/self/mountinfo");
        List<String> tmp = listTmp();
        for (int i = 0; i < 500; i++) {
            Sandbox s = i % 2 == 0 ? full : plain;
            SandboxResult r = s.run("sh", "-c", "echo $0 > /dev/null", Integer.toString(i));
            assertThat(r.exitCode()).as("run %d", i).isZero();
        }
        // started, then killed while running
        for (int i = 0; i < 20; i++) {
            full.start("sleep", "30").close();
        }
        assertThat(Spare.fdsBesidesIdleHelpers()).containsExactlyInAnyOrderElementsOf(fds);
        assertThat(Kernel.read("/proc/self/mountinfo")).isEqualTo(mounts);
        assertThat(Spare.childrenBesidesIdleHelpers()).isEmpty();
        assertThat(listTmp()).containsExactlyInAnyOrderElementsOf(tmp);
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    private static List<String> listTmp() throws Exception {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.map(Path::toString).filter(p -> !p.contains("junit")).sorted().toList();
        }
    }
}
