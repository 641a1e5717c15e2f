package dev.sandbox.cgroups;

import dev.sandbox.testing.HostRequirement;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ioMax on a block device: direct I/O of a process in the group runs at the configured rate
 * (within 20%), measured by wall clock and by the bytes the kernel accounted to the group
 * (v1 {@code blkio.throttle.io_service_bytes}, v2 {@code io.stat}). The device is a loop device
 * over a temporary file, or the whole disk named by {@code SANDBOX_TEST_IO_DEVICE} (a scratch disk
 * the test may overwrite, such as cgroup2-vm's {@code --disk}).
 */
@DisplayName("ioMax throttles direct I/O on a loop device (kernel test)")
class IoMaxIT {

    static final long MiB = 1L << 20;
    static Path image;
    static String loop;
    static boolean scratchDisk;
    static boolean v2;

    @BeforeAll
    static void loopDevice() throws Exception {
        CgroupHost host = CgroupHost.detect();
        HostRequirement.require(Kernel.isRoot(), "needs root for losetup and the io controller");
        v2 = host.layout() == CgroupHost.Layout.V2;
        HostRequirement.require(v2 ? host.v2Controllers().contains("io") : host.v1Mounts().containsKey("blkio"),
                "needs the v1 blkio hierarchy or the v2 io controller (this host: " + host + ")");
        String scratch = System.getenv("SANDBOX_TEST_IO_DEVICE");
        if (scratch != null && !scratch.isBlank()) {
            loop = scratch; // not a loop device: never detached
            scratchDisk = true;
            return;
        }
        HostRequirement.require(Kernel.onPath("losetup"), "needs losetup (util-linux)");
        image = Files.createTempFile("sandbox-iomax", ".img");
        try (var raf = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            raf.setLength(64 * MiB);
        }
        loop = Kernel.host("losetup", "--find", "--show", image.toString()).trim();
    }

    @AfterAll
    static void detach() throws Exception {
        if (loop != null && !scratchDisk) {
            Kernel.host("losetup", "-d", loop);
        }
        if (image != null) {
            Files.deleteIfExists(image);
        }
        Kernel.removePrefixes(Cgroups.DEFAULT_PREFIX);
    }

    @Test
    @DisplayName("write at 2 MiB/s and read at 4 MiB/s, within 20%")
    void throttlesReadsAndWrites() throws Exception {
        String majMin = Files.readString(Path.of("/sys/block", Path.of(loop).getFileName().toString(), "dev")).trim();
        try (Cgroup g = Cgroups.detect().create(Limits.builder().ioMax(majMin, 4 * MiB, 2 * MiB, 0, 0).build())) {
            double write = rate(g, majMin, "Write", "dd if=/dev/zero of=" + loop + " bs=256k count=24 oflag=direct");
            assertThat(write / MiB).as("write MiB/s").isBetween(2 * 0.8, 2 * 1.2);
            double read = rate(g, majMin, "Read", "dd if=" + loop + " of=/dev/null bs=256k count=48 iflag=direct");
            assertThat(read / MiB).as("read MiB/s").isBetween(4 * 0.8, 4 * 1.2);
        }
    }

    @Test
    @DisplayName("with a leaf: reads of a process in the leaf run at 4 MiB/s too (v1 throttles only the process's own group)")
    void throttlesTheLeaf() throws Exception {
        String majMin = Files.readString(Path.of("/sys/block", Path.of(loop).getFileName().toString(), "dev")).trim();
        try (Cgroup g = Cgroups.detect().create(Limits.builder().ioMax(majMin, 4 * MiB, 0, 0, 0).build(), "sandbox")) {
            double read = rate(g, majMin, "Read", "dd if=" + loop + " of=/dev/null bs=256k count=48 iflag=direct");
            assertThat(read / MiB).as("read MiB/s").isBetween(4 * 0.8, 4 * 1.2);
        }
    }

    /** Bytes per second of {@code direction} that the kernel accounted to the group while {@code script} ran. */
    private static double rate(Cgroup g, String majMin, String direction, String script) throws Exception {
        Process p = Kernel.gated("exec " + script + " 2>/dev/null");
        try {
            g.addProcess(p.pid());
            // v1: the process's own group (the leaf, if any), whose throttle counters count it; v2: its group, or
            // the group above a leaf (no controller is passed down to a leaf, and v2's io.stat counts descendants)
            Path blkio = v2 ? CgroupHost.detect().unifiedMount().orElseThrow().resolve(Kernel.procCgroup(p.pid()).get("").substring(1))
                    : Kernel.v1GroupOf(p.pid(), "blkio");
            if (v2 && !Files.exists(blkio.resolve("io.stat"))) {
                blkio = blkio.getParent();
            }
            long before = serviced(blkio, majMin, direction);
            long t0 = System.nanoTime();
            Kernel.go(p);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            long t1 = System.nanoTime();
            assertThat(p.exitValue()).isZero();
            long bytes = serviced(blkio, majMin, direction) - before;
            assertThat(bytes).as(direction + " bytes accounted to the group").isEqualTo(6 * MiB * ("Read".equals(direction) ? 2 : 1));
            return bytes / ((t1 - t0) / 1e9);
        } finally {
            Kernel.kill(p);
        }
    }

    private static long serviced(Path blkio, String majMin, String direction) throws Exception {
        if (v2) { // "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0"
            String key = "Read".equals(direction) ? "rbytes=" : "wbytes=";
            for (String line : Kernel.read(blkio.resolve("io.stat")).split("\n")) {
                String[] f = line.split(" ");
                if (f[0].equals(majMin)) {
                    for (String kv : f) {
                        if (kv.startsWith(key)) {
                            return Long.parseLong(kv.substring(key.length()));
                        }
                    }
                }
            }
            return 0;
        }
        for (String line : Kernel.read(blkio.resolve("blkio.throttle.io_service_bytes")).split("\n")) {
            String[] f = line.split(" ");
            if (f.length == 3 && f[0].equals(majMin) && f[1].equals(direction)) {
                return Long.parseLong(f[2]);
            }
        }
        return 0;
    }
}
