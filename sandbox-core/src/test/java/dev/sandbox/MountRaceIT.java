package dev.sandbox;

import dev.sandbox.internal.LibC;
import dev.sandbox.testing.ForOthers;
import dev.sandbox.testing.HostRequirement;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mount-target race, performed: an unprivileged user who can write into a directory bound
 * into the sandbox swaps a directory on a target's path with a symlink to a root-only host
 * directory while a root JVM starts sandboxes whose targets go through it. Setup must never
 * create anything on the host through that symlink.
 */
@DisplayName("Mount targets: a user swapping a bound directory for a symlink cannot make setup write on the host")
class MountRaceIT {

    private static final int NOBODY = 65534;
    private static final double ATTACK_SECONDS = 4;

    /**
     * Swaps W/d (a directory) with W/p (a symlink to the root-only directory), with W/o (the same
     * directory as the helper sees it after pivot_root: under /oldroot) and with W/e (another
     * directory), back and forth, until the time is up; prints the number of swaps.
     */
    private static final String ATTACKER = """
            #define _GNU_SOURCE
            #include <fcntl.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <sys/syscall.h>
            #include <time.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
                int dir = open(argv[1], O_RDONLY | O_DIRECTORY);
                double secs = atof(argv[2]);
                const char *other[] = {"p", "p", "o", "o", "e", "e"};
                struct timespec t0, t;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                long n = 0;
                if (dir < 0) { perror(argv[1]); return 1; }
                for (;;) {
                    if (syscall(SYS_renameat2, dir, "d", dir, other[n % 6], 2 /* RENAME_EXCHANGE */) != 0) { perror("renameat2"); return 1; }
                    if ((++n & 255) == 0) {
                        clock_gettime(CLOCK_MONOTONIC, &t);
                        if ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 > secs) break;
                    }
                }
                printf("%ld\\n", n);
                return 0;
            }
            """;

    /** What a run of starts came to: how many ran, the clean refusals by message, anything else. */
    record Tally(int ran, Map<String, Integer> refused, List<String> unexpected) {
    }

    /**
     * The sandboxes under attack: the host root with W at its own path (no new root needed), the
     * host root with W at /w (a new root mirroring the host's), and the read-only root; every
     * target goes through W/d.
     */
    static List<Sandbox> sandboxes(Path w, Path source) {
        List<Sandbox> out = new ArrayList<>();
        for (String mode : List.of("in-place", "host", "read-only")) {
            String at = mode.equals("in-place") ? w.toString() : "/w";
            Sandbox.Builder b = Sandbox.builder().bind(w, at).tmpfs(at + "/d/x/y").bind(source, at + "/d/new/file")
                    .readOnlyBind(source, at + "/d/ro/deeper/file");
            for (int i = 0; i < 16; i++) {
                b.tmpfs(at + "/d/t" + i); // each one more check-then-create in the directory being swapped
            }
            out.add((mode.equals("read-only") ? b.readOnlyRoot() : b).build());
        }
        return out;
    }

    /** Starts the sandboxes round-robin from two threads while {@code attacking} holds. */
    static Tally startWhile(List<Sandbox> sandboxes, BooleanSupplier attacking) throws InterruptedException {
        AtomicInteger ran = new AtomicInteger();
        Map<String, Integer> refused = new ConcurrentHashMap<>();
        List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
        List<Thread> starters = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; attacking.getAsBoolean() && unexpected.isEmpty(); i++) {
                    try {
                        SandboxResult r = sandboxes.get(i % sandboxes.size()).run("true");
                        if (r.exitCode() != 0) {
                            unexpected.add("exit " + r.exitCode() + ": " + r.stderr());
                        }
                        ran.incrementAndGet();
                    } catch (SandboxException e) {
                        // a clean refusal names its step; "helper" would mean the helper itself died
                        refused.merge(e.getMessage(), 1, Integer::sum);
                        if (e.step().equals("helper")) {
                            unexpected.add(e.getMessage());
                        }
                    } catch (Exception e) {
                        unexpected.add(e.toString());
                    }
                }
            });
            th.start();
            starters.add(th);
        }
        for (Thread th : starters) {
            th.join();
        }
        return new Tally(ran.get(), refused, List.copyOf(unexpected));
    }

    /**
     * Run as root in a child JVM whose helper uses mount(2) only (as before Linux 5.2): once its
     * sandboxes are built and one has run, prints {@code READY} and reads the attacker's pid, then
     * makes the same starts while the attacker lives (however slowly this JVM came up). Prints
     * {@code ran N refused {...}}, then each unexpected failure.
     */
    public static final class OldKernelStarter {
        public static void main(String[] args) throws Exception {
            List<Sandbox> sandboxes = sandboxes(Path.of(args[0]), Path.of(args[1]));
            sandboxes.get(0).run("true"); // loaded and warm before the attack starts
            System.out.println("READY");
            System.out.flush();
            long attacker = Long.parseLong(new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
                    StandardCharsets.UTF_8)).readLine().trim());
            Tally t = startWhile(sandboxes, () -> ProcessHandle.of(attacker).map(ProcessHandle::isAlive).orElse(false));
            System.out.println("ran " + t.ran() + " refused " + t.refused());
            t.unexpected().forEach(System.out::println);
        }
    }

    @Test
    void setupNeverFollowsTheSwappedSymlinkOntoTheHost() throws Exception {
        HostRequirement.require(LibC.get().geteuid() == 0, "needs root: the attack targets a root JVM");
        HostRequirement.require(Kernel.onPath("setpriv") && Kernel.onPath("cc"),
                "needs setpriv (util-linux) to drop to uid 65534 and cc to build the attacker");
        Path buildScript = Path.of(System.getProperty("user.dir"), "src", "main", "c", "build.sh");
        HostRequirement.require(Files.isRegularFile(buildScript), "runs from the sandbox-core module directory (mvn)");
        Path base = Files.createTempDirectory("sandbox-mount-race");
        Process attacker = null;
        Process oldKernel = null;
        try {
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path secret = Files.createDirectory(base.resolve("root-only"));
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rwx------"));
            Path w = Files.createDirectory(base.resolve("w"));
            Files.createDirectory(w.resolve("d"));
            Files.createDirectory(w.resolve("e"));
            Files.createSymbolicLink(w.resolve("p"), secret);
            Files.createSymbolicLink(w.resolve("o"), Path.of("/oldroot" + secret));
            for (Path p : List.of(w, w.resolve("d"), w.resolve("e"), w.resolve("p"), w.resolve("o"))) {
                Files.setAttribute(p, "unix:uid", NOBODY, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", NOBODY, LinkOption.NOFOLLOW_LINKS);
            }
            Path source = Files.writeString(base.resolve("source"), "bound\n");
            Path program = base.resolve("attacker");
            Files.writeString(base.resolve("attacker.c"), ATTACKER);
            // the helper as it runs on kernels before 5.2: mount(2) onto /proc/self/fd, no mount_setattr
            ProcessBuilder oldBuild = new ProcessBuilder("sh", buildScript.toString(), base.resolve("old").toString(),
                    base.resolve("obj").toString()).redirectErrorStream(true);
            oldBuild.environment().put("CFLAGS", "-DSBX_TEST_NO_NEW_MOUNT_API -DSBX_TEST_NO_MOUNT_SETATTR");
            Process building = oldBuild.start();
            Kernel.host("cc", "-O2", "-o", program.toString(), base.resolve("attacker.c").toString());
            String buildLog = new String(building.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(building.waitFor()).as(buildLog).isZero();
            Path oldHelper = base.resolve("old").resolve(dev.sandbox.internal.HelperBinary.platform()).resolve("sandbox-helper");
            List<Sandbox> sandboxes = sandboxes(w, source);

            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            oldKernel = new ProcessBuilder(java, "-Dsandbox.helper=" + oldHelper, "-cp",
                    ForOthers.classpath().stream().map(Path::toString).collect(Collectors.joining(":")), OldKernelStarter.class.getName(), w.toString(), source.toString())
                    .redirectErrorStream(true).start();
            java.io.BufferedReader oldOut = new java.io.BufferedReader(new java.io.InputStreamReader(oldKernel.getInputStream(),
                    StandardCharsets.UTF_8));
            String ready = oldOut.readLine();
            assertThat(ready).as("the mount(2) helper's JVM is ready").isEqualTo("READY");
            attacker = new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                    program.toString(), w.toString(), Double.toString(ATTACK_SECONDS)).redirectErrorStream(true).start();
            oldKernel.getOutputStream().write((attacker.pid() + "\n").getBytes(StandardCharsets.UTF_8));
            oldKernel.getOutputStream().flush();
            Process running = attacker;
            Tally tally = startWhile(sandboxes, running::isAlive);
            String swaps = new String(attacker.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertThat(attacker.waitFor()).as("attacker: " + swaps).isZero();
            String old = oldOut.lines().collect(Collectors.joining("\n", "", "\n"));
            assertThat(oldKernel.waitFor(30, TimeUnit.SECONDS)).isTrue();

            // the host after the attack: nothing in the root-only directory, nothing new in W
            try (Stream<Path> s = Files.walk(secret)) {
                assertThat(s.filter(p -> !p.equals(secret)).map(Path::toString))
                        .as("created in the root-only directory (%s; %s; mount(2) helper: %s; %s swaps)", tally.ran(),
                                tally.refused(), old, swaps)
                        .isEmpty();
            }
            try (Stream<Path> s = Files.list(w)) {
                assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("d", "e", "p", "o");
            }
            List<Path> dirs = new ArrayList<>();
            for (String name : List.of("d", "e", "p", "o")) {
                Path e = w.resolve(name);
                if (Files.isSymbolicLink(e)) {
                    assertThat(Files.readSymbolicLink(e)).isIn(secret, Path.of("/oldroot" + secret));
                } else {
                    dirs.add(e);
                }
            }
            assertThat(dirs).hasSize(2);
            for (Path dir : dirs) {
                try (Stream<Path> s = Files.list(dir)) {
                    assertThat(s.map(Path::toString)).as("created in the user's directory").isEmpty();
                }
            }
            // and every start either ran or was refused cleanly, with both kinds of helper
            assertThat(tally.unexpected()).isEmpty();
            assertThat(tally.ran()).as("starts that ran (refused: %s)", tally.refused()).isPositive();
            assertThat(old).as("the mount(2) helper's starts").startsWith("ran ").doesNotStartWith("ran 0 ");
            assertThat(old.lines().skip(1)).as("the mount(2) helper's unexpected failures").isEmpty();
            assertThat(oldKernel.exitValue()).as(old).isZero();
        } finally {
            for (Process p : new Process[] {attacker, oldKernel}) {
                if (p != null) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            }
            ForOthers.deleteTree(base);
        }
    }
}
