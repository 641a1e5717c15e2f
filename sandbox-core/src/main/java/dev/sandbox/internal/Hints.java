package dev.sandbox.internal;

import dev.sandbox.base.Errno;

import static dev.sandbox.base.Errno.EACCES;
import static dev.sandbox.base.Errno.EINVAL;
import static dev.sandbox.base.Errno.ENOSPC;
import static dev.sandbox.base.Errno.EPERM;
import static dev.sandbox.base.Errno.EUSERS;

/**
 * What to do about a setup failure whose errno alone says little. Hints name the host setting
 * to look at; {@code Sandbox.probe()} checks them all.
 */
final class Hints {

    private Hints() {
    }

    static String forStep(String step, int errno) {
        switch (step) {
            case "clone":
                if (errno == EPERM || errno == EACCES) {
                    return "the kernel refused to create the namespaces; Sandbox.probe() says why"
                            + " (user.max_user_namespaces, kernel.unprivileged_userns_clone,"
                            + " kernel.apparmor_restrict_unprivileged_userns, or an outer container's seccomp profile)";
                }
                if (errno == ENOSPC || errno == EUSERS) {
                    return "a namespace limit is exhausted (see /proc/sys/user/max_*_namespaces)";
                }
                if (errno == EINVAL) {
                    return "this kernel does not support one of the requested namespace types; Sandbox.probe() lists them";
                }
                return "";
            case "uid_map":
            case "gid_map":
            case "setgroups":
                return errno == EPERM
                        ? "an unprivileged caller can map only its own uid and gid (single-id mapping)"
                        : "";
            case "proc":
                return errno == EPERM
                        ? "the kernel refused a new procfs; inside a container whose /proc is partly masked it refuses"
                        + " new proc mounts (mount_too_revealing)"
                        : "";
            case "idmap":
                return errno == EINVAL
                        ? "the command runs as a leased host uid and a writable bind is idmapped to it, but this file"
                        + " system (or one mounted below the source) cannot be idmapped (tmpfs before Linux 6.3, sysfs,"
                        + " procfs, 9p, overlayfs): bind a directory on ext4, xfs or btrfs, make the bind read-only"
                        + " (readOnlyBind falls back to a plain bind), or use runAsCallerUid()"
                        : "";
            case "landlock":
                return errno == Errno.ENOSYS || errno == Errno.EOPNOTSUPP
                        ? "this kernel offers no Landlock (built without CONFIG_SECURITY_LANDLOCK, or lsm= without"
                        + " landlock); Sandbox.probe() reports its ABI"
                        : errno == EPERM ? "Landlock needs no_new_privs or CAP_SYS_ADMIN: drop allowNewPrivileges()" : "";
            case "rlimit":
                return errno == EPERM
                        ? "a hard limit above the one the sandbox inherited from the JVM (or NOFILE above fs.nr_open):"
                        + " a sandbox can only lower hard limits"
                        : "";
            default:
                return "";
        }
    }
}
