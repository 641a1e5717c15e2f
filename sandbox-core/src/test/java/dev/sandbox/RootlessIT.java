package dev.sandbox;

import dev.sandbox.testing.ForOthers;
import dev.sandbox.testing.HostRequirement;

import dev.sandbox.internal.LibC;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rootless path: every namespace and mapRootUser() for an unprivileged caller. As root the
 * test drops to uid/gid 65534 in a child JVM (setpriv); as a normal user it runs natively.
 */
@DisplayName("Rootless: an unprivileged caller gets every namespace, and root inside is not root outside")
class RootlessIT {

    private static final int NOBODY = 65534;
    private static final String DELEGATED_PREFIX = "sandbox-rootless-core";
    private static final List<String> DELEGATED = List.of("memory", "cpuacct", "pids", "freezer");

    /** As root: a v1 subtree {@code prefix} per controller, chowned to uid 65534, as an admin would delegate it. */
    static List<Path> delegateSubtree(String prefix) throws IOException {
        List<Path> made = new ArrayList<>();
        dev.sandbox.cgroups.CgroupHost host = dev.sandbox.cgroups.CgroupHost.detect();
        for (String c : DELEGATED) {
            Path mount = host.v1Mounts().get(c);
            if (mount == null) {
                continue;
            }
            Path dir = mount.resolve(prefix);
            Files.createDirectory(dir);
            made.add(dir);
            for (Path p : List.of(dir, dir.resolve("cgroup.procs"), dir.resolve("tasks"), dir.resolve("memory.limit_in_bytes"),
                    dir.resolve("memory.memsw.limit_in_bytes"), dir.resolve("pids.max"))) {
                if (Files.exists(p)) {
                    Files.setAttribute(p, "unix:uid", NOBODY);
                    Files.setAttribute(p, "unix:gid", NOBODY);
                }
            }
        }
        return made;
    }

    /**
     * A cgroup subtree root delegated to uid 65534 for this host's kind of hierarchy, or none.
     *
     * @param dirs     what root made (remove with {@link #undelegate})
     * @param prefix   what the unprivileged JVM passes to {@code Cgroups.at}
     * @param launcher words that start the JVM inside the delegated group (v2), prepended to its command
     * @param v2       delegated as systemd's {@code Delegate=yes} does on a unified hierarchy
     */
    record Delegation(List<Path> dirs, String prefix, List<String> launcher, boolean v2) {
        boolean any() {
            return !dirs.isEmpty();
        }
    }

    /**
     * As root: v1, a directory per controller chowned to uid 65534; v2, as systemd's Delegate=yes
     * does, a group whose directory, cgroup.procs, cgroup.subtree_control and cgroup.threads belong
     * to uid 65534, with the JVM started inside it (it then moves itself into a leaf of it).
     */
    static Delegation delegate(String name) throws IOException {
        dev.sandbox.cgroups.CgroupHost host = dev.sandbox.cgroups.CgroupHost.detect();
        if (host.v1Mounts().containsKey("memory")) {
            return new Delegation(delegateSubtree(name), name, List.of(), false);
        }
        if (host.layout() == dev.sandbox.cgroups.CgroupHost.Layout.V2 && host.v2Controllers().contains("memory")) {
            Path dir = host.unifiedMount().orElseThrow().resolve(name);
            Files.createDirectory(dir);
            for (Path p : List.of(dir, dir.resolve("cgroup.procs"), dir.resolve("cgroup.subtree_control"), dir.resolve("cgroup.threads"))) {
                Files.setAttribute(p, "unix:uid", NOBODY);
                Files.setAttribute(p, "unix:gid", NOBODY);
            }
            return new Delegation(List.of(dir), name + "/" + dev.sandbox.cgroups.Cgroups.DEFAULT_PREFIX,
                    List.of("sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", dir.toString()), true);
        }
        return new Delegation(List.of(), null, List.of(), false);
    }

    /** Removes what {@link #delegateSubtree} made, with any group left below it. */
    static void undelegate(List<Path> delegated) throws IOException {
        for (Path d : delegated) {
            for (Path g : below(d)) {
                Files.deleteIfExists(g);
            }
            Files.deleteIfExists(d);
        }
    }

    static List<Path> below(Path dir) throws IOException {
        try (Stream<Path> w = Files.walk(dir)) {
            return w.filter(Files::isDirectory).filter(d -> !d.equals(dir))
                    .sorted(java.util.Comparator.reverseOrder()).toList();
        }
    }

    @Test
    void unprivilegedCallerGetsEveryNamespace() throws Exception {
        int euid = LibC.get().geteuid();
        Path work = Files.createTempDirectory("sandbox-rootless");
        try {
            Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path out = Files.createDirectory(work.resolve("out"));
            int uid;
            Process driver;
            Delegation delegation = new Delegation(List.of(), null, List.of(), false);
            if (euid == 0) {
                HostRequirement.require(Kernel.onPath("setpriv"), "needs setpriv (util-linux) to drop to uid 65534");
                Files.setAttribute(out, "unix:uid", NOBODY);
                Files.setAttribute(out, "unix:gid", NOBODY);
                Path tmp = Files.createDirectory(work.resolve("tmp"));
                Files.setAttribute(tmp, "unix:uid", NOBODY);
                Files.setAttribute(tmp, "unix:gid", NOBODY);
                String cp = ForOthers.copy(ForOthers.classpath(), work.resolve("cp"));
                String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                delegation = delegate(DELEGATED_PREFIX);
                List<String> cmd = new ArrayList<>(delegation.launcher());
                cmd.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
                        "--clear-groups", java, "-Djava.io.tmpdir=" + tmp, "-cp", cp, RootlessDriver.class.getName(),
                        out.toString()));
                if (delegation.any()) {
                    cmd.add(delegation.prefix());
                }
                driver = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
                uid = NOBODY;
            } else {
                driver = null;
                uid = euid;
            }
            Map<String, String> results = new HashMap<>();
            if (driver != null) {
                try {
                    drive(driver.getInputStream(), driver.getOutputStream(), uid, results);
                    assertThat(driver.waitFor()).as("driver exit").isZero();
                    Delegation d2 = delegation;
                    List<Path> delegated = delegation.dirs();
                    String hostRoot = delegation.v2() ? "/sys/fs/cgroup/" : "/sys/fs/cgroup/memory/";
                    if (!delegated.isEmpty()) {
                        assertThat(results.get("delegated-where")).contains(delegation.v2()
                                ? "0::/" + delegation.prefix() + "/jvm-" : ":memory:/" + DELEGATED_PREFIX + "/jvm-");
                        // the kernel's OOM killer acted inside the user's own group, and the result says so
                        assertThat(results.get("delegated-oom")).isEqualTo("true 9");
                        assertThat(results.get("delegated-verdict")).isEqualTo("OOM_KILLED");
                        // the CPU-time limit in the user's own group: killed once the group's count reached 1 s
                        String[] cpu = results.get("delegated-cpu").split(" ");
                        assertThat(cpu[0] + " " + cpu[1]).as(results.get("delegated-cpu")).isEqualTo("true 9");
                        assertThat(Long.parseLong(cpu[2])).as("the group's CPU time, ns").isBetween(1_000_000_000L, 1_200_000_000L);
                        // the sandbox owns its group's files as the caller does. Even keeping CAP_SYS_ADMIN it
                        // cannot mount a cgroupfs: its view is locked in a nested user namespace, which holds no
                        // capability over the cgroup namespace. Were the mount possible, it would start at the
                        // leaf, where raising the limit does not lift the group's. Either way the kernel's OOM
                        // killer still acts at 64 MiB.
                        assertThat(results.get("own-mount-oom")).startsWith("true 9 ").contains("mount: /mnt: permission denied");
                        // and every other path to them is closed
                        for (String lift : List.of("lift-cgroupns", "lift-no-cgroupns", "lift-no-pidns")) {
                            assertThat(results.get(lift + "-host")).as(lift + ": seen from the host afterwards; the sandbox's report:\n"
                                    + results.get(lift))
                                    // pidsMax(20), plus one where the helper sits in the group (a spare placed ahead of time;
                                    // on pure v2 a start without a spare creates the sandbox there and its helper stays out)
                                    .matches("in its leaves, memory 67108864, memsw (67108864|0|\\(none\\)), pids (21 with its helper|20 without its helper)");
                            assertThat(results.get(lift)).as(lift + ": what the sandbox tried").isNotNull()
                                    .contains("refused " + hostRoot + DELEGATED_PREFIX);
                            assertThat(LiftLimits.hostWrites(List.of(results.get(lift).split("\n"))))
                                    .as(lift + ": writes that reached the host's cgroupfs").isEmpty();
                            assertThat(results.get(lift + "-oom")).as(lift + ": 300 MiB under 64 MiB").isEqualTo("true 137");
                        }
                        for (Path d : delegated) {
                            // v2: the JVM's own leaf stays until its group goes (systemd removes both with the scope)
                            assertThat(below(d)).as("groups left below " + d + " after the unprivileged JVM exited")
                                    .allSatisfy(g -> assertThat(d2.v2() && (g.equals(d.resolve("jvm"))
                                            || g.equals(d.resolve(dev.sandbox.cgroups.Cgroups.DEFAULT_PREFIX)))).as(g.toString()).isTrue());
                        }
                    }
                } finally {
                    driver.destroyForcibly(); // a failed check leaves it waiting
                    driver.waitFor();
                    undelegate(delegation.dirs());
                }
            } else {
                PipedOutputStream toDriver = new PipedOutputStream();
                PipedInputStream driverIn = new PipedInputStream(toDriver);
                PipedInputStream fromDriver = new PipedInputStream(1 << 16);
                PrintStream driverOut = new PrintStream(new PipedOutputStream(fromDriver), true, StandardCharsets.UTF_8);
                Thread t = new Thread(() -> {
                    InputStream oldIn = System.in;
                    PrintStream oldOut = System.out;
                    try {
                        System.setIn(driverIn);
                        System.setOut(driverOut);
                        RootlessDriver.main(new String[] {out.toString()});
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    } finally {
                        System.setIn(oldIn);
                        System.setOut(oldOut);
                        driverOut.close();
                    }
                });
                t.start();
                drive(fromDriver, toDriver, uid, results);
                t.join();
            }

            assertThat(results.get("reused")).as("the REUSED report").isEqualTo("seen");
            assertThat(results.get("leftover")).as("the LEFTOVER report").isEqualTo("seen");
            assertThat(results.get("root-inside")).isEqualTo("0\n0\nrootless\n" + uidMapLine(0, uid) + "2\nro\nwrote\n");
            assertThat(Files.readString(out.resolve("file"))).isEqualTo("hi\n");
            // the file the sandbox's "root" wrote belongs to the unprivileged user on the host
            assertThat(Files.getAttribute(out.resolve("file"), "unix:uid")).isEqualTo(uid);
            assertThat(results.get("own-uid")).isEqualTo(uid + "\n" + uidMapLine(uid, uid));
            assertThat(results.get("implied-user")).isEqualTo(uidMapLine(uid, uid));
            assertThat(results.get("hardened")).isEqualTo("42 [(1, 'lo')] False " + uid + "\n");
            assertThat(results.get("verdicts")).as("output flood, ulimit -f, kill -SEGV $$, a killProcess rule, a timeout")
                    .isEqualTo("OUTPUT_LIMIT_EXCEEDED 4096 FILE_SIZE_EXCEEDED SIGNALED SECCOMP_KILLED TIMED_OUT");
            // rlimits, seen from the host while the command ran and inside; raising the hard NOFILE failed (dash: 2)
            assertThat(results.get("rlimits-host"))
                    .isEqualTo("nofile [64, 64], fsize [1048576, 1048576], stack [4194304, 4194304], core [0, 0]");
            assertThat(results.get("rlimits-raise")).isEqualTo("2");
            assertThat(results.get("rlimits")).isEqualTo("64\n64\n4096\n0\n153\n"); // head died of SIGXFSZ
            assertThat(Files.size(out.resolve("big"))).isEqualTo(1 << 20);
            assertThat(results.get("rlimit-above")).startsWith("maxOpenFiles: got 2147483647, above the caller's hard RLIMIT_NOFILE of ");
            assertThat(results.get("missing-exec")).isEqualTo("execve /nope: ENOENT (No such file or directory)");
            if (euid == 0 && delegation.v2()) {
                // v2, started inside a group delegated to it: the default factory uses that group, as under systemd
                assertThat(results.get("no-delegation")).isEqualTo("no exception");
                assertThat(results.get("cpu-no-delegation")).isEqualTo("no exception");
            } else if (euid == 0) {
                // uid 65534 has no delegated cgroup subtree here: the limit fails closed, and says what to do
                assertThat(results.get("no-delegation")).startsWith("memoryMax: ").contains("delegate");
                // so does the CPU-time limit: the cgroup that would count its CPU time cannot be made
                assertThat(results.get("cpu-no-delegation")).startsWith("cpuTimeLimit: the sandbox's cgroup cannot count its"
                        + " CPU time; cpuAccounting: cannot create /sys/fs/cgroup/").contains("EACCES").contains("delegate");
            } else {
                assertThat(results.get("no-delegation")).satisfiesAnyOf(
                        m -> assertThat(m).isEqualTo("no exception"),
                        m -> assertThat(m).startsWith("memoryMax: ").contains("delegate"));
            }
            assertThat(results.get("cwd-denied")).isEqualTo("chdir /root: EACCES (Permission denied)");
            // Landlock confines an unprivileged caller's command too, with and without a mount namespace
            assertThat(results.get("landlock-no-mountns")).isEqualTo("cat: /etc/hostname: Permission denied\nran\n");
            assertThat(results.get("landlock-empty-root"))
                    .isEqualTo("ls: cannot open directory '/': Permission denied\nwrote\n");
            assertThat(Files.readString(out.resolve("landlock"))).isEqualTo("ll\n");
        } finally {
            ForOthers.deleteTree(work);
        }
    }

    /** Reads the driver's report; while its first sandbox runs, checks it from outside. */
    private static void drive(InputStream from, OutputStream to, int uid, Map<String, String> results) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "PID" -> {
                    long pid = Long.parseLong(f[1]);
                    assertThat(Kernel.read("/proc/" + pid + "/uid_map")).isEqualTo(uidMapLine(0, uid));
                    assertThat(Kernel.read("/proc/" + pid + "/gid_map")).isEqualTo(uidMapLine(0, uid));
                    assertThat(Kernel.read("/proc/" + pid + "/setgroups").trim()).isEqualTo("deny");
                    String status = Kernel.read("/proc/" + pid + "/status");
                    // Uid: real effective saved fs — as the host sees them: never 0
                    assertThat(status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+"))
                            .containsExactly("Uid:", "" + uid, "" + uid, "" + uid, "" + uid);
                    for (Namespace ns : Namespace.values()) {
                        assertThat(Kernel.namespace(pid, ns.procName())).as(ns.name())
                                .isNotEqualTo(Kernel.namespaceOfSelf(ns.procName()));
                    }
                    to.write('\n');
                    to.flush();
                }
                case "LIMITED" -> {
                    // as the host sees it after the sandbox tried: where it is, and its group's limits
                    Map<String, Path> now = Kernel.groupsOf(Long.parseLong(f[2]));
                    Path memory = Path.of(f[3]);
                    Path pids = Path.of(f[4]);
                    boolean v2 = Files.exists(memory.resolve("memory.max"));
                    Path memsw = memory.resolve(v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
                    results.put(f[1] + "-host", "in " + (now.get("memory").equals(memory.resolve("sandbox"))
                            && now.get("pids").equals(pids.resolve("sandbox")) ? "its leaves" : now)
                            + ", memory " + Kernel.read(memory + (v2 ? "/memory.max" : "/memory.limit_in_bytes")).trim()
                            + ", memsw " + (Files.exists(memsw) ? Kernel.read(memsw.toString()).trim() : "(none)")
                            + ", pids " + Kernel.read(pids + "/pids.max").trim() + (helperIn(pids.resolve("sandbox"), Long.parseLong(f[2]))
                                    ? " with its helper" : " without its helper"));
                    results.put(f[1], decode(f[5]));
                    to.write('\n');
                    to.flush();
                }
                case "REUSED" -> {
                    // the second sandbox's helper served the first: started by the pool to serve again, the caller's
                    long helper = Long.parseLong(f[2]);
                    assertThat(f[1]).as("the helpers of two sandboxes in a row").isEqualTo(f[2]);
                    assertThat(Kernel.read("/proc/" + helper + "/cmdline")).isEqualTo("sandbox-helper\0--reuse\0");
                    assertThat(Kernel.status(helper, "Uid").split("\\s+")).containsOnly("" + uid);
                    assertThat(Kernel.read("/proc/" + helper + "/task/" + helper + "/children").trim())
                            .as("its children: the running sandbox's PID 1 alone").isEqualTo(f[3]);
                    results.put("reused", "seen");
                    to.write('\n');
                    to.flush();
                }
                case "LEFTOVER" -> {
                    // the daemon was dead (and reaped) once its sandbox was closed, before the same helper served the next
                    long daemon = Long.parseLong(f[1]);
                    long helper = Long.parseLong(f[4]);
                    assertThat(f[2]).as("daemon " + daemon + " gone when the caller looked").isEqualTo("true");
                    assertThat(Files.exists(Path.of("/proc/" + daemon))).as("daemon " + daemon + " seen from the host").isFalse();
                    assertThat(f[3]).as("the helpers of the two sandboxes").isEqualTo(f[4]);
                    assertThat(Kernel.read("/proc/" + helper + "/task/" + helper + "/children").trim())
                            .as("the helper's children: the next sandbox's command alone").isEqualTo(f[5]);
                    results.put("leftover", "seen");
                    to.write('\n');
                    to.flush();
                }
                case "RLIMITS" -> {
                    Map<String, List<String>> limits = RlimitsIT.limits(Long.parseLong(f[1]));
                    results.put("rlimits-host", "nofile " + limits.get("Max open files") + ", fsize " + limits.get("Max file size")
                            + ", stack " + limits.get("Max stack size") + ", core " + limits.get("Max core file size"));
                    results.put("rlimits-raise", decode(f[2]));
                    to.write('\n');
                    to.flush();
                }
                case "RESULT" -> {
                    assertThat(f[2]).as(f[1] + " exit code, output: " + decode(f[3])).isEqualTo("0");
                    results.put(f[1], decode(f[3]));
                }
                case "ERROR" -> results.put(f[1], decode(f[2]));
                default -> throw new AssertionError("unexpected driver output: " + line);
            }
        }
    }

    private static String uidMapLine(int inside, int outside) {
        return String.format("%10d %10d %10d%n", inside, outside, 1);
    }

    private static String decode(String b64) {
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }


    /**
     * Whether the sandbox's helper sits in {@code leaf}, by the kernel's cgroup.procs. The helper is the
     * topmost "sandbox-helper" (argv[0]) above the command: PID 1 of a pid namespace, forked from it,
     * carries the same argv[0].
     */
    private static boolean helperIn(Path leaf, long command) throws IOException {
        long helper = Kernel.parentOf(command);
        while (isHelper(Kernel.parentOf(helper))) {
            helper = Kernel.parentOf(helper);
        }
        return Kernel.read(leaf + "/cgroup.procs").lines().anyMatch(Long.toString(helper)::equals);
    }

    private static boolean isHelper(long pid) throws IOException {
        Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
        return Files.exists(cmdline) && Files.readString(cmdline).startsWith("sandbox-helper\0");
    }
}
