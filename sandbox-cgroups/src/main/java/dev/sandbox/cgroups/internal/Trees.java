package dev.sandbox.cgroups.internal;

import dev.sandbox.base.Errno;
import dev.sandbox.base.Signals;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Removes a group and everything below it, deepest first, killing the processes of each
 * directory that the kernel still finds busy. For stale groups of a dead JVM and for groups a
 * sandboxed process made inside its own.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Trees {

    private Trees() {
    }

    /** Removes {@code dir}'s subdirectories, deepest first, then {@code dir}; the paths removed are added to {@code removed}. */
    public static void remove(CgroupFs fs, Path dir, long deadline, List<Path> removed) throws IOException {
        List<Path> children;
        try {
            children = fs.directories(dir);
        } catch (NoSuchFileException gone) {
            return;
        }
        for (Path child : children) {
            remove(fs, child, deadline, removed);
        }
        while (true) {
            try {
                fs.rmdir(dir);
                removed.add(dir);
                return;
            } catch (NoSuchFileException gone) {
                return;
            } catch (IOException e) {
                if (Errno.of(e) != Errno.EBUSY || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                killMembers(fs, dir);
                Poll.until(() -> isEmpty(fs, dir), Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100)));
            }
        }
    }

    /** SIGKILL to every process listed in {@code dir}'s cgroup.procs (v2: {@code cgroup.kill} where present). */
    static void killMembers(CgroupFs fs, Path dir) throws IOException {
        Path kill = dir.resolve("cgroup.kill");
        if (fs.exists(kill)) {
            fs.write(kill, "1");
            return;
        }
        for (long pid : Formats.pids(fs.read(dir.resolve("cgroup.procs")))) {
            Signals.kill(pid);
        }
    }

    static boolean isEmpty(CgroupFs fs, Path dir) throws IOException {
        try {
            return Formats.pids(fs.read(dir.resolve("cgroup.procs"))).isEmpty();
        } catch (NoSuchFileException gone) {
            return true;
        }
    }
}
