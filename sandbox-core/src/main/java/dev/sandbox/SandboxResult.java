package dev.sandbox;

import dev.sandbox.cgroups.Usage;

import java.time.Duration;
import java.util.Optional;

/**
 * How a command run with {@link Sandbox#run(String...)} ended, with its captured output.
 *
 * @param exitCode   the command's exit status, or 128+n when signal n killed it
 * @param signal     the signal that killed the command, 0 when it exited by itself
 * @param stdout     what the command wrote to its standard output (empty when redirected elsewhere)
 * @param stderr     what the command wrote to its standard error (empty when redirected elsewhere)
 * @param timedOut   whether the sandbox's wall-clock {@link Sandbox.Builder#timeout timeout} ended it
 * @param cpuTimeExceeded whether the sandbox's {@link Sandbox.Builder#cpuTimeLimit CPU-time limit} ended
 *                   it: its monitor killed it on reaching the limit, or the command died of SIGXCPU
 *                   from the per-process RLIMIT_CPU backstop; false without a CPU-time limit
 * @param oomKilled  whether the kernel's OOM killer killed a process of the sandbox for exceeding
 *                   its {@link Sandbox.Builder#memoryMax memory limit} (read from the cgroup's OOM
 *                   events; false without a memory limit)
 * @param wallTime   from start until the sandbox was gone
 * @param userTime   CPU time spent in user mode by the command and everything it waited for
 * @param systemTime CPU time spent in the kernel on their behalf
 * @param maxRssKib  the largest resident set of a single process in the sandbox, in KiB
 * @param usage      what the sandbox's own cgroup measured (peak memory, CPU, pids, throttling,
 *                   OOM kills); present when the sandbox had cgroup limits or a CPU-time limit
 */
public record SandboxResult(
        int exitCode,
        int signal,
        String stdout,
        String stderr,
        boolean timedOut,
        boolean cpuTimeExceeded,
        boolean oomKilled,
        Duration wallTime,
        Duration userTime,
        Duration systemTime,
        long maxRssKib,
        Optional<Usage> usage) {

    /** User plus system CPU time. */
    public Duration cpuTime() {
        return userTime.plus(systemTime);
    }

    /** Whether the command exited by itself with status 0. */
    public boolean succeeded() {
        return exitCode == 0 && signal == 0 && !timedOut;
    }
}
