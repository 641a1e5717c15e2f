package dev.sandbox.cgroups.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@link CgroupFs} on the real file system. */
final class KernelCgroupFs implements CgroupFs {

    static final KernelCgroupFs INSTANCE = new KernelCgroupFs();

    private static final Set<StandardOpenOption> READ_WRITE = Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE);

    /** Control files are small; cgroup.procs of a big group is read in several chunks. */
    private static final int CHUNK = 4096;

    private KernelCgroupFs() {
    }

    @Override
    public void mkdir(Path dir) throws IOException {
        Files.createDirectory(dir);
    }

    @Override
    public void rmdir(Path dir) throws IOException {
        Files.delete(dir);
    }

    @Override
    public void write(Path file, String value) throws IOException {
        // no O_CREAT, no O_TRUNC: a missing control file must stay ENOENT (controller not enabled)
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            writeOnce(ch, value);
        }
    }

    @Override
    public String writeAndRead(Path file, String value) throws IOException {
        try (FileChannel ch = FileChannel.open(file, READ_WRITE)) {
            writeOnce(ch, value);
            return readFrom(ch);
        }
    }

    @Override
    public String read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readFrom(ch);
        }
    }

    @Override
    public Kept keep(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        return new Kept() {
            @Override
            public String read() throws IOException {
                return readFrom(ch);
            }

            @Override
            public void close() throws IOException {
                ch.close();
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

    private static void writeOnce(FileChannel ch, String value) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(value.getBytes(StandardCharsets.US_ASCII));
        int n = ch.write(buf);
        if (buf.hasRemaining()) {
            throw new IOException("short write: " + n + " of " + buf.limit() + " bytes");
        }
    }

    /** Reads from offset 0 (pread): seq files restart there even after a write on the same fd. */
    private static String readFrom(FileChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        long pos = 0;
        while (true) {
            int n = ch.read(buf, pos);
            if (n <= 0) {
                break;
            }
            pos += n;
            if (!buf.hasRemaining()) {
                ByteBuffer bigger = ByteBuffer.allocate(buf.capacity() * 2);
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }
        return new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
    }
}
