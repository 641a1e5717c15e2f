package dev.sandbox.cgroups.internal;

import dev.sandbox.base.ProcessFacts;
import dev.sandbox.cgroups.Cgroup;
import dev.sandbox.cgroups.CgroupException;
import dev.sandbox.cgroups.Limits;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Groups on the unified (v2) hierarchy: {@code <mount>/<prefix>/<marker>/<n>}, one directory, and
 * {@code <n>/<leaf>} for its processes when asked for. The group's {@code cgroup.subtree_control}
 * stays empty: a leaf without controllers of its own is charged to, and limited by, the group's.
 *
 * <p>The prefix's parent (the <em>anchor</em>) must already pass the needed controllers down
 * (its {@code cgroup.subtree_control}); the library enables them only in its own directories
 * (the prefix and the JVM directory) — and in the caller's own group when that group is the
 * anchor, i.e. was delegated to it. Because v2 lets no group both hold processes and pass
 * controllers down, the JVM then first moves itself into a leaf {@code <own group>/jvm}.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class V2Backend implements Backend {

    /** Controllers this backend enables, in order. */
    static final List<String> ORDER = List.of("memory", "cpu", "cpuset", "io", "pids");
    /** Enabled, when the anchor offers them and the caller wants them, for usage and OOM reports. */
    static final Set<String> MEASURING = Set.of("memory", "pids");
    /** Where the JVM moves itself inside its own delegated group. */
    public static final String JVM_LEAF = "jvm";

    private final CgroupFs fs;
    private final Path mount;
    private final String prefix;
    private final Path prefixDir;
    private final Path anchor;
    private final boolean anchorIsOwnGroup;
    private final Set<String> measuring;
    private volatile Set<String> anchorEnabled;

    /**
     * @param mount    the unified hierarchy's mount point
     * @param prefix   relative path below the mount
     * @param ownGroup  this process's group, relative to the mount ({@code /proc/self/cgroup}'s {@code 0::} line)
     * @param measuring controllers to enable, where offered, only to measure: memory and pids are
     *                  used from it (v2 freezes, kills and counts CPU time without controllers)
     */
    public V2Backend(CgroupFs fs, Path mount, String prefix, String ownGroup, Set<String> measuring) {
        this.fs = fs;
        Set<String> m = new LinkedHashSet<>(measuring);
        m.retainAll(MEASURING);
        this.measuring = Set.copyOf(m);
        this.mount = mount;
        this.prefix = prefix;
        this.prefixDir = mount.resolve(prefix);
        this.anchor = prefixDir.getParent();
        String own = ownGroup == null ? "" : ownGroup.replaceAll("^/+|/+$", "");
        // the JVM's own group, or that group's leaf the JVM moved itself into (an earlier factory of this JVM)
        this.anchorIsOwnGroup = !own.isEmpty() && (anchor.equals(mount.resolve(own))
                || mount.resolve(own).equals(anchor.resolve(JVM_LEAF)));
    }

    @Override
    public Cgroup create(Limits limits, String marker, long n, String leaf, List<String> notes) throws CgroupException {
        Map<String, String> required = Backend.required(limits, "io");
        Set<String> atAnchor = anchorEnabled(false);
        if (!atAnchor.containsAll(required.keySet())) {
            atAnchor = anchorEnabled(true);
            if (!atAnchor.containsAll(required.keySet())) {
                atAnchor = enableAtAnchor(required);
            }
        }
        Set<String> use = new LinkedHashSet<>();
        for (String c : ORDER) {
            if (required.containsKey(c) || (measuring.contains(c) && atAnchor.contains(c))) {
                use.add(c);
            }
        }
        SharedDir jvm = SharedDir.of(prefixDir.resolve(marker));
        Path group = jvm.path().resolve(Long.toString(n));
        String firstSetting = required.isEmpty() ? "create" : required.values().iterator().next();
        Prefixes.makeGroup(fs, prefixDir, jvm, (dir, fresh) -> enableBelow(dir, use, required),
                () -> enableInPrefix(use, required), group, firstSetting);
        List<Path> made = new ArrayList<>(List.of(group));
        try {
            writeLimits(limits, group, notes);
            if (leaf != null) {
                // No controller is passed down to it: its processes are charged to the group's.
                Leaf.make(fs, firstSetting, List.of(group), leaf, made);
            }
            return new V2Cgroup(fs, prefix + "/" + marker + "/" + n, limits, group, leaf, notes, List.of(jvm));
        } catch (CgroupException | RuntimeException e) {
            for (int i = made.size() - 1; i >= 0; i--) {
                try {
                    fs.rmdir(made.get(i));
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            jvm.release();
            throw e;
        }
    }

    private void writeLimits(Limits limits, Path dir, List<String> notes) throws CgroupException {
        if (limits.memoryMax().isPresent()) {
            Verified.bytes(fs, "memoryMax", dir.resolve("memory.max"), limits.memoryMax().getAsLong());
            if (!limits.swapAllowed()) {
                try {
                    Verified.exact(fs, "memoryMax", dir.resolve("memory.swap.max"), "0");
                } catch (CgroupException e) {
                    if (!"ENOENT".equals(e.errno().orElse(""))) {
                        throw e;
                    }
                    notes.add("memoryMax: swap is not limited: this kernel has no swap accounting (no memory.swap.max)");
                }
            }
        }
        if (limits.memoryHigh().isPresent()) {
            Verified.bytes(fs, "memoryHigh", dir.resolve("memory.high"), limits.memoryHigh().getAsLong());
        }
        if (limits.cpus().isPresent()) {
            Verified.exact(fs, "cpus", dir.resolve("cpu.max"),
                    limits.cpuQuotaMicros().getAsLong() + " " + limits.cpuPeriodMicros());
        }
        if (limits.cpuWeight().isPresent()) {
            Verified.exact(fs, "cpuWeight", dir.resolve("cpu.weight"), Integer.toString(limits.cpuWeight().getAsInt()));
        }
        if (limits.cpuset().isPresent()) {
            Verified.cpuList(fs, "cpuset", dir.resolve("cpuset.cpus"), limits.cpuset().get());
        }
        for (Limits.IoMax io : limits.ioMax()) {
            Verified.line(fs, "ioMax", dir.resolve("io.max"), io.device() + " rbps=" + orMax(io.readBps())
                    + " wbps=" + orMax(io.writeBps()) + " riops=" + orMax(io.readIops()) + " wiops=" + orMax(io.writeIops()));
        }
        if (limits.pidsMax().isPresent()) {
            Verified.exact(fs, "pidsMax", dir.resolve("pids.max"), Long.toString(limits.pidsMax().getAsLong()));
        }
    }

    private static String orMax(long v) {
        return v == 0 ? Formats.MAX : Long.toString(v);
    }

    /** The anchor's cgroup.subtree_control, read once and again when asked to. */
    private Set<String> anchorEnabled(boolean reread) throws CgroupException {
        Set<String> s = anchorEnabled;
        if (s == null || reread) {
            s = Formats.words(read("create", anchor.resolve("cgroup.subtree_control")));
            anchorEnabled = s;
        }
        return s;
    }

    /**
     * The anchor does not pass down a controller a limit needs. Only in the caller's own
     * (delegated) group may the library change that: move this JVM into a leaf, then enable.
     */
    private synchronized Set<String> enableAtAnchor(Map<String, String> required) throws CgroupException {
        Set<String> enabled = anchorEnabled(true);
        Set<String> available = Formats.words(read("create", anchor.resolve("cgroup.controllers")));
        for (Map.Entry<String, String> e : required.entrySet()) {
            String c = e.getKey();
            if (enabled.contains(c)) {
                continue;
            }
            if (!available.contains(c)) {
                throw Failures.refused(e.getValue(), anchor.resolve("cgroup.controllers"), "the " + c
                        + " controller is not available in " + anchor + " (cgroup.controllers: '" + String.join(" ", available)
                        + "'); " + (anchor.equals(mount)
                        ? "this unified hierarchy holds no " + c + " controller (on a hybrid host it belongs to a v1"
                        + " hierarchy: use Cgroups.detect(), which picks v1 there)"
                        : "ask for it to be delegated (systemd: Delegate=yes, or Delegate=" + c + ")"));
            }
            if (!anchorIsOwnGroup) {
                throw Failures.refused(e.getValue(), anchor.resolve("cgroup.subtree_control"), "the " + c
                        + " controller is not enabled for the children of " + anchor + " (cgroup.subtree_control: '"
                        + String.join(" ", enabled) + "'); enable it there (echo +" + c + " > "
                        + anchor.resolve("cgroup.subtree_control") + "), or use a prefix below a delegated group");
            }
        }
        String setting = required.values().iterator().next();
        Set<String> add = new LinkedHashSet<>();
        for (String c : ORDER) {
            if ((required.containsKey(c) || measuring.contains(c)) && available.contains(c) && !enabled.contains(c)) {
                add.add(c);
            }
        }
        // v2 lets no process live in a group that passes controllers down: this JVM and the processes it
        // started (the sandboxes' helpers waiting in a pool, say) move into a leaf of the group. One that
        // this JVM forks meanwhile is born in the group: look again, a few times.
        for (int attempt = 0; ; attempt++) {
            moveOwnProcessesToLeaf(setting);
            try {
                enable(anchor, add, setting);
                return anchorEnabled(true);
            } catch (CgroupException e) {
                if (!"EBUSY".equals(e.errno().orElse(""))) {
                    throw e;
                }
                List<Long> others;
                try {
                    others = Formats.pids(fs.read(anchor.resolve("cgroup.procs")));
                } catch (IOException unreadable) {
                    others = List.of();
                }
                if (attempt < 3 && others.stream().anyMatch(this::ownProcess)) {
                    continue;
                }
                throw new CgroupException(setting, anchor.resolve("cgroup.subtree_control"), "EBUSY", e.getMessage()
                        + "; processes other than this JVM and its children live in " + anchor + " (pids " + others
                        + "): move them into a child group, or use a prefix below a group without processes", e);
            }
        }
    }

    /** This JVM, or a process it started. */
    private boolean ownProcess(long pid) {
        long self = ProcessFacts.pid();
        return pid == self || Proc.parent(pid).orElse(-1) == self;
    }

    /** Moves this JVM and its children out of the anchor into {@link #JVM_LEAF}. */
    private void moveOwnProcessesToLeaf(String setting) throws CgroupException {
        List<Long> inside = Formats.pids(read(setting, anchor.resolve("cgroup.procs")));
        List<Long> own = inside.stream().filter(this::ownProcess).toList();
        if (own.isEmpty()) {
            return;
        }
        Path leaf = anchor.resolve(JVM_LEAF);
        try {
            fs.mkdir(leaf);
        } catch (FileAlreadyExistsException fine) {
            // another JVM of this group made it
        } catch (IOException e) {
            throw Failures.io(setting, "create", leaf, e, "needed to move this JVM out of " + anchor
                    + " before enabling controllers there (cgroup v2 allows no processes in a group that passes controllers down)");
        }
        long self = ProcessFacts.pid();
        for (long pid : own) {
            try {
                fs.write(leaf.resolve("cgroup.procs"), Long.toString(pid));
            } catch (IOException e) {
                if (pid != self && Proc.parent(pid).isEmpty()) {
                    continue; // the child ended meanwhile
                }
                throw Failures.io(setting, "move " + (pid == self ? "this JVM" : "its child") + " (pid " + pid + ") into",
                        leaf.resolve("cgroup.procs"), e);
            }
        }
    }

    /** Makes sure the prefix passes {@code use} down to the JVM directories. */
    private void enableInPrefix(Set<String> use, Map<String, String> required) throws CgroupException {
        @SuppressWarnings("unchecked")
        Set<String> known = (Set<String>) Prefixes.state(prefixDir);
        if (known != null && known.containsAll(use)) {
            return;
        }
        synchronized (V2Backend.class) {
            Set<String> now = Formats.words(read("create", prefixDir.resolve("cgroup.subtree_control")));
            Set<String> add = new LinkedHashSet<>(use);
            add.removeAll(now);
            if (!add.isEmpty()) {
                enable(prefixDir, add, settingFor(add, required));
                now.addAll(add);
            }
            Prefixes.state(prefixDir, Set.copyOf(now));
        }
    }

    /** Makes sure a JVM directory passes {@code use} down to its groups; remembers what it enabled. */
    @SuppressWarnings("unchecked")
    private void enableBelow(SharedDir jvm, Set<String> use, Map<String, String> required) throws CgroupException {
        Set<String> known = (Set<String>) jvm.state();
        if (known == null) {
            known = Formats.words(read("create", jvm.path().resolve("cgroup.subtree_control")));
        }
        Set<String> add = new LinkedHashSet<>(use);
        add.removeAll(known);
        if (!add.isEmpty()) {
            enable(jvm.path(), add, settingFor(add, required));
            known = new LinkedHashSet<>(known);
            known.addAll(add);
        }
        jvm.state(Set.copyOf(known));
    }

    private static String settingFor(Set<String> controllers, Map<String, String> required) {
        for (String c : controllers) {
            if (required.containsKey(c)) {
                return required.get(c);
            }
        }
        return "create";
    }

    /** Writes {@code +c ...} to {@code dir}'s cgroup.subtree_control and checks they are all on. */
    private void enable(Path dir, Set<String> controllers, String setting) throws CgroupException {
        if (controllers.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (String c : controllers) {
            sb.append(sb.length() == 0 ? "+" : " +").append(c);
        }
        Path file = dir.resolve("cgroup.subtree_control");
        try {
            Verified.write(fs, setting, file, sb.toString(), back -> Formats.words(back).containsAll(controllers));
        } catch (CgroupException e) {
            if (!"ENOENT".equals(e.errno().orElse(""))) {
                throw e;
            }
            String available;
            try {
                available = fs.read(dir.resolve("cgroup.controllers")).trim();
            } catch (IOException unreadable) {
                available = "(unreadable)";
            }
            throw new CgroupException(setting, file, "ENOENT", e.getMessage() + "; " + dir + " offers only '"
                    + available + "' (cgroup.controllers)", e);
        }
    }

    private String read(String setting, Path file) throws CgroupException {
        try {
            return fs.read(file);
        } catch (IOException e) {
            throw Failures.io(setting, "read", file, e);
        }
    }

    @Override
    public List<Path> prefixDirectories() {
        return List.of(prefixDir);
    }

    @Override
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        out.add("cgroup v2: groups go to " + prefixDir + "/<jvm-marker>/<n>");
        try {
            out.add(anchor + " passes down controllers '" + String.join(" ", anchorEnabled(true)) + "'"
                    + (anchorIsOwnGroup ? " (this process's own group: the library may enable more there, after moving"
                    + " this JVM into " + anchor.resolve(JVM_LEAF) + ")" : ""));
        } catch (CgroupException e) {
            out.add(e.getMessage());
        }
        if (!java.nio.file.Files.isWritable(anchor)) {
            out.add(anchor + " is not writable: " + Failures.DELEGATE_V2);
        }
        return out;
    }
}
