package dev.sandbox.examples;

import dev.sandbox.Sandbox;
import dev.sandbox.SandboxResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Use case (b): a build tool runs a tool hermetically. The action sees only its declared inputs
 * (read-only), the toolchain (read-only), and one writable output directory; no network, no
 * host processes, a fixed environment, a time limit. What it writes anywhere else is refused.
 *
 * <pre>java -cp ... dev.sandbox.examples.HermeticBuildExample</pre>
 */
public final class HermeticBuildExample {

    private HermeticBuildExample() {
    }

    /** Runs {@code command} with only {@code inputs} (read-only at /in) and {@code out} (at /out) visible. */
    public static SandboxResult action(Path inputs, Path out, List<String> command) throws IOException, InterruptedException {
        Sandbox.Builder b = Sandbox.builder()
                .emptyRoot().pidNs().netNs().ipcNs().utsNs().hostname("action")
                .readOnlyBind(inputs, "/in")
                .bind(out, "/out")
                .tmpfs("/tmp")
                .workingDirectory("/out")
                .clearEnv().env("PATH", "/usr/bin:/bin").env("LC_ALL", "C").env("TZ", "UTC")
                .timeout(Duration.ofSeconds(30));
        // The toolchain: /usr and the merged-/usr links of a Debian-like system, read-only.
        for (String dir : List.of("/usr", "/bin", "/lib", "/lib64", "/etc/alternatives")) {
            if (Files.exists(Path.of(dir))) {
                b.readOnlyBind(Path.of(dir), dir);
            }
        }
        return b.build().run(command);
    }

    public static void main(String[] args) throws Exception {
        Path in = Files.createTempDirectory("action-in");
        Path out = Files.createTempDirectory("action-out");
        try {
            Files.writeString(in.resolve("words.txt"), "pear\napple\nfig\n");
            SandboxResult r = action(in, out, List.of("sh", "-c",
                    "sort /in/words.txt > sorted.txt; ls / | tr '\\n' ' '; echo; echo leak > /in/x || echo inputs are read-only;"
                            + " cat /etc/passwd 2>/dev/null || echo no /etc/passwd"));
            System.out.print(r.stdout());
            System.out.print(r.stderr());
            System.out.println("exit " + r.exitCode() + ", output: " + Files.readString(out.resolve("sorted.txt")).replace('\n', ' '));
        } finally {
            for (Path dir : List.of(in, out)) {
                try (var files = Files.list(dir)) {
                    for (Path p : files.toList()) {
                        Files.delete(p);
                    }
                }
                Files.delete(dir);
            }
        }
    }
}
