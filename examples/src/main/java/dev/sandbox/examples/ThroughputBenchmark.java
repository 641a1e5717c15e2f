package dev.sandbox.examples;

import dev.sandbox.Sandbox;

import java.lang.ProcessBuilder.Redirect;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Spawn throughput, side by side in one JVM: {@code /bin/true} through plain {@link ProcessBuilder}
 * and through a sandbox with user+pid+mount+uts+ipc+cgroup namespaces (a fresh /proc), from 1, 2
 * and 8 threads at once. Each thread count runs both variants in turn, twice (PB, sandbox, PB,
 * sandbox, half of the runs each time), so that machine noise hits both alike. Reports runs per
 * second and the median latency of one run, and the sandbox's ratio to ProcessBuilder for each; and
 * the CPU time one run costs on the whole machine (every CPU's busy time from {@code /proc/stat}:
 * it counts the kernel's own threads, and the runtime's helpers, which serve sandbox after sandbox
 * and are not reaped after each), and how much of the CPUs' time was idle. Other load on the
 * machine shows in both.
 *
 * <p>Both variants first run {@code -Dwarmup=N} times (default 10,000) from 2 threads, so that what is
 * measured is the steady state: the JIT has compiled what a start runs (the sandbox's per-start path
 * is compiled late, after several thousand starts).
 *
 * <pre>java [-Dwarmup=N] -cp ... dev.sandbox.examples.ThroughputBenchmark [runs per thread count] [thread counts...]</pre>
 */
public final class ThroughputBenchmark {

    @FunctionalInterface
    interface Spawn {
        void once() throws Exception;
    }

    private ThroughputBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        List<Integer> threadCounts = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            threadCounts.add(Integer.parseInt(args[i]));
        }
        if (threadCounts.isEmpty()) {
            threadCounts = List.of(1, 2, 8);
        }
        Spawn pb = () -> waitFor(new ProcessBuilder("/bin/true")
                .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).start());
        Sandbox target = Sandbox.builder().userNs().pidNs().mountNs().utsNs().ipcNs().cgroupNs()
                .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).build();
        Spawn sandbox = () -> run(target);

        // Warm-up to the steady state, the same for both: the JIT, the helper image, the pools. C2 compiles
        // the sandbox's per-start path (launch, waitFor, the reaper's read) only after several thousand
        // starts, ~0.5 s of compiling; measured in chunks of 1,000 from 2 threads, the sandbox's rate rises
        // until about 9,000 starts and stays flat after, ProcessBuilder's from the start.
        int warmup = Integer.getInteger("warmup", 10_000);
        Result pbWarm = measure(pb, 2, warmup);
        Result sbxWarm = measure(sandbox, 2, warmup);
        System.out.printf(Locale.ROOT, "warm-up, %d runs each from 2 threads: ProcessBuilder %.0f runs/s, sandbox %.0f runs/s%n",
                warmup, pbWarm.rate(), sbxWarm.rate());

        System.out.printf(Locale.ROOT, "%d runs per thread count and variant, %d cores, %s%n", runs,
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "%-8s %12s %12s %6s %12s %12s %6s %10s %10s %8s %8s%n", "threads", "PB runs/s",
                "sbx runs/s", "ratio", "PB med ms", "sbx med ms", "ratio", "PB cpu ms", "sbx cpu ms", "PB idle", "sbx idle");
        for (int threads : threadCounts) {
            Result p1 = measure(pb, threads, runs / 2);
            Result s1 = measure(sandbox, threads, runs / 2);
            Result p2 = measure(pb, threads, runs - runs / 2);
            Result s2 = measure(sandbox, threads, runs - runs / 2);
            Result p = p1.plus(p2);
            Result s = s1.plus(s2);
            System.out.printf(Locale.ROOT, "%-8d %12.0f %12.0f %6.2f %12.3f %12.3f %6.2f %10.3f %10.3f %7.0f%% %7.0f%%%n",
                    threads, p.rate(), s.rate(), s.rate() / p.rate(), p.median() / 1e6, s.median() / 1e6,
                    s.median() / p.median(), p.cpuPerRun(), s.cpuPerRun(), p.idlePercent(), s.idlePercent());
        }
    }

    /** Runs and their latencies, the wall time they took, and the machine's busy and idle CPU time (ms) meanwhile. */
    record Result(long[] latencies, long wallNanos, double cpuMillis, double idleMillis) {
        double cpuPerRun() {
            return cpuMillis / latencies.length;
        }

        double idlePercent() {
            return 100 * idleMillis / (cpuMillis + idleMillis);
        }

        double rate() {
            return latencies.length / (wallNanos / 1e9);
        }

        double median() {
            return SpawnBenchmark.median(latencies);
        }

        Result plus(Result o) {
            long[] all = java.util.Arrays.copyOf(latencies, latencies.length + o.latencies.length);
            System.arraycopy(o.latencies, 0, all, latencies.length, o.latencies.length);
            return new Result(all, wallNanos + o.wallNanos, cpuMillis + o.cpuMillis, idleMillis + o.idleMillis);
        }
    }

    /** {@code runs} spawns shared out among {@code threads} threads that start together. */
    static Result measure(Spawn spawn, int threads, int runs) throws Exception {
        long[] latencies = new long[runs];
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Exception> failure = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                try {
                    go.await();
                    int i;
                    while ((i = next.getAndIncrement()) < runs) {
                        long t0 = System.nanoTime();
                        spawn.once();
                        latencies[i] = System.nanoTime() - t0;
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                    next.set(runs);
                }
            }, "bench-" + t);
            w.start();
            workers.add(w);
        }
        double[] cpu0 = machineMillis();
        long t0 = System.nanoTime();
        go.countDown();
        for (Thread w : workers) {
            w.join();
        }
        long wall = System.nanoTime() - t0;
        double[] cpu = machineMillis();
        if (failure.get() != null) {
            throw failure.get();
        }
        return new Result(latencies, wall, cpu[0] - cpu0[0], cpu[1] - cpu0[1]);
    }

    /**
     * The busy time (user, nice, system, irq, softirq, steal) and the idle time (idle, iowait) of all
     * CPUs since boot, in ms (clock ticks of 10 ms), from the first line of {@code /proc/stat}.
     */
    static double[] machineMillis() throws java.io.IOException {
        String cpu = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).get(0);
        String[] f = cpu.trim().split("\\s+"); // "cpu" user nice system idle iowait irq softirq steal ...
        long busy = 0;
        for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
            busy += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
        return new double[] {busy * 10.0, idle * 10.0};
    }

    private static void run(Sandbox s) throws Exception {
        SpawnBenchmark.run(s);
    }

    private static void waitFor(Process p) throws InterruptedException {
        SpawnBenchmark.waitFor(p);
    }
}
