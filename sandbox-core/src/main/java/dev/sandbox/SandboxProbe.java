package dev.sandbox;

import dev.sandbox.base.Errno;
import dev.sandbox.base.ProcessFacts;
import dev.sandbox.cgroups.CgroupHost;
import dev.sandbox.internal.HelperBinary;
import dev.sandbox.internal.LibC;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What this host lets a sandbox do, found by trying: the helper forks once per namespace type
 * and attempts to create it (as an unprivileged caller, inside a new user namespace, as a
 * sandbox would). For every type that fails, {@link #whyNot(Namespace)} names the cause it can
 * find: a sysctl, AppArmor's user-namespace restriction, a seccomp filter of an outer container,
 * a kernel built without it.
 *
 * @param privileged     whether the caller is root (euid 0)
 * @param supported      namespace types a sandbox can create here
 * @param unsupported    the others, each with the reason
 * @param cgroups        the host's cgroup layout
 * @param cgroupNotes    what this caller may do with cgroups (where it can create groups, or why not)
 * @param security       the protections every sandbox gets, each "yes" or why not: seccomp filters
 *                       (and the flags and actions the kernel knows), idmapped mounts (what a root
 *                       caller's writable binds need), the host ids a root caller's sandboxes run
 *                       as, Landlock (its ABI version)
 */
public record SandboxProbe(
        boolean privileged,
        Set<Namespace> supported,
        Map<Namespace, String> unsupported,
        CgroupHost cgroups,
        List<String> cgroupNotes,
        Map<String, String> security) {

    /** Whether a sandbox can create {@code ns} here. */
    public boolean supports(Namespace ns) {
        return supported.contains(ns);
    }

    /** Why a sandbox cannot create {@code ns} here; empty when it can. */
    public Optional<String> whyNot(Namespace ns) {
        return Optional.ofNullable(unsupported.get(ns));
    }

    /** A readable report, one line per finding. */
    public String report() {
        StringBuilder sb = new StringBuilder();
        sb.append("caller: ").append(privileged ? "root" : "unprivileged").append('\n');
        for (Namespace ns : Namespace.values()) {
            sb.append(ns.name().toLowerCase(java.util.Locale.ROOT)).append(" namespace: ")
                    .append(supports(ns) ? "yes" : "no — " + unsupported.get(ns)).append('\n');
        }
        for (Map.Entry<String, String> e : security.entrySet()) {
            sb.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        sb.append("cgroups: ").append(cgroups).append('\n');
        for (String note : cgroupNotes) {
            sb.append("  ").append(note).append('\n');
        }
        return sb.toString();
    }

    static SandboxProbe run() {
        boolean root = ProcessFacts.euid() == 0;
        Map<Namespace, Integer> errnos = new EnumMap<>(Namespace.class);
        Map<String, String> lines = new java.util.HashMap<>();
        String helperProblem = null;
        String tmp = System.getProperty("java.io.tmpdir", "/tmp");
        try {
            Process p = new ProcessBuilder(HelperBinary.command("--probe", tmp)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                helperProblem = "sandbox-helper --probe did not finish within 10 s";
            } else {
                for (String line : out.split("\n")) {
                    int sp = line.indexOf(' ');
                    lines.put(sp < 0 ? line.trim() : line.substring(0, sp), sp < 0 ? "" : line.substring(sp + 1).trim());
                    String[] f = line.trim().split(" ");
                    if (f.length == 2) {
                        for (Namespace ns : Namespace.values()) {
                            if (f[0].equals(probeName(ns))) {
                                errnos.put(ns, Integer.parseInt(f[1]));
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            helperProblem = "sandbox-helper cannot run: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            helperProblem = "interrupted";
        }
        Set<Namespace> supported = EnumSet.noneOf(Namespace.class);
        Map<Namespace, String> unsupported = new EnumMap<>(Namespace.class);
        for (Namespace ns : Namespace.values()) {
            Integer errno = errnos.get(ns);
            if (helperProblem != null) {
                unsupported.put(ns, helperProblem);
            } else if (errno == null) {
                unsupported.put(ns, "sandbox-helper --probe did not report it");
            } else if (errno == 0) {
                supported.add(ns);
            } else {
                unsupported.put(ns, reason(ns, errno, root));
            }
        }
        CgroupHost cgroups = CgroupHost.detect();
        return new SandboxProbe(root, Collections.unmodifiableSet(supported), Collections.unmodifiableMap(unsupported),
                cgroups, cgroupNotes(cgroups), security(lines, helperProblem, root, tmp));
    }

    private static Map<String, String> security(Map<String, String> lines, String helperProblem, boolean root,
                                                String tmp) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        out.put("seccomp", helperProblem != null ? "no — " + helperProblem : errnoAnswer(lines.get("seccomp"),
                "a filter could not be installed under no_new_privs")
                + " (flags: " + lines.getOrDefault("seccomp_flags", "") + "; actions: "
                + lines.getOrDefault("seccomp_actions", "") + ")");
        if (root) {
            out.put("idmapped mounts", helperProblem != null ? "no — " + helperProblem : errnoAnswer(lines.get("idmap"),
                    "a bind of " + tmp + " cannot be idmapped: a root caller's writable binds on that file system fail"
                            + " (the kernel wants 5.12+ and a file system that supports idmapped mounts)"));
            dev.sandbox.internal.HostIds.Range r = dev.sandbox.internal.HostIds.configuredRange();
            out.put("host ids", "a root caller's sandboxes run as uids " + r.firstUid() + "-" + (r.firstUid() + r.count() - 1)
                    + " and gids " + r.firstGid() + "-" + (r.firstGid() + r.count() - 1) + ", one per running sandbox ("
                    + r.source() + ")");
        } else {
            out.put("host ids", "the sandbox runs as this user's own uid (subordinate ranges through newuidmap are not"
                    + " used); without pidNs() it can reach this user's other processes");
        }
        String landlock = lines.get("landlock");
        int abi = landlock == null ? -1 : parseOr(landlock, -1);
        out.put("landlock", abi > 0 ? "yes, ABI " + abi : "no — " + (landlock == null ? "not probed"
                : "landlock_create_ruleset failed with " + Errno.describe(-abi)
                + " (a kernel without CONFIG_SECURITY_LANDLOCK, or lsm= without landlock)"));
        return Collections.unmodifiableMap(out);
    }

    private static String errnoAnswer(String errno, String meaning) {
        if (errno == null) {
            return "no — not probed";
        }
        int e = parseOr(errno, -1);
        return e == 0 ? "yes" : "no — " + meaning + ": " + Errno.describe(e);
    }

    private static int parseOr(String s, int fallback) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static String probeName(Namespace ns) {
        return ns == Namespace.MOUNT ? "mount" : ns.procName();
    }

    /** The most specific cause we can find for a refused namespace. */
    private static String reason(Namespace ns, int errno, boolean root) {
        List<String> causes = new ArrayList<>();
        if (!Files.exists(Path.of("/proc/self/ns", ns.procName()))) {
            causes.add("this kernel was built without " + ns.procName() + " namespaces");
        }
        if (!root || ns == Namespace.USER) {
            if ("0".equals(read("/proc/sys/user/max_user_namespaces"))) {
                causes.add("sysctl user.max_user_namespaces is 0");
            }
            if ("0".equals(read("/proc/sys/kernel/unprivileged_userns_clone")) && !root) {
                causes.add("sysctl kernel.unprivileged_userns_clone is 0");
            }
            if ("1".equals(read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")) && !root) {
                causes.add("AppArmor restricts unprivileged user namespaces"
                        + " (sysctl kernel.apparmor_restrict_unprivileged_userns=1; allow it with an AppArmor profile)");
            }
        }
        String max = read("/proc/sys/user/max_" + ns.procName() + "_namespaces");
        if ("0".equals(max)) {
            causes.add("sysctl user.max_" + ns.procName() + "_namespaces is 0");
        }
        String seccomp = statusField("Seccomp");
        if (seccomp != null && !seccomp.equals("0") && causes.isEmpty()) {
            causes.add("this process runs under a seccomp filter (Seccomp: " + seccomp
                    + " in /proc/self/status), as an outer container's default profile sets; it may block unshare/clone");
        }
        String base = "unshare failed with " + Errno.describe(errno);
        return causes.isEmpty() ? base : base + ": " + String.join("; ", causes);
    }

    private static List<String> cgroupNotes(CgroupHost host) {
        List<String> notes = new ArrayList<>();
        switch (host.layout()) {
            case NONE -> notes.add("no cgroup file system is mounted: limits are unavailable");
            case V2 -> {
                Path mount = host.unifiedMount().orElseThrow();
                Path own = mount.resolve(relative(host.ownGroups().getOrDefault("", "/")));
                notes.add("v2 mount " + mount + ": controllers " + words(mount.resolve("cgroup.controllers"))
                        + (nsdelegate(mount) ? ", nsdelegate (a cgroup namespace is a delegation boundary)"
                        : ", no nsdelegate"));
                notes.add("v2 own group " + own + ": offered " + words(own.resolve("cgroup.controllers"))
                        + ", passed down " + words(own.resolve("cgroup.subtree_control")));
                if (Files.isWritable(mount)) {
                    notes.add("v2: the root is writable: groups are made in " + mount.resolve("sandbox"));
                } else if (!own.equals(mount) && Files.isWritable(own) && Files.isWritable(own.resolve("cgroup.procs"))
                        && Files.isWritable(own.resolve("cgroup.subtree_control"))) {
                    notes.add("v2: own group is delegated: groups are made in " + own.resolve("sandbox")
                            + ", after this JVM moves into " + own.resolve("jvm"));
                } else {
                    notes.add("v2: own group is not delegated (not writable): limits fail closed; "
                            + dev.sandbox.cgroups.internal.Failures.DELEGATE_V2);
                }
            }
            default -> {
                for (Map.Entry<String, Path> e : host.v1Mounts().entrySet()) {
                    if (e.getKey().startsWith("name=")) {
                        continue;
                    }
                    notes.add("v1 " + e.getKey() + ": " + e.getValue() + (Files.isWritable(e.getValue())
                            ? " is writable" : " is not writable: chown a subtree to this user to delegate it"));
                }
                host.unifiedMount().ifPresent(u -> notes.add("v2 mount " + u + " with controllers "
                        + host.v2Controllers()));
            }
        }
        return notes;
    }

    /** A cgroup file's words as "a b c", or "(none)"; "(unreadable)" when it cannot be read. */
    private static String words(Path file) {
        String s = read(file.toString());
        return s == null ? "(unreadable)" : s.isBlank() ? "(none)" : s.trim();
    }

    /** Whether the cgroup2 mount at {@code mount} has the nsdelegate option (/proc/self/mountinfo). */
    private static boolean nsdelegate(Path mount) {
        String info = read("/proc/self/mountinfo");
        if (info == null) {
            return false;
        }
        for (String line : info.split("\n")) {
            String[] f = line.split(" ");
            int dash = line.indexOf(" - ");
            if (f.length > 4 && f[4].equals(mount.toString()) && dash > 0 && line.substring(dash + 3).startsWith("cgroup2 ")) {
                return (" " + line + " ").contains("nsdelegate");
            }
        }
        return false;
    }

    private static String relative(String group) {
        return group.startsWith("/") ? group.substring(1) : group;
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return null;
        }
    }

    private static String statusField(String name) {
        String status = read("/proc/self/status");
        if (status == null) {
            return null;
        }
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return null;
    }
}
