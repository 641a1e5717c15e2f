package dev.sandbox;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("kill -9 of the JVM ends its sandboxes within a second")
class JvmDeathIT {

    /** Run in a child JVM: starts sandboxes, prints their pids, waits to be killed. */
    public static void main(String[] args) throws Exception {
        SandboxedProcess withPidNs = Sandbox.builder().pidNs().build().start("sleep", "1000");
        SandboxedProcess without = Sandbox.builder().build().start("sh", "-c", "sleep 1000 & setsid sleep 1000 & wait");
        String limited = "none";
        if (args.length > 0) {
            SandboxedProcess withLimits = Sandbox.builder().pidNs().memoryMax(64L << 20).pidsMax(50).build()
                    .start("sleep", "1000");
            limited = withLimits.pid() + "";
        }
        System.out.println(withPidNs.pid() + " " + withPidNs.initPid() + " " + without.pid() + " " + limited);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    @Test
    void sandboxesDieWithTheJvm() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        boolean cgroups = dev.sandbox.internal.LibC.get().geteuid() == 0
                && dev.sandbox.cgroups.CgroupHost.detect().v1Mounts().containsKey("memory");
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                JvmDeathIT.class.getName()));
        if (cgroups) {
            cmd.add("with-limits");
        }
        Process jvm = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))) {
            line = r.readLine();
        }
        assertThat(line).as("the child JVM's report").isNotNull();
        String[] pids = line.trim().split(" ");
        long sandboxed = Long.parseLong(pids[0]);
        long init = Long.parseLong(pids[1]);
        long plain = Long.parseLong(pids[2]);
        List<Path> groupsOfThatJvm = new java.util.ArrayList<>();
        if (cgroups) {
            long limitedPid = Long.parseLong(pids[3]);
            for (Path g : CgroupLimitsIT.allLibraryGroups()) {
                if (g.toString().contains("/jvm-" + jvm.pid() + "-")) {
                    groupsOfThatJvm.add(g); // its groups and their leaves
                }
            }
            assertThat(groupsOfThatJvm).as("the killed JVM's sandbox groups and leaves").isNotEmpty()
                    .anyMatch(g -> g.getFileName().toString().equals(dev.sandbox.internal.CgroupedHelpers.LEAF));
            assertThat(Kernel.read("/proc/" + limitedPid + "/cgroup")).contains("/sandbox/jvm-" + jvm.pid() + "-");
        }
        List<Long> plainTree = Kernel.processesWith("sleep 1000");
        assertThat(Kernel.alive(sandboxed)).isTrue();
        assertThat(Kernel.alive(plain)).isTrue();

        long t0 = System.nanoTime();
        Kernel.host("kill", "-9", Long.toString(jvm.pid()));
        jvm.waitFor();
        for (long pid : List.of(sandboxed, init, plain)) {
            assertThat(Kernel.awaitGone(pid, 1000)).as("pid %d gone within 1 s of the JVM's death", pid).isTrue();
        }
        for (long pid : plainTree) {
            assertThat(Kernel.awaitGone(pid, 1000)).as("background pid %d gone", pid).isTrue();
        }
        assertThat(System.nanoTime() - t0).isLessThan(1_500_000_000L);
        if (cgroups) {
            // The dead JVM could not remove its groups; any later JVM's sweep does (here: this one's).
            assertThat(groupsOfThatJvm).allSatisfy(g -> assertThat(g).exists());
            dev.sandbox.cgroups.Cgroups.detect().sweepStale();
            assertThat(groupsOfThatJvm).allSatisfy(g -> assertThat(g).doesNotExist());
            assertThat(groupsOfThatJvm).allSatisfy(g -> assertThat(g.getParent()).doesNotExist());
        }
    }
}
