package dev.sandbox;

import dev.sandbox.internal.LibC;
import dev.sandbox.testing.ForOthers;
import dev.sandbox.testing.HostRequirement;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the command may not read or change of the kernel through the view: runc's masked and
 * read-only /proc paths (and /sys paths of a new root), and a /dev that holds no devices of its
 * own. Checked from inside (the kernel refuses) and from the host ({@code /proc/<pid>/mountinfo}).
 */
@DisplayName("Kernel files in the view: masked and read-only /proc and /sys paths, a nodev /dev")
class KernelFilesIT {

    private static final int NOBODY = 65534;

    /** runc's defaults, as the helper applies them (files get /dev/null, directories an empty read-only tmpfs). */
    static final List<String> MASKED = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi");
    static final List<String> READ_ONLY = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    /**
     * Reads /proc/kcore and /proc/keys (byte counts, or "gone"), writes the hostname that is
     * already there into /proc/sys, opens /proc/sysrq-trigger for writing without writing; then
     * waits as the same pid so its mountinfo can be read from outside.
     */
    static final String PROBE = "wc -c < /proc/kcore 2>/dev/null || echo gone; wc -c < /proc/keys;"
            + " h=$(cat /proc/sys/kernel/hostname); (echo \"$h\" > /proc/sys/kernel/hostname) 2>&1;"
            + " if [ -e /proc/sysrq-trigger ]; then (: > /proc/sysrq-trigger) 2>&1; else echo no sysrq-trigger; fi;"
            + " echo READY; exec sleep 30";

    /** One line of /proc/<pid>/mountinfo. */
    record Mount(String root, String mountPoint, String options, String type, String superOptions) {
        static Mount parse(String line) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            return new Mount(f[3], f[4], f[5], f[dash + 1], f[dash + 3]);
        }

        boolean readOnly() {
            return List.of(options.split(",")).contains("ro");
        }
    }

    static List<Mount> mountsOf(long pid) throws IOException {
        List<Mount> out = new ArrayList<>();
        for (String line : Kernel.read("/proc/" + pid + "/mountinfo").split("\n")) {
            out.add(Mount.parse(line));
        }
        return out;
    }

    /** The top mount at {@code path}: the last one listed there. */
    static Optional<Mount> at(List<Mount> mounts, String path) {
        return mounts.stream().filter(m -> m.mountPoint().equals(path)).reduce((a, b) -> b);
    }

    /** The probe's output and the command's mounts, seen from the host while it waits. */
    record Seen(String output, List<Mount> mounts) {
    }

    static Seen probe(Sandbox sandbox) throws Exception {
        try (SandboxedProcess p = sandbox.start("sh", "-c", PROBE)) {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder out = new StringBuilder();
            for (String line; (line = r.readLine()) != null && !line.equals("READY"); ) {
                out.append(line).append('\n');
            }
            return new Seen(out.toString(), mountsOf(p.pid()));
        }
    }

    /** What every sandbox with a fresh /proc shows, whoever started it. */
    static void assertProcProtected(Seen seen) throws IOException {
        String[] lines = seen.output().split("\n");
        assertThat(lines[0]).as("bytes read from /proc/kcore").isIn("0", "gone");
        assertThat(lines[1]).as("bytes read from /proc/keys").isEqualTo("0");
        assertThat(lines[2]).as("writing /proc/sys/kernel/hostname").contains("Read-only file system");
        assertThat(lines[3]).as("opening /proc/sysrq-trigger for writing").containsAnyOf("Read-only file system", "no sysrq-trigger");
        for (String path : MASKED) {
            if (!Files.exists(Path.of(path))) {
                continue; // a fresh procfs has the files the host's has
            }
            Mount m = at(seen.mounts(), path).orElseThrow(() -> new AssertionError(path + " is not masked: " + seen.mounts()));
            if (Files.isDirectory(Path.of(path))) {
                assertThat(m.type()).as(path).isEqualTo("tmpfs");
                assertThat(m.readOnly()).as(path + " read-only").isTrue();
            } else {
                assertThat(m.root()).as(path + " covered by /dev/null").endsWith("/null");
            }
        }
        for (String path : READ_ONLY) {
            if (Files.exists(Path.of(path))) {
                assertThat(at(seen.mounts(), path)).as(path).hasValueSatisfying(m -> {
                    assertThat(m.type()).isEqualTo("proc");
                    assertThat(m.readOnly()).as(path + " read-only").isTrue();
                });
            }
        }
    }

    @Nested
    @DisplayName("a fresh /proc")
    class FreshProc {

        @Test
        void hidesAndFreezesRuncsPathsForARootCaller() throws Exception {
            HostRequirement.require(LibC.get().geteuid() == 0, "needs root: the unprivileged case is the test below");
            assertProcProtected(probe(Sandbox.builder().pidNs().build()));
        }

        @Test
        void hidesAndFreezesRuncsPathsForAnUnprivilegedCallerMappedToRoot() throws Exception {
            if (LibC.get().geteuid() != 0) {
                assertProcProtected(probe(Sandbox.builder().mapRootUser().pidNs().build()));
                return;
            }
            HostRequirement.require(Kernel.onPath("setpriv"), "needs setpriv (util-linux) to drop to uid 65534");
            Path work = Files.createTempDirectory("sandbox-kernel-files");
            try {
                Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
                Path tmp = Files.createDirectory(work.resolve("tmp"));
                Files.setAttribute(tmp, "unix:uid", NOBODY);
                String cp = ForOthers.copy(ForOthers.classpath(), work.resolve("cp"));
                String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
                        "--clear-groups", java, "-Djava.io.tmpdir=" + tmp, "-cp", cp, Driver.class.getName()));
                String helper = System.getProperty(dev.sandbox.internal.HelperBinary.PATH_PROPERTY);
                if (helper != null) {
                    cmd.add(5, "-D" + dev.sandbox.internal.HelperBinary.PATH_PROPERTY + "=" + helper); // the same helper
                }
                Process driver = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
                BufferedReader r = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8));
                String[] pid = r.readLine().split(" ");
                String[] out = r.readLine().split(" ");
                assertThat(pid[0]).isEqualTo("PID");
                assertThat(Kernel.read("/proc/" + pid[1] + "/uid_map").trim().split("\\s+")).containsExactly("0", "" + NOBODY, "1");
                Seen seen = new Seen(new String(Base64.getDecoder().decode(out[1]), StandardCharsets.UTF_8),
                        mountsOf(Long.parseLong(pid[1])));
                driver.getOutputStream().close(); // the driver ends its sandbox and exits
                assertThat(driver.waitFor()).isZero();
                assertProcProtected(seen);
            } finally {
                ForOthers.deleteTree(work);
            }
        }
    }

    /** Run as uid 65534 by the test above: prints the command's host pid and its probe output, then waits. */
    public static final class Driver {
        public static void main(String[] args) throws Exception {
            try (SandboxedProcess p = Sandbox.builder().mapRootUser().pidNs().build().start("sh", "-c", PROBE)) {
                BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                StringBuilder out = new StringBuilder();
                for (String line; (line = r.readLine()) != null && !line.equals("READY"); ) {
                    out.append(line).append('\n');
                }
                System.out.println("PID " + p.pid());
                System.out.println("OUT " + Base64.getEncoder().encodeToString(out.toString().getBytes(StandardCharsets.UTF_8)));
                System.out.flush();
                System.in.read(); // until the test has read the mountinfo
            }
        }
    }

    @Nested
    @DisplayName("a new root")
    class NewRoot {

        @Test
        void devIsASmallNodevNosuidTmpfsWhoseDevicesStillWork() throws Exception {
            Seen seen = probe(Sandbox.builder().readOnlyRoot().pidNs().build());
            Mount dev = at(seen.mounts(), "/dev").orElseThrow();
            assertThat(dev.type()).isEqualTo("tmpfs");
            assertThat(dev.options().split(",")).contains("nosuid", "nodev");
            assertThat(dev.superOptions().split(",")).contains("size=64k");
            Mount shm = at(seen.mounts(), "/dev/shm").orElseThrow();
            assertThat(shm.options().split(",")).contains("nosuid", "nodev");
            assertThat(shm.superOptions().split(",")).contains("size=65536k");
            // the device nodes are binds of the host's and keep working on the nodev tmpfs
            SandboxResult r = Sandbox.builder().readOnlyRoot().build()
                    .run("sh", "-c", "echo gone > /dev/null && head -c 3 /dev/zero | wc -c && head -c 8 /dev/urandom | wc -c");
            assertThat(r.stderr()).isEmpty();
            assertThat(r.stdout()).isEqualTo("3\n8\n");
        }

        @Test
        void aDeviceNodeMadeInDevDoesNotOpen() throws Exception {
            HostRequirement.require(LibC.get().geteuid() == 0, "needs root: only host root with CAP_MKNOD may mknod");
            // by default no sandbox may mknod at all (no capabilities, and never in a user namespace)
            SandboxResult denied = Sandbox.builder().readOnlyRoot().build()
                    .run("sh", "-c", "mknod /dev/made c 1 3 2>&1; echo $?");
            assertThat(denied.stdout()).endsWith("1\n");
            // host root keeping CAP_MKNOD makes the node, and nodev still refuses to open it
            SandboxResult r = Sandbox.builder().readOnlyRoot().runAsCallerUid().keepCapabilities(Capability.MKNOD).build()
                    .run("sh", "-c", "mknod /dev/made c 1 3 && ls /dev/made && (echo x > /dev/made) 2>&1");
            assertThat(r.stdout()).startsWith("/dev/made\n").contains("Permission denied");
        }

        @Test
        void masksRuncsSysPathsInTheReadOnlyHostMirror() throws Exception {
            HostRequirement.require(Files.isDirectory(Path.of("/sys/firmware")), "needs a /sys/firmware to mask");
            Seen seen = probe(Sandbox.builder().readOnlyRoot().pidNs().build());
            assertThat(at(seen.mounts(), "/sys/firmware")).hasValueSatisfying(m -> {
                assertThat(m.type()).isEqualTo("tmpfs");
                assertThat(m.readOnly()).isTrue();
            });
            assertProcProtected(seen);
            SandboxResult r = Sandbox.builder().readOnlyRoot().build().run("ls", "-A", "/sys/firmware");
            assertThat(r.stdout()).isEmpty();
        }
    }
}
