package dev.sandbox;

import dev.sandbox.testing.HostRequirement;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the command may not read or change of the kernel through the view: a /dev that holds no
 * devices of its own. Checked from inside and from the host ({@code /proc/<pid>/mountinfo}).
 */
@DisplayName("Kernel files in the view: a nodev /dev")
class KernelFilesIT {

    /** Waits as the same pid, so its mountinfo can be read from outside. */
    static final String PROBE = "echo READY; exec sleep 30";

    /** One line of /proc/<pid>/mountinfo. */
    record Mount(String root, String mountPoint, String options, String type, String superOptions) {
        static Mount parse(String line) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            return new Mount(f[3], f[4], f[5], f[dash + 1], f[dash + 3]);
        }

        boolean readOnly() {
            return List.of(options.split(",")).contains("ro");
        }
    }

    static List<Mount> mountsOf(long pid) throws IOException {
        List<Mount> out = new ArrayList<>();
        for (String line : Kernel.read("/proc/" + pid + "/mountinfo").split("\n")) {
            out.add(Mount.parse(line));
        }
        return out;
    }

    /** The top mount at {@code path}: the last one listed there. */
    static Optional<Mount> at(List<Mount> mounts, String path) {
        return mounts.stream().filter(m -> m.mountPoint().equals(path)).reduce((a, b) -> b);
    }

    /** The probe's output and the command's mounts, seen from the host while it waits. */
    record Seen(String output, List<Mount> mounts) {
    }

    static Seen probe(Sandbox sandbox) throws Exception {
        try (SandboxedProcess p = sandbox.start("sh", "-c", PROBE)) {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder out = new StringBuilder();
            for (String line; (line = r.readLine()) != null && !line.equals("READY"); ) {
                out.append(line).append('\n');
            }
            return new Seen(out.toString(), mountsOf(p.pid()));
        }
    }

    @Nested
    @DisplayName("a new root")
    class NewRoot {

        @Test
        void devIsASmallNodevNosuidTmpfsWhoseDevicesStillWork() throws Exception {
            Seen seen = probe(Sandbox.builder().readOnlyRoot().pidNs().build());
            Mount dev = at(seen.mounts(), "/dev").orElseThrow();
            assertThat(dev.type()).isEqualTo("tmpfs");
            assertThat(dev.options().split(",")).contains("nosuid", "nodev");
            assertThat(dev.superOptions().split(",")).contains("size=64k");
            Mount shm = at(seen.mounts(), "/dev/shm").orElseThrow();
            assertThat(shm.options().split(",")).contains("nosuid", "nodev");
            assertThat(shm.superOptions().split(",")).contains("size=65536k");
            // the device nodes are binds of the host's and keep working on the nodev tmpfs
            SandboxResult r = Sandbox.builder().readOnlyRoot().build()
                    .run("sh", "-c", "echo gone > /dev/null && head -c 3 /dev/zero | wc -c && head -c 8 /dev/urandom | wc -c");
            assertThat(r.stderr()).isEmpty();
            assertThat(r.stdout()).isEqualTo("3\n8\n");
        }
    }
}
