package dev.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link SandboxRuntime} of a test's own, with the kernel's view of this JVM taken before it was
 * built: child processes, open fds, mounts, the library's cgroup directories and the threads. What
 * the runtime starts ahead of time (idle helpers, helpers placed in a cgroup) belongs to no
 * sandbox; {@link #closeAndAssertNothingLeft()} closes the runtime and checks against the kernel
 * that nothing of it is left: no process, fd, mount, cgroup directory or thread.
 */
final class OwnRuntime implements AutoCloseable {

    final SandboxRuntime runtime;
    final List<Long> children;
    final List<String> fds;
    final String mounts;
    final List<Path> groups;

    private OwnRuntime(SandboxRuntime.Builder settings) throws IOException {
        // What the JVM sets up once for every runtime: jnr's stubs and random sources, the helper
        // image (a sealed memfd), a root caller's block of host uids (a lock file).
        try {
            Sandbox.builder().build().run("true");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Another runtime of this JVM (the default one, used by earlier tests) may still be
        // preparing spares: take the view once it has stayed the same for a while.
        List<Object> view = view();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            sleep(150);
            List<Object> again = view();
            if (again.equals(view)) {
                break;
            }
            view = again;
        }
        children = Kernel.children();
        fds = Kernel.openFds();
        mounts = Kernel.read("/proc/self/mountinfo");
        groups = libraryGroups();
        runtime = settings.build();
    }

    private static List<Object> view() throws IOException {
        return List.of(new java.util.TreeSet<>(Kernel.children()), new java.util.TreeSet<>(Kernel.openFds()),
                Kernel.read("/proc/self/mountinfo"), new java.util.TreeSet<>(libraryGroups()));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What is in {@code now} but not in {@code before}, and the reverse: both empty when nothing changed. */
    private static <T> void assertSame(String what, List<T> before, List<T> now) {
        List<T> added = new ArrayList<>(now);
        added.removeAll(before);
        List<T> gone = new ArrayList<>(before);
        gone.removeAll(now);
        assertThat(added).as(what + " left by the runtime").isEmpty();
        assertThat(gone).as(what + " that were there before the runtime and are gone").isEmpty();
    }

    /** With the default settings (helpers and cgroup spares kept ready). */
    static OwnRuntime open() throws IOException {
        return new OwnRuntime(SandboxRuntime.builder());
    }

    static OwnRuntime open(SandboxRuntime.Builder settings) throws IOException {
        return new OwnRuntime(settings);
    }

    /** A sandbox builder bound to this runtime. */
    Sandbox.Builder builder() {
        return Sandbox.builder().runtime(runtime);
    }

    /** Children of this JVM that were not there before the runtime: its helpers, idle or not. */
    List<Long> newChildren() throws IOException {
        List<Long> now = new ArrayList<>(Kernel.children());
        now.removeAll(children);
        return now;
    }

    /** Waits until at least {@code n} new children exist and stay the same for 100 ms (spares being made). */
    List<Long> awaitNewChildren(int n) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<Long> last = null;
        long stableSince = 0;
        while (System.nanoTime() < deadline) {
            List<Long> now = newChildren();
            if (now.size() >= n && now.equals(last)) {
                if (System.nanoTime() - stableSince > 100_000_000L) {
                    return now;
                }
            } else {
                last = now;
                stableSince = System.nanoTime();
            }
            Thread.sleep(5);
        }
        throw new AssertionError("expected " + n + " new children of this JVM, found " + newChildren());
    }

    /** Closes the runtime and checks the kernel: everything is as before it was built. */
    void closeAndAssertNothingLeft() throws IOException, InterruptedException {
        runtime.close();
        assertThat(newChildren()).as("child processes left by the runtime").isEmpty();
        assertSame("fds", fds, Kernel.openFds());
        assertThat(Kernel.read("/proc/self/mountinfo")).as("mounts").isEqualTo(mounts);
        assertSame("cgroup directories", groups, libraryGroups());
        long deadline = System.nanoTime() + 2_000_000_000L; // a pool's worker ends just after its pool
        while (runtime.threadGroup().activeCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(runtime.threadGroup().activeCount()).as("threads of the runtime").isZero();
    }

    @Override
    public void close() {
        runtime.close();
    }

    /** This JVM's group directories under the library's prefix in every hierarchy (below its marker). */
    static List<Path> libraryGroups() throws IOException {
        return CgroupLimitsIT.libraryGroups();
    }

    /** Thread names of this JVM, from the kernel ({@code /proc/self/task/N/comm}). */
    static List<String> threadNames() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    out.add(Files.readString(t.resolve("comm")).trim());
                } catch (IOException gone) {
                    // the thread ended while we listed
                }
            }
        }
        return out;
    }
}
