package dev.sandbox.cgroups;

import dev.sandbox.base.Checks;
import dev.sandbox.cgroups.internal.Backend;
import dev.sandbox.cgroups.internal.CgroupFs;
import dev.sandbox.cgroups.internal.JvmMarker;
import dev.sandbox.cgroups.internal.Sweeper;
import dev.sandbox.cgroups.internal.V1Backend;
import dev.sandbox.cgroups.internal.V2Backend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Makes {@link Cgroup}s on this host: the entry point of the library.
 *
 * <pre>{@code
 * Cgroups cgroups = Cgroups.detect();            // once; reads mountinfo once
 * try (Cgroup g = cgroups.create(Limits.builder().memoryMax(64L << 20).pidsMax(32).build())) {
 *     g.addProcess(pid);
 *     ...
 * }
 * }</pre>
 *
 * <p>Layout: each group is {@code <prefix>/<jvm-marker>/<n>} below a hierarchy's root, where the
 * marker {@code jvm-<pid>-<starttime>} names this JVM (start time is field 22 of
 * {@code /proc/self/stat}) and {@code n} counts up; with {@link #create(Limits, String)} its
 * processes live one level lower, in {@code <n>/<leaf>}. The marker directory exists while one
 * of this JVM's groups does; a JVM killed before it could clean up leaves it behind, and
 * {@link #sweepStale()} (run once per JVM by the first {@link #create}) removes it later.
 *
 * <ul>
 * <li><b>cgroup v1 and hybrid hosts</b>: a directory in each hierarchy a limit needs (memory,
 * cpu, cpuset, blkio, pids) plus, where mounted, memory, cpuacct, pids and freezer for usage,
 * OOM reports and kill-all. Default prefix: {@code sandbox} at each hierarchy's root (root only;
 * an unprivileged caller passes a prefix chowned to it in each hierarchy).
 * <li><b>cgroup v2</b>: one directory; the controllers the limits need are enabled with
 * {@code cgroup.subtree_control} in the library's own directories. Default prefix:
 * {@code sandbox} at the root if writable, else {@code <own group>/sandbox} if the caller's own
 * group is writable (delegated: the JVM then moves itself into {@code <own group>/jvm} before
 * enabling controllers there, since v2 allows no processes in a group that passes controllers down).
 * </ul>
 *
 * <p>Fail closed: a limit that cannot be applied exactly — no permission, controller missing,
 * value read back different — makes {@link #create} throw a {@link CgroupException} naming the
 * limit, the file, the errno and what to do, after removing whatever it made.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Cgroups {

    /** The prefix used when none is given. */
    public static final String DEFAULT_PREFIX = "sandbox";

    /**
     * Controllers a group joins only to measure and to kill, beyond those its limits need:
     * {@code memory} (usage, OOM kills), {@code cpuacct} (CPU time), {@code pids} (task counts),
     * {@code freezer} (freeze, race-free kill-all). The default; see {@link #withMeasuring(Set)}.
     */
    public static final Set<String> DEFAULT_MEASURING = V1Backend.MEASURING;

    private static final AtomicLong COUNTER = new AtomicLong();
    private static final Set<List<Path>> SWEPT = ConcurrentHashMap.newKeySet();
    private static volatile Cgroups detected;

    private final CgroupHost host;
    private final String prefix;
    private final CgroupFs fs;
    private final Set<String> measuring;
    private final Backend backend;

    private Cgroups(CgroupHost host, String prefix, CgroupFs fs, Set<String> measuring) {
        this.host = host;
        this.prefix = prefix;
        this.fs = fs;
        this.measuring = Set.copyOf(measuring);
        this.backend = switch (host.layout()) {
            case V1, HYBRID -> new V1Backend(fs, host.v1Mounts(), prefix, measuring);
            case V2 -> new V2Backend(fs, host.unifiedMount().orElseThrow(), prefix, host.ownGroups().get(""), measuring);
            case NONE -> Backend.unavailable("no cgroup file system is mounted (/proc/self/mountinfo lists no cgroup"
                    + " or cgroup2 mount); limits are unavailable on this host");
        };
    }

    /**
     * This host's cgroups with the default prefix, detected once per JVM ({@link CgroupHost#detect()})
     * and then shared. On v1 and hybrid hosts it uses the v1 hierarchies (a hybrid host's unified
     * mount holds no controllers); on v2 it picks the parent as described in the class doc.
     */
    public static Cgroups detect() {
        Cgroups c = detected;
        if (c == null) {
            synchronized (Cgroups.class) {
                c = detected;
                if (c == null) {
                    CgroupHost host = CgroupHost.detect();
                    c = new Cgroups(host, defaultPrefix(host), CgroupFs.kernel(), DEFAULT_MEASURING);
                    detected = c;
                }
            }
        }
        return c;
    }

    /**
     * Groups under {@code prefix} on {@code host}: on v1 {@code <each controller's mount>/<prefix>},
     * on v2 {@code <unified mount>/<prefix>}. Only the last component of the prefix is created;
     * its parent must exist. An unprivileged caller on v1 passes a directory chowned to it in each
     * hierarchy; on v2, a path inside its delegated group. A host parsed from text
     * ({@link CgroupHost#parse}) may point anywhere, e.g. a v2 host at {@code /sys/fs/cgroup/unified}.
     *
     * @param prefix a relative path such as {@code sandbox} or {@code user.slice/app.scope/sandbox}
     */
    public static Cgroups at(CgroupHost host, String prefix) {
        return at(host, prefix, CgroupFs.kernel());
    }

    /** {@link #at(CgroupHost, String)} on another file system implementation (tests). */
    static Cgroups at(CgroupHost host, String prefix, CgroupFs fs) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(fs, "fs");
        return new Cgroups(host, normalize(prefix), fs, DEFAULT_MEASURING);
    }

    private static String normalize(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        String p = prefix.replaceAll("^/+|/+$", "");
        boolean ok = !p.isEmpty();
        for (String part : p.split("/+")) {
            ok &= !part.isEmpty() && !part.equals(".") && !part.equals("..");
        }
        Checks.check(ok, "prefix", prefix, "a relative path such as sandbox");
        return String.join("/", p.split("/+"));
    }

    /**
     * A copy that joins only {@code controllers} (a subset of {@link #DEFAULT_MEASURING}) for
     * measuring, beyond what each group's limits need. Every cgroup v1 hierarchy costs about
     * 40-80 µs per group (mkdir, placing a process, rmdir): dropping what a caller does not read
     * makes groups cheaper. Without {@code freezer}, {@link Cgroup#freeze()} fails and
     * {@link Cgroup#killAll()} signals without freezing first (a forking process may need
     * several rounds); without {@code memory}, {@link Cgroup#oomKilled()} cannot tell unless
     * {@code memoryMax} is set. On v2 only {@code memory} and {@code pids} matter (freezing,
     * killing and CPU time need no controller there).
     */
    public Cgroups withMeasuring(Set<String> controllers) {
        Objects.requireNonNull(controllers, "controllers");
        Checks.check(DEFAULT_MEASURING.containsAll(controllers), "withMeasuring", controllers,
                "a subset of " + new java.util.TreeSet<>(DEFAULT_MEASURING));
        return new Cgroups(host, prefix, fs, controllers);
    }

    /** The controllers joined only for measuring; {@link #DEFAULT_MEASURING} unless changed. */
    public Set<String> measuring() {
        return measuring;
    }

    /** v2: the root if we may write there, else our own group if delegated to us. */
    private static String defaultPrefix(CgroupHost host) {
        if (host.layout() != CgroupHost.Layout.V2) {
            return DEFAULT_PREFIX;
        }
        Path mount = host.unifiedMount().orElseThrow();
        if (Files.isWritable(mount)) {
            return DEFAULT_PREFIX;
        }
        String own = host.ownGroups().getOrDefault("", "/").replaceAll("^/+|/+$", "");
        if (own.endsWith("/" + V2Backend.JVM_LEAF) && Files.isWritable(mount.resolve(own).getParent())) {
            own = own.substring(0, own.length() - V2Backend.JVM_LEAF.length() - 1); // moved into its leaf already
        }
        if (!own.isEmpty() && Files.isWritable(mount.resolve(own))) {
            return own + "/" + DEFAULT_PREFIX;
        }
        return DEFAULT_PREFIX;
    }

    /**
     * Creates a group with {@code limits} written and each value read back from the kernel.
     * The first call of this JVM also sweeps stale groups ({@link #sweepStale()}); a sweep
     * failure does not stop the create, it is reported in {@link Cgroup#notes()}.
     *
     * @throws CgroupException if any limit cannot be applied exactly; nothing is left behind then
     */
    public Cgroup create(Limits limits) throws CgroupException {
        return make(limits, null);
    }

    /**
     * Creates a group with {@code limits} like {@link #create(Limits)}, and below it, in each of
     * its directories, a child group {@code leaf} without limits of its own that takes its
     * processes: {@link Cgroup#addProcess}, {@link Cgroup#procsFiles()} and
     * {@link Cgroup#unifiedDirectory()} point into the leaf, while the limits, {@link Cgroup#usage()},
     * freezing and killing stay on the group, which covers the leaf.
     *
     * <p>Why: a process cannot lift limits held by a group above its own. In a cgroup namespace
     * made while it sits in the leaf, {@code /proc/self/cgroup} and any cgroup file system it
     * mounts start at the leaf, so the group's limit files are out of its reach even where it
     * owns them (a subtree delegated to its user). Paths it can reach by other means — the
     * host's {@code /sys/fs/cgroup} if writable in its view, another process's
     * {@code /proc/<pid>/root} — are not closed by the leaf.
     *
     * <p>On v2 the group passes no controller down to the leaf: the leaf's processes are
     * charged to the group's controllers (and v2 forbids processes in a group that passes
     * controllers down, which the group then has none of). On v1 the leaf of the memory
     * hierarchy requires {@code memory.use_hierarchy} 1 in the group (always so since Linux 5.11;
     * set, or refused, on older kernels), the leaf of a cpuset takes the group's CPUs and nodes,
     * and {@code ioMax} is written to the leaf as well, since v1 block I/O throttling does not
     * apply to child groups.
     *
     * @param leaf one directory name, such as {@code sandbox}
     * @throws CgroupException if any limit cannot be applied exactly; nothing is left behind then
     */
    public Cgroup create(Limits limits, String leaf) throws CgroupException {
        Objects.requireNonNull(leaf, "leaf");
        Checks.check(!(leaf.isEmpty() || leaf.equals(".") || leaf.equals("..") || leaf.contains("/") || leaf.indexOf('\0') >= 0),
                "leaf", leaf, "one directory name such as sandbox");
        return make(limits, leaf);
    }

    private Cgroup make(Limits limits, String leaf) throws CgroupException {
        Objects.requireNonNull(limits, "limits");
        List<String> notes = new ArrayList<>();
        if (SWEPT.add(backend.prefixDirectories())) {
            try {
                sweepStale();
            } catch (CgroupException e) {
                notes.add("sweeping stale groups failed: " + e.getMessage());
            }
        }
        return backend.create(limits, JvmMarker.self(), COUNTER.incrementAndGet(), leaf, notes);
    }

    /**
     * Removes the groups of JVMs that no longer run: under each prefix directory, every
     * {@code jvm-<pid>-<starttime>} directory whose pid is gone or now belongs to a process
     * started at another time, with all groups below it (killing what still runs in them).
     * Nothing that does not match that pattern is touched.
     *
     * @return the directories removed, deepest first
     */
    public List<Path> sweepStale() throws CgroupException {
        return Sweeper.sweep(fs, backend.prefixDirectories());
    }

    /** The host this instance makes groups on. */
    public CgroupHost host() {
        return host;
    }

    /** The prefix below each hierarchy's root, e.g. {@code sandbox}. */
    public String prefix() {
        return prefix;
    }

    /** The prefix directory in each hierarchy used (one on v2). */
    public List<Path> prefixDirectories() {
        return backend.prefixDirectories();
    }

    /**
     * Removes now this JVM's marker directories that hold no group (they otherwise go a second
     * after their last group, or at JVM exit). For code that closes groups in its own shutdown
     * hook (see {@link #takeOverExitCleanup()}).
     */
    public static void removeIdleDirectories() {
        dev.sandbox.cgroups.internal.SharedDir.removeIdle();
    }

    /**
     * For a library that closes its groups in its own shutdown hook (as sandbox-core's runtime
     * does): from this call on, this library registers no shutdown hook of its own (one it
     * registered is removed), and the caller calls {@link #removeIdleDirectories()} at its exit,
     * after closing its groups. Without it, this library's hook removes idle directories at exit,
     * and may run before or after the caller's.
     */
    public static void takeOverExitCleanup() {
        dev.sandbox.cgroups.internal.SharedDir.takeOverExit();
    }

    /** This JVM's marker directory name, {@code jvm-<pid>-<starttime>}. */
    public static String jvmMarker() {
        return JvmMarker.self();
    }

    /**
     * What this instance will do on this host and what it cannot, one line each (for a probe or
     * a log): which hierarchies, whether swap can be limited, whether the prefix is writable.
     * Reads a few files; writes nothing.
     */
    public List<String> notes() {
        return backend.describe();
    }

    @Override
    public String toString() {
        return "Cgroups[" + host.layout() + ", prefix=" + prefix + ", " + backend.prefixDirectories() + "]";
    }
}
