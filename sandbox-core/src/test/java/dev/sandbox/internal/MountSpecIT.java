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

/**
 * Mount settings the builder does not expose yet, sent to the helper as a hand-made spec: a
 * read-only /sys/fs/cgroup ({@code FEATURE_RO_CGROUP}) and a tmpfs size. Checked from the host
 * through the command's {@code /proc/<pid>/mountinfo}, and by what the kernel refuses inside.
 */
@DisplayName("Hand-made specs: a read-only /sys/fs/cgroup and a sized tmpfs, as the kernel shows them")
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

    private static Spec spec(int root, List<Spec.Mount> mounts, int features, String script) {
        byte[] path = "/usr/bin:/bin".getBytes(StandardCharsets.UTF_8);
        return new Spec(CLONE_NEWNS, List.of(), List.of(), false, null, root, mounts, features, null, path, 0, 100,
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
        Spec spec = spec(Protocol.ROOT_READ_ONLY,
                List.of(new Spec.Mount(Protocol.MOUNT_TMPFS, 0, 1 << 20, new byte[0], bytes("/sized"))),
                Protocol.FEATURE_DEV, "head -c 2097152 /dev/zero 2>&1 > /sized/f; wc -c < /sized/f");
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
        assertThat(run(spec(Protocol.ROOT_HOST, List.of(), 0, "true")).below(CGROUP))
                .anySatisfy(m -> assertThat(m.readOnly()).isFalse());

        String probe = "sandbox-ro-cgroup-" + UUID.randomUUID();
        List<Path> tries = new ArrayList<>(List.of(Path.of(CGROUP, probe)));
        hostMounts.stream().filter(p -> !p.equals(CGROUP)).findFirst().ifPresent(p -> tries.add(Path.of(p, probe)));
        StringBuilder script = new StringBuilder("true");
        for (Path p : tries) {
            script.append("; mkdir ").append(p).append(" 2>&1");
        }
        try {
            Seen seen = run(spec(Protocol.ROOT_HOST, List.of(), Protocol.FEATURE_RO_CGROUP, script.toString()));
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
        for (int features : new int[] {0, Protocol.FEATURE_RO_CGROUP}) {
            Seen seen = run(spec(Protocol.ROOT_READ_ONLY, List.of(), features, "true"));
            assertThat(seen.below(CGROUP)).isNotEmpty().allSatisfy(m -> assertThat(m.readOnly()).as(m.mountPoint()).isTrue());
        }
    }
}
