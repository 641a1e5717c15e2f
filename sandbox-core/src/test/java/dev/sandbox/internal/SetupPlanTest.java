package dev.sandbox.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The cross-field rules, which live only in SetupPlan: the operation list for each kind of root. */
@DisplayName("SetupPlan: settings to setup operations")
class SetupPlanTest {

    private static final int USER = 0x10000000;
    private static final int MOUNT = 0x00020000;
    private static final int PID = 0x20000000;
    private static final int NET = 0x40000000;

    private static final List<SetupPlan.Mount> MOUNTS = List.of(
            new SetupPlan.Mount(SetupPlan.MountKind.BIND, "/src", "/work", 0),
            new SetupPlan.Mount(SetupPlan.MountKind.READ_ONLY_BIND, "/data", "/data", 0),
            new SetupPlan.Mount(SetupPlan.MountKind.TMPFS, null, "/tmp", 4096));

    private static String plan(int ns, SetupPlan.Root root, List<SetupPlan.Mount> mounts, boolean leased, boolean limits,
            String cwd) {
        SetupPlan p = SetupPlan.of(new SetupPlan.Settings(ns, root, mounts, leased, limits, cwd));
        return p.ops().stream().map(Spec.Op::describe).collect(Collectors.joining("\n", "", "\n"))
                + (p.loopback() ? "loopback\n" : "");
    }

    private static String procMasks() {
        StringBuilder sb = new StringBuilder();
        for (String p : SetupPlan.PROC_MASKED) {
            sb.append("op mask \"/proc/").append(p).append("\" optional\n");
        }
        for (String p : SetupPlan.PROC_READ_ONLY) {
            sb.append("op remount-ro \"/proc/").append(p).append("\" recursive optional\n");
        }
        return sb.toString();
    }

    private static final String SYS_MASKS = """
            op mask "/sys/firmware" optional
            op mask "/sys/devices/virtual/powercap" optional
            """;

    @Test
    @DisplayName("host root: a fresh /proc with a pid namespace, the mounts, runc's /proc masks, the cgroup tree, chdir")
    void hostRoot() {
        assertThat(plan(USER | MOUNT | PID, SetupPlan.Root.HOST, MOUNTS, true, true, "/work")).isEqualTo(
                "op proc \"/proc\"\n"
                        + "op bind \"/work\" from \"/src\" idmap\n"
                        + "op bind \"/data\" from \"/data\" ro idmap idmap-fallback\n"
                        + "op tmpfs \"/tmp\" size=4096 mode=0755\n"
                        + procMasks()
                        + "op remount-ro \"/sys/fs/cgroup\" recursive optional\n"
                        + "op chdir \"/work\"\n");
        assertThat(plan(MOUNT, SetupPlan.Root.HOST, List.of(), false, false, null)).isEqualTo("\n");
    }

    @Test
    @DisplayName("read-only root: a read-only mirror without what comes fresh, sysfs with a net namespace, /run covered")
    void readOnlyRoot() {
        assertThat(plan(MOUNT | PID | NET, SetupPlan.Root.READ_ONLY, MOUNTS.subList(0, 1), false, false, null))
                .startsWith("""
                        op new-root "/"
                        op mirror-host "/" skip "proc/dev/sys" ro
                        op sysfs "/sys"
                        op dev "/dev"
                        op proc "/proc"
                        op tmpfs "/run" size=268435456 mode=0755
                        """)
                .contains("op bind \"/work\" from \"/src\"\n" + procMasks() + SYS_MASKS)
                .endsWith("""
                        op remount-ro "/"
                        op switch-root "/"
                        loopback
                        """);
        // without pid and net namespaces the host's /proc and /sys are mirrored
        assertThat(plan(MOUNT, SetupPlan.Root.READ_ONLY, List.of(), false, false, null)).isEqualTo("""
                op new-root "/"
                op mirror-host "/" skip "dev" ro
                op dev "/dev"
                """ + SYS_MASKS + """
                op remount-ro "/"
                op switch-root "/"
                """);
    }

    @Test
    @DisplayName("empty root: /dev, /proc and the mounts on an empty tmpfs, made read-only, entered, then chdir")
    void emptyRoot() {
        assertThat(plan(MOUNT | PID | NET, SetupPlan.Root.EMPTY, MOUNTS.subList(2, 3), false, true, "/tmp")).isEqualTo("""
                op new-root "/"
                op dev "/dev"
                op proc "/proc"
                op tmpfs "/tmp" size=4096 mode=0755
                """ + procMasks() + SYS_MASKS + """
                op remount-ro "/sys/fs/cgroup" recursive optional
                op remount-ro "/"
                op switch-root "/"
                op chdir "/tmp"
                loopback
                """);
    }

    @Test
    @DisplayName("no mount namespace: only the working directory, and lo with a net namespace")
    void noMountNamespace() {
        assertThat(plan(USER | NET, SetupPlan.Root.HOST, List.of(), false, true, "/home")).isEqualTo("""
                op chdir "/home"
                loopback
                """);
    }
    private static String landlock(int ns, SetupPlan.Root root, List<SetupPlan.Mount> mounts,
            List<SetupPlan.LandlockPath> paths) {
        Spec.Landlock l = SetupPlan.of(new SetupPlan.Settings(ns, root, mounts, false, false, "/work", true, paths))
                .landlock();
        return l.rules().stream().map(Spec.Landlock.Rule::describe).collect(Collectors.joining("\n", "", "\n"));
    }

    @Test
    @DisplayName("Landlock: / read with readOnlyRoot, binds by their kind, the library's /dev, /proc and /sys, then the caller's paths")
    void landlockRules() {
        List<SetupPlan.LandlockPath> own = List.of(new SetupPlan.LandlockPath("/opt", false),
                new SetupPlan.LandlockPath("/var/cache", true));
        assertThat(landlock(MOUNT | PID, SetupPlan.Root.READ_ONLY, MOUNTS, own)).isEqualTo("""
                landlock-rule read "/"
                landlock-rule read-write-files "/dev"
                landlock-rule read optional "/sys"
                landlock-rule read-write-files "/proc"
                landlock-rule read-write "/work"
                landlock-rule read "/data"
                landlock-rule read-write "/tmp"
                landlock-rule read "/opt"
                landlock-rule read-write "/var/cache"
                """);
        // an empty root: no "/" rule; without a pid namespace no /proc
        assertThat(landlock(MOUNT, SetupPlan.Root.EMPTY, MOUNTS.subList(1, 2), List.of())).isEqualTo("""
                landlock-rule read-write-files "/dev"
                landlock-rule read optional "/sys"
                landlock-rule read "/data"
                """);
        // the host's root: only what the sandbox mounts itself; no mount namespace: only the caller's paths
        assertThat(landlock(MOUNT | PID, SetupPlan.Root.HOST, MOUNTS.subList(2, 3), List.of())).isEqualTo("""
                landlock-rule read-write-files "/proc"
                landlock-rule read-write "/tmp"
                """);
        assertThat(landlock(USER, SetupPlan.Root.HOST, List.of(), own)).isEqualTo("""
                landlock-rule read "/opt"
                landlock-rule read-write "/var/cache"
                """);
        // off: no rules, no record
        assertThat(SetupPlan.of(new SetupPlan.Settings(MOUNT, SetupPlan.Root.EMPTY, MOUNTS, false, false, "/work"))
                .landlock()).isNull();
    }

    @Test
    @DisplayName("a network namespace made ahead serves only a root helper's loopback sandbox that has no power over it either way")
    void netAhead() {
        SetupPlan hostRoot = SetupPlan.of(new SetupPlan.Settings(USER | MOUNT | PID | NET, SetupPlan.Root.HOST, MOUNTS, true,
                false, null));
        assertThat(hostRoot.loopback()).isTrue();
        assertThat(hostRoot.netAhead(USER | MOUNT | PID | NET, true, false)).as("root, no capability, no sysfs").isTrue();
        assertThat(hostRoot.netAhead(USER | MOUNT | PID | NET, false, false)).as("an unprivileged helper makes none").isFalse();
        assertThat(hostRoot.netAhead(USER | MOUNT | PID | NET, true, true)).as("a kept capability would act on it").isFalse();
        assertThat(hostRoot.netAhead(USER | MOUNT | PID, true, false)).as("no network namespace").isFalse();
        assertThat(hostRoot.netAhead(MOUNT | PID | NET, true, true)).as("without a user namespace it was the helper's anyway")
                .isTrue();
        SetupPlan readOnly = SetupPlan.of(new SetupPlan.Settings(USER | MOUNT | PID | NET, SetupPlan.Root.READ_ONLY, List.of(),
                true, false, null));
        assertThat(readOnly.ops()).anyMatch(o -> o.kind() == Protocol.OP_SYSFS);
        assertThat(readOnly.netAhead(USER | MOUNT | PID | NET, true, false)).as("a fresh sysfs needs the namespace's owner")
                .isFalse();
    }
}
