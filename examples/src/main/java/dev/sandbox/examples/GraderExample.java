package dev.sandbox.examples;

import dev.sandbox.Sandbox;
import dev.sandbox.SandboxedProcess;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Use case (a): a test harness grades an untrusted submission. The submission sees a read-only
 * host, its own /tmp, no network and no other processes; it gets its input on stdin and a
 * wall-clock limit; the harness compares its output with the expected answer.
 *
 * <pre>java -cp ... dev.sandbox.examples.GraderExample</pre>
 */
public final class GraderExample {

    private GraderExample() {
    }

    /** The verdict for one submission, and how long it ran. */
    public record Verdict(boolean passed, String reason, Duration wallTime) {
    }

    /** Grades {@code submission} (a shell script) on {@code input} against {@code expected}. */
    public static Verdict grade(Path submission, String input, String expected, Duration limit)
            throws IOException, InterruptedException {
        Sandbox sandbox = Sandbox.builder()
                .pidNs().netNs().ipcNs().hostname("grader")
                .readOnlyRoot()
                .tmpfs("/tmp")
                .readOnlyBind(submission, "/submission/run.sh")
                .workingDirectory("/tmp")
                .clearEnv().env("PATH", "/usr/bin:/bin")
                .timeout(limit)
                .killGracePeriod(Duration.ofMillis(200))
                .build();
        try (SandboxedProcess p = sandbox.start("sh", "/submission/run.sh")) {
            try (OutputStream in = p.getOutputStream()) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            } catch (IOException closedEarly) {
                // the submission did not read all its input; grading goes on
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            int code = p.waitFor();
            Duration r = p.wallTime().orElseThrow();
            if (p.timedOut()) {
                return new Verdict(false, "time limit exceeded", r);
            }
            if (code != 0) {
                return new Verdict(false, "exit status " + code + ": " + err.strip(), r);
            }
            return out.strip().equals(expected.strip())
                    ? new Verdict(true, "accepted", r)
                    : new Verdict(false, "wrong answer: " + out.strip(), r);
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("grader");
        try {
            Path good = Files.writeString(dir.resolve("good.sh"), "read a b; echo $((a + b))\n");
            Path nosy = Files.writeString(dir.resolve("nosy.sh"),
                    "read a b; ls /proc | grep -c '^[0-9]' ; cat /sys/class/net/*/address 2>/dev/null | head -1; echo $((a+b))\n");
            Path slow = Files.writeString(dir.resolve("slow.sh"), "while :; do :; done\n");
            Path evil = Files.writeString(dir.resolve("evil.sh"), "rm -rf /usr/bin/* 2>&1 | head -1; touch /etc/pwned; exit 3\n");
            for (Path s : new Path[] {good, nosy, slow, evil}) {
                Verdict v = grade(s, "2 3\n", "5", Duration.ofMillis(500));
                System.out.printf("%-8s %-10s %s%n", s.getFileName(), v.passed() ? "PASS" : "FAIL", v.reason());
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }
}
