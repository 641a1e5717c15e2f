package dev.sandbox.base;

/**
 * Linux signal numbers and names (x86_64 and aarch64 share them: the kernel's generic
 * numbering, checked against jnr-constants and {@code <signal.h>} by the tests).
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Signals {

    public static final int SIGTERM = 15;
    public static final int SIGKILL = 9;
    public static final int SIGCONT = 18;
    public static final int SIGXCPU = 24;
    public static final int SIGXFSZ = 25;
    public static final int SIGSYS = 31;

    private static final String[] NAMES = {"0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP",
        "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
        "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG",
        "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"};

    private Signals() {
    }

    /** {@code SIGKILL} for 9; {@code signal 40} for a number without a name (real-time signals). */
    public static String name(int signal) {
        return signal > 0 && signal < NAMES.length ? NAMES[signal] : "signal " + signal;
    }

    /** 9 for {@code SIGKILL} (or {@code KILL}); 0 for a name this table does not have. */
    public static int number(String name) {
        String full = name.startsWith("SIG") ? name : "SIG" + name;
        for (int i = 1; i < NAMES.length; i++) {
            if (NAMES[i].equals(full)) {
                return i;
            }
        }
        return 0;
    }

    /** The highest signal number with a name here. */
    public static int maxNamed() {
        return NAMES.length - 1;
    }

    /**
     * SIGKILL to {@code pid} if it still exists, without native bindings:
     * {@link ProcessHandle#destroyForcibly()} checks the process's start time, so a pid reused since
     * it was read is not hit. Refuses this JVM's own pid: a group that holds the JVM itself is not
     * one this library should empty.
     */
    public static void kill(long pid) {
        if (pid == ProcessFacts.pid()) {
            throw new IllegalStateException("pid " + pid + " is this JVM: refusing to kill it");
        }
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
}
