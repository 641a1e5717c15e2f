package dev.sandbox.cgroups;

import dev.sandbox.base.Errno;
import dev.sandbox.cgroups.internal.CgroupFs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A cgroup file system laid out in a temp dir, behaving like the kernel's where the library
 * depends on it: mkdir makes a group with its control files (v2: the controllers its parent
 * passes down; v1: the mount's controllers), rmdir fails with EBUSY while processes or child
 * groups remain, writing a pid to cgroup.procs moves it out of every other group of that
 * hierarchy, cgroup.subtree_control refuses controllers the group is not offered (ENOENT) and,
 * below the root, any while the group has processes (EBUSY), missing control files are ENOENT,
 * v1 memory.use_hierarchy is inherited at mkdir and cannot change once the group has children.
 * Every write is logged, so tests see what was written where.
 */
final class FakeCgroupFs implements CgroupFs {

    /** One write: file and value. */
    record Write(Path file, String value) {
    }

    private final Path v2Mount;
    private final Map<Path, Set<String>> v1Mounts;
    private final boolean swapAccounting;
    private final List<Write> writes = new ArrayList<>();
    /** File name → what reads of it return instead of the content (a kernel that does not apply a value). */
    final Map<String, String> readOverrides = new HashMap<>();
    /** Directories whose mkdir fails with EACCES, as for a caller the hierarchy was not delegated to. */
    java.util.function.Predicate<Path> denyMkdir = p -> false;

    FakeCgroupFs(Path v2Mount, Map<Path, Set<String>> v1Mounts, boolean swapAccounting) {
        this.v2Mount = v2Mount;
        this.v1Mounts = v1Mounts;
        this.swapAccounting = swapAccounting;
    }

    /** Lays out a v2 root: {@code controllers} offered and passed down to children. */
    static void v2Root(Path mount, String controllers) throws IOException {
        Files.createDirectories(mount);
        Files.writeString(mount.resolve("cgroup.controllers"), controllers + "\n");
        Files.writeString(mount.resolve("cgroup.subtree_control"), controllers + "\n");
        Files.writeString(mount.resolve("cgroup.procs"), "");
    }

    /** Lays out a v1 hierarchy root for {@code controllers}. */
    void v1Root(Path mount) throws IOException {
        Files.createDirectories(mount);
        populate(mount, v1Mounts.get(mount), false);
        if (v1Mounts.get(mount).contains("cpuset")) {
            Files.writeString(mount.resolve("cpuset.cpus"), "0-3\n");
            Files.writeString(mount.resolve("cpuset.mems"), "0\n");
        }
    }

    List<Write> writes() {
        synchronized (writes) {
            return List.copyOf(writes);
        }
    }

    /** The last value written to {@code file}. */
    String lastWrite(Path file) {
        List<Write> all = writes();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).file().equals(file)) {
                return all.get(i).value();
            }
        }
        return null;
    }

    @Override
    public void mkdir(Path dir) throws IOException {
        if (denyMkdir.test(dir)) {
            throw new java.nio.file.AccessDeniedException(dir.toString());
        }
        Files.createDirectory(dir);
        if (v2Mount != null && dir.startsWith(v2Mount)) {
            Set<String> offered = words(Files.readString(dir.getParent().resolve("cgroup.subtree_control")));
            Files.writeString(dir.resolve("cgroup.controllers"), String.join(" ", offered) + "\n");
            Files.writeString(dir.resolve("cgroup.subtree_control"), "\n");
            Files.writeString(dir.resolve("cgroup.events"), "populated 0\nfrozen 0\n");
            Files.writeString(dir.resolve("cgroup.freeze"), "0\n");
            Files.writeString(dir.resolve("cgroup.kill"), "");
            Files.writeString(dir.resolve("cpu.stat"), "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
            populate(dir, offered, true);
        } else {
            populate(dir, v1Mounts.get(mountOf(dir)), false);
        }
    }

    private void populate(Path dir, Set<String> controllers, boolean v2) throws IOException {
        Files.writeString(dir.resolve("cgroup.procs"), "");
        for (String c : controllers) {
            Map<String, String> files = new LinkedHashMap<>();
            switch (c + (v2 ? "/2" : "/1")) {
                case "memory/2" -> {
                    files.put("memory.max", "max");
                    files.put("memory.high", "max");
                    if (swapAccounting) {
                        files.put("memory.swap.max", "max");
                    }
                    files.put("memory.current", "0");
                    files.put("memory.peak", "0");
                    files.put("memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0");
                }
                case "cpu/2" -> {
                    files.put("cpu.max", "max 100000");
                    files.put("cpu.weight", "100");
                }
                case "pids/2", "pids/1" -> {
                    files.put("pids.max", "max");
                    files.put("pids.current", "0");
                }
                case "io/2" -> files.put("io.max", "");
                case "cpuset/2", "cpuset/1" -> {
                    files.put("cpuset.cpus", "");
                    files.put("cpuset.mems", "");
                }
                case "memory/1" -> {
                    Path parentFlag = dir.getParent().resolve("memory.use_hierarchy");
                    files.put("memory.use_hierarchy", !isRoot(dir) && Files.exists(parentFlag)
                            ? Files.readString(parentFlag).trim() : "1");
                    files.put("memory.limit_in_bytes", "9223372036854771712");
                    if (swapAccounting) {
                        files.put("memory.memsw.limit_in_bytes", "9223372036854771712");
                    }
                    files.put("memory.usage_in_bytes", "0");
                    files.put("memory.max_usage_in_bytes", "0");
                    files.put("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0");
                }
                case "cpu/1" -> {
                    files.put("cpu.cfs_period_us", "100000");
                    files.put("cpu.cfs_quota_us", "-1");
                    files.put("cpu.shares", "1024");
                    files.put("cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0");
                }
                case "cpuacct/1" -> {
                    files.put("cpuacct.usage", "0");
                    files.put("cpuacct.usage_user", "0");
                    files.put("cpuacct.usage_sys", "0");
                }
                case "blkio/1" -> {
                    for (String f : List.of("read_bps", "write_bps", "read_iops", "write_iops")) {
                        files.put("blkio.throttle." + f + "_device", "");
                    }
                }
                case "freezer/1" -> files.put("freezer.state", "THAWED");
                default -> {
                }
            }
            for (Map.Entry<String, String> f : files.entrySet()) {
                Files.writeString(dir.resolve(f.getKey()), f.getValue().isEmpty() ? "" : f.getValue() + "\n");
            }
        }
    }

    private Path mountOf(Path p) {
        for (Path m : v1Mounts.keySet()) {
            if (p.startsWith(m)) {
                return m;
            }
        }
        return v2Mount;
    }

    private boolean isRoot(Path dir) {
        return dir.equals(v2Mount) || v1Mounts.containsKey(dir);
    }

    @Override
    public void rmdir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString());
        }
        if (!directories(dir).isEmpty() || !words(Files.readString(dir.resolve("cgroup.procs"))).isEmpty()) {
            throw Errno.exception(dir.toString(), Errno.EBUSY);
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }

    @Override
    public void write(Path file, String value) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        synchronized (writes) {
            writes.add(new Write(file, value));
        }
        String name = file.getFileName().toString();
        Path dir = file.getParent();
        switch (name) {
            case "cgroup.procs" -> {
                Path mount = mountOf(file);
                try (Stream<Path> s = Files.walk(mount)) {
                    for (Path p : s.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                        Set<String> pids = words(Files.readString(p));
                        if (pids.remove(value.trim())) {
                            Files.writeString(p, lines(pids));
                        }
                    }
                }
                Set<String> pids = words(Files.readString(file));
                pids.add(value.trim());
                Files.writeString(file, lines(pids));
            }
            case "cgroup.subtree_control" -> {
                Set<String> offered = words(Files.readString(dir.resolve("cgroup.controllers")));
                Set<String> now = words(Files.readString(file));
                for (String token : value.trim().split("\\s+")) {
                    String c = token.substring(1);
                    if (!offered.contains(c)) {
                        throw Errno.exception(file.toString(), Errno.ENOENT);
                    }
                    if (token.startsWith("+")) {
                        if (!isRoot(dir) && !words(Files.readString(dir.resolve("cgroup.procs"))).isEmpty()) {
                            throw Errno.exception(file.toString(), Errno.EBUSY);
                        }
                        now.add(c);
                    } else {
                        now.remove(c);
                    }
                }
                Files.writeString(file, String.join(" ", now) + "\n");
            }
            case "memory.use_hierarchy" -> {
                // as before Linux 5.11: settable while the group has no children, inherited at mkdir
                if (!directories(dir).isEmpty()) {
                    throw Errno.exception(file.toString(), Errno.EBUSY);
                }
                Files.writeString(file, value.trim() + "\n");
            }
            case "io.max", "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                    "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device" -> {
                String device = value.trim().split(" ")[0];
                List<String> kept = Files.readAllLines(file).stream()
                        .filter(l -> !l.isBlank() && !l.startsWith(device + " ")).collect(Collectors.toList());
                kept.add(value.trim());
                Files.writeString(file, String.join("\n", kept) + "\n");
            }
            default -> Files.writeString(file, value + "\n");
        }
    }

    @Override
    public String writeAndRead(Path file, String value) throws IOException {
        write(file, value);
        return read(file);
    }

    @Override
    public String read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        String override = readOverrides.get(file.getFileName().toString());
        return override != null ? override : Files.readString(file, StandardCharsets.US_ASCII);
    }

    @Override
    public boolean exists(Path path) {
        return Files.exists(path);
    }

    @Override
    public List<Path> directories(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString());
        }
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
            s.forEach(out::add);
        }
        return out;
    }

    private static Set<String> words(String s) {
        return new LinkedHashSet<>(Arrays.stream(s.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList());
    }

    private static String lines(Set<String> pids) {
        return pids.isEmpty() ? "" : String.join("\n", pids) + "\n";
    }
}
