package dev.sandbox;

import dev.sandbox.testing.HostRequirement;

import dev.sandbox.internal.HelperBinary;
import dev.sandbox.internal.LibC;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("The helper process: its death is reported, its spares are replaced, its binary is found")
class HelperIT {

    /** What /proc shows for the helper's memfd: its name, and no directory entry anywhere. */
    static final String MEMFD = "/memfd:" + HelperBinary.MEMFD_NAME + " (deleted)";

    /** The parent pid of {@code pid}, from /proc/<pid>/stat (field 4). */

    @Test
    void aHelperKilledMidRunIsReportedAndTheSandboxDies() throws Exception {
        try (SandboxedProcess p = Sandbox.builder().pidNs().build().start("sleep", "30")) {
            long helper = Kernel.parentOf(p.initPid());
            Kernel.host("kill", "-9", Long.toString(helper));
            assertThat(p.waitFor(5, TimeUnit.SECONDS)).as("the process completes, it does not hang").isTrue();
            assertThat(p.failure()).hasValueSatisfying(e -> {
                assertThat(e.step()).isEqualTo("helper");
                assertThat(e.getMessage()).contains("was killed by signal 9 (SIGKILL)")
                        .contains("without reporting how the command ended");
            });
            assertThat(Kernel.awaitGone(p.pid(), 1000)).as("the command died with its helper").isTrue();
            assertThat(Kernel.awaitGone(p.initPid(), 1000)).isTrue();
        }
    }

    @Test
    @DisplayName("the command can neither kill nor stop its helper, nor kill the JVM, even without a pid namespace")
    void theCommandCannotReachItsHelperOrTheJvm() throws Exception {
        long jvm = ProcessHandle.current().pid();
        SandboxResult r = Sandbox.builder().timeout(java.time.Duration.ofSeconds(20)).build().run("sh", "-c",
                "kill -STOP $PPID; echo stop=$?; kill -9 $PPID; echo kill=$?; kill -9 " + jvm + "; echo jvm=$?;"
                        + " kill -9 -1; echo all=$?; echo alive");
        assertThat(r.stdout()).isEqualTo("stop=1\nkill=1\njvm=1\nall=1\nalive\n");
        assertThat(r.exitCode()).isZero();
        assertThat(r.timedOut()).isFalse();
    }

    @Test
    @DisplayName("a helper killed from outside takes everything of its sandbox along, setsid'd grandchildren included")
    void aHelperKilledFromOutsideLeavesNothingBehind() throws Exception {
        String marker = "31.4159" + System.nanoTime() % 1000;
        Sandbox s = Sandbox.builder().build();
        SandboxedProcess p = s.start("sh", "-c", "setsid sleep " + marker + " & sleep " + marker);
        long helper = Kernel.parentOf(p.pid());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        // the shell and its two sleeps all carry the marker
        while (Kernel.processesWith("sleep " + marker).size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(Kernel.processesWith("sleep " + marker)).hasSize(3);
        Kernel.host("kill", "-9", Long.toString(helper));
        assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exit().failure()).isNotNull();
        for (long pid : Kernel.processesWith("sleep " + marker)) {
            assertThat(Kernel.awaitGone(pid, 2000)).as("sleep %d killed with the sandbox", pid).isTrue();
        }
        p.close();
    }

    @Test
    @DisplayName("a helper that stops answering is killed by the JVM once the timeout and grace have long passed")
    void theJvmEnforcesTheTimeoutWhenTheHelperCannot() throws Exception {
        // The timeout leaves the test time to stop the helper first, even on a slow (emulated) machine;
        // the JVM's backstop acts 2 s after timeout + grace.
        Sandbox s = Sandbox.builder().timeout(java.time.Duration.ofMillis(1500))
                .killGracePeriod(java.time.Duration.ofMillis(100)).build();
        long t0 = System.nanoTime();
        SandboxedProcess p = s.start("sleep", "60");
        long helper = Kernel.parentOf(p.pid());
        // what the command itself cannot do; straight from this JVM, no process spawned on the way
        assertThat(LibC.get().kill((int) helper, dev.sandbox.base.Signals.number("SIGSTOP"))).as("SIGSTOP to the helper").isZero();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("stopped before its timeout").isLessThan(1500L);
        assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(took).as("ended by the JVM's backstop at timeout + grace + 2 s").isBetween(3600L, 9000L);
        assertThat(p.exit().timedOut()).isTrue();
        assertThat(p.exit().failure()).hasMessageContaining("did not end the sandbox");
        assertThat(Kernel.awaitGone(p.pid(), 2000)).isTrue();
        assertThat(Kernel.awaitGone(helper, 2000)).isTrue();
        p.close();
    }

    @Test
    void aSpareHelperKilledFromOutsideIsReplacedTransparently() throws Exception {
        OwnRuntime own = OwnRuntime.open();
        Sandbox s = own.builder().pidNs().build();
        s.run("true");
        List<Long> spares = own.awaitNewChildren(1); // the runtime's idle helpers: nothing else of it runs
        for (long pid : spares) {
            Kernel.host("kill", "-9", Long.toString(pid));
            assertThat(Kernel.awaitGone(pid, 1000)).isTrue();
        }
        SandboxResult r = s.run("echo", "still works");
        assertThat(r.stdout()).isEqualTo("still works\n");
        own.closeAndAssertNothingLeft();
    }

    @Test
    void spareHelpersRunNothingAndHoldNoStdioOfTheJvm() throws Exception {
        OwnRuntime own = OwnRuntime.open();
        own.builder().build().run("true");
        for (long pid : own.awaitNewChildren(1)) {
            for (int fd = 0; fd < 3; fd++) {
                assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString()).isEqualTo("/dev/null");
            }
            assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/3")).toString()).startsWith("socket:");
            // A helper just spawned still holds its own image (fd 4, the exec'd memfd) until its first
            // step closes every fd above the control socket: wait for that. A root helper then makes
            // the empty tmpfs for the sandbox's directory masks while it waits (a detached mount,
            // whose root reads as "/"); nothing else may stay.
            boolean root = dev.sandbox.internal.LibC.get().geteuid() == 0;
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
            List<String> extra;
            do {
                extra = new ArrayList<>();
                try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                    for (Path fd : (Iterable<Path>) fds::iterator) {
                        if (Integer.parseInt(fd.getFileName().toString()) > 3) {
                            extra.add(fd.getFileName() + " -> " + Files.readSymbolicLink(fd));
                        }
                    }
                }
            } while (!(root ? extra.size() == 1 && extra.get(0).endsWith(" -> /") : extra.isEmpty())
                    && System.nanoTime() < deadline && sleep(2));
            if (root) {
                assertThat(extra).as("beyond stdio and the control socket: the premade mask").hasSize(1);
                assertThat(extra.get(0)).endsWith(" -> /");
                String fd = extra.get(0).substring(0, extra.get(0).indexOf(' '));
                assertThat(Files.readString(Path.of("/proc/" + pid + "/fdinfo/" + fd))).contains("mnt_id:");
            } else {
                assertThat(extra).as("only stdio and the control socket").isEmpty();
            }
        }
        own.closeAndAssertNothingLeft();
    }

    @Test
    void byDefaultTheHelperRunsFromOneSealedMemfdHoldingTheJarImage() throws Exception {
        HostRequirement.require(!"2".equals(readOrEmpty("/proc/sys/vm/memfd_noexec")),
                "vm.memfd_noexec=2 forbids exec'ing memfds: the helper then runs from a directory");
        try (SandboxedProcess p = Sandbox.builder().build().start("sleep", "30")) {
            assertThat(Files.readSymbolicLink(Path.of("/proc/" + Kernel.parentOf(p.initPid()) + "/exe")).toString())
                    .as("what the kernel exec'd for the sandbox's helper").isEqualTo(MEMFD);
        }
        List<Path> memfds = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                if (Files.isSymbolicLink(fd) && Files.readSymbolicLink(fd).toString().equals(MEMFD)) {
                    memfds.add(fd);
                }
            }
        }
        assertThat(memfds).as("one memfd, held for the JVM's lifetime").hasSize(1);
        Path memfd = memfds.get(0);
        assertThat(Files.readAllBytes(memfd)).isEqualTo(HelperDriver.jarImage());
        int seals = LibC.get().fcntl(Integer.parseInt(memfd.getFileName().toString()), LibC.F_GET_SEALS, 0);
        assertThat(seals & 0xf).as("F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE, from fcntl(F_GET_SEALS)")
                .isEqualTo(LibC.F_SEAL_SEAL | LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW | LibC.F_SEAL_WRITE);
        assertThatThrownBy(() -> Files.write(memfd, new byte[] {0}, StandardOpenOption.WRITE))
                .as("the kernel refuses to change a sealed memfd").isInstanceOf(IOException.class);
        assertThat(Files.readAllBytes(memfd)).isEqualTo(HelperDriver.jarImage());
    }

    @Test
    void aHelperDirGetsTheImageOnceUnderItsContentHashAndNothingElse(@TempDir Path base) throws Exception {
        Path dir = base.resolve("helpers");
        Path extracted = dir.resolve(HelperDriver.extractedName());
        Object inode = null;
        for (int jvm = 0; jvm < 2; jvm++) {
            try (HelperDriver.Child child = HelperDriver.start("-D" + HelperBinary.DIR_PROPERTY + "=" + dir)) {
                assertThat(child.await("ran true ")).isEqualTo("0");
                assertThat(child.await("origin ")).isEqualTo(extracted.toString());
                child.await("ready");
                child.proceed();
                long helper = Kernel.parentOf(Long.parseLong(child.await("running ")));
                assertThat(Files.readSymbolicLink(Path.of("/proc/" + helper + "/exe"))).isEqualTo(extracted);
                child.proceed();
                child.await("done");
                assertThat(child.exitValue()).isZero();
            }
            try (var left = Files.list(dir)) {
                assertThat(left).as("no temporary file left beside the helper").containsExactly(extracted);
            }
            assertThat(Files.readAllBytes(extracted)).isEqualTo(HelperDriver.jarImage());
            assertThat(Files.isExecutable(extracted)).isTrue();
            assertThat((Integer) Files.getAttribute(dir, "unix:mode") & 0022).as("the directory is not writable by others").isZero();
            Object now = Files.getAttribute(extracted, "unix:ino");
            if (inode != null) {
                assertThat(now).as("the second JVM reused the file, it did not write it again").isEqualTo(inode);
            }
            inode = now;
        }
    }

    @Test
    void whenTheKernelForbidsExecutableMemfdsTheHelperRunsFromItsOwnDirectoryInTmp(@TempDir Path base) throws Exception {
        HostRequirement.require(LibC.get().geteuid() == 0 && Kernel.onPath("unshare"),
                "needs root and unshare (util-linux) to set vm.memfd_noexec=2 in a pid namespace of its own");
        HostRequirement.require(java.nio.file.Files.exists(java.nio.file.Path.of("/proc/sys/vm/memfd_noexec")),
                "needs vm.memfd_noexec (Linux 6.3+): before it, the kernel has no way to forbid exec'ing memfds");
        Path tmp = Files.createDirectory(base.resolve("tmp"));
        Path dir = tmp.resolve("dev.sandbox-0");
        Path extracted = dir.resolve(HelperDriver.extractedName());
        try (HelperDriver.Child child = HelperDriver.start(HelperDriver.MEMFD_NOEXEC, "-Djava.io.tmpdir=" + tmp,
                "-Duser.home=/nonexistent")) {
            assertThat(child.await("ran true ")).isEqualTo("0");
            assertThat(child.await("origin ")).isEqualTo(extracted.toString());
            child.await("ready");
            child.proceed();
            assertThat(child.await("helper exe ")).as("what the kernel exec'd for the sandbox's helper").isEqualTo(extracted.toString());
            child.await("running ");
            child.proceed();
            child.await("done");
            assertThat(child.exitValue()).isZero();
        }
        try (var left = Files.list(dir)) {
            assertThat(left).containsExactly(extracted);
        }
        assertThat(Files.readAllBytes(extracted)).isEqualTo(HelperDriver.jarImage());
        assertThat(Files.getAttribute(dir, "unix:uid")).isEqualTo(0);
        assertThat((Integer) Files.getAttribute(dir, "unix:mode") & 07777).as("made 0700").isEqualTo(0700);
    }

    private static String readOrEmpty(String file) {
        try {
            return Kernel.read(file).trim();
        } catch (IOException absent) {
            return "";
        }
    }

    @Test
    void aNoexecHelperDirectoryIsRefusedWithAClearMessage(@TempDir Path dir) throws Exception {
        HostRequirement.require(dev.sandbox.internal.LibC.get().geteuid() == 0 && Kernel.onPath("unshare"),
                "needs root and unshare (util-linux) to mount a noexec tmpfs in a private mount namespace");
        Path mnt = Files.createDirectory(dir.resolve("noexec"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String script = "mount -t tmpfs -o noexec,mode=700 none '" + mnt + "' && exec '" + java + "' -Dsandbox.helper.dir='"
                + mnt + "' -cp '" + System.getProperty("java.class.path") + "' '" + NoexecProbe.class.getName() + "'";
        Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("helper: found no directory to run the helper from: " + mnt + " (mounted noexec)")
                .contains("set -Dsandbox.helper.dir");
    }

    @Test
    void thePreLinux512ReadOnlyFallbackHoldsToo(@TempDir Path dir) throws Exception {
        // The same helper built without mount_setattr(2), as on kernels before 5.12: read-only
        // views then come from remounting each mount, keeping the flags a user namespace locks.
        HostRequirement.require(Kernel.onPath("cc"), "needs the C compiler the build used");
        Path src = Path.of(System.getProperty("user.dir"), "src", "main", "c", "build.sh");
        HostRequirement.require(Files.isRegularFile(src), "runs from the sandbox-core module directory (mvn)");
        ProcessBuilder build = new ProcessBuilder("sh", src.toString(), dir.resolve("out").toString(), dir.resolve("obj").toString());
        build.environment().put("CFLAGS", "-DSBX_TEST_NO_MOUNT_SETATTR");
        Process b = build.redirectErrorStream(true).start();
        String log = new String(b.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(b.waitFor()).as(log).isZero();
        Path helper = dir.resolve("out").resolve(HelperBinary.platform()).resolve("sandbox-helper");
        Path data = Files.createDirectory(dir.resolve("data"));
        Files.writeString(data.resolve("f"), "x");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Dsandbox.helper=" + helper, "-cp", System.getProperty("java.class.path"),
                FallbackProbe.class.getName(), data.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String onePass = """
                /usr: Read-only file system
                /: Read-only file system
                /data: Read-only file system
                x
                /tmp: ok
                """;
        // as root: once inside a user namespace (locked mount flags), once without one
        assertThat(out).isEqualTo(onePass.repeat(dev.sandbox.internal.LibC.get().geteuid() == 0 ? 2 : 1));
        assertThat(data.resolve("new")).doesNotExist();
    }

    /** Run in a child JVM with the fallback helper: prints what writes the kernel refused. */
    public static final class FallbackProbe {
        public static void main(String[] args) throws Exception {
            for (Sandbox.Builder b : java.util.List.of(Sandbox.builder().mapRootUser(), Sandbox.builder())) {
                SandboxResult r = b.readOnlyRoot().pidNs().tmpfs("/tmp").readOnlyBind(Path.of(args[0]), "/data").build()
                        .run("sh", "-c", "for d in /usr / /data; do touch $d/new 2>/dev/null && echo $d: written"
                                + " || echo $d: Read-only file system; done; cat /data/f; echo; touch /tmp/new && echo /tmp: ok");
                System.out.print(r.stdout());
                if (dev.sandbox.internal.LibC.get().geteuid() != 0) {
                    break; // one pass is the rootless one already
                }
            }
        }
    }

    /** Run in a child JVM whose helper directory is mounted noexec. */
    public static final class NoexecProbe {
        public static void main(String[] args) {
            try {
                Sandbox.builder().build().run("true");
                System.out.println("unexpectedly ran");
            } catch (Exception e) {
                System.out.println(e.getMessage());
            }
        }
    }

    private static boolean sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return true;
    }
}
