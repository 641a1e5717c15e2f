package dev.sandbox;

import dev.sandbox.internal.HelperBinary;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM that starts sandboxes on cue, for tests that change its helper's surroundings between
 * starts. It prints one line per event and waits for a line on stdin where the test acts:
 * <pre>
 * ran true 0             the first sandbox ran (or "failed &lt;exception&gt;: &lt;message&gt;", then it exits 1)
 * origin &lt;where&gt;         HelperBinary.origin()
 * ready                  waits: the test changes things now
 * ran echo 0 again 0     later sandboxes, each through a freshly spawned helper
 * helper exe &lt;link&gt;      /proc/&lt;pid&gt;/exe of the helper of the sandbox that now runs, as this JVM's /proc says
 * running &lt;pid&gt;          that sandbox's first process; waits: the test inspects its helper
 * done
 * </pre>
 */
public final class HelperDriver {

    private static final int LATER_STARTS = 3;

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            out.println("ran true " + Sandbox.builder().build().run("true").exitCode());
            out.println("origin " + HelperBinary.origin());
            out.println("ready");
            in.readLine();
            for (int i = 0; i < LATER_STARTS; i++) {
                SandboxResult r = Sandbox.builder().build().run("echo", "again", Integer.toString(i));
                out.println("ran echo " + r.exitCode() + " " + r.stdout().trim());
            }
            out.println("ran pidns " + Sandbox.builder().pidNs().build().run("true").exitCode());
            try (SandboxedProcess p = Sandbox.builder().build().start("sleep", "30")) {
                long helper = ProcessHandle.of(p.initPid()).flatMap(ProcessHandle::parent).orElseThrow().pid();
                out.println("helper exe " + Files.readSymbolicLink(Path.of("/proc/" + helper + "/exe")));
                out.println("running " + p.initPid());
                in.readLine();
            }
            out.println("done");
        } catch (Exception e) {
            out.println("failed " + e.getClass().getSimpleName() + ": " + e.getMessage());
            System.exit(1);
        }
    }

    /** The test's side: a started driver, read and told one line at a time. */
    static final class Child implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;
        private final List<String> seen = new ArrayList<>();
        private int skippedFrom;

        private Child(Process process) {
            this.process = process;
            // A test that waits for a line the driver never prints then fails instead of hanging.
            CompletableFuture.delayedExecutor(120, TimeUnit.SECONDS).execute(process::destroyForcibly);
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        long pid() {
            return process.pid();
        }

        /** The next line starting with {@code prefix}, without it; fails with all output when the JVM ends first. */
        String await(String prefix) throws IOException {
            skippedFrom = seen.size();
            String line;
            while ((line = out.readLine()) != null) {
                seen.add(line);
                if (line.startsWith(prefix)) {
                    return line.substring(prefix.length());
                }
            }
            throw new AssertionError("the driver JVM ended before printing \"" + prefix + "\":\n" + String.join("\n", seen));
        }

        /** The lines the last {@link #await} passed over. */
        List<String> skipped() {
            return List.copyOf(seen.subList(skippedFrom, seen.size() - 1));
        }

        void proceed() throws IOException {
            process.getOutputStream().write('\n');
            process.getOutputStream().flush();
        }

        /** The exit status, after the JVM ended (60 s at most). */
        int exitValue() throws InterruptedException {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the driver JVM did not end:\n" + String.join("\n", seen));
            }
            return process.exitValue();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(60, TimeUnit.SECONDS);
        }
    }

    /**
     * Runs the driver in a pid namespace of its own (with its own /proc) where {@code vm.memfd_noexec}
     * is 2, so that the kernel refuses executable memfds: the sysctl is per pid namespace, the host
     * keeps its own. Pids the driver prints are then its namespace's.
     */
    static final List<String> MEMFD_NOEXEC = List.of("unshare", "--pid", "--kill-child", "--mount-proc",
            "sh", "-c", "echo 2 > /proc/sys/vm/memfd_noexec && exec \"$@\"", "sh");

    /** Starts a driver JVM with {@code options} (system properties), this test class path and no XDG_CACHE_HOME. */
    static Child start(String... options) throws IOException {
        return start(List.of(), options);
    }

    /** As {@link #start(String...)}, the JVM run by {@code wrapper} (a command that execs its arguments). */
    static Child start(List<String> wrapper, String... options) throws IOException {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1"));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), HelperDriver.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("XDG_CACHE_HOME");
        return new Child(pb.start());
    }

    /** The helper image the jar carries. */
    static byte[] jarImage() throws IOException {
        try (InputStream in = HelperBinary.class.getResourceAsStream("/META-INF/native/" + HelperBinary.platform() + "/sandbox-helper")) {
            return in.readAllBytes();
        }
    }

    /** The name the image is extracted under: its content hash. */
    static String extractedName() throws Exception {
        return "sandbox-helper-" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(jarImage())).substring(0, 24);
    }
}
