package dev.sandbox.cgroups;

import dev.sandbox.base.Checks;
import dev.sandbox.cgroups.internal.SharedDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * File formats and layout decisions, against a directory tree laid out like cgroupfs (see
 * {@link FakeCgroupFs}): what gets written where, which directories are made, what is left.
 */
@DisplayName("Cgroups on a prepared directory tree")
class PreparedTreeTest {

    static final long SELF = ProcessHandle.current().pid();
    static final String MARKER = Cgroups.jvmMarker();
    static final Limits ALL_V1 = Limits.builder().memoryMax(64L << 20).cpus(0.5).cpuWeight(100).cpuset("1")
            .pidsMax(20).ioMax("8:0", 1 << 20, 2 << 20, 0, 300).build();

    @TempDir
    Path tmp;

    @AfterEach
    void removeLingeringMarkerDirs() {
        SharedDir.removeIdle();
    }

    static String v1Mountinfo(Map<Path, Set<String>> mounts) {
        StringBuilder sb = new StringBuilder("31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n");
        int id = 32;
        for (Map.Entry<Path, Set<String>> m : mounts.entrySet()) {
            sb.append(id).append(" 31 0:").append(id).append(" / ").append(m.getKey())
                    .append(" rw,relatime - cgroup cgroup rw,").append(String.join(",", m.getValue())).append('\n');
            id++;
        }
        return sb.toString();
    }

    static String v2Mountinfo(Path mount) {
        return "41 31 0:38 / " + mount + " rw,relatime - cgroup2 cgroup2 rw\n";
    }

    @Nested
    @DisplayName("cgroup v1")
    class V1 {

        Map<Path, Set<String>> mounts = new LinkedHashMap<>();
        FakeCgroupFs fs;
        Cgroups cgroups;

        @BeforeEach
        void layOut() throws IOException {
            layOut(true);
        }

        void layOut(boolean swapAccounting) throws IOException {
            mounts.clear();
            for (String c : List.of("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids")) {
                mounts.put(tmp.resolve(c), Set.of(c));
            }
            fs = new FakeCgroupFs(null, mounts, swapAccounting);
            for (Path m : mounts.keySet()) {
                fs.v1Root(m);
            }
            cgroups = Cgroups.at(CgroupHost.parse(v1Mountinfo(mounts), "", Set.of()), "sandbox", fs);
        }

        Path group(String controller, Cgroup g) {
            return tmp.resolve(controller).resolve(g.name());
        }

        @Test
        void writesEachLimitToItsV1FileAndReadsItBack() throws Exception {
            try (Cgroup g = cgroups.create(ALL_V1)) {
                assertThat(g.name()).isEqualTo("sandbox/" + MARKER + "/" + g.name().substring(g.name().lastIndexOf('/') + 1));
                assertThat(fs.lastWrite(group("memory", g).resolve("memory.limit_in_bytes"))).isEqualTo("67108864");
                assertThat(fs.lastWrite(group("memory", g).resolve("memory.memsw.limit_in_bytes")))
                        .as("swap off by default: memsw = limit").isEqualTo("67108864");
                assertThat(fs.lastWrite(group("cpu", g).resolve("cpu.cfs_period_us"))).isEqualTo("100000");
                assertThat(fs.lastWrite(group("cpu", g).resolve("cpu.cfs_quota_us"))).isEqualTo("50000");
                assertThat(fs.lastWrite(group("cpu", g).resolve("cpu.shares"))).isEqualTo("2597");
                assertThat(fs.lastWrite(group("cpuset", g).resolve("cpuset.cpus"))).isEqualTo("1");
                assertThat(fs.lastWrite(group("cpuset", g).resolve("cpuset.mems"))).as("copied from the parent").isEqualTo("0");
                assertThat(fs.lastWrite(group("pids", g).resolve("pids.max"))).isEqualTo("20");
                assertThat(Files.readString(group("blkio", g).resolve("blkio.throttle.read_bps_device"))).isEqualTo("8:0 1048576\n");
                assertThat(Files.readString(group("blkio", g).resolve("blkio.throttle.write_bps_device"))).isEqualTo("8:0 2097152\n");
                assertThat(Files.readString(group("blkio", g).resolve("blkio.throttle.read_iops_device")))
                        .as("0 = unlimited: no line").isEmpty();
                assertThat(Files.readString(group("blkio", g).resolve("blkio.throttle.write_iops_device"))).isEqualTo("8:0 300\n");
                assertThat(g.notes()).isEmpty();
                assertThat(g.unifiedDirectory()).isEmpty();
            }
        }

        @Test
        @DisplayName("the cpuset prefix and JVM directories take the parent's cpus and mems (v1 admits no process otherwise)")
        void cpusetIntermediatesInheritFromTheParent() throws Exception {
            try (Cgroup g = cgroups.create(Limits.builder().cpuset("1").build())) {
                Path jvm = group("cpuset", g).getParent();
                assertThat(Files.readString(jvm.getParent().resolve("cpuset.cpus")).trim()).isEqualTo("0-3");
                assertThat(Files.readString(jvm.getParent().resolve("cpuset.mems")).trim()).isEqualTo("0");
                assertThat(Files.readString(jvm.resolve("cpuset.cpus")).trim()).isEqualTo("0-3");
                assertThat(Files.readString(jvm.resolve("cpuset.mems")).trim()).isEqualTo("0");
            }
        }

        @Test
        @DisplayName("joins the hierarchies the limits need plus memory, cpuacct, pids and freezer; nothing else")
        void joinsNeededAndMeasuringHierarchies() throws Exception {
            try (Cgroup g = cgroups.create(Limits.builder().cpus(1).build())) {
                assertThat(g.directories()).containsExactly(group("memory", g), group("cpu", g), group("cpuacct", g),
                        group("pids", g), group("freezer", g));
                assertThat(g.procsFiles()).containsExactly(group("memory", g).resolve("cgroup.procs"),
                        group("cpu", g).resolve("cgroup.procs"), group("cpuacct", g).resolve("cgroup.procs"),
                        group("pids", g).resolve("cgroup.procs"), group("freezer", g).resolve("cgroup.procs"));
                for (String untouched : List.of("cpuset", "blkio", "devices")) {
                    assertThat(tmp.resolve(untouched).resolve("sandbox")).doesNotExist();
                }
            }
        }

        @Test
        void withMeasuringNothingJoinsOnlyWhatLimitsNeed() throws Exception {
            try (Cgroup g = cgroups.withMeasuring(Set.of()).create(Limits.builder().pidsMax(5).build())) {
                assertThat(g.directories()).containsExactly(group("pids", g));
            }
            assertThatThrownBy(() -> cgroups.withMeasuring(Set.of("cpu")))
                    .hasMessage("withMeasuring: got \"[cpu]\"; allowed: a subset of [cpuacct, freezer, memory, pids]");
        }

        @Test
        void noSwapAccountingIsANoteNotAFailure() throws Exception {
            layOut(false);
            try (Cgroup g = cgroups.create(Limits.builder().memoryMax(1 << 20).build())) {
                assertThat(fs.lastWrite(group("memory", g).resolve("memory.limit_in_bytes"))).isEqualTo("1048576");
                assertThat(g.notes()).singleElement().asString().contains("swap is not limited")
                        .contains("memory.memsw.limit_in_bytes");
            }
        }

        @Test
        void memoryHighIsRefusedOnV1BeforeAnythingIsMade() {
            assertThatThrownBy(() -> cgroups.create(Limits.builder().memoryHigh(1 << 20).build()))
                    .isInstanceOf(CgroupException.class)
                    .hasMessageStartingWith("memoryHigh: cgroup v1 has no memory.high")
                    .satisfies(e -> assertThat(((CgroupException) e).setting()).isEqualTo("memoryHigh"));
            assertThat(tmp.resolve("memory/sandbox")).doesNotExist();
        }

        @Test
        void aLimitWhoseControllerIsNotMountedFailsClosed() throws Exception {
            mounts.remove(tmp.resolve("blkio"));
            cgroups = Cgroups.at(CgroupHost.parse(v1Mountinfo(mounts), "", Set.of()), "sandbox", fs);
            assertThatThrownBy(() -> cgroups.create(ALL_V1)).isInstanceOf(CgroupException.class)
                    .hasMessageStartingWith("ioMax: no cgroup v1 hierarchy of the blkio controller is mounted");
            assertThat(Kernel.dirsBelow(tmp.resolve("memory/sandbox"))).isEmpty();
        }

        @Test
        @DisplayName("a value the kernel reads back differently fails closed, naming limit and file, and nothing is left")
        void readBackMismatchFailsClosed() throws Exception {
            fs.readOverrides.put("pids.max", "max\n");
            assertThatThrownBy(() -> cgroups.create(ALL_V1)).isInstanceOf(CgroupException.class)
                    .hasMessageMatching("pidsMax: wrote '20' to .*/pids/sandbox/jvm-[0-9]+-[0-9]+/[0-9]+/pids.max"
                            + " but read back 'max'; the kernel did not apply the limit as asked");
            SharedDir.removeIdle();
            for (Path m : mounts.keySet()) {
                assertThat(Kernel.dirsBelow(m.resolve("sandbox"))).as(m.toString()).isEmpty();
            }
        }

        @Test
        @DisplayName("a hierarchy a limit needs that is not writable fails create with errno and what to do")
        void notDelegatedRequiredHierarchy() throws Exception {
            fs.denyMkdir = p -> p.getFileName().toString().equals(MARKER);
            assertThatThrownBy(() -> cgroups.create(Limits.builder().memoryMax(1 << 20).build()))
                    .isInstanceOf(CgroupException.class)
                    .hasMessageStartingWith("memoryMax: cannot create " + tmp.resolve("memory/sandbox/" + MARKER)
                            + ": EACCES (Permission denied); ")
                    .satisfies(e -> assertThat(((CgroupException) e).errno()).hasValue("EACCES"))
                    .satisfies(e -> assertThat(((CgroupException) e).path()).hasValue(tmp.resolve("memory/sandbox/" + MARKER)));
            // with no limit and nothing writable, create fails rather than return a group that holds nothing
            assertThatThrownBy(() -> cgroups.create(Limits.none()))
                    .hasMessageStartingWith("create: no cgroup v1 hierarchy is usable; create: cannot create");
            for (Path m : mounts.keySet()) {
                assertThat(Kernel.dirsBelow(m.resolve("sandbox"))).isEmpty();
            }
        }

        @Test
        @DisplayName("a hierarchy used only to measure that is not writable is left out, with a note")
        void notDelegatedMeasuringHierarchyIsSkipped() throws Exception {
            fs.denyMkdir = p -> p.startsWith(tmp.resolve("freezer"));
            try (Cgroup g = cgroups.create(Limits.builder().pidsMax(3).build())) {
                assertThat(g.directories()).extracting(p -> tmp.relativize(p).getName(0).toString())
                        .containsExactly("memory", "cpuacct", "pids");
                assertThat(g.notes()).singleElement().asString().startsWith("not measured by [freezer]: create: cannot create "
                        + tmp.resolve("freezer/sandbox") + ": EACCES (Permission denied)");
                assertThatThrownBy(g::freeze).isInstanceOf(CgroupException.class).hasMessageContaining("cannot be frozen");
            }
        }

        @Test
        @DisplayName("cpuAccounting makes cpuacct a requirement: its usage file, or a refusal naming file and errno")
        void cpuAccountingRequiresCpuacct() throws Exception {
            Limits accounting = Limits.builder().cpuAccounting().build();
            try (Cgroup g = cgroups.create(accounting)) {
                assertThat(g.cpuUsageFile()).hasValue(tmp.resolve("cpuacct").resolve(g.name()).resolve("cpuacct.usage"));
            }
            fs.denyMkdir = p -> p.startsWith(tmp.resolve("cpuacct"));
            try (Cgroup g = cgroups.create(Limits.none())) {
                assertThat(g.cpuUsageFile()).as("measuring only: left out, so no usage file").isEmpty();
            }
            assertThatThrownBy(() -> cgroups.create(accounting)).isInstanceOf(CgroupException.class)
                    .hasMessageStartingWith("cpuAccounting: cannot create " + tmp.resolve("cpuacct/sandbox/" + MARKER))
                    .hasMessageContaining(": EACCES (Permission denied); ")
                    .satisfies(e -> assertThat(((CgroupException) e).errno()).hasValue("EACCES"));
            mounts.remove(tmp.resolve("cpuacct"));
            cgroups = Cgroups.at(CgroupHost.parse(v1Mountinfo(mounts), "", Set.of()), "sandbox", fs);
            assertThatThrownBy(() -> cgroups.create(accounting))
                    .hasMessageStartingWith("cpuAccounting: no cgroup v1 hierarchy of the cpuacct controller is mounted");
        }

        @Test
        void addProcessWritesThePidIntoEveryProcsFileAndPidsDeduplicates() throws Exception {
            try (Cgroup g = cgroups.create(Limits.builder().cpus(1).build())) {
                g.addProcess(4242);
                for (Path f : g.procsFiles()) {
                    assertThat(Files.readString(f)).isEqualTo("4242\n");
                }
                assertThat(g.pids()).containsExactly(4242L);
                assertThatThrownBy(() -> g.addProcess(0)).hasMessage("addProcess: got 0; allowed: a pid > 0");
                // the fake cannot run processes: take it out again so close() finds the group empty
                for (Path f : g.procsFiles()) {
                    Files.writeString(f, "");
                }
            }
        }

        @Test
        @DisplayName("close() removes the group at once and the idle JVM directory after it lingered")
        void closeRemovesEverything() throws Exception {
            Cgroup g = cgroups.create(ALL_V1);
            List<Path> dirs = g.directories();
            g.close();
            g.close(); // idempotent
            for (Path d : dirs) {
                assertThat(d).doesNotExist();
                assertThat(d.getParent()).as("lingers for the next group").exists();
            }
            assertThat(Kernel.await(() -> dirs.stream().noneMatch(d -> Files.exists(d.getParent())),
                    SharedDir.LINGER_MILLIS + 3000)).as("JVM directories removed once idle").isTrue();
            for (Path m : mounts.keySet()) {
                assertThat(Kernel.dirsBelow(m.resolve("sandbox"))).isEmpty();
            }
        }

        @Test
        void usageReadsV1FilesAndLeavesAbsentOnesEmpty() throws Exception {
            try (Cgroup g = cgroups.create(Limits.builder().cpus(1).build())) {
                Files.writeString(group("memory", g).resolve("memory.max_usage_in_bytes"), "123\n");
                Files.writeString(group("cpuacct", g).resolve("cpuacct.usage_user"), "5000\n");
                Files.writeString(group("cpuacct", g).resolve("cpuacct.usage_sys"), "7000\n");
                Files.writeString(group("cpu", g).resolve("cpu.stat"), "nr_periods 3\nnr_throttled 2\nthrottled_time 99\n");
                Files.writeString(group("memory", g).resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
                Usage u = g.usage();
                assertThat(u.memoryPeak()).hasValue(123);
                assertThat(u.cpuUser()).hasValue(java.time.Duration.ofNanos(5000));
                assertThat(u.cpuSystem()).hasValue(java.time.Duration.ofNanos(7000));
                assertThat(u.cpuThrottled()).hasValue(java.time.Duration.ofNanos(99));
                assertThat(u.oomKills()).hasValue(2);
                assertThat(g.oomKilled()).isTrue();
                assertThat(u.pidsPeak()).as("no pids.peak file: empty, not 0").isEmpty();
            }
        }

        @Test
        void usageFallsBackToUserHzTicks() throws Exception {
            try (Cgroup g = cgroups.create(Limits.none())) {
                Files.delete(group("cpuacct", g).resolve("cpuacct.usage_user"));
                Files.writeString(group("cpuacct", g).resolve("cpuacct.stat"), "user 7\nsystem 3\n");
                Usage u = g.usage();
                assertThat(u.cpuUser()).hasValue(java.time.Duration.ofMillis(70));
                assertThat(u.cpuSystem()).hasValue(java.time.Duration.ofMillis(30));
                assertThat(u.cpuThrottled()).as("not in a cpu hierarchy").isEmpty();
            }
        }

        @Nested
        @DisplayName("with a leaf for the processes")
        class Leaf {

            Path leaf(String controller, Cgroup g) {
                return group(controller, g).resolve("sandbox");
            }

            @Test
            @DisplayName("limits stay in the group; the leaf below each of its directories takes the processes")
            void limitsInTheGroupProcessesInTheLeaf() throws Exception {
                try (Cgroup g = cgroups.create(Limits.builder().memoryMax(64L << 20).cpus(0.5).pidsMax(20).build(), "sandbox")) {
                    assertThat(g.directories()).containsExactly(group("memory", g), group("cpu", g), group("cpuacct", g),
                            group("pids", g), group("freezer", g));
                    assertThat(g.leafDirectories()).containsExactly(leaf("memory", g), leaf("cpu", g), leaf("cpuacct", g),
                            leaf("pids", g), leaf("freezer", g));
                    assertThat(g.procsFiles()).containsExactlyElementsOf(
                            g.leafDirectories().stream().map(d -> d.resolve("cgroup.procs")).toList());
                    assertThat(fs.lastWrite(group("memory", g).resolve("memory.limit_in_bytes"))).isEqualTo("67108864");
                    assertThat(fs.lastWrite(group("pids", g).resolve("pids.max"))).isEqualTo("20");
                    assertThat(fs.lastWrite(group("cpu", g).resolve("cpu.cfs_quota_us"))).isEqualTo("50000");
                    assertThat(fs.writes()).as("nothing is written into a leaf")
                            .noneMatch(w -> g.leafDirectories().contains(w.file().getParent()));
                    assertThat(g.unifiedDirectory()).isEmpty();

                    g.addProcess(4242);
                    for (Path d : g.leafDirectories()) {
                        assertThat(Files.readString(d.resolve("cgroup.procs"))).isEqualTo("4242\n");
                    }
                    for (Path d : g.directories()) {
                        assertThat(Files.readString(d.resolve("cgroup.procs"))).isEmpty();
                    }
                    assertThat(g.pids()).containsExactly(4242L);
                    for (Path f : g.procsFiles()) {
                        Files.writeString(f, ""); // the fake cannot run processes
                    }
                }
            }

            @Test
            @DisplayName("a cpuset leaf takes the group's CPUs and nodes; a blkio leaf its throttles (v1 does not pass them down)")
            void cpusetAndBlkioLeavesRepeatWhatV1DoesNotInherit() throws Exception {
                try (Cgroup g = cgroups.create(ALL_V1, "sandbox")) {
                    assertThat(fs.lastWrite(leaf("cpuset", g).resolve("cpuset.cpus"))).isEqualTo("1");
                    assertThat(fs.lastWrite(leaf("cpuset", g).resolve("cpuset.mems"))).isEqualTo("0");
                    for (Path d : List.of(group("blkio", g), leaf("blkio", g))) {
                        assertThat(Files.readString(d.resolve("blkio.throttle.read_bps_device"))).isEqualTo("8:0 1048576\n");
                        assertThat(Files.readString(d.resolve("blkio.throttle.write_bps_device"))).isEqualTo("8:0 2097152\n");
                        assertThat(Files.readString(d.resolve("blkio.throttle.write_iops_device"))).isEqualTo("8:0 300\n");
                    }
                    assertThat(fs.writes()).as("memory, cpu and pids limits hold the leaf from the group")
                            .noneMatch(w -> w.file().startsWith(leaf("memory", g)) || w.file().startsWith(leaf("cpu", g))
                                    || w.file().startsWith(leaf("pids", g)));
                }
            }

            @Test
            @DisplayName("memory.use_hierarchy 0 (before Linux 5.11) is set to 1 in the group before the leaf is made")
            void memoryAccountingIsMadeHierarchicalFirst() throws Exception {
                fs.mkdir(tmp.resolve("memory/sandbox"));
                Files.writeString(tmp.resolve("memory/sandbox/memory.use_hierarchy"), "0\n");
                try (Cgroup g = cgroups.create(Limits.builder().memoryMax(1 << 20).build(), "sandbox")) {
                    assertThat(Files.readString(group("memory", g).resolve("memory.use_hierarchy")).trim()).isEqualTo("1");
                    assertThat(Files.readString(leaf("memory", g).resolve("memory.use_hierarchy")).trim()).isEqualTo("1");
                }
                fs.readOverrides.put("memory.use_hierarchy", "0\n"); // a kernel that refuses
                assertThatThrownBy(() -> cgroups.create(Limits.builder().memoryMax(1 << 20).build(), "sandbox"))
                        .isInstanceOf(CgroupException.class)
                        .hasMessageMatching("memoryMax: wrote '1' to .*/memory.use_hierarchy but read back '0'.*");
                SharedDir.removeIdle();
                for (Path m : mounts.keySet()) {
                    assertThat(Kernel.dirsBelow(m.resolve("sandbox"))).as(m.toString()).isEmpty();
                }
            }

            @Test
            @DisplayName("OOM kills are counted where the victim was: the group's and the leaf's counts add up")
            void oomKillsOfTheLeafCount() throws Exception {
                try (Cgroup g = cgroups.create(Limits.builder().memoryMax(1 << 20).build(), "sandbox")) {
                    assertThat(g.oomKilled()).isFalse();
                    assertThat(g.usage().oomKills()).hasValue(0);
                    Files.writeString(leaf("memory", g).resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
                    Files.writeString(group("memory", g).resolve("memory.max_usage_in_bytes"), "777\n");
                    assertThat(g.oomKilled()).isTrue();
                    assertThat(g.usage().oomKills()).hasValue(1);
                    assertThat(g.usage().memoryPeak()).as("read from the group").hasValue(777);
                }
            }

            @Test
            @DisplayName("close() removes the leaves, then the groups; a failed leaf leaves nothing behind")
            void closeAndRollBackRemoveLeavesFirst() throws Exception {
                Cgroup g = cgroups.create(ALL_V1, "sandbox");
                List<Path> all = new java.util.ArrayList<>(g.leafDirectories());
                all.addAll(g.directories());
                g.close();
                assertThat(all).allSatisfy(d -> assertThat(d).doesNotExist());

                fs.denyMkdir = p -> p.getFileName().toString().equals("sandbox") && p.getParent().getFileName().toString()
                        .matches("[0-9]+") && p.startsWith(tmp.resolve("pids"));
                assertThatThrownBy(() -> cgroups.create(ALL_V1, "sandbox")).isInstanceOf(CgroupException.class)
                        .hasMessageMatching("memoryMax: cannot create .*/pids/sandbox/jvm-[0-9]+-[0-9]+/[0-9]+/sandbox: EACCES.*");
                SharedDir.removeIdle();
                for (Path m : mounts.keySet()) {
                    assertThat(Kernel.dirsBelow(m.resolve("sandbox"))).as(m.toString()).isEmpty();
                }
            }

            @Test
            void aLeafNameIsOneDirectoryName() {
                for (String bad : List.of("", ".", "..", "a/b", "/x")) {
                    assertThatThrownBy(() -> cgroups.create(Limits.none(), bad))
                            .isInstanceOf(IllegalArgumentException.class)
                            .hasMessage("leaf: got " + Checks.quote(bad) + "; allowed: one directory name such as sandbox");
                }
            }
        }
    }

    @Nested
    @DisplayName("cgroup v2")
    class V2 {

        Path mount;
        FakeCgroupFs fs;

        @BeforeEach
        void layOut() throws IOException {
            mount = tmp.resolve("unified");
            FakeCgroupFs.v2Root(mount, "cpuset cpu io memory pids");
            fs = new FakeCgroupFs(mount, Map.of(), true);
        }

        Cgroups at(String own, String prefix) {
            return Cgroups.at(CgroupHost.parse(v2Mountinfo(mount), "0::" + own + "\n", Set.of()), prefix, fs);
        }

        @Test
        void writesEachLimitToItsV2File() throws Exception {
            Limits limits = Limits.builder().memoryMax(64L << 20).memoryHigh(32L << 20).cpus(1.5).cpuWeight(300)
                    .cpuset("0-1").pidsMax(20).ioMax("8:0", 1 << 20, 0, 0, 300).build();
            try (Cgroup g = at("/", "sandbox").create(limits)) {
                Path dir = mount.resolve(g.name());
                assertThat(g.unifiedDirectory()).contains(dir);
                assertThat(g.procsFiles()).containsExactly(dir.resolve("cgroup.procs"));
                assertThat(fs.lastWrite(dir.resolve("memory.max"))).isEqualTo("67108864");
                assertThat(fs.lastWrite(dir.resolve("memory.swap.max"))).isEqualTo("0");
                assertThat(fs.lastWrite(dir.resolve("memory.high"))).isEqualTo("33554432");
                assertThat(fs.lastWrite(dir.resolve("cpu.max"))).isEqualTo("150000 100000");
                assertThat(fs.lastWrite(dir.resolve("cpu.weight"))).isEqualTo("300");
                assertThat(fs.lastWrite(dir.resolve("cpuset.cpus"))).isEqualTo("0-1");
                assertThat(fs.lastWrite(dir.resolve("io.max"))).isEqualTo("8:0 rbps=1048576 wbps=max riops=max wiops=300");
                assertThat(fs.lastWrite(dir.resolve("pids.max"))).isEqualTo("20");
            }
        }

        @Test
        @DisplayName("counts CPU time in every group: cpu.stat is the usage file, cpuAccounting enables no controller")
        void cpuUsageFileIsCpuStat() throws Exception {
            try (Cgroup g = at("/", "sandbox").create(Limits.builder().cpuAccounting().build())) {
                assertThat(g.cpuUsageFile()).hasValue(mount.resolve(g.name()).resolve("cpu.stat"));
                assertThat(fs.writes()).noneMatch(w -> w.file().endsWith("cgroup.subtree_control") && w.value().contains("cpu"));
            }
        }

        @Test
        @DisplayName("enables controllers in the library's own directories only, never in a parent it does not own")
        void enablesControllersOnlyInOwnDirectories() throws Exception {
            try (Cgroup g = at("/", "sandbox").create(Limits.builder().cpus(1).build())) {
                Path jvm = mount.resolve(g.name()).getParent();
                assertThat(fs.writes()).noneMatch(w -> w.file().equals(mount.resolve("cgroup.subtree_control")));
                assertThat(fs.lastWrite(mount.resolve("sandbox/cgroup.subtree_control"))).isEqualTo("+memory +cpu +pids");
                assertThat(fs.lastWrite(jvm.resolve("cgroup.subtree_control"))).isEqualTo("+memory +cpu +pids");
                assertThat(Files.readString(mount.resolve(g.name()).resolve("cgroup.controllers")).trim())
                        .isEqualTo("memory cpu pids");
            }
        }

        @Test
        void aControllerTheParentDoesNotPassDownFailsClosedWithWhatToDo() throws Exception {
            Files.writeString(mount.resolve("cgroup.subtree_control"), "memory pids\n");
            assertThatThrownBy(() -> at("/", "sandbox").create(Limits.builder().cpus(1).build()))
                    .isInstanceOf(CgroupException.class)
                    .hasMessage("cpus: the cpu controller is not enabled for the children of " + mount
                            + " (cgroup.subtree_control: 'memory pids'); enable it there (echo +cpu > "
                            + mount.resolve("cgroup.subtree_control") + "), or use a prefix below a delegated group");
            assertThat(mount.resolve("sandbox")).doesNotExist();
        }

        @Test
        void aControllerTheHierarchyDoesNotHaveFailsClosed() throws Exception {
            FakeCgroupFs.v2Root(mount, "");
            assertThatThrownBy(() -> at("/", "sandbox").create(Limits.builder().memoryMax(1 << 20).build()))
                    .hasMessage("memoryMax: the memory controller is not available in " + mount
                            + " (cgroup.controllers: ''); this unified hierarchy holds no memory controller (on a hybrid"
                            + " host it belongs to a v1 hierarchy: use Cgroups.detect(), which picks v1 there)");
            // and without limits, a controller-less hierarchy works (freeze, kill and cpu.stat need none)
            try (Cgroup g = at("/", "sandbox").create(Limits.none())) {
                assertThat(Files.readString(mount.resolve(g.name()).resolve("cgroup.controllers")).isBlank()).isTrue();
                assertThat(fs.writes()).noneMatch(w -> w.file().getFileName().toString().equals("cgroup.subtree_control"));
            }
        }

        @Nested
        @DisplayName("in the caller's own delegated group")
        class Delegated {

            Path own;

            @BeforeEach
            void delegate() throws IOException {
                fs.mkdir(mount.resolve("user.slice"));
                fs.write(mount.resolve("user.slice/cgroup.subtree_control"), "+memory +pids +cpu");
                own = mount.resolve("user.slice/app.scope");
                fs.mkdir(own);
                fs.write(own.resolve("cgroup.procs"), Long.toString(SELF));
            }

            @Test
            @DisplayName("moves this JVM into <own>/jvm, then enables the controllers there")
            void movesTheJvmIntoALeafFirst() throws Exception {
                try (Cgroup g = at("/user.slice/app.scope", "user.slice/app.scope/sandbox")
                        .create(Limits.builder().memoryMax(1 << 20).build())) {
                    assertThat(Files.readString(own.resolve("jvm/cgroup.procs"))).isEqualTo(SELF + "\n");
                    assertThat(Files.readString(own.resolve("cgroup.procs"))).isEmpty();
                    assertThat(fs.lastWrite(own.resolve("cgroup.subtree_control")))
                            .as("the needed controller, and the measuring ones it offers").isEqualTo("+memory +pids");
                    assertThat(mount.resolve(g.name())).isEqualTo(own.resolve("sandbox/" + MARKER).resolve(
                            mount.resolve(g.name()).getFileName()));
                    assertThat(fs.lastWrite(mount.resolve(g.name()).resolve("memory.max"))).isEqualTo("1048576");
                    // the move happened before the enable: order of writes
                    List<Path> order = fs.writes().stream().map(FakeCgroupFs.Write::file).toList();
                    assertThat(order.indexOf(own.resolve("jvm/cgroup.procs")))
                            .isLessThan(order.indexOf(own.resolve("cgroup.subtree_control")));
                }
            }

            @Test
            @DisplayName("a process this JVM started (a pooled helper, say) moves into <own>/jvm along with it")
            void theJvmsChildrenMoveAlong() throws Exception {
                Process child = new ProcessBuilder("sleep", "30").start();
                try {
                    Files.writeString(own.resolve("cgroup.procs"), SELF + "\n" + child.pid() + "\n");
                    try (Cgroup g = at("/user.slice/app.scope", "user.slice/app.scope/sandbox")
                            .create(Limits.builder().memoryMax(1 << 20).build())) {
                        assertThat(Files.readString(own.resolve("jvm/cgroup.procs")).lines().map(Long::parseLong))
                                .containsExactlyInAnyOrder(SELF, child.pid());
                        assertThat(Files.readString(own.resolve("cgroup.procs"))).isEmpty();
                    }
                } finally {
                    child.destroyForcibly();
                    child.waitFor();
                }
            }

            @Test
            @DisplayName("a JVM already in <own>/jvm (an earlier factory moved it) still counts <own> as its own group")
            void aJvmInItsLeafStillOwnsTheGroup() throws Exception {
                Files.createDirectories(own.resolve("jvm"));
                Files.writeString(own.resolve("jvm/cgroup.procs"), SELF + "\n");
                Files.writeString(own.resolve("cgroup.procs"), "");
                try (Cgroup g = at("/user.slice/app.scope/jvm", "user.slice/app.scope/sandbox")
                        .create(Limits.builder().memoryMax(1 << 20).build())) {
                    assertThat(fs.lastWrite(own.resolve("cgroup.subtree_control"))).isEqualTo("+memory +pids");
                    assertThat(fs.lastWrite(mount.resolve(g.name()).resolve("memory.max"))).isEqualTo("1048576");
                }
            }

            @Test
            void otherProcessesInTheOwnGroupAreNamed() throws Exception {
                Files.writeString(own.resolve("cgroup.procs"), SELF + "\n4242\n");
                assertThatThrownBy(() -> at("/user.slice/app.scope", "user.slice/app.scope/sandbox")
                        .create(Limits.builder().memoryMax(1 << 20).build()))
                        .isInstanceOf(CgroupException.class)
                        .hasMessageStartingWith("memoryMax: cannot write '+memory +pids' to " + own.resolve("cgroup.subtree_control")
                                + ": EBUSY (Device or resource busy)")
                        .hasMessageEndingWith("; processes other than this JVM and its children live in " + own
                                + " (pids [4242]): move them into a child group, or use a prefix below a group without processes");
                assertThat(own.resolve("sandbox")).doesNotExist();
            }

            @Test
            void aControllerNotDelegatedIsNamed() throws Exception {
                assertThatThrownBy(() -> at("/user.slice/app.scope", "user.slice/app.scope/sandbox")
                        .create(Limits.builder().cpuset("0").build()))
                        .hasMessage("cpuset: the cpuset controller is not available in " + own
                                + " (cgroup.controllers: 'memory pids cpu'); ask for it to be delegated (systemd: Delegate=yes, or Delegate=cpuset)");
                assertThat(Files.readString(own.resolve("cgroup.procs"))).as("nothing moved").isEqualTo(SELF + "\n");
            }

            @Test
            void noControllerNeededMeansNoMove() throws Exception {
                try (Cgroup g = at("/user.slice/app.scope", "user.slice/app.scope/sandbox")
                        .withMeasuring(Set.of()).create(Limits.none())) {
                    assertThat(own.resolve("jvm")).doesNotExist();
                    assertThat(g.directories()).singleElement().satisfies(d -> assertThat(d).startsWith(own.resolve("sandbox")));
                }
            }
        }

        @Test
        void noSwapAccountingIsANote() throws Exception {
            fs = new FakeCgroupFs(mount, Map.of(), false);
            try (Cgroup g = at("/", "sandbox").create(Limits.builder().memoryMax(1 << 20).build())) {
                assertThat(g.notes()).singleElement().asString().contains("no memory.swap.max");
            }
        }

        @Test
        void usageReadsV2Files() throws Exception {
            try (Cgroup g = at("/", "sandbox").withMeasuring(Set.of()).create(Limits.none())) {
                Path dir = mount.resolve(g.name());
                Files.writeString(dir.resolve("cpu.stat"), "usage_usec 30\nuser_usec 20\nsystem_usec 10\n");
                Usage u = g.usage();
                assertThat(u.cpuTotal()).hasValue(java.time.Duration.ofNanos(30_000));
                assertThat(u.cpuUser()).hasValue(java.time.Duration.ofNanos(20_000));
                assertThat(u.cpuThrottled()).as("needs the cpu controller").isEmpty();
                assertThat(u.memoryPeak()).as("no memory controller").isEmpty();
                assertThat(u.oomKills()).isEmpty();
                assertThat(g.oomKilled()).isFalse();
            }
        }

        @Test
        @DisplayName("with a leaf: limits in the group, processes in the leaf, and no controller passed down to it")
        void aLeafTakesTheProcessesAndNoControllers() throws Exception {
            Cgroup g = at("/", "sandbox").create(Limits.builder().memoryMax(64L << 20).pidsMax(20).build(), "sandbox");
            Path dir = mount.resolve(g.name());
            assertThat(g.directories()).containsExactly(dir);
            assertThat(g.leafDirectories()).containsExactly(dir.resolve("sandbox"));
            assertThat(g.unifiedDirectory()).contains(dir.resolve("sandbox"));
            assertThat(g.procsFiles()).containsExactly(dir.resolve("sandbox/cgroup.procs"));
            assertThat(fs.lastWrite(dir.resolve("memory.max"))).isEqualTo("67108864");
            assertThat(fs.lastWrite(dir.resolve("pids.max"))).isEqualTo("20");
            assertThat(fs.writes()).as("the group passes nothing down: v2 charges the leaf to the group's controllers")
                    .noneMatch(w -> w.file().equals(dir.resolve("cgroup.subtree_control")));
            assertThat(Files.readString(dir.resolve("sandbox/cgroup.controllers"))).isBlank();
            g.addProcess(4242);
            assertThat(Files.readString(dir.resolve("sandbox/cgroup.procs"))).isEqualTo("4242\n");
            assertThat(g.pids()).containsExactly(4242L);
            Files.writeString(dir.resolve("sandbox/cgroup.procs"), "");
            g.close();
            assertThat(dir).doesNotExist();
        }

    }

    @Nested
    @DisplayName("sweepStale")
    class Sweep {

        @Test
        @DisplayName("removes marker directories of JVMs that are gone, with their groups; touches nothing else")
        void removesOnlyStaleMarkers() throws Exception {
            Map<Path, Set<String>> mounts = new LinkedHashMap<>();
            mounts.put(tmp.resolve("memory"), Set.of("memory"));
            mounts.put(tmp.resolve("pids"), Set.of("pids"));
            FakeCgroupFs fs = new FakeCgroupFs(null, mounts, true);
            long start = Long.parseLong(MARKER.substring(MARKER.lastIndexOf('-') + 1));
            List<String> stale = List.of("jvm-4194305-1", "jvm-" + SELF + "-" + (start + 1));
            List<String> kept = List.of(MARKER, "jvm-abc", "other", "jvm-1-2-3", "jvm-" + SELF);
            for (Path m : mounts.keySet()) {
                fs.v1Root(m);
                fs.mkdir(m.resolve("sandbox"));
                for (String name : stale) {
                    fs.mkdir(m.resolve("sandbox").resolve(name));
                    fs.mkdir(m.resolve("sandbox").resolve(name).resolve("1"));
                    fs.mkdir(m.resolve("sandbox").resolve(name).resolve("1").resolve("nested"));
                }
                for (String name : kept) {
                    fs.mkdir(m.resolve("sandbox").resolve(name));
                }
            }
            Cgroups cgroups = Cgroups.at(CgroupHost.parse(v1Mountinfo(mounts), "", Set.of()), "sandbox", fs);
            List<Path> removed = cgroups.sweepStale();
            assertThat(removed).hasSize(2 * 2 * 3);
            for (Path m : mounts.keySet()) {
                try (var s = Files.list(m.resolve("sandbox"))) {
                    assertThat(s.filter(Files::isDirectory).map(p -> p.getFileName().toString()))
                            .containsExactlyInAnyOrderElementsOf(kept);
                }
                assertThat(removed).contains(m.resolve("sandbox/jvm-4194305-1/1/nested"), m.resolve("sandbox/jvm-4194305-1"));
                // deepest first
                assertThat(removed.indexOf(m.resolve("sandbox/jvm-4194305-1/1/nested")))
                        .isLessThan(removed.indexOf(m.resolve("sandbox/jvm-4194305-1/1")));
            }
            assertThat(cgroups.sweepStale()).isEmpty();
        }

        @Test
        void theFirstCreateSweepsOnce() throws Exception {
            Path mount = tmp.resolve("unified");
            FakeCgroupFs.v2Root(mount, "memory pids");
            FakeCgroupFs fs = new FakeCgroupFs(mount, Map.of(), true);
            fs.mkdir(mount.resolve("sandbox"));
            fs.mkdir(mount.resolve("sandbox/jvm-4194305-7"));
            Cgroups cgroups = Cgroups.at(CgroupHost.parse(v2Mountinfo(mount), "0::/\n", Set.of()), "sandbox", fs);
            cgroups.create(Limits.none()).close();
            assertThat(mount.resolve("sandbox/jvm-4194305-7")).doesNotExist();
            fs.mkdir(mount.resolve("sandbox/jvm-4194305-8"));
            cgroups.create(Limits.none()).close();
            assertThat(mount.resolve("sandbox/jvm-4194305-8")).as("only once per JVM").exists();
        }
    }
}
