package dev.sandbox.internal;

import dev.sandbox.base.Errno;
import dev.sandbox.base.Signals;

/**
 * waitpid(2) status words, decoded.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class WaitStatus {

    private WaitStatus() {
    }

    /** Waits for child {@code pid} to exit and returns its status word; -1 when it was reaped elsewhere. */
    static int reap(int pid) {
        int[] status = new int[1];
        while (true) {
            int r = LibC.get().waitpid(pid, status, 0);
            if (r == pid) {
                return status[0];
            }
            if (r < 0 && LibC.errno() != Errno.EINTR) {
                // ECHILD: someone else reaped it (a waitpid(-1) elsewhere in the JVM).
                return -1;
            }
        }
    }

    public static boolean exited(int status) {
        return (status & 0x7f) == 0;
    }

    public static int exitCode(int status) {
        return (status >> 8) & 0xff;
    }

    public static int termSignal(int status) {
        return status & 0x7f;
    }

    /** The shell's convention, as {@link Process#exitValue()} uses it: 128+n for signal n. */
    public static int exitValue(int status) {
        return exited(status) ? exitCode(status) : 128 + termSignal(status);
    }

    /** "exited with status 3", "was killed by signal 9 (SIGKILL)". */
    public static String describe(int status) {
        if (status == -1) {
            return "ended, but its status was reaped elsewhere";
        }
        if (exited(status)) {
            return "exited with status " + exitCode(status);
        }
        return "was killed by signal " + termSignal(status) + " (" + Signals.name(termSignal(status)) + ")";
    }
}
