package dev.sandbox;

import dev.sandbox.internal.HelperPool;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The helpers the library starts ahead of time (HelperPool) are the only processes and control
 * sockets of this JVM that belong to no sandbox; leak checks subtract exactly those, after the
 * background refill has settled.
 */
final class Spare {

    private Spare() {
    }

    /** This JVM's child processes other than idle helpers. */
    static List<Long> childrenBesidesIdleHelpers() throws IOException, InterruptedException {
        settle();
        List<Integer> idle = HelperPool.get().idlePids();
        List<Long> children = Kernel.children();
        assertThat(children.stream().filter(p -> idle.contains(p.intValue())).count())
                .as("every idle helper is a live child of this JVM").isEqualTo(idle.size());
        return children.stream().filter(p -> !idle.contains(p.intValue())).toList();
    }

    /** This JVM's open fds other than idle helpers' control sockets. */
    static List<String> fdsBesidesIdleHelpers() throws IOException, InterruptedException {
        settle();
        List<Integer> idle = HelperPool.get().idleFds();
        return Kernel.openFds().stream()
                .filter(f -> !idle.contains(Integer.parseInt(f.substring(0, f.indexOf(' ')))))
                .toList();
    }

    private static void settle() throws InterruptedException {
        assertThat(HelperPool.get().awaitSettled(5000)).as("helper pool settled").isTrue();
    }
}
