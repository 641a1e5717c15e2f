package dev.sandbox;

import dev.sandbox.testing.ForOthers;
import dev.sandbox.testing.HostRequirement;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs a probe's {@code main} in a child JVM under a seccomp filter that refuses a range of system
 * calls with an errno: how the library behaves on a kernel without them, or under a container
 * runtime whose seccomp profile predates them. The filter is a tiny C program built with the
 * compiler the build used; it installs the filter (inherited by the JVM and its helpers) and execs.
 */
final class DeniedSyscalls {

    private DeniedSyscalls() {
    }

    /**
     * The probe's output (stdout and stderr) when run with system calls {@code first} to
     * {@code last} (inclusive) refused with {@code errnoName} (a {@code <errno.h>} name, e.g. "ENOSYS").
     */
    static String run(Path dir, int first, int last, String errnoName, Class<?> probe, String... args) throws Exception {
        HostRequirement.require(Kernel.onPath("cc"), "needs the C compiler the build used");
        Path source = dir.resolve("deny.c");
        Files.writeString(source, """
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
                        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, FIRST, 0, 2),
                        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, LAST, 1, 0),
                        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ERRNO),
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
                """);
        Path filter = dir.resolve("deny");
        Kernel.host("cc", "-DFIRST=" + first, "-DLAST=" + last, "-DERRNO=" + errnoName, "-o", filter.toString(),
                source.toString());
        List<String> command = new ArrayList<>(List.of(filter.toString(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        String helper = System.getProperty(dev.sandbox.internal.HelperBinary.PATH_PROPERTY); // the same helper, if set
        if (helper != null) {
            command.add("-D" + dev.sandbox.internal.HelperBinary.PATH_PROPERTY + "=" + helper);
        }
        command.addAll(List.of("-cp", ForOthers.classpath().stream().map(Path::toString).collect(Collectors.joining(":")),
                probe.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(out).isTrue();
        return out;
    }
}
