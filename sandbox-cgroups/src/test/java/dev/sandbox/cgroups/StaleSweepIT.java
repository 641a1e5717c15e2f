package dev.sandbox.cgroups;

import dev.sandbox.testing.ForOthers;
import dev.sandbox.testing.HostRequirement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What a JVM killed with SIGKILL leaves behind, another JVM's sweep removes (kernel test). */
@DisplayName("sweepStale removes the groups of a JVM killed with SIGKILL, and what still ran in them (kernel test)")
class StaleSweepIT {

    @AfterAll
    static void removePrefixes() throws Exception {
        Kernel.removePrefixes(Cgroups.DEFAULT_PREFIX);
    }

    @Test
    void sweepsAKilledJvmsGroups() throws Exception {
        CgroupHost host = CgroupHost.detect();
        HostRequirement.require(Kernel.isRoot(), "needs root");
        boolean v2 = host.layout() == CgroupHost.Layout.V2;
        HostRequirement.require(v2 ? host.v2Controllers().contains("pids")
                        : host.v1Mounts().containsKey("pids") && host.v1Mounts().containsKey("freezer"),
                "needs the pids controller on v2, or the v1 pids and freezer hierarchies (this host: " + host + ")");
        // where the driver's group lives: the unified hierarchy, or each v1 hierarchy the library uses
        List<Path> hierarchies = v2 ? List.of(host.unifiedMount().orElseThrow())
                : List.of("memory", "cpuacct", "pids", "freezer").stream().map(host.v1Mounts()::get).toList();
        String cp = ForOthers.classpath().stream().map(Path::toString).collect(java.util.stream.Collectors.joining(":"));
        Process jvm = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "-cp", cp, CrashingDriver.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long sleep = -1;
        try {
            String line = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertThat(line).startsWith("READY ");
            String[] f = line.split(" ");
            String marker = f[1];
            sleep = Long.parseLong(f[2]);
            String name = f[3];
            String leaf = f[4];
            assertThat(marker).isNotEqualTo(Cgroups.jvmMarker());
            List<Path> markerDirs = new ArrayList<>();
            for (Path h : hierarchies) {
                Path dir = h.resolve(name);
                assertThat(Kernel.procs(dir.resolve(leaf))).as(h.toString()).containsExactly(sleep);
                markerDirs.add(dir.getParent());
            }
            jvm.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
            assertThat(jvm.waitFor(10, TimeUnit.SECONDS)).isTrue();
            for (Path d : markerDirs) {
                assertThat(d).as("left behind by the killed JVM").exists();
            }
            assertThat(Kernel.alive(sleep)).as("its sandboxed process still runs").isTrue();

            List<Path> removed = Cgroups.detect().sweepStale();

            for (Path d : markerDirs) {
                assertThat(d).doesNotExist();
                Path group = d.resolve(Path.of(name).getFileName());
                assertThat(removed).contains(d, group, group.resolve(leaf));
                // deepest first
                assertThat(removed.indexOf(group.resolve(leaf))).isLessThan(removed.indexOf(group));
            }
            long pid = sleep;
            assertThat(Kernel.await(() -> !Kernel.alive(pid), 5000)).as("the sweep killed what ran in the stale group").isTrue();
            assertThat(removed).allSatisfy(p -> assertThat(p.toString()).contains("/" + marker));
        } finally {
            jvm.destroyForcibly();
            jvm.waitFor(10, TimeUnit.SECONDS);
            if (sleep > 0) {
                ProcessHandle.of(sleep).ifPresent(ProcessHandle::destroyForcibly); // this test started it, via the driver
            }
        }
    }
}
