package dev.sandbox.internal;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The sandbox's file system settings turned into the ordered list of setup operations the helper
 * executes ({@code SBX_T_OP} records, see {@code protocol.h}). Every cross-field rule lives here and
 * nowhere else: what the host, read-only and empty roots are made of, which fresh file systems go
 * where, the cover over {@code /run}, runc's masked and read-only paths, the read-only cgroup tree,
 * idmapped binds for leased host ids, the final read-only root. The helper only checks structure and
 * safety and runs the list in order.
 *
 * <p>Takes a {@link Settings} value, not the public {@code Sandbox}: the API converts its settings
 * into one, so this package does not depend on the API's classes.
 *
 * <p><strong>Internal usage only.</strong>
 *
 * @param ops      the operations, in order
 * @param loopback bring {@code lo} up (a new network namespace)
 * @param landlock the Landlock rules, or null without Landlock
 */
public record SetupPlan(List<Spec.Op> ops, boolean loopback, Spec.Landlock landlock) {

    /** How the root is built. */
    public enum Root {
        /** The host's root itself (mounts still only change the sandbox's view of it). */
        HOST,
        /** A new root holding a read-only mirror of the host's top level. */
        READ_ONLY,
        /** A new, empty, read-only root holding only the declared mounts, {@code /dev} and {@code /proc}. */
        EMPTY
    }

    /** What kind of declared mount. */
    public enum MountKind {
        BIND, READ_ONLY_BIND, TMPFS, SYMLINK,
        /** Read-only, never idmapped: the host's owners and permissions as they are. */
        SYSTEM_BIND
    }

    /** A declared mount, in the order given: {@code source} is null for tmpfs, {@code size} 0 for binds. */
    public record Mount(MountKind kind, String source, String target, long size) {
        public Mount {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(target, "target");
        }
    }

    /** A path the caller gave Landlock ({@code landlockReadOnly}/{@code landlockReadWrite}), as the sandbox sees it. */
    public record LandlockPath(String path, boolean writable) {
        public LandlockPath {
            Objects.requireNonNull(path, "path");
        }
    }

    /**
     * What the plan depends on.
     *
     * @param namespaces       the effective {@code CLONE_NEW*} flags
     * @param root             how the root is built
     * @param mounts           the declared mounts, in order
     * @param leasedHostIds    the command runs under a leased host uid: binds are idmapped to it
     * @param cgroupLimits     the sandbox has its own cgroup: {@code /sys/fs/cgroup} is made read-only
     * @param workingDirectory the working directory, or null to keep the helper's
     * @param landlock         Landlock on
     * @param landlockPaths    the caller's own Landlock paths, in order
     */
    public record Settings(int namespaces, Root root, List<Mount> mounts, boolean leasedHostIds, boolean cgroupLimits,
            String workingDirectory, boolean landlock, List<LandlockPath> landlockPaths) {
        public Settings {
            Objects.requireNonNull(root, "root");
            mounts = List.copyOf(mounts);
            landlockPaths = List.copyOf(landlockPaths);
        }

        /** Settings without Landlock. */
        public Settings(int namespaces, Root root, List<Mount> mounts, boolean leasedHostIds, boolean cgroupLimits,
                String workingDirectory) {
            this(namespaces, root, mounts, leasedHostIds, cgroupLimits, workingDirectory, false, List.of());
        }
    }

    /** {@code CLONE_NEWNS}, {@code CLONE_NEWPID}, {@code CLONE_NEWNET}, {@code CLONE_NEWUSER}. */
    static final int NEWNS = 0x00020000;
    static final int NEWPID = 0x20000000;
    static final int NEWNET = 0x40000000;
    static final int NEWUSER = 0x10000000;

    /** runc's default masked paths (libcontainer/specconv/example.go), and powercap as Docker masks it. */
    static final List<String> PROC_MASKED = List.of("acpi", "asound", "kcore", "keys", "latency_stats", "timer_list",
            "timer_stats", "sched_debug", "scsi");
    static final List<String> SYS_MASKED = List.of("firmware", "devices/virtual/powercap");
    /** runc's default read-only paths. */
    static final List<String> PROC_READ_ONLY = List.of("bus", "fs", "irq", "sys", "sysrq-trigger");

    /** The tmpfs over {@code /run} and {@code /var/run}: 256 MiB, as a declared tmpfs. */
    static final long RUN_COVER_SIZE = 256L << 20;
    private static final int DIR_MODE = 0755;

    public SetupPlan {
        ops = List.copyOf(ops);
    }

    /** A plan without Landlock. */
    public SetupPlan(List<Spec.Op> ops, boolean loopback) {
        this(ops, loopback, null);
    }

    /**
     * Whether a network namespace made ahead by a root helper ({@code SEC_NET_AHEAD}) can serve a
     * sandbox with this plan: one the helper's user namespace owns rather than the sandbox's. That
     * changes nothing where the sandbox could not use a capability over its network namespace anyway
     * (without a user namespace of its own it was the helper's already; with one, when it keeps no
     * capability) and mounts no fresh sysfs (which the kernel allows only to the network
     * namespace's owner). The network itself is loopback only.
     *
     * @param namespaces the effective {@code CLONE_NEW*} flags
     * @param rootHelper the helper runs as root (only such a helper makes one)
     * @param keepsCapabilities the command keeps a capability
     */
    public boolean netAhead(int namespaces, boolean rootHelper, boolean keepsCapabilities) {
        if ((namespaces & NEWNET) == 0 || !rootHelper || !loopback) {
            return false;
        }
        if ((namespaces & NEWUSER) == 0) {
            return true;
        }
        return !keepsCapabilities && ops.stream().noneMatch(o -> o.kind() == Protocol.OP_SYSFS);
    }

    /** The plan for these settings. */
    public static SetupPlan of(Settings s) {
        boolean mountNs = (s.namespaces() & NEWNS) != 0;
        boolean netNs = (s.namespaces() & NEWNET) != 0;
        List<Spec.Op> ops = new ArrayList<>();
        if (!mountNs) {
            if (s.root() != Root.HOST || !s.mounts().isEmpty()) {
                throw new IllegalStateException("a root other than the host's or mounts without a mount namespace");
            }
            chdir(ops, s);
            return new SetupPlan(ops, netNs, landlock(s, false, false));
        }
        // A pid namespace wants its own /proc: the host's would show the host's processes.
        boolean proc = (s.namespaces() & NEWPID) != 0;
        boolean newRoot = s.root() != Root.HOST;
        // A host /sys would show the host's network devices; sysfs shows those of the namespace mounting it.
        boolean sys = s.root() == Root.READ_ONLY && netNs;
        if (newRoot) {
            ops.add(Spec.Op.of(Protocol.OP_NEW_ROOT, 0, "/"));
            if (s.root() == Root.READ_ONLY) {
                List<String> skip = new ArrayList<>(3); // fresh instances go there instead
                if (proc) {
                    skip.add("proc");
                }
                skip.add("dev");
                if (sys) {
                    skip.add("sys");
                }
                ops.add(new Spec.Op(Protocol.OP_MIRROR_HOST, Protocol.OP_F_RO, 0, 0,
                        Encoding.bytes(String.join("/", skip)), Encoding.bytes("/")));
            }
            if (sys) {
                ops.add(Spec.Op.of(Protocol.OP_SYSFS, 0, "/sys"));
            }
            ops.add(Spec.Op.of(Protocol.OP_DEV, 0, "/dev"));
        }
        if (proc) {
            ops.add(Spec.Op.of(Protocol.OP_PROC, 0, "/proc"));
        }
        if (netNs && s.root() == Root.READ_ONLY) {
            // Host daemons' unix sockets (docker.sock, dbus, ...) live there, and a network
            // namespace does not cover them: an empty tmpfs does.
            ops.add(tmpfs("/run", RUN_COVER_SIZE));
            if (Files.isDirectory(Path.of("/var/run"), LinkOption.NOFOLLOW_LINKS)) {
                ops.add(tmpfs("/var/run", RUN_COVER_SIZE));
            }
        }
        for (Mount m : s.mounts()) {
            ops.add(switch (m.kind()) {
                case TMPFS -> tmpfs(m.target(), m.size());
                case SYMLINK -> new Spec.Op(Protocol.OP_SYMLINK, 0, 0, 0,
                        Encoding.bytes(Objects.requireNonNull(m.source(), "source")), Encoding.bytes(m.target()));
                // A root caller's command runs as another host uid: a declared bind shows the source's
                // owner as that uid (an idmapped mount), so the command reads what the caller declared
                // and what it writes lands as the owner's. The rest of the host keeps its permissions.
                // A read-only bind of a file system that cannot be idmapped (tmpfs before Linux 6.3,
                // sysfs, 9p, overlayfs) falls back to a plain bind: the command reads what "others" may.
                // A writable one fails instead: its writes would be refused or land as the wrong owner.
                case BIND -> bind(m, s.leasedHostIds() ? Protocol.OP_F_IDMAP : 0);
                case READ_ONLY_BIND -> bind(m, Protocol.OP_F_RO
                        | (s.leasedHostIds() ? Protocol.OP_F_IDMAP | Protocol.OP_F_IDMAP_FALLBACK : 0));
                case SYSTEM_BIND -> bind(m, Protocol.OP_F_RO);
            });
        }
        // runc's treatment of a fresh /proc, and of /sys in a new root; the host root's /sys stays as it is.
        int optional = Protocol.OP_F_OPTIONAL;
        if (proc) {
            for (String p : PROC_MASKED) {
                ops.add(Spec.Op.of(Protocol.OP_MASK, optional, "/proc/" + p));
            }
            for (String p : PROC_READ_ONLY) {
                ops.add(Spec.Op.of(Protocol.OP_REMOUNT_RO, Protocol.OP_F_RECURSIVE | optional, "/proc/" + p));
            }
        }
        if (newRoot) {
            for (String p : SYS_MASKED) {
                ops.add(Spec.Op.of(Protocol.OP_MASK, optional, "/sys/" + p));
            }
        }
        if (s.cgroupLimits()) {
            // The sandbox's limits stay out of its reach, whichever cgroup tree it sees.
            ops.add(Spec.Op.of(Protocol.OP_REMOUNT_RO, Protocol.OP_F_RECURSIVE | optional, "/sys/fs/cgroup"));
        }
        if (newRoot) {
            // Only the declared binds, tmpfs mounts and /dev stay writable.
            ops.add(Spec.Op.of(Protocol.OP_REMOUNT_RO, 0, "/"));
            ops.add(Spec.Op.of(Protocol.OP_SWITCH_ROOT, 0, "/"));
        }
        chdir(ops, s);
        return new SetupPlan(ops, netNs, landlock(s, newRoot, proc));
    }

    /**
     * The Landlock rules, or null without Landlock: {@code readOnlyRoot()} reads {@code /}; a read-only
     * bind's target reads, a bind's or tmpfs's target gets every right; the library's own {@code /dev}
     * reads and writes existing files (and device ioctls), {@code /proc} too, {@code /sys} reads (where
     * present); then the caller's paths as given. The working directory needs nothing of its own.
     */
    private static Spec.Landlock landlock(Settings s, boolean newRoot, boolean proc) {
        if (!s.landlock()) {
            return null;
        }
        List<Spec.Landlock.Rule> rules = new ArrayList<>();
        if (s.root() == Root.READ_ONLY) {
            rules.add(rule(Protocol.LANDLOCK_READ, 0, "/"));
        }
        if (newRoot) {
            rules.add(rule(Protocol.LANDLOCK_READ_WRITE_FILES, 0, "/dev"));
            rules.add(rule(Protocol.LANDLOCK_READ, Protocol.LANDLOCK_F_OPTIONAL, "/sys"));
        }
        if (proc) {
            rules.add(rule(Protocol.LANDLOCK_READ_WRITE_FILES, 0, "/proc"));
        }
        for (Mount m : s.mounts()) {
            if (m.kind() == MountKind.SYMLINK) {
                continue; // access is decided where it points
            }
            boolean readOnly = m.kind() == MountKind.READ_ONLY_BIND || m.kind() == MountKind.SYSTEM_BIND;
            rules.add(rule(readOnly ? Protocol.LANDLOCK_READ : Protocol.LANDLOCK_READ_WRITE, 0, m.target()));
        }
        for (LandlockPath p : s.landlockPaths()) {
            rules.add(rule(p.writable() ? Protocol.LANDLOCK_READ_WRITE : Protocol.LANDLOCK_READ, 0, p.path()));
        }
        return new Spec.Landlock(rules);
    }

    private static Spec.Landlock.Rule rule(int access, int flags, String path) {
        return new Spec.Landlock.Rule(access, flags, Encoding.bytes(path));
    }

    private static Spec.Op bind(Mount m, int flags) {
        return new Spec.Op(Protocol.OP_BIND, flags, 0, 0,
                Encoding.bytes(Objects.requireNonNull(m.source(), "source")), Encoding.bytes(m.target()));
    }

    private static Spec.Op tmpfs(String target, long size) {
        return new Spec.Op(Protocol.OP_TMPFS, 0, size, DIR_MODE, new byte[0], Encoding.bytes(target));
    }

    private static void chdir(List<Spec.Op> ops, Settings s) {
        if (s.workingDirectory() != null) {
            ops.add(Spec.Op.of(Protocol.OP_CHDIR, 0, s.workingDirectory()));
        }
    }
}
