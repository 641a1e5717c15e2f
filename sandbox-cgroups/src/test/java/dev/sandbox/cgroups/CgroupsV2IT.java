package dev.sandbox.cgroups;

import dev.sandbox.testing.HostRequirement;

import dev.sandbox.cgroups.internal.SharedDir;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The v2 backend on a real cgroup2 mount: on this project's hybrid hosts, the unified mount that
 * holds no controllers. Everything that needs no controller is checked against the kernel:
 * create, placing, cgroup.events, cgroup.freeze, cgroup.kill, cpu.stat, removal; and that a
 * limit needing a controller fails closed.
 */
@DisplayName("cgroup v2 backend on this host's unified mount (kernel test)")
class CgroupsV2IT {

    static Path mount;
    static Cgroups cgroups;

    final Tracked tracked = new Tracked();

    @BeforeAll
    static void requireUnifiedMount() throws Exception {
        CgroupHost real = CgroupHost.detect();
        HostRequirement.require(real.unifiedMount().isPresent(), "needs a cgroup2 mount (this host: " + real + ")");
        mount = real.unifiedMount().orElseThrow();
        HostRequirement.require(Kernel.isRoot(), "needs root to create groups at the root of " + mount);
        assertThat(Kernel.fsType(mount.toString())).isEqualTo("cgroup2fs");
        // a host that is unified-only from the library's point of view: this mount, we at its root
        CgroupHost v2 = CgroupHost.parse("41 31 0:38 / " + mount + " rw,relatime - cgroup2 cgroup2 rw\n", "0::/\n",
                Set.of(Kernel.read(mount.resolve("cgroup.controllers")).trim().split("\\s+")));
        assertThat(v2.layout()).isEqualTo(CgroupHost.Layout.V2);
        cgroups = Cgroups.at(v2, Cgroups.DEFAULT_PREFIX);
    }

    @AfterEach
    void cleanUp() throws Exception {
        tracked.cleanUp();
    }

    @AfterAll
    static void nothingRemains() throws Exception {
        if (cgroups == null) {
            return;
        }
        SharedDir.removeIdle();
        assertThat(mount.resolve(Cgroups.DEFAULT_PREFIX).resolve(Cgroups.jvmMarker())).doesNotExist();
        Kernel.removePrefixes(Cgroups.DEFAULT_PREFIX);
    }

    Cgroup create(Limits limits) throws CgroupException {
        return tracked.create(cgroups, limits);
    }

    Process gated(String script) throws IOException {
        return tracked.gated(script);
    }

    /** The v2 group of {@code pid}, from /proc/pid/cgroup's 0:: line. */
    static Path groupOf(long pid) throws IOException {
        return mount.resolve(Kernel.procCgroup(pid).get("").substring(1));
    }

    @Test
    @DisplayName("create and addProcess: the kernel lists the child in the group, cgroup.events says populated")
    void createAndPlace() throws Exception {
        Cgroup g = create(Limits.none());
        assertThat(g.unifiedDirectory()).isPresent();
        assertThat(g.procsFiles()).hasSize(1);
        Path dir = g.unifiedDirectory().orElseThrow();
        assertThat(Kernel.key(dir.resolve("cgroup.events"), "populated")).isZero();
        Process p = gated("sleep 30");
        g.addProcess(p.pid());
        assertThat(Kernel.procCgroup(p.pid()).get("")).isEqualTo("/" + g.name())
                .startsWith("/" + Cgroups.DEFAULT_PREFIX + "/" + Cgroups.jvmMarker() + "/");
        assertThat(groupOf(p.pid())).isEqualTo(dir);
        assertThat(Kernel.procs(dir)).containsExactly(p.pid());
        assertThat(Kernel.key(dir.resolve("cgroup.events"), "populated")).isEqualTo(1);
        assertThat(g.pids()).containsExactly(p.pid());
    }

    @Test
    @DisplayName("freeze() sets cgroup.events frozen 1 and stops CPU progress; thaw() undoes it")
    void freezeAndThaw() throws Exception {
        Cgroup g = create(Limits.none());
        Process p = gated("while :; do :; done");
        g.addProcess(p.pid());
        Path dir = groupOf(p.pid());
        Kernel.go(p);
        Thread.sleep(100);
        g.freeze();
        assertThat(Kernel.key(dir.resolve("cgroup.events"), "frozen")).isEqualTo(1);
        assertThat(Kernel.state(p.pid())).as("a v2-frozen task sleeps").doesNotStartWith("R");
        long u0 = Kernel.key(dir.resolve("cpu.stat"), "usage_usec");
        Thread.sleep(300);
        assertThat(Kernel.key(dir.resolve("cpu.stat"), "usage_usec")).as("no CPU time while frozen").isEqualTo(u0);
        g.thaw();
        assertThat(Kernel.key(dir.resolve("cgroup.events"), "frozen")).isZero();
        Thread.sleep(300);
        assertThat(Kernel.key(dir.resolve("cpu.stat"), "usage_usec")).isGreaterThan(u0);
        assertThat(Kernel.state(p.pid())).startsWith("R");
    }

    @Test
    @DisplayName("killAll() uses cgroup.kill: every process dies, cgroup.events says unpopulated")
    void killAll() throws Exception {
        Cgroup g = create(Limits.none());
        Path dir = g.unifiedDirectory().orElseThrow();
        assertThat(dir.resolve("cgroup.kill")).exists();
        List<Process> ps = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ps.add(gated("sleep 30"));
        }
        ps.add(gated("while :; do sleep 0.01 & sleep 0.02; done"));
        for (Process p : ps) {
            g.addProcess(p.pid());
            Kernel.go(p);
        }
        Thread.sleep(200);
        assertThat(Kernel.procs(dir).size()).isGreaterThanOrEqualTo(4);
        g.killAll();
        assertThat(Kernel.procs(dir)).isEmpty();
        assertThat(Kernel.key(dir.resolve("cgroup.events"), "populated")).isZero();
        for (Process p : ps) {
            assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(137);
        }
    }

    @Test
    @DisplayName("usage() reads cpu.stat; what needs a controller this mount lacks is empty, not 0")
    void usage() throws Exception {
        Cgroup g = create(Limits.none());
        Process p = gated("exec dd if=/dev/zero of=/dev/null bs=1M count=300");
        g.addProcess(p.pid());
        Path dir = groupOf(p.pid());
        Kernel.go(p);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Usage u = g.usage();
        assertThat(u.cpuTotal()).hasValue(java.time.Duration.ofNanos(Kernel.key(dir.resolve("cpu.stat"), "usage_usec") * 1000));
        // the kernel's own split (tick-sampled: a short run may show all of it as user or as system time)
        assertThat(u.cpuSystem()).hasValue(java.time.Duration.ofNanos(Kernel.key(dir.resolve("cpu.stat"), "system_usec") * 1000));
        assertThat(u.cpuUser()).hasValue(java.time.Duration.ofNanos(Kernel.key(dir.resolve("cpu.stat"), "user_usec") * 1000));
        assertThat(u.cpuTotal().orElseThrow()).isPositive();
        assertThat(u.memoryPeak()).isEqualTo(Files.exists(dir.resolve("memory.peak"))
                ? java.util.OptionalLong.of(Kernel.readLong(dir.resolve("memory.peak"))) : java.util.OptionalLong.empty());
        assertThat(u.oomKills()).isEqualTo(Files.exists(dir.resolve("memory.events"))
                ? java.util.OptionalLong.of(Kernel.key(dir.resolve("memory.events"), "oom_kill")) : java.util.OptionalLong.empty());
        assertThat(u.pidsPeak()).isEqualTo(Files.exists(dir.resolve("pids.peak"))
                ? java.util.OptionalLong.of(Kernel.readLong(dir.resolve("pids.peak"))) : java.util.OptionalLong.empty());
        if (!Files.exists(dir.resolve("cpu.max"))) {
            assertThat(u.cpuThrottled()).as("throttled_usec needs the cpu controller").isEmpty();
        }
    }

    @Test
    @DisplayName("a limit whose controller the parent group does not pass down fails closed, says where to enable it, and leaves nothing")
    void limitWithoutControllerFailsClosed() throws Exception {
        // A parent of the library's prefix that passes nothing down (a fresh group's
        // cgroup.subtree_control is empty): on a pure v2 host its cgroup.controllers offers memory,
        // on a hybrid host's empty unified mount it offers nothing. Either way memoryMax cannot hold.
        Path parent = mount.resolve("sandbox-it-nomem-" + ProcessHandle.current().pid());
        Files.createDirectory(parent);
        try {
            Set<String> offered = Set.of(Kernel.read(parent.resolve("cgroup.controllers")).trim().split("\\s+"));
            Cgroups below = Cgroups.at(CgroupHost.parse("41 31 0:38 / " + mount + " rw,relatime - cgroup2 cgroup2 rw\n",
                    "0::/\n", offered), parent.getFileName() + "/" + Cgroups.DEFAULT_PREFIX);
            assertThatThrownBy(() -> below.create(Limits.builder().memoryMax(64L << 20).build()))
                    .isInstanceOf(CgroupException.class)
                    .hasMessageStartingWith("memoryMax: the memory controller is not ")
                    .hasMessageContaining(parent.toString())
                    .hasMessageContaining(offered.contains("memory") ? "cgroup.subtree_control" : "cgroup.controllers");
            assertThat(Kernel.read(parent.resolve("cgroup.subtree_control")).trim()).as("left as it was").isEmpty();
            try (var left = Files.list(parent)) {
                assertThat(left.filter(Files::isDirectory).toList()).as("nothing made below " + parent).isEmpty();
            }
        } finally {
            Files.delete(parent);
        }
    }

    @Test
    @DisplayName("with a leaf: the child lives in the leaf, the group has no process; kill and close cover the leaf")
    void leafTakesTheProcess() throws Exception {
        Cgroup g = tracked.create(cgroups, Limits.none(), "sandbox");
        Path dir = g.directories().get(0);
        Process p = gated("sleep 30");
        g.addProcess(p.pid());
        assertThat(Kernel.procCgroup(p.pid()).get("")).isEqualTo("/" + g.name() + "/sandbox");
        assertThat(g.unifiedDirectory()).contains(groupOf(p.pid()));
        assertThat(Kernel.procs(dir)).as("the group itself").isEmpty();
        assertThat(Kernel.key(dir.resolve("cgroup.events"), "populated")).as("counts the leaf").isEqualTo(1);
        assertThat(Kernel.read(dir.resolve("cgroup.subtree_control")).trim()).as("passes nothing down").isEmpty();
        assertThat(g.pids()).containsExactly(p.pid());
        g.killAll();
        assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(Kernel.procs(dir.resolve("sandbox"))).isEmpty();
        Process q = gated("sleep 30");
        g.addProcess(q.pid());
        g.close();
        assertThat(q.waitFor(5, TimeUnit.SECONDS)).as("killed by close").isTrue();
        assertThat(dir).doesNotExist();
    }

    @Test
    @DisplayName("close() kills what runs and removes the directory; the idle JVM directory follows")
    void closeRemovesEverything() throws Exception {
        Cgroup g = cgroups.create(Limits.none());
        Path dir;
        Process p = gated("sleep 30");
        try {
            g.addProcess(p.pid());
            dir = groupOf(p.pid());
        } finally {
            g.close();
        }
        assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(dir).doesNotExist();
        Path marker = mount.resolve(Cgroups.DEFAULT_PREFIX).resolve(Cgroups.jvmMarker());
        assertThat(Kernel.await(() -> !Files.exists(marker), SharedDir.LINGER_MILLIS + 3000)).isTrue();
        for (int i = 0; i < 200; i++) {
            cgroups.create(Limits.none()).close();
        }
        assertThat(Kernel.dirsBelow(marker)).isEmpty();
    }
}
