package dev.sandbox.cgroups.internal;

import dev.sandbox.cgroups.Cgroup;
import dev.sandbox.cgroups.CgroupException;
import dev.sandbox.cgroups.Limits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Groups on cgroup v1 (and hybrid) hosts: one directory {@code <mount>/<prefix>/<marker>/<n>} in
 * each hierarchy that a limit needs, plus the measuring ones when mounted: memory (usage, OOM),
 * cpuacct (CPU time), pids (task counts) and freezer (kill-all without races); and, when asked
 * for, {@code <n>/<leaf>} in each for the group's processes.
 *
 * <p>A hierarchy a limit needs must work, or {@link #create} fails. A measuring-only hierarchy
 * the caller may not write (not delegated to an unprivileged user) is left out, with a note.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class V1Backend implements Backend {

    /** Controllers this backend uses, in the order groups are made and limits written. */
    static final List<String> ORDER = List.of("memory", "cpu", "cpuacct", "cpuset", "blkio", "pids", "freezer");
    /** Joined, when mounted, only to measure and to kill: memory (usage, OOM), cpuacct, pids, freezer. */
    public static final Set<String> MEASURING = Set.of("memory", "cpuacct", "pids", "freezer");
    private static final Set<String> NOT_DELEGATED = Set.of("EACCES", "EPERM", "EROFS", "ENOENT");

    private final CgroupFs fs;
    private final String prefix;
    private final Map<String, Path> mounts;
    private final Set<String> measuring;
    private final List<Path> prefixDirectories;

    /**
     * @param v1Mounts  controller → mount point, as {@code CgroupHost.v1Mounts()} reports them
     * @param prefix    relative path below every hierarchy's root
     * @param measuring the subset of {@link #MEASURING} to join beyond what the limits need
     */
    public V1Backend(CgroupFs fs, Map<String, Path> v1Mounts, String prefix, Set<String> measuring) {
        this.fs = fs;
        this.prefix = prefix;
        this.measuring = Set.copyOf(measuring);
        Map<String, Path> m = new LinkedHashMap<>();
        for (String c : ORDER) {
            if (v1Mounts.containsKey(c)) {
                m.put(c, v1Mounts.get(c));
            }
        }
        this.mounts = m;
        List<Path> dirs = new ArrayList<>();
        for (Path mount : new java.util.LinkedHashSet<>(m.values())) {
            dirs.add(mount.resolve(prefix));
        }
        this.prefixDirectories = List.copyOf(dirs);
    }

    @Override
    public Cgroup create(Limits limits, String marker, long n, String leaf, List<String> notes) throws CgroupException {
        if (limits.memoryHigh().isPresent()) {
            throw Failures.refused("memoryHigh", null, "cgroup v1 has no memory.high (memory.soft_limit_in_bytes only"
                    + " steers reclaim under global memory pressure, it does not throttle); use memoryMax, or a cgroup v2 host");
        }
        Map<String, String> required = Backend.required(limits, "blkio");
        if (limits.cpuAccounting()) {
            required.put("cpuacct", "cpuAccounting"); // v2 counts CPU time in every group
        }
        for (Map.Entry<String, String> e : required.entrySet()) {
            if (!mounts.containsKey(e.getKey())) {
                throw Failures.refused(e.getValue(), null, "no cgroup v1 hierarchy of the " + e.getKey()
                        + " controller is mounted (mounted: " + mounts.keySet() + "); mount one, or leave " + e.getValue() + " unset");
            }
        }
        Map<Path, List<String>> plan = new LinkedHashMap<>();
        for (String c : ORDER) {
            if (required.containsKey(c) || (measuring.contains(c) && mounts.containsKey(c))) {
                plan.computeIfAbsent(mounts.get(c), k -> new ArrayList<>()).add(c);
            }
        }
        String groupName = Long.toString(n);
        List<Path> dirs = new ArrayList<>();
        List<Path> leaves = new ArrayList<>();
        Map<String, Path> byController = new LinkedHashMap<>();
        List<SharedDir> acquired = new ArrayList<>();
        CgroupException skipped = null;
        try {
            for (Map.Entry<Path, List<String>> h : plan.entrySet()) {
                List<String> controllers = h.getValue();
                String setting = controllers.stream().filter(required::containsKey).map(required::get).findFirst().orElse(null);
                Path prefixDir = h.getKey().resolve(prefix);
                SharedDir jvm = SharedDir.of(prefixDir.resolve(marker));
                Path group = jvm.path().resolve(groupName);
                try {
                    Prefixes.makeGroup(fs, prefixDir, jvm, controllers.contains("cpuset") ? this::setUpCpuset : null,
                            null, group, setting == null ? "create" : setting);
                } catch (CgroupException e) {
                    if (setting == null && NOT_DELEGATED.contains(e.errno().orElse(""))) {
                        notes.add("not measured by " + controllers + ": " + e.getMessage());
                        skipped = skipped == null ? e : skipped;
                        continue;
                    }
                    throw e;
                }
                acquired.add(jvm);
                dirs.add(group);
                for (String c : controllers) {
                    byController.put(c, group);
                }
            }
            if (dirs.isEmpty()) {
                throw skipped != null
                        ? new CgroupException("create", skipped.path().orElse(null), skipped.errno().orElse(null),
                        "create: no cgroup v1 hierarchy is usable; " + skipped.getMessage(), skipped)
                        : Failures.refused("create", null, "no cgroup v1 controller this library uses is mounted");
            }
            writeLimits(limits, byController, notes);
            if (leaf != null) {
                makeLeaves(limits, leaf, dirs, byController, leaves,
                        required.isEmpty() ? "create" : required.values().iterator().next());
            }
            return new V1Cgroup(fs, prefix + "/" + marker + "/" + n, limits, dirs, byController, leaf, notes, acquired);
        } catch (CgroupException | RuntimeException e) {
            List<Path> made = new ArrayList<>(dirs);
            made.addAll(leaves);
            rollBack(made, acquired, e);
            throw e;
        }
    }

    /**
     * Makes {@code leaf} below each of the group's directories (adding each to {@code made}) so
     * that the group's limits hold its processes: memory accounting must be hierarchical, a
     * cpuset admits no process before it has CPUs and nodes, and v1 block I/O throttling applies
     * only to the group that holds the process (it ignores its ancestors).
     */
    private void makeLeaves(Limits limits, String leaf, List<Path> dirs, Map<String, Path> byController,
                            List<Path> made, String setting) throws CgroupException {
        Path memory = byController.get("memory");
        if (memory != null) {
            // Linux 5.11+ reads 1 and ignores a write of 1; before, 0 lets a child escape the group's limit.
            Path file = memory.resolve("memory.use_hierarchy");
            if (!read(setting, file).trim().equals("1")) {
                Verified.exact(fs, setting, file, "1");
            }
        }
        Leaf.make(fs, setting, dirs, leaf, made);
        Path cpuset = byController.get("cpuset");
        if (cpuset != null) {
            // what writeLimits gave the group
            Verified.cpuList(fs, "cpuset", cpuset.resolve(leaf).resolve("cpuset.cpus"), limits.cpuset().orElseThrow());
            Verified.cpuList(fs, "cpuset", cpuset.resolve(leaf).resolve("cpuset.mems"),
                    (String) SharedDir.of(cpuset.getParent()).state());
        }
        Path blkio = byController.get("blkio");
        for (Limits.IoMax io : limits.ioMax()) {
            throttle(blkio.resolve(leaf), io);
        }
    }

    private void writeLimits(Limits limits, Map<String, Path> dir, List<String> notes) throws CgroupException {
        if (limits.memoryMax().isPresent()) {
            long max = limits.memoryMax().getAsLong();
            Verified.bytes(fs, "memoryMax", dir.get("memory").resolve("memory.limit_in_bytes"), max);
            if (!limits.swapAllowed()) {
                try {
                    Verified.bytes(fs, "memoryMax", dir.get("memory").resolve("memory.memsw.limit_in_bytes"), max);
                } catch (CgroupException e) {
                    if (!"ENOENT".equals(e.errno().orElse(""))) {
                        throw e;
                    }
                    notes.add("memoryMax: swap is not limited: this kernel has no swap accounting"
                            + " (no memory.memsw.limit_in_bytes; boot with swapaccount=1)");
                }
            }
        }
        if (limits.cpus().isPresent()) {
            Path cpu = dir.get("cpu");
            Verified.exact(fs, "cpus", cpu.resolve("cpu.cfs_period_us"), Long.toString(limits.cpuPeriodMicros()));
            Verified.exact(fs, "cpus", cpu.resolve("cpu.cfs_quota_us"), Long.toString(limits.cpuQuotaMicros().getAsLong()));
        }
        if (limits.cpuWeight().isPresent()) {
            Verified.exact(fs, "cpuWeight", dir.get("cpu").resolve("cpu.shares"),
                    Long.toString(Units.weightToShares(limits.cpuWeight().getAsInt())));
        }
        if (limits.cpuset().isPresent()) {
            Path cpuset = dir.get("cpuset");
            Verified.cpuList(fs, "cpuset", cpuset.resolve("cpuset.cpus"), limits.cpuset().get());
            // v1 admits no process into a cpuset without memory nodes: the parent's, set up with the JVM dir
            Verified.cpuList(fs, "cpuset", cpuset.resolve("cpuset.mems"), (String) SharedDir.of(cpuset.getParent()).state());
        }
        for (Limits.IoMax io : limits.ioMax()) {
            throttle(dir.get("blkio"), io);
        }
        if (limits.pidsMax().isPresent()) {
            Verified.exact(fs, "pidsMax", dir.get("pids").resolve("pids.max"), Long.toString(limits.pidsMax().getAsLong()));
        }
    }

    private void throttle(Path blkio, Limits.IoMax io) throws CgroupException {
        throttle(blkio, "read_bps", io.device(), io.readBps());
        throttle(blkio, "write_bps", io.device(), io.writeBps());
        throttle(blkio, "read_iops", io.device(), io.readIops());
        throttle(blkio, "write_iops", io.device(), io.writeIops());
    }

    private void throttle(Path blkio, String what, String device, long value) throws CgroupException {
        if (value > 0) {
            Verified.line(fs, "ioMax", blkio.resolve("blkio.throttle." + what + "_device"), device + " " + value);
        }
    }

    /**
     * A new v1 cpuset has no CPUs and no memory nodes and admits no process: the JVM directory
     * (and the prefix, if nobody set it up) takes its parent's. Runs once per JVM directory.
     */
    private void setUpCpuset(SharedDir jvm, boolean fresh) throws CgroupException {
        if (jvm.state() != null) {
            return;
        }
        Path prefixDir = jvm.path().getParent();
        String cpus = inherit(prefixDir, "cpuset.cpus");
        String mems = inherit(prefixDir, "cpuset.mems");
        Verified.cpuList(fs, "cpuset", jvm.path().resolve("cpuset.cpus"), cpus);
        Verified.cpuList(fs, "cpuset", jvm.path().resolve("cpuset.mems"), mems);
        jvm.state(mems);
    }

    /** {@code dir}'s value of a cpuset list file, copied from its parent first if empty. */
    private String inherit(Path dir, String file) throws CgroupException {
        String value = read("cpuset", dir.resolve(file)).trim();
        if (value.isEmpty()) {
            value = read("cpuset", dir.getParent().resolve(file)).trim();
            Verified.cpuList(fs, "cpuset", dir.resolve(file), value);
        }
        return value;
    }

    private String read(String setting, Path file) throws CgroupException {
        try {
            return fs.read(file);
        } catch (IOException e) {
            throw Failures.io(setting, "read", file, e);
        }
    }

    private void rollBack(List<Path> dirs, List<SharedDir> acquired, Exception failure) {
        for (int i = dirs.size() - 1; i >= 0; i--) {
            try {
                fs.rmdir(dirs.get(i));
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
        for (int i = acquired.size() - 1; i >= 0; i--) {
            acquired.get(i).release();
        }
    }

    @Override
    public List<Path> prefixDirectories() {
        return prefixDirectories;
    }

    @Override
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        out.add("cgroup v1: groups go to <hierarchy>/" + prefix + "/<jvm-marker>/<n> in " + mounts);
        for (String c : ORDER) {
            if (!mounts.containsKey(c)) {
                out.add("no " + c + " hierarchy is mounted" + switch (c) {
                    case "memory" -> ": memoryMax is unavailable, no memory usage or OOM reports";
                    case "cpu" -> ": cpus and cpuWeight are unavailable";
                    case "cpuset" -> ": cpuset is unavailable";
                    case "blkio" -> ": ioMax is unavailable";
                    case "pids" -> ": pidsMax is unavailable";
                    case "freezer" -> ": freeze() is unavailable and killAll() signals without freezing";
                    default -> "";
                });
            }
        }
        Path memory = mounts.get("memory");
        if (memory != null && !fs.exists(memory.resolve("memory.memsw.limit_in_bytes"))) {
            out.add("memoryMax does not limit swap: no swap accounting (memory.memsw.limit_in_bytes; boot with swapaccount=1)");
        }
        out.add("memoryHigh is unavailable on cgroup v1");
        for (Path p : prefixDirectories()) {
            Path probe = Files.exists(p) ? p : p.getParent();
            if (!Files.isWritable(probe)) {
                out.add(probe + " is not writable: " + Failures.DELEGATE_V1);
                break;
            }
        }
        return out;
    }
}
