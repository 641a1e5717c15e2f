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
 * The helper mounts through the new mount API (fsopen, open_tree, move_mount) where it can. A
 * seccomp filter written before those calls existed refuses them with EPERM (older container
 * runtimes' default profiles did); the helper must then fall back to mount(2), as on kernels
 * before 5.2, and build the same view.
 */
@DisplayName("A JVM whose seccomp filter refuses the new mount API still gets the whole view")
class MountApiFallbackIT {

    /** Refuses syscalls 428 to 432 (open_tree, move_mount, fsopen, fsconfig, fsmount) with EPERM, then execs. */
    private static final String NO_NEW_MOUNT_API = """
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
                    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 428, 0, 2),
                    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 432, 1, 0),
                    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
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

    /** Run under the filter: a read-only root with a fresh /proc, a bind and a tmpfs; prints what the kernel says. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            // A root caller's binds are idmapped by the helper, which needs the new mount API (an old
            // kernel gets a clear "idmap" error); runAsCallerUid() keeps them in the child, where
            // the mount(2) fallback under test builds them.
            Sandbox.Builder b = Sandbox.builder().readOnlyRoot().pidNs().readOnlyBind(Path.of(args[0]), "/data")
                    .tmpfs("/scratch");
            if (dev.sandbox.internal.LibC.get().geteuid() == 0) {
                b.runAsCallerUid();
            }
            SandboxResult r = b.build().run("sh", "-c", "cat /data/f; touch /data/new 2>&1; touch /scratch/new && echo scratch ok;"
                            + " wc -c < /proc/keys; grep -c ' /proc/sys ro,' /proc/self/mountinfo");
            System.out.print(r.stdout() + r.stderr());
        }
    }

    @Test
    void theHelperFallsBackToMount2(@TempDir Path dir) throws Exception {
        HostRequirement.require(Kernel.onPath("cc"), "needs the C compiler the build used");
        Files.writeString(dir.resolve("filter.c"), NO_NEW_MOUNT_API);
        Path filter = dir.resolve("filter");
        Kernel.host("cc", "-o", filter.toString(), dir.resolve("filter.c").toString());
        Path data = Files.createDirectory(dir.resolve("data"));
        Files.writeString(data.resolve("f"), "bound\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = ForOthers.classpath().stream().map(Path::toString).collect(Collectors.joining(":"));
        String helper = System.getProperty(dev.sandbox.internal.HelperBinary.PATH_PROPERTY); // the same helper, if set
        Process p = new ProcessBuilder(filter.toString(), java,
                helper == null ? "-Dunused=" : "-D" + dev.sandbox.internal.HelperBinary.PATH_PROPERTY + "=" + helper,
                "-cp", cp, Probe.class.getName(), data.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("""
                bound
                touch: cannot touch '/data/new': Read-only file system
                scratch ok
                0
                1
                """);
    }
}
