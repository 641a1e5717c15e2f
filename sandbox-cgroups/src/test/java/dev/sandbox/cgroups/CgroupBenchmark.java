package dev.sandbox.cgroups;

import java.util.Arrays;
import java.util.Set;

/**
 * What a group costs per spawn: {@code create} (mkdir in each hierarchy, limits written and read
 * back) + {@code addProcess} of a real child + {@code close} after the child exited — the way a
 * sandbox uses it. Spawning and reaping the child are not timed. Not a test: run by hand, as root.
 *
 * <pre>
 * cd sandbox-cgroups &amp;&amp; mvn -o -q test-compile &amp;&amp;
 *   java -cp target/classes:target/test-classes dev.sandbox.cgroups.CgroupBenchmark [iterations]
 * </pre>
 */
public final class CgroupBenchmark {

    private CgroupBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        Limits three = Limits.builder().memoryMax(64L << 20).cpus(0.5).pidsMax(20).build();
        Cgroups all = Cgroups.detect();
        System.out.println(all + ", " + n + " iterations, medians after " + n / 4 + " warm-up iterations");
        run(null, all, three, null, n); // JIT warm-up of the whole path, not reported
        run("memoryMax+cpus+pidsMax, default measuring " + all.measuring(), all, three, null, n);
        run("the same, processes in a leaf (as a sandbox's)", all, three, "sandbox", n);
        run("memoryMax+cpus+pidsMax, measuring [freezer]", all.withMeasuring(Set.of("freezer")), three, null, n);
        run("memoryMax+cpus+pidsMax, measuring []", all.withMeasuring(Set.of()), three, null, n);
        run("no limits, default measuring", all, Limits.none(), null, n);
        Kernel.removePrefixes(all.prefix()); // leave nothing: the JVM directories, then the empty prefixes
    }

    private static void run(String label, Cgroups cgroups, Limits limits, String leaf, int n) throws Exception {
        long[] create = new long[n];
        long[] add = new long[n];
        long[] close = new long[n];
        long[] total = new long[n];
        int hierarchies = 0;
        for (int i = 0; i < n + n / 4; i++) {
            Process child = new ProcessBuilder("cat").start();
            long t0 = System.nanoTime();
            Cgroup g = leaf == null ? cgroups.create(limits) : cgroups.create(limits, leaf);
            long t1 = System.nanoTime();
            g.addProcess(child.pid());
            long t2 = System.nanoTime();
            child.getOutputStream().close();
            child.waitFor();
            hierarchies = g.directories().size();
            long t3 = System.nanoTime();
            g.close();
            long t4 = System.nanoTime();
            if (i >= n / 4) {
                int k = i - n / 4;
                create[k] = t1 - t0;
                add[k] = t2 - t1;
                close[k] = t4 - t3;
                total[k] = (t2 - t0) + (t4 - t3);
            }
        }
        if (label == null) {
            return;
        }
        System.out.printf("%-55s %d dirs: create+add+close median %6.1f µs (p90 %6.1f) = create %6.1f + add %5.1f + close %5.1f%n",
                label, hierarchies, median(total), p90(total), median(create), median(add), median(close));
    }

    private static double median(long[] a) {
        long[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2] / 1e3;
    }

    private static double p90(long[] a) {
        long[] s = a.clone();
        Arrays.sort(s);
        return s[s.length * 9 / 10] / 1e3;
    }
}
