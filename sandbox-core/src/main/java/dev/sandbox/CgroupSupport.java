package dev.sandbox;

import dev.sandbox.base.Errno;
import dev.sandbox.cgroups.Cgroup;
import dev.sandbox.cgroups.CgroupException;
import dev.sandbox.cgroups.Cgroups;
import dev.sandbox.cgroups.Limits;
import dev.sandbox.internal.CgroupedHelpers;

/** Where Sandbox meets sandbox-cgroups: the runtime's factory, failures as SandboxException. */
final class CgroupSupport {

    private CgroupSupport() {
    }

    /**
     * A helper of {@code runtime} in a fresh group with {@code limits} written and verified, made by
     * {@code factory} (null: the runtime's default); fails closed, leaving nothing behind.
     */
    static CgroupedHelpers.Placed place(SandboxRuntime runtime, Cgroups factory, Limits limits) throws SandboxException {
        try {
            return runtime.placed().take(factory != null ? factory : runtime.cgroups(), limits);
        } catch (CgroupException e) {
            if ("cpuAccounting".equals(e.setting())) { // what Sandbox asks for a cpuTimeLimit
                throw SandboxException.withMessage("cgroup", e.path().map(Object::toString).orElse(""),
                        e.errno().map(Errno::number).orElse(0),
                        "cpuTimeLimit: the sandbox's cgroup cannot count its CPU time; " + e.getMessage(), e);
            }
            throw wrap("cgroup", e);
        } catch (RuntimeException e) {
            throw new SandboxException("cgroup", "", "cannot use this host's cgroups: " + e.getMessage(), e);
        }
    }

    /** The file {@code placed}'s group counts its CPU time in, for the helper's CPU-time watch. */
    static java.nio.file.Path cpuUsageFile(CgroupedHelpers.Placed placed) throws SandboxException {
        Cgroup g = placed.cgroup();
        return g.cpuUsageFile().orElseThrow(() -> new SandboxException("cpu-time",
                g.directories().isEmpty() ? "" : g.directories().get(0).toString(), Errno.ENOENT,
                "cpuTimeLimit: the sandbox's cgroup is in no hierarchy that counts CPU time (cgroup v1: mount cpuacct)"));
    }

    static void closeAfterFailure(Cgroup cgroup, Throwable failure) {
        try {
            cgroup.close();
        } catch (CgroupException e) {
            failure.addSuppressed(e);
        }
    }

    /** The cgroup library's message already names setting, file, errno and remedy. */
    static SandboxException wrap(String step, CgroupException e) {
        int errno = e.errno().map(Errno::number).orElse(0);
        return SandboxException.withMessage(step, e.path().map(Object::toString).orElse(""), errno, e.getMessage(), e);
    }
}
