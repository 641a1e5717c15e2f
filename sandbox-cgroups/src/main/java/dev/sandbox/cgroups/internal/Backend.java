package dev.sandbox.cgroups.internal;

import dev.sandbox.cgroups.Cgroup;
import dev.sandbox.cgroups.CgroupException;
import dev.sandbox.cgroups.Limits;

import java.nio.file.Path;
import java.util.List;

/**
 * Creates groups on one kind of host: cgroup v1 hierarchies, or the unified v2 hierarchy.
 *
 * <p><strong>Internal usage only.</strong>
 */
public interface Backend {

    /**
     * Creates {@code <prefix>/<marker>/<n>} with {@code limits} written and verified and, unless
     * {@code leaf} is null, {@code <n>/<leaf>} for its processes; on failure removes what it
     * made. {@code notes} holds what the caller already has to say.
     */
    Cgroup create(Limits limits, String marker, long n, String leaf, List<String> notes) throws CgroupException;

    /** Each hierarchy's prefix directory, where the JVM markers live. */
    List<Path> prefixDirectories();

    /** What this backend will do on this host, and what it cannot. */
    List<String> describe();

    /**
     * Controller → the first setting of {@code limits} that needs it; {@code io} names the block
     * I/O controller ({@code blkio} on v1, {@code io} on v2). Only the memory controller knows
     * memoryHigh, and only on v2 (the v1 backend refuses it before asking).
     */
    static java.util.Map<String, String> required(Limits limits, String io) {
        java.util.Map<String, String> r = new java.util.LinkedHashMap<>();
        if (limits.memoryMax().isPresent()) {
            r.put("memory", "memoryMax");
        } else if (limits.memoryHigh().isPresent()) {
            r.put("memory", "memoryHigh");
        }
        if (limits.cpus().isPresent()) {
            r.put("cpu", "cpus");
        } else if (limits.cpuWeight().isPresent()) {
            r.put("cpu", "cpuWeight");
        }
        if (limits.cpuset().isPresent()) {
            r.put("cpuset", "cpuset");
        }
        if (!limits.ioMax().isEmpty()) {
            r.put(io, "ioMax");
        }
        if (limits.pidsMax().isPresent()) {
            r.put("pids", "pidsMax");
        }
        return r;
    }

    /** A host without any cgroup mount: every create fails, and says why. */
    static Backend unavailable(String why) {
        return new Backend() {
            @Override
            public Cgroup create(Limits limits, String marker, long n, String leaf, List<String> notes)
                    throws CgroupException {
                throw Failures.refused("create", null, why);
            }

            @Override
            public List<Path> prefixDirectories() {
                return List.of();
            }

            @Override
            public List<String> describe() {
                return List.of(why);
            }
        };
    }
}
