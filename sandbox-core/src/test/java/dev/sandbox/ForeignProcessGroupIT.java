package dev.sandbox;

import dev.sandbox.testing.ForOthers;
import dev.sandbox.testing.HostRequirement;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Without a pid namespace the command runs under a seccomp guard against the helper's and the
 * JVM's pids and process groups. A process group whose leader is outside the caller's pid
 * namespace reads as 0 (a JVM under {@code unshare --pid}, or started below a kernel-started init
 * without job control, as on a pure-v2 CI VM): naming "-0" would forbid pid 0, which for
 * {@code prlimit}, {@code setpriority} and {@code kill} means the caller itself.
 */
@DisplayName("A JVM whose process group reads as 0: the command may still limit, renice and signal itself")
class ForeignProcessGroupIT {

    /** Run as PID 1 of a new pid namespace: prints the JVM's process group and what the command could do. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String pgrp = stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2];
            SandboxResult r = Sandbox.builder().timeout(java.time.Duration.ofSeconds(30)).build().run("sh", "-c",
                    "ulimit -S -t 5; echo ulimit=$?; nice -n 5 true; echo nice=$?; kill -0 0; echo kill0=$?;"
                            + " kill -0 $PPID 2>/dev/null; echo kill-monitor=$?");
            System.out.print("pgrp=" + pgrp + "\n" + r.stdout() + r.stderr());
        }
    }

    @Test
    @DisplayName("a root caller under unshare --pid")
    void theGuardDoesNotForbidPidZero() throws Exception {
        HostRequirement.require(dev.sandbox.internal.LibC.get().geteuid() == 0, "needs root for unshare --pid --mount-proc");
        HostRequirement.require(Kernel.onPath("unshare"), "needs unshare (util-linux)");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = ForOthers.classpath().stream().map(Path::toString).collect(Collectors.joining(":"));
        String helper = System.getProperty(dev.sandbox.internal.HelperBinary.PATH_PROPERTY);
        Process p = new ProcessBuilder("unshare", "--pid", "--fork", "--mount", "--mount-proc", java,
                helper == null ? "-Dunused=" : "-D" + dev.sandbox.internal.HelperBinary.PATH_PROPERTY + "=" + helper,
                "-cp", cp, Probe.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        // the monitor (the command's parent) stays out of reach: its pid is still guarded
        assertThat(out).isEqualTo("pgrp=0\nulimit=0\nnice=0\nkill0=0\nkill-monitor=1\n");
    }

    @Test
    @DisplayName("the same for an unprivileged caller (uid 65534, in its own user and pid namespace)")
    void theGuardDoesNotForbidPidZeroRootless() throws Exception {
        HostRequirement.require(dev.sandbox.internal.LibC.get().geteuid() == 0, "needs root to drop to uid 65534");
        HostRequirement.require(Kernel.onPath("unshare") && Kernel.onPath("setpriv"), "needs unshare and setpriv (util-linux)");
        Path work = Files.createTempDirectory("sandbox-foreign-pgrp");
        try {
            Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path tmp = Files.createDirectory(work.resolve("tmp"));
            Files.setAttribute(tmp, "unix:uid", 65534);
            Files.setAttribute(tmp, "unix:gid", 65534);
            String cp = ForOthers.copy(ForOthers.classpath(), work.resolve("cp"));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "unshare", "--user", "--map-current-user", "--pid", "--fork", "--mount", "--mount-proc",
                    java, "-Djava.io.tmpdir=" + tmp, "-cp", cp, Probe.class.getName()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(out).isEqualTo("pgrp=0\nulimit=0\nnice=0\nkill0=0\nkill-monitor=1\n");
        } finally {
            ForOthers.deleteTree(work);
        }
    }
}
