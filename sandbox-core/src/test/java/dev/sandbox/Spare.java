package dev.sandbox;

import dev.sandbox.internal.CgroupedHelpers;
import dev.sandbox.internal.HelperPool;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The helpers the library starts ahead of time (HelperPool, and CgroupedHelpers' helpers already
 * placed in a fresh cgroup) are the only processes, control sockets and cgroups of this JVM that
 * belong to no sandbox; leak checks subtract exactly those, after the background work has settled.
 */
final class Spare {

    private Spare() {
    }

    /** This JVM's child processes other than idle helpers (plain, or already placed in a cgroup). */
    static List<Long> childrenBesidesIdleHelpers() throws IOException, InterruptedException {
        settle();
        List<Integer> idle = new java.util.ArrayList<>(HelperPool.get().idlePids());
        idle.addAll(CgroupedHelpers.get().sparePids());
        List<Long> children = Kernel.children();
        assertThat(children.stream().filter(p -> idle.contains(p.intValue())).count())
                .as("every idle helper is a live child of this JVM").isEqualTo(idle.size());
        return children.stream().filter(p -> !idle.contains(p.intValue())).toList();
    }

    /** This JVM's open fds other than idle helpers' control sockets. */
    static List<String> fdsBesidesIdleHelpers() throws IOException, InterruptedException {
        settle();
        List<Integer> idle = new java.util.ArrayList<>(HelperPool.get().idleFds());
        idle.addAll(CgroupedHelpers.get().spareFds());
        return Kernel.openFds().stream()
                .filter(f -> !idle.contains(Integer.parseInt(f.substring(0, f.indexOf(' ')))))
                .toList();
    }

    /** The groups of helpers placed ahead of time: they exist while no sandbox runs in them. */
    static List<java.nio.file.Path> spareGroups() throws InterruptedException {
        settle();
        return CgroupedHelpers.get().spareGroups();
    }

    static void settle() throws InterruptedException {
        assertThat(HelperPool.get().awaitSettled(5000)).as("helper pool settled").isTrue();
        assertThat(CgroupedHelpers.get().awaitSettled(30000)).as("cgroup spares and removals settled").isTrue();
    }
}
