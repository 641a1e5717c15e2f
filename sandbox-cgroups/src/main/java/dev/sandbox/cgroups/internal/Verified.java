package dev.sandbox.cgroups.internal;

import dev.sandbox.base.Errno;
import dev.sandbox.cgroups.CgroupException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * Writes a limit and reads it back through the same open file: the fail-closed check that the
 * kernel holds the value asked for, at the cost of one {@code open(2)}.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Verified {

    private Verified() {
    }

    /** Writes {@code value}; the read-back must equal it. */
    public static void exact(CgroupFs fs, String setting, Path file, String value) throws CgroupException {
        write(fs, setting, file, value, back -> back.trim().equals(value));
    }

    /** Writes a byte count; the kernel may round it down to whole pages. */
    public static void bytes(CgroupFs fs, String setting, Path file, long bytes) throws CgroupException {
        write(fs, setting, file, Long.toString(bytes), back -> {
            long got;
            try {
                got = Formats.single(back);
            } catch (NumberFormatException e) {
                return false;
            }
            return got == bytes || got == Units.pageFloor(bytes, Proc.pageSize());
        });
    }

    /** Writes a CPU or node list; the kernel prints it normalized. */
    public static void cpuList(CgroupFs fs, String setting, Path file, String list) throws CgroupException {
        write(fs, setting, file, list, back -> {
            try {
                return CpuList.parse(back).equals(CpuList.parse(list));
            } catch (IllegalArgumentException e) {
                return false;
            }
        });
    }

    /** Writes one line of a per-device file; it must then be among the lines read back. */
    public static void line(CgroupFs fs, String setting, Path file, String line) throws CgroupException {
        write(fs, setting, file, line, back -> back.lines().anyMatch(l -> l.trim().equals(line)));
    }

    /** Writes {@code value} and checks the read-back with {@code accepted}. */
    public static void write(CgroupFs fs, String setting, Path file, String value, Predicate<String> accepted)
            throws CgroupException {
        String back;
        try {
            back = fs.writeAndRead(file, value);
        } catch (IOException e) {
            String action = "write '" + value + "' to";
            switch (Errno.name(Errno.of(e))) {
                case "ENOENT" -> throw Failures.io(setting, action, file, e, "this group has no "
                        + file.getFileName() + " (its controller is not enabled here, or the kernel lacks the feature)");
                case "EINVAL", "ENODEV", "ERANGE" -> throw Failures.io(setting, action, file, e, "the kernel rejected the value"
                        + switch (setting) {
                            case "ioMax" -> " (is the major:minor an existing whole block device? see /sys/dev/block/)";
                            case "cpuset" -> " (the CPUs must exist and be within the parent's cpuset.cpus)";
                            default -> "";
                        });
                default -> throw Failures.io(setting, action, file, e);
            }
        }
        if (!accepted.test(back)) {
            throw Failures.mismatch(setting, file, value, back);
        }
    }
}
