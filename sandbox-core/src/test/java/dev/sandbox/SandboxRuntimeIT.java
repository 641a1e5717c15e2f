package dev.sandbox;

import dev.sandbox.cgroups.CgroupHost;
import dev.sandbox.cgroups.RefusingRemoval;
import dev.sandbox.testing.HostRequirement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("SandboxRuntime: close() leaves nothing behind, runtimes share nothing (kernel's view)")
class SandboxRuntimeIT {

    private static final long MIB = 1L << 20;

    private static boolean cgroupsUsable() {
        CgroupHost host = CgroupHost.detect();
        return dev.sandbox.internal.LibC.get().geteuid() == 0
                && (host.v1Mounts().containsKey("memory") || host.v2Controllers().contains("memory"));
    }

    @Test
    void closeKillsRunningSandboxesAndLeavesNoProcessFdMountGroupOrThread() throws Exception {
        List<String> threadsBefore = OwnRuntime.threadNames();
        OwnRuntime own = OwnRuntime.open();
        List<SandboxedProcess> running = new ArrayList<>();
        // with and without a pid namespace, with and without limits, with a timeout (the backstop
        // thread) and after run() (the stderr drain thread)
        own.builder().pidNs().build().run("sh", "-c", "echo out; echo err >&2");
        running.add(own.builder().pidNs().build().start("sleep", "60"));
        running.add(own.builder().build().start("sh", "-c", "sleep 60 & sleep 60"));
        running.add(own.builder().pidNs().timeout(java.time.Duration.ofMinutes(5)).build().start("sleep", "60"));
        boolean limits = cgroupsUsable();
        if (limits) {
            running.add(own.builder().pidNs().memoryMax(64 * MIB).pidsMax(20).build().start("sleep", "60"));
            running.add(own.builder().memoryMax(32 * MIB).build().start("sh", "-c", "sleep 60 & sleep 60"));
        } else {
            HostRequirement.require(false, "needs root and the memory cgroup controller for the sandboxes with limits");
        }
        List<Long> pids = new ArrayList<>();
        for (SandboxedProcess p : running) {
            pids.add(p.pid());
            pids.add(p.initPid());
            pids.add(Kernel.parentOf(p.initPid())); // its helper
        }
        assertThat(own.runtime.running()).isEqualTo(running.size());

        own.closeAndAssertNothingLeft();

        for (long pid : pids) {
            assertThat(Kernel.alive(pid)).as("pid %d after close()", pid).isFalse();
        }
        for (SandboxedProcess p : running) {
            assertThat(p.isAlive()).isFalse();
            assertThat(p.destroyed()).as("ended on the runtime's request").isTrue();
        }
        assertThat(own.runtime.running()).isZero();
        // The kernel's threads: every sandbox-* thread left is a Java thread of another runtime (the
        // default one may refill its pool meanwhile), or the cgroup library's linger thread, which
        // ends by itself a few seconds on. The kernel truncates names to 15 bytes.
        java.util.Set<String> others = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getThreadGroup() != null && t.getThreadGroup() != own.runtime.threadGroup())
                .map(t -> t.getName().length() > 15 ? t.getName().substring(0, 15) : t.getName())
                .collect(java.util.stream.Collectors.toSet());
        List<String> after = OwnRuntime.threadNames().stream()
                .filter(n -> n.startsWith("sandbox-") && !n.startsWith("sandbox-cgroups"))
                .toList();
        assertThat(after).as("library threads after close(), besides other runtimes' (%s; before: %s)", others,
                threadsBefore).allSatisfy(n -> assertThat(others).contains(n));
    }

    @Test
    void closeIsIdempotentAndAClosedRuntimeRefusesStarts() throws Exception {
        OwnRuntime own = OwnRuntime.open();
        Sandbox s = own.builder().pidNs().build();
        assertThat(s.run("true").exitCode()).isZero();
        own.runtime.close();
        own.runtime.close();
        assertThat(own.runtime.isClosed()).isTrue();
        assertThatThrownBy(() -> s.start("true"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("runtime")
                .hasMessageContaining("is closed");
        assertThatThrownBy(() -> s.run("true")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> s.newBuilder().memoryMax(64 * MIB).build().start("true"))
                .isInstanceOf(IllegalStateException.class);
        own.closeAndAssertNothingLeft();
        // The default runtime is another one and still works.
        assertThat(Sandbox.builder().build().run("true").exitCode()).isZero();
    }

    @Test
    void twoRuntimesShareNoHelperAndNoGroup() throws Exception {
        HostRequirement.require(cgroupsUsable(), "needs root and the memory cgroup controller");
        OwnRuntime one = OwnRuntime.open();
        try (SandboxRuntime two = SandboxRuntime.builder().build()) {
            Sandbox a = one.builder().pidNs().memoryMax(64 * MIB).build();
            Sandbox b = a.newBuilder().runtime(two).build();
            assertThat(a.runtime()).isSameAs(one.runtime);
            assertThat(b.runtime()).isSameAs(two);
            a.run("true");
            b.run("true");
            List<Long> helpersOfBoth = one.awaitNewChildren(2);
            try (SandboxedProcess pa = a.start("sleep", "60"); SandboxedProcess pb = b.start("sleep", "60")) {
                long helperA = Kernel.parentOf(pa.initPid());
                long helperB = Kernel.parentOf(pb.initPid());
                assertThat(helperA).isNotEqualTo(helperB);
                List<Path> groupsA = Kernel.groupsOf(pa.pid()).values().stream().filter(g -> g.toString().contains("/sandbox/")).toList();
                List<Path> groupsB = Kernel.groupsOf(pb.pid()).values().stream().filter(g -> g.toString().contains("/sandbox/")).toList();
                assertThat(groupsA).isNotEmpty();
                assertThat(groupsA).doesNotContainAnyElementsOf(groupsB);
                assertThat(helpersOfBoth).contains(helperA, helperB); // each came ready from its own runtime
                // Closing one runtime ends its sandbox, and only its.
                one.runtime.close();
                assertThat(Kernel.awaitGone(pa.pid(), 2000)).isTrue();
                assertThat(Kernel.alive(helperA)).isFalse();
                assertThat(pb.isAlive()).isTrue();
                assertThat(Kernel.alive(helperB)).isTrue();
                assertThat(b.run("echo", "two").stdout()).isEqualTo("two\n");
            }
        }
        one.closeAndAssertNothingLeft();
    }

    @Test
    void runReportsAFailedGroupRemovalEveryTimeWithTheCompletedResult() throws Exception {
        HostRequirement.require(cgroupsUsable(), "needs root and the memory cgroup controller");
        AtomicBoolean refuse = new AtomicBoolean(true);
        OwnRuntime own = OwnRuntime.open(SandboxRuntime.builder().sparesPerKind(0));
        try {
            Sandbox s = own.builder().pidNs().pidsMax(50)
                    .cgroups(RefusingRemoval.cgroups("sandbox", "sandbox", refuse)).build();
            for (int i = 0; i < 5; i++) {
                String word = "done-" + i;
                assertThatThrownBy(() -> s.run("sh", "-c", "echo " + word + "; exit 3"))
                        .isInstanceOfSatisfying(SandboxException.class, e -> {
                            assertThat(e.step()).isEqualTo("cgroup");
                            assertThat(e.path()).endsWith("/sandbox");
                            assertThat(e.getMessage()).contains("exit code 3");
                            assertThat(e.result()).hasValueSatisfying(r -> {
                                assertThat(r.exitCode()).isEqualTo(3);
                                assertThat(r.stdout()).isEqualTo(word + "\n");
                            });
                        });
            }
            // A removal that works reports nothing.
            refuse.set(false);
            SandboxResult ok = s.run("echo", "fine");
            assertThat(ok.stdout()).isEqualTo("fine\n");
        } finally {
            refuse.set(false);
            // The refused groups are still there, empty: remove them as the next JVM's sweep would.
            List<Path> left = new ArrayList<>(OwnRuntime.libraryGroups());
            left.removeAll(own.groups);
            left.sort(Comparator.comparingInt(Path::getNameCount).reversed());
            for (Path dir : left) {
                Files.deleteIfExists(dir);
            }
        }
        own.closeAndAssertNothingLeft();
    }
}
