package dev.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** What the kernel says, read from /proc and from host tools: never the library's own view. */
final class Kernel {

    private Kernel() {
    }

    /** The namespace link of {@code pid}, e.g. {@code net:[4026531840]}. */
    static String namespace(long pid, String procName) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/" + procName)).toString();
    }

    static String namespaceOfSelf(String procName) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/ns/" + procName)).toString();
    }

    /** The parent pid of {@code pid}, from {@code /proc/<pid>/stat}. */
    static long parentOf(long pid) throws IOException {
        return stat(pid, 4);
    }

    static String read(String file) throws IOException {
        return dev.sandbox.testing.Host.read(file);
    }

    static boolean alive(long pid) {
        return dev.sandbox.testing.Host.alive(pid);
    }

    /** The value of one {@code /proc/<pid>/status} line, e.g. {@code status(pid, "CapEff")} → {@code 0000000000000000}. */
    static String status(long pid, String field) throws IOException {
        return field(read("/proc/" + pid + "/status"), field);
    }

    /** The value of the line {@code field:} in the text of a {@code /proc/<pid>/status}. */
    static String field(String status, String field) {
        return status.lines().filter(l -> l.startsWith(field + ":"))
                .map(l -> l.substring(field.length() + 1).trim()).findFirst()
                .orElseThrow(() -> new AssertionError("no " + field + " in " + status));
    }

    /** Field {@code n} (1-based, as in proc(5)) of {@code /proc/<pid>/stat}: 4 is the parent, 6 the session. */
    static long stat(long pid, int n) throws IOException {
        return statField(read("/proc/" + pid + "/stat"), n);
    }

    /** Field {@code n} (1-based, n ≥ 3) of the text of a {@code /proc/<pid>/stat}; the name may hold spaces. */
    static long statField(String stat, int n) {
        String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Long.parseLong(afterName[n - 3]);
    }

    /**
     * The group of {@code pid} in each hierarchy ("unified" for v2), from /proc/<pid>/cgroup, as
     * this process's cgroupfs directories.
     */
    static Map<String, Path> groupsOf(long pid) throws IOException {
        dev.sandbox.cgroups.CgroupHost host = dev.sandbox.cgroups.CgroupHost.detect();
        Map<String, Path> out = new LinkedHashMap<>();
        for (String line : read("/proc/" + pid + "/cgroup").split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            for (String controller : f[1].split(",")) {
                Path mount = controller.isEmpty() ? host.unifiedMount().orElse(null) : host.v1Mounts().get(controller);
                if (mount != null) {
                    out.put(controller.isEmpty() ? "unified" : controller, mount.resolve(f[2].substring(1)));
                }
            }
        }
        // v2: each controller enabled on the unified hierarchy is found in the unified group
        Path unified = out.get("unified");
        if (unified != null) {
            for (String controller : host.v2Controllers()) {
                out.putIfAbsent(controller, unified);
            }
        }
        return out;
    }

    /** The open file descriptors of this JVM. */
    static List<String> openFds() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    Path target = Files.readSymbolicLink(p);
                    if (!target.toString().equals("/proc/" + ProcessHandle.current().pid() + "/fd")) {
                        out.add(p.getFileName() + " -> " + target); // not the listing's own fd
                    }
                } catch (IOException gone) {
                    // closed by the time we looked
                }
            }
        }
        return out;
    }

    /** Pids of this JVM's child processes, from every thread's children list. */
    static List<Long> children() throws IOException {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String c = Files.readString(t.resolve("children")).trim();
                    if (!c.isEmpty()) {
                        for (String pid : c.split("\\s+")) {
                            out.add(Long.parseLong(pid));
                        }
                    }
                } catch (IOException threadGone) {
                    // the thread ended while we listed
                }
            }
        }
        return out;
    }

    /** Pids of processes whose command line contains {@code marker}. */
    static List<Long> processesWith(String marker) throws IOException {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    byte[] cmd = Files.readAllBytes(p.resolve("cmdline"));
                    if (new String(cmd, StandardCharsets.UTF_8).replace('\0', ' ').contains(marker)) {
                        out.add(Long.parseLong(name));
                    }
                } catch (IOException gone) {
                    // exited while we listed
                }
            }
        }
        return out;
    }

    static String host(String... command) throws IOException, InterruptedException {
        return dev.sandbox.testing.Host.run(command);
    }

    static boolean onPath(String tool) {
        return dev.sandbox.testing.Host.onPath(tool);
    }

    /** Waits until {@code pid} is gone, up to {@code millis}; true if it went. */
    static boolean awaitGone(long pid, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < deadline) {
            if (!alive(pid)) {
                return true;
            }
            Thread.sleep(5);
        }
        return !alive(pid);
    }
}
