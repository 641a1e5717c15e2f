package dev.sandbox.cgroups;

import dev.sandbox.base.Errno;
import dev.sandbox.cgroups.internal.CgroupFs;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Run by {@link LocaleIndependentErrnoIT} in a JVM started with {@code LC_ALL=de_DE.UTF-8}: makes
 * the cgroup library fail on real cgroup files and prints one line per case,
 * {@code CASE <name> <errno name> <message>}, plus {@code JDK <reason>}: the JDK's own message for
 * an EBUSY, to show that the C library's messages are translated in this JVM.
 */
public final class LocaleErrnoDriver {

    private LocaleErrnoDriver() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("LOCALE " + Locale.getDefault());
        try {
            Files.delete(Path.of("/proc")); // rmdir of a mount point: EBUSY, reported with strerror's text
            System.out.println("JDK deleted /proc?");
        } catch (FileSystemException e) {
            System.out.println("JDK " + e.getReason());
        }

        CgroupFs fs = CgroupFs.kernel();
        Process sleeper = null;
        try (Cgroup group = Cgroups.detect().create(Limits.builder().pidsMax(16).build())) {
            Path dir = group.leafDirectories().stream().filter(d -> d.toString().contains("/pids/")).findFirst()
                    .orElse(group.leafDirectories().get(0));
            Path child = dir.resolve("locale-child");
            fs.mkdir(child);
            try {
                report("EINVAL-write", () -> fs.write(dir.resolve("pids.max"), "not-a-number"));
                report("ENOENT-write", () -> fs.write(dir.resolve("no.such.file"), "1"));
                report("ENOENT-read", () -> fs.read(dir.resolve("no.such.file")));
                report("ENOENT-mkdir", () -> fs.mkdir(dir.resolve("no/such/parent")));
                report("EEXIST-mkdir", () -> fs.mkdir(child));
                report("ENOTDIR-rmdir", () -> fs.rmdir(dir.resolve("pids.max")));
                // a group with a child group, then a group with a process: the kernel says EBUSY for both
                report("EBUSY-rmdir-children", () -> fs.rmdir(dir));
                sleeper = new ProcessBuilder("sleep", "30").start();
                fs.write(child.resolve("cgroup.procs"), Long.toString(sleeper.pid()));
                report("EBUSY-rmdir-process", () -> fs.rmdir(child));
                // through the library's public API: the errno of CgroupException
                try {
                    group.addProcess(4_194_305); // above any pid_max: ESRCH
                    System.out.println("CASE ESRCH-addProcess none accepted");
                } catch (CgroupException e) {
                    System.out.println("CASE ESRCH-addProcess " + e.errno().orElse("none") + " " + e.getMessage());
                }
            } finally {
                if (sleeper != null) {
                    sleeper.destroyForcibly().waitFor();
                }
                for (int i = 0; i < 100 && fs.exists(child); i++) {
                    try {
                        fs.rmdir(child);
                    } catch (IOException busy) {
                        Thread.sleep(20);
                    }
                }
            }
        }
        System.out.println("DONE");
    }

    private interface Op {
        void run() throws IOException;
    }

    private static void report(String name, Op op) {
        try {
            op.run();
            System.out.println("CASE " + name + " none succeeded");
        } catch (IOException e) {
            int errno = Errno.of(e);
            System.out.println("CASE " + name + " " + (errno == 0 ? "unknown" : Errno.name(errno)) + " "
                    + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
