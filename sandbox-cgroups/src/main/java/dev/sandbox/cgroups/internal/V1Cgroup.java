package dev.sandbox.cgroups.internal;

import dev.sandbox.cgroups.CgroupException;
import dev.sandbox.cgroups.Limits;
import dev.sandbox.cgroups.Usage;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A group spread over cgroup v1 hierarchies: one directory per mounted hierarchy it uses.
 *
 * <p><strong>Internal usage only.</strong>
 */
final class V1Cgroup extends AbstractCgroup {

    /** Controller name → the group's directory in that controller's hierarchy. */
    private final Map<String, Path> byController;
    /** The {@code memory.oom_control} files of the group and of its leaf (v1 counts a kill only where the victim was). */
    private final List<Path> oomControls;

    /** @param leaf the leaf's name below each directory, or null for a group that holds its processes itself */
    V1Cgroup(CgroupFs fs, String name, Limits limits, List<Path> directories, Map<String, Path> byController,
             String leaf, List<String> notes, List<SharedDir> parents) {
        super(fs, name, limits, directories, Leaf.below(directories, leaf),
                removalOrder(directories, byController, leaf), notes, parents);
        this.byController = Map.copyOf(byController);
        Path memory = byController.get("memory");
        this.oomControls = memory == null ? List.of() : leaf == null
                ? List.of(memory.resolve("memory.oom_control"))
                : List.of(memory.resolve("memory.oom_control"), memory.resolve(leaf).resolve("memory.oom_control"));
    }

    /** The leaves, then the groups; in each, the freezer's last. */
    private static List<Path> removalOrder(List<Path> dirs, Map<String, Path> byController, String leaf) {
        Path freezer = byController.get("freezer");
        List<Path> groups = new ArrayList<>(dirs);
        if (freezer != null && groups.remove(freezer)) {
            groups.add(freezer);
        }
        List<Path> out = new ArrayList<>(Leaf.below(groups, leaf));
        if (leaf != null) {
            out.addAll(groups);
        }
        return List.copyOf(out);
    }

    private Path file(String controller, String name) {
        Path dir = byController.get(controller);
        return dir == null ? null : dir.resolve(name);
    }

    @Override
    public Optional<Path> cpuUsageFile() {
        return Optional.ofNullable(file("cpuacct", "cpuacct.usage"));
    }

    @Override
    public Usage usage() throws CgroupException {
        OptionalLong user = readLong(file("cpuacct", "cpuacct.usage_user"));
        OptionalLong sys = readLong(file("cpuacct", "cpuacct.usage_sys"));
        if (user.isEmpty() || sys.isEmpty()) {
            // older kernels: only USER_HZ ticks
            Optional<String> stat = readOptional(file("cpuacct", "cpuacct.stat"));
            if (stat.isPresent()) {
                user = ticks(Formats.key(stat.get(), "user"));
                sys = ticks(Formats.key(stat.get(), "system"));
            }
        }
        Optional<String> cpuStat = readOptional(file("cpu", "cpu.stat"));
        return new Usage(
                readLong(file("memory", "memory.max_usage_in_bytes")),
                readLong(file("memory", "memory.usage_in_bytes")),
                nanos(user),
                nanos(sys),
                nanos(readLong(file("cpuacct", "cpuacct.usage"))),
                nanos(cpuStat.isEmpty() ? OptionalLong.empty() : Formats.key(cpuStat.get(), "throttled_time")),
                readLong(file("pids", "pids.peak")),
                readLong(file("pids", "pids.current")),
                oomKills());
    }

    /** The sum over the group and its leaf: the group's count misses kills in the leaf. */
    private OptionalLong oomKills() throws CgroupException {
        OptionalLong total = OptionalLong.empty();
        for (Path f : oomControls) {
            Optional<String> oom = readOptional(f);
            OptionalLong kills = oom.isEmpty() ? OptionalLong.empty() : Formats.key(oom.get(), "oom_kill");
            if (kills.isPresent()) {
                total = OptionalLong.of(total.orElse(0) + kills.getAsLong());
            }
        }
        return total;
    }

    private static OptionalLong ticks(OptionalLong ticks) {
        return ticks.isEmpty() ? ticks : OptionalLong.of(Units.ticksToNanos(ticks.getAsLong()));
    }

    private static Optional<Duration> nanos(OptionalLong nanos) {
        return nanos.isEmpty() ? Optional.empty() : Optional.of(Duration.ofNanos(nanos.getAsLong()));
    }

    @Override
    public boolean oomKilled() throws CgroupException {
        return oomKills().orElse(0) > 0;
    }

    @Override
    Path freezer() {
        return file("freezer", "freezer.state");
    }

    @Override
    void requestFrozen(boolean frozen) throws IOException {
        fs.write(freezer(), frozen ? "FROZEN" : "THAWED");
    }

    @Override
    boolean reportsFrozen(boolean frozen) throws IOException {
        return fs.read(freezer()).trim().equals(frozen ? "FROZEN" : "THAWED");
    }

    @Override
    boolean isEmpty() throws IOException {
        return pids().isEmpty();
    }
}
