package dev.sandbox.cgroups;

/**
 * Started by {@link StaleSweepIT} as a separate JVM: makes a group with a leaf, as a sandbox's,
 * puts a {@code sleep} in the leaf, reports {@code READY <marker> <sleep pid> <group> <leaf>} and
 * waits to be killed with SIGKILL — so it never cleans up, as a crashed JVM would not.
 */
public final class CrashingDriver {

    private CrashingDriver() {
    }

    public static void main(String[] args) throws Exception {
        Cgroup g = Cgroups.detect().create(Limits.builder().pidsMax(10).build(), "sandbox");
        Process sleep = new ProcessBuilder("sleep", "120").start();
        g.addProcess(sleep.pid());
        System.out.println("READY " + Cgroups.jvmMarker() + " " + sleep.pid() + " " + g.name() + " sandbox");
        System.out.flush();
        Thread.sleep(120_000);
    }
}
