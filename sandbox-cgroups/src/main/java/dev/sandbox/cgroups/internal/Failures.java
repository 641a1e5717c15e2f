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

    /** What an unprivileged caller must do to get cgroups at all. */
    public static final String DELEGATE = "as an unprivileged user, delegate a subtree: on cgroup v2 run under systemd"
            + " with Delegate=yes (systemd-run --user --scope -p Delegate=yes ...), on v1 chown a directory of each"
            + " controller to your uid and pass it as the prefix (Cgroups.at(host, prefix))";

    private Failures() {
    }

    /** A failed system call on {@code path}. */
    public static CgroupException io(String setting, String action, Path path, IOException e) {
        int errno = Errno.of(e);
        String hint = hint(errno);
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

    private static String hint(int errno) {
        if (errno == Errno.EACCES || errno == Errno.EPERM) {
            return ProcessFacts.root()
                    ? "this root process may not write there (a container's read-only or foreign cgroup mount?)"
                    : DELEGATE;
        }
        if (errno == Errno.EROFS) {
            return "the cgroup file system is mounted read-only (inside a container, ask for a writable cgroup"
                    + " mount or a delegated subtree)";
        }
        return null;
    }
}
