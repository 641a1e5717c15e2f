package dev.sandbox;

import dev.sandbox.testing.HostRequirement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A root caller's network namespaces made ahead of time by idle helpers ({@code --net-ahead},
 * netns.c): each sandbox gets a fresh one, loopback only and up; nothing inside has power over it;
 * the helper that made it is back in the host's namespace and keeps no handle; a sandbox that could
 * use a capability over its namespace, or mounts a fresh sysfs, gets one of its own as before.
 */
@DisplayName("Network namespaces made ahead by root helpers: fresh per sandbox, powerless inside, the helper back home")
class NetAheadIT {

    private static OwnRuntime rt;
    private static String hostUserNs;
    private static String hostNetNs;

    @BeforeAll
    static void requireRoot() throws Exception {
        HostRequirement.require(dev.sandbox.internal.LibC.get().geteuid() == 0,
                "needs root (an unprivileged caller's helpers make no namespace ahead: SetupPlanTest)");
        rt = OwnRuntime.open();
        hostUserNs = inode(Kernel.namespaceOfSelf("user"));
        hostNetNs = Kernel.namespaceOfSelf("net");
    }

    @AfterAll
    static void nothingLeft() throws Exception {
        if (rt != null) {
            rt.closeAndAssertNothingLeft();
        }
    }

    private static String inode(String link) {
        return link.replaceAll("\\D", "");
    }

    /** The inode of the user namespace that owns {@code pid}'s network namespace, as the kernel reports it. */
    private static String netOwner(long pid) throws Exception {
        return Kernel.host("lsns", "-n", "-o", "ONS", "-t", "net", "-p", Long.toString(pid)).trim();
    }

    /** The idle helpers of the runtime started with {@code --net-ahead}. */
    private static List<Long> netAheadHelpers() throws IOException {
        List<Long> out = new ArrayList<>();
        for (long pid : rt.newChildren()) {
            try {
                if (Files.readString(Path.of("/proc/" + pid + "/cmdline")).contains("--net-ahead")) {
                    out.add(pid);
                }
            } catch (IOException gone) {
                // ended meanwhile
            }
        }
        return out;
    }

    /**
     * Waits until a --net-ahead helper has made its namespace and is back in the host's (while it
     * makes it, it is briefly in the new one), and returns it.
     */
    private static long awaitNetAheadHelper() throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (long pid : netAheadHelpers()) {
                try {
                    if (Kernel.namespace(pid, "net").equals(hostNetNs)) {
                        return pid;
                    }
                } catch (IOException gone) {
                    // ended meanwhile
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no --net-ahead helper back in the host's network namespace after a hardened() start: "
                + netAheadHelpers());
    }

    private static SandboxedProcess startAndAwait(Sandbox s, String script) throws IOException {
        SandboxedProcess p = s.start("sh", "-c", "echo up; " + script);
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(line).as("the sandbox's first line").isEqualTo("up");
        return p;
    }

    @Test
    @DisplayName("after the first start, hardened() sandboxes run in a fresh host-owned namespace, lo up and alone; the helper went home")
    void hardenedSandboxesGetAFreshNamespaceMadeAhead() throws Exception {
        Sandbox s = Sandbox.hardened().runtime(rt.runtime).build();
        assertThat(s.describe("true")).contains("net-ahead");
        assertThat(s.run("true").exitCode()).isZero(); // the first start finds no such helper and asks for one

        awaitNetAheadHelper();

        try (SandboxedProcess a = startAndAwait(s, "exec sleep 30"); SandboxedProcess b = startAndAwait(s, "exec sleep 30")) {
            for (SandboxedProcess p : List.of(a, b)) {
                String net = Kernel.namespace(p.pid(), "net");
                assertThat(net).isNotEqualTo(hostNetNs);
                assertThat(netOwner(p.pid())).as("owner of the sandbox's netns").isEqualTo(hostUserNs);
                assertThat(inode(Kernel.namespace(p.pid(), "user"))).isNotEqualTo(hostUserNs);
                String links = Kernel.host("nsenter", "--net=/proc/" + p.pid() + "/ns/net", "ip", "-j", "link", "show");
                assertThat(links).contains("\"ifname\":\"lo\"").containsPattern("\"flags\":\\[[^]]*\"UP\"");
                assertThat(links.split("\"ifname\"", -1)).as("interfaces: only lo").hasSize(2);
            }
            assertThat(Kernel.namespace(a.pid(), "net")).as("each sandbox its own").isNotEqualTo(Kernel.namespace(b.pid(), "net"));
            for (SandboxedProcess p : List.of(a, b)) {
                long helper = Kernel.parentOf(Kernel.parentOf(p.pid())); // the command's parent is PID 1
                assertThat(Kernel.namespace(helper, "net")).as("its helper went home after the clone").isEqualTo(hostNetNs);
                assertThat(Files.readString(Path.of("/proc/" + helper + "/cmdline"))).as("its helper").contains("--net-ahead");
            }
            // The sandbox's PID 1 (the helper's image, never exec'd) holds no handle on the host's network namespace.
            long pid1 = Kernel.parentOf(a.pid());
            try (var fds = Files.list(Path.of("/proc/" + pid1 + "/fd"))) {
                for (Path fd : fds.toList()) {
                    assertThat(Files.readSymbolicLink(fd).toString()).as("PID 1's " + fd).doesNotStartWith("net:");
                }
            }
        }
    }

    @Test
    @DisplayName("inside a namespace made ahead the command cannot take lo down, add an interface or write a net sysctl")
    void theCommandHasNoPowerOverIt() throws Exception {
        Sandbox s = Sandbox.hardened().runtime(rt.runtime).seccomp(SeccompPolicy.unconfined()).build();
        assertThat(s.run("true").exitCode()).isZero();
        awaitNetAheadHelper();
        String ip = Files.exists(Path.of("/usr/sbin/ip")) ? "/usr/sbin/ip" : "/usr/bin/ip";
        try (SandboxedProcess p = startAndAwait(s, ip + " link set lo down 2>/dev/null; echo down=$?; "
                + ip + " link add d0 type dummy 2>/dev/null; echo add=$?; "
                + "(echo 1 > /proc/sys/net/ipv4/ip_forward) 2>/dev/null; echo sysctl=$?; "
                + "unshare -r " + ip + " link set lo down 2>/dev/null; echo nested=$?; exec sleep 30")) {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            List<String> answers = List.of(out.readLine(), out.readLine(), out.readLine(), out.readLine());
            assertThat(netOwner(p.pid())).isEqualTo(hostUserNs);
            assertThat(answers).allSatisfy(a -> assertThat(a).doesNotEndWith("=0"));
            String in = "--net=/proc/" + p.pid() + "/ns/net";
            assertThat(Kernel.host("nsenter", in, "ip", "-j", "link", "show", "lo")).containsPattern("\"flags\":\\[[^]]*\"UP\"");
            assertThat(Kernel.host("nsenter", in, "ip", "-j", "link", "show")).doesNotContain("d0");
            assertThat(Kernel.host("nsenter", in, "cat", "/proc/sys/net/ipv4/ip_forward").trim()).isEqualTo("0");
        }
    }

    @Test
    @DisplayName("a sandbox that keeps a capability or mounts a fresh sysfs gets a namespace of its own, as before")
    void whereItWouldChangeSomethingTheSandboxOwnsItsNamespace() throws Exception {
        Sandbox.hardened().runtime(rt.runtime).build().run("true");
        awaitNetAheadHelper();
        Sandbox admin = Sandbox.builder().runtime(rt.runtime).mapRootUser().pidNs().netNs()
                .keepCapabilities(Capability.NET_ADMIN).build();
        assertThat(admin.describe("true")).doesNotContain("net-ahead");
        try (SandboxedProcess p = startAndAwait(admin, "exec sleep 30")) {
            // its own user namespace owns it (the command itself sits in a nested one that locks the mounts)
            assertThat(netOwner(p.pid())).isNotEqualTo(hostUserNs);
        }
        Sandbox sysfs = Sandbox.builder().runtime(rt.runtime).userNs().pidNs().netNs().readOnlyRoot().build();
        assertThat(sysfs.describe("true")).contains("op sysfs").doesNotContain("net-ahead");
        SandboxResult r = sysfs.run("ls", "/sys/class/net");
        assertThat(r.stdout()).isEqualTo("lo\n");
    }
}
