package dev.sandbox.internal;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The JVM's own watch over helpers, in case one stops doing its job: the command cannot stop,
 * kill or trace its helper (another uid, not dumpable, a seccomp guard), but a protection that
 * lives in one process alone is one bug away from gone. A helper that has not reported its
 * sandbox's end some time after the wall-clock timeout plus the grace period is killed from here;
 * the JVM then tears the sandbox down itself (see {@code SandboxedProcess}). One thread serves
 * every sandbox, and only sandboxes with a timeout are watched.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Backstop {

    /** How long past timeout + grace a helper may take to report before the JVM steps in. */
    public static final long SLACK_MILLIS = 2000;

    private static final class Holder {
        static final ScheduledExecutorService TIMER = timer();

        private static ScheduledExecutorService timer() {
            ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
                Thread th = new Thread(r, "sandbox-backstop");
                th.setDaemon(true);
                return th;
            });
            t.setRemoveOnCancelPolicy(true);
            return t;
        }
    }

    private Backstop() {
    }

    /** Runs {@code overdue} once {@code millis} have passed, unless cancelled first. */
    public static ScheduledFuture<?> after(long millis, Runnable overdue) {
        return Holder.TIMER.schedule(overdue, millis, TimeUnit.MILLISECONDS);
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
