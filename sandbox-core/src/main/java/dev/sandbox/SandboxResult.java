package dev.sandbox;

import dev.sandbox.base.Signals;
import dev.sandbox.cgroups.Usage;
import dev.sandbox.internal.Protocol;
import dev.sandbox.internal.WaitStatus;

import java.time.Duration;
import java.util.Optional;

/**
 * How a command run with {@link Sandbox#run(String...)} ended, with its captured output.
 *
 * @param exitCode   the command's exit status, or 128+n when signal n killed it
 * @param signal     the signal that killed the command, 0 when it exited by itself
 * @param stdout     what the command wrote to its standard output, at most
 *                   {@link Sandbox.Builder#outputLimit outputLimit} bytes of it (empty when
 *                   redirected elsewhere)
 * @param stderr     what the command wrote to its standard error, at most
 *                   {@link Sandbox.Builder#outputLimit outputLimit} bytes of it (empty when
 *                   redirected elsewhere)
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
 * @param status     the one verdict on how the sandbox ended; see {@link Status} for how it is
 *                   decided when several causes hold
 * @param stdoutTruncated whether the command wrote more than the output limit to its standard
 *                   output (the rest was read and dropped)
 * @param stderrTruncated the same for its standard error
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
        Optional<Usage> usage,
        Status status,
        boolean stdoutTruncated,
        boolean stderrTruncated) {

    /**
     * The one verdict on how a sandbox ended ({@link SandboxResult#status()},
     * {@link SandboxedProcess#status()}), decided from what the kernel and the sandbox's monitor
     * report, never from output or timing. When several causes hold, the first that applies wins:
     * <ol>
     *   <li>the cause of the end, when the monitor or the JVM killed the sandbox for a limit:
     *       {@link #TIMED_OUT} (the monitor sets it only while nothing else is ending the sandbox,
     *       so when it is set the timeout came first), then {@link #CPU_TIME_EXCEEDED} (the
     *       monitor's CPU-time watch), then {@link #OUTPUT_LIMIT_EXCEEDED} (the JVM's kill on
     *       {@link Sandbox.Builder#killOnOutputLimit()}, counted only when the helper reports that
     *       the kill reached the command while it still ran);</li>
     *   <li>a kernel kill: {@link #OOM_KILLED} when the sandbox's cgroup counted an OOM kill
     *       (even when it hit another process of the sandbox and the command then exited);</li>
     *   <li>the signal that ended the command (its wait status): {@code SIGXFSZ}
     *       {@link #FILE_SIZE_EXCEEDED}, {@code SIGXCPU} {@link #CPU_TIME_EXCEEDED}, {@code SIGSYS}
     *       with a seccomp filter installed {@link #SECCOMP_KILLED}, any other {@link #SIGNALED};</li>
     *   <li>{@link #EXITED}.</li>
     * </ol>
     * The verdict is about the command itself: a shell whose child died of {@code SIGXFSZ} and
     * that then exited 153 {@link #EXITED}. The kernel does not tell who sent a signal, so a
     * command that sends itself {@code SIGXFSZ}, {@code SIGXCPU} or (under a seccomp filter)
     * {@code SIGSYS} gets the verdict of that limit: it can only misreport its own failure. Every
     * filter but {@link SeccompPolicy#unconfined()} can kill (it kills a foreign-architecture or
     * x32 system call whatever its rules say), so {@code SIGSYS} under
     * {@link SeccompPolicy#unconfined()} is {@link #SIGNALED}.
     */
    public enum Status {
        /** The command exited by itself; {@link SandboxResult#exitCode()} says with which status. */
        EXITED,
        /** A signal ended the command that no limit explains (its own, another process's, {@code destroy()}). */
        SIGNALED,
        /** The wall-clock {@link Sandbox.Builder#timeout timeout} ended it. */
        TIMED_OUT,
        /** The sandbox's CPU-time limit ended it, or the command died of {@code SIGXCPU} ({@code RLIMIT_CPU}). */
        CPU_TIME_EXCEEDED,
        /** The kernel's OOM killer killed a process of the sandbox at its {@link Sandbox.Builder#memoryMax memory limit}. */
        OOM_KILLED,
        /** A stream passed the {@link Sandbox.Builder#outputLimit output limit} and {@link Sandbox.Builder#killOnOutputLimit()} ended it. */
        OUTPUT_LIMIT_EXCEEDED,
        /** The command died of {@code SIGXFSZ}: it wrote past its file size limit ({@code RLIMIT_FSIZE}). */
        FILE_SIZE_EXCEEDED,
        /** The command died of {@code SIGSYS} under a seccomp filter: it made a system call the filter kills. */
        SECCOMP_KILLED;

        /**
         * The verdict from the helper's {@code EXIT} report ({@code waitStatus}, {@code flags}), the
         * cgroup's OOM count, whether the JVM killed the sandbox for its output, and whether a
         * seccomp filter was installed; the precedence is the class comment's.
         */
        static Status decide(int waitStatus, int flags, boolean oomKilled, boolean outputLimitKill,
                             boolean seccompFilter) {
            if ((flags & Protocol.EXIT_TIMED_OUT) != 0) {
                return TIMED_OUT;
            }
            if ((flags & Protocol.EXIT_CPU_TIME) != 0) {
                return CPU_TIME_EXCEEDED;
            }
            if (outputLimitKill && (flags & Protocol.EXIT_KILLED) != 0) {
                return OUTPUT_LIMIT_EXCEEDED;
            }
            if (oomKilled) {
                return OOM_KILLED;
            }
            if (WaitStatus.exited(waitStatus)) {
                return EXITED;
            }
            int signal = WaitStatus.termSignal(waitStatus);
            if (signal == Signals.SIGXFSZ) {
                return FILE_SIZE_EXCEEDED;
            }
            if (signal == Signals.SIGXCPU) {
                return CPU_TIME_EXCEEDED;
            }
            return signal == Signals.SIGSYS && seccompFilter ? SECCOMP_KILLED : SIGNALED;
        }
    }

    /** User plus system CPU time. */
    public Duration cpuTime() {
        return userTime.plus(systemTime);
    }

    /** Whether the verdict is {@link Status#EXITED} with status 0. */
    public boolean succeeded() {
        return status == Status.EXITED && exitCode == 0;
    }

    /**
     * Whether either stream passed the {@link Sandbox.Builder#outputLimit output limit}:
     * {@link #stdout()} or {@link #stderr()} holds only its first part.
     */
    public boolean outputTruncated() {
        return stdoutTruncated || stderrTruncated;
    }

    /** The verdict first, then every component; each stream shown up to its first 200 characters. */
    @Override
    public String toString() {
        return "SandboxResult[status=" + status + ", exitCode=" + exitCode + ", signal=" + signal
                + ", stdout=" + shown(stdout, stdoutTruncated) + ", stderr=" + shown(stderr, stderrTruncated)
                + ", timedOut=" + timedOut + ", cpuTimeExceeded=" + cpuTimeExceeded + ", oomKilled=" + oomKilled + ", wallTime=" + wallTime
                + ", userTime=" + userTime + ", systemTime=" + systemTime + ", maxRssKib=" + maxRssKib
                + ", usage=" + usage + "]";
    }

    private static String shown(String output, boolean truncated) {
        String head = output.length() <= 200 ? output : output.substring(0, 200) + "...";
        return head + " (" + output.length() + " chars" + (truncated ? ", truncated" : "") + ")";
    }
}
