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
        Sandbox.builder().build().run("true"); // warm-up of the default runtime: jnr stubs, the helper image
        List<String> tmp = listTmp();
        OwnRuntime own = OwnRuntime.open();
        Sandbox full = own.builder().pidNs().netNs().utsNs().ipcNs().cgroupNs().hostname("leak")
                .readOnlyRoot().tmpfs("/tmp").bind(dir, "/data").build();
        Sandbox plain = own.builder().build();
        for (int i = 0; i < 500; i++) {
            Sandbox s = i % 2 == 0 ? full : plain;
            SandboxResult r = s.run("sh", "-c", "echo $0 > /dev/null", Integer.toString(i));
            assertThat(r.exitCode()).as("run %d", i).isZero();
        }
        // started, then killed while running
        for (int i = 0; i < 20; i++) {
            full.start("sleep", "30").close();
        }
        // The runtime's idle helpers and their sockets go with it; then the JVM is as before.
        own.closeAndAssertNothingLeft();
        // only what was added counts: other builds on the machine remove their own files meanwhile
        assertThat(listTmp()).as("temp files added by the runs").isSubsetOf(tmp);
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    private static List<String> listTmp() throws Exception {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            // gcc's temporaries (ccXXXXXX.o) come and go with other builds on a shared machine
            return s.map(Path::toString).filter(p -> !p.contains("junit"))
                    .filter(p -> !Path.of(p).getFileName().toString().matches("cc[A-Za-z0-9]{6}\\.\\w+")).sorted().toList();
        }
    }
}
