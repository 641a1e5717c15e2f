package dev.sandbox.examples;

import dev.sandbox.Sandbox;
import dev.sandbox.SandboxResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Use case (a): a test harness grades an untrusted submission. The submission sees a read-only
 * host, its own /tmp, no network and no other processes; it gets its input on stdin, a
 * wall-clock limit and an output limit; the harness turns the sandbox's one verdict
 * ({@link SandboxResult#status()}) into its own and compares the output with the expected answer.
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
        Path in = Files.writeString(Files.createTempFile("grader-input", ".txt"), input, StandardCharsets.UTF_8);
        Sandbox sandbox = Sandbox.builder()
                .pidNs().netNs().ipcNs().hostname("grader")
                .readOnlyRoot()
                .tmpfs("/tmp")
                .readOnlyBind(submission, "/submission/run.sh")
                .workingDirectory("/tmp")
                .clearEnv().env("PATH", "/usr/bin:/bin")
                .timeout(limit)
                .killGracePeriod(Duration.ofMillis(200))
                .outputLimit(64 * 1024).killOnOutputLimit() // an answer is short; a flood ends the run
                .redirectInput(ProcessBuilder.Redirect.from(in.toFile()))
                .build();
        try {
            SandboxResult r = sandbox.run("sh", "/submission/run.sh");
            Duration t = r.wallTime();
            String out = r.stdout().strip();
            // One verdict from the kernel's and the monitor's facts, not pieced together here.
            return switch (r.status()) {
                case EXITED -> r.exitCode() != 0 ? new Verdict(false, "exit status " + r.exitCode() + ": " + r.stderr().strip(), t)
                        : out.equals(expected.strip()) ? new Verdict(true, "accepted", t)
                        : new Verdict(false, "wrong answer: " + out, t);
                case TIMED_OUT, CPU_TIME_EXCEEDED -> new Verdict(false, "time limit exceeded", t);
                case OOM_KILLED -> new Verdict(false, "memory limit exceeded", t);
                case OUTPUT_LIMIT_EXCEEDED -> new Verdict(false, "output limit exceeded", t);
                case FILE_SIZE_EXCEEDED -> new Verdict(false, "file size limit exceeded", t);
                case SECCOMP_KILLED -> new Verdict(false, "forbidden system call", t);
                case SIGNALED -> new Verdict(false, "killed by signal " + r.signal(), t);
            };
        } finally {
            Files.delete(in);
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
