package dev.sandbox.cgroups.internal;

import dev.sandbox.base.Errno;
import dev.sandbox.base.ProcessFacts;
import dev.sandbox.cgroups.CgroupException;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds every {@link CgroupException}, so all read alike:
 * {@code <setting>: cannot <action> <path>: <ERRNO> (<description>); <what to do>}. The errno is the
 * failed call's own ({@link Errno#of}: never recovered from message text) and its description the
 * table's English one, so messages read the same under every locale.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Failures {

    /** What an unprivileged caller must do to get cgroups at all, on a cgroup v2 (unified) hierarchy. */
    public static final String DELEGATE_V2 = "as an unprivileged user, run in a delegated group: under systemd,"
            + " systemd-run --user --scope -p Delegate=yes <command>, or Delegate=yes in the service's unit; without"
            + " systemd, have root chown a group's directory and its cgroup.procs, cgroup.subtree_control and"
            + " cgroup.threads to your uid and start this process in it";
    /** The same on cgroup v1 hierarchies, where systemd's delegation does not reach the controllers. */
    public static final String DELEGATE_V1 = "as an unprivileged user on cgroup v1, delegate a subtree: have root make a directory in each"
            + " controller's hierarchy, chown it (and its cgroup.procs and tasks) to your uid, and pass its name as the"
            + " prefix (Cgroups.at(host, prefix))";

    /** {@link #DELEGATE_V2} or {@link #DELEGATE_V1}, for the hierarchy {@code path} is in. */
    public static String delegate(Path path) {
        return isUnified(path) ? DELEGATE_V2 : DELEGATE_V1;
    }

    /** Whether {@code path} (or its nearest existing ancestor) is on a cgroup2 file system. */
    private static boolean isUnified(Path path) {
        for (Path p = path; p != null; p = p.getParent()) {
            try {
                return java.nio.file.Files.getFileStore(p).type().equals("cgroup2");
            } catch (IOException | RuntimeException missing) {
                // not there (yet): ask its parent
            }
        }
        return false;
    }

    private Failures() {
    }

    /** A failed system call on {@code path}. */
    public static CgroupException io(String setting, String action, Path path, IOException e) {
        int errno = Errno.of(e);
        String hint = hint(errno, path);
        return new CgroupException(setting, path, errno != 0 ? Errno.name(errno) : null,
                setting + ": cannot " + action + " " + path + ": " + describe(errno, e) + (hint == null ? "" : "; " + hint), e);
    }

    /** A failed system call on {@code path}, with a hint specific to the caller. */
    public static CgroupException io(String setting, String action, Path path, IOException e, String hint) {
        int errno = Errno.of(e);
        return new CgroupException(setting, path, errno != 0 ? Errno.name(errno) : null,
                setting + ": cannot " + action + " " + path + ": " + describe(errno, e) + "; " + hint, e);
    }

    /** {@code EBUSY (Device or resource busy)}; for an exception without a known errno, its type and message. */
    private static String describe(int errno, IOException e) {
        return errno != 0 ? Errno.describe(errno) : "errno unknown (" + e + ")";
    }

    /** A refusal that is no failed system call (a value read back differs, a controller is missing). */
    public static CgroupException refused(String setting, Path path, String message) {
        return new CgroupException(setting, path, null, setting + ": " + message, null);
    }

    /** The kernel accepted a write but reads back something else: the limit is not what was asked. */
    public static CgroupException mismatch(String setting, Path file, String wrote, String readBack) {
        return refused(setting, file, "wrote '" + wrote + "' to " + file + " but read back '" + readBack.trim()
                + "'; the kernel did not apply the limit as asked");
    }

    private static String hint(int errno, Path path) {
        if (errno == Errno.EACCES || errno == Errno.EPERM) {
            return ProcessFacts.root()
                    ? "this root process may not write there (a container's read-only or foreign cgroup mount?)"
                    : delegate(path);
        }
        if (errno == Errno.EROFS) {
            return "the cgroup file system is mounted read-only (inside a container, ask for a writable cgroup"
                    + " mount or a delegated subtree)";
        }
        return null;
    }
}
