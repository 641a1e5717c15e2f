package dev.sandbox.internal;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The JVM's own watch over helpers, in case one stops doing its job: the command cannot stop,
 * kill or trace its helper (another uid, not dumpable, a seccomp guard), but a protection that
 * lives in one process alone is one bug away from gone. A helper that has not reported its
 * sandbox's end some time after the wall-clock timeout plus the grace period is killed from here;
 * the JVM then tears the sandbox down itself (see {@code SandboxedProcess}). One thread per
 * runtime serves every sandbox, and only sandboxes with a timeout are watched; the thread is
 * started by the first such sandbox and ends after a few idle seconds.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Backstop {

    /** How long past timeout + grace a helper may take to report before the JVM steps in. */
    public static final long SLACK_MILLIS = 2000;

    private final ScheduledThreadPoolExecutor timer;

    /** A timer whose thread {@code threads} makes. */
    public Backstop(java.util.concurrent.ThreadFactory threads) {
        timer = new ScheduledThreadPoolExecutor(1, threads);
        timer.setRemoveOnCancelPolicy(true);
        timer.setKeepAliveTime(5, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
    }

    /** Runs {@code overdue} once {@code millis} have passed, unless cancelled first. */
    public ScheduledFuture<?> after(long millis, Runnable overdue) {
        return timer.schedule(overdue, millis, TimeUnit.MILLISECONDS);
    }

    /** Drops what is scheduled and ends the thread. Idempotent. */
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGKILL every process of host uid {@code uid} (never 0), through the helper's {@code --kill-uid}. */
    public static void killUid(int uid) {
        if (uid == 0) {
            return;
        }
        try {
            Process p = new ProcessBuilder(HelperBinary.command("--kill-uid", Integer.toUnsignedString(uid)))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort: the uid stays out of use for this JVM's life (see SandboxedProcess)
        }
    }
}
