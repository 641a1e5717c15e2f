package dev.sandbox;

import dev.sandbox.base.Checks;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Sandbox.Builder")
class BuilderTest {

    @Nested
    @DisplayName("rejects bad settings with a message that names them")
    class Rejects {

        @Test
        @DisplayName("a timeout beyond 100 years is an IllegalArgumentException, not an ArithmeticException from build()")
        void hugeTimeout() {
            assertThatThrownBy(() -> Sandbox.builder().timeout(Duration.ofSeconds(Long.MAX_VALUE)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("timeout: got \"" + Duration.ofSeconds(Long.MAX_VALUE) + "\"; allowed: > 0 and at most PT876600H");
            assertThat(Sandbox.builder().timeout(Sandbox.MAX_TIMEOUT).build().describe("true")).contains("timeout_ms 3155760000000");
        }

        @Test
        @DisplayName("a hostname that is not RFC 1123 labels, as Docker checks it")
        void badHostnames() {
            for (String bad : new String[] {"bad host/name", "", "-lead", "trail-", "a..b", ".a", "a.", "x".repeat(64) + ".y",
                    "ünï", "a_b"}) {
                assertThatThrownBy(() -> Sandbox.builder().hostname(bad)).as(bad)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("hostname: got " + Checks.quote(bad) + "; allowed: RFC 1123 labels of letters, digits and '-'"
                                + " joined by '.', at most 64 characters");
            }
            for (String good : new String[] {"box", "a-b.c-d", "9x", "x".repeat(63), "a." .repeat(31) + "bb"}) {
                assertThat(Sandbox.builder().hostname(good).build().namespaces()).as(good).contains(Namespace.UTS);
            }
        }

        @Test
        @DisplayName("a tmpfs size outside 4 KiB to 1 TiB, naming the setting and the range")
        void tmpfsSizeOutOfRange() {
            assertThatThrownBy(() -> Sandbox.builder().tmpfs("/tmp", 100))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tmpfs size: got 100; allowed: 4096..1099511627776 bytes");
            assertThatThrownBy(() -> Sandbox.builder().tmpfs("/tmp", (1L << 40) + 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tmpfs size: got 1099511627777; allowed: 4096..1099511627776 bytes");
        }

        @Test
        @DisplayName("an output limit outside 1 byte to 1 GiB, naming the setting and the range")
        void outputLimitOutOfRange() {
            for (long bad : new long[] {0, -1, (1L << 30) + 1, Long.MAX_VALUE}) {
                assertThatThrownBy(() -> Sandbox.builder().outputLimit(bad)).as("%d", bad)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("outputLimit: got " + bad + "; allowed: 1..1073741824 bytes");
            }
            assertThat(Sandbox.builder().outputLimit(1).outputLimit(Sandbox.MAX_OUTPUT_LIMIT).killOnOutputLimit().build()).isNotNull();
        }

        @Test
        @DisplayName("null capabilities and a null seccomp policy, naming the setting")
        void nullSecuritySettings() {
            assertThatThrownBy(() -> Sandbox.builder().keepCapabilities((Capability) null))
                    .isInstanceOf(NullPointerException.class).hasMessage("keepCapabilities element");
            assertThatThrownBy(() -> Sandbox.builder().keepCapabilities((Capability[]) null))
                    .isInstanceOf(NullPointerException.class).hasMessage("keepCapabilities");
            assertThatThrownBy(() -> Sandbox.builder().seccomp(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("seccomp");
        }

        @Test
        void bothRootChoices() {
            assertThatThrownBy(() -> Sandbox.builder().readOnlyRoot().emptyRoot().build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("root: readOnlyRoot() and emptyRoot() both set; allowed: at most one of them");
        }

        @Test
        void relativeMountTarget() {
            assertThatThrownBy(() -> Sandbox.builder().bind(Path.of("/tmp"), "data"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("bind target: got \"data\"; allowed: an absolute path");
        }

        @Test
        void dotDotInMountTarget() {
            assertThatThrownBy(() -> Sandbox.builder().tmpfs("/a/../etc"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tmpfs target: got \"/a/../etc\"; allowed: a path without . or .. components");
        }

        @Test
        void rootAsMountTarget() {
            assertThatThrownBy(() -> Sandbox.builder().readOnlyBind(Path.of("/"), "/"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("readOnlyBind target: got \"/\"; allowed: a path below /");
        }

        @Test
        void hostnameTooLong() {
            assertThatThrownBy(() -> Sandbox.builder().hostname("x".repeat(65)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("hostname: got \"xxx").hasMessageEndingWith("\"; allowed: RFC 1123 labels of letters, digits and '-' joined by '.', at most 64 characters");
        }

        @Test
        void emptyHostname() {
            assertThatThrownBy(() -> Sandbox.builder().hostname(""))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("hostname: got \"\"; allowed: RFC 1123 labels");
        }

        @Test
        void nonPositiveTimeout() {
            assertThatThrownBy(() -> Sandbox.builder().timeout(Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("timeout: got \"PT0S\"; allowed: > 0 and at most PT876600H");
        }

        @Test
        @DisplayName("cpuTimeLimit takes 1 ms to 100 years; the spec carries it, and its RLIMIT_CPU backstop among the rlimits")
        void cpuTimeLimitRange() {
            for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofNanos(999_999), Duration.ofSeconds(-1),
                    Sandbox.MAX_TIMEOUT.plusNanos(1)}) {
                assertThatThrownBy(() -> Sandbox.builder().cpuTimeLimit(bad))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("cpuTimeLimit: got \"" + bad + "\"; allowed: PT0.001S to PT876600H");
            }
            Sandbox s = Sandbox.builder().cpuTimeLimit(Duration.ofMillis(1500)).build();
            assertThat(s.describe("true")).contains("cpu_limit_ns 1500000000\n", "rlimit CPU soft=3 hard=4\n");
            assertThat(s.newBuilder().build().describe("true")).contains("cpu_limit_ns 1500000000\n", "rlimit CPU soft=3 hard=4\n");
            assertThat(Sandbox.builder().cpuTimeLimit(Duration.ofSeconds(2)).build().describe("true"))
                    .contains("cpu_limit_ns 2000000000\n", "rlimit CPU soft=3 hard=4\n");
            assertThat(Sandbox.builder().cpuTimeLimit(Duration.ofSeconds(2)).rlimit(Rlimit.CPU, 10, 20).build().describe("true"))
                    .as("an explicit RLIMIT_CPU replaces the backstop").contains("rlimit CPU soft=10 hard=20\n")
                    .doesNotContain("soft=3");
            assertThat(Sandbox.builder().build().describe("true")).doesNotContain("rlimit CPU");
            assertThat(Sandbox.builder().build().describe("true")).doesNotContain("cpu_limit_ns");
        }

        @Test
        void negativeGracePeriod() {
            assertThatThrownBy(() -> Sandbox.builder().killGracePeriod(Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("killGracePeriod: got \"PT-1S\"; allowed: 0 to PT1H");
        }

        @Test
        void envNameWithEquals() {
            assertThatThrownBy(() -> Sandbox.builder().env("A=B", "c"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("env name: got \"A=B\"; allowed: non-empty, without '='");
        }

        @Test
        void nulInEnvValue() {
            assertThatThrownBy(() -> Sandbox.builder().env("A", "x\0y"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("env A: got \"x\\u0000y\", which contains a NUL character; allowed: text without NUL");
        }

        @Test
        void relativeWorkingDirectory() {
            assertThatThrownBy(() -> Sandbox.builder().workingDirectory("tmp"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("workingDirectory: got \"tmp\"; allowed: an absolute path");
        }

        @Test
        void workingDirectoryOutsideAnEmptyRootsMounts() {
            assertThatThrownBy(() -> Sandbox.builder().emptyRoot().tmpfs("/work").workingDirectory("/home").build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("workingDirectory: got \"/home\"; allowed: with emptyRoot(), a path under a declared bind or tmpfs");
        }

        @Test
        void landlockPaths() {
            assertThatThrownBy(() -> Sandbox.builder().landlockReadOnly("usr"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("landlockReadOnly: got \"usr\"; allowed: an absolute path");
            assertThatThrownBy(() -> Sandbox.builder().landlockReadWrite("/tmp/../etc"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("landlockReadWrite: got \"/tmp/../etc\"; allowed: a path without . or .. components");
            // normalized as the helper wants it, and landlock() implied
            assertThat(Sandbox.builder().landlockReadOnly("//usr/").build().describe("true"))
                    .contains("landlock\nlandlock-rule read \"/usr\"\n");
            assertThat(Sandbox.builder().build().describe("true")).doesNotContain("\nlandlock\n", "landlock-rule");
        }

        @Test
        void outputRedirectThatReads() {
            assertThatThrownBy(() -> Sandbox.builder().redirectOutput(Redirect.from(new java.io.File("/etc/hostname"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("redirectOutput: got \"").hasMessageEndingWith("; allowed: PIPE, INHERIT, DISCARD or a file to write");
        }

        @Test
        void emptyCommand() {
            assertThatThrownBy(() -> Sandbox.builder().build().start(java.util.List.of()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("command: got an empty list; allowed: a program and its arguments");
        }

        @Test
        void nulInArgument() {
            assertThatThrownBy(() -> Sandbox.builder().build().start("echo", "a\0b"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("command[1]: got \"a\\u0000b\", which contains a NUL character; allowed: text without NUL");
        }
    }

    @Nested
    @DisplayName("adds the namespaces that others need")
    class Implies {

        @Test
        void pidNeedsMountForItsProc() {
            assertThat(Sandbox.builder().pidNs().build().namespaces()).contains(Namespace.PID, Namespace.MOUNT);
        }

        @Test
        void hostnameNeedsUts() {
            assertThat(Sandbox.builder().hostname("box").build().namespaces()).contains(Namespace.UTS);
        }

        @Test
        void mountsNeedMount() {
            assertThat(Sandbox.builder().tmpfs("/tmp").build().namespaces()).contains(Namespace.MOUNT);
            assertThat(Sandbox.builder().readOnlyRoot().build().namespaces()).contains(Namespace.MOUNT);
        }

        @Test
        void mapRootUserNeedsUser() {
            assertThat(Sandbox.builder().mapRootUser().build().namespaces()).contains(Namespace.USER);
            assertThat(Sandbox.builder().mapRootUser().runAsCallerUid().build().namespaces()).contains(Namespace.USER);
        }

        @Test
        @DisplayName("with nothing asked, a sandbox still gets its own user namespace (root inside is never root outside) and IPC namespace")
        void nothingAskedStillUserAndIpc() {
            assertThat(Sandbox.builder().build().namespaces()).containsExactlyInAnyOrder(Namespace.USER, Namespace.IPC);
        }

        @Test
        @DisplayName("runAsCallerUid() lets a root caller's sandbox do without a user namespace")
        void runAsCallerUidDropsTheImpliedUserNamespaceForRoot() {
            Set<Namespace> ns = Sandbox.builder().runAsCallerUid().build().namespaces();
            if (dev.sandbox.internal.LibC.get().geteuid() == 0) {
                assertThat(ns).containsExactly(Namespace.IPC);
            } else {
                assertThat(ns).containsExactlyInAnyOrder(Namespace.USER, Namespace.IPC);
            }
        }

        @Test
        @DisplayName("cgroup limits bring a mount namespace, for a read-only /sys/fs/cgroup")
        void limitsNeedMount() {
            assertThat(Sandbox.builder().memoryMax(64L << 20).build().namespaces()).contains(Namespace.MOUNT, Namespace.IPC);
        }

        @Test
        @DisplayName("newBuilder() keeps the namespaces asked for; implied ones follow the variant's settings")
        void newBuilderKeepsWhatWasAskedNotWhatWasImplied() {
            Sandbox a = Sandbox.builder().pidNs().build();
            Sandbox b = a.newBuilder().runAsCallerUid().build();
            if (dev.sandbox.internal.LibC.get().geteuid() == 0) {
                assertThat(a.namespaces()).contains(Namespace.USER);
                assertThat(b.namespaces()).doesNotContain(Namespace.USER).contains(Namespace.PID, Namespace.MOUNT);
            }
            assertThat(Sandbox.builder().memoryMax(64L << 20).build().newBuilder().build().namespaces())
                    .contains(Namespace.MOUNT);
        }

        @Test
        @DisplayName("newBuilder() keeps the security settings, and a tmpfs keeps its size")
        void newBuilderKeepsSecuritySettings() {
            SeccompPolicy policy = SeccompPolicy.builder().deny("mkdir").build();
            Sandbox a = Sandbox.builder().keepCapabilities(Capability.NET_ADMIN).seccomp(policy).allowNewPrivileges()
                    .sameSession().tmpfs("/tmp", 1 << 20).build();
            Sandbox b = a.newBuilder().build();
            assertThat(b.seccomp()).isEqualTo(policy);
            assertThat(b.describe("true")).isEqualTo(a.describe("true"));
            assertThat(b.mounts()).containsExactly(new Sandbox.Mount(Sandbox.Mount.Kind.TMPFS, null, "/tmp", 1 << 20));
            assertThat(Sandbox.builder().tmpfs("/tmp").build().mounts().get(0).size()).isEqualTo(Sandbox.DEFAULT_TMPFS_SIZE);
        }

        @Test
        void newBuilderDerivesAnEqualVariant() {
            Sandbox a = Sandbox.builder().pidNs().hostname("box").tmpfs("/tmp").build();
            Sandbox b = a.newBuilder().netNs().build();
            assertThat(b.namespaces()).containsAll(a.namespaces()).contains(Namespace.NET);
            assertThat(a.namespaces()).doesNotContain(Namespace.NET);
            assertThat(b.mounts()).isEqualTo(a.mounts());
        }
    }
}
