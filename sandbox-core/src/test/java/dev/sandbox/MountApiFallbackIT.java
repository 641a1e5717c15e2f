package dev.sandbox;


import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The helper mounts through the new mount API (fsopen, open_tree, move_mount) where it can. A
 * seccomp filter written before those calls existed refuses them with EPERM (older container
 * runtimes' default profiles did); the helper must then fall back to mount(2), as on kernels
 * before 5.2, and build the same view.
 */
@DisplayName("A JVM whose seccomp filter refuses the new mount API still gets the whole view")
class MountApiFallbackIT {

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
        Path data = Files.createDirectory(dir.resolve("data"));
        Files.writeString(data.resolve("f"), "bound\n");
        // open_tree, move_mount, fsopen, fsconfig, fsmount (428 to 432) refused with EPERM
        String out = DeniedSyscalls.run(dir, 428, 432, "EPERM", Probe.class, data.toString());
        assertThat(out).isEqualTo("""
                bound
                touch: cannot touch '/data/new': Read-only file system
                scratch ok
                0
                1
                """);
    }
}
