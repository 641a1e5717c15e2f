package dev.sandbox.cgroups;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a {@link Cgroup}'s processes have used, as the kernel counts it. A field the host's kernel
 * does not offer (or whose controller the group is not in) is empty — never a made-up 0.
 *
 * <table>
 * <caption>Sources</caption>
 * <tr><th>field</th><th>cgroup v2</th><th>cgroup v1</th></tr>
 * <tr><td>memoryPeak</td><td>{@code memory.peak} (5.19+)</td><td>{@code memory.max_usage_in_bytes}</td></tr>
 * <tr><td>memoryCurrent</td><td>{@code memory.current}</td><td>{@code memory.usage_in_bytes}</td></tr>
 * <tr><td>cpuUser, cpuSystem</td><td>{@code cpu.stat} user_usec, system_usec</td>
 *     <td>{@code cpuacct.usage_user}, {@code cpuacct.usage_sys} (ns); else {@code cpuacct.stat}
 *     ticks at USER_HZ = 100, i.e. 10 ms resolution</td></tr>
 * <tr><td>cpuTotal</td><td>{@code cpu.stat} usage_usec</td><td>{@code cpuacct.usage} (ns)</td></tr>
 * <tr><td>cpuThrottled</td><td>{@code cpu.stat} throttled_usec (cpu controller)</td><td>{@code cpu.stat} throttled_time (ns)</td></tr>
 * <tr><td>pidsPeak</td><td>{@code pids.peak} (6.1+)</td><td>{@code pids.peak} where the kernel has it</td></tr>
 * <tr><td>pidsCurrent</td><td>{@code pids.current}</td><td>{@code pids.current}</td></tr>
 * <tr><td>oomKills</td><td>{@code memory.events} oom_kill</td><td>{@code memory.oom_control} oom_kill</td></tr>
 * </table>
 *
 * @param memoryPeak    highest memory use in bytes since the group was created
 * @param memoryCurrent memory use in bytes now
 * @param cpuUser       CPU time spent in user mode
 * @param cpuSystem     CPU time spent in the kernel
 * @param cpuTotal      all CPU time
 * @param cpuThrottled  time the group was held back by its CPU quota
 * @param pidsPeak      highest number of tasks at once
 * @param pidsCurrent   number of tasks now
 * @param oomKills      processes the OOM killer killed in the group
 */
public record Usage(
        OptionalLong memoryPeak,
        OptionalLong memoryCurrent,
        Optional<Duration> cpuUser,
        Optional<Duration> cpuSystem,
        Optional<Duration> cpuTotal,
        Optional<Duration> cpuThrottled,
        OptionalLong pidsPeak,
        OptionalLong pidsCurrent,
        OptionalLong oomKills) {
}
