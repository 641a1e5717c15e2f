package dev.sandbox;

import dev.sandbox.cgroups.CgroupHost;
import dev.sandbox.cgroups.Cgroups;
import dev.sandbox.testing.HostRequirement;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On a pure cgroup v2 host the helper creates the sandbox in its group with
 * {@code clone3(CLONE_INTO_CGROUP)}. Where clone3 is missing (before Linux 5.3, or refused with
 * ENOSYS by an older container runtime's seccomp profile, as Docker's once was) or lacks that flag
 * (5.3 to 5.6: E2BIG), the helper must move its child into the group before the child runs anything.
 */
@DisplayName("Without clone3, the sandbox still lands in its own v2 group before it runs")
class CloneIntoCgroupFallbackIT {

    /**
     * Run under the filter: this host's v2 mount presented as a pure v2 host (as
     * CgroupLimitsIT#onCgroupV2TheSandboxIsClonedIntoItsOwnGroup does); prints the kernel's view.
     */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            CgroupHost host = CgroupHost.detect();
            Path unified = host.unifiedMount().orElseThrow();
            CgroupHost v2 = CgroupHost.parse("41 31 0:38 / " + unified + " rw,relatime - cgroup2 cgroup2 rw\n",
                    "0::" + host.ownGroups().getOrDefault("", "/") + "\n", Set.of());
            try (SandboxRuntime rt = SandboxRuntime.builder().build()) {
                Sandbox s = Sandbox.builder().pidNs().cgroupNs().runtime(rt).cgroups(Cgroups.at(v2, "sandbox")).build();
                try (SandboxedProcess p = s.start("sh", "-c", "grep ^0:: /proc/self/cgroup; exec sleep 30")) {
                    String inside = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                            StandardCharsets.UTF_8)).readLine();
                    String own = Kernel.read("/proc/" + p.pid() + "/cgroup").lines()
                            .filter(l -> l.startsWith("0::")).findFirst().orElseThrow();
                    Path leaf = unified.resolve(own.substring(4));
                    Set<String> procs = new TreeSet<>(Kernel.read(leaf + "/cgroup.procs").lines().toList());
                    long helper = Kernel.parentOf(p.initPid());
                    boolean helperInside = Kernel.read("/proc/" + helper + "/cgroup").contains(own);
                    System.out.println("leaf " + own.substring(3).replaceAll("\\d+", "N"));
                    System.out.println("procs are init and command: "
                            + procs.equals(new TreeSet<>(Set.of(Long.toString(p.initPid()), Long.toString(p.pid())))));
                    System.out.println("helper inside: " + helperInside);
                    System.out.println("inside: " + inside.trim());
                }
            }
        }
    }

    @Test
    void theHelperMovesItsChildBeforeItRuns(@TempDir Path dir) throws Exception {
        HostRequirement.require(CgroupHost.detect().unifiedMount().isPresent(), "needs a cgroup v2 (unified) mount");
        HostRequirement.require(dev.sandbox.internal.LibC.get().geteuid() == 0, "needs root to create cgroups");
        // clone3 (435 on x86_64 and aarch64) refused with ENOSYS; glibc falls back to clone
        String out = DeniedSyscalls.run(dir, 435, 435, "ENOSYS", Probe.class);
        // the cgroup namespace is made once the child is in its group: its root is the group's leaf
        assertThat(out).isEqualTo("""
                leaf /sandbox/jvm-N-N/N/sandbox
                procs are init and command: true
                helper inside: false
                inside: 0::/
                """);
    }
}
