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
}
