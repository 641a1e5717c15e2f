package dev.sandbox.examples;

import dev.sandbox.SandboxResult;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The examples do what their use cases promise")
class ExamplesIT {

    @Test
    void graderAcceptsARightAnswerAndRejectsWrongSlowAndDestructiveOnes(@TempDir Path dir) throws Exception {
        Path good = Files.writeString(dir.resolve("good.sh"), "read a b; echo $((a + b))\n");
        Path wrong = Files.writeString(dir.resolve("wrong.sh"), "read a b; echo $((a * b))\n");
        Path slow = Files.writeString(dir.resolve("slow.sh"), "while :; do :; done\n");
        Path evil = Files.writeString(dir.resolve("evil.sh"), "touch /usr/bin/pwned 2>/dev/null; kill -9 -1; exit 3\n");
        Duration limit = Duration.ofMillis(500);
        assertThat(GraderExample.grade(good, "2 3\n", "5", limit).passed()).isTrue();
        assertThat(GraderExample.grade(wrong, "2 3\n", "5", limit).reason()).isEqualTo("wrong answer: 6");
        GraderExample.Verdict v = GraderExample.grade(slow, "2 3\n", "5", limit);
        assertThat(v.reason()).isEqualTo("time limit exceeded");
        assertThat(v.wallTime()).isLessThan(Duration.ofSeconds(3));
        assertThat(GraderExample.grade(evil, "", "5", limit).passed()).isFalse();
        Path flood = Files.writeString(dir.resolve("flood.sh"), "yes 5\n");
        assertThat(GraderExample.grade(flood, "2 3\n", "5", Duration.ofSeconds(30)).reason()).isEqualTo("output limit exceeded");
        assertThat(Path.of("/usr/bin/pwned")).doesNotExist();
    }

    @Test
    void hermeticActionSeesOnlyItsInputsAndWritesOnlyItsOutput(@TempDir Path in, @TempDir Path out) throws Exception {
        Files.writeString(in.resolve("words.txt"), "pear\napple\nfig\n");
        SandboxResult r = HermeticBuildExample.action(in, out, List.of("sh", "-c",
                "sort /in/words.txt > sorted.txt && ls / | tr '\\n' ' ' && (echo x > /in/new) 2>/dev/null || echo ro"));
        assertThat(r.exitCode()).isZero();
        assertThat(Files.readString(out.resolve("sorted.txt"))).isEqualTo("apple\nfig\npear\n");
        assertThat(r.stdout()).doesNotContain("home", "root", "var", "etc/passwd").endsWith("ro\n");
        assertThat(in.resolve("new")).doesNotExist();
    }

    @Test
    void sandboxRunExitsWithTheCommandsStatusAndExplainsSetupFailures() throws Exception {
        assertThat(SandboxRun.run(new String[] {"--pid", "--", "sh", "-c", "exit 7"})).isEqualTo(7);
        assertThat(SandboxRun.run(new String[] {"/no/such/program"})).isEqualTo(125);
        assertThat(SandboxRun.run(new String[] {"--bogus"})).isEqualTo(2);
        assertThat(SandboxRun.run(new String[] {"--timeout", "0.2", "sleep", "10"})).isEqualTo(124);
        assertThat(SandboxRun.run(new String[] {"--memory-max", "lots", "true"})).isEqualTo(2);
        if (dev.sandbox.internal.LibC.get().geteuid() == 0) {
            // OOM-killed inside its own 32 MiB group: 128 + SIGKILL, and the report names the verdict
            java.io.PrintStream err = System.err;
            java.io.ByteArrayOutputStream report = new java.io.ByteArrayOutputStream();
            System.setErr(new java.io.PrintStream(report, true, java.nio.charset.StandardCharsets.UTF_8));
            try {
                assertThat(SandboxRun.run(new String[] {"--pid", "--memory-max", "32m", "--",
                    "dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"})).isEqualTo(137);
            } finally {
                System.setErr(err);
            }
            assertThat(report.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("sandbox-run: OOM_KILLED (exit status 137)");
        }
    }
}
