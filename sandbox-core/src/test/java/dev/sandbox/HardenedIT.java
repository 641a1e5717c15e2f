package dev.sandbox;

import dev.sandbox.SandboxResult.Status;
import dev.sandbox.cgroups.CgroupHost;
import dev.sandbox.testing.HostRequirement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Sandbox.hardened(): the preset for untrusted code, checked against the kernel and attacked")
class HardenedIT {

    private static final long MIB = 1 << 20;

    @Test
    @DisplayName("runs python3, sees only lo, no /home, only its three environment variables, a read-only /usr")
    void runsPythonInAnEmptyRootWithoutNetwork() throws Exception {
        Sandbox s = Sandbox.hardened().build();
        assertThat(s.run("python3", "-c", "print(6*7)").stdout()).isEqualTo("42\n");
        SandboxResult r = s.run("python3", "-c", """
                import os, socket
                print(socket.if_nameindex())
                print(sorted(os.listdir('/')))
                print(os.path.exists('/home'), os.getcwd())
                print(sorted(os.environ.items()))
                try:
                    open('/usr/owned', 'w')
                except OSError as e:
                    print(e.strerror)
                """);
        assertThat(r.stderr()).isEmpty();
        java.util.List<String> root = new java.util.ArrayList<>(java.util.List.of("dev", "proc", "tmp", "usr"));
        for (String d : Sandbox.HARDENED_SYSTEM_DIRS) {
            if (!d.equals("/usr") && java.nio.file.Files.exists(java.nio.file.Path.of(d), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                root.add(d.substring(1).replaceAll("/.*", ""));
            }
        }
        String expectedRoot = root.stream().distinct().sorted().map(n -> "'" + n + "'")
                .collect(java.util.stream.Collectors.joining(", ", "[", "]"));
        assertThat(r.stdout()).isEqualTo("[(1, 'lo')]\n" + expectedRoot + "\nFalse /tmp\n"
                + "[('HOME', '/tmp'), ('LANG', 'C.UTF-8'), ('PATH', '/usr/local/bin:/usr/bin:/bin')]\n"
                + "Read-only file system\n");
    }

    @Test
    @DisplayName("the kernel shows an unprivileged uid, no capabilities, no_new_privs, seccomp, the rlimits and its namespaces")
    void theKernelShowsTheProtections() throws Exception {
        try (SandboxedProcess p = Sandbox.hardened().build().start("sh", "-c", "echo up; exec sleep 30")) {
            assertThat(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine())
                    .isEqualTo("up");
            long pid = p.pid();
            assertThat(Kernel.status(pid, "Uid").split("\\s+")[0]).as("host uid").isNotEqualTo("0");
            assertThat(Kernel.status(pid, "CapEff")).isEqualTo("0000000000000000");
            assertThat(Kernel.status(pid, "CapBnd")).isEqualTo("0000000000000000");
            assertThat(Kernel.status(pid, "NoNewPrivs")).isEqualTo("1");
            assertThat(Kernel.status(pid, "Seccomp")).isEqualTo("2");
            String limits = Kernel.read("/proc/" + pid + "/limits");
            assertThat(limits).containsPattern("Max open files\\s+256\\s+256")
                    .containsPattern("Max file size\\s+67108864\\s+67108864")
                    .containsPattern("Max stack size\\s+8388608\\s+8388608")
                    .containsPattern("Max core file size\\s+0\\s+0");
            for (String ns : new String[] {"user", "pid", "mnt", "uts", "ipc", "net", "cgroup", "time"}) {
                assertThat(java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/" + pid + "/ns/" + ns)))
                        .as(ns).isNotEqualTo(java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/ns/" + ns)));
            }
            assertThat(Kernel.read("/proc/" + pid + "/mountinfo")).doesNotContain(" /home ");
        }
    }

    @Nested
    @DisplayName("every verdict, from a small hostile program under the preset")
    class Verdicts {

        @Test
        @DisplayName("EXITED, SIGNALED, TIMED_OUT, OUTPUT_LIMIT_EXCEEDED")
        void withoutCgroups() throws Exception {
            SandboxResult exited = Sandbox.hardened().build().run("sh", "-c", "exit 3");
            assertThat(exited.status()).isEqualTo(Status.EXITED);
            assertThat(exited.exitCode()).isEqualTo(3);
            SandboxResult segv = Sandbox.hardened().build().run("python3", "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)");
            assertThat(segv.status()).as(segv.toString()).isEqualTo(Status.SIGNALED);
            assertThat(segv.signal()).isEqualTo(11);
            SandboxResult slow = Sandbox.hardened().timeout(Duration.ofMillis(1000)).killGracePeriod(Duration.ofMillis(100)).build()
                    .run("sleep", "30");
            assertThat(slow.status()).isEqualTo(Status.TIMED_OUT);
            SandboxResult flood = Sandbox.hardened().outputLimit(64 * 1024).killOnOutputLimit().build().run("yes");
            assertThat(flood.status()).isEqualTo(Status.OUTPUT_LIMIT_EXCEEDED);
            assertThat(flood.stdout()).hasSize(64 * 1024);
        }

        @Test
        @DisplayName("FILE_SIZE_EXCEEDED: a write past 64 MiB dies of SIGXFSZ, and the file stops at 64 MiB")
        void fileSizeExceeded() throws Exception {
            Sandbox s = Sandbox.hardened().build();
            SandboxResult r = s.run("sh", "-c", "exec head -c 70000000 /dev/zero > /tmp/big");
            assertThat(r.status()).as(r.toString()).isEqualTo(Status.FILE_SIZE_EXCEEDED);
            SandboxResult size = s.run("sh", "-c", "head -c 70000000 /dev/zero > /tmp/big; wc -c < /tmp/big");
            assertThat(size.stdout().trim()).isEqualTo(Long.toString(Sandbox.HARDENED_MAX_FILE_SIZE));
        }

        @Test
        @DisplayName("SECCOMP_KILLED: an x32 system call, which the default policy kills")
        void seccompKilled() throws Exception {
            HostRequirement.require("amd64".equals(System.getProperty("os.arch")), "the x32 system call numbers exist on x86_64 only");
            SandboxResult r = Sandbox.hardened().build().run("perl", "-e", "syscall(0x40000000 + 39); print qq(survived\\n)");
            assertThat(r.status()).as(r.toString()).isEqualTo(Status.SECCOMP_KILLED);
            assertThat(r.stdout()).isEmpty();
        }

        @Test
        @DisplayName("CPU_TIME_EXCEEDED and OOM_KILLED, with the task's limits added to the preset")
        void withCgroups() throws Exception {
            CgroupHost host = CgroupHost.detect();
            HostRequirement.require(host.v1Mounts().containsKey("memory") || host.v2Controllers().contains("memory"),
                    "needs the memory cgroup controller");
            HostRequirement.require(dev.sandbox.internal.LibC.get().geteuid() == 0,
                    "needs root (or a delegated cgroup subtree) to create cgroups");
            SandboxResult busy = Sandbox.hardened().cpuTimeLimit(Duration.ofMillis(500)).build()
                    .run("python3", "-c", "while True: pass");
            assertThat(busy.status()).as(busy.toString()).isEqualTo(Status.CPU_TIME_EXCEEDED);
            assertThat(busy.usage().orElseThrow().cpuTotal().orElseThrow()).as("the group's CPU time")
                    .isBetween(Duration.ofMillis(500), Duration.ofMillis(900));
            SandboxResult hog = Sandbox.hardened().memoryMax(64 * MIB).build()
                    .run("python3", "-c", "b = bytearray(300 << 20); print(len(b))");
            assertThat(hog.status()).as(hog.toString()).isEqualTo(Status.OOM_KILLED);
            assertThat(hog.usage().orElseThrow().oomKills().orElseThrow()).as("the group's oom_kill count").isPositive();
        }
    }
}
