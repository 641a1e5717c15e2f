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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("status(): each verdict, produced by a small hostile program and checked against what the kernel shows")
class StatusIT {

    private static final long MIB = 1 << 20;

    @Nested
    @DisplayName("the command's own end")
    class OwnEnd {

        @Test
        @DisplayName("exit 3 is EXITED with status 3; exit 0 is EXITED and succeeded")
        void exited() throws Exception {
            SandboxResult three = Sandbox.builder().pidNs().build().run("sh", "-c", "exit 3");
            assertThat(three.status()).isEqualTo(Status.EXITED);
            assertThat(three.exitCode()).isEqualTo(3);
            assertThat(three.succeeded()).isFalse();
            SandboxResult zero = Sandbox.builder().build().run("true");
            assertThat(zero.status()).isEqualTo(Status.EXITED);
            assertThat(zero.succeeded()).isTrue();
        }

        @Test
        @DisplayName("kill -SEGV $$ is SIGNALED with signal 11")
        void signaled() throws Exception {
            SandboxResult r = Sandbox.builder().pidNs().build().run("sh", "-c", "kill -SEGV $$");
            assertThat(r.status()).as(r.toString()).isEqualTo(Status.SIGNALED);
            assertThat(r.signal()).isEqualTo(11);
            assertThat(r.succeeded()).isFalse();
        }

        @Test
        @DisplayName("kill -SYS $$ under SeccompPolicy.unconfined() is SIGNALED, not SECCOMP_KILLED")
        void selfSentSigsysWithoutAFilter() throws Exception {
            SandboxResult r = Sandbox.builder().seccomp(SeccompPolicy.unconfined()).build().run("sh", "-c", "kill -SYS $$");
            assertThat(r.signal()).isEqualTo(31);
            assertThat(r.status()).isEqualTo(Status.SIGNALED);
        }
    }

    @Nested
    @DisplayName("a limit's end")
    class Limits {

        @Test
        @DisplayName("sleeping past the timeout is TIMED_OUT")
        void timedOut() throws Exception {
            SandboxResult r = Sandbox.builder().pidNs().timeout(Duration.ofMillis(1000)).killGracePeriod(Duration.ofMillis(100))
                    .build().run("sleep", "30");
            assertThat(r.status()).as(r.toString()).isEqualTo(Status.TIMED_OUT);
            assertThat(r.timedOut()).isTrue();
            assertThat(r.wallTime()).isLessThan(Duration.ofSeconds(20));
        }

        @Test
        @DisplayName("a memory hog under memoryMax is OOM_KILLED, as the group's own OOM counter says")
        void oomKilled() throws Exception {
            requireMemoryController();
            Sandbox s = Sandbox.builder().pidNs().memoryMax(64 * MIB).build();
            SandboxResult r = s.run("dd", "if=/dev/zero", "of=/dev/null", "bs=300M", "count=1");
            assertThat(r.status()).as(r.toString()).isEqualTo(Status.OOM_KILLED);
            assertThat(r.signal()).isEqualTo(9);
            // The hog is a child; the command survives it and is then destroyed: the kernel's kill still decides.
            try (SandboxedProcess p = s.start("sh", "-c", "dd if=/dev/zero of=/dev/null bs=300M count=1; echo hog-ended; exec sleep 30")) {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                assertThat(out.readLine()).isEqualTo("hog-ended");
                assertThat(oomKillsOf(p.pid())).as("the group's oom_kill counter in cgroupfs").isPositive();
                assertThatThrownBy(p::status).isInstanceOf(IllegalStateException.class).hasMessageContaining("still running");
                p.destroyForcibly();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(p.status()).isEqualTo(Status.OOM_KILLED);
            }
        }

        @Test
        @DisplayName("an output flood under killOnOutputLimit is OUTPUT_LIMIT_EXCEEDED")
        void outputLimitExceeded() throws Exception {
            SandboxResult r = Sandbox.builder().outputLimit(64 * 1024).killOnOutputLimit().build().run("yes");
            assertThat(r.status()).as(r.toString()).isEqualTo(Status.OUTPUT_LIMIT_EXCEEDED);
            assertThat(r.signal()).isEqualTo(9);
            assertThat(r.stdout()).hasSize(64 * 1024);
        }

        @Test
        @DisplayName("writing past ulimit -f is FILE_SIZE_EXCEEDED (SIGXFSZ), and the file on the host stopped at the limit")
        void fileSizeExceeded() throws Exception {
            Path dir = Files.createTempDirectory("status-fsize");
            try {
                SandboxResult r = Sandbox.builder().bind(dir, "/out").build()
                        .run("sh", "-c", "ulimit -f 2; exec head -c 100000 /dev/zero > /out/big");
                assertThat(r.status()).as(r.toString()).isEqualTo(Status.FILE_SIZE_EXCEEDED);
                assertThat(r.signal()).isEqualTo(25);
                assertThat(Files.size(dir.resolve("big"))).as("bytes written before SIGXFSZ").isBetween(1L, 2048L);
            } finally {
                Files.deleteIfExists(dir.resolve("big"));
                Files.delete(dir);
            }
        }

        @Test
        @DisplayName("a self-sent SIGXFSZ is FILE_SIZE_EXCEEDED too: the kernel does not say who sent a signal (documented)")
        void selfSentSigxfsz() throws Exception {
            SandboxResult r = Sandbox.builder().build().run("sh", "-c", "kill -XFSZ $$");
            assertThat(r.signal()).isEqualTo(25);
            assertThat(r.status()).isEqualTo(Status.FILE_SIZE_EXCEEDED);
        }

        @Test
        @DisplayName("burning CPU past a soft RLIMIT_CPU is CPU_TIME_EXCEEDED (SIGXCPU), after its budget of CPU by the kernel's count")
        void cpuTimeExceeded() throws Exception {
            SandboxResult r = Sandbox.builder().timeout(Duration.ofSeconds(60)).build()
                    .run("sh", "-c", "ulimit -S -t 1; exec sh -c 'while :; do :; done'");
            assertThat(r.status()).as(r.toString()).isEqualTo(Status.CPU_TIME_EXCEEDED);
            assertThat(r.signal()).isEqualTo(24);
            // wait4's rusage (tick-sampled, scaled) shows about 0.88 s here for a 1 s RLIMIT_CPU; what matters is
            // that the loop burned its budget before the signal, not a second more.
            assertThat(r.cpuTime()).as("CPU time the kernel accounted").isBetween(Duration.ofMillis(500), Duration.ofMillis(2500));
        }
    }

    @Nested
    @DisplayName("seccomp")
    class Seccomp {

        @Test
        @DisplayName("an x32 system call, which the default policy kills, is SECCOMP_KILLED (SIGSYS)")
        void defaultPolicyKillsX32() throws Exception {
            HostRequirement.require(SeccompPolicy.Arch.host() == SeccompPolicy.Arch.X86_64,
                    "the x32 system call numbers exist on x86_64 only");
            // getpid (39) with the x32 bit: the filter kills before the kernel looks at the number.
            SandboxResult r = Sandbox.builder().build().run("perl", "-e", "syscall(0x40000000 + 39); print qq(survived\\n)");
            assertThat(r.signal()).as(r.toString()).isEqualTo(31);
            assertThat(r.stdout()).isEmpty();
            assertThat(r.status()).isEqualTo(Status.SECCOMP_KILLED);
            SandboxResult unfiltered = Sandbox.builder().seccomp(SeccompPolicy.unconfined()).build()
                    .run("perl", "-e", "syscall(0x40000000 + 39); print qq(survived\\n)");
            assertThat(unfiltered.stdout()).as("without a filter the call just fails").isEqualTo("survived\n");
            assertThat(unfiltered.status()).isEqualTo(Status.EXITED);
        }

        @Test
        @DisplayName("a call a policy's killProcess rule names is SECCOMP_KILLED")
        void killProcessRule() throws Exception {
            SeccompPolicy noGetppid = SeccompPolicy.builder().rule("getppid", SeccompPolicy.Action.killProcess()).build();
            SandboxResult r = Sandbox.builder().seccomp(noGetppid).build().run("perl", "-e", "print getppid(), qq(\\n)");
            assertThat(r.signal()).as(r.toString()).isEqualTo(31);
            assertThat(r.stdout()).isEmpty();
            assertThat(r.status()).isEqualTo(Status.SECCOMP_KILLED);
        }
    }

    @Test
    @DisplayName("SandboxedProcess.status() throws while the sandbox runs; destroyForcibly() then is SIGNALED (SIGKILL)")
    void processStatus() throws Exception {
        try (SandboxedProcess p = Sandbox.builder().pidNs().build().start("sleep", "30")) {
            assertThatThrownBy(p::status).isInstanceOf(IllegalStateException.class).hasMessageContaining("still running");
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.status()).isEqualTo(Status.SIGNALED);
            assertThat(p.exitValue()).isEqualTo(137);
        }
    }

    private static void requireMemoryController() {
        CgroupHost host = CgroupHost.detect();
        HostRequirement.require(host.v1Mounts().containsKey("memory") || host.v2Controllers().contains("memory"),
                "needs the memory cgroup controller");
        HostRequirement.require(dev.sandbox.internal.LibC.get().geteuid() == 0,
                "needs root (or a delegated cgroup subtree) to create cgroups");
    }

    /**
     * The oom_kill count in cgroupfs of the group that holds {@code pid}'s memory limit plus its leaf
     * (v1 counts a kill only in the victim's own group; v2's memory.events is hierarchical).
     */
    private static long oomKillsOf(long pid) throws Exception {
        Map<String, Path> leaves = Kernel.groupsOf(pid);
        Path leaf = leaves.containsKey("memory") ? leaves.get("memory") : leaves.get("unified");
        long kills = 0;
        for (Path g : java.util.Set.of(leaf, leaf.getParent())) {
            for (String name : new String[] {"memory.events", "memory.oom_control"}) {
                Path file = g.resolve(name);
                if (Files.exists(file)) {
                    for (String line : Files.readAllLines(file)) {
                        if (line.startsWith("oom_kill ")) {
                            kills += Long.parseLong(line.substring("oom_kill ".length()).trim());
                        }
                    }
                }
            }
        }
        return kills;
    }
}
