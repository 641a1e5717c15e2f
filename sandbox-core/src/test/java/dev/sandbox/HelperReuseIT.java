package dev.sandbox;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A runtime's pool helpers serve sandbox after sandbox ({@code --reuse}, main.c {@code reset_for_next}):
 * between two sandboxes the helper is, as the kernel sees it, what a freshly started one is (the same
 * descriptors, no child, no blocked signal, in the JVM's namespaces, flat memory); what a hostile
 * sandbox left running is gone before the helper serves again; and nothing sent to an ended
 * sandbox reaches the next one its helper serves.
 */
@DisplayName("Pool helpers serve sandbox after sandbox, with nothing of one left for the next")
class HelperReuseIT {

    private static OwnRuntime rt;

    @BeforeAll
    static void open() throws Exception {
        rt = OwnRuntime.open();
    }

    @AfterAll
    static void nothingLeft() throws Exception {
        if (rt != null) {
            rt.closeAndAssertNothingLeft();
        }
    }

    /** The helper that serves {@code p}, as the kernel says: the parent of the sandbox's first process. */
    private static long helperOf(SandboxedProcess p) throws IOException {
        long helper = Kernel.parentOf(p.initPid());
        assertThat(helper).as("the helper the library names").isEqualTo(p.helperPid());
        return helper;
    }

    /** The targets of {@code pid}'s descriptors by number, socket and pipe inode numbers left out (one closed meanwhile is skipped). */
    private static List<String> fds(long pid) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : (Iterable<Path>) fds.sorted(java.util.Comparator.comparingInt(
                    f -> Integer.parseInt(f.getFileName().toString())))::iterator) {
                try {
                    out.add(fd.getFileName() + " " + Files.readSymbolicLink(fd).toString().replaceAll("\\[\\d+]", "[]"));
                } catch (java.nio.file.NoSuchFileException closedMeanwhile) {
                    // the helper closes its descriptors while it resets itself
                }
            }
        }
        return out;
    }

    private static String children(long pid) throws IOException {
        return Kernel.read("/proc/" + pid + "/task/" + pid + "/children").trim();
    }

    /**
     * Whether {@code helper} waits for its next sandbox, as the kernel shows it: asleep in a read of its
     * control socket, fd 3 ({@code /proc/<pid>/syscall}: the call's number, then its first argument),
     * which it does only once it is ready (a command or the next spec); while it serves a sandbox it
     * waits in poll(2), and it makes its premade mount between the two.
     */
    private static boolean waitsOnControlSocket(long helper) throws IOException {
        String[] call = Kernel.read("/proc/" + helper + "/syscall").trim().split(" ");
        return call.length > 1 && call[1].equals("0x3") && Kernel.status(helper, "State").startsWith("S");
    }

    /** An idle helper of the runtime that has served no sandbox yet: its state is what a reused one must return to. */
    private static long freshIdleHelper(List<Long> used) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (long pid : rt.newChildren()) {
                if (!used.contains(pid) && Kernel.read("/proc/" + pid + "/cmdline").equals("sandbox-helper\0--reuse\0")
                        && waitsOnControlSocket(pid)) {
                    return pid;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no idle helper of the runtime among " + rt.newChildren());
    }

    @Test
    @DisplayName("the next sandbox gets the same helper, which holds nothing of the last one: the fds, children, signal mask and namespaces of a fresh helper")
    void theSameHelperServesTheNextSandboxAsAFreshOneWould() throws Exception {
        Sandbox sandbox = rt.builder().userNs().pidNs().mountNs().utsNs().ipcNs().cgroupNs().build();
        long helper;
        List<String> during;
        try (SandboxedProcess p = sandbox.start("sleep", "30")) {
            helper = helperOf(p);
            during = fds(helper);
            assertThat(children(helper)).isEqualTo(Long.toString(p.initPid()));
            p.destroyForcibly();
            p.waitFor();
        }
        long fresh = freshIdleHelper(List.of(helper));
        assertThat(during).as("while it serves, the helper holds the sandbox's pipes and signalfd")
                .anyMatch(f -> f.contains("signalfd"));
        // as the kernel sees it, the helper is back where a fresh one waits: its descriptors those of a fresh idle helper
        assertThat(Kernel.alive(helper)).as("the helper waits for the next sandbox").isTrue();
        awaitIdle(helper, fds(fresh));
        assertThat(Kernel.status(helper, "SigBlk")).as("its blocked signals").isEqualTo("0000000000000000");
        for (Namespace ns : Namespace.values()) {
            assertThat(Kernel.namespace(helper, ns.procName())).as(ns.name()).isEqualTo(Kernel.namespaceOfSelf(ns.procName()));
        }
        // and it serves the next sandbox as a fresh one would
        try (SandboxedProcess p = sandbox.start("sh", "-c", "cat /proc/self/uid_map; ls /proc | grep -c '^[0-9]'")) {
            assertThat(helperOf(p)).as("the helper of the next sandbox").isEqualTo(helper);
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(p.waitFor()).isZero();
            assertThat(out.lines().toList()).hasSize(2);
            assertThat(out.lines().toList().get(0).trim().split("\\s+")).as("its uid map").hasSize(3);
            assertThat(out.lines().toList().get(1)).as("processes in its pid namespace: sh, ls, grep and PID 1").isEqualTo("4");
        }
    }

    @Test
    @DisplayName("what a sandbox without a pid namespace leaves running (a daemon in its own session) is dead before its helper serves again")
    void leftoversAreGoneBeforeTheHelperServesAgain() throws Exception {
        Sandbox sandbox = rt.builder().userNs().mountNs().build();
        SandboxResult left = sandbox.run("sh", "-c", "setsid sh -c 'sleep 60 >/dev/null & echo $!' </dev/null 2>/dev/null");
        assertThat(left.exitCode()).isZero();
        long daemon = Long.parseLong(left.stdout().trim());
        // run() returned: the daemon (orphaned to the helper, a subreaper) is killed and reaped, not merely a zombie
        assertThat(Files.exists(Path.of("/proc/" + daemon))).as("the daemon " + daemon + " after run() returned").isFalse();
        try (SandboxedProcess p = sandbox.start("sleep", "30")) {
            long helper = helperOf(p);
            assertThat(children(helper)).as("the helper's children: only the new sandbox").isEqualTo(Long.toString(p.pid()));
            p.destroyForcibly();
            p.waitFor();
        }
    }

    @Test
    @DisplayName("signals and kills sent to an ended sandbox do not reach the next sandbox of its helper")
    void lateCommandsDoNotReachTheNextSandbox() throws Exception {
        Sandbox sandbox = rt.builder().userNs().pidNs().build();
        SandboxedProcess ended = sandbox.start("true");
        assertThat(ended.waitFor()).isZero();
        ended.close();
        try (SandboxedProcess next = sandbox.start("sleep", "30")) {
            assertThat(helperOf(next)).as("the same helper").isEqualTo(ended.helperPid());
            ended.destroy();
            ended.destroyForcibly();
            assertThat(ended.signal(9)).as("signal() to the ended sandbox").isFalse();
            assertThat(next.waitFor(300, java.util.concurrent.TimeUnit.MILLISECONDS)).as("the next sandbox ended").isFalse();
            assertThat(Kernel.status(next.pid(), "State")).as("the next sandbox's command").startsWith("S");
            next.destroyForcibly();
            assertThat(next.waitFor()).isEqualTo(137);
        }
    }

    @Test
    @DisplayName("a helper's memory and descriptors stay flat over 300 sandboxes")
    void memoryAndDescriptorsStayFlat() throws Exception {
        Sandbox sandbox = rt.builder().userNs().pidNs().mountNs().utsNs().hostname("h").env("BIG", "x".repeat(20_000)).build();
        long helper = -1;
        long rssAfter50 = 0;
        List<String> fdsAfter50 = null;
        for (int i = 0; i < 300; i++) {
            try (SandboxedProcess p = sandbox.start("cat")) { // runs until its stdin closes
                long h = helperOf(p);
                p.getOutputStream().close();
                assertThat(p.waitFor()).isZero();
                if (helper < 0) {
                    helper = h;
                }
                assertThat(h).as("the helper of sandbox " + i).isEqualTo(helper);
            }
            if (i == 49) {
                fdsAfter50 = awaitIdle(helper, null);
                rssAfter50 = rssKib(helper);
            }
        }
        awaitIdle(helper, fdsAfter50);
        // every run decodes a spec of over 20 KiB: a leak of it would add megabytes (musl's allocator
        // settles within the first few hundred runs, at up to ~60 KiB more)
        assertThat(rssKib(helper)).as("VmRSS (KiB) after 300 sandboxes, against " + rssAfter50 + " after 50")
                .isLessThanOrEqualTo(rssAfter50 + 128);
    }

    /**
     * Waits until {@code helper} has reset itself after its last sandbox (which it does after EXIT,
     * while the JVM goes on) and waits on its control socket, and returns its fds then, which must be
     * {@code expected} when given.
     */
    private static List<String> awaitIdle(long helper, List<String> expected) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!waitsOnControlSocket(helper) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(waitsOnControlSocket(helper)).as("helper " + helper + " waits on its control socket, syscall: "
                + Kernel.read("/proc/" + helper + "/syscall").trim()).isTrue();
        assertThat(children(helper)).as("the helper's children").isEmpty();
        List<String> now = fds(helper);
        if (expected != null) {
            assertThat(now).as("the helper's fds").isEqualTo(expected);
        }
        return now;
    }

    private static long rssKib(long pid) throws IOException {
        return Long.parseLong(Kernel.status(pid, "VmRSS").replaceAll("\\D", ""));
    }

    @Test
    @DisplayName("as root, a reused --net-ahead helper gives each sandbox a fresh network namespace and is back in the host's")
    void netAheadHelpersMakeAFreshNamespaceEachTime() throws Exception {
        dev.sandbox.testing.HostRequirement.require(dev.sandbox.internal.LibC.get().geteuid() == 0,
                "needs root (only a root caller's helpers make network namespaces ahead: NetAheadIT)");
        Sandbox sandbox = rt.builder().netNs().pidNs().build();
        // The lane holds no helper until such a start asks: the first ones take plain helpers meanwhile.
        long deadline = System.nanoTime() + 10_000_000_000L;
        long helper = -1;
        while (helper < 0 && System.nanoTime() < deadline) {
            try (SandboxedProcess p = sandbox.start("true")) {
                p.waitFor();
                if (Kernel.read("/proc/" + p.helperPid() + "/cmdline").contains("--net-ahead")) {
                    helper = p.helperPid();
                }
            }
            Thread.sleep(20);
        }
        assertThat(helper).as("a sandbox served by a --net-ahead helper").isPositive();
        assertThat(Kernel.read("/proc/" + helper + "/cmdline")).isEqualTo("sandbox-helper\0--net-ahead\0--reuse\0");
        List<String> namespaces = new ArrayList<>();
        // Each namespace is held open until all four are seen: the kernel reuses a freed namespace's inode number.
        List<java.nio.channels.FileChannel> held = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                try (SandboxedProcess p = sandbox.start("sleep", "30")) {
                    assertThat(helperOf(p)).as("the helper of sandbox " + i + ": the lane's, served again").isEqualTo(helper);
                    held.add(java.nio.channels.FileChannel.open(Path.of("/proc/" + p.initPid() + "/ns/net")));
                    namespaces.add(Kernel.namespace(p.initPid(), "net"));
                    assertThat(Kernel.namespace(helper, "net")).as("the helper's own").isEqualTo(Kernel.namespaceOfSelf("net"));
                    p.destroyForcibly();
                    p.waitFor();
                }
            }
        } finally {
            for (java.nio.channels.FileChannel c : held) {
                c.close();
            }
        }
        assertThat(namespaces).as("network namespaces of four sandboxes").doesNotHaveDuplicates()
                .doesNotContain(Kernel.namespaceOfSelf("net"));
    }
}
