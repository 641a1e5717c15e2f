package dev.sandbox.cgroups;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("CgroupHost reads the layout from mountinfo")
class CgroupHostTest {

    private static final String HYBRID = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;

    private static final String V2 = """
            25 21 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
            """;

    @Test
    void hybridHost() {
        CgroupHost h = CgroupHost.parse(HYBRID, "4:memory:/a/b\n1:cpu:/\n0::/\n", Set.of());
        assertThat(h.layout()).isEqualTo(CgroupHost.Layout.HYBRID);
        assertThat(h.unifiedMount()).contains(Path.of("/sys/fs/cgroup/unified"));
        assertThat(h.v1Mounts()).containsEntry("memory", Path.of("/sys/fs/cgroup/memory"))
                .containsEntry("name=systemd", Path.of("/sys/fs/cgroup/systemd"));
        assertThat(h.ownGroups()).containsEntry("memory", "/a/b").containsEntry("", "/");
    }

    @Test
    void unifiedHost() {
        CgroupHost h = CgroupHost.parse(V2, "0::/user.slice/session-1.scope\n", Set.of("cpu", "memory", "pids"));
        assertThat(h.layout()).isEqualTo(CgroupHost.Layout.V2);
        assertThat(h.v2Controllers()).containsExactlyInAnyOrder("cpu", "memory", "pids");
        assertThat(h.ownGroups()).containsEntry("", "/user.slice/session-1.scope");
    }

    @Test
    void v1OnlyHostAndEscapedMountPoints() {
        CgroupHost h = CgroupHost.parse("32 31 0:29 / /sys/fs/cg\\040x/cpu rw - cgroup cgroup rw,cpu,cpuacct\n", "", Set.of());
        assertThat(h.layout()).isEqualTo(CgroupHost.Layout.V1);
        assertThat(h.v1Mounts()).containsEntry("cpu", Path.of("/sys/fs/cg x/cpu")).containsEntry("cpuacct", Path.of("/sys/fs/cg x/cpu"));
    }

    @Test
    void noCgroups() {
        assertThat(CgroupHost.parse("", "", Set.of()).layout()).isEqualTo(CgroupHost.Layout.NONE);
    }

    @Test
    @DisplayName("this host's layout matches the file system types statfs reports (kernel truth)")
    void thisHostMatchesStatfs() throws Exception {
        String root = fsType("/sys/fs/cgroup");
        CgroupHost h = CgroupHost.detect();
        if (root.equals("cgroup2fs")) {
            assertThat(h.layout()).isEqualTo(CgroupHost.Layout.V2);
        } else {
            boolean unified = fsType("/sys/fs/cgroup/unified").equals("cgroup2fs");
            assertThat(h.layout()).isEqualTo(unified ? CgroupHost.Layout.HYBRID : CgroupHost.Layout.V1);
        }
    }

    private static String fsType(String path) throws Exception {
        Process p = new ProcessBuilder("stat", "-f", "-c", "%T", path).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(10, TimeUnit.SECONDS);
        return p.exitValue() == 0 ? out : "missing";
    }
}
