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

    V1Cgroup(CgroupFs fs, String name, Limits limits, List<Path> directories, Map<String, Path> byController,
             List<String> notes, List<SharedDir> parents) {
        super(fs, name, limits, directories, removalOrder(directories, byController), notes, parents);
        this.byController = Map.copyOf(byController);
    }

    private static List<Path> removalOrder(List<Path> dirs, Map<String, Path> byController) {
        Path freezer = byController.get("freezer");
        List<Path> out = new ArrayList<>(dirs);
        if (freezer != null && out.remove(freezer)) {
            out.add(freezer);
        }
        return List.copyOf(out);
    }

    private Path file(String controller, String name) {
        Path dir = byController.get(controller);
        return dir == null ? null : dir.resolve(name);
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
        Optional<String> oom = readOptional(file("memory", "memory.oom_control"));
        return new Usage(
                readLong(file("memory", "memory.max_usage_in_bytes")),
                readLong(file("memory", "memory.usage_in_bytes")),
                nanos(user),
                nanos(sys),
                nanos(readLong(file("cpuacct", "cpuacct.usage"))),
                nanos(cpuStat.isEmpty() ? OptionalLong.empty() : Formats.key(cpuStat.get(), "throttled_time")),
                readLong(file("pids", "pids.peak")),
                readLong(file("pids", "pids.current")),
                oom.isEmpty() ? OptionalLong.empty() : Formats.key(oom.get(), "oom_kill"));
    }

    private static OptionalLong ticks(OptionalLong ticks) {
        return ticks.isEmpty() ? ticks : OptionalLong.of(Units.ticksToNanos(ticks.getAsLong()));
    }

    private static Optional<Duration> nanos(OptionalLong nanos) {
        return nanos.isEmpty() ? Optional.empty() : Optional.of(Duration.ofNanos(nanos.getAsLong()));
    }

    @Override
    public boolean oomKilled() throws CgroupException {
        Optional<String> oom = readOptional(file("memory", "memory.oom_control"));
        return oom.isPresent() && Formats.key(oom.get(), "oom_kill").orElse(0) > 0;
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
