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
        HostRequirement.require(host.v1Mounts().keySet().containsAll(DELEGATED), "needs v1 hierarchies " + DELEGATED);
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
            assertThat(message)
                    .startsWith("memoryMax: cannot create /sys/fs/cgroup/memory/sandbox")
                    .contains(": EACCES (Permission denied); as an unprivileged user, delegate a subtree: on cgroup v2 run"
                            + " under systemd with Delegate=yes (systemd-run --user --scope -p Delegate=yes ...), on v1 chown"
                            + " a directory of each controller to your uid and pass it as the prefix");
        } finally {
            killTree(driver);
        }
        // it left nothing: no directory owned by the unprivileged user under the default prefix
        for (String c : DELEGATED) {
            for (Path d : Kernel.dirsBelow(Kernel.CGROUP_ROOT.resolve(c).resolve(Cgroups.DEFAULT_PREFIX))) {
                assertThat(Files.getAttribute(d, "unix:uid")).as(d.toString()).isNotEqualTo(NOBODY);
            }
        }
    }

    @Test
    @DisplayName("a v1 subtree chowned to the user: the group is made there, limited and removed")
    void delegatedV1Subtree() throws Exception {
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
            String line = r.readLine();
            assertThat(line).as("driver's report").startsWith("GROUP ");
            String[] f = line.split(" ");
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
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData",
                "-Djava.io.tmpdir=" + work.resolve("tmp"), "-cp", classpath, RootlessCgroupDriver.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
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
