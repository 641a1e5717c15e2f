package dev.sandbox.cgroups;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The cgroup hierarchies of this host, as the kernel reports them in {@code /proc/self/mountinfo}
 * and {@code /proc/self/cgroup} — never guessed from paths.
 *
 * <p>A host is {@link Layout#V2} (one unified hierarchy, most current distributions),
 * {@link Layout#V1} (one hierarchy per controller), or {@link Layout#HYBRID} (v1 controllers
 * plus a unified mount that holds no controllers, as systemd's "hybrid" mode sets up).
 *
 * <pre>{@code
 * CgroupHost host = CgroupHost.detect();
 * if (host.layout() == CgroupHost.Layout.V2) { ... host.unifiedMount() ... }
 * }</pre>
 */
public final class CgroupHost {

    /** How the host's cgroup hierarchies are arranged. */
    public enum Layout {
        /** Only per-controller v1 hierarchies. */
        V1,
        /** Only the unified v2 hierarchy. */
        V2,
        /** v1 controllers, plus a v2 mount (without controllers, or with the ones v1 does not hold). */
        HYBRID,
        /** No cgroup file system is mounted. */
        NONE
    }

    private final Layout layout;
    private final Path unifiedMount;
    private final Map<String, Path> v1Mounts;
    private final Set<String> v2Controllers;
    private final Map<String, String> ownGroups;

    private CgroupHost(Layout layout, Path unifiedMount, Map<String, Path> v1Mounts, Set<String> v2Controllers,
                       Map<String, String> ownGroups) {
        this.layout = layout;
        this.unifiedMount = unifiedMount;
        this.v1Mounts = Collections.unmodifiableMap(v1Mounts);
        this.v2Controllers = Collections.unmodifiableSet(v2Controllers);
        this.ownGroups = Collections.unmodifiableMap(ownGroups);
    }

    /** Reads this process's view of the host. */
    public static CgroupHost detect() {
        try {
            String mountinfo = Files.readString(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8);
            String cgroup = Files.readString(Path.of("/proc/self/cgroup"), StandardCharsets.UTF_8);
            CgroupHost parsed = parse(mountinfo, cgroup, Set.of());
            Set<String> controllers = Set.of();
            if (parsed.unifiedMount != null) {
                Path file = parsed.unifiedMount.resolve("cgroup.controllers");
                if (Files.isReadable(file)) {
                    controllers = words(Files.readString(file, StandardCharsets.UTF_8));
                }
            }
            return parse(mountinfo, cgroup, controllers);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/mountinfo or /proc/self/cgroup", e);
        }
    }

    /**
     * Parses the text of {@code /proc/self/mountinfo} and {@code /proc/self/cgroup}; {@code
     * v2Controllers} is the content of the unified root's {@code cgroup.controllers}.
     */
    public static CgroupHost parse(String mountinfo, String procSelfCgroup, Set<String> v2Controllers) {
        Path unified = null;
        Map<String, Path> v1 = new LinkedHashMap<>();
        for (String line : mountinfo.split("\n")) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] pre = line.substring(0, dash).split(" ");
            String[] post = line.substring(dash + 3).split(" ");
            if (pre.length < 5 || post.length < 3) {
                continue;
            }
            Path mountPoint = Path.of(unescape(pre[4]));
            if (post[0].equals("cgroup2")) {
                if (unified == null) {
                    unified = mountPoint;
                }
            } else if (post[0].equals("cgroup")) {
                for (String opt : post[2].split(",")) {
                    if (V1_CONTROLLERS.contains(opt) || opt.startsWith("name=")) {
                        v1.putIfAbsent(opt, mountPoint);
                    }
                }
            }
        }
        Map<String, String> own = new LinkedHashMap<>();
        for (String line : procSelfCgroup.split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length == 3) {
                if (f[1].isEmpty()) {
                    own.put("", f[2]);
                } else {
                    for (String c : f[1].split(",")) {
                        own.put(c, f[2]);
                    }
                }
            }
        }
        boolean hasV1Controllers = v1.keySet().stream().anyMatch(k -> !k.startsWith("name="));
        Layout layout;
        if (hasV1Controllers) {
            layout = unified != null ? Layout.HYBRID : Layout.V1;
        } else {
            layout = unified != null ? Layout.V2 : Layout.NONE;
        }
        return new CgroupHost(layout, unified, v1, new LinkedHashSet<>(v2Controllers), own);
    }

    private static final Set<String> V1_CONTROLLERS = Set.of("cpu", "cpuacct", "cpuset", "memory", "devices",
            "freezer", "net_cls", "blkio", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc");

    private static Set<String> words(String s) {
        Set<String> out = new LinkedHashSet<>();
        for (String w : s.trim().split("\\s+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    /** mountinfo escapes space, tab, newline and backslash as octal {@code \ooo}. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()
                    && s.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The host's layout. */
    public Layout layout() {
        return layout;
    }

    /** Where the unified (v2) hierarchy is mounted, if it is. */
    public Optional<Path> unifiedMount() {
        return Optional.ofNullable(unifiedMount);
    }

    /** v1 controllers (and named hierarchies such as {@code name=systemd}) and their mount points. */
    public Map<String, Path> v1Mounts() {
        return v1Mounts;
    }

    /** The controllers the unified hierarchy offers at its root ({@code cgroup.controllers}). */
    public Set<String> v2Controllers() {
        return v2Controllers;
    }

    /**
     * This process's group in each hierarchy, from {@code /proc/self/cgroup}: keyed by v1
     * controller, and by {@code ""} for the unified hierarchy.
     */
    public Map<String, String> ownGroups() {
        return ownGroups;
    }

    @Override
    public String toString() {
        return "CgroupHost[" + layout + (unifiedMount == null ? "" : ", unified=" + unifiedMount + " " + v2Controllers)
                + (v1Mounts.isEmpty() ? "" : ", v1=" + v1Mounts.keySet()) + "]";
    }
}
