package dev.sandbox.cgroups.internal;

import dev.sandbox.cgroups.CgroupException;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Removes what JVMs that no longer run left under the library's prefix: directories named like a
 * {@link JvmMarker} whose JVM is gone, with everything below them. Nothing else is touched.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Sweeper {

    private Sweeper() {
    }

    /** Sweeps each of {@code prefixDirs}; returns the directories removed, deepest first. */
    public static List<Path> sweep(CgroupFs fs, List<Path> prefixDirs) throws CgroupException {
        List<Path> removed = new ArrayList<>();
        CgroupException first = null;
        long deadline = System.nanoTime() + Poll.DEFAULT_TIMEOUT_NANOS;
        for (Path prefixDir : prefixDirs) {
            List<Path> children;
            try {
                children = fs.directories(prefixDir);
            } catch (NoSuchFileException none) {
                continue;
            } catch (IOException e) {
                first = first != null ? first : Failures.io("sweepStale", "list", prefixDir, e);
                continue;
            }
            for (Path child : children) {
                String name = child.getFileName().toString();
                if (!JvmMarker.isStale(name)) {
                    continue; // not ours, or its JVM still runs
                }
                try {
                    Trees.remove(fs, child, deadline, removed);
                } catch (IOException e) {
                    first = first != null ? first : Failures.io("sweepStale", "remove", child, e);
                } catch (IllegalStateException self) {
                    first = first != null ? first : Failures.refused("sweepStale", child, self.getMessage());
                }
            }
        }
        if (first != null) {
            throw first;
        }
        return removed;
    }
}
