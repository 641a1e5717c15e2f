package dev.sandbox.cgroups.internal;

import dev.sandbox.cgroups.CgroupException;
import dev.sandbox.cgroups.Limits;
import dev.sandbox.cgroups.Usage;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A group of the unified (v2) hierarchy: one directory.
 *
 * <p><strong>Internal usage only.</strong>
 */
final class V2Cgroup extends AbstractCgroup {

    private final Path dir;
    private final Path leafDir;
    private final Boolean canKill;

    /**
     * @param leaf the leaf's name below {@code dir}, or null for a group that holds its processes
     *             itself. v2 counts, freezes and kills a subtree, so only placing uses the leaf.
     */
    V2Cgroup(CgroupFs fs, String name, Limits limits, Path dir, String leaf, List<String> notes, List<SharedDir> parents) {
        super(fs, name, limits, List.of(dir), Leaf.below(List.of(dir), leaf),
                leaf == null ? List.of(dir) : List.of(dir.resolve(leaf), dir), notes, parents);
        this.dir = dir;
        this.leafDir = leaf == null ? dir : dir.resolve(leaf);
        this.canKill = fs.exists(dir.resolve("cgroup.kill"));
    }

    @Override
    public Optional<Path> unifiedDirectory() {
        return Optional.of(leafDir);
    }

    @Override
    public Optional<Path> cpuUsageFile() {
        return Optional.of(dir.resolve("cpu.stat"));
    }

    @Override
    public Usage usage() throws CgroupException {
        Map<String, Long> cpu = Formats.flatKeyed(readOptional(dir.resolve("cpu.stat")).orElse(""));
        Optional<String> events = readOptional(dir.resolve("memory.events"));
        return new Usage(
                readLong(dir.resolve("memory.peak")),
                readLong(dir.resolve("memory.current")),
                micros(cpu.get("user_usec")),
                micros(cpu.get("system_usec")),
                micros(cpu.get("usage_usec")),
                micros(cpu.get("throttled_usec")),
                readLong(dir.resolve("pids.peak")),
                readLong(dir.resolve("pids.current")),
                events.isEmpty() ? OptionalLong.empty() : Formats.key(events.get(), "oom_kill"));
    }

    private static Optional<Duration> micros(Long micros) {
        return micros == null ? Optional.empty() : Optional.of(Duration.ofNanos(Units.microsToNanos(micros)));
    }

    @Override
    public boolean oomKilled() throws CgroupException {
        Optional<String> events = readOptional(dir.resolve("memory.events"));
        return events.isPresent() && Formats.key(events.get(), "oom_kill").orElse(0) > 0;
    }

    @Override
    Path freezer() {
        Path f = dir.resolve("cgroup.freeze");
        return fs.exists(f) ? f : null;
    }

    @Override
    void requestFrozen(boolean frozen) throws IOException {
        fs.write(dir.resolve("cgroup.freeze"), frozen ? "1" : "0");
    }

    @Override
    boolean reportsFrozen(boolean frozen) throws IOException {
        return Formats.key(fs.read(dir.resolve("cgroup.events")), "frozen").orElse(-1) == (frozen ? 1 : 0);
    }

    @Override
    boolean killByKernel() throws IOException {
        if (!canKill) {
            return false;
        }
        fs.write(dir.resolve("cgroup.kill"), "1");
        return true;
    }

    @Override
    boolean isEmpty() throws IOException {
        return Formats.key(fs.read(dir.resolve("cgroup.events")), "populated").orElse(0) == 0;
    }
}
