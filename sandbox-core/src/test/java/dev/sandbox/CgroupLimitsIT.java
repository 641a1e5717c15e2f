package dev.sandbox;

import dev.sandbox.testing.HostRequirement;

import dev.sandbox.cgroups.CgroupHost;
import dev.sandbox.cgroups.Usage;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Cgroup limits of a sandbox, checked in cgroupfs and /proc")
class CgroupLimitsIT {

    private static final long MIB = 1024 * 1024;

    private static void requireController(String controller) {
        CgroupHost host = CgroupHost.detect();
        boolean present = host.v1Mounts().containsKey(controller) || host.v2Controllers().contains(controller);
        HostRequirement.require(present, "needs the " + controller + " cgroup controller");
        HostRequirement.require(dev.sandbox.internal.LibC.get().geteuid() == 0,
                "needs root (or a delegated cgroup subtree) to create cgroups");
    }

    @Test
    void limitsReadBackFromCgroupfsEqualTheConfiguration() throws Exception {
        requireController("memory");
        requireController("pids");
        requireController("cpu");
        Sandbox s = Sandbox.builder().pidNs().memoryMax(64 * MIB).pidsMax(20).cpus(0.5).build();
        try (SandboxedProcess p = s.start("sleep", "30")) {
            // the sandbox lives in a leaf; the limits are on the group above it
            Map<String, Path> leaves = Kernel.groupsOf(p.pid());
            Map<String, Path> groups = new LinkedHashMap<>();
            leaves.forEach((c, leaf) -> groups.put(c, leaf.toString().contains("/sandbox/") ? leaf.getParent() : leaf));
            CgroupHost host = CgroupHost.detect();
            if (host.layout() == CgroupHost.Layout.V2) {
                Path g = groups.get("unified");
                assertThat(Kernel.read(g + "/memory.max").trim()).isEqualTo(Long.toString(64 * MIB));
                assertThat(Kernel.read(g + "/memory.swap.max").trim()).isEqualTo("0");
                assertThat(Kernel.read(g + "/pids.max").trim()).isEqualTo(pidsMaxFor20(p));
                assertThat(Kernel.read(g + "/cpu.max").trim()).isEqualTo("50000 100000");
            } else {
                assertThat(Kernel.read(groups.get("memory") + "/memory.limit_in_bytes").trim()).isEqualTo(Long.toString(64 * MIB));
                // the sandbox's helper monitors it from inside the group: 20 for the sandbox, 1 for it
                assertThat(Kernel.read(groups.get("pids") + "/pids.max").trim()).isEqualTo("21").isEqualTo(pidsMaxFor20(p));
                assertThat(Kernel.read(groups.get("cpu") + "/cpu.cfs_quota_us").trim()).isEqualTo("50000");
                assertThat(Kernel.read(groups.get("cpu") + "/cpu.cfs_period_us").trim()).isEqualTo("100000");
            }
            for (Path leaf : leaves.values()) {
                if (leaf.toString().contains("/sandbox/")) {
                    assertThat(leaf).hasFileName(dev.sandbox.internal.CgroupedHelpers.LEAF);
                    assertThat(Kernel.read(leaf + "/cgroup.procs")).contains(Long.toString(p.pid()));
                    assertThat(Kernel.read(leaf.getParent() + "/cgroup.procs")).as("no process in the group itself").isEmpty();
                }
            }
            // PID 1 and the command were born in the leaf: forked there by their helper, a spare placed in
            // it ahead of time, or (pure v2, no spare ready) created there by CLONE_INTO_CGROUP, the helper outside.
            assertThat(Kernel.groupsOf(p.initPid())).isEqualTo(leaves);
            if (!Kernel.groupsOf(Kernel.parentOf(p.initPid())).equals(leaves)) {
                assertThat(host.layout()).as("a helper outside its sandbox's group: pure v2 only").isEqualTo(CgroupHost.Layout.V2);
            }
        }
    }

    @ParameterizedTest(name = "cgroupNs: {0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("a root caller's sandbox cannot lift its memoryMax or pidsMax: every write fails, the host sees them unchanged")
    void limitsCannotBeLiftedFromInside(boolean cgroupNs) throws Exception {
        requireController("memory");
        requireController("pids");
        Sandbox.Builder b = Sandbox.builder().pidNs().memoryMax(64 * MIB).pidsMax(20);
        Sandbox s = (cgroupNs ? b.cgroupNs() : b).build();
        try (SandboxedProcess p = s.start(LiftLimits.COMMAND)) {
            Map<String, Path> leaves = Kernel.groupsOf(p.pid());
            Path memory = leaves.get("memory").getParent();
            Path pids = leaves.get("pids").getParent();
            assertThat(leaves.get("memory")).hasFileName(dev.sandbox.internal.CgroupedHelpers.LEAF);
            assertThat(leaves.get("pids")).hasFileName(dev.sandbox.internal.CgroupedHelpers.LEAF);

            List<String> report = LiftLimits.attack(p, memory, pids);

            // root's files, an unprivileged uid without capabilities: not even the leaf's are writable
            assertThat(report).as("what the sandbox tried").anyMatch(l -> l.startsWith("refused " + memory))
                    .noneMatch(l -> l.startsWith("wrote "));
            if (Files.exists(memory.resolve("memory.max"))) { // v2
                assertThat(Kernel.read(memory + "/memory.max").trim()).isEqualTo(Long.toString(64 * MIB));
                assertThat(Kernel.read(memory + "/memory.swap.max").trim()).isEqualTo("0");
                assertThat(memory.resolve(dev.sandbox.internal.CgroupedHelpers.LEAF).resolve("memory.max"))
                        .as("the leaf has no memory controller of its own: nothing there to raise").doesNotExist();
            } else {
                assertThat(Kernel.read(memory + "/memory.limit_in_bytes").trim()).isEqualTo(Long.toString(64 * MIB));
                if (Files.exists(memory.resolve("memory.memsw.limit_in_bytes"))) {
                    assertThat(Kernel.read(memory + "/memory.memsw.limit_in_bytes").trim()).isEqualTo(Long.toString(64 * MIB));
                }
            }
            assertThat(Kernel.read(pids + "/pids.max").trim()).isEqualTo(pidsMaxFor20(p));
            assertThat(Kernel.groupsOf(p.pid())).as("still in its leaf").isEqualTo(leaves);
            LiftLimits.allocate(p);
            assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(p.oomKilled()).as("300 MiB under the group's 64 MiB").isTrue();
        }
    }

    @Test
    @DisplayName("a cgroup file system the sandbox mounts in its cgroup namespace starts at its leaf: raising memoryMax there lifts nothing")
    void ownCgroupMountStartsAtTheLeaf() throws Exception {
        requireController("memory");
        SandboxResult r = Sandbox.builder().cgroupNs().pidNs().memoryMax(64 * MIB).build().run(LiftLimits.THROUGH_OWN_MOUNT);
        assertThat(r.oomKilled()).as("300 MiB under the group's 64 MiB; the sandbox said: " + r.stderr()).isTrue();
        assertThat(r.signal()).isEqualTo(9);
    }

    @Test
    void memoryMaxOomKillsOnlyInsideAndSaysSo() throws Exception {
        requireController("memory");
        Sandbox s = Sandbox.builder().pidNs().memoryMax(64 * MIB).build();
        SandboxResult big = s.run("dd", "if=/dev/zero", "of=/dev/null", "bs=300M", "count=1");
        assertThat(big.oomKilled()).isTrue();
        assertThat(big.signal()).isEqualTo(9);
        assertThat(big.usage()).hasValueSatisfying(u -> assertThat(u.oomKills().orElseThrow()).isPositive());
        SandboxResult small = s.run("dd", "if=/dev/zero", "of=/dev/null", "bs=16M", "count=1");
        assertThat(small.exitCode()).isZero();
        assertThat(small.oomKilled()).isFalse();
        assertThat(small.usage().flatMap(u -> u.memoryPeak().isPresent() ? java.util.Optional.of(u.memoryPeak().getAsLong())
                : java.util.Optional.empty())).hasValueSatisfying(peak -> assertThat(peak).isGreaterThan(16 * MIB)
                .isLessThanOrEqualTo(64 * MIB));
    }

    @Test
    void pidsMaxStopsAForkLoopAndTheHostStaysResponsive() throws Exception {
        requireController("pids");
        // The inner shell forks until the kernel refuses (and may give up); the outer one then
        // holds the sandbox open without forking (exec), so its group can be read.
        try (SandboxedProcess p = Sandbox.builder().pidNs().pidsMax(20).build().start("sh", "-c",
                "sh -c 'n=0; while [ $n -lt 100 ]; do sleep 30 & n=$((n+1)); done' 2>/dev/null; exec sleep 30")) {
            Path leaf = Kernel.groupsOf(p.pid()).get("pids");
            Path group = leaf.getParent(); // where the limit is
            long deadline = System.nanoTime() + 10_000_000_000L;
            long refused = 0;
            while (System.nanoTime() < deadline && refused == 0) {
                // v1 counts a refused fork in the group whose task tried it, v2 in the group whose limit refused it
                refused = maxEvents(leaf) + maxEvents(group);
                Thread.sleep(10);
            }
            // the kernel refused forks at the limit, and counted them
            assertThat(refused).as("pids.events max in " + leaf + " and " + group).isPositive();
            // pids.max is the sandbox's 20, and its helper where that sits in the group
            assertThat(Kernel.read(group + "/pids.max").trim()).isEqualTo(pidsMaxFor20(p));
            assertThat(Long.parseLong(Kernel.read(group + "/pids.current").trim())).isBetween(3L, 21L);
            // the host still forks fine
            assertThat(Kernel.host("sh", "-c", "echo ok").trim()).isEqualTo("ok");
        }
    }

    /** The "max" count of a pids.events file ("max N", and on newer kernels more lines); 0 where there is none (a v2 leaf). */
    private static long maxEvents(Path group) throws IOException {
        if (!Files.exists(group.resolve("pids.events"))) {
            return 0;
        }
        return Kernel.read(group + "/pids.events").lines().filter(l -> l.startsWith("max "))
                .mapToLong(l -> Long.parseLong(l.substring(4).trim())).sum();
    }

    @Test
    @DisplayName("cpus(0.5) holds a busy loop to half a core per enforcement period, by the group's own accounting")
    void cpusHoldsABusyLoopToItsShare() throws Exception {
        requireController("cpu");
        // Judged by the kernel's accounting, not the wall clock, and so that other load on the host
        // (which can only lower the loop's share) cannot fail it: never more than its quota per
        // enforcement period (nr_periods counts the periods in which the group ran), throttled, and
        // each throttled period used up the whole quota (0.05 s) first: the limit is 0.5, not less.
        try (SandboxedProcess p = Sandbox.builder().pidNs().cpus(0.5).build().start("sh", "-c", "while :; do :; done")) {
            Map<String, Path> groups = Kernel.groupsOf(p.pid());
            Path cpu = groups.get("cpu").getParent();
            Thread.sleep(2000);
            Map<String, Long> stat = new LinkedHashMap<>();
            for (String l : Kernel.read(cpu + "/cpu.stat").split("\n")) {
                String[] f = l.trim().split("\\s+");
                if (f.length == 2) {
                    stat.put(f[0], Long.parseLong(f[1]));
                }
            }
            double usageSeconds;
            double periodSeconds;
            if (stat.containsKey("usage_usec")) { // v2
                usageSeconds = stat.get("usage_usec") / 1e6;
                periodSeconds = Long.parseLong(Kernel.read(cpu + "/cpu.max").trim().split(" ")[1]) / 1e6;
            } else {
                usageSeconds = Long.parseLong(Kernel.read(groups.get("cpuacct").getParent() + "/cpuacct.usage").trim()) / 1e9;
                periodSeconds = Long.parseLong(Kernel.read(cpu + "/cpu.cfs_period_us").trim()) / 1e6;
            }
            long periods = stat.get("nr_periods");
            assertThat(periods).as("enforcement periods elapsed: " + stat).isGreaterThan(5);
            assertThat(stat.get("nr_throttled")).as("throttled periods: " + stat).isPositive();
            assertThat(usageSeconds / (periods * periodSeconds)).as("share of one core per period: " + stat
                    + ", usage " + usageSeconds + " s").isLessThanOrEqualTo(0.60);
            assertThat(usageSeconds).as("CPU used, against the throttled periods' quotas: " + stat)
                    .isGreaterThanOrEqualTo(0.9 * stat.get("nr_throttled") * 0.5 * periodSeconds);
        }
    }

    @Test
    void cgroupNamespaceShowsTheSandboxItsOwnGroupAsRoot() throws Exception {
        requireController("memory");
        SandboxResult r = Sandbox.builder().cgroupNs().pidNs().memoryMax(64 * MIB).build()
                .run("cat", "/proc/self/cgroup");
        String memoryLine = r.stdout().lines().filter(l -> l.matches("\\d+:memory:.*")).findFirst().orElse("");
        String unifiedLine = r.stdout().lines().filter(l -> l.startsWith("0::")).findFirst().orElse("");
        assertThat(memoryLine.isEmpty() ? unifiedLine : memoryLine).endsWith(":/");
    }

    @Test
    void noGroupRemainsAfterTwoHundredRuns() throws Exception {
        requireController("memory");
        // No spares: run() returns once its group is removed, so the listing is exact at any point.
        OwnRuntime own = OwnRuntime.open(SandboxRuntime.builder().sparesPerKind(0));
        Sandbox s = own.builder().memoryMax(64 * MIB).pidsMax(100).build();
        List<Path> before = libraryGroups();
        for (int i = 0; i < 200; i++) {
            assertThat(s.run("true").exitCode()).isZero();
            if (i % 50 == 0) {
                assertThat(libraryGroups()).as("after run %d", i).containsExactlyInAnyOrderElementsOf(before);
            }
        }
        try (SandboxedProcess p = s.start("sleep", "30")) {
            assertThat(Kernel.groupsOf(p.pid()).values()).allSatisfy(g -> assertThat(g).exists());
        }
        own.closeAndAssertNothingLeft();
        assertThat(libraryGroups()).containsExactlyInAnyOrderElementsOf(before);
    }

    @Test
    void noGroupRemainsAfterTwoHundredRunsWithSpares() throws Exception {
        requireController("memory");
        OwnRuntime own = OwnRuntime.open();
        Sandbox s = own.builder().memoryMax(64 * MIB).pidsMax(100).build();
        for (int i = 0; i < 200; i++) {
            assertThat(s.run("true").exitCode()).isZero();
        }
        // The spares' groups exist until the runtime closes; then nothing of it remains.
        own.closeAndAssertNothingLeft();
    }

    @Test
    void aSpareHelperKilledInItsGroupIsReplacedAndItsGroupRemoved() throws Exception {
        requireController("memory");
        OwnRuntime own = OwnRuntime.open(SandboxRuntime.builder().prespawnHelpers(0));
        Sandbox s = own.builder().pidNs().memoryMax(48 * MIB).build();
        s.run("true");
        // this kind's spares: the runtime's only children now, each in a group of its own
        List<Long> spares = own.awaitNewChildren(2);
        List<Path> spareGroups = new java.util.ArrayList<>();
        for (long pid : spares) {
            spareGroups.addAll(Kernel.groupsOf(pid).values());
        }
        assertThat(spareGroups).isNotEmpty();
        for (long pid : spares) {
            Kernel.host("kill", "-9", Long.toString(pid));
            assertThat(Kernel.awaitGone(pid, 1000)).isTrue();
        }
        for (int i = 0; i < spares.size() + 1; i++) {
            assertThat(s.run("echo", "ok").stdout()).isEqualTo("ok\n");
        }
        List<Path> now = libraryGroups();
        for (Path g : spareGroups) {
            if (g.toString().contains("/memory/")) {
                assertThat(now).as("the dead spare's group is gone").doesNotContain(g);
            }
        }
        own.closeAndAssertNothingLeft();
    }

    @Test
    @DisplayName("pure v2: a start without a spare creates the sandbox in its leaf (CLONE_INTO_CGROUP), a spare's helper forks it there")
    void onCgroupV2TheSandboxIsClonedIntoItsOwnGroup() throws Exception {
        CgroupHost host = CgroupHost.detect();
        HostRequirement.require(host.unifiedMount().isPresent(), "needs a cgroup v2 (unified) mount");
        HostRequirement.require(dev.sandbox.internal.LibC.get().geteuid() == 0, "needs root to create cgroups");
        // This host's v2 mount alone, as a pure-v2 host would present it (no controllers needed here).
        Path unified = host.unifiedMount().orElseThrow();
        String mountinfo = "41 31 0:38 / " + unified + " rw,relatime - cgroup2 cgroup2 rw\n";
        CgroupHost v2 = CgroupHost.parse(mountinfo, "0::" + host.ownGroups().getOrDefault("", "/") + "\n", java.util.Set.of());
        OwnRuntime own = OwnRuntime.open(SandboxRuntime.builder().prespawnHelpers(0).sparesPerKind(1));
        Sandbox s = own.builder().pidNs().cgroups(dev.sandbox.cgroups.Cgroups.at(v2, "sandbox")).build();
        // the first start of its kind finds no spare: its group is made now, and nothing is moved
        try (SandboxedProcess p = s.start("sleep", "30")) {
            Path leaf = leafOf(unified, p.pid());
            assertThat(Kernel.read(leaf + "/cgroup.procs").trim().split("\n")).as("PID 1 and the command; the helper outside")
                    .containsExactlyInAnyOrder(Long.toString(p.initPid()), Long.toString(p.pid()));
            assertThat(Kernel.read("/proc/" + Kernel.parentOf(p.initPid()) + "/cgroup")).doesNotContain(leaf.toString()
                    .substring(unified.toString().length()) + "\n");
            assertThat(Kernel.read(leaf.getParent() + "/cgroup.procs")).as("v2: no process in a group with a child").isEmpty();
            p.destroyForcibly();
            p.waitFor();
        }
        // meanwhile a spare helper was moved into a group of this kind ahead of time: it forks the next one inside
        own.awaitNewChildren(1);
        try (SandboxedProcess p = s.start("sleep", "30")) {
            Path leaf = leafOf(unified, p.pid());
            assertThat(Kernel.read(leaf + "/cgroup.procs").trim().split("\n")).as("the helper, PID 1 and the command")
                    .containsExactlyInAnyOrder(Long.toString(Kernel.parentOf(p.initPid())), Long.toString(p.initPid()),
                            Long.toString(p.pid()));
            p.destroyForcibly();
            p.waitFor();
        }
        SandboxResult r = s.run("sh", "-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done");
        assertThat(r.usage()).hasValueSatisfying(u -> assertThat(u.cpuTotal().orElseThrow()).isPositive());
        own.closeAndAssertNothingLeft();
    }

    /**
     * What {@code pids.max} must be for {@code pidsMax(20)}, by the kernel's placement of the sandbox's
     * helper: 21 when it sits in the sandbox's groups (a spare placed ahead of time: it counts), 20 when it
     * stays outside (pure v2, a start without a spare: the sandbox was created there with CLONE_INTO_CGROUP).
     */
    private static String pidsMaxFor20(SandboxedProcess p) throws IOException {
        long helper = Kernel.parentOf(p.initPid());
        boolean inside = Kernel.read("/proc/" + helper + "/cgroup").equals(Kernel.read("/proc/" + p.initPid() + "/cgroup"));
        return inside ? "21" : "20";
    }

    /** The v2 leaf {@code pid} is in, which must be a sandbox's own: {@code sandbox/jvm-<pid>-<start>/<n>/sandbox}. */
    private static Path leafOf(Path unified, long pid) throws IOException {
        String own = Kernel.read("/proc/" + pid + "/cgroup").lines().filter(l -> l.startsWith("0::")).findFirst().orElseThrow();
        assertThat(own).matches("0::/sandbox/jvm-\\d+-\\d+/\\d+/sandbox");
        return unified.resolve(own.substring(4));
    }

    /**
     * Every directory of this JVM under the library's prefix in every hierarchy, deepest included
     * (other JVMs, such as another build's tests, may make groups there meanwhile).
     */
    static List<Path> libraryGroups() throws IOException {
        String marker = dev.sandbox.cgroups.Cgroups.jvmMarker();
        return allLibraryGroups().stream().filter(g -> g.toString().contains("/" + marker + "/")).toList();
    }

    /** Every directory under the library's prefix in every hierarchy, below the JVM markers, of any JVM. */
    static List<Path> allLibraryGroups() throws IOException {
        CgroupHost host = CgroupHost.detect();
        List<Path> roots = new java.util.ArrayList<>();
        host.v1Mounts().values().forEach(m -> roots.add(m.resolve("sandbox")));
        host.unifiedMount().ifPresent(u -> roots.add(u.resolve("sandbox")));
        List<Path> out = new java.util.ArrayList<>();
        for (Path r : roots) {
            for (int attempt = 0; Files.isDirectory(r); attempt++) {
                List<Path> found = new java.util.ArrayList<>();
                try (Stream<Path> w = Files.walk(r)) {
                    w.filter(Files::isDirectory).filter(d -> d.getNameCount() > r.getNameCount() + 1).forEach(found::add);
                    out.addAll(found);
                    break;
                } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException removedWhileListed) {
                    if (attempt > 20) {
                        throw removedWhileListed;
                    }
                }
            }
        }
        return out;
    }

    @Test
    void aLimitThatCannotBeAppliedFailsTheStartWithWhatToDo() {
        CgroupHost host = CgroupHost.detect();
        HostRequirement.require(host.v1Mounts().containsKey("blkio") || host.v2Controllers().contains("io"),
                "needs the blkio (v1) or io (v2) cgroup controller");
        // ioMax on a device that does not exist is refused by the kernel: the start fails, nothing runs.
        assertThatThrownBy(() -> Sandbox.builder().ioMax("250:250", 1_000_000, 0, 0, 0).build().start("true"))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("ioMax");
    }
}
