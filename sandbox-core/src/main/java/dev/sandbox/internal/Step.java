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
    CLONE("clone", "creating the sandbox's first process in its namespaces"),
    SETGROUPS("setgroups", "writing deny to /proc/<pid>/setgroups"),
    UID_MAP("uid_map", "writing /proc/<pid>/uid_map"),
    GID_MAP("gid_map", "writing /proc/<pid>/gid_map"),
    SYNC("sync", "telling the sandbox its id maps are written"),
    POLL("poll", "waiting for the sandbox to exec"),
    TIMEOUT("timeout", "the wall-clock limit passed during setup (ETIMEDOUT)"),
    CHILD("child", "the error channel failed or carried a malformed record"),
    SETHOSTNAME("sethostname", "the UTS namespace's hostname"),
    MOUNT_PRIVATE("mount-private", "making the mount tree private"),
    TMPFS("tmpfs", "a tmpfs: the new root, a staging area or a declared tmpfs mount"),
    BIND("bind", "a bind mount; the path is its source"),
    RO_BIND("ro-bind", "making a bind mount read-only"),
    PROC("proc", "a fresh procfs on /proc"),
    SYSFS("sysfs", "a fresh read-only sysfs on /sys"),
    DEV("dev", "the minimal /dev"),
    MKDIR("mkdir", "creating a mount point in the sandbox's view"),
    READLINK("readlink", "following a symbolic link in the sandbox's view"),
    SYMLINK("symlink", "a symbolic link in the minimal /dev"),
    MASK("mask", "hiding a host path in the sandbox's view"),
    PIVOT_ROOT("pivot_root", "switching to the new root"),
    UMOUNT("umount", "detaching the old root"),
    REMOUNT_RO("remount-ro", "making a path or the root read-only"),
    CHDIR("chdir", "entering the working directory"),
    LOOPBACK("loopback", "bringing lo up in the new network namespace"),
    LOCK_MOUNTS("lock-mounts", "the nested user namespace that locks every mount"),
    SETSID("setsid", "a new session for the command"),
    SETRESGID("setresgid", "the command's group id"),
    SETRESUID("setresuid", "the command's user id"),
    CAPABILITIES("capabilities", "the bounding, permitted and ambient capability sets"),
    SECCOMP("seccomp", "installing the seccomp filter"),
    INIT("init", "the sandbox's PID 1"),
    FORK("fork", "PID 1 starting the command"),
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
