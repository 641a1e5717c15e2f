package dev.sandbox.examples;

import dev.sandbox.Sandbox;
import dev.sandbox.SandboxedProcess;
import dev.sandbox.SeccompPolicy;

import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Spawn latency, side by side in one JVM: plain {@link ProcessBuilder} against this library,
 * each variant run once per round, in a shuffled order, so that machine noise hits all alike. Reports
 * medians, the 90th percentile and the ratio to plain ProcessBuilder. The differences between
 * the sandbox variants are the cost of each step (the helper itself, the user namespace, the
 * other namespaces and /proc).
 *
 * <pre>java -cp ... dev.sandbox.examples.SpawnBenchmark [rounds]</pre>
 */
public final class SpawnBenchmark {

    @FunctionalInterface
    interface Spawn {
        void once() throws Exception;
    }

    private SpawnBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        Map<String, Spawn> variants = new LinkedHashMap<>();
        variants.put("ProcessBuilder /bin/true", () -> waitFor(new ProcessBuilder("/bin/true")
                .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).start()));
        Sandbox none = Sandbox.builder().redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).build();
        variants.put("sandbox, no namespaces", () -> run(none));
        Sandbox user = none.newBuilder().userNs().build();
        variants.put("sandbox, user ns", () -> run(user));
        Sandbox target = none.newBuilder().userNs().pidNs().mountNs().utsNs().ipcNs().cgroupNs().build();
        variants.put("sandbox, user+pid+mount+uts+ipc+cgroup, fresh /proc", () -> run(target));
        // What the default protections cost: the same sandbox with every opt-out taken (the mount
        // lock and the masked /proc paths have none and stay).
        Sandbox optedOut = target.newBuilder().seccomp(SeccompPolicy.unconfined()).allowNewPrivileges().sameSession()
                .runAsCallerUid().build();
        variants.put("  same, protections opted out (seccomp, nnp, setsid, host uid)", () -> run(optedOut));
        Sandbox limited = target.newBuilder().memoryMax(256L << 20).cpus(1).pidsMax(64).build();
        try {
            run(limited);
            variants.put("sandbox, same + memoryMax+cpus+pidsMax (own cgroups)", () -> run(limited));
        } catch (dev.sandbox.SandboxException e) {
            System.out.println("(no cgroup variant: " + e.getMessage() + ")");
        }
        Sandbox net = target.newBuilder().netNs().build();
        variants.put("sandbox, + net ns", () -> run(net));
        Sandbox roRoot = target.newBuilder().readOnlyRoot().build();
        variants.put("sandbox, + readOnlyRoot (minimal /dev)", () -> run(roRoot));
        Sandbox hardened = Sandbox.hardened().redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).build();
        variants.put("sandbox, hardened() (+ net, time ns, empty root, rlimits)", () -> run(hardened));
        if (Files.isExecutable(Path.of("/usr/bin/unshare"))) {
            variants.put("ProcessBuilder unshare -r -p -f -m -u -i --mount-proc true", () -> waitFor(
                    new ProcessBuilder("unshare", "-r", "-p", "-f", "-m", "-u", "-i", "--mount-proc", "true")
                            .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).start()));
        }
        if (Files.isExecutable(Path.of("/usr/bin/bwrap"))) {
            variants.put("ProcessBuilder bwrap (same namespaces, --proc /proc)", () -> waitFor(new ProcessBuilder(
                    "bwrap", "--bind", "/", "/", "--unshare-user", "--unshare-pid", "--unshare-uts", "--unshare-ipc",
                    "--unshare-cgroup", "--proc", "/proc", "--dev-bind", "/dev", "/dev", "/bin/true")
                    .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).start()));
        }

        int warmup = Math.min(300, rounds / 4 + 1);
        Map<String, long[]> samples = new LinkedHashMap<>();
        for (String name : variants.keySet()) {
            samples.put(name, new long[rounds]);
        }
        List<String> names = new ArrayList<>(variants.keySet());
        // A new order each round (the same sequence of orders in every run): each variant follows each
        // other one about equally often, so what a start leaves running in the background (a group's
        // removal, a namespace's teardown, a helper's replacement) weighs on every variant alike.
        java.util.Random order = new java.util.Random(42);
        List<String> round = new ArrayList<>(names);
        for (int r = -warmup; r < rounds; r++) {
            java.util.Collections.shuffle(round, order);
            for (String name : round) {
                long t0 = System.nanoTime();
                variants.get(name).once();
                long dt = System.nanoTime() - t0;
                if (r >= 0) {
                    samples.get(name)[r] = dt;
                }
            }
        }
        double base = median(samples.get(names.get(0)));
        System.out.printf(Locale.ROOT, "%d rounds, %d cores, %s%n", rounds, Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "%-62s %10s %10s %8s%n", "variant", "median ms", "p90 ms", "ratio");
        for (String name : names) {
            long[] s = samples.get(name);
            System.out.printf(Locale.ROOT, "%-62s %10.3f %10.3f %8.2f%n", name, median(s) / 1e6, percentile(s, 0.9) / 1e6,
                    median(s) / base);
        }
    }

    static void run(Sandbox s) throws Exception {
        try (SandboxedProcess p = s.start("/bin/true")) {
            if (p.waitFor() != 0) {
                throw new IllegalStateException("/bin/true failed in " + s);
            }
        }
    }

    static void waitFor(Process p) throws InterruptedException {
        if (p.waitFor() != 0) {
            throw new IllegalStateException("exit " + p.exitValue());
        }
    }

    static double median(long[] s) {
        return percentile(s, 0.5);
    }

    static double percentile(long[] s, double q) {
        long[] c = s.clone();
        Arrays.sort(c);
        return c[(int) Math.min(c.length - 1, Math.round(q * (c.length - 1)))];
    }
}
