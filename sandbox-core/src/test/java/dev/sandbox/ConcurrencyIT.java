package dev.sandbox;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

@DisplayName("8 threads spawning at once under GC churn never hang")
class ConcurrencyIT {

    @Test
    void eightThreadsUnderGcChurn() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            AtomicBoolean stop = new AtomicBoolean();
            Thread churn = new Thread(() -> {
                List<byte[]> keep = new ArrayList<>();
                while (!stop.get()) {
                    keep.add(new byte[64 * 1024]);
                    if (keep.size() > 512) {
                        keep.clear();
                        System.gc();
                    }
                }
            }, "gc-churn");
            churn.start();
            OwnRuntime own = OwnRuntime.open();
            Sandbox s = own.builder().pidNs().mapRootUser().utsNs().ipcNs().build();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Integer>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        int ok = 0;
                        for (int i = 0; i < 40; i++) {
                            SandboxResult r = s.run("sh", "-c", "echo $0-$1", Integer.toString(thread), Integer.toString(i));
                            if (r.exitCode() == 0 && r.stdout().equals(thread + "-" + i + "\n")) {
                                ok++;
                            }
                        }
                        return ok;
                    }));
                }
                for (Future<Integer> f : futures) {
                    assertThat(f.get()).isEqualTo(40);
                }
            } finally {
                stop.set(true);
                pool.shutdownNow();
                churn.join();
            }
            assertThat(own.runtime.running()).isZero();
            own.closeAndAssertNothingLeft();
        });
    }
}
