package dev.sandbox;

import dev.sandbox.testing.ForOthers;
import dev.sandbox.testing.HostRequirement;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A kernel without Landlock (built without it, or booted with an {@code lsm=} list that leaves it
 * out) answers {@code landlock_create_ruleset} with ENOSYS or EOPNOTSUPP. A seccomp filter around a
 * child JVM makes this kernel answer so: a sandbox that asked for Landlock must then fail its start,
 * naming the step and the errno, and never run the command unconfined.
 */
@DisplayName("Without Landlock in the kernel, landlock() fails the start instead of running unconfined")
class LandlockUnavailableIT {

    /** Refuses Landlock's three system calls (444 to 446 on x86_64 and aarch64) with ENOSYS, then execs. */
    private static final String NO_LANDLOCK = """
            #include <errno.h>
            #include <linux/filter.h>
            #include <linux/seccomp.h>
            #include <stddef.h>
            #include <stdio.h>
            #include <sys/prctl.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
                struct sock_filter f[] = {
                    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 444, 0, 2),
                    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 446, 1, 0),
                    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
                    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                };
                struct sock_fprog prog = {sizeof f / sizeof f[0], f};
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
                    perror("seccomp");
                    return 1;
                }
                execvp(argv[1], argv + 1);
                perror(argv[1]);
                return 1;
            }
            """;

    /** Run under the filter: a Landlock sandbox whose command would leave a mark; prints what happened. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            Path mark = Path.of(args[0]);
            try {
                SandboxResult r = Sandbox.builder().pidNs().landlock().bind(mark.getParent(), "/out").build()
                        .run("sh", "-c", "echo ran > /out/" + mark.getFileName());
                System.out.println("ran: " + r.status());
            } catch (SandboxException e) {
                System.out.println("refused: " + e.step() + " " + e.getMessage());
            }
            System.out.println("mark: " + Files.exists(mark));
        }
    }

    @Test
    void theStartFailsWithStepAndErrno(@TempDir Path dir) throws Exception {
        HostRequirement.require(Kernel.onPath("cc"), "needs the C compiler the build used");
        Files.writeString(dir.resolve("filter.c"), NO_LANDLOCK);
        Path filter = dir.resolve("filter");
        Kernel.host("cc", "-o", filter.toString(), dir.resolve("filter.c").toString());
        Path out = Files.createDirectory(dir.resolve("out"));
        out.toFile().setWritable(true, false);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = ForOthers.classpath().stream().map(Path::toString).collect(Collectors.joining(":"));
        String helper = System.getProperty(dev.sandbox.internal.HelperBinary.PATH_PROPERTY); // the same helper, if set
        Process p = new ProcessBuilder(filter.toString(), java,
                helper == null ? "-Dunused=" : "-D" + dev.sandbox.internal.HelperBinary.PATH_PROPERTY + "=" + helper,
                "-cp", cp, Probe.class.getName(), out.resolve("mark").toString()).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(text).startsWith("refused: landlock landlock landlock_create_ruleset: ENOSYS").endsWith("mark: false\n");
        assertThat(Files.exists(out.resolve("mark"))).isFalse();
    }
}
