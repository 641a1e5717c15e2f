package dev.sandbox;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("run() keeps at most outputLimit per stream: a flood cannot exhaust the caller's heap or block the command")
class OutputLimitIT {

    private static final int MIB = 1 << 20;

    /** 3 GiB in 1 MiB pieces, counting each finished piece in /out/count (the test reads it on the host). */
    // The count is renamed into place: a kill between the truncation and the write of "echo > count"
    // left an empty file (1 CI run failed on it).
    private static final String COUNTED_FLOOD = "i=0; while [ $i -lt 3072 ]; do head -c 1048576 /dev/zero || exit 1;"
            + " i=$((i+1)); echo $i > /out/count.new; mv /out/count.new /out/count; done";

    /**
     * Run in a child JVM with {@code -Xmx256m}: {@code head -c 3G /dev/zero} under the default
     * limit, then the counted flood under {@code killOnOutputLimit()}; prints one line for each,
     * then waits on stdin while the test inspects the host.
     */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        String marker = args[1];
        SandboxResult kept = Sandbox.builder().build().run("head", "-c", "3G", "/dev/zero");
        System.out.println("KEPT " + kept.status() + " " + kept.exitCode() + " " + kept.outputTruncated() + " "
                + kept.stdout().length() + " " + kept.wallTime().toMillis());
        SandboxResult killed = Sandbox.builder().bind(out, "/out").outputLimit(MIB).killOnOutputLimit().build()
                .run("sh", "-c", COUNTED_FLOOD, marker);
        System.out.println("KILLED " + killed.status() + " " + killed.signal() + " " + killed.outputTruncated() + " "
                + killed.stdout().length() + " " + killed.wallTime().toMillis());
        System.out.flush();
        System.in.read(); // the test has looked
    }

    @Test
    @DisplayName("head -c 3G /dev/zero in a JVM with -Xmx256m: no OutOfMemoryError, truncated, ran to its end; "
            + "killOnOutputLimit ends a 3 GiB flood after a few MiB and leaves no process")
    void threeGigabytesInASmallHeap() throws Exception {
        Path dir = Files.createTempDirectory("output-limit");
        String marker = "output-flood-" + UUID.randomUUID();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path err = Files.createTempFile("output-limit", ".err");
        Process jvm = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                OutputLimitIT.class.getName(), dir.toString(), marker).redirectError(err.toFile()).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
            String kept = r.readLine();
            String killed = r.readLine();
            assertThat(kept).as("the child JVM's report; its stderr: " + Files.readString(err)).isNotNull();
            assertThat(killed).as("the child JVM's second report; its stderr: " + Files.readString(err)).isNotNull();

            String[] k = kept.split(" ");
            assertThat(k[1]).as("verdict of head -c 3G: " + kept).isEqualTo("EXITED");
            assertThat(k[2]).as("head's exit status: it wrote all 3 GiB").isEqualTo("0");
            assertThat(k[3]).as("outputTruncated").isEqualTo("true");
            assertThat(Integer.parseInt(k[4])).as("stdout kept: the default 16 MiB").isEqualTo(16 * MIB);

            String[] x = killed.split(" ");
            assertThat(x[1]).as("verdict of the flood: " + killed).isEqualTo("OUTPUT_LIMIT_EXCEEDED");
            assertThat(x[2]).as("SIGKILL").isEqualTo("9");
            assertThat(x[3]).isEqualTo("true");
            assertThat(Integer.parseInt(x[4])).isEqualTo(MIB);
            Path count = dir.resolve("count");
            int pieces = Files.exists(count) ? Integer.parseInt(Files.readString(count).trim()) : 0;
            System.out.println("OutputLimitIT child JVM (-Xmx256m): " + kept + " | " + killed + " | MiB written before the kill: " + pieces);
            assertThat(pieces).as("MiB the flood had written when it was killed (of 3072)").isLessThan(64);
            // run() returned once the tree and the helper were gone: nothing of the flood may run now.
            assertThat(Kernel.processesWith(marker)).as("processes of the killed flood (the child JVM names the marker too)")
                    .containsExactly(jvm.pid());
        } finally {
            try (OutputStream in = jvm.getOutputStream()) {
                in.write('\n');
            } catch (java.io.IOException gone) {
                // the child JVM already ended; its exit status tells
            }
            assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String stderr = Files.readString(err);
            Files.delete(err);
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
            assertThat(stderr).doesNotContain("OutOfMemoryError");
            assertThat(jvm.exitValue()).as("the child JVM's exit status; stderr: " + stderr).isZero();
        }
    }

    @Test
    @DisplayName("stdout and stderr flooded at once: each keeps exactly the limit, the command runs to its end")
    void bothStreamsAtOnce() throws Exception {
        SandboxResult r = Sandbox.builder().outputLimit(MIB).build().run("sh", "-c",
                "head -c 5000000 /dev/zero >&2 & e=$!; head -c 5000000 /dev/zero; o=$?; wait $e; exit $((o + $?))");
        assertThat(r.status()).isEqualTo(SandboxResult.Status.EXITED);
        assertThat(r.exitCode()).as("both heads wrote their 5 MB: " + r).isZero();
        assertThat(r.stdout()).hasSize(MIB);
        assertThat(r.stderr()).hasSize(MIB);
        assertThat(r.stdoutTruncated()).isTrue();
        assertThat(r.stderrTruncated()).isTrue();
        assertThat(r.outputTruncated()).isTrue();
        assertThat(r.succeeded()).isTrue();
    }

    @Test
    @DisplayName("output of exactly the limit is kept whole and not truncated; one byte over is truncated, on either stream")
    void exactlyAtTheLimit() throws Exception {
        Sandbox s = Sandbox.builder().outputLimit(1000).build();
        SandboxResult at = s.run("sh", "-c", "printf %1000s x; printf %1000s y >&2");
        assertThat(at.stdout()).isEqualTo(" ".repeat(999) + "x");
        assertThat(at.stderr()).isEqualTo(" ".repeat(999) + "y");
        assertThat(at.outputTruncated()).isFalse();
        SandboxResult outOver = s.run("sh", "-c", "printf %1001s x; printf %1000s y >&2");
        assertThat(outOver.stdout()).isEqualTo(" ".repeat(1000));
        assertThat(outOver.stdoutTruncated()).isTrue();
        assertThat(outOver.stderrTruncated()).isFalse();
        SandboxResult errOver = s.run("sh", "-c", "printf %1000s x; printf %1001s y >&2");
        assertThat(errOver.stderr()).isEqualTo(" ".repeat(1000));
        assertThat(errOver.stdoutTruncated()).isFalse();
        assertThat(errOver.stderrTruncated()).isTrue();
    }

    @Test
    @DisplayName("with killOnOutputLimit, exactly the limit runs to its end; one byte over on stderr kills the sandbox")
    void killOnlyPastTheLimit() throws Exception {
        Sandbox s = Sandbox.builder().outputLimit(1000).killOnOutputLimit().build();
        SandboxResult at = s.run("sh", "-c", "printf %1000s x; printf %1000s y >&2; sleep 0.2");
        assertThat(at.status()).as(at.toString()).isEqualTo(SandboxResult.Status.EXITED);
        assertThat(at.exitCode()).isZero();
        String marker = "stderr-flood-" + UUID.randomUUID();
        SandboxResult over = s.run("sh", "-c", "printf %1001s y >&2; sleep 30; :", marker);
        assertThat(over.status()).as(over.toString()).isEqualTo(SandboxResult.Status.OUTPUT_LIMIT_EXCEEDED);
        assertThat(over.signal()).isEqualTo(9);
        assertThat(over.wallTime()).as("killed, not run for 30 s").isLessThan(java.time.Duration.ofSeconds(20));
        assertThat(over.stderrTruncated()).isTrue();
        assertThat(Kernel.processesWith(marker)).isEmpty();
    }
}
