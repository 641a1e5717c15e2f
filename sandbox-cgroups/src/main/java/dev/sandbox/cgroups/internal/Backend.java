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
     * Creates {@code <prefix>/<marker>/<n>} with {@code limits} written and verified; on failure
     * removes what it made. {@code notes} holds what the caller already has to say.
     */
    Cgroup create(Limits limits, String marker, long n, List<String> notes) throws CgroupException;

    /** Each hierarchy's prefix directory, where the JVM markers live. */
    List<Path> prefixDirectories();

    /** What this backend will do on this host, and what it cannot. */
    List<String> describe();

    /** A host without any cgroup mount: every create fails, and says why. */
    static Backend unavailable(String why) {
        return new Backend() {
            @Override
            public Cgroup create(Limits limits, String marker, long n, List<String> notes) throws CgroupException {
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
