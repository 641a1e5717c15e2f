package dev.sandbox.cgroups;

import dev.sandbox.testing.ForOthers;
import dev.sandbox.testing.HostRequirement;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An unprivileged caller (uid 65534, a child JVM started with setpriv) gets a clear error
 * without delegation, and working groups in a v1 subtree chowned to it.
 */
@DisplayName("Rootless: without delegation a clear error, with a chowned v1 subtree working groups (kernel test)")
class RootlessCgroupIT {

    static final int NOBODY = 65534;
    static final String PREFIX = "sandbox-rootless-test";
    static final List<String> DELEGATED = List.of("memory", "cpuacct", "pids", "freezer");

    static Path work;
    static String classpath;

    @BeforeAll
    static void prepare() throws Exception {
        HostRequirement.require(Kernel.isRoot(), "needs root, to drop to uid " + NOBODY + " and to chown a subtree");
        HostRequirement.require(Kernel.onPath("setpriv"), "needs setpriv (util-linux) to drop to uid " + NOBODY);
        CgroupHost host = CgroupHost.detect();
        HostRequirement.require(host.v1Mounts().keySet().containsAll(DELEGATED)
                        || (host.layout() == CgroupHost.Layout.V2 && host.v2Controllers().contains("memory")),
                "needs v1 hierarchies " + DELEGATED + " or a v2 host with the memory controller (this host: " + host + ")");
        work = Files.createTempDirectory("sandbox-cgroups-rootless");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path tmp = Files.createDirectory(work.resolve("tmp"));
        Files.setAttribute(tmp, "unix:uid", NOBODY);
        Files.setAttribute(tmp, "unix:gid", NOBODY);
        // the library (with sandbox-base and its jnr-ffi binding) and the tests' classes
        classpath = ForOthers.copy(ForOthers.classpath(), work.resolve("cp"));
    }

    @AfterAll
    static void removeWork() throws IOException {
        if (work != null) {
            ForOthers.deleteTree(work);
        }
    }

    @Test
    @DisplayName("no delegation: create(memoryMax) fails, naming the limit, the directory, EACCES and what to do")
    void undelegated() throws Exception {
        Process driver = driver("undelegated");
        try {
            List<String> out = lines(driver);
            assertThat(driver.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(driver.exitValue()).isZero();
            assertThat(out).singleElement().asString().startsWith("ERROR ");
            String message = decode(out.get(0).substring(6));
            // the fix for this host's kind of hierarchy, not the other's
            if (v2()) {
                assertThat(message).startsWith("memoryMax: cannot create " + unified().resolve(Cgroups.DEFAULT_PREFIX))
                        .contains(": EACCES (Permission denied); " + dev.sandbox.cgroups.internal.Failures.DELEGATE_V2)
                        .contains("systemd-run --user --scope -p Delegate=yes").doesNotContain("v1");
            } else {
                assertThat(message).startsWith("memoryMax: cannot create /sys/fs/cgroup/memory/sandbox")
                        .contains(": EACCES (Permission denied); " + dev.sandbox.cgroups.internal.Failures.DELEGATE_V1)
                        .doesNotContain("systemd");
            }
        } finally {
            killTree(driver);
        }
        // it left nothing: no directory owned by the unprivileged user under the default prefix
        List<Path> hierarchies = v2() ? List.of(unified())
                : DELEGATED.stream().map(c -> Kernel.CGROUP_ROOT.resolve(c)).toList();
        for (Path h : hierarchies) {
            for (Path d : Kernel.dirsBelow(h.resolve(Cgroups.DEFAULT_PREFIX))) {
                assertThat(Files.getAttribute(d, "unix:uid")).as(d.toString()).isNotEqualTo(NOBODY);
            }
        }
    }

    static boolean v2() {
        return CgroupHost.detect().layout() == CgroupHost.Layout.V2;
    }

    static Path unified() {
        return CgroupHost.detect().unifiedMount().orElseThrow();
    }

    @Test
    @DisplayName("delegated as this host's kind of hierarchy needs it (v2: as systemd's Delegate=yes does; v1: a chowned"
            + " directory per controller): the group is made there, limited and removed")
    void delegated() throws Exception {
        if (v2()) {
            delegatedV2Group();
        } else {
            delegatedV1Subtree();
        }
    }

    /** v2: Cgroups.detect() in the user's own delegated group makes, limits and removes its groups there. */
    private void delegatedV2Group() throws Exception {
        Path dir = unified().resolve(PREFIX);
        Process driver = null;
        try {
            // what systemd does for Delegate=yes: the directory and the files that let its owner
            // manage the subtree belong to the user, and the user's process starts inside it
            Files.createDirectory(dir);
            chown(dir);
            for (String f : List.of("cgroup.procs", "cgroup.subtree_control", "cgroup.threads")) {
                chown(dir.resolve(f));
            }
            driver = driverIn(dir, "undelegated"); // Cgroups.detect(): no prefix given
            BufferedReader r = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8));
            String[] f = groupReport(r);
            long child = Long.parseLong(f[1]);
            String name = f[2];
            assertThat(name).matches(PREFIX + "/" + Cgroups.DEFAULT_PREFIX + "/jvm-[0-9]+-[0-9]+/[0-9]+");
            // kernel truth: where the child is, what limit holds there, who owns the group, where the JVM went
            assertThat(Kernel.procCgroup(child).get("")).isEqualTo("/" + name);
            Path group = unified().resolve(name);
            assertThat(Kernel.readLong(group.resolve("memory.max"))).isEqualTo(64L << 20);
            assertThat(Files.getAttribute(group, "unix:uid")).as("made by the unprivileged user").isEqualTo(NOBODY);
            assertThat(Kernel.read("/proc/" + child + "/status")).containsPattern("Uid:\\s+" + NOBODY + "\\s");
            assertThat(Kernel.procCgroup(driver.pid()).get("")).as("the JVM moved itself into a leaf of its group, as v2"
                    + " allows no process in a group that passes controllers down").isEqualTo("/" + PREFIX + "/jvm");
            assertThat(Kernel.read(dir.resolve("cgroup.subtree_control")).trim().split(" ")).contains("memory");
            driver.getOutputStream().write('\n');
            driver.getOutputStream().flush();
            assertThat(r.readLine()).isEqualTo("CLOSED");
            assertThat(driver.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(driver.exitValue()).isZero();
            // only the JVM's own leaf stays (systemd removes it with the scope); the library's groups are gone
            assertThat(Kernel.dirsBelow(dir)).as("left below " + dir).containsExactlyInAnyOrder(dir.resolve("jvm"),
                    dir.resolve(Cgroups.DEFAULT_PREFIX));
            assertThat(Kernel.dirsBelow(dir.resolve(Cgroups.DEFAULT_PREFIX))).isEmpty();
        } finally {
            if (driver != null) {
                killTree(driver);
            }
            if (Files.exists(dir)) {
                for (Path below : Kernel.dirsBelow(dir)) {
                    Files.deleteIfExists(below); // rmdir, deepest first: only this test's groups live here
                }
                Files.deleteIfExists(dir);
            }
        }
    }

    /** v1: a subtree chowned to the user, passed as the prefix. */
    private void delegatedV1Subtree() throws Exception {
        List<Path> delegated = new ArrayList<>();
        Process driver = null;
        try {
            for (String c : DELEGATED) {
                Path dir = Kernel.CGROUP_ROOT.resolve(c).resolve(PREFIX);
                Files.createDirectory(dir);
                delegated.add(dir);
                chown(dir);
                for (String f : List.of("cgroup.procs", "tasks", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "pids.max")) {
                    if (Files.exists(dir.resolve(f))) {
                        chown(dir.resolve(f));
                    }
                }
            }
            driver = driver("delegated", PREFIX);
            BufferedReader r = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8));
            String[] f = groupReport(r);
            long child = Long.parseLong(f[1]);
            String name = f[2];
            assertThat(name).matches(PREFIX + "/jvm-[0-9]+-[0-9]+/[0-9]+");
            // kernel truth: where the child is, what limit holds there, who owns the group
            for (String c : DELEGATED) {
                assertThat(Kernel.procCgroup(child).get(c)).as(c).isEqualTo("/" + name);
            }
            Path memory = Kernel.v1GroupOf(child, "memory");
            assertThat(Kernel.readLong(memory.resolve("memory.limit_in_bytes"))).isEqualTo(64L << 20);
            assertThat(Files.getAttribute(memory, "unix:uid")).as("made by the unprivileged user").isEqualTo(NOBODY);
            assertThat(Kernel.read("/proc/" + child + "/status")).containsPattern("Uid:\\s+" + NOBODY + "\\s");
            driver.getOutputStream().write('\n');
            driver.getOutputStream().flush();
            assertThat(r.readLine()).isEqualTo("CLOSED");
            assertThat(driver.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(driver.exitValue()).isZero();
            for (Path d : delegated) {
                assertThat(Kernel.dirsBelow(d)).as("left below " + d).isEmpty();
            }
        } finally {
            if (driver != null) {
                killTree(driver);
            }
            for (Path d : delegated) {
                for (Path below : Kernel.dirsBelow(d)) {
                    Files.deleteIfExists(below); // rmdir, deepest first: only this test's groups live here
                }
                Files.deleteIfExists(d);
            }
        }
    }

    static void chown(Path p) throws IOException {
        Files.setAttribute(p, "unix:uid", NOBODY);
        Files.setAttribute(p, "unix:gid", NOBODY);
    }

    static Process driver(String... args) throws IOException {
        return new ProcessBuilder(driverCommand(args)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    static List<String> driverCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData",
                "-Djava.io.tmpdir=" + work.resolve("tmp"), "-cp", classpath, RootlessCgroupDriver.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** {@link #driver}, started inside the cgroup {@code dir} (root moves the shell there, then drops to the user). */
    static Process driverIn(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", dir.toString()));
        cmd.addAll(driverCommand(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The driver's {@code GROUP <child pid> <group name>} line, split. */
    static String[] groupReport(BufferedReader r) throws IOException {
        String line = r.readLine();
        assertThat(line).as("driver's report").startsWith("GROUP ");
        return line.split(" ");
    }

    static List<String> lines(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }

    static String decode(String b64) {
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }

    /** Kills the driver and what it started (this test started them all). */
    static void killTree(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

}
