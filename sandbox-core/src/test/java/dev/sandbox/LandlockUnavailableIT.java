package dev.sandbox;


import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A kernel without Landlock (built without it, or booted with an {@code lsm=} list that leaves it
 * out) answers {@code landlock_create_ruleset} with ENOSYS or EOPNOTSUPP. A seccomp filter around a
 * child JVM makes this kernel answer so: a sandbox that asked for Landlock must then fail its start,
 * naming the step and the errno, and never run the command unconfined.
 */
@DisplayName("Without Landlock in the kernel, landlock() fails the start instead of running unconfined")
class LandlockUnavailableIT {

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
        Path out = Files.createDirectory(dir.resolve("out"));
        out.toFile().setWritable(true, false);
        // landlock_create_ruleset, _add_rule, _restrict_self (444 to 446) refused with ENOSYS
        String text = DeniedSyscalls.run(dir, 444, 446, "ENOSYS", Probe.class, out.resolve("mark").toString());
        assertThat(text).startsWith("refused: landlock landlock landlock_create_ruleset: ENOSYS").endsWith("mark: false\n");
        assertThat(Files.exists(out.resolve("mark"))).isFalse();
    }
}
