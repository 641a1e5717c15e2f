package dev.sandbox;

import dev.sandbox.base.Checks;
import dev.sandbox.cgroups.Cgroups;
import dev.sandbox.cgroups.Limits;
import dev.sandbox.internal.CgroupedHelpers;
import dev.sandbox.internal.Encoding;
import dev.sandbox.internal.Exit;
import dev.sandbox.internal.HelperPool;
import dev.sandbox.internal.HostIds;
import dev.sandbox.internal.Launcher;
import dev.sandbox.internal.LibC;
import dev.sandbox.internal.OutputCapture;
import dev.sandbox.internal.Protocol;
import dev.sandbox.internal.Rlimits;
import dev.sandbox.internal.SetupPlan;
import dev.sandbox.internal.Spec;
import dev.sandbox.internal.WaitStatus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * A recipe for running commands inside Linux namespaces: immutable, thread-safe, reusable.
 *
 * <pre>{@code
 * Sandbox sandbox = Sandbox.builder()
 *     .pidNs().netNs()
 *     .readOnlyRoot()
 *     .tmpfs("/tmp")
 *     .timeout(Duration.ofSeconds(10))
 *     .build();
 * SandboxResult r = sandbox.run("sh", "-c", "echo hello from $(hostname)");
 * }</pre>
 *
 * <p>Each {@link #start(String...)} creates fresh namespaces for one command; nothing is shared
 * between two starts of the same sandbox. Namespaces that others need are added for you:
 * {@link Builder#pidNs()}, mounts, the root choices and cgroup limits bring a mount namespace,
 * {@link Builder#hostname(String)} a UTS namespace; every sandbox has its own user namespace (a
 * root caller's command runs there as an unprivileged host uid of its own, see
 * {@link Builder#runAsCallerUid()}) and IPC namespace. {@link #namespaces()} tells the effective set.
 *
 * <p>The command inside is treated as hostile: it has no capabilities, {@code no_new_privs}, its
 * own session and the {@link SeccompPolicy#defaultUntrusted()} filter unless opted out (see
 * {@link Builder#keepCapabilities}, {@link Builder#allowNewPrivileges()}, {@link Builder#sameSession()},
 * {@link Builder#seccomp(SeccompPolicy)}).
 *
 * <p>The work between fork and exec happens in a small C helper, never in the JVM: see
 * {@code docs/ARCHITECTURE.md}.
 */
public final class Sandbox {

    /** How the sandbox's root file system is built. */
    public enum Root {
        /** The host's root as it is (mounts still only change the sandbox's view). */
        HOST,
        /** A read-only view of the host's root. */
        READ_ONLY,
        /** An empty read-only root holding only the declared mounts, a minimal /dev and /proc. */
        EMPTY
    }

    /**
     * A declared bind, tmpfs or symbolic link, in the order given to the builder; {@code size} is a
     * tmpfs's size in bytes (0 for the others); a symlink's {@code source} is its text.
     */
    public record Mount(Kind kind, Path source, String target, long size) {
        /** What kind of mount. */
        public enum Kind { BIND, READ_ONLY_BIND, TMPFS, SYMLINK, SYSTEM_BIND }

        /** A bind, or a tmpfs of {@link #DEFAULT_TMPFS_SIZE}. */
        public Mount(Kind kind, Path source, String target) {
            this(kind, source, target, kind == Kind.TMPFS ? DEFAULT_TMPFS_SIZE : 0);
        }
    }

    /** The longest {@link Builder#timeout(Duration)}: 100 years (milliseconds on the wire never overflow). */
    public static final Duration MAX_TIMEOUT = Duration.ofDays(36525);

    /** The size of a {@link Builder#tmpfs(String)} and of the cover over {@code /run}: 256 MiB. */
    public static final long DEFAULT_TMPFS_SIZE = 256L << 20;

    /** The default {@link Builder#outputLimit(long)}: 16 MiB per stream. */
    public static final long DEFAULT_OUTPUT_LIMIT = 16L << 20;

    /** The largest {@link Builder#outputLimit(long)}: 1 GiB per stream (what {@code run()} keeps is one Java array). */
    public static final long MAX_OUTPUT_LIMIT = 1L << 30;

    private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final Set<Namespace> namespaces;
    private final EnumSet<Namespace> requested; // as asked, for newBuilder(): implied ones follow the settings
    private final boolean mapRootUser;
    private final String hostname;
    private final Root root;
    private final List<Mount> mounts;
    private final String workingDirectory;
    private final boolean clearEnv;
    private final Map<String, String> env;
    private final Duration timeout;
    private final Duration killGracePeriod;
    private final Redirect stdin;
    private final Redirect stdout;
    private final Redirect stderr;
    private final boolean redirectErrorStream;
    private final Limits limits;
    private final Cgroups cgroups;
    private final Spec template;
    /** The template's records that every start shares, encoded once. */
    private final Spec.Template encoded;
    /** The helper its starts without a cgroup take: one that made a network namespace ahead where the spec allows. */
    private final HelperPool.Kind helperKind;
    private final int euid;
    private final int egid;
    private final EnumSet<Capability> keepCapabilities;
    private final boolean allowNewPrivileges;
    private final boolean sameSession;
    private final boolean runAsCallerUid;
    private final SeccompPolicy seccomp;
    private final boolean landlock;
    private final List<SetupPlan.LandlockPath> landlockPaths;
    private final SandboxRuntime runtime; // null: the default runtime, looked up at each start
    private final long outputLimit;
    private final boolean killOnOutputLimit;
    private final Duration cpuTimeLimit; // null: none
    private final Limits groupLimits; // limits, plus CPU accounting for a cpuTimeLimit
    private final EnumMap<Rlimit, Spec.Limit> rlimits; // as set; Rlimits.of adds the defaults

    private Sandbox(Builder b, Limits limits, int euid, int egid) {
        this.namespaces = Collections.unmodifiableSet(effectiveNamespaces(b, limits, euid));
        this.requested = b.namespaces.isEmpty() ? EnumSet.noneOf(Namespace.class) : EnumSet.copyOf(b.namespaces);
        this.mapRootUser = b.mapRootUser;
        this.hostname = b.hostname;
        this.root = b.root;
        this.mounts = List.copyOf(b.mounts);
        this.workingDirectory = b.workingDirectory;
        this.clearEnv = b.clearEnv;
        this.env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
        this.timeout = b.timeout;
        this.killGracePeriod = b.killGracePeriod;
        this.stdin = b.stdin;
        this.stdout = b.stdout;
        this.stderr = b.stderr;
        this.redirectErrorStream = b.redirectErrorStream;
        this.limits = limits;
        this.cgroups = b.cgroups;
        this.euid = euid;
        this.egid = egid;
        this.keepCapabilities = b.keepCapabilities.clone();
        this.allowNewPrivileges = b.allowNewPrivileges;
        this.sameSession = b.sameSession;
        this.runAsCallerUid = b.runAsCallerUid;
        this.seccomp = b.seccomp;
        this.landlock = b.landlock;
        this.landlockPaths = List.copyOf(b.landlockPaths);
        this.runtime = b.runtime;
        this.outputLimit = b.outputLimit;
        this.killOnOutputLimit = b.killOnOutputLimit;
        this.cpuTimeLimit = b.cpuTimeLimit;
        this.groupLimits = cpuTimeLimit == null ? limits : limits.newBuilder().cpuAccounting().build();
        this.rlimits = new EnumMap<>(b.rlimits);
        this.template = template();
        this.encoded = new Spec.Template(template);
        this.helperKind = (template.security() & Protocol.SEC_NET_AHEAD) != 0
                ? HelperPool.Kind.NET_AHEAD : HelperPool.Kind.PLAIN;
    }

    private static EnumSet<Namespace> effectiveNamespaces(Builder b, Limits limits, int euid) {
        EnumSet<Namespace> ns = b.namespaces.isEmpty() ? EnumSet.noneOf(Namespace.class) : EnumSet.copyOf(b.namespaces);
        if (b.hostname != null) {
            ns.add(Namespace.UTS);
        }
        boolean cgroup = !limits.isEmpty() || b.cgroups != null || b.cpuTimeLimit != null;
        if (b.root != Root.HOST || !b.mounts.isEmpty() || ns.contains(Namespace.PID) || cgroup) {
            // a pid namespace wants its own /proc, and a sandbox with limits a read-only cgroupfs
            ns.add(Namespace.MOUNT);
        }
        // SysV IPC objects made inside die with the sandbox instead of outliving it on the host.
        ns.add(Namespace.IPC);
        if (b.mapRootUser || euid != 0 || !b.runAsCallerUid) {
            // Root inside is never root outside: a root caller's command runs as an unprivileged host
            // uid of its own; an unprivileged caller needs one for every other namespace anyway.
            ns.add(Namespace.USER);
        }
        return ns;
    }

    /** A root caller whose sandbox runs under a host uid of its own (see {@link Builder#runAsCallerUid()}). */
    private boolean leasesHostIds() {
        return euid == 0 && !runAsCallerUid;
    }

    /** Whether each start gets a cgroup of its own: for limits, a CPU-time limit, or a factory asked for. */
    private boolean hasCgroup() {
        return !groupLimits.isEmpty() || cgroups != null;
    }

    /** A builder with every default: no namespaces, host root, inherited environment, no timeout. */
    public static Builder builder() {
        return new Builder();
    }

    /** {@link #hardened()}'s {@code /tmp}: 128 MiB. */
    public static final long HARDENED_TMP_SIZE = 128L << 20;
    /** {@link #hardened()}'s {@link Builder#maxFileSize(long)}: 64 MiB. */
    public static final long HARDENED_MAX_FILE_SIZE = 64L << 20;
    /** {@link #hardened()}'s {@link Builder#maxOpenFiles(int)}: 256. */
    public static final int HARDENED_MAX_OPEN_FILES = 256;
    /** {@link #hardened()}'s {@link Builder#maxStackSize(long)}: 8 MiB. */
    public static final long HARDENED_MAX_STACK_SIZE = 8L << 20;
    /** The host's system directories {@link #hardened()} shows read-only, where present. */
    static final List<String> HARDENED_SYSTEM_DIRS = List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
            "/etc/alternatives");

    /**
     * A builder preset for code nobody vouches for (a grader's submissions, a plugin runner's
     * plugins), as IOI isolate or a locked-down bubblewrap would set it up. Every setting can still
     * be changed on the returned builder. It sets:
     * <ul>
     *   <li><b>every namespace</b>: user, pid, mount, UTS (hostname {@code sandbox}), IPC, network
     *       (only {@code lo}, up: no network), cgroup and time;</li>
     *   <li><b>an {@link Builder#emptyRoot() empty root}</b> holding only the host's system directories,
     *       read-only and with the host's owners and permissions ({@link Builder#systemBind}): {@code /usr}
     *       and, where the host has them, {@code /bin}, {@code /sbin}, {@code /lib}, {@code /lib32},
     *       {@code /lib64}, {@code /libx32} (each the same
     *       {@link Builder#symlink symbolic link} where the host's is one, as on merged-/usr systems)
     *       and {@code /etc/alternatives}; a fresh {@code /proc}, a minimal {@code /dev}, and a
     *       {@link Builder#tmpfs(String, long) tmpfs} {@code /tmp} of {@value #HARDENED_TMP_SIZE}
     *       bytes (128 MiB), which is also the working directory. Nothing else of the host: no
     *       {@code /home}, {@code /etc}, {@code /run}, {@code /var};</li>
     *   <li><b>rlimits</b>: {@value #HARDENED_MAX_OPEN_FILES} open files, files of at most 64 MiB
     *       ({@link #HARDENED_MAX_FILE_SIZE}: a larger write ends in {@code SIGXFSZ},
     *       {@link SandboxResult.Status#FILE_SIZE_EXCEEDED}), 8 MiB of stack, no core dumps;</li>
     *   <li><b>output</b>: {@code run()} keeps at most {@link #DEFAULT_OUTPUT_LIMIT} (16 MiB) per stream;</li>
     *   <li><b>a clean environment</b>: only {@code PATH=/usr/local/bin:/usr/bin:/bin},
     *       {@code HOME=/tmp} and {@code LANG=C.UTF-8};</li>
     *   <li>and what every sandbox has unless opted out: the {@link SeccompPolicy#defaultUntrusted()
     *       default seccomp policy}, no capabilities, {@code no_new_privs}, its own session, and an
     *       unprivileged uid (a root caller's sandbox runs under a leased unprivileged host uid, an
     *       unprivileged caller's under its own).</li>
     * </ul>
     * Limits that depend on the task are left to the caller: {@link Builder#timeout},
     * {@link Builder#cpuTimeLimit}, {@link Builder#memoryMax}, {@link Builder#pidsMax} (the last
     * two need cgroups: root, or a delegated group).
     *
     * <pre>{@code
     * SandboxResult r = Sandbox.hardened().timeout(Duration.ofSeconds(5)).cpuTimeLimit(Duration.ofSeconds(2))
     *         .readOnlyBind(submission, "/task").build().run("python3", "/task/main.py");
     * if (r.status() != SandboxResult.Status.EXITED) { ... }
     * }</pre>
     */
    public static Builder hardened() {
        Builder b = builder().userNs().pidNs().mountNs().utsNs().ipcNs().netNs().cgroupNs().timeNs()
                .hostname("sandbox").emptyRoot();
        for (String dir : HARDENED_SYSTEM_DIRS) {
            Path host = Path.of(dir);
            if (java.nio.file.Files.isSymbolicLink(host)) {
                try {
                    b.symlink(java.nio.file.Files.readSymbolicLink(host).toString(), dir);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("hardened(): reading the host's symbolic link " + dir, e);
                }
            } else if (java.nio.file.Files.isDirectory(host)) {
                b.systemBind(host, dir);
            }
        }
        return b.tmpfs("/tmp", HARDENED_TMP_SIZE).workingDirectory("/tmp")
                .maxOpenFiles(HARDENED_MAX_OPEN_FILES).maxFileSize(HARDENED_MAX_FILE_SIZE).maxStackSize(HARDENED_MAX_STACK_SIZE)
                .outputLimit(DEFAULT_OUTPUT_LIMIT)
                .clearEnv().env("PATH", "/usr/local/bin:/usr/bin:/bin").env("HOME", "/tmp").env("LANG", "C.UTF-8");
    }

    /** A builder holding this sandbox's settings, to derive a variant. */
    public Builder newBuilder() {
        return new Builder(this);
    }

    /** What this host supports, and for each missing piece why. */
    public static SandboxProbe probe() {
        return SandboxProbe.run();
    }

    /** The namespaces each start creates, including the implied ones. */
    public Set<Namespace> namespaces() {
        return namespaces;
    }

    /** How the root file system is built. */
    public Root root() {
        return root;
    }

    /** The declared mounts, in order. */
    public List<Mount> mounts() {
        return mounts;
    }

    /** The cgroup limits each start gets (a fresh group per start); empty when none was set. */
    public Limits limits() {
        return limits;
    }

    /** Starts {@code command} (program and arguments) in a fresh sandbox. */
    public SandboxedProcess start(String... command) throws IOException {
        return start(List.of(command));
    }

    /**
     * Starts {@code command} in a fresh sandbox and returns once it runs: the program was
     * found and {@code execve} succeeded (passed its point of no return, where the kernel closes the
     * close-on-exec descriptors; as with {@link ProcessBuilder#start()}, the kernel gives the process
     * its new name a moment later). A program without a {@code /} is searched in the
     * sandbox's {@code PATH} inside the sandbox's view.
     *
     * @throws SandboxException naming step, path and errno when setup or exec failed; nothing is
     *                          left behind
     * @throws IllegalStateException when the sandbox's {@link SandboxRuntime} is closed
     */
    public SandboxedProcess start(List<String> command) throws IOException {
        List<String> checked = checkCommand(command);
        long t0 = System.nanoTime();
        SandboxRuntime rt = runtime();
        rt.beginStart();
        HostIds.Lease lease = null;
        try {
            lease = leasesHostIds() ? HostIds.get().acquire() : null;
            if (!hasCgroup()) {
                byte[] spec = encoded.encode(spec(checked, lease));
                return new SandboxedProcess(Launcher.launch(spec, stdin, stdout, stderr, redirectErrorStream, null,
                        rt.helpers(), helperKind, null), t0, null, lease, timeout, killGracePeriod, rt,
                        !seccomp.isUnconfined());
            }
            // The sandbox's fresh group: a spare helper already sits in it and forks the sandbox inside;
            // without a spare on pure v2, the start's helper creates the sandbox in it (CLONE_INTO_CGROUP).
            CgroupedHelpers.Placed placed = CgroupSupport.place(rt, cgroups, groupLimits);
            try {
                byte[] spec = encoded.encode(spec(checked, lease).withCgroup(placed.cloneInto()));
                Launcher.Started started = Launcher.launch(spec, stdin, stdout, stderr, redirectErrorStream,
                        placed.helper(), rt.helpers(), HelperPool.Kind.PLAIN,
                        cpuTimeLimit == null ? null : CgroupSupport.cpuUsageFile(placed));
                return new SandboxedProcess(started, t0, placed, lease, timeout, killGracePeriod, rt,
                        !seccomp.isUnconfined());
            } catch (IOException | RuntimeException | Error e) {
                CgroupSupport.closeAfterFailure(placed.cgroup(), e);
                throw e;
            }
        } catch (IOException | RuntimeException | Error e) {
            if (lease != null) {
                lease.release(); // nothing of this start runs: the helper reports only once the tree is gone
            }
            throw e;
        } finally {
            rt.endStart();
        }
    }

    /** The runtime this sandbox's starts use: the one its builder picked, else the default. */
    public SandboxRuntime runtime() {
        return runtime != null ? runtime : SandboxRuntime.defaultRuntime();
    }

    /** Runs {@code command} to its end, capturing stdout and stderr. */
    public SandboxResult run(String... command) throws IOException, InterruptedException {
        return run(List.of(command));
    }

    /**
     * Runs {@code command} to its end. Standard output and error are captured when they are
     * pipes (the default), each up to the {@link Builder#outputLimit(long) output limit}: past it
     * the output is read and dropped ({@link SandboxResult#outputTruncated()}), or with
     * {@link Builder#killOnOutputLimit()} the sandbox is killed
     * ({@link SandboxResult.Status#OUTPUT_LIMIT_EXCEEDED}). Standard input, when a pipe, is closed
     * at once. Returns once the sandbox is gone: its helper reaped and its cgroup, if it had one,
     * removed.
     *
     * @throws SandboxException when setup failed, or when the helper died without a report; and
     *                          when the command ran to its end but cleaning up after it failed
     *                          (removing its cgroup): that exception names step, path and errno
     *                          and carries the completed result ({@link SandboxException#result()})
     * @throws IllegalStateException when the sandbox's {@link SandboxRuntime} is closed
     */
    public SandboxResult run(List<String> command) throws IOException, InterruptedException {
        SandboxedProcess p = start(command);
        try {
            p.getOutputStream().close();
            int limit = (int) outputLimit;
            Runnable overflow = killOnOutputLimit ? p::killForOutputLimit : () -> { };
            Future<OutputCapture.Captured> err = stderr == Redirect.PIPE && !redirectErrorStream
                    ? p.runtime().drain().submit(() -> OutputCapture.read(p.getErrorStream(), limit, overflow))
                    : null;
            OutputCapture.Captured out = OutputCapture.read(p.getInputStream(), limit, overflow);
            OutputCapture.Captured errOut = err == null ? new OutputCapture.Captured(new byte[0], false) : get(err);
            p.waitFor();
            p.close(); // the helper is reaped and the cgroup's counters read
            Exit exit = p.exit();
            if (exit.failure() != null) {
                throw exit.failure();
            }
            Charset cs = Encoding.CHARSET; // as the arguments were encoded
            int status = exit.waitStatus();
            SandboxResult result = new SandboxResult(exit.exitValue(),
                    WaitStatus.exited(status) ? 0 : WaitStatus.termSignal(status),
                    new String(out.bytes(), cs), new String(errOut.bytes(), cs), exit.timedOut(), exit.cpuTimeExceeded(),
                    p.oomKilled(),
                    Duration.ofNanos(p.endNanos() - p.startNanos()),
                    Duration.ofNanos(exit.userMicros() * 1000), Duration.ofNanos(exit.systemMicros() * 1000),
                    exit.maxRssKib(), p.cgroupUsage(), p.status(), out.truncated(), errOut.truncated());
            // The group's removal runs on the runtime's cleanup thread: wait for its outcome, so that
            // a failure is always reported, and with the result it followed.
            p.awaitSettled(Long.MAX_VALUE / 2_000_000);
            if (p.cleanupFailure().isPresent()) {
                throw SandboxException.afterResult(p.cleanupFailure().get(), result);
            }
            return result;
        } finally {
            p.close();
        }
    }

    private static <T> T get(Future<T> f) throws IOException, InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new UncheckedIOException(new IOException(e.getCause()));
        }
    }

    private static List<String> checkCommand(List<String> command) {
        Objects.requireNonNull(command, "command");
        if (command.isEmpty()) {
            throw Checks.invalid("command", "got an empty list", "a program and its arguments");
        }
        for (int i = 0; i < command.size(); i++) {
            String a = Objects.requireNonNull(command.get(i), "command[" + i + "]");
            Checks.noNul("command[" + i + "]", a);
        }
        if (command.get(0).isEmpty()) {
            throw Checks.invalid("command[0]", "got \"\"", "a program name or path");
        }
        return List.copyOf(command);
    }

    /**
     * The helper's spec for {@code command}: the settings' part is encoded once, at build(); a
     * root caller's start adds the host ids it leased.
     */
    Spec spec(List<String> command, HostIds.Lease lease) {
        List<byte[]> args = new ArrayList<>(command.size());
        for (String a : command) {
            args.add(Encoding.bytes(a));
        }
        Spec s = template.withArgs(args);
        return lease == null ? s : s.withHostIds(lease.uid(), lease.gid(), mapRootUser);
    }

    /** Everything of the spec but the command (the JVM's environment does not change while it runs). */
    private Spec template() {
        Map<String, String> environment = new LinkedHashMap<>(clearEnv ? Map.of() : System.getenv());
        environment.putAll(env);
        List<byte[]> envBytes = new ArrayList<>(environment.size());
        for (Map.Entry<String, String> e : environment.entrySet()) {
            envBytes.add(Encoding.bytes(e.getKey() + "=" + e.getValue()));
        }
        String path = environment.getOrDefault("PATH", DEFAULT_PATH);

        int flags = 0;
        for (Namespace n : namespaces) {
            flags |= n.cloneFlag();
        }
        List<Spec.IdMap> uidMaps = List.of();
        List<Spec.IdMap> gidMaps = List.of();
        Spec.Ids ids = null;
        boolean userNs = namespaces.contains(Namespace.USER);
        if (userNs) {
            // A root caller's leased host ids replace these at each start (Spec.withHostIds).
            uidMaps = List.of(new Spec.IdMap(mapRootUser ? 0 : euid, euid, 1));
            gidMaps = List.of(new Spec.IdMap(mapRootUser ? 0 : egid, egid, 1));
            ids = new Spec.Ids(mapRootUser ? 0 : euid, mapRootUser ? 0 : egid);
        }
        int security = 0;
        if (!allowNewPrivileges) {
            security |= Protocol.SEC_NO_NEW_PRIVS;
        }
        if (!sameSession) {
            security |= Protocol.SEC_NEW_SESSION;
        }
        if (userNs && namespaces.contains(Namespace.MOUNT) && !keepCapabilities.isEmpty()) {
            // Without a capability the kernel refuses every mount call anyway; with one, the view
            // is locked by a nested user namespace (see security.c).
            security |= Protocol.SEC_LOCK_MOUNTS;
        }
        if (leasesHostIds()) {
            security |= Protocol.SEC_CLEAR_GROUPS; // root's supplementary groups (gid 0) stay outside
        }
        long caps = 0;
        for (Capability c : keepCapabilities) {
            caps |= 1L << c.number();
        }
        SetupPlan plan = SetupPlan.of(setupSettings(flags));
        if (plan.netAhead(flags, euid == 0, !keepCapabilities.isEmpty())) {
            security |= Protocol.SEC_NET_AHEAD; // off the start path (HelperPool)
        }
        return new Spec(flags, uidMaps, gidMaps, userNs && euid != 0,
                hostname == null ? null : Encoding.bytes(hostname),
                plan.ops(), plan.loopback(),
                Encoding.bytes(path),
                timeout == null ? 0 : Math.max(1, timeout.toMillis()),
                killGracePeriod.toMillis(), List.of(), envBytes, caps, security, ids, seccompProgram(), plan.landlock(),
                cpuTimeLimit == null ? null : new Spec.CpuLimit(cpuTimeLimit.toNanos()),
                Rlimits.of(rlimits, cpuTimeLimit), null);
    }

    /** The file system settings, as the internal translation to setup operations takes them. */
    private SetupPlan.Settings setupSettings(int cloneFlags) {
        List<SetupPlan.Mount> planMounts = new ArrayList<>(mounts.size());
        for (Mount m : mounts) {
            planMounts.add(new SetupPlan.Mount(switch (m.kind()) {
                case BIND -> SetupPlan.MountKind.BIND;
                case READ_ONLY_BIND -> SetupPlan.MountKind.READ_ONLY_BIND;
                case TMPFS -> SetupPlan.MountKind.TMPFS;
                case SYMLINK -> SetupPlan.MountKind.SYMLINK;
                case SYSTEM_BIND -> SetupPlan.MountKind.SYSTEM_BIND;
            }, m.source() == null ? null : m.source().toString(), m.target(), m.size()));
        }
        return new SetupPlan.Settings(cloneFlags, switch (root) {
            case HOST -> SetupPlan.Root.HOST;
            case READ_ONLY -> SetupPlan.Root.READ_ONLY;
            case EMPTY -> SetupPlan.Root.EMPTY;
        }, planMounts, leasesHostIds(), hasCgroup(), workingDirectory, landlock, landlockPaths);
    }

    /** The seccomp program for this machine's architecture, compiled once per policy; null for none. */
    private byte[] seccompProgram() {
        byte[] program = seccomp.program(SeccompPolicy.Arch.host());
        return program.length == 0 ? null : program;
    }

    /** The syscall filter each start installs right before exec. */
    public SeccompPolicy seccomp() {
        return seccomp;
    }

    /** The spec of a start of {@code command}, in readable form: what the helper would get. */
    public String describe(String... command) {
        Spec s = spec(checkCommand(List.of(command)), null);
        if (leasesHostIds()) {
            HostIds.Range r = HostIds.get().range();
            s = s.withHostIds((int) r.firstUid(), (int) r.firstGid(), mapRootUser); // each start leases its own
        }
        return s.describe();
    }

    @Override
    public String toString() {
        return "Sandbox" + namespaces + "[root=" + root + ", mounts=" + mounts.size() + "]";
    }

    /**
     * Collects a sandbox's settings. Setters check their argument at once and name it in the
     * {@link IllegalArgumentException}; {@link #build()} checks how the settings combine.
     */
    public static final class Builder {
        private final EnumSet<Namespace> namespaces = EnumSet.noneOf(Namespace.class);
        private boolean mapRootUser;
        private String hostname;
        private Root root = Root.HOST;
        private boolean readOnlyRootSet;
        private boolean emptyRootSet;
        private final List<Mount> mounts = new ArrayList<>();
        private String workingDirectory;
        private boolean clearEnv;
        private final LinkedHashMap<String, String> env = new LinkedHashMap<>();
        private Duration timeout;
        private Duration killGracePeriod = Duration.ofSeconds(2);
        private Redirect stdin = Redirect.PIPE;
        private Redirect stdout = Redirect.PIPE;
        private Redirect stderr = Redirect.PIPE;
        private boolean redirectErrorStream;
        private Limits.Builder limits = Limits.builder();
        private Cgroups cgroups;
        private final EnumSet<Capability> keepCapabilities = EnumSet.noneOf(Capability.class);
        private boolean allowNewPrivileges;
        private boolean sameSession;
        private boolean runAsCallerUid;
        private SeccompPolicy seccomp = SeccompPolicy.defaultUntrusted();
        private boolean landlock;
        private final List<SetupPlan.LandlockPath> landlockPaths = new ArrayList<>();
        private SandboxRuntime runtime;
        private long outputLimit = DEFAULT_OUTPUT_LIMIT;
        private boolean killOnOutputLimit;
        private Duration cpuTimeLimit;
        private final EnumMap<Rlimit, Spec.Limit> rlimits = new EnumMap<>(Rlimit.class);

        Builder() {
        }

        Builder(Sandbox s) {
            namespaces.addAll(s.requested);
            mapRootUser = s.mapRootUser;
            hostname = s.hostname;
            root = s.root;
            readOnlyRootSet = s.root == Root.READ_ONLY;
            emptyRootSet = s.root == Root.EMPTY;
            mounts.addAll(s.mounts);
            workingDirectory = s.workingDirectory;
            clearEnv = s.clearEnv;
            env.putAll(s.env);
            timeout = s.timeout;
            killGracePeriod = s.killGracePeriod;
            stdin = s.stdin;
            stdout = s.stdout;
            stderr = s.stderr;
            redirectErrorStream = s.redirectErrorStream;
            limits = s.limits.newBuilder();
            cgroups = s.cgroups;
            keepCapabilities.addAll(s.keepCapabilities);
            allowNewPrivileges = s.allowNewPrivileges;
            sameSession = s.sameSession;
            runAsCallerUid = s.runAsCallerUid;
            seccomp = s.seccomp;
            landlock = s.landlock;
            landlockPaths.addAll(s.landlockPaths);
            runtime = s.runtime;
            outputLimit = s.outputLimit;
            killOnOutputLimit = s.killOnOutputLimit;
            cpuTimeLimit = s.cpuTimeLimit;
            rlimits.putAll(s.rlimits);
        }

        /**
         * A new user namespace. Every sandbox has one anyway, but for a root caller that chose
         * {@link #runAsCallerUid()}: an unprivileged caller's uid and gid are mapped to the same ids
         * inside; a root caller's command runs as an unprivileged host uid and gid of its own (one
         * per running sandbox, see {@link #runAsCallerUid()}), mapped to the same ids inside.
         */
        public Builder userNs() {
            namespaces.add(Namespace.USER);
            return this;
        }

        /**
         * Implies {@link #userNs()}; the command runs as uid 0 and gid 0 inside, which are the
         * caller's ids outside, or for a root caller the sandbox's own unprivileged host ids: root
         * inside is never root outside. Default: off.
         */
        public Builder mapRootUser() {
            mapRootUser = true;
            namespaces.add(Namespace.USER);
            return this;
        }

        /**
         * A new pid namespace: the sandbox gets a PID 1 (an init that reaps orphans and forwards
         * signals) and the command runs under it; {@code /proc} is a fresh procfs of the new
         * namespace. Implies {@link #mountNs()}. Default: off.
         */
        public Builder pidNs() {
            namespaces.add(Namespace.PID);
            return this;
        }

        /** A new mount namespace: mounts made inside never reach the host. Default: off. */
        public Builder mountNs() {
            namespaces.add(Namespace.MOUNT);
            return this;
        }

        /** A new UTS namespace (hostname, domain name). Default: off. */
        public Builder utsNs() {
            namespaces.add(Namespace.UTS);
            return this;
        }

        /** A new IPC namespace (System V IPC, POSIX message queues). Default: off. */
        public Builder ipcNs() {
            namespaces.add(Namespace.IPC);
            return this;
        }

        /** A new network namespace holding only {@code lo}, which is up. Default: off. */
        public Builder netNs() {
            namespaces.add(Namespace.NET);
            return this;
        }

        /** A new cgroup namespace: the sandbox sees its own cgroup as the root. Default: off. */
        public Builder cgroupNs() {
            namespaces.add(Namespace.CGROUP);
            return this;
        }

        /** A new time namespace (monotonic and boot-time clocks). Default: off. */
        public Builder timeNs() {
            namespaces.add(Namespace.TIME);
            return this;
        }

        /**
         * The hostname inside; implies {@link #utsNs()}. Checked as Docker checks it: RFC 1123 labels
         * (letters, digits and '-', 1 to 63 characters, not starting or ending with '-') joined by
         * dots, at most 64 bytes in all (the kernel's limit). Default: the host's.
         */
        public Builder hostname(String hostname) {
            Objects.requireNonNull(hostname, "hostname");
            Checks.check(HOSTNAME.matcher(hostname).matches() && hostname.length() <= 64, "hostname", hostname,
                    "RFC 1123 labels of letters, digits and '-' joined by '.', at most 64 characters");
            this.hostname = hostname;
            return this;
        }

        private static final java.util.regex.Pattern HOSTNAME = java.util.regex.Pattern.compile(
                "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

        /**
         * The root is a read-only view of the host's root (a new mount namespace; the host's
         * root itself is never touched). Declared mounts go on top; {@code /dev} is minimal and
         * {@code /proc} fresh with {@link #pidNs()}. Excludes {@link #emptyRoot()}. Default:
         * the host's root as it is.
         */
        public Builder readOnlyRoot() {
            readOnlyRootSet = true;
            root = Root.READ_ONLY;
            return this;
        }

        /**
         * The root is empty and read-only: only declared mounts exist, plus a minimal {@code /dev}
         * and, with {@link #pidNs()}, {@code /proc}. Excludes {@link #readOnlyRoot()}.
         * Default: the host's root.
         */
        public Builder emptyRoot() {
            emptyRootSet = true;
            root = Root.EMPTY;
            return this;
        }

        /**
         * Makes {@code host} visible read-write at {@code inside}. A missing target is created in
         * the sandbox's view, never on the host. Mounts apply in the order declared.
         */
        public Builder bind(Path host, String inside) {
            mounts.add(new Mount(Mount.Kind.BIND, Checks.hostPath("bind", host), Checks.target("bind", inside)));
            return this;
        }

        /** Like {@link #bind(Path, String)}, read-only (submounts included). */
        public Builder readOnlyBind(Path host, String inside) {
            mounts.add(new Mount(Mount.Kind.READ_ONLY_BIND, Checks.hostPath("readOnlyBind", host),
                    Checks.target("readOnlyBind", inside)));
            return this;
        }

        /**
         * Like {@link #readOnlyBind(Path, String)}, but the sandbox sees the host's owners and
         * permissions as they are, as any unprivileged user of the host would: for system directories
         * such as {@code /usr} and {@code /lib} ({@link Sandbox#hardened()} binds its system
         * directories so). It differs only for a root caller, whose sandbox runs under a leased host
         * uid: there a {@code readOnlyBind} shows the source's owner as that uid (an idmapped mount,
         * so the sandbox reads what the caller declared), while a {@code systemBind} shows the host's
         * root-owned files as owned by nobody and grants only what "others" may. It also costs less
         * (no idmapped mount to make at each start).
         */
        public Builder systemBind(Path host, String inside) {
            mounts.add(new Mount(Mount.Kind.SYSTEM_BIND, Checks.hostPath("systemBind", host),
                    Checks.target("systemBind", inside)));
            return this;
        }

        /**
         * A fresh, empty, writable tmpfs of {@link #DEFAULT_TMPFS_SIZE} (256 MiB) at {@code inside}
         * ({@code nosuid,nodev}); it vanishes with the sandbox. Its pages count toward the sandbox's
         * memory limit.
         */
        public Builder tmpfs(String inside) {
            mounts.add(new Mount(Mount.Kind.TMPFS, null, Checks.target("tmpfs", inside)));
            return this;
        }

        /** Like {@link #tmpfs(String)}, of {@code bytes} bytes: 4 KiB to 1 TiB; writes past it fail with ENOSPC. */
        public Builder tmpfs(String inside, long bytes) {
            Checks.inRange("tmpfs size", bytes, 4096, 1L << 40, "bytes");
            mounts.add(new Mount(Mount.Kind.TMPFS, null, Checks.target("tmpfs", inside), bytes));
            return this;
        }

        /**
         * A symbolic link {@code inside} the sandbox's view whose text is {@code text} (bubblewrap's
         * {@code --symlink}), made in order with the binds and tmpfs mounts; for example
         * {@code symlink("usr/bin", "/bin")} in an {@link #emptyRoot() empty root}. Implies
         * {@link #mountNs()}; the link is made in the sandbox's view, never on the host. Default:
         * none.
         *
         * @param text   what the link points to: any non-empty text without NUL, relative or absolute
         * @param inside an absolute path in the sandbox, not {@code /}, without {@code .} or {@code ..}
         */
        public Builder symlink(String text, String inside) {
            Checks.check(text != null && !text.isEmpty(), "symlink text", text, "a non-empty text");
            Checks.noNul("symlink text", text);
            mounts.add(new Mount(Mount.Kind.SYMLINK, Path.of(text), Checks.target("symlink", inside), 0));
            return this;
        }

        /**
         * Keeps these capabilities after exec (in every set: bounding, permitted, effective,
         * inheritable and ambient), like bubblewrap's {@code --cap-add}. Inside the sandbox's user
         * namespace they act on the sandbox's own namespaces only; the sandbox's mounts stay locked
         * even with {@link Capability#SYS_ADMIN}, and the default seccomp policy still refuses the
         * calls it lists. Repeated calls add up. Default: none — the command has no capability at all.
         */
        public Builder keepCapabilities(Capability... capabilities) {
            Objects.requireNonNull(capabilities, "keepCapabilities");
            for (Capability c : capabilities) {
                keepCapabilities.add(Objects.requireNonNull(c, "keepCapabilities element"));
            }
            return this;
        }

        /**
         * The syscall filter installed right before exec (after every other step, so the policy
         * needs to allow only {@code execve} and what the command itself calls). Default:
         * {@link SeccompPolicy#defaultUntrusted()}; {@link SeccompPolicy#unconfined()} installs none.
         * A policy that denies with {@link SeccompPolicy.Action#killProcess()} ends the command with
         * SIGSYS.
         */
        public Builder seccomp(SeccompPolicy policy) {
            this.seccomp = Objects.requireNonNull(policy, "seccomp");
            return this;
        }

        /**
         * Limits the command's file access with Landlock to the paths the sandbox declares, on top of
         * its view: what it can see but was not declared stays closed (EACCES), also for a process
         * that could change its mounts or its ids. The rules, each granting access beneath its path
         * as the sandbox sees it:
         * <ul>
         * <li>{@link #readOnlyRoot()}: {@code /} readable (execute, read files, list directories);
         * <li>each {@link #readOnlyBind} target readable; each {@link #bind} and {@link #tmpfs} target
         *     with every right (write, create, remove, rename, link, truncate);
         * <li>the sandbox's own {@code /dev} (with a new root): readable, its existing files writable and
         *     device ioctls allowed ({@code /dev/null}, ttys), but nothing created there, {@code /dev/shm}
         *     included; {@code /proc} (with {@link #pidNs()}): readable, its files writable; {@code /sys}
         *     readable where the view has one;
         * <li>each {@link #landlockReadOnly} and {@link #landlockReadWrite} path as given.
         * </ul>
         * Everything else is denied, the host's {@code /dev} and {@code /proc} of a sandbox without a
         * new root included. The working directory needs no rule of its own. The helper handles every
         * file system right of the kernel's Landlock ABI ({@code REFER} from ABI 2, {@code TRUNCATE}
         * from 3, {@code IOCTL_DEV} from 5), so a hard link or rename cannot move a file out of its
         * rule's reach, and restricts the command right before exec, before the seccomp filter. A
         * kernel without Landlock fails the start ({@link SandboxException} step {@code landlock},
         * ENOSYS or EOPNOTSUPP; {@link Sandbox#probe()} reports the ABI), never runs it unconfined; a
         * declared path missing from the view fails it too (step {@code landlock}, the path, ENOENT).
         * Landlock needs {@code no_new_privs} or {@code CAP_SYS_ADMIN} in the sandbox's user
         * namespace: with {@link #allowNewPrivileges()} a command that runs without a user namespace
         * as a non-root caller fails with EPERM. Needs no namespace itself. Default: off.
         */
        public Builder landlock() {
            landlock = true;
            return this;
        }

        /**
         * Landlock may read beneath {@code path} (execute, read files, list directories): an absolute
         * path as the sandbox sees it, which must exist when the command starts. Implies
         * {@link #landlock()}; works without a mount namespace, for a caller that cannot create one
         * (like {@code landrun --ro}). Repeated calls add up. Default: none.
         */
        public Builder landlockReadOnly(String path) {
            landlockPaths.add(new SetupPlan.LandlockPath(landlockPath("landlockReadOnly", path), false));
            landlock = true;
            return this;
        }

        /**
         * Landlock may read and write beneath {@code path}: every file system right (create, remove,
         * rename, link, truncate as well). Like {@link #landlockReadOnly(String)} otherwise ({@code
         * landrun --rw}). Default: none.
         */
        public Builder landlockReadWrite(String path) {
            landlockPaths.add(new SetupPlan.LandlockPath(landlockPath("landlockReadWrite", path), true));
            landlock = true;
            return this;
        }

        /** Absolute, without {@code .} or {@code ..} components, shorter than 4096 bytes; normalized ({@code //a/} → {@code /a}). */
        private static String landlockPath(String setting, String path) {
            Checks.absolute(setting, path);
            for (String part : path.split("/")) {
                Checks.check(!part.equals("..") && !part.equals("."), setting, path, "a path without . or .. components");
            }
            Checks.check(Encoding.bytes(path).length < Protocol.OP_MAX_PATH, setting, path, "shorter than 4096 bytes");
            String normalized = path.replaceAll("/+", "/");
            return normalized.length() > 1 && normalized.endsWith("/")
                    ? normalized.substring(0, normalized.length() - 1) : normalized;
        }

        /**
         * Opt-out: lets setuid/setgid binaries and file capabilities raise the command's privileges
         * ({@code no_new_privs} stays off). Risk: a setuid-root binary visible in the sandbox runs
         * as root of the sandbox's user namespace with every capability there. Default: off —
         * {@code no_new_privs} is set, so exec never gains a privilege.
         */
        public Builder allowNewPrivileges() {
            allowNewPrivileges = true;
            return this;
        }

        /**
         * Opt-out: the command stays in the caller's session and can reach its controlling
         * terminal. Risk: with {@link #inheritIO()} on a terminal the command can push keystrokes
         * into the caller's shell ({@code TIOCSTI}, CVE-2017-5226's class) and gets job-control
         * signals. Default: off — the command leads a new session ({@code setsid}) with no
         * controlling terminal.
         */
        public Builder sameSession() {
            sameSession = true;
            return this;
        }

        /**
         * Opt-out, for a root caller: the command runs as host root (uid 0, no user namespace
         * unless one is asked for), still without capabilities unless kept. Risk: it owns every
         * root-owned file it can see, and with a kept capability it holds it over the host. Default:
         * off — a root caller's command runs as an unprivileged host uid and gid of its own, leased
         * per running sandbox from root's {@code /etc/subuid}/{@code /etc/subgid} range, else
         * 1879048192 (0x70000000) to 1879113727; {@code -Dsandbox.hostIds=<first>:<count>} picks
         * another. Writable binds are idmapped so that files written there belong to the bind's
         * owner. No effect for an unprivileged caller.
         */
        public Builder runAsCallerUid() {
            runAsCallerUid = true;
            return this;
        }

        /**
         * The command's working directory inside the sandbox, absolute. Default: the JVM's
         * working directory with the host's root, {@code /} with a new root.
         */
        public Builder workingDirectory(String inside) {
            this.workingDirectory = Checks.absolute("workingDirectory", inside);
            return this;
        }

        /** Sets one environment variable, overriding an inherited one. */
        public Builder env(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            Checks.check(!name.isEmpty() && name.indexOf('=') < 0, "env name", name, "non-empty, without '='");
            Checks.noNul("env name", name);
            Checks.noNul("env " + name, value);
            env.put(name, value);
            return this;
        }

        /** Starts from an empty environment instead of the JVM's; {@link #env} adds to it. */
        public Builder clearEnv() {
            clearEnv = true;
            return this;
        }

        /**
         * Wall-clock limit: when it passes, the command gets SIGTERM and the whole sandbox
         * SIGKILL after the {@link #killGracePeriod}; the result says {@code timedOut}. Positive.
         * Default: none.
         */
        public Builder timeout(Duration wallClock) {
            Objects.requireNonNull(wallClock, "timeout");
            Checks.check(!wallClock.isNegative() && !wallClock.isZero() && wallClock.compareTo(MAX_TIMEOUT) <= 0,
                    "timeout", wallClock, "> 0 and at most " + MAX_TIMEOUT);
            this.timeout = wallClock;
            return this;
        }

        /**
         * CPU-time limit of the whole sandbox: the CPU time of all its processes together, including
         * those that have already exited, as its cgroup counts it (v2 {@code cpu.stat} usage_usec, v1
         * {@code cpuacct.usage}). When it is reached, the sandbox's monitor (its helper process, no JVM
         * thread) kills the whole sandbox with SIGKILL, within a few milliseconds of CPU time per CPU;
         * {@link SandboxResult#cpuTimeExceeded()} and {@link SandboxedProcess#cpuTimeExceeded()} say
         * so, apart from the wall-clock {@link #timeout}. The monitor reads the counter rarely while the
         * limit is far (next read: the remaining time divided by the online CPUs). As a backstop each
         * process also gets {@code RLIMIT_CPU} of the limit rounded up to whole seconds plus one (soft;
         * hard one more; SIGXCPU, then SIGKILL), no higher than the caller's own hard limit.
         *
         * <p>Gives each start a cgroup of its own even without other limits (see {@link #cgroups});
         * on cgroup v1 it needs the cpuacct hierarchy. A host or caller that cannot count the group's
         * CPU time fails the start with a {@link SandboxException} naming step, path and errno; the
         * command never runs without the limit. From 1 ms to {@link #MAX_TIMEOUT}. Default: none.
         */
        public Builder cpuTimeLimit(Duration limit) {
            Objects.requireNonNull(limit, "cpuTimeLimit");
            Checks.check(limit.compareTo(Duration.ofMillis(1)) >= 0 && limit.compareTo(MAX_TIMEOUT) <= 0,
                    "cpuTimeLimit", limit, "PT0.001S to " + MAX_TIMEOUT);
            this.cpuTimeLimit = limit;
            return this;
        }

        /**
         * How long {@link SandboxedProcess#destroy()} and the timeout wait after SIGTERM before
         * SIGKILL. 0 to 1 hour. Default: 2 seconds.
         */
        public Builder killGracePeriod(Duration grace) {
            Objects.requireNonNull(grace, "killGracePeriod");
            Checks.check(!grace.isNegative() && grace.compareTo(Duration.ofHours(1)) <= 0, "killGracePeriod", grace,
                    "0 to PT1H");
            this.killGracePeriod = grace;
            return this;
        }

        /** Where the command's stdin comes from, as {@link ProcessBuilder#redirectInput}. Default: a pipe. */
        public Builder redirectInput(Redirect source) {
            Objects.requireNonNull(source, "redirectInput");
            Checks.check(source.type() != Redirect.Type.WRITE && source.type() != Redirect.Type.APPEND, "redirectInput",
                    source, "PIPE, INHERIT or a file to read");
            stdin = source;
            return this;
        }

        /** Where the command's stdout goes, as {@link ProcessBuilder#redirectOutput}. Default: a pipe. */
        public Builder redirectOutput(Redirect destination) {
            stdout = output("redirectOutput", destination);
            return this;
        }

        /** Where the command's stderr goes, as {@link ProcessBuilder#redirectError}. Default: a pipe. */
        public Builder redirectError(Redirect destination) {
            stderr = output("redirectError", destination);
            return this;
        }

        /** Merges stderr into stdout. Default: off. */
        public Builder redirectErrorStream(boolean merge) {
            redirectErrorStream = merge;
            return this;
        }

        /** Inherits the JVM's stdin, stdout and stderr. */
        public Builder inheritIO() {
            stdin = Redirect.INHERIT;
            stdout = Redirect.INHERIT;
            stderr = Redirect.INHERIT;
            return this;
        }

        /**
         * Hard memory limit of the whole sandbox, enforced by its own cgroup: above it the kernel
         * OOM-kills inside the sandbox only, and {@link SandboxResult#oomKilled()} says so. Swap
         * is off for the group, so the limit cannot be bypassed. Default: none.
         */
        public Builder memoryMax(long bytes) {
            limits.memoryMax(bytes);
            return this;
        }

        /** Memory above which the kernel throttles and reclaims hard (v2 {@code memory.high}). Default: none. */
        public Builder memoryHigh(long bytes) {
            limits.memoryHigh(bytes);
            return this;
        }

        /** CPU bandwidth in cores, e.g. 0.5 for half of one core (a cgroup quota per 100 ms). Default: none. */
        public Builder cpus(double cores) {
            limits.cpus(cores);
            return this;
        }

        /** Relative CPU weight against other groups, 1 to 10000 (cgroup v2 scale; 100 is the kernel's default). */
        public Builder cpuWeight(int weight) {
            limits.cpuWeight(weight);
            return this;
        }

        /** The CPUs the sandbox may run on, in the kernel's list format, e.g. {@code "0-1,3"}. Default: all. */
        public Builder cpuset(String cpus) {
            limits.cpuset(cpus);
            return this;
        }

        /** The most processes and threads the sandbox may hold at once; a fork bomb stops there. Default: none. */
        public Builder pidsMax(long max) {
            limits.pidsMax(max);
            return this;
        }

        /**
         * Block I/O limits on one device ({@code "8:0"}, major:minor), in bytes and operations per
         * second; 0 leaves that field unlimited. Default: none.
         */
        public Builder ioMax(String device, long readBps, long writeBps, long readIops, long writeIops) {
            limits.ioMax(device, readBps, writeBps, readIops, writeIops);
            return this;
        }

        /**
         * The largest file the command and its children may write ({@code RLIMIT_FSIZE}, soft and
         * hard): a write past it fails, the writer gets SIGXFSZ (which ends it) or, when it ignores
         * that signal, EFBIG. 0 to the caller's own hard limit, or {@link Rlimit#UNLIMITED}. Default:
         * the JVM's own limit (usually unlimited).
         *
         * @throws IllegalArgumentException above the JVM's hard {@code RLIMIT_FSIZE}: a sandbox cannot raise it
         */
        public Builder maxFileSize(long bytes) {
            return rlimit("maxFileSize", Rlimit.FSIZE, bytes, bytes);
        }

        /**
         * The number of file descriptors each process may hold ({@code RLIMIT_NOFILE}, soft and hard;
         * what {@code ulimit -n} shows inside). 0 to the caller's own hard limit. Default:
         * {@value Rlimits#DEFAULT_OPEN_FILES}, or the JVM's hard limit where that is lower; never the
         * JVM's raised soft limit.
         *
         * @throws IllegalArgumentException above the JVM's hard {@code RLIMIT_NOFILE}: a sandbox cannot raise it
         */
        public Builder maxOpenFiles(int n) {
            Checks.check(n >= 0, "maxOpenFiles", n, "0.." + Rlimits.callerHard(Rlimit.NOFILE));
            return rlimit("maxOpenFiles", Rlimit.NOFILE, n, n);
        }

        /**
         * The main thread's stack of each process ({@code RLIMIT_STACK}, soft and hard; {@code ulimit
         * -s} shows it in KiB). 0 to the caller's own hard limit, or {@link Rlimit#UNLIMITED}. Default:
         * the JVM's own limit (usually 8 MiB soft).
         *
         * @throws IllegalArgumentException above the JVM's hard {@code RLIMIT_STACK}: a sandbox cannot raise it
         */
        public Builder maxStackSize(long bytes) {
            return rlimit("maxStackSize", Rlimit.STACK, bytes, bytes);
        }

        /**
         * Any resource limit of the command, set by its own process right before exec (after the
         * sandbox is built, so a tiny limit binds the command only) and inherited by its children.
         * Each value 0 to the caller's own hard limit of that resource, or {@link Rlimit#UNLIMITED};
         * {@code soft <= hard}. Inside, the command can lower both and raise its soft limit up to
         * {@code hard}, never {@code hard} itself (not even as root: it runs in a user namespace).
         * The last setting of a resource wins, including one by {@link #maxFileSize},
         * {@link #maxOpenFiles} or {@link #maxStackSize}.
         *
         * <p>Defaults: core dumps off ({@code CORE} 0/0) and {@code NOFILE}
         * {@value Rlimits#DEFAULT_OPEN_FILES}/{@value Rlimits#DEFAULT_OPEN_FILES} (or the JVM's hard
         * limit where lower), since the JVM raises its own soft {@code NOFILE}; every other resource
         * is the JVM process's own limit. {@link Sandbox#describe} lists each limit a start sets.
         *
         * @throws IllegalArgumentException naming the resource and the value: negative, soft above
         *         hard, or above the JVM's own hard limit
         */
        public Builder rlimit(Rlimit resource, long soft, long hard) {
            Objects.requireNonNull(resource, "rlimit resource");
            return rlimit("rlimit " + resource.name(), resource, soft, hard);
        }

        private Builder rlimit(String setting, Rlimit resource, long soft, long hard) {
            rlimits.put(resource, Rlimits.check(setting, resource, soft, hard));
            return this;
        }

        /**
         * Where the sandbox's cgroups are made: a {@link Cgroups} factory with its own prefix,
         * for example a subtree delegated to this (unprivileged) user:
         * {@code Cgroups.at(CgroupHost.detect(), "my-delegated-dir")}. Setting it gives every start
         * its own group even without limits (for usage and kill-all). Default: {@link Cgroups#detect()},
         * the library's own top-level prefix {@value Cgroups#DEFAULT_PREFIX}, used only with limits.
         *
         * <p>The sandbox's helper process is moved into the group ahead of time and forks the
         * sandbox inside it (moving a process into a cgroup can cost the kernel milliseconds; a
         * fork inherits the group for free). It stays there as the sandbox's monitor, so the
         * group's {@code pids.max} is {@link #pidsMax} plus one. The group is removed in the
         * background as soon as the sandbox has ended.
         */
        public Builder cgroups(Cgroups factory) {
            this.cgroups = Objects.requireNonNull(factory, "cgroups");
            return this;
        }

        /**
         * The runtime whose helpers, threads and cgroup spares the sandbox's starts use, and whose
         * {@link SandboxRuntime#close()} ends them. Default: {@link SandboxRuntime#defaultRuntime()}.
         */
        public Builder runtime(SandboxRuntime runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            return this;
        }

        /**
         * How much of each captured stream {@link Sandbox#run} keeps: past it the output is read
         * and dropped, so the command never blocks and the caller's heap holds at most this much
         * per stream; {@link SandboxResult#outputTruncated()} says so. Applies to {@code run()}'s
         * pipes only (with {@link #redirectErrorStream} both streams count as one); a
         * {@link #start} caller reads the streams itself. 1 byte to {@link #MAX_OUTPUT_LIMIT}
         * (1 GiB). Default: {@link #DEFAULT_OUTPUT_LIMIT} (16 MiB).
         */
        public Builder outputLimit(long bytes) {
            this.outputLimit = Checks.inRange("outputLimit", bytes, 1, MAX_OUTPUT_LIMIT, "bytes");
            return this;
        }

        /**
         * When a stream {@link Sandbox#run} captures passes the {@link #outputLimit}, SIGKILL the
         * whole sandbox at once (as {@link SandboxedProcess#destroyForcibly()} does) instead of
         * dropping the rest; the result's {@link SandboxResult#status()} is
         * {@link SandboxResult.Status#OUTPUT_LIMIT_EXCEEDED}. Output of exactly the limit is no
         * reason to kill. Default: off — the command runs to its end.
         */
        public Builder killOnOutputLimit() {
            killOnOutputLimit = true;
            return this;
        }

        private static Redirect output(String setting, Redirect r) {
            Objects.requireNonNull(r, setting);
            Checks.check(r.type() != Redirect.Type.READ, setting, r, "PIPE, INHERIT, DISCARD or a file to write");
            return r;
        }

        /**
         * Checks how the settings combine and returns the immutable sandbox.
         *
         * @throws IllegalArgumentException naming the conflicting settings
         */
        public Sandbox build() {
            if (readOnlyRootSet && emptyRootSet) {
                throw Checks.invalid("root", "readOnlyRoot() and emptyRoot() both set", "at most one of them");
            }
            if (workingDirectory != null && root == Root.EMPTY && !coveredByMount(workingDirectory)) {
                throw Checks.invalid("workingDirectory", "got " + Checks.quote(workingDirectory),
                        "with emptyRoot(), a path under a declared bind or tmpfs");
            }
            Limits built = limits.build();
            LibC libc = LibC.get();
            return new Sandbox(this, built, libc.geteuid(), libc.getegid());
        }

        private boolean coveredByMount(String dir) {
            for (Mount m : mounts) {
                if (dir.equals(m.target()) || dir.startsWith(m.target().endsWith("/") ? m.target() : m.target() + "/")) {
                    return true;
                }
            }
            return false;
        }
    }
}
