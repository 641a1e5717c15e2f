package dev.sandbox.internal;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The steps sandbox-helper names in an {@code ERROR} frame ({@link dev.sandbox.SandboxException#step()}),
 * by their names on the wire. StepTest checks this list against the helper's C sources: a step
 * added there fails the build until it is added here. Steps of the JVM side ({@code helper},
 * {@code cgroup}, {@code open}, ...) are not listed: they never cross the wire.
 *
 * <p><strong>Internal usage only.</strong>
 */
public enum Step {
    SPEC("spec", "the spec was unreadable or invalid (EINVAL: the path says why)"),
    PRCTL("prctl", "a prctl(2) option; the path names it"),
    DUP2("dup2", "installing the command's stdio as fds 0-2"),
    PIPE("pipe", "the helper's setup pipes"),
    SOCKETPAIR("socketpair", "the error channel between helper and sandbox"),
    SETSOCKOPT("setsockopt", "SO_PASSCRED on the error channel"),
    SIGNALFD("signalfd", "the helper's SIGCHLD descriptor"),
    IDMAP("idmap", "an idmapped bind mount; the path is its source"),
    CGROUP("cgroup", "the cgroup v2 directory the sandbox is created in (or moved to, before Linux 5.7)"),
    CGROUPNS("cgroupns", "the cgroup namespace, made once the sandbox is in its group (kernels without CLONE_INTO_CGROUP)"),
    CLONE("clone", "creating the sandbox's first process in its namespaces (and its cgroup)"),
    SETGROUPS("setgroups", "writing deny to /proc/<pid>/setgroups"),
    UID_MAP("uid_map", "writing /proc/<pid>/uid_map"),
    GID_MAP("gid_map", "writing /proc/<pid>/gid_map"),
    SYNC("sync", "telling the sandbox its id maps are written"),
    POLL("poll", "waiting for the sandbox to exec"),
    TIMEOUT("timeout", "the wall-clock limit passed during setup (ETIMEDOUT)"),
    CHILD("child", "the error channel failed or carried a malformed record"),
    SETHOSTNAME("sethostname", "the UTS namespace's hostname"),
    MOUNT_PRIVATE("mount-private", "making the mount tree private"),
    NEW_ROOT("new-root", "operation: staging an empty tmpfs as the new root"),
    MIRROR_HOST("mirror-host", "operation: the host's top level in the new root; the path is the entry"),
    TMPFS("tmpfs", "operation: a tmpfs (also the helper's staging area)"),
    BIND("bind", "operation: a bind mount; the path is its target, or its source when that cannot be opened"),
    PROC("proc", "operation: a fresh procfs"),
    SYSFS("sysfs", "operation: a fresh read-only sysfs"),
    MQUEUE("mqueue", "operation: a fresh mqueue file system"),
    DEV("dev", "operation: the minimal /dev"),
    MKDIR("mkdir", "operation: a directory (also a mount point created in the sandbox's view)"),
    READLINK("readlink", "following a symbolic link in the sandbox's view"),
    SYMLINK("symlink", "operation: a symbolic link (also a host symlink copied into the view)"),
    MASK("mask", "operation: hiding a path in the sandbox's view"),
    REMOUNT_RO("remount-ro", "operation: making a path or the root read-only"),
    SWITCH_ROOT("switch-root", "operation: entering the new root and detaching the host's"),
    PIVOT_ROOT("pivot_root", "entering a root staged for a host-root view"),
    UMOUNT("umount", "detaching the host's root after entering a staged one"),
    CHDIR("chdir", "operation: the working directory"),
    LOOPBACK("loopback", "bringing lo up in the new network namespace"),
    SETNS("setns", "entering the network namespace a root helper made ahead of time, or coming back to its own"),
    LOCK_MOUNTS("lock-mounts", "the nested user namespace that locks every mount"),
    SETSID("setsid", "a new session for the command"),
    SETRESGID("setresgid", "the command's group id"),
    SETRESUID("setresuid", "the command's user id"),
    CAPABILITIES("capabilities", "the bounding, permitted and ambient capability sets"),
    SECCOMP("seccomp", "installing the seccomp filter"),
    LANDLOCK("landlock", "the Landlock ruleset: the kernel's ABI, a rule's path, or restricting the command"),
    INIT("init", "the sandbox's PID 1"),
    FORK("fork", "PID 1 starting the command"),
    CPU_TIME("cpu-time", "reading the cgroup's CPU usage file for the CPU-time limit"),
    RLIMIT("rlimit", "a resource limit of the command (setrlimit); the path names it, e.g. RLIMIT_NOFILE"),
    EXECVE("execve", "running the command; the path is the file tried");

    private static final Map<String, Step> BY_WIRE_NAME = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(Step::wireName, Function.identity()));

    private final String wireName;
    private final String meaning;

    Step(String wireName, String meaning) {
        this.wireName = wireName;
        this.meaning = meaning;
    }

    /** The name in the {@code ERROR} frame and in {@link dev.sandbox.SandboxException#step()}. */
    public String wireName() {
        return wireName;
    }

    /** What the helper was doing at this step, in a few words. */
    public String meaning() {
        return meaning;
    }

    /** The step with this wire name; empty for a name the helper does not use (a JVM-side step). */
    public static Optional<Step> of(String wireName) {
        return Optional.ofNullable(BY_WIRE_NAME.get(wireName));
    }
}
