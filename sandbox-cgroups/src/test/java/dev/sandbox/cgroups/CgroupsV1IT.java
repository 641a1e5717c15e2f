package dev.sandbox.cgroups;

import dev.sandbox.testing.HostRequirement;

import dev.sandbox.cgroups.internal.SharedDir;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * cgroup v1 on this host, checked against the kernel: cgroupfs files and /proc, never the
 * library's bookkeeping. Every test removes its groups and processes in finally blocks.
 */
@DisplayName("cgroup v1 on this host (kernel test)")
class CgroupsV1IT {

    static final long MiB = 1L << 20;
    static Cgroups cgroups;

    final Tracked tracked = new Tracked();

    @BeforeAll
    static void requireV1AndRoot() {
        CgroupHost host = CgroupHost.detect();
        HostRequirement.require(host.layout() == CgroupHost.Layout.V1 || host.layout() == CgroupHost.Layout.HYBRID,
                "needs cgroup v1 controllers (this host: " + host + ")");
        HostRequirement.require(Kernel.isRoot(), "needs root to create groups at the v1 hierarchies' roots");
        HostRequirement.require(host.v1Mounts().keySet().containsAll(List.of("memory", "cpu", "cpuacct", "pids", "freezer")),
                "needs the memory, cpu, cpuacct, pids and freezer hierarchies (mounted: " + host.v1Mounts().keySet() + ")");
        cgroups = Cgroups.detect();
    }

    @AfterEach
    void cleanUp() throws Exception {
        tracked.cleanUp();
    }

    @AfterAll
    static void nothingOfThisJvmRemains() throws Exception {
        if (cgroups == null) {
            return;
        }
        SharedDir.removeIdle();
        assertThat(Kernel.ownMarkerDirs(Cgroups.DEFAULT_PREFIX)).isEmpty();
        Kernel.removePrefixes(Cgroups.DEFAULT_PREFIX);
    }

    /** No group is left below this JVM's marker directories, and once idle the markers go too. */
    static void assertNoGroupBelowOwnMarkers() throws IOException {
        for (Path marker : Kernel.ownMarkerDirs(Cgroups.DEFAULT_PREFIX)) {
            assertThat(Kernel.dirsBelow(marker)).as("groups below " + marker).isEmpty();
        }
        SharedDir.removeIdle();
        assertThat(Kernel.ownMarkerDirs(Cgroups.DEFAULT_PREFIX)).isEmpty();
    }

    Cgroup create(Limits limits) throws CgroupException {
        return tracked.create(cgroups, limits);
    }

    Process gated(String script) throws IOException {
        return tracked.gated(script);
    }

    @Test
    @DisplayName("each limit reads back from cgroupfs as configured")
    void limitsReadBackFromCgroupfs() throws Exception {
        String device = wholeDisk();
        Cgroup g = create(Limits.builder().memoryMax(64 * MiB).cpus(0.5).cpuWeight(100).cpuset("0").pidsMax(20)
                .ioMax(device, 1 * MiB, 2 * MiB, 100, 200).build());
        Process p = gated("sleep 30");
        g.addProcess(p.pid());
        // the kernel says where the process is; the files are read there
        Path memory = Kernel.v1GroupOf(p.pid(), "memory");
        Path cpu = Kernel.v1GroupOf(p.pid(), "cpu");
        Path cpuset = Kernel.v1GroupOf(p.pid(), "cpuset");
        Path blkio = Kernel.v1GroupOf(p.pid(), "blkio");
        Path pids = Kernel.v1GroupOf(p.pid(), "pids");
        assertThat(Kernel.readLong(memory.resolve("memory.limit_in_bytes"))).isEqualTo(64 * MiB);
        if (Files.exists(memory.resolve("memory.memsw.limit_in_bytes"))) {
            assertThat(Kernel.readLong(memory.resolve("memory.memsw.limit_in_bytes"))).isEqualTo(64 * MiB);
        }
        assertThat(Kernel.readLong(cpu.resolve("cpu.cfs_quota_us"))).isEqualTo(50_000);
        assertThat(Kernel.readLong(cpu.resolve("cpu.cfs_period_us"))).isEqualTo(100_000);
        assertThat(Kernel.readLong(cpu.resolve("cpu.shares"))).isEqualTo(2 + (99L * 262_142) / 9_999);
        assertThat(Kernel.read(cpuset.resolve("cpuset.cpus")).trim()).isEqualTo("0");
        assertThat(Kernel.read(cpuset.resolve("cpuset.mems")).trim())
                .isEqualTo(Kernel.read(cpuset.getParent().resolve("cpuset.mems")).trim()).isNotEmpty();
        assertThat(Kernel.readLong(pids.resolve("pids.max"))).isEqualTo(20);
        assertThat(Kernel.read(blkio.resolve("blkio.throttle.read_bps_device"))).isEqualTo(device + " 1048576\n");
        assertThat(Kernel.read(blkio.resolve("blkio.throttle.write_bps_device"))).isEqualTo(device + " 2097152\n");
        assertThat(Kernel.read(blkio.resolve("blkio.throttle.read_iops_device"))).isEqualTo(device + " 100\n");
        assertThat(Kernel.read(blkio.resolve("blkio.throttle.write_iops_device"))).isEqualTo(device + " 200\n");
        // and the process runs on CPU 0 only, as the kernel applies it
        assertThat(Kernel.read("/proc/" + p.pid() + "/status")).containsPattern("Cpus_allowed_list:\\s+0\n");
    }

    @Test
    @DisplayName("a child placed with addProcess shows up in /proc/<pid>/cgroup under the library's group")
    void placedChildShowsUpInProcCgroup() throws Exception {
        Cgroup g = create(Limits.builder().cpus(1).build());
        Process p = gated("sleep 30");
        assertThat(Kernel.procCgroup(p.pid()).get("memory")).as("before: where the JVM is").doesNotContain("/sandbox/");
        g.addProcess(p.pid());
        Map<String, String> where = Kernel.procCgroup(p.pid());
        String expected = "/" + Cgroups.DEFAULT_PREFIX + "/" + Cgroups.jvmMarker() + "/";
        for (String c : List.of("memory", "cpu", "cpuacct", "pids", "freezer")) {
            assertThat(where.get(c)).as(c).startsWith(expected).isEqualTo("/" + g.name());
            assertThat(Kernel.procs(Kernel.v1GroupOf(p.pid(), c))).as(c).containsExactly(p.pid());
        }
        for (String c : List.of("cpuset", "blkio", "devices")) {
            assertThat(where.get(c)).as("no limit needs " + c).doesNotContain("/sandbox/");
        }
        assertThat(g.pids()).containsExactly(p.pid());
        assertThat(Kernel.procCgroup(ProcessHandle.current().pid()).get("memory"))
                .as("the JVM itself stays where it was").doesNotContain("/sandbox/");
    }

    @Test
    @DisplayName("pidsMax(20) makes a fork loop fail inside the group while the host forks fine")
    void pidsMaxStopsAForkLoop() throws Exception {
        Cgroup g = create(Limits.builder().pidsMax(20).build());
        Process p = gated("for i in $(seq 50); do sleep 5 & done; wait");
        g.addProcess(p.pid());
        Path pids = Kernel.v1GroupOf(p.pid(), "pids");
        Kernel.go(p);
        p.getOutputStream().close();
        Kernel.await(() -> !p.isAlive(), 3000);
        String stderr = new String(p.getErrorStream().readNBytes(4096), StandardCharsets.UTF_8);
        assertThat(Kernel.key(pids.resolve("pids.events"), "max")).as("forks the kernel refused at pids.max").isPositive();
        assertThat(Kernel.procs(pids).size()).as("processes in the group").isLessThanOrEqualTo(20);
        assertThat(Kernel.readLong(pids.resolve("pids.current"))).isLessThanOrEqualTo(20);
        assertThat(stderr).as("the shell saw fork fail").containsAnyOf("fork", "Resource temporarily unavailable");
        // the host is fine: a fork outside the group works
        Process outside = tracked.track(new ProcessBuilder("true").start());
        assertThat(outside.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(outside.exitValue()).isZero();
        g.killAll();
        assertThat(Kernel.procs(pids)).isEmpty();
    }

    @Nested
    @DisplayName("memoryMax(64 MiB)")
    class Memory {

        @Test
        @DisplayName("a process allocating 300 MiB is OOM-killed, and the group says so")
        void oomKill() throws Exception {
            Cgroup g = create(Limits.builder().memoryMax(64 * MiB).build());
            Process p = gated("exec dd if=/dev/zero of=/dev/null bs=300M count=1");
            g.addProcess(p.pid());
            Path memory = Kernel.v1GroupOf(p.pid(), "memory");
            Kernel.go(p);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("killed by SIGKILL (128 + 9)").isEqualTo(137);
            assertThat(Kernel.key(memory.resolve("memory.oom_control"), "oom_kill")).as("kernel's OOM kill count").isGreaterThanOrEqualTo(1);
            assertThat(Kernel.readLong(memory.resolve("memory.max_usage_in_bytes"))).isLessThanOrEqualTo(64 * MiB);
            assertThat(g.oomKilled()).isTrue();
            assertThat(g.usage().oomKills()).isPresent();
            assertThat(g.usage().oomKills().getAsLong()).isGreaterThanOrEqualTo(1);
        }

        @Test
        @DisplayName("a process allocating 16 MiB runs to the end")
        void underTheLimit() throws Exception {
            Cgroup g = create(Limits.builder().memoryMax(64 * MiB).build());
            Process p = gated("exec dd if=/dev/zero of=/dev/null bs=16M count=4");
            g.addProcess(p.pid());
            Path memory = Kernel.v1GroupOf(p.pid(), "memory");
            Kernel.go(p);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(Kernel.key(memory.resolve("memory.oom_control"), "oom_kill")).isZero();
            assertThat(g.oomKilled()).isFalse();
            Usage u = g.usage();
            assertThat(u.oomKills()).hasValue(0);
            assertThat(u.memoryPeak()).hasValue(Kernel.readLong(memory.resolve("memory.max_usage_in_bytes")));
            assertThat(u.memoryPeak().getAsLong()).as("the 16 MiB buffer was charged here").isGreaterThanOrEqualTo(16 * MiB);
        }
    }

    @Test
    @DisplayName("cpus(0.5) holds a busy loop to 50% ± 10% of one core (cpuacct.usage over 2 s)")
    void cpusHoldsABusyLoop() throws Exception {
        Cgroup g = create(Limits.builder().cpus(0.5).build());
        Process p = gated("while :; do :; done");
        g.addProcess(p.pid());
        Path cpuacct = Kernel.v1GroupOf(p.pid(), "cpuacct");
        Path cpu = Kernel.v1GroupOf(p.pid(), "cpu");
        Kernel.go(p);
        Thread.sleep(300);
        long u0 = Kernel.readLong(cpuacct.resolve("cpuacct.usage"));
        long n0 = Kernel.key(cpu.resolve("cpu.stat"), "nr_throttled");
        long t0 = System.nanoTime();
        Thread.sleep(2000);
        long u1 = Kernel.readLong(cpuacct.resolve("cpuacct.usage"));
        long n1 = Kernel.key(cpu.resolve("cpu.stat"), "nr_throttled");
        long t1 = System.nanoTime();
        // Other load on the host can only lower the loop's share, so this cannot fail for it: never more
        // than half a core, throttled, and each throttled period (0.1 s) used up its whole quota (0.05 s)
        // first: the limit is 0.5, not less.
        double share = (double) (u1 - u0) / (t1 - t0);
        assertThat(share).as("share of one core").isLessThanOrEqualTo(0.60);
        assertThat(n1 - n0).as("periods throttled while it ran").isPositive();
        assertThat((double) (u1 - u0)).as("CPU used (ns), against the throttled periods' quotas")
                .isGreaterThanOrEqualTo(0.9 * (n1 - n0) * 50_000_000L);
        Usage u = g.usage();
        assertThat(u.cpuThrottled()).hasValueSatisfying(d -> assertThat(d).isPositive());
        assertThat(u.cpuTotal()).hasValueSatisfying(d -> assertThat(d.toNanos()).isGreaterThanOrEqualTo(u1));
    }

    @Test
    @DisplayName("freeze() stops the processes (freezer.state FROZEN, no CPU progress) and thaw() resumes them")
    void freezeAndThaw() throws Exception {
        Cgroup g = create(Limits.none());
        Process p = gated("while :; do :; done");
        g.addProcess(p.pid());
        Path freezer = Kernel.v1GroupOf(p.pid(), "freezer");
        Path cpuacct = Kernel.v1GroupOf(p.pid(), "cpuacct");
        Kernel.go(p);
        Thread.sleep(100);
        g.freeze();
        assertThat(Kernel.read(freezer.resolve("freezer.state")).trim()).isEqualTo("FROZEN");
        // a v1-frozen task shows as D (disk sleep) on this kernel; a running one would be R
        assertThat(Kernel.state(p.pid())).doesNotStartWith("R");
        long u0 = Kernel.readLong(cpuacct.resolve("cpuacct.usage"));
        Thread.sleep(300);
        assertThat(Kernel.readLong(cpuacct.resolve("cpuacct.usage"))).as("no CPU time while frozen").isEqualTo(u0);
        g.thaw();
        assertThat(Kernel.read(freezer.resolve("freezer.state")).trim()).isEqualTo("THAWED");
        Thread.sleep(300);
        assertThat(Kernel.readLong(cpuacct.resolve("cpuacct.usage"))).as("runs again").isGreaterThan(u0);
    }

    @Test
    @DisplayName("killAll() empties the group, forking processes included")
    void killAllEmptiesTheGroup() throws Exception {
        Cgroup g = create(Limits.builder().pidsMax(100).build());
        List<Process> ps = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ps.add(gated("sleep 30"));
        }
        ps.add(gated("while :; do sleep 0.01 & sleep 0.02; done"));
        for (Process p : ps) {
            g.addProcess(p.pid());
            Kernel.go(p);
        }
        Path freezer = Kernel.v1GroupOf(ps.get(0).pid(), "freezer");
        Path memory = Kernel.v1GroupOf(ps.get(0).pid(), "memory");
        Thread.sleep(200);
        assertThat(Kernel.procs(freezer).size()).isGreaterThanOrEqualTo(4);
        g.killAll();
        assertThat(Kernel.procs(freezer)).isEmpty();
        assertThat(Kernel.procs(memory)).isEmpty();
        for (Process p : ps) {
            assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(137);
        }
        assertThat(Kernel.read(freezer.resolve("freezer.state")).trim()).as("left thawed").isEqualTo("THAWED");
    }

    @Test
    @DisplayName("close() kills what runs and removes every directory; the idle JVM directory follows")
    void closeRemovesEverything() throws Exception {
        Cgroup g = cgroups.create(Limits.builder().memoryMax(64 * MiB).cpus(1).cpuset("0").pidsMax(10).build());
        Process p = gated("sleep 30");
        List<Path> dirs = new ArrayList<>();
        try {
            g.addProcess(p.pid());
            for (String c : List.of("memory", "cpu", "cpuacct", "cpuset", "pids", "freezer")) {
                dirs.add(Kernel.v1GroupOf(p.pid(), c));
            }
        } finally {
            g.close();
        }
        assertThat(p.waitFor(5, TimeUnit.SECONDS)).as("killed by close").isTrue();
        for (Path d : dirs) {
            assertThat(d).doesNotExist();
        }
        assertThat(Kernel.await(() -> {
            try {
                return Kernel.ownMarkerDirs(Cgroups.DEFAULT_PREFIX).isEmpty();
            } catch (IOException e) {
                return false;
            }
        }, SharedDir.LINGER_MILLIS + 3000)).as("no directory of this JVM remains under the prefix").isTrue();
    }

    @Test
    @DisplayName("after 200 create/close cycles no group remains")
    void twoHundredCycles() throws Exception {
        Limits limits = Limits.builder().memoryMax(64 * MiB).cpus(0.5).pidsMax(20).build();
        for (int i = 0; i < 200; i++) {
            cgroups.create(limits).close();
        }
        assertNoGroupBelowOwnMarkers();
    }

    @Test
    @DisplayName("4 threads creating, placing and closing groups at once leave nothing behind")
    void concurrentCreateAndClose() throws Exception {
        Limits limits = Limits.builder().memoryMax(64 * MiB).pidsMax(20).build();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        Process p = new ProcessBuilder("sleep", "30").start();
                        try (Cgroup g = cgroups.create(limits)) {
                            g.addProcess(p.pid());
                            assertThat(Kernel.procCgroup(p.pid()).get("memory")).isEqualTo("/" + g.name());
                        } finally {
                            Kernel.kill(p);
                        }
                        if (i % 10 == 9) {
                            Thread.sleep(SharedDir.LINGER_MILLIS / 4);
                        }
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertNoGroupBelowOwnMarkers();
    }

    @Test
    @DisplayName("usage() reports what the kernel counted; absent files stay empty")
    void usage() throws Exception {
        Cgroup g = create(Limits.builder().pidsMax(50).build());
        Process p = gated("dd if=/dev/zero of=/dev/null bs=8M count=100 2>/dev/null; sleep 0.2 & sleep 0.2 & wait");
        g.addProcess(p.pid());
        Path cpuacct = Kernel.v1GroupOf(p.pid(), "cpuacct");
        Path pidsDir = Kernel.v1GroupOf(p.pid(), "pids");
        Kernel.go(p);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Usage u = g.usage();
        assertThat(u.cpuTotal()).hasValue(java.time.Duration.ofNanos(Kernel.readLong(cpuacct.resolve("cpuacct.usage"))));
        assertThat(u.cpuUser()).hasValue(java.time.Duration.ofNanos(Kernel.readLong(cpuacct.resolve("cpuacct.usage_user"))));
        assertThat(u.cpuSystem()).hasValue(java.time.Duration.ofNanos(Kernel.readLong(cpuacct.resolve("cpuacct.usage_sys"))));
        assertThat(u.cpuSystem().orElseThrow()).as("dd copies in the kernel").isPositive();
        assertThat(u.memoryPeak().orElseThrow()).isGreaterThanOrEqualTo(8 * MiB);
        if (Files.exists(pidsDir.resolve("pids.peak"))) {
            assertThat(u.pidsPeak()).hasValue(Kernel.readLong(pidsDir.resolve("pids.peak")));
            assertThat(u.pidsPeak().getAsLong()).isGreaterThanOrEqualTo(3);
        } else {
            assertThat(u.pidsPeak()).as("this kernel has no v1 pids.peak").isEmpty();
        }
        assertThat(u.cpuThrottled()).as("not in a cpu hierarchy: no limit needed it").isEmpty();
    }

    @Nested
    @DisplayName("with a leaf: the process below the group that holds the limits")
    class Leaf {

        static final String LEAF = "sandbox";

        @Test
        @DisplayName("the process lives in the leaf in every hierarchy; the limits are in the group, which holds no process")
        void processInTheLeafLimitsInTheGroup() throws Exception {
            Cgroup g = tracked.create(cgroups, Limits.builder().memoryMax(64 * MiB).cpus(0.5).cpuset("0").pidsMax(20).build(), LEAF);
            Process p = gated("sleep 30");
            g.addProcess(p.pid());
            Map<String, String> where = Kernel.procCgroup(p.pid());
            for (String c : List.of("memory", "cpu", "cpuacct", "cpuset", "pids", "freezer")) {
                assertThat(where.get(c)).as(c).isEqualTo("/" + g.name() + "/" + LEAF);
                Path group = Kernel.v1GroupOf(p.pid(), c).getParent();
                assertThat(Kernel.procs(group)).as(c + ": the group itself").isEmpty();
            }
            Path memory = Kernel.v1GroupOf(p.pid(), "memory").getParent();
            assertThat(Kernel.readLong(memory.resolve("memory.limit_in_bytes"))).isEqualTo(64 * MiB);
            assertThat(Kernel.read(memory.resolve("memory.use_hierarchy")).trim()).isEqualTo("1");
            assertThat(Kernel.readLong(Kernel.v1GroupOf(p.pid(), "pids").getParent().resolve("pids.max"))).isEqualTo(20);
            assertThat(Kernel.readLong(Kernel.v1GroupOf(p.pid(), "cpu").getParent().resolve("cpu.cfs_quota_us"))).isEqualTo(50_000);
            // a v1 cpuset admits no process without CPUs: the leaf has the group's, and the kernel applies them
            assertThat(Kernel.read("/proc/" + p.pid() + "/status")).containsPattern("Cpus_allowed_list:\\s+0\n");
            assertThat(g.pids()).containsExactly(p.pid());
        }

        @Test
        @DisplayName("300 MiB in the leaf is OOM-killed by the group's 64 MiB; oomKilled() sees the leaf's kill")
        void oomKillInTheLeaf() throws Exception {
            Cgroup g = tracked.create(cgroups, Limits.builder().memoryMax(64 * MiB).build(), LEAF);
            Process p = gated("exec dd if=/dev/zero of=/dev/null bs=300M count=1");
            g.addProcess(p.pid());
            Path leaf = Kernel.v1GroupOf(p.pid(), "memory");
            Kernel.go(p);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("killed by SIGKILL (128 + 9)").isEqualTo(137);
            // v1 counts the kill in the victim's group only, not in the group whose limit it hit
            assertThat(Kernel.key(leaf.resolve("memory.oom_control"), "oom_kill")).isEqualTo(1);
            assertThat(Kernel.key(leaf.getParent().resolve("memory.oom_control"), "oom_kill")).isZero();
            assertThat(Kernel.readLong(leaf.getParent().resolve("memory.max_usage_in_bytes"))).isLessThanOrEqualTo(64 * MiB);
            assertThat(g.oomKilled()).isTrue();
            assertThat(g.usage().oomKills()).hasValue(1);
        }

        @Test
        @DisplayName("the group's pidsMax(20) stops a fork loop in the leaf")
        void pidsMaxOfTheGroupHoldsTheLeaf() throws Exception {
            Cgroup g = tracked.create(cgroups, Limits.builder().pidsMax(20).build(), LEAF);
            Process p = gated("for i in $(seq 50); do sleep 5 & done; wait");
            g.addProcess(p.pid());
            Path leaf = Kernel.v1GroupOf(p.pid(), "pids");
            Kernel.go(p);
            p.getOutputStream().close();
            Kernel.await(() -> !p.isAlive(), 3000);
            assertThat(Kernel.key(leaf.resolve("pids.events"), "max")).as("forks refused in the leaf").isPositive();
            assertThat(Kernel.readLong(leaf.getParent().resolve("pids.current"))).isLessThanOrEqualTo(20);
            assertThat(Kernel.read(leaf.resolve("pids.max")).trim()).as("the leaf has no limit of its own").isEqualTo("max");
        }

        @Test
        @DisplayName("close() kills what runs in the leaf and removes the leaf, then the group")
        void closeRemovesLeafAndGroup() throws Exception {
            Cgroup g = cgroups.create(Limits.builder().memoryMax(64 * MiB).pidsMax(10).build(), LEAF);
            List<Process> ps = new ArrayList<>();
            List<Path> dirs = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    Process p = gated("sleep 30");
                    ps.add(p);
                    g.addProcess(p.pid());
                    Kernel.go(p);
                }
                for (String c : List.of("memory", "cpuacct", "pids", "freezer")) {
                    Path leaf = Kernel.v1GroupOf(ps.get(0).pid(), c);
                    dirs.add(leaf);
                    dirs.add(leaf.getParent());
                }
            } finally {
                g.close();
            }
            for (Process p : ps) {
                assertThat(p.waitFor(5, TimeUnit.SECONDS)).as("killed by close").isTrue();
            }
            assertThat(dirs).allSatisfy(d -> assertThat(d).doesNotExist());
            assertNoGroupBelowOwnMarkers();
        }
    }

    @Nested
    @DisplayName("fails closed on a limit the kernel refuses, leaving nothing")
    class FailClosed {

        @BeforeEach
        void noGroupOfThisJvm() {
            SharedDir.removeIdle();
        }

        @Test
        void cpusetOfACpuThisHostLacks() throws Exception {
            int cpus = Runtime.getRuntime().availableProcessors();
            assertThatThrownBy(() -> create(Limits.builder().cpuset(Integer.toString(cpus + 100)).build()))
                    .isInstanceOf(CgroupException.class)
                    .hasMessageMatching("cpuset: cannot write '" + (cpus + 100) + "' to /sys/fs/cgroup/cpuset/sandbox/jvm-[0-9]+-[0-9]+/[0-9]+/"
                            + "cpuset.cpus: (EINVAL|ERANGE) \\(.*\\); the kernel rejected the value \\(the CPUs must exist.*");
            SharedDir.removeIdle();
            assertThat(Kernel.ownMarkerDirs(Cgroups.DEFAULT_PREFIX)).isEmpty();
        }

        @Test
        void ioMaxOnADeviceThatDoesNotExist() throws Exception {
            assertThatThrownBy(() -> create(Limits.builder().ioMax("250:99", MiB, 0, 0, 0).build()))
                    .isInstanceOf(CgroupException.class)
                    .hasMessageContaining("ioMax: cannot write '250:99 1048576' to /sys/fs/cgroup/blkio/sandbox/")
                    .hasMessageContaining("is the major:minor an existing whole block device?");
            SharedDir.removeIdle();
            assertThat(Kernel.ownMarkerDirs(Cgroups.DEFAULT_PREFIX)).isEmpty();
        }
    }

    /** major:minor of a whole disk of this host (throttle rules need an existing device). */
    static String wholeDisk() throws IOException {
        try (var s = Files.list(Path.of("/sys/block"))) {
            for (Path b : s.sorted().toList()) {
                String name = b.getFileName().toString();
                if (!name.startsWith("loop") && !name.startsWith("ram") && !name.startsWith("zram")) {
                    return Files.readString(b.resolve("dev")).trim();
                }
            }
        }
        throw new AssertionError("no block device in /sys/block");
    }
}
