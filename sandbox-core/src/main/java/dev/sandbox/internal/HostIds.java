package dev.sandbox.internal;

import dev.sandbox.SandboxException;
import dev.sandbox.base.Checks;
import dev.sandbox.base.ProcessFacts;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * Unprivileged host uids and gids for a root caller's sandboxes, one pair per running sandbox, the
 * way IOI isolate gives each box its own uid: two sandboxes never share a host uid, so they cannot
 * signal, trace or read each other, and none of them is root outside.
 *
 * <p>The range, in order: the {@value #PROPERTY} system property ({@code <first uid>:<count>} or
 * {@code <first uid>:<first gid>:<count>}); root's entry in {@code /etc/subuid} and
 * {@code /etc/subgid} (user {@code root} or {@code 0}); else {@value #DEFAULT_FIRST} (0x70000000,
 * a range systemd leaves unassigned) with {@value #DEFAULT_COUNT} ids.
 *
 * <p>JVMs on one host share the range through lock files: the range is cut into blocks of
 * {@value #BLOCK} ids, and a JVM holds an exclusive {@code flock} on each block it hands ids from
 * (files under {@code /run/dev.sandbox}, root-only). Within a block the JVM hands out ids from
 * memory, so a start costs no system call. The kernel drops a dead JVM's locks, and its sandboxes
 * died with it.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class HostIds {

    /** The range: {@code <first uid>:<count>} or {@code <first uid>:<first gid>:<count>}. */
    public static final String PROPERTY = "sandbox.hostIds";
    public static final long DEFAULT_FIRST = 0x7000_0000L;
    public static final int DEFAULT_COUNT = 65536;
    static final int BLOCK = 64;

    /** A uid and gid on the host, handed to one sandbox until {@link #release()}. */
    public final class Lease {
        private final int block;
        private final int index;
        private boolean released;

        private Lease(int block, int index) {
            this.block = block;
            this.index = index;
        }

        public int uid() {
            return (int) (range.firstUid() + (long) block * BLOCK + index);
        }

        public int gid() {
            return (int) (range.firstGid() + (long) block * BLOCK + index);
        }

        /** Back to the pool, once no process of the sandbox lives; idempotent. */
        public void release() {
            synchronized (HostIds.this) {
                if (!released) {
                    released = true;
                    held.get(heldIndex(block)).used.clear(index);
                }
            }
        }
    }

    /** Where the ids come from. */
    public record Range(long firstUid, long firstGid, int count, String source) {
    }

    private record Held(int block, FileChannel channel, FileLock lock, BitSet used) {
    }

    private final Range range;
    private final Path lockDir;
    private final List<Held> held = new ArrayList<>();
    private int nextBlock;

    HostIds(Range range, Path lockDir) {
        this.range = range;
        this.lockDir = lockDir;
    }

    private static final class Holder {
        static final HostIds INSTANCE = new HostIds(configuredRange(), Path.of("/run/dev.sandbox"));
    }

    /** The JVM's pool. */
    public static HostIds get() {
        return Holder.INSTANCE;
    }

    public Range range() {
        return range;
    }

    /** A uid/gid pair no other running sandbox (of any JVM on this host) holds. */
    public synchronized Lease acquire() throws SandboxException {
        for (int i = 0; i < held.size(); i++) {
            Held h = held.get(i);
            int free = h.used.nextClearBit(0);
            if (free < BLOCK) {
                h.used.set(free);
                return new Lease(h.block, free);
            }
        }
        Held h = lockAnotherBlock();
        h.used.set(0);
        return new Lease(h.block, 0);
    }

    private int heldIndex(int block) {
        for (int i = 0; i < held.size(); i++) {
            if (held.get(i).block == block) {
                return i;
            }
        }
        throw new IllegalStateException("block " + block + " not held");
    }

    private Held lockAnotherBlock() throws SandboxException {
        int blocks = range.count() / BLOCK;
        Path dir = lockDirectory();
        for (int tried = 0; tried < blocks; tried++) {
            int block = nextBlock;
            nextBlock = (nextBlock + 1) % blocks;
            if (isHeld(block)) {
                continue;
            }
            Path file = dir.resolve("ids-" + range.firstUid() + "-" + block + ".lock");
            FileChannel ch = null;
            try {
                ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS);
                FileLock lock = ch.tryLock();
                if (lock != null) {
                    Held h = new Held(block, ch, lock, new BitSet(BLOCK));
                    held.add(h);
                    return h;
                }
            } catch (IOException | OverlappingFileLockException e) {
                // another JVM's block, or a file we may not use: try the next
            }
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing was locked through it
                }
            }
        }
        throw new SandboxException("host-ids", dir.toString(), "every host uid of " + describe()
                + " is in use by running sandboxes; set -D" + PROPERTY + "=<first>:<count> or add a larger range"
                + " for root to /etc/subuid and /etc/subgid", null);
    }

    private boolean isHeld(int block) {
        for (Held h : held) {
            if (h.block == block) {
                return true;
            }
        }
        return false;
    }

    /** The lock directory, created root-only; a symlink or a directory others may write is refused. */
    private Path lockDirectory() throws SandboxException {
        try {
            try {
                Files.createDirectory(lockDir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException exists) {
                // checked below
            }
            PosixFileAttributes a = Files.readAttributes(lockDir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            int owner = (Integer) Files.getAttribute(lockDir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) Files.getAttribute(lockDir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if (!a.isDirectory() || owner != ProcessFacts.euid() || (mode & 0022) != 0) {
                throw new SandboxException("host-ids", lockDir.toString(), "not a directory owned by uid "
                        + ProcessFacts.euid() + " and writable only by it", null);
            }
            return lockDir;
        } catch (IOException e) {
            throw new SandboxException("host-ids", lockDir.toString(), "cannot create the lock directory: " + e, e);
        }
    }

    private String describe() {
        return "uids " + range.firstUid() + "-" + (range.firstUid() + range.count() - 1) + " (" + range.source() + ")";
    }

    /** The range this JVM would use, from the property, the subordinate id files or the default. */
    public static Range configuredRange() {
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isBlank()) {
            return parseProperty(prop);
        }
        Optional<long[]> uids = subordinate(Path.of("/etc/subuid"));
        Optional<long[]> gids = subordinate(Path.of("/etc/subgid"));
        if (uids.isPresent() && gids.isPresent()) {
            int count = (int) Math.min(Math.min(uids.get()[1], gids.get()[1]), Integer.MAX_VALUE);
            count -= count % BLOCK;
            if (count >= BLOCK) {
                return new Range(uids.get()[0], gids.get()[0], count, "/etc/subuid and /etc/subgid");
            }
        }
        return new Range(DEFAULT_FIRST, DEFAULT_FIRST, DEFAULT_COUNT, "the default range");
    }

    static Range parseProperty(String prop) {
        String[] parts = prop.trim().split(":");
        try {
            long first = Long.parseLong(parts[0]);
            long firstGid = parts.length == 3 ? Long.parseLong(parts[1]) : first;
            long count = Long.parseLong(parts[parts.length - 1]);
            if ((parts.length == 2 || parts.length == 3) && first > 0 && firstGid > 0 && count >= BLOCK
                    && count % BLOCK == 0 && first + count <= 0xFFFF_FFFFL && firstGid + count <= 0xFFFF_FFFFL) {
                return new Range(first, firstGid, (int) Math.min(count, Integer.MAX_VALUE), "-D" + PROPERTY);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw Checks.invalid(PROPERTY, "got " + Checks.quote(prop), "<first uid>:<count> or"
                + " <first uid>:<first gid>:<count>, ids above 0, count a multiple of " + BLOCK);
    }

    /** root's first range in a subordinate id file: {start, count}. */
    private static Optional<long[]> subordinate(Path file) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.trim().split(":");
                if (f.length == 3 && (f[0].equals("root") || f[0].equals("0"))) {
                    long start = Long.parseLong(f[1]);
                    long count = Long.parseLong(f[2]);
                    if (start > 0 && count > 0) {
                        return Optional.of(new long[] {start, count});
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no usable entry
        }
        return Optional.empty();
    }
}
