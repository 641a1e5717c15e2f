package dev.sandbox.cgroups.internal;

import dev.sandbox.cgroups.CgroupException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child group below a group that takes the group's processes, so that the files holding the
 * limits are never those of the processes' own group ({@code Cgroups.create(limits, leaf)}).
 *
 * <p><strong>Internal usage only.</strong>
 */
final class Leaf {

    private Leaf() {
    }

    /** {@code dirs}, each with {@code leaf} appended; {@code dirs} itself if {@code leaf} is null. */
    static List<Path> below(List<Path> dirs, String leaf) {
        if (leaf == null) {
            return List.copyOf(dirs);
        }
        List<Path> out = new ArrayList<>(dirs.size());
        for (Path d : dirs) {
            out.add(d.resolve(leaf));
        }
        return List.copyOf(out);
    }

    /** Makes {@code leaf} below each of {@code dirs}, adding each one made to {@code made}. */
    static void make(CgroupFs fs, String setting, List<Path> dirs, String leaf, List<Path> made) throws CgroupException {
        for (Path dir : below(dirs, leaf)) {
            try {
                fs.mkdir(dir);
            } catch (IOException e) {
                throw Failures.io(setting, "create", dir, e);
            }
            made.add(dir);
        }
    }
}
