package dev.sandbox;

import dev.sandbox.internal.LibC;
import dev.sandbox.testing.HostRequirement;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Landlock as the kernel enforces it: what a real program sees (EACCES, "Permission denied") for
 * undeclared paths, declared ones working, and a command that tries to move, link or truncate its
 * way out of the rules, with the host's files checked afterwards. Each denial is paired with the
 * same command without Landlock, which succeeds: the refusal is Landlock's, not the view's or DAC's.
 */
@DisplayName("Landlock: file access limited to the declared paths (kernel-enforced)")
class LandlockIT {

    private static final String DENIED = "Permission denied";

    @BeforeAll
    static void needsLandlock() {
        String landlock = Sandbox.probe().security().get("landlock");
        HostRequirement.require(landlock != null && landlock.startsWith("yes"), "needs Landlock: " + landlock);
    }

    /** The host's system directories, read-only, for a program to run in an empty root. */
    static Sandbox.Builder emptyRootWithSystem() {
        Sandbox.Builder b = Sandbox.builder().emptyRoot().pidNs();
        for (String dir : List.of("/usr", "/bin", "/lib", "/lib64")) {
            if (Files.exists(Path.of(dir))) {
                b.readOnlyBind(Path.of(dir), dir);
            }
        }
        return b;
    }

    /** A directory every uid can enter (a leased host uid runs the command). */
    static Path open(Path dir, String perms) throws Exception {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(perms));
        return dir;
    }

    static String run(Sandbox s, String script) throws Exception {
        SandboxResult r = s.run("sh", "-c", script);
        return r.stdout() + r.stderr();
    }

    @Test
    @DisplayName("empty root: / and /dev/shm are closed, declared binds and /dev/null work, a bind is writable")
    void emptyRoot(@TempDir Path tmp) throws Exception {
        Path data = open(tmp.resolve("data"), "rwxr-xr-x");
        Files.writeString(data.resolve("in"), "declared\n");
        Path out = open(tmp.resolve("out"), "rwxrwxrwx");
        open(tmp, "rwxr-xr-x");
        String script = "cat /data/in; ls / >/dev/null && echo listed-root; echo x > /dev/null && echo devnull;"
                + " touch /dev/shm/x && echo shm; echo y > /out/new && echo wrote; head -c 5 /proc/self/status; echo";
        Sandbox.Builder b = emptyRootWithSystem().readOnlyBind(data, "/data").bind(out, "/out");

        String confined = run(b.build().newBuilder().landlock().build(), script);
        assertThat(confined).contains("declared\n", "devnull\n", "wrote\n", "Name:")
                .doesNotContain("listed-root", "shm\n")
                .contains("ls: cannot open directory '/': " + DENIED, "touch: cannot touch '/dev/shm/x': " + DENIED);
        assertThat(Files.readString(out.resolve("new"))).isEqualTo("y\n");

        String control = run(b.build(), script);
        assertThat(control).contains("listed-root\n", "shm\n").doesNotContain(DENIED);
    }

    @Test
    @DisplayName("host root with a mount namespace: undeclared files are closed, a read-only-declared writable directory refuses writes")
    void hostRootView(@TempDir Path tmp) throws Exception {
        open(tmp, "rwxr-xr-x");
        Path shared = open(tmp.resolve("shared"), "rwxrwxrwx");
        Path kept = Files.writeString(shared.resolve("kept"), "original\n");
        Files.setPosixFilePermissions(kept, PosixFilePermissions.fromString("rw-rw-rw-"));
        String script = "cat /etc/hostname >/dev/null && echo read-etc; cat " + kept + "; echo new > " + shared
                + "/new && echo created; echo changed > " + kept + " && echo overwrote";
        Sandbox.Builder b = Sandbox.builder().pidNs().readOnlyBind(Path.of("/usr"), "/usr");

        String confined = run(b.build().newBuilder().landlockReadWrite("/dev/null").landlockReadOnly(shared.toString()).build(), script);
        assertThat(confined).contains("original\n", "cat: /etc/hostname: " + DENIED)
                .doesNotContain("read-etc", "created", "overwrote");
        assertThat(Files.readString(kept)).isEqualTo("original\n");
        assertThat(shared.resolve("new")).doesNotExist();

        String control = run(b.build(), script);
        assertThat(control).contains("read-etc\n", "created\n", "overwrote\n");
        assertThat(Files.readString(kept)).isEqualTo("changed\n");
    }

    @Test
    @DisplayName("without a mount namespace: landlockReadOnly(\"/usr\") runs sh, cat /etc/hostname gets EACCES")
    void withoutMountNamespace() throws Exception {
        Sandbox confined = Sandbox.builder().landlockReadOnly("/usr").build();
        assertThat(confined.namespaces()).doesNotContain(Namespace.MOUNT);
        assertThat(run(confined, "cat /etc/hostname 2>&1; echo ran")).isEqualTo("cat: /etc/hostname: " + DENIED + "\nran\n");
        assertThat(run(Sandbox.builder().build(), "cat /etc/hostname >/dev/null && echo ran")).isEqualTo("ran\n");
        // without no_new_privs the domain is taken while the command still holds CAP_SYS_ADMIN in its user namespace
        Sandbox privileged = confined.newBuilder().allowNewPrivileges().landlockReadOnly("/proc").build();
        assertThat(run(privileged, "grep NoNewPrivs /proc/self/status; cat /etc/hostname 2>&1"))
                .isEqualTo("NoNewPrivs:\t0\ncat: /etc/hostname: " + DENIED + "\n");
    }

    @Test
    @DisplayName("hostile: rename, hard link, symlink and truncate cannot move or change a file past its rule")
    void escapesFail(@TempDir Path tmp) throws Exception {
        HostRequirement.require(LibC.get().geteuid() == 0, "runs as root: the command then owns the files it attacks");
        List<String> outcomes = new ArrayList<>();
        for (boolean landlock : new boolean[] {true, false}) {
            Path w = open(tmp.resolve(landlock ? "confined" : "control"), "rwxr-xr-x");
            Path rw = open(w.resolve("rw"), "rwxr-xr-x");
            Path ro = open(w.resolve("ro"), "rwxr-xr-x");
            Path secret = open(w.resolve("secret"), "rwxr-xr-x");
            Files.writeString(secret.resolve("file"), "secret\n");
            Files.writeString(ro.resolve("file"), "read-only\n");
            String script = String.join("; ",
                    "cat " + secret + "/file",
                    "ln " + secret + "/file " + rw + "/hard && echo OK:hard-linked",
                    "mv " + secret + "/file " + rw + "/moved && echo OK:moved",
                    "ln " + ro + "/file " + rw + "/ro-hard && echo OK:ro-hard-linked",
                    "mv " + ro + "/file " + rw + "/ro-moved && echo OK:ro-moved",
                    "(: > " + ro + "/file) && echo OK:truncated", // a subshell: a failed redirection ends sh
                    "truncate -s 0 " + ro + "/file && echo OK:truncate-cmd",
                    "ln -s " + secret + "/file " + rw + "/sym; cat " + rw + "/sym",
                    "echo ok > " + rw + "/own && echo OK:wrote-own");
            // host root without capabilities (no user namespace): the same owner, so only Landlock can refuse
            Sandbox.Builder b = Sandbox.builder().runAsCallerUid();
            if (landlock) {
                b.landlockReadOnly("/usr").landlockReadWrite(rw.toString()).landlockReadOnly(ro.toString());
            }
            String seen = run(b.build(), script);
            outcomes.add(seen);
            if (landlock) {
                assertThat(seen).contains("OK:wrote-own\n").doesNotContain("secret\n", "OK:hard-linked", "OK:moved",
                        "OK:ro-hard-linked", "OK:ro-moved", "OK:truncated", "OK:truncate-cmd")
                        .contains("rw/hard' => '" + secret + "/file': Invalid cross-device link"); // REFER
                assertThat(Files.readString(secret.resolve("file"))).isEqualTo("secret\n");
                assertThat(Files.getAttribute(secret.resolve("file"), "unix:nlink")).isEqualTo(1);
                assertThat(Files.readString(ro.resolve("file"))).isEqualTo("read-only\n");
                assertThat(Files.getAttribute(ro.resolve("file"), "unix:nlink")).isEqualTo(1);
                try (var list = Files.list(rw)) {
                    assertThat(list.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("own", "sym");
                }
            } else {
                assertThat(seen).contains("secret\n", "OK:hard-linked\n", "OK:moved\n", "OK:ro-hard-linked\n", "OK:ro-moved\n",
                        "OK:wrote-own\n");
            }
        }
    }

    @Test
    @DisplayName("a declared path missing from the view fails the start: step landlock, the path, ENOENT")
    void missingPath() {
        assertThatThrownBy(() -> Sandbox.builder().landlockReadOnly("/usr").landlockReadOnly("/no/such/path").build()
                .start("true"))
                .isInstanceOf(SandboxException.class)
                .hasMessageStartingWith("landlock /no/such/path: ENOENT (No such file or directory)")
                .satisfies(e -> assertThat(((SandboxException) e).step()).isEqualTo("landlock"));
    }
}
