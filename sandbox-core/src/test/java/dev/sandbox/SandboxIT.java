package dev.sandbox;

import dev.sandbox.testing.HostRequirement;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("A sandbox, checked against the kernel's own view")
class SandboxIT {

    @Nested
    @DisplayName("runs commands")
    class Runs {

        @Test
        void reportsExitCodesAndOutput() throws Exception {
            Sandbox s = Sandbox.builder().build();
            SandboxResult r = s.run("sh", "-c", "echo out; echo err >&2; exit 3");
            assertThat(r.exitCode()).isEqualTo(3);
            assertThat(r.signal()).isZero();
            assertThat(r.stdout()).isEqualTo("out\n");
            assertThat(r.stderr()).isEqualTo("err\n");
            assertThat(r.timedOut()).isFalse();
            assertThat(r.wallTime()).isPositive();
        }

        @Test
        void reportsDeathBySignalAsTheShellDoes() throws Exception {
            SandboxResult r = Sandbox.builder().pidNs().build().run("sh", "-c", "kill -KILL $$");
            assertThat(r.signal()).isEqualTo(9);
            assertThat(r.exitCode()).isEqualTo(128 + 9);
        }

        @Test
        void measuresCpuTimeOfTheCommand() throws Exception {
            SandboxResult r = Sandbox.builder().pidNs().build()
                    .run("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done");
            assertThat(r.exitCode()).isZero();
            assertThat(r.cpuTime()).isGreaterThan(Duration.ofMillis(20));
            assertThat(r.maxRssKib()).isPositive();
        }

        @Test
        void feedsStdinAndReadsStdoutAsAProcess() throws Exception {
            try (SandboxedProcess p = Sandbox.builder().pidNs().build().start("tr", "a-z", "A-Z")) {
                Process asProcess = p;
                // the handle is the kernel's process: its command line is the sandboxed command's
                assertThat(asProcess.toHandle().pid()).isEqualTo(p.pid());
                assertThat(Kernel.read("/proc/" + p.pid() + "/cmdline")).isEqualTo("tr\0a-z\0A-Z\0");
                try (OutputStream in = asProcess.getOutputStream()) {
                    in.write("hello\n".getBytes(StandardCharsets.UTF_8));
                }
                assertThat(new String(asProcess.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                        .isEqualTo("HELLO\n");
                assertThat(asProcess.waitFor()).isZero();
                assertThat(asProcess.onExit().get(5, TimeUnit.SECONDS)).isSameAs(p);
                assertThat(asProcess.isAlive()).isFalse();
            }
        }

        @Test
        void redirectsToFilesLikeProcessBuilder(@TempDir Path dir) throws Exception {
            Path in = Files.writeString(dir.resolve("in"), "from a file\n");
            Path out = dir.resolve("out");
            Sandbox s = Sandbox.builder()
                    .redirectInput(Redirect.from(in.toFile()))
                    .redirectOutput(Redirect.to(out.toFile()))
                    .redirectErrorStream(true)
                    .build();
            SandboxResult r = s.run("sh", "-c", "cat; echo to-stderr >&2");
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout()).isEmpty();
            assertThat(Files.readString(out)).isEqualTo("from a file\nto-stderr\n");
        }

        @Test
        void discardsOutput() throws Exception {
            SandboxResult r = Sandbox.builder().redirectOutput(Redirect.DISCARD).build().run("echo", "gone");
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout()).isEmpty();
        }

        @Test
        void passesArgumentsAndEnvironmentByteForByte() throws Exception {
            String tricky = "spaces  \"quotes\" 'single' $HOME \\ \t tab ünïcödé";
            SandboxResult r = Sandbox.builder().clearEnv().env("ONLY", tricky).build()
                    .run("/bin/sh", "-c", "printf '%s|' \"$1\" \"$ONLY\"; env | sort", "sh", tricky);
            assertThat(r.stdout()).startsWith(tricky + "|" + tricky + "|");
            // clearEnv: the command's environment holds exactly what was set (sh adds PWD only)
            assertThat(r.stdout().substring(r.stdout().indexOf("|", tricky.length() + 1) + 1).lines()
                    .filter(l -> !l.startsWith("PWD=") && !l.startsWith("SHLVL=") && !l.startsWith("_=")))
                    .containsExactly("ONLY=" + tricky);
        }
    }

    @Nested
    @DisplayName("creates exactly the namespaces asked for")
    class Namespaces {

        @ParameterizedTest
        @EnumSource(Namespace.class)
        void eachNamespaceDiffersFromTheHostsExactlyWhenRequested(Namespace requested) throws Exception {
            Sandbox.Builder b = Sandbox.builder();
            switch (requested) {
                case USER -> b.userNs();
                case MOUNT -> b.mountNs();
                case PID -> b.pidNs();
                case NET -> b.netNs();
                case UTS -> b.utsNs();
                case IPC -> b.ipcNs();
                case CGROUP -> b.cgroupNs();
                case TIME -> b.timeNs();
            }
            Sandbox s = b.build();
            try (SandboxedProcess p = s.start("sleep", "30")) {
                for (Namespace ns : Namespace.values()) {
                    String inside = Kernel.namespace(p.pid(), ns.procName());
                    String host = Kernel.namespaceOfSelf(ns.procName());
                    if (s.namespaces().contains(ns)) {
                        assertThat(inside).as(ns + " namespace of the command").isNotEqualTo(host);
                    } else {
                        assertThat(inside).as(ns + " namespace of the command").isEqualTo(host);
                    }
                }
                assertThat(s.namespaces()).contains(requested);
            }
        }

        @Test
        @DisplayName("without namespaces asked for, the command shares the host's but for its own user and IPC namespaces")
        void withoutNamespacesTheCommandSharesAllOfTheHostsButUserAndIpc() throws Exception {
            try (SandboxedProcess p = Sandbox.builder().build().start("sleep", "30")) {
                for (Namespace ns : Namespace.values()) {
                    String inside = Kernel.namespace(p.pid(), ns.procName());
                    if (ns == Namespace.USER || ns == Namespace.IPC) {
                        assertThat(inside).as(ns.procName()).isNotEqualTo(Kernel.namespaceOfSelf(ns.procName()));
                    } else {
                        assertThat(inside).as(ns.procName()).isEqualTo(Kernel.namespaceOfSelf(ns.procName()));
                    }
                }
            }
        }

        @Test
        void pidNamespaceHasAnInitAndAFreshProc() throws Exception {
            Sandbox s = Sandbox.builder().pidNs().build();
            try (SandboxedProcess p = s.start("sh", "-c", "echo $$; ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '; echo; sleep 30")) {
                // NSpid lists the pid in each namespace from the host's down: host pid, then 2.
                String status = Kernel.read("/proc/" + p.pid() + "/status");
                String nspid = status.lines().filter(l -> l.startsWith("NSpid:")).findFirst().orElseThrow();
                assertThat(nspid.split("\\s+")).containsExactly("NSpid:", Long.toString(p.pid()), "2");
                String initStatus = Kernel.read("/proc/" + p.initPid() + "/status");
                assertThat(initStatus.lines().filter(l -> l.startsWith("NSpid:")).findFirst().orElseThrow().split("\\s+"))
                        .containsExactly("NSpid:", Long.toString(p.initPid()), "1");
                assertThat(readLine(p.getInputStream())).isEqualTo("2");
                // only the sandbox's own processes: init, sh, and the ls/sort/grep/tr of that pipeline
                assertThat(Arrays.stream(readLine(p.getInputStream()).trim().split(" ")).mapToInt(Integer::parseInt).max().orElseThrow())
                        .isLessThan(20);
            }
        }

        @Test
        void theCommandsHostPidIsKnownEvenWhenItEndsAtOnce() throws Exception {
            Sandbox s = Sandbox.builder().pidNs().build();
            for (int i = 0; i < 20; i++) {
                try (SandboxedProcess p = s.start("true")) {
                    assertThat(p.pid()).isPositive().isNotEqualTo(p.initPid());
                    assertThat(p.waitFor()).isZero();
                }
            }
        }

        @Test
        void hostnameIsSetInsideAndTheHostKeepsItsOwn() throws Exception {
            String before = Kernel.read("/proc/sys/kernel/hostname");
            SandboxResult r = Sandbox.builder().hostname("box").build().run("cat", "/proc/sys/kernel/hostname");
            assertThat(r.stdout()).isEqualTo("box\n");
            assertThat(Kernel.read("/proc/sys/kernel/hostname")).isEqualTo(before);
        }

        @Test
        void networkNamespaceHasOnlyLoopbackAndItIsUp() throws Exception {
            HostRequirement.require(Kernel.onPath("nsenter") && Kernel.onPath("ip"),
                    "needs nsenter (util-linux) and ip (iproute2) to read the namespace from the host");
            try (SandboxedProcess p = Sandbox.builder().netNs().build().start("sleep", "30")) {
                String links = Kernel.host("nsenter", "--net=/proc/" + p.pid() + "/ns/net", "ip", "-j", "link", "show");
                assertThat(links).contains("\"ifname\":\"lo\"");
                assertThat(links.split("\"ifname\"")).hasSize(2); // exactly one interface
                assertThat(links).contains("\"UP\"");
            }
        }

        @Test
        void readOnlyRootWithNetworkNamespaceShowsOnlyItsOwnDevicesInSys() throws Exception {
            SandboxResult r = Sandbox.builder().readOnlyRoot().netNs().build()
                    .run("sh", "-c", "ls /sys/class/net; touch /sys/x 2>&1 | grep -c Read-only");
            assertThat(r.stdout()).isEqualTo("lo\n1\n");
        }

        @Test
        @DisplayName("mapRootUser() maps root inside to the caller, or for a root caller to an unprivileged host uid")
        void mapRootUserMapsTheCallerToRootInside() throws Exception {
            int uid = dev.sandbox.internal.LibC.get().geteuid();
            try (SandboxedProcess p = Sandbox.builder().mapRootUser().build().start("sleep", "30")) {
                // read from the host: the map of the command's own (nested, mount-locking) namespace
                // as the host sees it, down to host ids
                String[] uidMap = Kernel.read("/proc/" + p.pid() + "/uid_map").trim().split("\\s+");
                String[] gidMap = Kernel.read("/proc/" + p.pid() + "/gid_map").trim().split("\\s+");
                assertThat(uidMap[0]).isEqualTo("0");
                assertThat(gidMap[0]).isEqualTo("0");
                if (uid == 0) {
                    assertThat(Long.parseLong(uidMap[1])).isNotIn(0L, 65534L);
                    assertThat(Long.parseLong(gidMap[1])).isNotIn(0L, 65534L);
                    assertThat(Kernel.read("/proc/" + p.pid() + "/status")).containsPattern("Uid:\\t" + uidMap[1] + "\\t");
                } else {
                    assertThat(uidMap[1]).isEqualTo(Integer.toString(uid));
                    assertThat(gidMap[1]).isEqualTo(Integer.toString(dev.sandbox.internal.LibC.get().getegid()));
                }
            }
            assertThat(Sandbox.builder().mapRootUser().build().run("id", "-u").stdout()).isEqualTo("0\n");
        }
    }

    @Nested
    @DisplayName("builds the file system view")
    class FileSystem {

        @Test
        @DisplayName("tmpfs(inside, bytes) is that big in the kernel's eyes: mountinfo says so and writing past it is ENOSPC")
        void sizedTmpfsHoldsItsSize() throws Exception {
            try (SandboxedProcess p = Sandbox.builder().tmpfs("/scratch", 1 << 20).tmpfs("/big").build()
                    .start("sh", "-c", "head -c 2097152 /dev/zero > /scratch/f; echo rc=$?; exec sleep 30")) {
                String mountinfo = Kernel.read("/proc/" + p.pid() + "/mountinfo");
                assertThat(mountinfo.lines().filter(l -> l.contains(" /scratch ")).findFirst().orElseThrow())
                        .contains("nosuid").contains("nodev").contains("size=1024k");
                assertThat(mountinfo.lines().filter(l -> l.contains(" /big ")).findFirst().orElseThrow())
                        .contains("size=" + (Sandbox.DEFAULT_TMPFS_SIZE >> 10) + "k");
                var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                        java.nio.charset.StandardCharsets.UTF_8));
                var err = new java.io.BufferedReader(new java.io.InputStreamReader(p.getErrorStream(),
                        java.nio.charset.StandardCharsets.UTF_8));
                assertThat(out.readLine()).isEqualTo("rc=1");
                assertThat(err.readLine()).contains("No space left on device");
            }
        }

        @Test
        void readOnlyBindRejectsWrites(@TempDir Path dir) throws Exception {
            Files.writeString(dir.resolve("existing"), "x");
            SandboxResult r = Sandbox.builder().readOnlyBind(dir, "/data").build()
                    .run("sh", "-c", "cat /data/existing; echo y > /data/new");
            assertThat(r.stdout()).isEqualTo("x");
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.stderr()).contains("Read-only file system");
            assertThat(dir.resolve("new")).doesNotExist();
        }

        @Test
        void bindWritesReachTheHost(@TempDir Path dir) throws Exception {
            SandboxResult r = Sandbox.builder().pidNs().bind(dir, "/data").build()
                    .run("sh", "-c", "echo written-inside > /data/out");
            assertThat(r.exitCode()).isZero();
            assertThat(Files.readString(dir.resolve("out"))).isEqualTo("written-inside\n");
        }

        @Test
        void missingTargetsAreCreatedInTheViewNeverOnTheHost(@TempDir Path dir) throws Exception {
            String target = "/opt/sandbox-it-" + UUID.randomUUID() + "/deeper";
            Files.writeString(dir.resolve("f"), "content");
            SandboxResult r = Sandbox.builder().readOnlyBind(dir, target).tmpfs(target + "-tmp").build()
                    .run("sh", "-c", "cat " + target + "/f; ls -d " + target + "-tmp");
            assertThat(r.stderr()).isEmpty();
            assertThat(r.stdout()).isEqualTo("content" + target + "-tmp\n");
            assertThat(Path.of(target).getParent()).doesNotExist();
        }

        @Test
        void hostViewKeepsTheRestOfTheParentDirectoryVisible(@TempDir Path dir) throws Exception {
            // /etc gets a new entry in the view; everything that was in /etc stays readable.
            String target = "/etc/sandbox-it-" + UUID.randomUUID();
            SandboxResult r = Sandbox.builder().bind(dir, target).build()
                    .run("sh", "-c", "test -d " + target + " && cat /etc/hostname");
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout()).isEqualTo(Kernel.read("/etc/hostname"));
            assertThat(Path.of(target)).doesNotExist();
        }

        @Test
        void readOnlyRootRejectsWritesButDeclaredTmpfsIsWritable() throws Exception {
            SandboxResult r = Sandbox.builder().readOnlyRoot().tmpfs("/tmp").pidNs().build()
                    .run("sh", "-c", "touch /usr/sandbox-it 2>&1; touch /sandbox-it 2>&1; echo ok > /tmp/x && cat /tmp/x; ls /dev | tr '\\n' ' '");
            assertThat(r.stdout()).contains("touch: cannot touch '/usr/sandbox-it': Read-only file system");
            assertThat(r.stdout()).contains("touch: cannot touch '/sandbox-it': Read-only file system");
            assertThat(r.stdout()).contains("ok\n");
            assertThat(r.stdout().lines().reduce((a, b) -> b).orElseThrow().trim().split(" "))
                    .contains("null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "fd")
                    .doesNotContain("sda", "mem", "kmsg");
            assertThat(Path.of("/usr/sandbox-it")).doesNotExist();
        }

        @Test
        void emptyRootHoldsOnlyDeclaredMounts(@TempDir Path dir) throws Exception {
            Sandbox.Builder b = Sandbox.builder().emptyRoot().pidNs()
                    .readOnlyBind(Path.of("/usr"), "/usr")
                    .bind(dir, "/out")
                    .workingDirectory("/out");
            for (String link : List.of("/bin", "/lib", "/lib64")) {
                if (Files.exists(Path.of(link))) {
                    b.readOnlyBind(Path.of(link), link);
                }
            }
            SandboxResult r = b.build().run("/bin/sh", "-c", "ls / | tr '\\n' ' '; pwd > where");
            assertThat(r.stderr()).isEmpty();
            assertThat(r.stdout().trim().split(" ")).containsExactlyInAnyOrder(
                    Stream.concat(Stream.of("usr", "out", "dev", "proc"),
                            Stream.of("bin", "lib", "lib64").filter(l -> Files.exists(Path.of("/" + l)))).toArray(String[]::new));
            assertThat(Files.readString(dir.resolve("where"))).isEqualTo("/out\n");
        }

        @Test
        void mountsNeverLeakToTheHost(@TempDir Path dir) throws Exception {
            String before = Kernel.read("/proc/self/mountinfo");
            Sandbox.builder().readOnlyRoot().pidNs().tmpfs("/tmp").bind(dir, "/data").build().run("true");
            Sandbox.builder().pidNs().bind(dir, "/mnt").build().run("true");
            assertThat(Kernel.read("/proc/self/mountinfo")).isEqualTo(before);
        }
    }

    @Nested
    @DisplayName("fails with step, path and errno, and leaves nothing behind")
    class Failures {

        @Test
        void missingExecutable() throws Exception {
            assertThatThrownBy(() -> Sandbox.builder().pidNs().build().start("/nope"))
                    .isInstanceOf(SandboxException.class)
                    .hasMessage("execve /nope: ENOENT (No such file or directory)")
                    .satisfies(e -> {
                        SandboxException se = (SandboxException) e;
                        assertThat(se.step()).isEqualTo("execve");
                        assertThat(se.path()).isEqualTo("/nope");
                        assertThat(se.errnoName()).isEqualTo("ENOENT");
                    });
        }

        @Test
        void missingExecutableOnPath() {
            // a PATH the sandbox's unprivileged uid can search (this JVM's may hold root-only directories)
            assertThatThrownBy(() -> Sandbox.builder().env("PATH", "/usr/bin:/bin").build().start("no-such-program-anywhere"))
                    .isInstanceOf(SandboxException.class)
                    .hasMessage("execve no-such-program-anywhere: ENOENT (No such file or directory)");
        }

        @Test
        void nonExecutableFile(@TempDir Path dir) throws Exception {
            Path script = Files.writeString(dir.resolve("script"), "#!/bin/sh\necho hi\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
            assertThatThrownBy(() -> Sandbox.builder().mapRootUser().build().start(script.toString()))
                    .isInstanceOf(SandboxException.class)
                    .hasMessage("execve " + script + ": EACCES (Permission denied)");
        }

        @Test
        void badMountSource() {
            assertThatThrownBy(() -> Sandbox.builder().bind(Path.of("/no/such/source"), "/data").build().start("true"))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageStartingWith("bind /no/such/source: ENOENT (No such file or directory)");
        }

        @Test
        void missingWorkingDirectory() {
            assertThatThrownBy(() -> Sandbox.builder().workingDirectory("/no/such/dir").build().start("true"))
                    .isInstanceOf(SandboxException.class)
                    .hasMessage("chdir /no/such/dir: ENOENT (No such file or directory)");
        }

        @Test
        void failedStartsLeakNoFdProcessOrMount() throws Exception {
            OwnRuntime own = OwnRuntime.open();
            Sandbox bad = own.builder().pidNs().readOnlyRoot().build();
            for (int i = 0; i < 50; i++) {
                assertThatThrownBy(() -> bad.start("/nope")).isInstanceOf(SandboxException.class);
            }
            assertThat(own.runtime.running()).isZero();
            own.closeAndAssertNothingLeft();
        }
    }

    @Nested
    @DisplayName("ends the whole tree")
    class Lifecycle {

        @Test
        void timeoutEndsTheCommandAndSaysSo() throws Exception {
            long t0 = System.nanoTime();
            SandboxResult r = Sandbox.builder().pidNs().timeout(Duration.ofMillis(1000)).build().run("sleep", "30");
            assertThat(r.timedOut()).isTrue();
            assertThat(r.signal()).isEqualTo(15);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }

        @Test
        void timeoutEscalatesToSigkillAfterTheGracePeriod() throws Exception {
            // The timeout leaves the shell time to set its trap first, even on a slow (emulated) machine,
            // where 200 ms were not enough once (the shell died of the SIGTERM itself).
            SandboxResult r = Sandbox.builder().pidNs().timeout(Duration.ofSeconds(2))
                    .killGracePeriod(Duration.ofMillis(200)).build()
                    .run("sh", "-c", "trap '' TERM; echo trapped; sleep 30");
            assertThat(r.stdout()).as("the trap was set before the timeout").isEqualTo("trapped\n");
            assertThat(r.timedOut()).isTrue();
            assertThat(r.signal()).isEqualTo(9);
        }

        @Test
        void waitForReadsTheEndItselfYetAnInterruptStillEndsTheWait() throws Exception {
            Sandbox s = Sandbox.builder().pidNs().build();
            // Several threads wait for one short sandbox: one reads its channel, the others wait for it.
            try (SandboxedProcess p = s.start("sh", "-c", "sleep 0.05; exit 3")) {
                java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
                try {
                    List<java.util.concurrent.Future<Integer>> waits = new java.util.ArrayList<>();
                    for (int i = 0; i < 3; i++) {
                        waits.add(pool.submit(() -> p.waitFor()));
                    }
                    for (java.util.concurrent.Future<Integer> w : waits) {
                        assertThat(w.get(5, TimeUnit.SECONDS)).isEqualTo(3);
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
            // A thread interrupted while it reads the channel of a long-running sandbox stops waiting
            // at once, and the sandbox is still waited for (by the reaper thread) when it ends.
            try (SandboxedProcess p = s.start("sleep", "30")) {
                Thread waiter = Thread.currentThread();
                Thread interrupter = new Thread(() -> {
                    try {
                        Thread.sleep(20); // within the waiter's first slices of reading the channel itself
                    } catch (InterruptedException e) {
                        return;
                    }
                    waiter.interrupt();
                });
                long t0 = System.nanoTime();
                interrupter.start();
                assertThatThrownBy(p::waitFor).isInstanceOf(InterruptedException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(1000));
                interrupter.join();
                assertThat(p.isAlive()).isTrue();
                p.destroyForcibly();
                assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
                assertThat(p.destroyed()).isTrue();
            }
        }

        @Test
        void destroyForwardsSigtermThroughInit() throws Exception {
            try (SandboxedProcess p = Sandbox.builder().pidNs().build()
                    .start("sh", "-c", "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done")) {
                assertThat(readLine(p.getInputStream())).isEqualTo("ready");
                p.destroy();
                assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).isEqualTo(7);
                assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("got-term\n");
            }
        }

        @Test
        void destroyForciblyKillsAtOnce() throws Exception {
            try (SandboxedProcess p = Sandbox.builder().pidNs().build().start("sh", "-c", "trap '' TERM; sleep 30")) {
                p.destroyForcibly();
                assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).isEqualTo(128 + 9);
                assertThat(Kernel.alive(p.pid())).isFalse();
            }
        }

        @ParameterizedTest(name = "pid namespace: {0}")
        @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
        void backgroundProcessesDieWithTheCommand(boolean pidNs) throws Exception {
            String marker = "4242." + Math.abs(UUID.randomUUID().getMostSignificantBits() % 100000);
            Sandbox.Builder b = Sandbox.builder();
            if (pidNs) {
                b.pidNs();
            }
            SandboxResult r = b.build().run("sh", "-c", "sleep " + marker + " & setsid sleep " + marker + " & sleep 0.2; echo started");
            assertThat(r.stdout()).isEqualTo("started\n");
            assertThat(Kernel.processesWith("sleep " + marker)).isEmpty();
        }

        @Test
        void signalReachesTheCommand() throws Exception {
            try (SandboxedProcess p = Sandbox.builder().pidNs().build()
                    .start("sh", "-c", "trap 'echo usr1; exit 0' USR1; echo ready; while :; do sleep 0.05; done")) {
                assertThat(readLine(p.getInputStream())).isEqualTo("ready");
                assertThat(p.signal(10)).isTrue();
                assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).isZero();
            }
        }
    }

    static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            sb.append((char) c);
        }
        return sb.toString();
    }
}
