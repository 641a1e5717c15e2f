package dev.sandbox.cgroups.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The few file operations a cgroup file system is driven with. The kernel's implementation is
 * {@link #kernel()}; tests substitute one that lays out a cgroupfs-like tree in a temp dir.
 *
 * <p>Every operation throws the {@link IOException} of the failed system call, carrying its errno
 * ({@link dev.sandbox.base.Errno#of}): the JDK's exact type ({@link java.nio.file.NoSuchFileException}
 * for ENOENT, …) or a {@link dev.sandbox.base.ErrnoException}. Never only message text: that is
 * {@code strerror}, translated by the locale.
 *
 * <p><strong>Internal usage only.</strong>
 */
public interface CgroupFs {

    /** The real file system: plain system calls through {@link dev.sandbox.base.Posix}, one {@code write(2)} per value. */
    static CgroupFs kernel() {
        return KernelCgroupFs.INSTANCE;
    }

    /** {@code mkdir(2)}: on cgroupfs this creates a group, with its control files. */
    void mkdir(Path dir) throws IOException;

    /** {@code rmdir(2)}: on cgroupfs this removes a group (EBUSY while it has processes or children). */
    void rmdir(Path dir) throws IOException;

    /** Writes {@code value} with a single {@code write(2)}, as cgroupfs needs. */
    void write(Path file, String value) throws IOException;

    /**
     * Writes {@code value} and reads the file back through the same open file description, so
     * fail-closed verification costs one {@code open(2)} rather than two.
     */
    String writeAndRead(Path file, String value) throws IOException;

    /** The whole content of {@code file}. */
    String read(Path file) throws IOException;

    /** A file read again and again: counters read at a sandbox's end. */
    interface Kept extends java.io.Closeable {
        /** The whole current content. */
        String read() throws IOException;
    }

    /**
     * {@code file} kept open, so each later read is one {@code pread(2)} from offset 0 instead of
     * open + read + close; throws {@link java.nio.file.NoSuchFileException} if the kernel has no
     * such file. This default opens the file anew for each read.
     */
    default Kept keep(Path file) throws IOException {
        read(file);
        return new Kept() {
            @Override
            public String read() throws IOException {
                return CgroupFs.this.read(file);
            }

            @Override
            public void close() {
            }
        };
    }

    /** Whether {@code path} exists. */
    boolean exists(Path path);

    /** The directories directly inside {@code dir}. */
    List<Path> directories(Path dir) throws IOException;
}
