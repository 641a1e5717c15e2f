package dev.sandbox;

import dev.sandbox.internal.LibC;
import dev.sandbox.testing.ForOthers;
import dev.sandbox.testing.HostRequirement;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static dev.sandbox.base.Signals.SIGCONT;
import static dev.sandbox.base.Signals.SIGKILL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The red team's attacks, each performed from inside a sandbox, as a root caller and as an
 * unprivileged one (uid 65534, {@link SecurityDriver} in a child JVM), and judged by what the host
 * shows afterwards: /proc of the command and its monitor, host files, sysctl values, cgroupfs, the
 * host's IPC namespace. The library's own bookkeeping is never asked.
 *
 * <p>Attacks that would touch the host write only the value already there, or a file the test
 * removes (and checks is gone). Processes the attacks leave behind are ended by pid.
 */
@DisplayName("Security: attacks from inside a sandbox fail, as the host sees it afterwards")
class SecurityIT {

    static final int NOBODY = 65534;
    static final long JVM = ProcessHandle.current().pid();
    private static final String NO_CAPS = "0000000000000000";

    static void requireRoot() {
        HostRequirement.require(LibC.get().geteuid() == 0, "the root caller's attacks need the test to run as root");
    }

    /** A sleep duration no other process has on its command line: {@code sleep <marker>} finds it in /proc. */
    static String marker() {
        return "30." + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
    }

    /** The pid of a process whose command line contains {@code part}, waiting up to {@code millis}; -1 if none. */
    static long awaitProcess(String part, long millis) throws Exception {
        List<Long> found = awaitProcesses(part, 1, millis);
        return found.isEmpty() ? -1 : found.get(0);
    }

    /** The processes whose command line contains {@code part}, once there are {@code count} of them or {@code millis} passed. */
    static List<Long> awaitProcesses(String part, int count, long millis) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        List<Long> found = Kernel.processesWith(part);
        while (found.size() != count && System.nanoTime() < deadline) {
            Thread.sleep(10);
            found = Kernel.processesWith(part);
        }
        return found;
    }

    /** Ends, by pid, what an attack left running with {@code part} on its command line; returns those pids. */
    static List<Long> endLeftovers(String part) throws Exception {
        List<Long> left = awaitProcesses(part, 0, 2000);
        for (long pid : left) {
            LibC.get().kill((int) pid, SIGKILL);
        }
        return left;
    }

    /** No capability in any set, no_new_privs, a seccomp filter, and the command leads its own session. */
    static void assertConfined(SoftAssertions soft, String what, String status, String stat, long pid) {
        for (String set : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
            soft.assertThat(Kernel.field(status, set)).as(what + ": " + set).isEqualTo(NO_CAPS);
        }
        soft.assertThat(Kernel.field(status, "NoNewPrivs")).as(what + ": NoNewPrivs").isEqualTo("1");
        soft.assertThat(Kernel.field(status, "Seccomp")).as(what + ": Seccomp (2 = filter)").isEqualTo("2");
        soft.assertThat(Kernel.statField(stat, 6)).as(what + ": session (field 6 of stat) is the command's pid").isEqualTo(pid);
    }

    /** Opens a unix socket at {@code path} that everyone may connect to (so only the sandbox can stand in the way). */
    static ServerSocketChannel listenUnix(Path path) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        server.configureBlocking(false);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxrwxrwx"));
        return server;
    }

    /** The keys of the host's System V shared memory segments ({@code /proc/sysvipc/shm}, first column). */
    static List<Integer> hostShmKeys() throws IOException {
        List<Integer> keys = new ArrayList<>();
        for (String line : Kernel.read("/proc/sysvipc/shm").lines().skip(1).toList()) {
            keys.add((int) Long.parseLong(line.trim().split("\\s+")[0]));
        }
        return keys;
    }

    /** A key for shmget no segment on the host has. */
    static int freeShmKey() throws IOException {
        List<Integer> taken = hostShmKeys();
        int key;
        do {
            key = 0x5a000000 + ThreadLocalRandom.current().nextInt(1 << 20) * 2;
        } while (taken.contains(key) || taken.contains(key + 1));
        return key;
    }

    /** Removes a segment an attack left in the host's namespace; returns whether there was one. */
    static boolean removeHostShm(int key) throws Exception {
        if (!hostShmKeys().contains(key)) {
            return false;
        }
        Kernel.host("ipcrm", "-M", Integer.toString(key));
        return true;
    }

    /** Copies {@code tool} into {@code dir} as a setuid-root executable. */
    static Path setuidRootCopy(String tool, Path dir) throws IOException {
        Path copy = Files.copy(Path.of(tool), dir.resolve(Path.of(tool).getFileName()), StandardCopyOption.REPLACE_EXISTING);
        Files.setAttribute(copy, "unix:uid", 0);
        Files.setAttribute(copy, "unix:gid", 0);
        Files.setAttribute(copy, "unix:mode", 04755);
        return copy;
    }

    /** Lines an attack prints while its command still runs, up to {@code last}. */
    static String readUntil(SandboxedProcess p, String last) throws IOException {
        StringBuilder sb = new StringBuilder();
        String line;
        while (!(line = SandboxIT.readLine(p.getInputStream())).equals(last)) {
            sb.append(line).append('\n');
            if (sb.length() > 1 << 16) {
                throw new AssertionError("no line " + last + " in: " + sb);
            }
        }
        return sb.toString();
    }

    @Nested
    @DisplayName("a root caller's sandbox with its own pid, network, IPC and UTS namespaces (attack 1)")
    class HostNamespaces {

        @BeforeEach
        void root() {
            requireRoot();
        }

        @Test
        @DisplayName("unmounting /proc neither lists the host's processes nor lets nsenter join the host's namespaces")
        void unmountingProcRevealsNoHostProcessAndNsenterFails() throws Exception {
            String mountsBefore = Kernel.read("/proc/self/mountinfo");
            String hostname = Kernel.read("/proc/sys/kernel/hostname").strip();
            SandboxResult r = Sandbox.builder().pidNs().netNs().ipcNs().hostname("boxed").build().run("sh", "-c",
                    Attacks.attempt("umount-proc", "umount -l /proc")
                            + Attacks.attempt("nsenter", "nsenter -t " + JVM + " -m -u -i -n true")
                            + "echo nsenter-hostname=$(nsenter -t " + JVM + " -u cat /proc/sys/kernel/hostname 2>/dev/null); "
                            + Attacks.seesHostPid(JVM)
                            + "echo pids=$(ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' ')");
            Map<String, String> v = Attacks.verdicts(r.stdout());
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(Attacks.verdict(v, "nsenter")).as("nsenter into the host's namespaces: " + r.stdout()).isEqualTo("refused");
            soft.assertThat(v.get("nsenter-hostname")).as("the host's hostname, read through nsenter").isNotEqualTo(hostname);
            soft.assertThat(Attacks.verdict(v, "host-pid")).as("this JVM's pid in the sandbox's /proc").isEqualTo("hidden");
            soft.assertThat(v.get("pids").trim().split(" ")).as("pids in the sandbox's /proc after umount -l /proc")
                    .allSatisfy(pid -> assertThat(Long.parseLong(pid)).isLessThan(100));
            soft.assertThat(Kernel.read("/proc/sys/kernel/hostname").strip()).as("the host's hostname").isEqualTo(hostname);
            soft.assertThat(Kernel.read("/proc/self/mountinfo")).as("the host's mounts").isEqualTo(mountsBefore);
            soft.assertAll();
        }
    }

    @Nested
    @DisplayName("a root caller's read-only root with root mapped inside (attack 2)")
    class ReadOnlyRootAsRoot {

        @BeforeEach
        void root() {
            requireRoot();
        }

        private Sandbox.Builder mappedRoot() {
            return Sandbox.builder().mapRootUser().readOnlyRoot();
        }

        @Test
        @DisplayName("remounting the root's binds read-write does not make the host's /usr writable")
        void remountingTheRootReadWriteFails() throws Exception {
            Path planted = Path.of("/usr/sandbox-attack-" + UUID.randomUUID());
            try {
                SandboxResult r = mappedRoot().build().run("sh", "-c", Attacks.makeWritable("/", "/usr")
                        + Attacks.attempt("write-usr", "touch " + planted));
                assertThat(Attacks.verdict(Attacks.verdicts(r.stdout()), "write-usr")).as(r.stdout()).isEqualTo("refused");
                assertThat(planted).as("a file the sandbox tried to create in the host's /usr").doesNotExist();
            } finally {
                Files.deleteIfExists(planted);
            }
            assertThat(planted).doesNotExist();
        }

        @ParameterizedTest(name = "pidNs: {0}")
        @ValueSource(booleans = {false, true})
        @DisplayName("host sysctls cannot be written, not even with the value already there")
        void hostSysctlsCannotBeWritten(boolean pidNs) throws Exception {
            String overcommit = Kernel.read("/proc/sys/vm/overcommit_ratio").strip();
            String corePattern = Kernel.read("/proc/sys/kernel/core_pattern").strip();
            Sandbox.Builder b = mappedRoot();
            if (pidNs) {
                b.pidNs();
            }
            SandboxResult r = b.build().run("sh", "-c",
                    Attacks.writeKnob("overcommit", "/proc/sys/vm/overcommit_ratio", overcommit, "/proc/sys", "/proc")
                            + Attacks.quietly("umount -l /proc/sys")
                            + Attacks.writeKnob("core-pattern", "/proc/sys/kernel/core_pattern", corePattern, "/proc/sys", "/proc"));
            Map<String, String> v = Attacks.verdicts(r.stdout());
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(Attacks.verdict(v, "overcommit")).as("write vm.overcommit_ratio: " + r.stdout() + r.stderr()).isEqualTo("refused");
            soft.assertThat(Attacks.verdict(v, "core-pattern")).as("write kernel.core_pattern: " + r.stdout()).isEqualTo("refused");
            soft.assertThat(Kernel.read("/proc/sys/vm/overcommit_ratio").strip()).isEqualTo(overcommit);
            soft.assertThat(Kernel.read("/proc/sys/kernel/core_pattern").strip()).isEqualTo(corePattern);
            soft.assertAll();
        }

        @Test
        @DisplayName("a sysfs knob cannot be written, not even with the value already there")
        void sysfsKnobsCannotBeWritten() throws Exception {
            Path knob = Path.of("/sys/kernel/mm/transparent_hugepage/use_zero_page");
            if (!Files.isWritable(knob)) {
                knob = Path.of("/sys/kernel/mm/ksm/run");
            }
            HostRequirement.require(Files.isWritable(knob), "needs a root-writable sysfs knob (transparent_hugepage or ksm)");
            String value = Kernel.read(knob.toString()).strip();
            SandboxResult r = mappedRoot().build().run("sh", "-c",
                    Attacks.writeKnob("sysfs", knob.toString(), value, "/sys", "/sys/kernel"));
            assertThat(Attacks.verdict(Attacks.verdicts(r.stdout()), "sysfs")).as(knob + ": " + r.stdout()).isEqualTo("refused");
            assertThat(Kernel.read(knob.toString()).strip()).isEqualTo(value);
        }

        @ParameterizedTest(name = "mapRootUser: {0}")
        @ValueSource(booleans = {false, true})
        @DisplayName("a cgroup v1 hierarchy cannot be mounted")
        void aCgroupHierarchyCannotBeMounted(boolean mapRootUser) throws Exception {
            Sandbox.Builder b = mapRootUser ? mappedRoot() : Sandbox.builder().readOnlyRoot();
            SandboxResult r = b.build().run("sh", "-c",
                    Attacks.attempt("cgroup-mount", "mount -t cgroup -o memory none /mnt && umount /mnt"));
            assertThat(Attacks.verdict(Attacks.verdicts(r.stdout()), "cgroup-mount")).as(r.stdout()).isEqualTo("refused");
        }

        @Test
        @DisplayName("the memory limit can neither be raised through the visible cgroupfs nor left by moving to the root group")
        void theMemoryLimitCannotBeRaisedOrLeft() throws Exception {
            long limit = 100L << 20;
            long raised = 2 * limit;
            String marker = marker();
            dev.sandbox.cgroups.CgroupHost host = dev.sandbox.cgroups.CgroupHost.detect();
            boolean v1 = host.v1Mounts().containsKey("memory");
            HostRequirement.require(v1 || host.v2Controllers().contains("memory"),
                    "needs the memory controller, in a v1 hierarchy or on the unified one (this host: " + host + ")");
            // its own group and the parent where that holds the limit (a leaf below a limited group); the swap
            // limit first, as v1 keeps memory.limit_in_bytes at or below memory.memsw.limit_in_bytes
            String m = v1 ? host.v1Mounts().get("memory").toString() : host.unifiedMount().orElseThrow().toString();
            String line = v1 ? "[0-9]*:memory:" : "0::";
            String limitFile = v1 ? "memory.limit_in_bytes" : "memory.max";
            String swapFile = v1 ? "memory.memsw.limit_in_bytes" : "memory.swap.max";
            String attack = Attacks.WRITE + "g=$(sed -n 's/^" + line + "//p' /proc/self/cgroup); echo start-group=$g; "
                    + Attacks.makeWritable("/sys/fs/cgroup", m)
                    + Attacks.attempt("raise", "raised=0; for d in $g $(dirname $g); do l=$(cat " + m + "$d/" + limitFile
                            + "); [ \"$l\" != max ] && [ \"$l\" -le " + limit + " ] || continue; wr " + m + "$d/" + swapFile
                            + " " + raised + "; wr " + m + "$d/" + limitFile + " " + raised + " && raised=1; done; [ $raised = 1 ]")
                    + Attacks.attempt("leave", "echo $$ > " + m + "/cgroup.procs")
                    + "echo ready; exec sleep " + marker;
            try (SandboxedProcess p = mappedRoot().memoryMax(limit).build().start("sh", "-c", attack)) {
                String out = readUntil(p, "ready");
                Map<String, String> v = Attacks.verdicts(out);
                String group = Kernel.read("/proc/" + p.pid() + "/cgroup").lines().filter(l -> l.matches(line.replace("[0-9]*", "\\d+") + ".*"))
                        .findFirst().orElseThrow().replaceFirst("^" + line.replace("[0-9]*", "\\d+"), "");
                Path own = Path.of(m + v.get("start-group"));
                List<Long> limits = new ArrayList<>();
                for (Path g : List.of(own, own.getParent())) {
                    if (!Files.exists(g.resolve(limitFile))) {
                        continue; // a v2 leaf: no controller of its own
                    }
                    String l = Kernel.read(g.resolve(limitFile).toString()).strip();
                    limits.add(l.equals("max") ? Long.MAX_VALUE : Long.parseLong(l));
                }
                SoftAssertions soft = new SoftAssertions();
                soft.assertThat(Attacks.verdict(v, "raise")).as("raising the limit from inside: " + out).isEqualTo("refused");
                soft.assertThat(limits).as(limitFile + " of " + own + " and its parent").doesNotContain(raised).contains(limit);
                soft.assertThat(Attacks.verdict(v, "leave")).as("moving itself to the root memory group").isEqualTo("refused");
                soft.assertThat(group).as("the command's memory group on the host after the attack").isEqualTo(v.get("start-group"));
                soft.assertAll();
            } finally {
                endLeftovers("sleep " + marker);
            }
        }

        @Test
        @DisplayName("without pidNs, a root process the test started cannot be signalled and lives")
        void aHostRootProcessCannotBeSignalled() throws Exception {
            String marker = marker();
            Process victim = new ProcessBuilder("sleep", marker).start();
            try {
                SandboxResult r = mappedRoot().build().run("sh", "-c",
                        Attacks.attempt("kill-0", "kill -0 " + victim.pid()) + Attacks.attempt("kill-9", "kill -KILL " + victim.pid()));
                Map<String, String> v = Attacks.verdicts(r.stdout());
                Thread.sleep(50);
                SoftAssertions soft = new SoftAssertions();
                soft.assertThat(Attacks.verdict(v, "kill-0")).as("kill -0 of a host root process").isEqualTo("refused");
                soft.assertThat(Attacks.verdict(v, "kill-9")).as("kill -KILL of a host root process").isEqualTo("refused");
                soft.assertThat(Kernel.alive(victim.pid())).as("the host's process lives").isTrue();
                soft.assertAll();
            } finally {
                victim.destroyForcibly().waitFor();
            }
        }
    }

    @Nested
    @DisplayName("a terminal given as stdin (attack 5)")
    class Terminal {

        @Test
        @DisplayName("TIOCSTI types nothing into the caller's terminal, and the command leads its own session")
        void tiocstiTypesNothing() throws Exception {
            requireRoot();
            // legacy_tiocsti = 0 (Linux 6.2+) refuses TIOCSTI to anyone without CAP_SYS_ADMIN; the attack still
            // means something then: today's root-caller sandbox holds CAP_SYS_ADMIN, so only the sandbox's own
            // defences (no capabilities, seccomp, a session without this terminal) stand in the way.
            String legacy = Files.exists(Path.of("/proc/sys/dev/tty/legacy_tiocsti"))
                    ? Kernel.read("/proc/sys/dev/tty/legacy_tiocsti").strip() : "absent (kernel before 6.2: always allowed)";
            try (Pty pty = Pty.open()) {
                Sandbox s = Sandbox.builder().redirectInput(Redirect.from(new File(pty.slavePath()))).build();
                try (SandboxedProcess p = s.start("sh", "-c", Attacks.tiocsti() + "echo ready; exec sleep 30")) {
                    String out = readUntil(p, "ready");
                    long session = Kernel.stat(p.pid(), 6);
                    String master = pty.readMaster(300);
                    SoftAssertions soft = new SoftAssertions();
                    soft.assertThat(Attacks.verdict(Attacks.verdicts(out), "tiocsti"))
                            .as("TIOCSTI from inside (legacy_tiocsti " + legacy + "): " + out).isEqualTo("refused");
                    soft.assertThat(master).as("what reached the terminal's master side").doesNotContain("x");
                    soft.assertThat(session).as("the command's session (field 6 of /proc/<pid>/stat)").isEqualTo(p.pid());
                    soft.assertAll();
                }
            }
        }

        @Test
        @DisplayName("the new session alone keeps TIOCSTI out of the caller's controlling terminal (seccomp unconfined)")
        void theSessionAloneBlocksTiocsti() throws Exception {
            requireRoot();
            HostRequirement.require(Kernel.onPath("setsid"), "needs setsid (util-linux) to give the caller a controlling terminal");
            boolean legacy = !Files.exists(Path.of("/proc/sys/dev/tty/legacy_tiocsti"))
                    || Kernel.read("/proc/sys/dev/tty/legacy_tiocsti").strip().equals("1");
            Path work = Files.createTempDirectory("sandbox-terminal");
            try (Pty pty = Pty.open()) {
                String cp = ForOthers.copy(ForOthers.classpath(), work.resolve("cp"));
                String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                // the caller: a JVM whose session has this pty as its controlling terminal, as a shell's would
                Process caller = new ProcessBuilder("setsid", "-c", java, "-cp", cp, TerminalDriver.class.getName())
                        .redirectInput(new File(pty.slavePath())).redirectError(Redirect.INHERIT).start();
                CompletableFuture.delayedExecutor(60, TimeUnit.SECONDS).execute(caller::destroyForcibly);
                String out = new String(caller.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(caller.waitFor()).as("caller JVM exit; it said: " + out).isZero();
                String master = pty.readMaster(300);
                Map<String, String> v = Attacks.verdicts(out);
                SoftAssertions soft = new SoftAssertions();
                if (legacy) {
                    soft.assertThat(Attacks.verdict(v, "control")).as("control: same session, unconfined: " + out).isEqualTo("done");
                    soft.assertThat(master).as("the control's letter on the master side").contains("c");
                }
                soft.assertThat(Attacks.verdict(v, "session")).as("own session, unconfined: " + out).isEqualTo("refused");
                soft.assertThat(Attacks.verdict(v, "seccomp")).as("same session, default seccomp: " + out).isEqualTo("refused");
                soft.assertThat(master).as("what reached the caller's terminal").doesNotContain("a", "b");
                soft.assertAll();
            } finally {
                ForOthers.deleteTree(work);
            }
        }
    }

    @Nested
    @DisplayName("the monitor, without pidNs, is out of the command's reach (attack 6)")
    class Monitor {

        @BeforeEach
        void root() {
            requireRoot();
        }

        @Test
        @DisplayName("SIGSTOP to the monitor: the monitor runs on and the timeout ends the sandbox")
        void stoppingTheMonitorFails() throws Exception {
            String marker = marker();
            String[] state = new String[1];
            SecurityDriver.StopOutcome o;
            try {
                o = SecurityDriver.stopMonitor(marker, (command, helper) -> {
                    String status = Kernel.read("/proc/" + helper + "/status");
                    state[0] = Kernel.field(status, "State");
                });
            } finally {
                endLeftovers("sleep " + marker);
            }
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(state[0]).as("State of the monitor (pid " + o.helper() + ") after kill -STOP from inside").doesNotStartWith("T");
            soft.assertThat(o.returned()).as("run() returned within 6 s").isTrue();
            soft.assertThat(o.timedOut()).as("timedOut()").isTrue();
            soft.assertThat(o.took()).isLessThan(Duration.ofSeconds(5));
            soft.assertAll();
        }

        @Test
        @DisplayName("SIGKILL to the monitor: it survives, and close() leaves no process, not even one in its own session")
        void killingTheMonitorFails() throws Exception {
            String marker = marker();
            SandboxedProcess p = Sandbox.builder().build()
                    .start("sh", "-c", "read go; setsid sleep " + marker + " & kill -KILL $PPID; echo killed; exec sleep " + marker);
            long helper = Kernel.stat(p.pid(), 4);
            boolean helperAlive;
            boolean closed;
            List<Long> left;
            try {
                OutputStream in = p.getOutputStream();
                in.write("go\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
                assertThat(SandboxIT.readLine(p.getInputStream())).isEqualTo("killed");
                awaitProcesses("sleep " + marker, 2, 3000);
                helperAlive = Kernel.alive(helper);
            } finally {
                Thread closer = new Thread(p::close);
                closer.setDaemon(true);
                closer.start();
                closer.join(10_000);
                closed = !closer.isAlive();
                left = endLeftovers("sleep " + marker);
            }
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(helperAlive).as("the monitor (pid " + helper + ") after kill -KILL from inside").isTrue();
            soft.assertThat(closed).as("close() returned within 10 s").isTrue();
            soft.assertThat(left).as("processes of the sandbox left after close() (ended by the test)").isEmpty();
            soft.assertAll();
        }

        @Test
        @DisplayName("the monitor cannot be ptraced and its /proc files cannot be read")
        void theMonitorCannotBeTracedOrRead() throws Exception {
            try (SandboxedProcess p = Sandbox.builder().build().start("sh", "-c",
                    "read go; " + Attacks.ptraceAttach("$PPID") + Attacks.attempt("environ", "cat /proc/$PPID/environ"))) {
                long helper = Kernel.stat(p.pid(), 4);
                OutputStream in = p.getOutputStream();
                in.write("go\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
                if (!p.waitFor(3, TimeUnit.SECONDS)) {
                    LibC.get().kill((int) helper, SIGCONT); // left stopped by a successful attach
                }
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                Map<String, String> v = Attacks.verdicts(out);
                SoftAssertions soft = new SoftAssertions();
                soft.assertThat(v.get("ptrace")).as("PTRACE_ATTACH of the monitor").isEqualTo("refused Operation not permitted");
                soft.assertThat(Attacks.verdict(v, "environ")).as("cat /proc/<monitor>/environ").isEqualTo("refused");
                soft.assertAll();
            }
        }

        @Test
        @DisplayName("the JVM (the monitor's parent) can be neither signalled nor read nor written through /proc")
        void theJvmCannotBeSignalled() throws Exception {
            // only harmless signals: 0 (the permission check alone) and SIGCONT
            SandboxResult r = Sandbox.builder().build().run("sh", "-c",
                    "echo parent-of-monitor=$(cut -d' ' -f4 /proc/$PPID/stat 2>/dev/null); "
                            + Attacks.attempt("signal-jvm", "kill -0 " + JVM) + Attacks.attempt("cont-jvm", "kill -CONT " + JVM)
                            + Attacks.reachJvm(JVM));
            Map<String, String> v = Attacks.verdicts(r.stdout());
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(Attacks.verdict(v, "signal-jvm")).as("kill -0 of the JVM").isEqualTo("refused");
            soft.assertThat(Attacks.verdict(v, "cont-jvm")).as("kill -CONT of the JVM").isEqualTo("refused");
            assertJvmOutOfReach(soft, v);
            soft.assertAll();
        }
    }

    /** Neither the JVM's environment nor its memory can be opened, and no process but the command's own can be signalled. */
    static void assertJvmOutOfReach(SoftAssertions soft, Map<String, String> v) {
        soft.assertThat(Attacks.verdict(v, "jvm-environ")).as("reading /proc/<JVM>/environ").isEqualTo("refused");
        soft.assertThat(Attacks.verdict(v, "jvm-mem")).as("opening /proc/<JVM>/mem for writing").isEqualTo("refused");
        soft.assertThat(Attacks.verdict(v, "kill-all")).as("kill -0 -1 (any process besides the command)").isEqualTo("refused");
    }

    @Nested
    @DisplayName("host services stay out of reach (attack 9)")
    class HostServices {

        @BeforeEach
        void root() {
            requireRoot();
        }

        @Test
        @DisplayName("with readOnlyRoot and netNs, a host unix socket under /run cannot be reached and /run is empty")
        void hostUnixSocketsUnderRunAreOutOfReach() throws Exception {
            Path sock = Path.of("/run/sandbox-attack-" + UUID.randomUUID() + ".sock");
            try (ServerSocketChannel server = listenUnix(sock)) {
                SandboxResult r = Sandbox.builder().readOnlyRoot().netNs().build()
                        .run("sh", "-c", Attacks.connectUnix(sock.toString()) + "echo run=$(ls -A /run | tr '\\n' ' ')");
                Map<String, String> v = Attacks.verdicts(r.stdout());
                SocketChannel accepted = server.accept();
                if (accepted != null) {
                    accepted.close();
                }
                SoftAssertions soft = new SoftAssertions();
                soft.assertThat(Attacks.verdict(v, "connect")).as("connect to " + sock + ": " + r.stdout()).isEqualTo("refused");
                soft.assertThat(accepted).as("a connection the host's socket accepted").isNull();
                soft.assertThat(v.get("run").trim()).as("/run inside").isEmpty();
                soft.assertAll();
            } finally {
                Files.deleteIfExists(sock);
            }
            assertThat(sock).doesNotExist();
        }

        @ParameterizedTest(name = "with limits: {0}")
        @ValueSource(booleans = {false, true})
        @DisplayName("System V shared memory made inside is gone from the host when the sandbox has ended")
        void sharedMemoryStaysInTheSandbox(boolean limits) throws Exception {
            int key = freeShmKey();
            Sandbox.Builder b = Sandbox.builder();
            if (limits) {
                b.memoryMax(64L << 20);
            }
            boolean leaked;
            SandboxResult r;
            try {
                r = b.build().run("sh", "-c", Attacks.shmCreate(key));
            } finally {
                leaked = removeHostShm(key);
            }
            assertThat(Attacks.verdict(Attacks.verdicts(r.stdout()), "shm")).as("shmget inside: " + r.stdout()).isEqualTo("done");
            assertThat(leaked).as("a segment with key " + key + " in the host's /proc/sysvipc/shm (removed by the test)").isFalse();
            assertThat(hostShmKeys()).doesNotContain(key);
        }
    }

    /** {@code /proc/<pid>/status} once the kernel has finished {@code pid}'s execve of {@code name} (at most 5 s). */
    static String awaitExecDone(long pid, String name) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        String status = Kernel.read("/proc/" + pid + "/status");
        while (!Kernel.field(status, "Name").equals(name) && System.nanoTime() < deadline) {
            Thread.sleep(1);
            status = Kernel.read("/proc/" + pid + "/status");
        }
        return status;
    }

    static List<String> matrixNames() {
        return new ArrayList<>(SecurityDriver.matrix(Path.of("/tmp"), null).keySet());
    }

    @Nested
    @DisplayName("every configuration confines the command (read from the host's /proc)")
    class Confinement {

        @ParameterizedTest(name = "{0}")
        @MethodSource("dev.sandbox.SecurityIT#matrixNames")
        @DisplayName("root caller: no capabilities, NoNewPrivs, Seccomp 2, own session")
        void confinedAsRoot(String config, @TempDir Path out) throws Exception {
            requireRoot();
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
            try (SandboxedProcess p = SecurityDriver.matrix(out, null).get(config).build().start("/bin/sleep", "30")) {
                // start() returns once execve passed its point of no return (the close-on-exec of the
                // command's descriptors), as ProcessBuilder's does; the kernel sets the new name and
                // credentials a moment later, in the same execve.
                String status = awaitExecDone(p.pid(), "sleep");
                assertThat(Kernel.field(status, "Name")).isEqualTo("sleep");
                SoftAssertions soft = new SoftAssertions();
                assertConfined(soft, config, status, Kernel.read("/proc/" + p.pid() + "/stat"), p.pid());
                soft.assertAll();
            }
        }
    }

    @Nested
    @DisplayName("a root caller's command runs under an unprivileged host uid")
    class HostIds {

        @BeforeEach
        void root() {
            requireRoot();
        }

        /** The host ids a user namespace map points to; fails on a map that reaches 0 or 65534. */
        private void assertMapAvoidsRootAndNobody(SoftAssertions soft, String what, String map) {
            soft.assertThat(map.strip()).as(what).isNotEmpty();
            for (String line : map.strip().split("\n")) {
                String[] f = line.trim().split("\\s+");
                long outside = Long.parseLong(f[1]);
                long count = Long.parseLong(f[2]);
                soft.assertThat(outside > 0 || outside + count <= 0).as(what + " line '" + line.trim() + "' maps host id 0").isTrue();
                soft.assertThat(NOBODY >= outside && NOBODY < outside + count)
                        .as(what + " line '" + line.trim() + "' maps host id 65534").isFalse();
            }
        }

        @ParameterizedTest(name = "mapRootUser: {0}")
        @ValueSource(booleans = {false, true})
        @DisplayName("uid_map, gid_map, Uid, Gid and Groups show neither 0 nor 65534")
        void rootInsideIsAnUnprivilegedHostUid(boolean mapRootUser) throws Exception {
            Sandbox.Builder b = Sandbox.builder();
            if (mapRootUser) {
                b.mapRootUser();
            }
            try (SandboxedProcess p = b.build().start("sleep", "30")) {
                String status = Kernel.read("/proc/" + p.pid() + "/status");
                SoftAssertions soft = new SoftAssertions();
                assertMapAvoidsRootAndNobody(soft, "uid_map", Kernel.read("/proc/" + p.pid() + "/uid_map"));
                assertMapAvoidsRootAndNobody(soft, "gid_map", Kernel.read("/proc/" + p.pid() + "/gid_map"));
                for (String ids : List.of("Uid", "Gid")) {
                    String[] f = Kernel.field(status, ids).split("\\s+");
                    soft.assertThat(f).as(ids + " (real, effective, saved, fs) on the host").hasSize(4).containsOnly(f[0])
                            .doesNotContain("0", Integer.toString(NOBODY));
                }
                soft.assertThat(Kernel.field(status, "Groups").split("\\s+")).as("Groups on the host").doesNotContain("0");
                soft.assertAll();
            }
        }

        @Test
        @DisplayName("two sandboxes running at once get different host uids")
        void concurrentSandboxesGetDifferentHostUids() throws Exception {
            Sandbox s = Sandbox.builder().build();
            try (SandboxedProcess a = s.start("sleep", "30"); SandboxedProcess b = s.start("sleep", "30")) {
                String uidA = Kernel.status(a.pid(), "Uid").split("\\s+")[1];
                String uidB = Kernel.status(b.pid(), "Uid").split("\\s+")[1];
                assertThat(uidA).as("effective host uid of the first").isNotEqualTo("0");
                assertThat(uidA).as("effective host uids of two concurrent sandboxes").isNotEqualTo(uidB);
            }
        }

        @Test
        @DisplayName("a new user namespace cannot be made inside (unshare -U)")
        void unshareUserIsRefused() throws Exception {
            SandboxResult r = Sandbox.builder().build().run("unshare", "-U", "true");
            assertThat(r.exitCode()).as("unshare -U true: " + r.stderr()).isNotZero();
        }

        @Test
        @DisplayName("a setuid-root binary gains nothing: a non-zero euid and no capabilities")
        void aSetuidRootBinaryGainsNothing(@TempDir Path dir) throws Exception {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            HostRequirement.require(!Kernel.host("findmnt", "-no", "OPTIONS", "-T", dir.toString()).contains("nosuid"),
                    dir + " is on a nosuid file system");
            Path id = setuidRootCopy("/usr/bin/id", dir);
            Path sleep = setuidRootCopy("/usr/bin/sleep", dir);
            Sandbox s = Sandbox.builder().build();
            SandboxResult r = s.run(id.toString(), "-u");
            try (SandboxedProcess p = s.start(sleep.toString(), "30")) {
                String status = Kernel.read("/proc/" + p.pid() + "/status");
                SoftAssertions soft = new SoftAssertions();
                soft.assertThat(r.stdout().strip()).as("euid printed by a setuid-root id").isNotEqualTo("0");
                soft.assertThat(Kernel.field(status, "Uid").split("\\s+")[1]).as("host euid of a setuid-root sleep").isNotEqualTo("0");
                soft.assertThat(Kernel.field(status, "CapEff")).as("CapEff of a setuid-root sleep").isEqualTo(NO_CAPS);
                soft.assertAll();
            }
        }

        @Test
        @DisplayName("a file root inside writes to a read-write bind belongs to the directory's owner on the host")
        void filesWrittenToABindBelongToTheDirectorysOwner(@TempDir Path dir) throws Exception {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            SandboxResult r = Sandbox.builder().mapRootUser().bind(dir, "/out").build().run("sh", "-c", "echo x > /out/owned");
            assertThat(r.exitCode()).as("writing /out/owned: " + r.stderr()).isZero();
            assertThat(Files.getAttribute(dir.resolve("owned"), "unix:uid")).as("owner on the host")
                    .isEqualTo(Files.getAttribute(dir, "unix:uid"));
        }
        @Test
        @DisplayName("a read-only bind is idmapped where the file system allows it, and a plain read-only bind where it cannot be idmapped (sysfs)")
        void aReadOnlyBindOfAFileSystemThatCannotBeIdmappedIsAPlainOne(@TempDir Path dir) throws Exception {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Files.writeString(dir.resolve("f"), "root's own\n");
            // statfs(2)'s type of the file system the directory is on (the JDK's FileStore goes by the mount
            // table and may name a file system mounted over): ext4 shows as ext2/ext3
            String type = Kernel.host("stat", "-f", "-c", "%T", dir.toString()).strip();
            HostRequirement.require(type.matches("ext2/ext3|xfs|btrfs"), dir + " is on " + type + ", which this test cannot count on to be idmappable");
            SandboxResult r = Sandbox.builder().readOnlyBind(dir, "/mine").readOnlyBind(Path.of("/sys/kernel"), "/k").build()
                    .run("sh", "-c", "cat /mine/f && test -d /k/mm && grep -E ' /(mine|k) ' /proc/self/mountinfo");
            assertThat(r.exitCode()).as("reading both binds: " + r.stderr()).isZero();
            List<String> lines = r.stdout().lines().toList();
            assertThat(lines.get(0)).as("a 0700 root directory, idmapped to the command's uid").isEqualTo("root's own");
            String mine = lines.stream().filter(l -> l.contains(" /mine ")).findFirst().orElseThrow();
            String k = lines.stream().filter(l -> l.contains(" /k ")).findFirst().orElseThrow();
            assertThat(mine).as("ext4 bind in mountinfo").contains(" ro,").contains("idmapped");
            assertThat(k).as("sysfs bind in mountinfo").contains(" ro,").doesNotContain("idmapped");
        }

        @Test
        @DisplayName("a writable bind of a file system that cannot be idmapped fails with step idmap, EINVAL and what to do")
        void aWritableBindOfAFileSystemThatCannotBeIdmappedFails() {
            assertThatThrownBy(() -> Sandbox.builder().bind(Path.of("/sys/kernel"), "/k").build().run("true"))
                    .isInstanceOfSatisfying(SandboxException.class, e -> {
                        assertThat(e.step()).isEqualTo("idmap");
                        assertThat(e.errnoName()).isEqualTo("EINVAL");
                        assertThat(e.getMessage()).contains("/sys/kernel").contains("readOnlyBind").contains("runAsCallerUid()");
                    });
        }
    }

    @Nested
    @DisplayName("with SYS_ADMIN kept and seccomp unconfined, the locked mounts alone hold")
    class LockedMounts {

        @Test
        @DisplayName("umount /proc, a read-write remount of a read-only bind and umount of a tmpfs cover all fail; CapEff is SYS_ADMIN alone")
        void mountsStayLockedWithSysAdmin(@TempDir Path dir) throws Exception {
            requireRoot();
            // everyone may write and read here: only the mounts' read-only flag and cover stand in the way
            Path ro = Files.createDirectory(dir.resolve("ro"));
            Path hidden = Files.createDirectory(dir.resolve("hidden"));
            Files.writeString(ro.resolve("file"), "original\n");
            Files.writeString(hidden.resolve("secret"), "SECRET\n");
            for (Path p : List.of(dir, ro, hidden)) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            for (Path p : List.of(ro.resolve("file"), hidden.resolve("secret"))) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-rw-rw-"));
            }
            Sandbox s = Sandbox.builder().mapRootUser().pidNs().readOnlyRoot()
                    .readOnlyBind(ro, "/data").tmpfs(hidden.toString())
                    .keepCapabilities(Capability.SYS_ADMIN).seccomp(SeccompPolicy.unconfined()).build();
            String attack = Attacks.attempt("umount-proc", "umount /proc || umount -l /proc") + Attacks.seesHostPid(JVM)
                    + Attacks.makeWritable("/data") + Attacks.WRITE + Attacks.attempt("ro-write", "wr /data/file changed")
                    + Attacks.attempt("umount-tmpfs", "umount " + hidden + " || umount -l " + hidden)
                    + "echo secret=$(cat " + hidden + "/secret 2>/dev/null); echo ready; exec sleep 30";
            try (SandboxedProcess p = s.start("sh", "-c", attack)) {
                String out = readUntil(p, "ready");
                Map<String, String> v = Attacks.verdicts(out);
                SoftAssertions soft = new SoftAssertions();
                soft.assertThat(Kernel.status(p.pid(), "CapEff")).as("CapEff on the host: bit 21 (SYS_ADMIN) alone")
                        .isEqualTo("0000000000200000");
                soft.assertThat(Attacks.verdict(v, "umount-proc")).as("umount /proc: " + out).isEqualTo("refused");
                soft.assertThat(Attacks.verdict(v, "host-pid")).as("this JVM's pid in the sandbox's /proc").isEqualTo("hidden");
                soft.assertThat(Attacks.verdict(v, "ro-write")).as("write after remounting /data read-write").isEqualTo("refused");
                soft.assertThat(Files.readString(ro.resolve("file"))).as("the host file behind the read-only bind").isEqualTo("original\n");
                soft.assertThat(Attacks.verdict(v, "umount-tmpfs")).as("umount of the tmpfs cover").isEqualTo("refused");
                soft.assertThat(v.get("secret")).as("the covered file, read after the umount").doesNotContain("SECRET");
                soft.assertAll();
            }
        }
    }

    @Nested
    @DisplayName("a seccomp policy of the caller's own is enforced")
    class OwnSeccompPolicy {

        @Test
        @DisplayName("a rule mkdir -> errno 13 makes mkdir fail with Permission denied (and without it, mkdir works)")
        void errnoRuleRefusesTheCall() throws Exception {
            SeccompPolicy noMkdir = SeccompPolicy.builder().defaultAction(SeccompPolicy.Action.allow())
                    .rule("mkdir", SeccompPolicy.Action.errno(13)).build();
            Sandbox.Builder b = Sandbox.builder().mapRootUser().tmpfs("/tmp");
            SandboxResult denied = b.seccomp(noMkdir).build().run("mkdir", "/tmp/x");
            SandboxResult allowed = b.seccomp(SeccompPolicy.unconfined()).build().run("mkdir", "/tmp/x");
            assertThat(allowed.exitCode()).as("mkdir without the rule: " + allowed.stderr()).isZero();
            assertThat(denied.exitCode()).isNotZero();
            assertThat(denied.stderr()).contains("Permission denied");
        }

        @Test
        @DisplayName("a rule getppid -> killProcess ends the command with SIGSYS (31)")
        void killProcessRuleEndsTheCommandWithSigsys() throws Exception {
            SeccompPolicy noGetppid = SeccompPolicy.builder().defaultAction(SeccompPolicy.Action.allow())
                    .rule("getppid", SeccompPolicy.Action.killProcess()).build();
            SandboxResult r = Sandbox.builder().seccomp(noGetppid).build().run("perl", "-e", "print getppid(), qq(\n)");
            assertThat(r.signal()).as("signal; stdout " + r.stdout() + " stderr " + r.stderr()).isEqualTo(31);
            assertThat(r.stdout()).isEmpty();
        }
    }

    /**
     * The same attacks by an unprivileged caller: {@link SecurityDriver} runs as uid 65534 in a
     * child JVM, reports each attack, and waits while this test reads the host's view of a
     * running sandbox.
     */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @DisplayName("an unprivileged caller (uid 65534)")
    class AsNobody {

        private Path work;
        private final Map<String, String> results = new HashMap<>();
        private final Map<String, Integer> exits = new HashMap<>();
        private final Map<String, Snapshot> seen = new HashMap<>();
        private String marker;
        private Path socket;
        private int shmKey;
        private final List<Integer> leakedShm = new ArrayList<>();
        private List<Long> leftovers = List.of();
        private boolean delegated;
        private boolean acceptedConnection;

        /** The host's view of a running sandbox the driver named. */
        record Snapshot(String status, String stat, long pid, String helperState) {
        }

        @BeforeAll
        void runDriver() throws Exception {
            requireRoot();
            HostRequirement.require(Kernel.onPath("setpriv"), "needs setpriv (util-linux) to drop to uid 65534");
            work = Files.createTempDirectory("sandbox-security");
            Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (String d : List.of("out", "tmp", "ro", "hidden")) {
                Path dir = Files.createDirectory(work.resolve(d));
                Files.setAttribute(dir, "unix:uid", NOBODY);
                Files.setAttribute(dir, "unix:gid", NOBODY);
            }
            for (Path f : List.of(Files.writeString(work.resolve("ro/file"), "original\n"),
                    Files.writeString(work.resolve("hidden/secret"), "SECRET\n"))) {
                Files.setAttribute(f, "unix:uid", NOBODY);
                Files.setAttribute(f, "unix:gid", NOBODY);
            }
            Path suid = Files.createDirectory(work.resolve("suid"));
            Files.setPosixFilePermissions(suid, PosixFilePermissions.fromString("rwxr-xr-x"));
            setuidRootCopy("/usr/bin/id", suid);
            setuidRootCopy("/usr/bin/sleep", suid);
            marker = marker();
            socket = Path.of("/run/sandbox-attack-" + UUID.randomUUID() + ".sock");
            shmKey = freeShmKey();
            String cp = ForOthers.copy(ForOthers.classpath(), work.resolve("cp"));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<Path> subtree = new ArrayList<>();
            try (ServerSocketChannel server = listenUnix(socket)) {
                RootlessIT.Delegation delegation = RootlessIT.delegate("sandbox-security-core");
                subtree = delegation.dirs();
                delegated = delegation.any();
                List<String> cmd = new ArrayList<>(delegation.launcher());
                cmd.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                        java, "-Djava.io.tmpdir=" + work.resolve("tmp"), "-cp", cp, SecurityDriver.class.getName(),
                        "work=" + work, "marker=" + marker, "socket=" + socket, "shmKey=" + shmKey));
                if (delegated) {
                    cmd.add("delegated=" + delegation.prefix());
                }
                Process driver = new ProcessBuilder(cmd).redirectError(Redirect.INHERIT).start();
                // an attack that wedges the driver (a stopped monitor blocks start()) must not wedge the build
                CompletableFuture.delayedExecutor(90, TimeUnit.SECONDS).execute(driver::destroyForcibly);
                try {
                    drive(driver);
                    assertThat(driver.waitFor(60, TimeUnit.SECONDS)).as("driver ended").isTrue();
                } finally {
                    driver.destroyForcibly();
                    SocketChannel accepted = server.accept();
                    acceptedConnection = accepted != null;
                    if (accepted != null) {
                        accepted.close();
                    }
                }
            } finally {
                Files.deleteIfExists(socket);
                leftovers = endLeftovers("sleep " + marker);
                for (int key : new int[] {shmKey, shmKey + 1}) {
                    if (removeHostShm(key)) {
                        leakedShm.add(key);
                    }
                }
                undelegateWhenEmpty(subtree);
            }
        }

        /** The driver's helpers leave its groups within a second of its exit; until then rmdir says EBUSY. */
        private void undelegateWhenEmpty(List<Path> subtree) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (true) {
                try {
                    RootlessIT.undelegate(subtree);
                    return;
                } catch (IOException busy) {
                    if (System.nanoTime() > deadline) {
                        throw busy;
                    }
                    Thread.sleep(100);
                }
            }
        }

        private void drive(Process driver) throws Exception {
            BufferedReader r = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8));
            OutputStream to = driver.getOutputStream();
            String line;
            while ((line = r.readLine()) != null) {
                String[] f = line.split(" ", -1);
                switch (f[0]) {
                    case "PID" -> {
                        long pid = Long.parseLong(f[2]);
                        long helper = Long.parseLong(f[3]);
                        String helperStatus = helper <= 0 ? "" : readIfThere("/proc/" + helper + "/status");
                        String helperState = helper <= 0 ? null : helperStatus.isEmpty() ? "gone" : Kernel.field(helperStatus, "State");
                        seen.put(f[1], new Snapshot(readIfThere("/proc/" + pid + "/status"), readIfThere("/proc/" + pid + "/stat"),
                                pid, helperState));
                        to.write('\n');
                        to.flush();
                    }
                    case "RESULT" -> {
                        exits.put(f[1], Integer.parseInt(f[2]));
                        results.put(f[1], decode(f[4]));
                    }
                    case "ERROR" -> results.put(f[1], "ERROR " + decode(f[2]));
                    default -> throw new AssertionError("unexpected driver output: " + line);
                }
            }
        }

        private static String readIfThere(String file) throws IOException {
            try {
                return Kernel.read(file);
            } catch (java.nio.file.NoSuchFileException gone) {
                return "";
            }
        }

        @AfterAll
        void removeWork() throws IOException {
            if (work != null) {
                ForOthers.deleteTree(work);
            }
        }

        private Map<String, String> verdicts(String name) {
            String out = results.get(name);
            assertThat(out).as("the driver's report of " + name).isNotNull().doesNotStartWith("ERROR");
            return Attacks.verdicts(out);
        }

        private static String decode(String b64) {
            return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("dev.sandbox.SecurityIT#matrixNames")
        @DisplayName("every configuration: no capabilities, NoNewPrivs, Seccomp 2, own session, never host root")
        void confined(String config) {
            if (config.equals("limits")) {
                HostRequirement.require(delegated, "limits for uid 65534 need a cgroup subtree delegated to it (v1 or v2)");
            }
            Snapshot s = seen.get("matrix:" + config);
            assertThat(s).as("host view of " + config + "; driver said: " + results.get("matrix:" + config)).isNotNull();
            SoftAssertions soft = new SoftAssertions();
            assertConfined(soft, config, s.status(), s.stat(), s.pid());
            soft.assertThat(Kernel.field(s.status(), "Uid").split("\\s+")).as("Uid on the host").doesNotContain("0");
            soft.assertAll();
        }

        @Test
        @DisplayName("remounting a read-only bind read-write and writing fails; the host file is unchanged")
        void remountingAReadOnlyBindFails() throws Exception {
            assertThat(Attacks.verdict(verdicts("ro-bind"), "ro-write")).as(results.get("ro-bind")).isEqualTo("refused");
            assertThat(Files.readString(work.resolve("ro/file"))).isEqualTo("original\n");
        }

        @Test
        @DisplayName("keeping CAP_SYS_ADMIN without seccomp: /proc, a read-only bind and a tmpfs cover still hold (locked)")
        void mountsStayLockedWithSysAdmin() throws Exception {
            Map<String, String> v = verdicts("locked");
            String out = results.get("locked");
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(out).as("the command kept SYS_ADMIN alone").contains("CapEff:\t0000000000200000");
            soft.assertThat(Attacks.verdict(v, "umount-proc")).as(out).isEqualTo("refused");
            soft.assertThat(Attacks.verdict(v, "host-pid")).as(out).isEqualTo("hidden");
            soft.assertThat(Attacks.verdict(v, "ro-write")).as(out).isEqualTo("refused");
            soft.assertThat(Files.readString(work.resolve("ro/file"))).isEqualTo("original\n");
            soft.assertThat(Attacks.verdict(v, "umount-tmpfs")).as(out).isEqualTo("refused");
            soft.assertThat(v.get("secret")).as("the covered file, read after the umount").doesNotContain("SECRET");
            soft.assertAll();
        }

        @Test
        @DisplayName("unmounting a tmpfs does not reveal the host directory it hides")
        void unmountingATmpfsRevealsNothing() {
            Map<String, String> v = verdicts("tmpfs");
            assertThat(Attacks.verdict(v, "umount-tmpfs")).as(results.get("tmpfs")).isEqualTo("refused");
            assertThat(v.get("secret")).as("the hidden file, read after the umount").doesNotContain("SECRET");
        }

        @Test
        @DisplayName("unmounting /proc does not reveal the host's processes")
        void unmountingProcRevealsNothing() {
            Map<String, String> v = verdicts("proc");
            assertThat(Attacks.verdict(v, "umount-proc")).as(results.get("proc")).isEqualTo("refused");
            assertThat(Attacks.verdict(v, "host-pid")).as("the driver's pid in the sandbox's /proc").isEqualTo("hidden");
        }

        @Test
        @DisplayName("TIOCSTI types nothing into the caller's terminal")
        void tiocstiTypesNothing() {
            Map<String, String> v = verdicts("tiocsti");
            assertThat(Attacks.verdict(v, "tiocsti")).as(results.get("tiocsti")).isEqualTo("refused");
            assertThat(v.get("master")).as("what reached the master side").doesNotContain("x");
        }

        @Test
        @DisplayName("SIGSTOP to the monitor: it runs on and the timeout ends the sandbox")
        void stoppingTheMonitorFails() {
            Snapshot s = seen.get("stop");
            assertThat(s).as("host view; driver said: " + results.get("stop")).isNotNull();
            Map<String, String> v = verdicts("stop");
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(s.helperState()).as("State of the monitor after kill -STOP from inside").doesNotStartWith("T");
            soft.assertThat(v.get("returned")).as("waitFor returned within 6 s").isEqualTo("true");
            soft.assertThat(v.get("timed-out")).as("timedOut()").isEqualTo("true");
            soft.assertAll();
        }

        @Test
        @DisplayName("SIGKILL to the monitor: it survives, and close() leaves no process")
        void killingTheMonitorFails() {
            Snapshot s = seen.get("kill");
            assertThat(s).as("host view; driver said: " + results.get("kill")).isNotNull();
            Map<String, String> v = verdicts("kill");
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(s.helperState()).as("the monitor after kill -KILL from inside").isNotEqualTo("gone").doesNotStartWith("Z");
            soft.assertThat(v.get("closed")).as("close() returned").isEqualTo("true");
            soft.assertThat(v.get("left")).as("processes left after close(), seen by the driver").isEqualTo("[]");
            soft.assertThat(leftovers).as("processes left after the driver ended (ended by the test)").isEmpty();
            soft.assertAll();
        }

        @Test
        @DisplayName("the monitor cannot be ptraced and its /proc files cannot be read")
        void theMonitorCannotBeTracedOrRead() {
            Map<String, String> v = verdicts("monitor-access");
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(v.get("ptrace")).as("PTRACE_ATTACH of the monitor").isEqualTo("refused Operation not permitted");
            soft.assertThat(Attacks.verdict(v, "environ")).as("cat /proc/<monitor>/environ").isEqualTo("refused");
            soft.assertAll();
        }

        @Test
        @DisplayName("the driver's JVM can be neither signalled nor read nor written through /proc; kill -1 reaches nothing")
        void theJvmCannotBeSignalled() {
            Map<String, String> v = verdicts("jvm");
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(Attacks.verdict(v, "signal-jvm")).as("kill -0 of the JVM").isEqualTo("refused");
            soft.assertThat(Attacks.verdict(v, "cont-jvm")).as("kill -CONT of the JVM").isEqualTo("refused");
            assertJvmOutOfReach(soft, v);
            soft.assertAll();
        }

        @Test
        @DisplayName("with readOnlyRoot and netNs, a host unix socket under /run cannot be reached and /run is empty")
        void hostUnixSocketsAreOutOfReach() {
            Map<String, String> v = verdicts("socket");
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(Attacks.verdict(v, "connect")).as(results.get("socket")).isEqualTo("refused");
            soft.assertThat(acceptedConnection).as("a connection the host's socket accepted").isFalse();
            soft.assertThat(v.get("run").trim()).as("/run inside").isEmpty();
            soft.assertAll();
        }

        @Test
        @DisplayName("System V shared memory made inside is gone from the host afterwards")
        void sharedMemoryStaysInTheSandbox() {
            assertThat(Attacks.verdict(verdicts("shm"), "shm")).as(results.get("shm")).isEqualTo("done");
            if (delegated) {
                assertThat(Attacks.verdict(verdicts("shm-limits"), "shm")).as(results.get("shm-limits")).isEqualTo("done");
            }
            assertThat(leakedShm).as("segments left in the host's /proc/sysvipc/shm (removed by the test)").isEmpty();
        }

        @Test
        @DisplayName("a new user namespace cannot be made inside (unshare -U)")
        void unshareUserIsRefused() {
            assertThat(exits.get("unshare")).as("unshare -U true: " + results.get("unshare")).isNotNull().isNotZero();
        }

        @Test
        @DisplayName("a setuid-root binary gains nothing: euid 65534 and no capabilities")
        void aSetuidRootBinaryGainsNothing() {
            Snapshot s = seen.get("setuid-sleep");
            assertThat(s).as("host view; driver said: " + results.get("setuid-sleep")).isNotNull();
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(results.get("setuid-id")).as("euid printed by a setuid-root id").isEqualTo(NOBODY + "\n");
            soft.assertThat(Kernel.field(s.status(), "Uid").split("\\s+")[1]).as("host euid of a setuid-root sleep")
                    .isEqualTo(Integer.toString(NOBODY));
            soft.assertThat(Kernel.field(s.status(), "CapEff")).as("CapEff of a setuid-root sleep").isEqualTo(NO_CAPS);
            soft.assertAll();
        }

        @Test
        @DisplayName("a file root inside writes to a read-write bind belongs to uid 65534 on the host")
        void filesWrittenToABindBelongTo65534() throws Exception {
            assertThat(exits.get("bind-owner")).as(results.get("bind-owner")).isEqualTo(0);
            assertThat(Files.getAttribute(work.resolve("out/owned"), "unix:uid")).isEqualTo(NOBODY);
        }
    }
}
