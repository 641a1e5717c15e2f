package dev.sandbox.cgroups.internal;

import dev.sandbox.base.Checks;
import dev.sandbox.base.Errno;
import dev.sandbox.base.ProcessFacts;
import dev.sandbox.base.Signals;
import dev.sandbox.cgroups.Cgroup;
import dev.sandbox.cgroups.CgroupException;
import dev.sandbox.cgroups.Limits;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What v1 and v2 groups share: placing, listing, the freeze-kill-thaw loop, removal.
 *
 * <p><strong>Internal usage only.</strong>
 */
abstract class AbstractCgroup implements Cgroup {

    private static final long FREEZE_WAIT_IN_KILL = TimeUnit.SECONDS.toNanos(1);
    private static final long SETTLE_AFTER_KILL = TimeUnit.MILLISECONDS.toNanos(100);

    final CgroupFs fs;
    private final String name;
    private final Limits limits;
    private final List<Path> directories;
    private final List<Path> leafDirectories;
    private final List<Path> procsFiles;
    private final List<String> notes;
    private final List<SharedDir> parents;

    /** Directories not removed yet, in removal order; replaced, never changed in place. */
    private volatile List<Path> remaining;
    private boolean closed;

    /**
     * @param leafDirectories where processes go: a leaf below each of {@code directories}, or
     *                        {@code directories} itself
     * @param removalOrder    every directory this group made, in the order {@link #close()}
     *                        removes them: leaves first, and in each level the one that can
     *                        freeze last, so kill-all works until the end
     */
    AbstractCgroup(CgroupFs fs, String name, Limits limits, List<Path> directories, List<Path> leafDirectories,
                   List<Path> removalOrder, List<String> notes, List<SharedDir> parents) {
        this.fs = fs;
        this.name = name;
        this.limits = limits;
        this.directories = List.copyOf(directories);
        this.leafDirectories = List.copyOf(leafDirectories);
        List<Path> procs = new ArrayList<>();
        for (Path d : leafDirectories) {
            procs.add(d.resolve("cgroup.procs"));
        }
        this.procsFiles = Collections.unmodifiableList(procs);
        this.notes = List.copyOf(notes);
        this.parents = List.copyOf(parents);
        this.remaining = List.copyOf(removalOrder);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Limits limits() {
        return limits;
    }

    @Override
    public List<Path> directories() {
        return directories;
    }

    @Override
    public List<Path> leafDirectories() {
        return leafDirectories;
    }

    @Override
    public List<Path> procsFiles() {
        return procsFiles;
    }

    @Override
    public Optional<Path> unifiedDirectory() {
        return Optional.empty();
    }

    @Override
    public List<String> notes() {
        return notes;
    }

    @Override
    public void addProcess(long pid) throws CgroupException {
        Checks.check(pid > 0, "addProcess", pid, "a pid > 0");
        String value = Long.toString(pid);
        for (Path f : procsFiles) {
            try {
                fs.write(f, value);
            } catch (IOException e) {
                throw Errno.of(e) == Errno.ESRCH
                        ? Failures.io("addProcess", "move pid " + pid + " into", f, e, "no such process (it exited?)")
                        : Failures.io("addProcess", "move pid " + pid + " into", f, e);
            }
        }
    }

    @Override
    public List<Long> pids() throws CgroupException {
        Set<Long> out = new LinkedHashSet<>();
        for (Path dir : remaining) {
            Path f = dir.resolve("cgroup.procs");
            try {
                out.addAll(Formats.pids(fs.read(f)));
            } catch (NoSuchFileException removed) {
                // close() removed it meanwhile
            } catch (IOException e) {
                throw Failures.io("pids", "read", f, e);
            }
        }
        return List.copyOf(out);
    }

    /** The file that freezes the group, or {@code null} when it cannot be frozen. */
    abstract Path freezer();

    /** Asks the kernel to freeze or thaw. */
    abstract void requestFrozen(boolean frozen) throws IOException;

    /** Whether the kernel reports the group {@code frozen} (or thawed, for false). */
    abstract boolean reportsFrozen(boolean frozen) throws IOException;

    /** Kills the whole group in one kernel operation if the kernel can; false if it cannot. */
    boolean killByKernel() throws IOException {
        return false;
    }

    /** Whether no process is left in the group. */
    abstract boolean isEmpty() throws IOException;

    @Override
    public void freeze() throws CgroupException {
        setFrozen("freeze", true);
    }

    @Override
    public void thaw() throws CgroupException {
        setFrozen("thaw", false);
    }

    private void setFrozen(String step, boolean frozen) throws CgroupException {
        Path file = freezer();
        if (file == null) {
            throw Failures.refused(step, null, "group " + name + " cannot be frozen: "
                    + "no freezer (cgroup v1: the freezer hierarchy is not mounted or not writable; v2: kernel before 5.2)");
        }
        if (frozen) {
            refuseIfSelfInside(step);
        }
        try {
            requestFrozen(frozen);
        } catch (IOException e) {
            throw Failures.io(step, "write", file, e);
        }
        try {
            if (!Poll.until(() -> reportsFrozen(frozen), System.nanoTime() + Poll.DEFAULT_TIMEOUT_NANOS)) {
                throw Failures.refused(step, file, "group " + name + " is not " + (frozen ? "frozen" : "thawed")
                        + " after 10 s (a task in uninterruptible sleep?)");
            }
        } catch (CgroupException e) {
            throw e;
        } catch (IOException e) {
            throw Failures.io(step, "read the state of", file, e);
        }
    }

    /** Freezing or killing a group that holds this JVM would stop the JVM itself. */
    private void refuseIfSelfInside(String step) throws CgroupException {
        long self = ProcessFacts.pid();
        if (pids().contains(self)) {
            throw Failures.refused(step, directories.get(0), "this JVM (pid " + self + ") is in group " + name
                    + ": refusing to stop it; move it out first");
        }
    }

    @Override
    public void killAll() throws CgroupException {
        long deadline = System.nanoTime() + Poll.DEFAULT_TIMEOUT_NANOS;
        refuseIfSelfInside("killAll");
        try {
            if (killByKernel()) {
                if (!Poll.until(this::isEmpty, deadline)) {
                    throw Failures.refused("killAll", directories.get(0), "processes " + pids() + " remain in "
                            + name + " 10 s after cgroup.kill");
                }
                return;
            }
            Path freezer = freezer();
            while (true) {
                List<Long> pids = pids();
                if (pids.isEmpty()) {
                    return;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw Failures.refused("killAll", directories.get(0), "processes " + pids + " remain in "
                            + name + " after 10 s of SIGKILL");
                }
                if (freezer != null) {
                    // frozen, nothing can fork between the listing and the kill
                    requestFrozen(true);
                    Poll.until(() -> reportsFrozen(true), Math.min(deadline, System.nanoTime() + FREEZE_WAIT_IN_KILL));
                    pids = pids();
                }
                try {
                    for (long pid : pids) {
                        Signals.kill(pid);
                    }
                } finally {
                    if (freezer != null) {
                        requestFrozen(false);
                    }
                }
                Poll.until(this::isEmpty, Math.min(deadline, System.nanoTime() + SETTLE_AFTER_KILL));
            }
        } catch (CgroupException e) {
            throw e;
        } catch (IllegalStateException self) {
            throw Failures.refused("killAll", directories.get(0), self.getMessage());
        } catch (IOException e) {
            throw Failures.io("killAll", "kill the processes of", directories.get(0), e);
        }
    }

    @Override
    public synchronized void close() throws CgroupException {
        if (closed) {
            return;
        }
        closeKept(); // an open control file does not keep a group alive, but it would leak
        long deadline = System.nanoTime() + Poll.DEFAULT_TIMEOUT_NANOS;
        while (!remaining.isEmpty()) {
            Path dir = remaining.get(0);
            try {
                fs.rmdir(dir);
            } catch (NoSuchFileException gone) {
                // removed from outside: fine, it is what close wants
            } catch (IOException e) {
                if (Errno.of(e) != Errno.EBUSY || System.nanoTime() - deadline > 0) {
                    throw Failures.io("close", "remove", dir, e, Errno.of(e) == Errno.EBUSY
                            ? "processes " + pidsOrUnknown() + " or child groups remain after 10 s" : "see the errno");
                }
                killAll();
                removeChildGroups(deadline);
                continue;
            }
            remaining = remaining.subList(1, remaining.size());
        }
        closed = true;
        for (SharedDir parent : parents) {
            parent.release();
        }
    }

    /** Groups a sandboxed process made inside this one (with a cgroup namespace and delegation). */
    private void removeChildGroups(long deadline) throws CgroupException {
        for (Path dir : remaining) {
            try {
                for (Path child : fs.directories(dir)) {
                    Trees.remove(fs, child, deadline, new ArrayList<>());
                }
            } catch (NoSuchFileException gone) {
                // fine
            } catch (IOException e) {
                throw Failures.io("close", "remove a child group of", dir, e);
            }
        }
    }

    private String pidsOrUnknown() {
        try {
            return pids().toString();
        } catch (CgroupException e) {
            return "(unreadable)";
        }
    }

    /** A number from a one-value file, or empty if the kernel has no such file. */
    OptionalLong readLong(Path file) throws CgroupException {
        Optional<String> text = readOptional(file);
        return text.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Formats.single(text.get()));
    }

    /**
     * The file's text, or empty if the kernel has no such file. Files are kept open from their
     * first read until {@link #close()}: usage() read once ahead of time makes the read at a
     * sandbox's end one pread per file.
     */
    synchronized Optional<String> readOptional(Path file) throws CgroupException {
        if (file == null) {
            return Optional.empty();
        }
        try {
            if (!kept.containsKey(file)) {
                try {
                    kept.put(file, fs.keep(file));
                } catch (NoSuchFileException absent) {
                    kept.put(file, null);
                }
            }
            CgroupFs.Kept k = kept.get(file);
            return k == null ? Optional.empty() : Optional.of(k.read());
        } catch (NoSuchFileException absent) {
            return Optional.empty();
        } catch (IOException e) {
            throw Failures.io("usage", "read", file, e);
        }
    }

    private final java.util.Map<Path, CgroupFs.Kept> kept = new java.util.HashMap<>();

    private void closeKept() {
        for (CgroupFs.Kept k : kept.values()) {
            if (k != null) {
                try {
                    k.close();
                } catch (IOException ignored) {
                    // a read-only descriptor of a group being removed: nothing to lose
                }
            }
        }
        kept.clear();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", " + limits + "]";
    }
}
