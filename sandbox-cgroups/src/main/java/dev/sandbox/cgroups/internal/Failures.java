package dev.sandbox.cgroups.internal;

import dev.sandbox.cgroups.CgroupException;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds every {@link CgroupException}, so all read alike:
 * {@code <setting>: cannot <action> <path>: <ERRNO> (<strerror>); <what to do>}.
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
        Errno errno = Errno.of(e);
        String hint = hint(errno, path);
        return new CgroupException(setting, path, errno.known() ? errno.name() : null,
                setting + ": cannot " + action + " " + path + ": " + errno + (hint == null ? "" : "; " + hint), e);
    }

    /** A failed system call on {@code path}, with a hint specific to the caller. */
    public static CgroupException io(String setting, String action, Path path, IOException e, String hint) {
        Errno errno = Errno.of(e);
        return new CgroupException(setting, path, errno.known() ? errno.name() : null,
                setting + ": cannot " + action + " " + path + ": " + errno + "; " + hint, e);
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

    private static String hint(Errno errno, Path path) {
        switch (errno.name()) {
            case "EACCES", "EPERM" -> {
                return Proc.euid() == 0
                        ? "this root process may not write there (a container's read-only or foreign cgroup mount?)"
                        : DELEGATE;
            }
            case "EROFS" -> {
                return "the cgroup file system is mounted read-only (inside a container, ask for a writable cgroup"
                        + " mount or a delegated subtree)";
            }
            default -> {
                return null;
            }
        }
    }
}
