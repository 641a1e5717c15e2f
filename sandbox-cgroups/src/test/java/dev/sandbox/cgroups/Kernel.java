package dev.sandbox.cgroups;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** What the kernel says, read from /proc and cgroupfs: never the library's own view. */
final class Kernel {

    static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

    private Kernel() {
    }

    static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    static String read(String file) throws IOException {
        return read(Path.of(file));
    }

    static long readLong(Path file) throws IOException {
        return Long.parseLong(read(file).trim());
    }

    /** {@code key value} lines of a flat keyed cgroup file. */
    static long key(Path file, String key) throws IOException {
        for (String line : read(file).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals(key)) {
                return Long.parseLong(f[1]);
            }
        }
        throw new AssertionError("no " + key + " in " + file);
    }

    /** {@code /proc/<pid>/cgroup}: controller list (or "" for v2) → path. */
    static Map<String, String> procCgroup(long pid) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : read("/proc/" + pid + "/cgroup").split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length == 3) {
                if (f[1].isEmpty()) {
                    out.put("", f[2]);
                }
                for (String c : f[1].split(",")) {
                    if (!c.isEmpty()) {
                        out.put(c, f[2]);
                    }
                }
            }
        }
        return out;
    }

    /** The directory of {@code pid}'s group in the v1 hierarchy of {@code controller}, per /proc/pid/cgroup. */
    static Path v1GroupOf(long pid, String controller) throws IOException {
        String rel = procCgroup(pid).get(controller);
        if (rel == null) {
            throw new AssertionError("pid " + pid + " is in no " + controller + " hierarchy");
        }
        return CGROUP_ROOT.resolve(controller).resolve(rel.substring(1));
    }

    /** Pids listed in a cgroup.procs file; empty if the group is gone. */
    static List<Long> procs(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        Path f = dir.resolve("cgroup.procs");
        if (!Files.exists(f)) {
            return out;
        }
        for (String s : read(f).split("\n")) {
            if (!s.isBlank()) {
                out.add(Long.parseLong(s.trim()));
            }
        }
        return out;
    }

    /** The State: line of /proc/pid/status, e.g. {@code D (disk sleep)}. */
    static String state(long pid) throws IOException {
        return read("/proc/" + pid + "/status").lines().filter(l -> l.startsWith("State:")).findFirst()
                .orElseThrow().substring("State:".length()).trim();
    }

    static boolean alive(long pid) {
        return dev.sandbox.testing.Host.alive(pid);
    }

    static boolean onPath(String tool) {
        return dev.sandbox.testing.Host.onPath(tool);
    }

    static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The file system type of {@code path}, from {@code stat -f}. */
    static String fsType(String path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("stat", "-f", "-c", "%T", path).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(10, TimeUnit.SECONDS);
        return p.exitValue() == 0 ? out : "missing";
    }

    static String host(String... command) throws IOException, InterruptedException {
        return dev.sandbox.testing.Host.run(command);
    }

    /**
     * Starts {@code sh -c 'read _; <script>'}: the process waits on stdin until {@link #go}, so
     * the test can place it in a group before it does anything.
     */
    static Process gated(String script) throws IOException {
        return new ProcessBuilder("sh", "-c", "read _; " + script).start();
    }

    /** Lets a {@link #gated} process go. */
    static void go(Process p) throws IOException {
        OutputStream in = p.getOutputStream();
        in.write('\n');
        in.flush();
    }

    /** Kills a process this test started, if it still runs, and reaps it. */
    static void kill(Process p) throws InterruptedException {
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static boolean await(BooleanSupplier condition, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return condition.getAsBoolean();
    }

    /** Every directory below {@code root} (not {@code root} itself), deepest first; empty if absent. */
    static List<Path> dirsBelow(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> !p.equals(root) && Files.isDirectory(p))
                    .sorted(java.util.Comparator.reverseOrder()).toList();
        }
    }

    /**
     * Removes this JVM's idle marker directories, then every hierarchy's {@code <prefix>} directory
     * that is empty (rmdir fails harmlessly where another JVM's groups live).
     */
    static void removePrefixes(String prefix) throws IOException {
        dev.sandbox.cgroups.internal.SharedDir.removeIdle();
        try (Stream<Path> s = Files.list(CGROUP_ROOT)) {
            for (Path h : s.toList()) {
                try {
                    Files.deleteIfExists(h.resolve(prefix));
                } catch (IOException inUse) {
                    // another JVM's groups are in it
                }
            }
        }
    }

    /** The JVM-marker directories of this JVM in every mounted v1 hierarchy and the unified one, under {@code prefix}. */
    static List<Path> ownMarkerDirs(String prefix) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(CGROUP_ROOT)) {
            for (Path h : s.toList()) {
                Path d = h.resolve(prefix).resolve(Cgroups.jvmMarker());
                if (Files.exists(d)) {
                    out.add(d);
                }
            }
        }
        return out;
    }
}
