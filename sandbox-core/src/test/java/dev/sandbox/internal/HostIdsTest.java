package dev.sandbox.internal;

import dev.sandbox.SandboxException;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("HostIds leases one unprivileged host uid/gid per running sandbox")
class HostIdsTest {

    private static HostIds pool(Path dir, int count) {
        return new HostIds(new HostIds.Range(100_000, 200_000, count, "test"), dir.resolve("locks"));
    }

    @Test
    @DisplayName("running sandboxes never share an id; a released id is handed out again")
    void leasesAreDistinctAndReused(@TempDir Path dir) throws Exception {
        HostIds ids = pool(dir, 256);
        List<HostIds.Lease> leases = new ArrayList<>();
        Set<Integer> uids = new HashSet<>();
        for (int i = 0; i < 130; i++) {
            HostIds.Lease l = ids.acquire();
            leases.add(l);
            assertThat(uids.add(l.uid())).as("uid %d handed out twice", l.uid()).isTrue();
            assertThat(l.gid() - 200_000).isEqualTo(l.uid() - 100_000);
            assertThat(l.uid()).isBetween(100_000, 100_255);
        }
        // 130 ids need three blocks of 64, each locked by a file
        try (var files = Files.list(dir.resolve("locks"))) {
            assertThat(files.count()).isEqualTo(3);
        }
        int freed = leases.get(7).uid();
        leases.get(7).release();
        leases.get(7).release(); // idempotent
        assertThat(ids.acquire().uid()).isEqualTo(freed);
    }

    @Test
    @DisplayName("two pools on one lock directory (two JVMs) take different blocks; a full range is a clear error")
    void poolsShareTheRangeThroughLocks(@TempDir Path dir) throws Exception {
        HostIds a = pool(dir, 128);
        HostIds b = pool(dir, 128);
        int ua = a.acquire().uid();
        int ub = b.acquire().uid();
        assertThat(ua / HostIds.BLOCK).isNotEqualTo(ub / HostIds.BLOCK);
        for (int i = 1; i < HostIds.BLOCK; i++) {
            a.acquire();
        }
        assertThatThrownBy(a::acquire).isInstanceOf(SandboxException.class)
                .hasMessageContaining("every host uid of uids 100000-100127 (test) is in use");
    }

    @Test
    @DisplayName("a lock directory planted as a symlink is refused")
    void refusesASymlinkedLockDirectory(@TempDir Path dir) throws Exception {
        Files.createDirectory(dir.resolve("elsewhere"));
        Files.createSymbolicLink(dir.resolve("locks"), dir.resolve("elsewhere"));
        assertThatThrownBy(() -> pool(dir, 64).acquire()).isInstanceOf(SandboxException.class)
                .hasMessageContaining("not a directory owned by uid");
    }

    @Test
    @DisplayName("-Dsandbox.hostIds is checked and named when wrong")
    void parsesTheProperty() {
        assertThat(HostIds.parseProperty("100000:65536")).isEqualTo(
                new HostIds.Range(100000, 100000, 65536, "-Dsandbox.hostIds"));
        assertThat(HostIds.parseProperty("100000:300000:128").firstGid()).isEqualTo(300000);
        for (String bad : List.of("0:64", "100000:10", "x:64", "100000", "4294967000:65536", "1:2:3:4")) {
            assertThatThrownBy(() -> HostIds.parseProperty(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("sandbox.hostIds: got \"" + bad + "\"; allowed: ");
        }
    }
}
