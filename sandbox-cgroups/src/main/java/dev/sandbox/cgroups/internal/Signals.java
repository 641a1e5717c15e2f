package dev.sandbox.cgroups.internal;

/**
 * SIGKILL from Java, without native bindings: {@link ProcessHandle#destroyForcibly()} checks the
 * process's start time, so a pid reused since it was read is not hit.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Signals {

    private Signals() {
    }

    /**
     * Sends SIGKILL to {@code pid} if it still exists. Refuses this JVM's own pid: a group that
     * holds the JVM itself is not one this library should empty.
     */
    public static void kill(long pid) {
        if (pid == Proc.selfPid()) {
            throw new IllegalStateException("pid " + pid + " is this JVM: refusing to kill it");
        }
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
}
