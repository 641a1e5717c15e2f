package dev.sandbox;

import dev.sandbox.cgroups.CgroupHost;
import dev.sandbox.testing.HostRequirement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Sandbox.Builder#cpuTimeLimit}: the whole sandbox's CPU time, as its cgroup counts it, ends
 * it. Judged by the kernel's accounting (the group's {@code cpuacct.usage} or {@code cpu.stat}, read
 * before the group goes) and {@code /proc/<pid>/limits}.
 */
@DisplayName("cpuTimeLimit: the CPU time of the whole sandbox, from its cgroup's accounting")
class CpuTimeLimitIT {

    private static final String TWO_BUSY = "while :; do :; done & while :; do :; done";
    /** One member of a fork chain: about 0.15 s of CPU on this project's machine, then it exits. */
    /** A member of the fork chain: burns 0.1 s of its own user CPU time (by the kernel's count, so as much on a slow machine). */
    private static final String BURN = "perl -e \"1 while (times)[0] < 0.1\"";

    private static OwnRuntime rt;

    @BeforeAll
    static void requireCpuAccounting() throws Exception {
        CgroupHost host = CgroupHost.detect();
        HostRequirement.require(host.v1Mounts().containsKey("cpuacct") || host.layout() == CgroupHost.Layout.V2,
                "needs CPU accounting for cgroups (v1 cpuacct or cgroup v2)");
        HostRequirement.require(dev.sandbox.internal.LibC.get().geteuid() == 0,
                "needs root (the rootless path is RootlessIT's)");
        rt = OwnRuntime.open();
    }

    @AfterAll
    static void nothingLeft() throws Exception {
        if (rt != null) {
            rt.closeAndAssertNothingLeft(); // no process, fd (the usage file's included), mount or group
        }
    }

    private static Sandbox.Builder builder() {
        return Sandbox.builder().runtime(rt.runtime).pidNs();
    }

    private static Duration groupUsage(SandboxResult r) {
        return r.usage().orElseThrow().cpuTotal().orElseThrow();
    }

    /** The file the kernel counts {@code pid}'s group's CPU time in (the group above its leaf). */
    private static Path usageFile(long pid) throws Exception {
        Map<String, Path> groups = Kernel.groupsOf(pid);
        Path cpuacct = groups.get("cpuacct");
        return cpuacct != null ? cpuacct.getParent().resolve("cpuacct.usage")
                : groups.get("unified").getParent().resolve("cpu.stat");
    }

    @Test
    @DisplayName("two busy processes (one forked, one the command) are killed once together they used 1 s: about 0.5 s of wall time on two cores")
    void twoBusyProcessesShareTheLimit() throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        SandboxResult r = builder().cpuTimeLimit(Duration.ofSeconds(1)).timeout(Duration.ofSeconds(60)).build()
                .run("sh", "-c", TWO_BUSY);
        Duration used = groupUsage(r);
        assertThat(r.cpuTimeExceeded()).as("the CPU-time watch ended it").isTrue();
        assertThat(r.timedOut()).as("not the wall clock").isFalse();
        assertThat(r.signal()).isEqualTo(9);
        assertThat(used).as("the group's own count, kernel truth").isBetween(Duration.ofSeconds(1), Duration.ofMillis(1200));
        // two processes at once: the wall time is about half the CPU time when two cores are free;
        // the machine is shared, so only bound it generously from above
        assertThat(r.wallTime()).as("wall time; group used " + used)
                .isGreaterThanOrEqualTo(used.dividedBy(Math.max(1, cpus)).minusMillis(50))
                .isLessThan(Duration.ofSeconds(20));
        System.out.printf("cpuTimeLimit 1s, two busy processes: group used %d ms in %d ms of wall time on %d CPUs%n",
                used.toMillis(), r.wallTime().toMillis(), cpus);
    }

    @Test
    @DisplayName("a command that sleeps 1.5 s under a 1 s limit exits normally")
    void aSleeperIsNotKilled() throws Exception {
        try (SandboxedProcess p = builder().cpuTimeLimit(Duration.ofSeconds(1)).build().start("sleep", "1.5")) {
            Path usage = usageFile(p.pid());
            assertThat(usage).as("the sandbox's own group counts its CPU time").exists();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(p.cpuTimeExceeded()).isFalse();
            assertThat(p.timedOut()).isFalse();
            assertThat(p.wallTime().orElseThrow()).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
            assertThat(p.cgroupUsage().orElseThrow().cpuTotal().orElseThrow()).isLessThan(Duration.ofMillis(500));
        }
    }

    @Test
    @DisplayName("a fork chain whose members each burn a little and exit still has their CPU counted: killed once the sum passes the limit")
    void exitedProcessesCount() throws Exception {
        StringBuilder chain = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            chain.append(BURN).append(" && echo done; ");
        }
        SandboxResult r = builder().cpuTimeLimit(Duration.ofSeconds(1)).build().run("sh", "-c", chain.toString());
        long finished = r.stdout().lines().filter("done"::equals).count();
        Duration used = groupUsage(r);
        assertThat(r.cpuTimeExceeded()).as("group used " + used + ", " + finished + " members finished").isTrue();
        assertThat(used).isBetween(Duration.ofSeconds(1), Duration.ofMillis(1200));
        // no single member came near the limit: what ended the chain was the sum over exited ones
        assertThat(finished).as("members that exited before the kill").isBetween(2L, 29L);
        System.out.printf("cpuTimeLimit 1s, fork chain: %d of 30 members finished, group used %d ms%n",
                finished, used.toMillis());
    }

    @Test
    @DisplayName("each process gets RLIMIT_CPU as a backstop: the limit rounded up to seconds plus one, hard one more")
    void rlimitBackstopIsInProcLimits() throws Exception {
        try (SandboxedProcess p = builder().cpuTimeLimit(Duration.ofMillis(2500)).build()
                .start("sh", "-c", "sleep 30 & exec sleep 30")) {
            String expected = "^Max cpu time\\s+4\\s+5\\s+seconds\\s*$";
            assertThat(Kernel.read("/proc/" + p.pid() + "/limits").lines()).anyMatch(l -> l.matches(expected));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            long child = -1;
            while (child < 0 && System.nanoTime() < deadline) {
                String kids = Kernel.read("/proc/" + p.pid() + "/task/" + p.pid() + "/children").trim();
                child = kids.isEmpty() ? -1 : Long.parseLong(kids.split(" ")[0]);
                Thread.sleep(child < 0 ? 10 : 0);
            }
            assertThat(child).as("the command's child").isPositive();
            assertThat(Kernel.read("/proc/" + child + "/limits").lines()).as("inherited by what it forks")
                    .anyMatch(l -> l.matches(expected));
            assertThat(Kernel.read("/proc/" + p.initPid() + "/limits").lines()).as("not PID 1, the sandbox's own init")
                    .noneMatch(l -> l.matches(expected));
        }
    }

    @Test
    @DisplayName("a command that dies of SIGXCPU (the backstop's signal) counts as over its CPU time; without a limit it does not")
    void sigxcpuIsReportedAsCpuTime() throws Exception {
        String selfXcpu = "kill -XCPU $$";
        SandboxResult limited = builder().cpuTimeLimit(Duration.ofSeconds(5)).build().run("sh", "-c", selfXcpu);
        assertThat(limited.signal()).isEqualTo(24);
        assertThat(limited.cpuTimeExceeded()).isTrue();
        SandboxResult plain = builder().build().run("sh", "-c", selfXcpu);
        assertThat(plain.signal()).isEqualTo(24);
        assertThat(plain.cpuTimeExceeded()).isFalse();
    }

    @Test
    @DisplayName("with a wall-clock timeout, a sleeping command is ended by the timeout, not the CPU-time limit")
    void theWallClockStillWinsForASleeper() throws Exception {
        SandboxResult r = builder().cpuTimeLimit(Duration.ofSeconds(1)).timeout(Duration.ofMillis(300)).build()
                .run("sleep", "30");
        assertThat(r.timedOut()).isTrue();
        assertThat(r.cpuTimeExceeded()).isFalse();
        assertThat(r.wallTime()).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    @DisplayName("the timeout's grace period still holds: SIGTERM ignored, SIGKILL after the grace, no CPU-time verdict")
    void graceStillHolds() throws Exception {
        // The timeout leaves the shell time to set its trap first, even on a slow (emulated) machine.
        SandboxResult r = builder().cpuTimeLimit(Duration.ofSeconds(10)).timeout(Duration.ofSeconds(3))
                .killGracePeriod(Duration.ofMillis(700)).build()
                .run("sh", "-c", "trap '' TERM; echo trapped; while :; do sleep 0.05; done");
        assertThat(r.stdout()).as("the trap was set before the timeout").isEqualTo("trapped\n");
        assertThat(r.timedOut()).isTrue();
        assertThat(r.cpuTimeExceeded()).isFalse();
        assertThat(r.signal()).isEqualTo(9);
        assertThat(r.wallTime()).isBetween(Duration.ofMillis(3700), Duration.ofSeconds(20));
    }

    @Test
    @DisplayName("a busy command under a long timeout is ended by the CPU-time limit, and the group is gone afterwards")
    void cpuTimeEndsABusyCommandBeforeTheTimeout() throws Exception {
        Path usage;
        try (SandboxedProcess p = builder().cpuTimeLimit(Duration.ofMillis(300)).timeout(Duration.ofSeconds(60)).build()
                .start("sh", "-c", "while :; do :; done")) {
            usage = usageFile(p.pid());
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.cpuTimeExceeded()).isTrue();
            assertThat(p.timedOut()).isFalse();
            assertThat(p.cgroupUsage().orElseThrow().cpuTotal().orElseThrow())
                    .isBetween(Duration.ofMillis(300), Duration.ofMillis(500));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.exists(usage.getParent()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(usage.getParent()).as("the sandbox's group").doesNotExist();
    }
}
