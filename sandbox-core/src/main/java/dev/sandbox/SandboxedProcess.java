package dev.sandbox;

import dev.sandbox.base.Checks;
import dev.sandbox.cgroups.CgroupException;
import dev.sandbox.cgroups.Usage;
import dev.sandbox.internal.Backstop;
import dev.sandbox.internal.CgroupedHelpers;
import dev.sandbox.internal.Exit;
import dev.sandbox.internal.HelperChannel;
import dev.sandbox.internal.HostIds;
import dev.sandbox.internal.Launcher;
import dev.sandbox.internal.Protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

/**
 * A command running in a sandbox: a real {@link Process}, so code that takes a {@code Process}
 * works with it.
 *
 * <p>{@link #pid()} is the command's pid as the host sees it (inside a pid namespace the command
 * sees itself as pid 2, under the sandbox's PID 1). {@link #destroy()} asks politely (SIGTERM),
 * then kills the whole sandbox after the sandbox's kill grace period; {@link #destroyForcibly()}
 * kills the whole sandbox at once. When the command ends, everything else in the sandbox is
 * killed too, so nothing outlives it.
 *
 * <p>{@link #close()} kills the sandbox if it still runs, waits for it and closes the streams;
 * use it in try-with-resources.
 */
public final class SandboxedProcess extends Process implements AutoCloseable {

    private final HelperChannel channel;
    private final int commandPid;
    private final int childPid;
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;
    private final long startNanos;
    /** Made by the first onExit() call; most sandboxes never need one. Guarded by lock. */
    private CompletableFuture<Process> onExit;
    private final Object lock = new Object();
    private final Optional<ProcessHandle> handle;
    private final CgroupedHelpers.Placed placed;
    private final HostIds.Lease lease;
    private final java.util.concurrent.ScheduledFuture<?> backstop;
    private boolean overdue;
    private boolean leaseCleared;
    private Exit exit;
    private boolean reaped;
    private long endNanos;
    private Usage usage;
    private boolean oomKilled;
    private SandboxException cleanupFailure;
    private boolean settled;
    private final SandboxRuntime runtime;
    private final boolean seccompFilter;
    private boolean outputLimitKill;

    SandboxedProcess(Launcher.Started started, long startNanos, CgroupedHelpers.Placed placed, HostIds.Lease lease,
                     Duration timeout, Duration grace, SandboxRuntime runtime, boolean seccompFilter) throws SandboxException {
        this.runtime = runtime;
        this.seccompFilter = seccompFilter;
        this.channel = started.channel();
        this.commandPid = started.commandPid();
        this.childPid = started.childPid();
        this.stdin = started.stdin();
        this.stdout = started.stdout();
        this.stderr = started.stderr();
        this.startNanos = startNanos;
        this.placed = placed;
        this.lease = lease;
        this.handle = ProcessHandle.of(commandPid);
        // Armed before the reaper may report the end, so that the report always finds it to cancel.
        this.backstop = timeout == null ? null : runtime.backstop().after(
                timeout.toMillis() + grace.toMillis() + Backstop.SLACK_MILLIS, this::helperOverdue);
        // Counted as running before the reaper can report the end, which counts it out.
        runtime.track(this);
        try {
            runtime.reaper().watch(channel, this::exited, this::reaped);
        } catch (SandboxException | RuntimeException e) {
            runtime.untrack(this);
            // Nobody would ever wait for this sandbox: end it, reap its helper, close what we hold.
            if (backstop != null) {
                backstop.cancel(false);
            }
            channel.abandon();
            closeQuietly(stdin);
            closeQuietly(stdout);
            closeQuietly(stderr);
            throw e;
        }
    }

    /** The helper has not reported the end long after the timeout: kill it and tear down from here. */
    private void helperOverdue() {
        synchronized (lock) {
            if (exit != null) {
                return; // its helper may serve another sandbox by now
            }
            overdue = true;
            dev.sandbox.internal.LibC.get().kill(channel.helperPid(), dev.sandbox.base.Signals.SIGKILL);
        }
    }

    /**
     * The runtime's last resort for a sandbox that did not settle: SIGKILL its helper, unless the
     * helper reported the end and went back to its pool (it may serve another sandbox by now).
     */
    void killUnresponsiveHelper() {
        synchronized (lock) {
            if (exit == null || !channel.servesAgain()) {
                dev.sandbox.internal.LibC.get().kill(channel.helperPid(), dev.sandbox.base.Signals.SIGKILL);
            }
        }
    }

    /** A command to this sandbox's helper, only while the sandbox runs: afterwards the helper may serve another. */
    private boolean command(int type, int argument) {
        synchronized (lock) {
            return exit == null && channel.command(type, argument);
        }
    }

    private void reaped() {
        Usage measured = null;
        SandboxException failure = null;
        Runnable release = null;
        if (placed != null) {
            // The tree and the helper are gone, so the group's counters are final.
            try {
                measured = placed.cgroup().usage();
            } catch (CgroupException ex) {
                failure = CgroupSupport.wrap("cgroup", ex);
            }
            // The group goes in the background (its removal waits on the kernel's cgroup lock);
            // anything that escaped the helper's teardown is killed first.
            release = runtime.placed().release(placed, ex -> {
                synchronized (lock) {
                    if (ex != null && cleanupFailure == null) {
                        cleanupFailure = CgroupSupport.wrap("cgroup", ex);
                    }
                    settled = true;
                    lock.notifyAll();
                }
                runtime.untrack(this);
            });
        }
        synchronized (lock) {
            // The helper reported the end only once the whole tree was gone: the host ids are free.
            // A helper that died without reporting may have left processes under them, so those
            // ids stay out of use for the rest of this JVM's life.
            if (lease != null && exit != null && (exit.failure() == null || leaseCleared)) {
                lease.release();
            }
            usage = measured;
            oomKilled = measured != null && measured.oomKills().orElse(0) > 0;
            cleanupFailure = failure;
            reaped = true;
            settled = release == null;
            lock.notifyAll();
        }
        if (release != null) {
            release.run(); // after the waiters are told: the background threads it wakes must not delay them
        } else {
            runtime.untrack(this);
        }
    }

    private void exited(Exit e) {
        long end = System.nanoTime();
        if (backstop != null) {
            backstop.cancel(false);
        }
        if (e.failure() != null && childPid == commandPid) {
            // The helper died without tearing the sandbox down. Without a pid namespace the command
            // died with it (PR_SET_PDEATHSIG), but what it started may live on in its process group.
            dev.sandbox.internal.LibC.get().kill(-commandPid, dev.sandbox.base.Signals.SIGKILL);
        }
        if (e.failure() != null && lease != null) {
            // The sandbox's host uid was its alone: whatever still runs under it, in any session or
            // process group, belongs to the sandbox.
            Backstop.killUid(lease.uid());
            leaseCleared = true;
        }
        synchronized (lock) {
            if (overdue && e.failure() != null) {
                e = new Exit(e.waitStatus(), e.flags() | dev.sandbox.internal.Protocol.EXIT_TIMED_OUT, 0, 0, 0,
                        new SandboxException("helper", "", "sandbox-helper (pid " + channel.helperPid()
                                + ") did not end the sandbox within " + Backstop.SLACK_MILLIS
                                + " ms of its timeout and grace period; the JVM killed it and the sandbox", e.failure()));
            }
        }
        CompletableFuture<Process> future;
        synchronized (lock) {
            exit = e;
            endNanos = end;
            future = onExit; // one made later completes at once
            lock.notifyAll();
        }
        if (future != null) {
            // Dependent actions run off the reaper thread, so user callbacks can never stall it.
            ForkJoinPool.commonPool().execute(() -> future.complete(this));
        }
    }

    @Override
    public OutputStream getOutputStream() {
        return stdin;
    }

    @Override
    public InputStream getInputStream() {
        return stdout;
    }

    @Override
    public InputStream getErrorStream() {
        return stderr;
    }

    /**
     * How long a waiting thread reads its sandbox's channel itself before it leaves that to the
     * runtime's reaper thread and just waits: a short command's end then wakes the waiter directly.
     */
    private static final long DRIVE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    /** Waits up to {@code nanos} on this thread for the end and the helper's reaping (see {@link dev.sandbox.internal.Reaper#drive}). */
    private void drive(long nanos) {
        boolean pending;
        synchronized (lock) {
            pending = !reaped;
        }
        if (pending) {
            runtime.reaper().drive(channel, Math.min(nanos, DRIVE_NANOS));
        }
    }

    @Override
    public int waitFor() throws InterruptedException {
        drive(DRIVE_NANOS);
        synchronized (lock) {
            while (exit == null) {
                lock.wait();
            }
            return exit.exitValue();
        }
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        drive(unit.toNanos(timeout));
        synchronized (lock) {
            while (exit == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    @Override
    public int exitValue() {
        synchronized (lock) {
            if (exit == null) {
                throw new IllegalThreadStateException("process hasn't exited");
            }
            return exit.exitValue();
        }
    }

    @Override
    public boolean isAlive() {
        synchronized (lock) {
            return exit == null;
        }
    }

    /** SIGTERM to the command; SIGKILL to the whole sandbox after the kill grace period. */
    @Override
    public void destroy() {
        command(Protocol.CMD_TERMINATE, 0);
    }

    /** SIGKILL to the whole sandbox, now. */
    @Override
    public SandboxedProcess destroyForcibly() {
        command(Protocol.CMD_KILL, 0);
        return this;
    }

    @Override
    public boolean supportsNormalTermination() {
        return true;
    }

    /**
     * Sends {@code signal} to the command (through the sandbox's PID 1 when there is a pid
     * namespace). Returns false when the sandbox has already ended.
     */
    public boolean signal(int signal) {
        Checks.inRange("signal", signal, 1, 64, "");
        return command(Protocol.CMD_SIGNAL, signal);
    }

    /** The command's pid as the host sees it. */
    @Override
    public long pid() {
        return commandPid;
    }

    /**
     * The host pid of the sandbox's first process: PID 1 of the sandbox's pid namespace, or the
     * command itself without one.
     */
    public long initPid() {
        return childPid;
    }

    @Override
    public ProcessHandle toHandle() {
        return handle.orElseThrow(() -> new UnsupportedOperationException(
                "the command (pid " + commandPid + ") had already ended when the sandbox started"));
    }

    @Override
    public CompletableFuture<Process> onExit() {
        synchronized (lock) {
            if (onExit == null) {
                onExit = new CompletableFuture<>();
                if (exit != null) {
                    onExit.complete(this); // already over: dependents run on the caller's thread
                }
            }
            return onExit;
        }
    }

    /** How long the command ran, from start to the helper's report; empty while it runs. */
    public Optional<Duration> wallTime() {
        synchronized (lock) {
            return exit == null ? Optional.empty() : Optional.of(Duration.ofNanos(endNanos - startNanos));
        }
    }

    /** Whether the sandbox's wall-clock timeout ended it; false while it runs. */
    public boolean timedOut() {
        synchronized (lock) {
            return exit != null && exit.timedOut();
        }
    }

    /**
     * The one verdict on how the sandbox ended, decided as {@link SandboxResult.Status} describes
     * (the same as {@link Sandbox#run}'s {@link SandboxResult#status()}). Once the command has
     * ended, waits the moment it takes the helper to exit and the cgroup's OOM count to be read.
     *
     * @throws IllegalStateException while the sandbox runs, and when its helper died without
     *                               reporting how the command ended ({@link #failure()}; its
     *                               cause), unless the JVM killed it for the timeout
     *                               ({@link SandboxResult.Status#TIMED_OUT})
     */
    public SandboxResult.Status status() {
        synchronized (lock) {
            if (exit == null) {
                throw new IllegalStateException("the sandbox (pid " + commandPid + ") is still running");
            }
            awaitReapedIfExited();
            if (exit.failure() != null && !exit.timedOut()) {
                throw new IllegalStateException("no verdict: " + exit.failure().getMessage(), exit.failure());
            }
            return SandboxResult.Status.decide(exit.waitStatus(), exit.flags(), oomKilled, outputLimitKill, seccompFilter);
        }
    }

    /** {@link Sandbox#run}'s kill on {@link Sandbox.Builder#killOnOutputLimit()}: the reason, then the kill. */
    void killForOutputLimit() {
        synchronized (lock) {
            if (exit != null) {
                return;
            }
            outputLimitKill = true;
        }
        destroyForcibly();
    }

    /**
     * Whether the sandbox's {@link Sandbox.Builder#cpuTimeLimit CPU-time limit} ended it (its monitor
     * killed it on reaching the limit, or the command died of SIGXCPU from the RLIMIT_CPU backstop);
     * false while it runs, without a CPU-time limit, and when the helper died without reporting.
     */
    public boolean cpuTimeExceeded() {
        synchronized (lock) {
            return exit != null && exit.cpuTimeExceeded();
        }
    }

    /**
     * When the sandbox ended without its helper reporting how (the helper was killed or
     * crashed), the reason; empty otherwise.
     */
    public Optional<SandboxException> failure() {
        synchronized (lock) {
            return exit == null ? Optional.empty() : Optional.ofNullable(exit.failure());
        }
    }

    /**
     * Whether the kernel's OOM killer killed a process of this sandbox for exceeding its memory
     * limit (its cgroup's OOM events); false while it runs and without a memory limit. Once the
     * command has ended, waits the moment it takes the helper to exit and the counters to be read.
     */
    public boolean oomKilled() {
        synchronized (lock) {
            awaitReapedIfExited();
            return oomKilled;
        }
    }

    /**
     * What the sandbox's own cgroup measured; empty while it runs and without a cgroup. Once the
     * command has ended, waits the moment it takes the helper to exit and the counters to be read.
     */
    public Optional<Usage> cgroupUsage() {
        synchronized (lock) {
            awaitReapedIfExited();
            return Optional.ofNullable(usage);
        }
    }

    /** Called with the lock held. */
    private void awaitReapedIfExited() {
        dev.sandbox.internal.Threads.awaitUninterruptibly(lock, () -> exit == null || reaped);
    }

    /**
     * Whether the sandbox ended because {@link #destroy()}, {@link #destroyForcibly()} or
     * {@link #close()} asked for it: the helper reports so only when the request reached it while
     * the command still ran (a request that came after the command had ended by itself does not
     * count). False while it runs, and when the helper died without reporting.
     */
    public boolean destroyed() {
        synchronized (lock) {
            return exit != null && exit.destroyed();
        }
    }

    /**
     * A failure to read the sandbox's cgroup after it ended, or to remove it (which happens in the
     * background right after the end); empty normally. {@link Sandbox#run} waits for the removal
     * and reports this failure with the result; here it may not be known yet.
     */
    public Optional<SandboxException> cleanupFailure() {
        synchronized (lock) {
            return Optional.ofNullable(cleanupFailure);
        }
    }

    /**
     * Waits up to {@code millis} until the helper is reaped and the sandbox's cgroup (if any) is
     * removed or its removal failed; true if so.
     */
    boolean awaitSettled(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        boolean interrupted = false;
        try {
            synchronized (lock) {
                while (!(reaped && settled)) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(lock, left);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                return true;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    int helperPid() {
        return channel.helperPid();
    }

    /** Closes the JVM's ends of the command's stdio pipes. */
    void closeStreams() {
        closeQuietly(stdin);
        closeQuietly(stdout);
        closeQuietly(stderr);
    }

    SandboxRuntime runtime() {
        return runtime;
    }

    Exit exit() {
        synchronized (lock) {
            return exit;
        }
    }

    long startNanos() {
        return startNanos;
    }

    long endNanos() {
        synchronized (lock) {
            return endNanos;
        }
    }

    /**
     * Kills the sandbox if it still runs, waits until it and its helper process are gone, and
     * closes the streams. Afterwards no process, descriptor or mount of this sandbox remains.
     */
    @Override
    public void close() {
        if (isAlive()) {
            destroyForcibly();
        }
        drive(DRIVE_NANOS);
        boolean interrupted = false;
        synchronized (lock) {
            while (!reaped) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        closeQuietly(stdin);
        closeQuietly(stdout);
        closeQuietly(stderr);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // The process is gone; a failing close of a pipe end loses nothing.
        }
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "SandboxedProcess[pid=" + commandPid + (exit == null ? ", running" : ", exitValue=" + exit.exitValue()) + "]";
        }
    }
}
