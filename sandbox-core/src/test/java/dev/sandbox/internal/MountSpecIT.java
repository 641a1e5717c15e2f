package dev.sandbox.internal;

import dev.sandbox.testing.HostRequirement;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hand-made specs sent to the helper: settings the builder does not expose on their own (a
 * read-only /sys/fs/cgroup without limits, a tmpfs size) through {@link SetupPlan}, and operation
 * lists written by hand (their order, a failing operation's report). Checked from the host through
 * the command's {@code /proc/<pid>/mountinfo}, and by what the kernel refuses inside.
 */
@DisplayName("Hand-made specs: setup operations as the kernel shows them")
class MountSpecIT {

    private static final int CLONE_NEWNS = 0x00020000;
    private static final String CGROUP = "/sys/fs/cgroup";

    /** A mount of the command: its mount point, per-mount options and super-block options. */
    record Mount(String mountPoint, String options, String superOptions) {
        boolean readOnly() {
            return List.of(options.split(",")).contains("ro");
        }
    }

    record Seen(String output, List<Mount> mounts) {
        /** The mounts at or below {@code dir} that paths reach: the last one listed at each mount point. */
        List<Mount> below(String dir) {
            java.util.Map<String, Mount> top = new java.util.LinkedHashMap<>();
            for (Mount m : mounts) {
                if (m.mountPoint().equals(dir) || m.mountPoint().startsWith(dir + "/")) {
                    top.put(m.mountPoint(), m);
                }
            }
            return List.copyOf(top.values());
        }
    }

    /** No helpers ahead of time (and so no thread): each launch spawns its own. */
    private static final HelperPool ON_DEMAND = new HelperPool(0, Thread::new);

    /** The plan's operations for a sandbox with only a mount namespace; {@code roCgroup} as if it had limits. */
    private static Spec spec(SetupPlan.Root root, List<SetupPlan.Mount> mounts, boolean roCgroup, String script) {
        return spec(SetupPlan.of(new SetupPlan.Settings(CLONE_NEWNS, root, mounts, false, roCgroup, null)).ops(), script);
    }

    private static Spec spec(List<Spec.Op> ops, String script) {
        byte[] path = "/usr/bin:/bin".getBytes(StandardCharsets.UTF_8);
        return new Spec(CLONE_NEWNS, List.of(), List.of(), false, null, ops, false, path, 0, 100,
                List.of(bytes("sh"), bytes("-c"), bytes(script + "; echo READY; exec sleep 30")),
                List.of(bytes("PATH=/usr/bin:/bin")), 0, 0, null, null);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Starts the spec, reads the script's output up to READY and the command's mounts, then kills it. */
    private static Seen run(Spec spec) throws IOException {
        Launcher.Started s = Launcher.launch(spec, Redirect.PIPE, Redirect.PIPE, Redirect.PIPE, true, null, ON_DEMAND);
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(s.stdout(), StandardCharsets.UTF_8));
            StringBuilder out = new StringBuilder();
            for (String line; (line = r.readLine()) != null && !line.equals("READY"); ) {
                out.append(line).append('\n');
            }
            List<Mount> mounts = new ArrayList<>();
            for (String line : Files.readString(Path.of("/proc/" + s.commandPid() + "/mountinfo")).split("\n")) {
                String[] f = line.split(" ");
                int dash = List.of(f).indexOf("-");
                mounts.add(new Mount(f[4], f[5], f[dash + 3]));
            }
            return new Seen(out.toString(), mounts);
        } finally {
            s.channel().command(Protocol.CMD_KILL, 0);
            while (s.channel().readFrameBlocking() != null) {
                // until EXIT and end of file
            }
            s.channel().reapHelper();
            s.channel().close();
            s.stdin().close();
            s.stdout().close();
        }
    }

    @Test
    void userTmpfsHasTheSizeAskedForAndWritesPastItFail() throws Exception {
        Spec spec = spec(SetupPlan.Root.READ_ONLY,
                List.of(new SetupPlan.Mount(SetupPlan.MountKind.TMPFS, null, "/sized", 1 << 20)),
                false, "head -c 2097152 /dev/zero 2>&1 > /sized/f; wc -c < /sized/f");
        Seen seen = run(spec);
        assertThat(seen.output()).contains("No space left on device").endsWith("\n1048576\n");
        assertThat(seen.below("/sized")).singleElement().satisfies(m -> {
            assertThat(m.superOptions().split(",")).contains("size=1024k");
            assertThat(m.options().split(",")).contains("nosuid", "nodev");
        });
    }

    @Test
    void roCgroupMakesTheHostRootsCgroupTreeReadOnly() throws Exception {
        List<String> hostMounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(l -> l.split(" ")[4]).filter(p -> p.equals(CGROUP) || p.startsWith(CGROUP + "/")).toList();
        HostRequirement.require(!hostMounts.isEmpty(), "needs a cgroup file system at " + CGROUP);
        HostRequirement.require(LibC.get().geteuid() == 0, "needs root: an unprivileged caller cannot write there anyway");
        // without the bit the host root's cgroup tree is writable in the view: the check below can fail
        assertThat(run(spec(SetupPlan.Root.HOST, List.of(), false, "true")).below(CGROUP))
                .anySatisfy(m -> assertThat(m.readOnly()).isFalse());

        String probe = "sandbox-ro-cgroup-" + UUID.randomUUID();
        List<Path> tries = new ArrayList<>(List.of(Path.of(CGROUP, probe)));
        hostMounts.stream().filter(p -> !p.equals(CGROUP)).findFirst().ifPresent(p -> tries.add(Path.of(p, probe)));
        StringBuilder script = new StringBuilder("true");
        for (Path p : tries) {
            script.append("; mkdir ").append(p).append(" 2>&1");
        }
        try {
            Seen seen = run(spec(SetupPlan.Root.HOST, List.of(), true, script.toString()));
            assertThat(seen.output().lines()).hasSize(tries.size()).allSatisfy(l -> assertThat(l).contains("Read-only file system"));
            assertThat(seen.below(CGROUP)).hasSameSizeAs(hostMounts).allSatisfy(m -> assertThat(m.readOnly()).as(m.mountPoint()).isTrue());
            for (Path p : tries) {
                assertThat(p).doesNotExist();
            }
        } finally {
            for (Path p : tries) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void theReadOnlyRootsCgroupTreeIsReadOnlyAlready() throws Exception {
        for (boolean roCgroup : new boolean[] {false, true}) {
            Seen seen = run(spec(SetupPlan.Root.READ_ONLY, List.of(), roCgroup, "true"));
            assertThat(seen.below(CGROUP)).isNotEmpty().allSatisfy(m -> assertThat(m.readOnly()).as(m.mountPoint()).isTrue());
        }
    }

    /** A read-only mirror of the host with {@code middle} run between the mirror and the read-only root. */
    private static List<Spec.Op> readOnlyRootWith(Spec.Op... middle) {
        List<Spec.Op> ops = new ArrayList<>();
        ops.add(Spec.Op.of(Protocol.OP_NEW_ROOT, 0, "/"));
        ops.add(new Spec.Op(Protocol.OP_MIRROR_HOST, Protocol.OP_F_RO, 0, 0, bytes("dev"), bytes("/")));
        ops.add(Spec.Op.of(Protocol.OP_DEV, 0, "/dev"));
        ops.addAll(List.of(middle));
        ops.add(Spec.Op.of(Protocol.OP_REMOUNT_RO, 0, "/"));
        ops.add(Spec.Op.of(Protocol.OP_SWITCH_ROOT, 0, "/"));
        return ops;
    }

    private static Spec.Op tmpfs(String target) {
        return new Spec.Op(Protocol.OP_TMPFS, 0, 1 << 20, 0755, new byte[0], bytes(target));
    }

    private static Spec.Op bind(Path source, String target) {
        return new Spec.Op(Protocol.OP_BIND, Protocol.OP_F_RO, 0, 0, bytes(source.toString()), bytes(target));
    }

    @Test
    @DisplayName("operations run in the order sent: a bind inside a tmpfs shows, a tmpfs over a bind hides it")
    void operationsRunInOrder(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("marker"), "from the host\n");
        String script = "cat /t/b/marker 2>&1; ls -A /t";
        Seen bindInside = run(spec(readOnlyRootWith(tmpfs("/t"), bind(dir, "/t/b")), script));
        assertThat(bindInside.output()).isEqualTo("from the host\nb\n");
        assertThat(bindInside.below("/t")).extracting(Mount::mountPoint).containsExactly("/t", "/t/b");

        Seen tmpfsOver = run(spec(readOnlyRootWith(bind(dir, "/t/b"), tmpfs("/t")), script));
        assertThat(tmpfsOver.output()).contains("No such file or directory").doesNotContain("from the host");
        // the bind is still mounted, under the tmpfs that came after it
        assertThat(tmpfsOver.below("/t")).extracting(Mount::mountPoint).containsExactly("/t/b", "/t");
    }

    @Test
    @DisplayName("a failing operation is named: its kind as the step, its target as the path, with the errno")
    void aFailingOperationIsNamed() {
        // /etc/passwd is a file: nothing can be created below it
        assertThatThrownBy(() -> run(spec(readOnlyRootWith(tmpfs("/t"), tmpfs("/etc/passwd/x")), "true")))
                .isInstanceOfSatisfying(dev.sandbox.SandboxException.class, e -> {
                    assertThat(e.step()).isEqualTo("tmpfs");
                    assertThat(e.path()).isEqualTo("/etc/passwd/x");
                    assertThat(e.errnoName()).isEqualTo("ENOTDIR");
                });
        // a mask that is not optional must find its target
        assertThatThrownBy(() -> run(spec(readOnlyRootWith(Spec.Op.of(Protocol.OP_MASK, 0, "/no/such/path")), "true")))
                .isInstanceOfSatisfying(dev.sandbox.SandboxException.class, e -> {
                    assertThat(e.step()).isEqualTo("mask");
                    assertThat(e.path()).isEqualTo("/no/such/path");
                    assertThat(e.errnoName()).isEqualTo("ENOENT");
                    assertThat(e).hasMessageStartingWith("mask /no/such/path: ENOENT");
                });
    }

    @Test
    @DisplayName("mkdir, symlink and mqueue operations land in the view, never on the host")
    void mkdirSymlinkAndMqueue() throws Exception {
        String link = "sandbox-op-link-" + UUID.randomUUID();
        Spec spec = spec(readOnlyRootWith(
                new Spec.Op(Protocol.OP_MKDIR, 0, 0, 0700, new byte[0], bytes("/made/deep")),
                new Spec.Op(Protocol.OP_SYMLINK, 0, 0, 0, bytes("/etc/passwd"), bytes("/made/deep/passwd")),
                new Spec.Op(Protocol.OP_SYMLINK, 0, 0, 0, bytes("passwd"), bytes("/etc/" + link)),
                Spec.Op.of(Protocol.OP_MQUEUE, 0, "/dev/mqueue")),
                "stat -c %a /made/deep; readlink /made/deep/passwd /etc/" + link + "; head -c 5 /etc/" + link
                        + "; echo; touch /made/x 2>&1 | grep -c Read-only");
        Seen seen = run(spec);
        assertThat(seen.output()).isEqualTo("700\n/etc/passwd\npasswd\nroot:\n1\n");
        assertThat(seen.below("/dev/mqueue")).singleElement()
                .satisfies(m -> assertThat(m.options().split(",")).contains("nosuid", "nodev", "noexec"));
        assertThat(Path.of("/etc", link)).doesNotExist();
        assertThat(Path.of("/made")).doesNotExist();
    }

    @Test
    @DisplayName("on the host's own root, a symlink at the top level goes to a staged mirror of it, not the host")
    void symlinkOnTheHostRootStaysInTheView() throws Exception {
        String link = "sandbox-op-link-" + UUID.randomUUID();
        Seen seen = run(spec(List.of(new Spec.Op(Protocol.OP_SYMLINK, 0, 0, 0, bytes("etc"), bytes("/" + link)),
                Spec.Op.of(Protocol.OP_CHDIR, 0, "/" + link)), "pwd; readlink /" + link + "; ls /" + link + "/passwd"));
        assertThat(seen.output()).isEqualTo("/etc\netc\n/" + link + "/passwd\n"); // chdir followed the link
        assertThat(Path.of("/", link)).doesNotExist();
    }

    @Test
    @DisplayName("a dev operation on the host's own root covers /dev in the view with the minimal one")
    void devOnTheHostRoot() throws Exception {
        Seen seen = run(spec(List.of(Spec.Op.of(Protocol.OP_DEV, 0, "/dev")), "ls /dev | tr '\\n' ' '; echo x > /dev/null && echo ok"));
        assertThat(seen.output()).isEqualTo("fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ok\n");
        assertThat(seen.below("/dev").get(0)).satisfies(m -> assertThat(m.mountPoint()).isEqualTo("/dev"));
    }
}
