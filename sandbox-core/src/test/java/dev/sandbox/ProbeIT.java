package dev.sandbox;

import dev.sandbox.testing.HostRequirement;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Sandbox.probe() agrees with util-linux's unshare about every namespace type")
class ProbeIT {

    @Test
    void agreesWithUnshare() throws Exception {
        HostRequirement.require(Kernel.onPath("unshare"), "needs unshare (util-linux) as the independent witness");
        SandboxProbe probe = Sandbox.probe();
        for (Namespace ns : Namespace.values()) {
            String flag = switch (ns) {
                case USER -> "--user";
                case MOUNT -> "--mount";
                case PID -> "--pid";
                case NET -> "--net";
                case UTS -> "--uts";
                case IPC -> "--ipc";
                case CGROUP -> "--cgroup";
                case TIME -> "--time";
            };
            boolean witnessed;
            try {
                if (dev.sandbox.internal.LibC.get().geteuid() == 0 || ns == Namespace.USER) {
                    Kernel.host("unshare", flag, "--fork", "true");
                } else {
                    Kernel.host("unshare", "--user", flag, "--fork", "true");
                }
                witnessed = true;
            } catch (AssertionError e) {
                witnessed = false;
            }
            assertThat(probe.supports(ns)).as(ns.name().toLowerCase(Locale.ROOT) + ": " + probe.whyNot(ns).orElse(""))
                    .isEqualTo(witnessed);
        }
        assertThat(probe.report()).contains("user namespace: ", "cgroups: ");
    }

    @Test
    @DisplayName("reports the cgroup layout as cgroupfs shows it: v2 controllers offered and passed down, delegation")
    void reportsTheCgroupLayout() throws Exception {
        dev.sandbox.cgroups.CgroupHost host = dev.sandbox.cgroups.CgroupHost.detect();
        String report = Sandbox.probe().report();
        if (host.layout() == dev.sandbox.cgroups.CgroupHost.Layout.V2) {
            java.nio.file.Path mount = host.unifiedMount().orElseThrow();
            String own = host.ownGroups().getOrDefault("", "/");
            java.nio.file.Path ownDir = own.equals("/") ? mount : mount.resolve(own.substring(1));
            assertThat(report).contains("v2 mount " + mount + ": controllers "
                    + Kernel.read(mount + "/cgroup.controllers").trim());
            String passed = Kernel.read(ownDir + "/cgroup.subtree_control").trim();
            assertThat(report).contains("v2 own group " + ownDir + ": offered ")
                    .contains("passed down " + (passed.isEmpty() ? "(none)" : passed));
            assertThat(report).contains(Kernel.read("/proc/self/mountinfo").contains("nsdelegate") ? ", nsdelegate" : ", no nsdelegate");
            assertThat(report).contains(dev.sandbox.internal.LibC.get().geteuid() == 0
                    ? "v2: the root is writable" : "v2: own group is");
        } else {
            for (String c : host.v1Mounts().keySet()) {
                if (!c.startsWith("name=")) {
                    assertThat(report).contains("v1 " + c + ": " + host.v1Mounts().get(c));
                }
            }
        }
    }

    @Test
    @DisplayName("reports seccomp and Landlock as the kernel shows them, and the host ids a root caller's sandboxes use")
    void reportsTheProtections() throws Exception {
        SandboxProbe probe = Sandbox.probe();
        boolean seccomp = Kernel.read("/proc/self/status").contains("\nSeccomp:");
        assertThat(probe.security().get("seccomp")).startsWith(seccomp ? "yes" : "no");
        String lsm = activeSecurityModules();
        assertThat(probe.security().get("landlock")).startsWith(lsm.contains("landlock") ? "yes, ABI " : "no");
        assertThat(probe.security()).containsKey("host ids");
        if (dev.sandbox.internal.LibC.get().geteuid() == 0) {
            assertThat(probe.security().get("idmapped mounts")).isNotNull();
        }
        assertThat(probe.report()).contains("seccomp: ", "landlock: ", "host ids: ");
    }

    /** The kernel's active LSMs: securityfs when mounted, else lsm= on the command line, else the build config. */
    private static String activeSecurityModules() throws Exception {
        java.nio.file.Path lsm = java.nio.file.Path.of("/sys/kernel/security/lsm");
        if (java.nio.file.Files.exists(lsm)) {
            return java.nio.file.Files.readString(lsm);
        }
        java.util.regex.Matcher cmdline = java.util.regex.Pattern.compile("(?:^|\\s)lsm=(\\S+)")
                .matcher(Kernel.read("/proc/cmdline"));
        if (cmdline.find()) {
            return cmdline.group(1);
        }
        java.nio.file.Path config = java.nio.file.Path.of("/proc/config.gz");
        HostRequirement.require(java.nio.file.Files.exists(config),
                "needs /sys/kernel/security/lsm, lsm= on the kernel command line or /proc/config.gz to witness Landlock");
        try (java.io.InputStream in = new java.util.zip.GZIPInputStream(java.nio.file.Files.newInputStream(config))) {
            String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^CONFIG_LSM=\"([^\"]*)\"").matcher(text);
            boolean built = text.contains("\nCONFIG_SECURITY_LANDLOCK=y");
            return built && m.find() ? m.group(1) : "";
        }
    }
}
