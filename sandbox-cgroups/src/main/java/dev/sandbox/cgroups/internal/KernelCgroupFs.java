package dev.sandbox.cgroups.internal;

import dev.sandbox.base.Encoding;
import dev.sandbox.base.Errno;
import dev.sandbox.base.Posix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link CgroupFs} on the real file system. {@code mkdir}, {@code rmdir}, {@code open},
 * {@code write}, {@code pread} and {@code close} are the system calls themselves through
 * {@link Posix}, so a failure carries the kernel's errno ({@link Errno#exception}), never a
 * {@code strerror} text in the caller's locale.
 */
final class KernelCgroupFs implements CgroupFs {

    static final KernelCgroupFs INSTANCE = new KernelCgroupFs();

    /** Control files are small; cgroup.procs of a big group is read in several chunks. */
    private static final int CHUNK = 4096;

    private KernelCgroupFs() {
    }

    @Override
    public void mkdir(Path dir) throws IOException {
        byte[] path = Encoding.cString(dir.toString());
        while (Posix.get().mkdir(path, 0777) != 0) {
            retryOrThrow(dir);
        }
    }

    @Override
    public void rmdir(Path dir) throws IOException {
        byte[] path = Encoding.cString(dir.toString());
        while (Posix.get().rmdir(path) != 0) {
            retryOrThrow(dir);
        }
    }

    @Override
    public void write(Path file, String value) throws IOException {
        // no O_CREAT, no O_TRUNC: a missing control file must stay ENOENT (controller not enabled)
        int fd = open(file, Posix.O_WRONLY);
        try {
            writeOnce(fd, file, value);
        } finally {
            Posix.get().close(fd);
        }
    }

    @Override
    public String writeAndRead(Path file, String value) throws IOException {
        int fd = open(file, Posix.O_RDWR);
        try {
            writeOnce(fd, file, value);
            return readFrom(fd, file);
        } finally {
            Posix.get().close(fd);
        }
    }

    @Override
    public String read(Path file) throws IOException {
        int fd = open(file, Posix.O_RDONLY);
        try {
            return readFrom(fd, file);
        } finally {
            Posix.get().close(fd);
        }
    }

    @Override
    public Kept keep(Path file) throws IOException {
        int opened = open(file, Posix.O_RDONLY);
        return new Kept() {
            private int fd = opened;

            @Override
            public synchronized String read() throws IOException {
                if (fd < 0) {
                    throw new IOException(file + ": closed");
                }
                return readFrom(fd, file);
            }

            @Override
            public synchronized void close() {
                if (fd >= 0) {
                    Posix.get().close(fd);
                    fd = -1; // a closed number may be reused by another file: never read it again
                }
            }
        };
    }

    @Override
    public boolean exists(Path path) {
        return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public List<Path> directories(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))) {
            s.forEach(out::add);
        }
        return out;
    }

    private static int open(Path file, int flags) throws IOException {
        byte[] path = Encoding.cString(file.toString());
        while (true) {
            int fd = Posix.get().open(path, flags | Posix.O_CLOEXEC, 0);
            if (fd >= 0) {
                return fd;
            }
            retryOrThrow(file);
        }
    }

    /** Returns on EINTR (the caller repeats the call); throws the call's errno otherwise. */
    private static void retryOrThrow(Path path) throws IOException {
        int errno = Posix.errno();
        if (errno != Errno.EINTR) {
            throw Errno.exception(path.toString(), errno);
        }
    }

    private static void writeOnce(int fd, Path file, String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        long n;
        while ((n = Posix.get().write(fd, bytes, bytes.length)) < 0) {
            retryOrThrow(file);
        }
        if (n < bytes.length) {
            throw new IOException("short write: " + n + " of " + bytes.length + " bytes");
        }
    }

    /** Reads from offset 0 (pread): seq files restart there even after a write on the same fd. */
    private static String readFrom(int fd, Path file) throws IOException {
        byte[] chunk = new byte[CHUNK];
        byte[] out = null;
        int pos = 0;
        while (true) {
            long n = Posix.get().pread(fd, chunk, CHUNK, pos);
            if (n < 0) {
                retryOrThrow(file);
                continue;
            }
            if (n == 0) {
                break;
            }
            if (out == null && pos == 0) {
                out = chunk;
                chunk = new byte[CHUNK];
            } else {
                if (pos + n > out.length) {
                    out = Arrays.copyOf(out, Math.max(out.length * 2, pos + (int) n));
                }
                System.arraycopy(chunk, 0, out, pos, (int) n);
            }
            pos += (int) n;
        }
        return out == null ? "" : new String(out, 0, pos, StandardCharsets.US_ASCII);
    }
}
