package dev.sandbox.cgroups;

import dev.sandbox.cgroups.internal.CgroupFs;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * For other modules' tests: this host's cgroups under a prefix, on the kernel's file system, except
 * that removing a leaf directory named {@code leaf} fails (EACCES) while {@code refuse} is set, as
 * a removal that goes wrong would. The directories stay; the test removes them afterwards.
 */
public final class RefusingRemoval {

    private RefusingRemoval() {
    }

    public static Cgroups cgroups(String prefix, String leaf, AtomicBoolean refuse) {
        CgroupFs kernel = CgroupFs.kernel();
        CgroupFs fs = new CgroupFs() {
            @Override
            public void mkdir(Path dir) throws IOException {
                kernel.mkdir(dir);
            }

            @Override
            public void rmdir(Path dir) throws IOException {
                if (refuse.get() && dir.getFileName().toString().equals(leaf)) {
                    throw new AccessDeniedException(dir.toString(), null, "Permission denied");
                }
                kernel.rmdir(dir);
            }

            @Override
            public void write(Path file, String value) throws IOException {
                kernel.write(file, value);
            }

            @Override
            public String writeAndRead(Path file, String value) throws IOException {
                return kernel.writeAndRead(file, value);
            }

            @Override
            public String read(Path file) throws IOException {
                return kernel.read(file);
            }

            @Override
            public Kept keep(Path file) throws IOException {
                return kernel.keep(file);
            }

            @Override
            public boolean exists(Path path) {
                return kernel.exists(path);
            }

            @Override
            public List<Path> directories(Path dir) throws IOException {
                return kernel.directories(dir);
            }
        };
        return Cgroups.at(CgroupHost.detect(), prefix, fs);
    }
}
