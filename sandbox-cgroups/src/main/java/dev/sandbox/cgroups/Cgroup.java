package dev.sandbox.cgroups;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One sandbox's control group: a directory in every cgroup v1 hierarchy it needs, or one
 * directory of the unified (v2) hierarchy. Made by {@link Cgroups#create(Limits)} with its limits
 * already written and verified; {@link #close()} kills what is left in it and removes it.
 *
 * <pre>{@code
 * try (Cgroup group = Cgroups.detect().create(Limits.builder().memoryMax(64L << 20).build())) {
 *     Process p = new ProcessBuilder("sh", "-c", "read _; exec my-tool").start();
 *     group.addProcess(p.pid());   // before it does any work
 *     p.getOutputStream().close(); // let it go
 *     p.waitFor();
 *     System.out.println(group.usage() + " oom: " + group.oomKilled());
 * }
 * }</pre>
 *
 * <p>Implementations are thread-safe. Methods that touch the kernel throw {@link CgroupException}
 * naming the step, the file and the errno.
 */
public interface Cgroup extends AutoCloseable {

    /** The group's path below each hierarchy's root, e.g. {@code sandbox/jvm-4242-1234567/7}. */
    String name();

    /** What was asked for; all of it is in force. */
    Limits limits();

    /**
     * The group's directory in each hierarchy it spans (one on v2), in the order they were
     * created: where its limits are written and its usage is read.
     */
    List<Path> directories();

    /**
     * Where its processes are placed: for a group made with a leaf
     * ({@link Cgroups#create(Limits, String)}) the leaf below each of {@link #directories()},
     * else {@link #directories()} itself.
     */
    List<Path> leafDirectories();

    /**
     * The {@code cgroup.procs} files a pid must be written into to place a process in this group
     * (in its leaf, if it has one): one per v1 hierarchy, or one on v2. A native helper writes
     * its child's pid into each BEFORE the child runs the command (or uses
     * {@link #unifiedDirectory()} with {@code clone3(CLONE_INTO_CGROUP)}).
     */
    List<Path> procsFiles();

    /**
     * The v2 directory processes are placed in (the leaf, if the group has one), for
     * {@code clone3(CLONE_INTO_CGROUP)}; empty for a v1 group.
     */
    Optional<Path> unifiedDirectory();

    /**
     * What this group does not do that a reader might expect, e.g. that swap could not be
     * limited because the kernel has no swap accounting, or that a hierarchy used only for
     * measuring was not writable. Empty when everything applied.
     */
    List<String> notes();

    /**
     * The one file the kernel counts the group's CPU time in (its processes, including those that
     * have exited, and its leaf), for a reader that watches it: v2 {@code cpu.stat}, whose first line
     * is {@code usage_usec <microseconds>}; v1 {@code cpuacct.usage}, one number of nanoseconds.
     * Empty when the group is in no hierarchy that counts CPU time (v1 without cpuacct; see
     * {@link Limits.Builder#cpuAccounting()}).
     */
    Optional<Path> cpuUsageFile();

    /** Moves process {@code pid} (all its threads) into the group (its leaf, if it has one), in every hierarchy. */
    void addProcess(long pid) throws CgroupException;

    /**
     * The processes in the group and its leaf now, read from {@code cgroup.procs} of every
     * hierarchy, without duplicates.
     */
    List<Long> pids() throws CgroupException;

    /** What the group has used so far; see {@link Usage} for where each number comes from. */
    Usage usage() throws CgroupException;

    /**
     * Whether the OOM killer killed a process in the group ({@code memory.events} oom_kill on v2,
     * {@code memory.oom_control} oom_kill on v1). {@code false} also when the group is not in a
     * memory hierarchy; {@link Usage#oomKills()} is empty then.
     */
    boolean oomKilled() throws CgroupException;

    /**
     * Stops every process of the group (v2 {@code cgroup.freeze}, v1 {@code freezer.state}) and
     * returns once the kernel reports the group frozen.
     */
    void freeze() throws CgroupException;

    /** Undoes {@link #freeze()}; returns once the kernel reports the group thawed. */
    void thaw() throws CgroupException;

    /**
     * Kills every process in the group with SIGKILL and returns once the group is empty: v2
     * {@code cgroup.kill} where the kernel has it (5.14+); otherwise freeze, SIGKILL each pid,
     * thaw, repeated until empty (processes cannot fork while frozen). Leaves the group thawed.
     */
    void killAll() throws CgroupException;

    /**
     * Kills what is left, waits until the group is empty and removes every directory this group
     * created (the leaf, then the group), deepest first. Idempotent; after a failure, calling it
     * again retries.
     */
    @Override
    void close() throws CgroupException;
}
