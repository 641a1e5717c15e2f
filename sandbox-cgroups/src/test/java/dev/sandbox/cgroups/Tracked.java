package dev.sandbox.cgroups;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The groups and gated processes one kernel test made, ended after it whatever happened. */
final class Tracked {

    private final List<Process> started = new ArrayList<>();
    private final List<Cgroup> groups = new ArrayList<>();

    Cgroup create(Cgroups cgroups, Limits limits) throws CgroupException {
        Cgroup g = cgroups.create(limits);
        groups.add(g);
        return g;
    }

    /** A group with a leaf for its processes ({@link Cgroups#create(Limits, String)}). */
    Cgroup create(Cgroups cgroups, Limits limits, String leaf) throws CgroupException {
        Cgroup g = cgroups.create(limits, leaf);
        groups.add(g);
        return g;
    }

    /** {@link Kernel#gated}, remembered so it is killed after the test. */
    Process gated(String script) throws IOException {
        return track(Kernel.gated(script));
    }

    /** Any other process the test started, killed after it too. */
    Process track(Process p) {
        started.add(p);
        return p;
    }

    /** Kills the processes first: a group with processes in it cannot be removed. */
    void cleanUp() throws Exception {
        for (Process p : started) {
            Kernel.kill(p);
        }
        for (Cgroup g : groups) {
            g.close();
        }
    }
}
