package dev.sandbox.internal;

import dev.sandbox.SandboxException;
import dev.sandbox.base.Errno;
import dev.sandbox.base.ProcessFacts;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The sandbox-helper image this JVM execs, found once and then held open as a file descriptor for
 * the JVM's lifetime: every spawn execs that descriptor ({@link HelperPool#spawnImage}), so no path
 * is resolved again after it was checked and nobody can swap the helper under a running JVM.
 *
 * <p>Where the image comes from:
 * <ol>
 * <li>{@value #PATH_PROPERTY}: the file it names, opened once (following links: the user chose it).
 * <li>By default the copy in the jar, written into a memfd that is then sealed against any change
 *     ({@code F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE}): nothing on disk at all.
 * <li>When {@value #DIR_PROPERTY} is set, or when the memfd cannot be exec'd ({@code vm.memfd_noexec=2},
 *     an LSM): extracted under its content hash ({@code sandbox-helper-<sha256>}) into the first of
 *     {@value #DIR_PROPERTY}, {@code $XDG_CACHE_HOME/dev.sandbox}, {@code ~/.cache/dev.sandbox},
 *     {@code java.io.tmpdir/dev.sandbox-<uid>} that is a real directory (not a symbolic link), owned
 *     by this euid, not writable by group or others and not mounted {@code noexec}.
 * </ol>
 * A memfd or extracted image is exec'd once ({@code --exec-check}) before it is chosen.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class HelperBinary {

    /** Use this helper executable instead of the one in the jar. */
    public static final String PATH_PROPERTY = "sandbox.helper";
    /** Extract the helper into this directory instead of running it from a memfd. */
    public static final String DIR_PROPERTY = "sandbox.helper.dir";
    /** The name memfds holding the helper carry ({@code /proc/<pid>/fd} shows {@code /memfd:sandbox-helper}). */
    public static final String MEMFD_NAME = "sandbox-helper";
    /** The fd a spawned helper finds its own image on, and the path its exec resolves. */
    static final int EXEC_FD = 4;
    static final String EXEC_PATH = "/proc/self/fd/4";

    private static final int SEALS = LibC.F_SEAL_SEAL | LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW | LibC.F_SEAL_WRITE;

    /**
     * The image: an fd this JVM keeps open (close-on-exec, above {@link #EXEC_FD} so that a spawn's
     * dup2 onto 3 or 4 cannot clobber it), and where it came from, for messages.
     */
    record Held(int fd, String origin) {
    }

    /** A candidate (the memfd, one directory) that cannot be used, and why. */
    private static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String reason) {
            super(reason, null, false, false);
        }

        static Refused failed(String call, String name, int errno) {
            return new Refused(call + " " + name + ": " + Errno.describe(errno));
        }
    }

    private static volatile Held held;

    private HelperBinary() {
    }

    /** The held image; found (and extracted or copied) once per JVM. */
    static Held held() throws SandboxException {
        Held h = held;
        if (h == null) {
            synchronized (HelperBinary.class) {
                h = held;
                if (h == null) {
                    h = locate();
                    held = h;
                }
            }
        }
        return h;
    }

    /** Where the helper this JVM execs came from: {@code memfd:sandbox-helper}, or a file's path. */
    public static String origin() throws SandboxException {
        return held().origin();
    }

    /**
     * A command line that runs the held helper with {@code args} as a {@link ProcessBuilder} child.
     * Such a child closes this JVM's fds before it execs, so it reaches the image through this JVM's
     * {@code /proc/<pid>/fd} entry: the file the JVM holds, not a name in any directory.
     */
    public static List<String> command(String... args) throws SandboxException {
        List<String> cmd = new ArrayList<>();
        cmd.add("/proc/" + ProcessHandle.current().pid() + "/fd/" + held().fd());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /** {@code linux-x86_64} or {@code linux-aarch64}: the jar folder for this JVM's platform. */
    public static String platform() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String norm = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return "linux-" + norm;
    }

    private static Held locate() throws SandboxException {
        String override = System.getProperty(PATH_PROPERTY);
        if (override != null && !override.isEmpty()) {
            return named(Path.of(override).toAbsolutePath());
        }
        if (!System.getProperty("os.name", "").equals("Linux")) {
            throw new SandboxException("helper", "", "sandbox runs on Linux only, not on "
                    + System.getProperty("os.name"), null);
        }
        byte[] image = jarImage();
        String sha = sha256(image);
        String memfdProblem = null;
        String dirProperty = System.getProperty(DIR_PROPERTY);
        if (dirProperty == null || dirProperty.isEmpty()) {
            try {
                return inMemfd(image, sha);
            } catch (Refused e) {
                memfdProblem = e.getMessage();
            }
        }
        String name = "sandbox-helper-" + sha.substring(0, 24);
        List<String> refused = new ArrayList<>();
        for (Path dir : candidateDirs(dirProperty)) {
            try {
                return extracted(dir, name, image, sha);
            } catch (Refused e) {
                refused.add(dir + " (" + e.getMessage() + ")");
            }
        }
        throw new SandboxException("helper", "", "found no directory to run the helper from: "
                + String.join(", ", refused) + (memfdProblem == null ? "" : "; nor a memfd: " + memfdProblem)
                + "; set -D" + DIR_PROPERTY + " to a directory you own on a file system that allows exec", null);
    }

    private static byte[] jarImage() throws SandboxException {
        String resource = "/META-INF/native/" + platform() + "/sandbox-helper";
        InputStream found = HelperBinary.class.getResourceAsStream(resource);
        if (found == null) {
            throw new SandboxException("helper", resource, "this jar carries no helper for "
                    + platform() + "; build one from sandbox-core/src/main/c and set -D"
                    + PATH_PROPERTY + "=<path>", null);
        }
        try (InputStream in = found) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new SandboxException("helper", resource, "cannot read the helper from the jar", e);
        }
    }

    /** {@value #PATH_PROPERTY}: the user named this path, so it is followed, but only this once. */
    private static Held named(Path p) throws SandboxException {
        int fd = LibC.get().open(Encoding.cString(p.toString()), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new SandboxException("open", p.toString(), LibC.errno(), "-D" + PATH_PROPERTY + " names no executable file");
        }
        Held h = null;
        boolean ok = false;
        try {
            h = hold(fd, p.toString());
            Statx s = stat(h.fd());
            if (!s.isRegularFile() || (s.permissions() & 0111) == 0) {
                throw new SandboxException("helper", p.toString(), "-D" + PATH_PROPERTY + " names no executable file", null);
            }
            ok = true;
            return h;
        } catch (Refused e) {
            throw new SandboxException("helper", p.toString(), e.getMessage(), null);
        } finally {
            if (!ok && h != null) {
                LibC.get().close(h.fd());
            }
        }
    }

    /** The image in a sealed memfd: it exists only as this fd, and the seals forbid any change to it. */
    private static Held inMemfd(byte[] image, String sha) throws Refused {
        LibC libc = LibC.get();
        byte[] name = Encoding.cString(MEMFD_NAME);
        int flags = LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING;
        int fd = libc.memfd_create(name, flags | LibC.MFD_EXEC);
        if (fd < 0 && LibC.errno() == Errno.EINVAL) {
            fd = libc.memfd_create(name, flags); // before Linux 6.3 a memfd is executable without asking
        }
        if (fd < 0) {
            throw Refused.failed("memfd_create", MEMFD_NAME, LibC.errno());
        }
        Held h = hold(fd, "memfd:" + MEMFD_NAME);
        boolean ok = false;
        try {
            writeFully(h.fd(), image, h.origin());
            if (libc.fcntl(h.fd(), LibC.F_ADD_SEALS, SEALS) != 0) {
                throw Refused.failed("fcntl(F_ADD_SEALS)", h.origin(), LibC.errno());
            }
            if (!holdsImage(h, image.length, sha)) {
                throw new Refused("the memfd does not hold what was written to it");
            }
            checkExecs(h);
            ok = true;
            return h;
        } finally {
            if (!ok) {
                libc.close(h.fd());
            }
        }
    }

    private static List<Path> candidateDirs(String dirProperty) {
        List<Path> dirs = new ArrayList<>();
        if (dirProperty != null && !dirProperty.isEmpty()) {
            dirs.add(Path.of(dirProperty).toAbsolutePath());
            return dirs;
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && xdg.startsWith("/")) {
            dirs.add(Path.of(xdg, "dev.sandbox"));
        }
        String home = System.getProperty("user.home");
        if (home != null && home.startsWith("/") && Files.isDirectory(Path.of(home))) {
            dirs.add(Path.of(home, ".cache", "dev.sandbox"));
        }
        dirs.add(Path.of(System.getProperty("java.io.tmpdir"), "dev.sandbox-" + ProcessFacts.euid()));
        return dirs;
    }

    /**
     * The image extracted into {@code dir}. Once the directory is open every step is relative to its
     * fd (openat, renameat), and the file is checked through the fd that is then held, so re-pointing
     * a name after a check changes nothing. libc's *at calls rather than NIO's SecureDirectoryStream,
     * which would give the same guarantees: its channels hide their fd, and an fd is what every spawn
     * execs; nor can it tell a noexec mount.
     */
    private static Held extracted(Path dir, String name, byte[] image, String sha) throws Refused {
        LibC libc = LibC.get();
        int dirFd = openOwnDirectory(dir);
        try {
            if (mountedNoexec(dirFd, dir)) {
                throw new Refused("mounted noexec");
            }
            Held h = openExtracted(dirFd, dir, name, image.length, sha);
            if (h == null) {
                writeAndRename(dirFd, name, image);
                h = openExtracted(dirFd, dir, name, image.length, sha);
                if (h == null) {
                    throw new Refused(name + " changed between its rename and its open");
                }
            }
            try {
                checkExecs(h);
            } catch (Refused e) {
                libc.close(h.fd());
                throw e;
            }
            return h;
        } finally {
            libc.close(dirFd);
        }
    }

    /**
     * {@code dir} made (0700) if missing and opened without following a link; its parents are the
     * user's own choice (home, $XDG_CACHE_HOME, java.io.tmpdir) and are made if missing, not checked:
     * whatever a parent resolves to, the directory is judged by the fd that was opened.
     */
    private static int openOwnDirectory(Path dir) throws Refused {
        LibC libc = LibC.get();
        Path parent = dir.getParent();
        if (parent != null) {
            try {
                Files.createDirectories(parent);
            } catch (IOException e) {
                throw new Refused("cannot create " + parent + ": " + e);
            }
        }
        byte[] path = Encoding.cString(dir.toString());
        if (libc.mkdir(path, 0700) != 0 && LibC.errno() != Errno.EEXIST) {
            throw Refused.failed("mkdir", dir.toString(), LibC.errno());
        }
        int fd = libc.open(path, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            int errno = LibC.errno();
            if (Files.isSymbolicLink(dir)) { // the kernel already refused it; this only names why
                throw new Refused("a symbolic link" + linkTarget(dir) + ", which could be re-pointed");
            }
            throw errno == Errno.ENOTDIR ? new Refused("not a directory") : Refused.failed("open", dir.toString(), errno);
        }
        try {
            checkOwned(stat(fd), "");
            return fd;
        } catch (Refused e) {
            libc.close(fd);
            throw e;
        }
    }

    private static String linkTarget(Path link) {
        try {
            return " to " + Files.readSymbolicLink(link);
        } catch (IOException gone) {
            return "";
        }
    }

    /** The extracted image held, or null when there is none yet or it differs from the jar's. */
    private static Held openExtracted(int dirFd, Path dir, String name, long length, String sha) throws Refused {
        LibC libc = LibC.get();
        int fd = libc.openat(dirFd, Encoding.cString(name), LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            int errno = LibC.errno();
            if (errno == Errno.ENOENT) {
                return null;
            }
            throw errno == Errno.ELOOP ? new Refused(name + " is a symbolic link") : Refused.failed("openat", name, errno);
        }
        Held h = hold(fd, dir.resolve(name).toString());
        boolean ok = false;
        try {
            Statx s = stat(h.fd());
            if (!s.isRegularFile()) {
                throw new Refused(name + " is not a regular file");
            }
            checkOwned(s, name + " ");
            ok = holdsImage(h, length, sha);
            return ok ? h : null;
        } finally {
            if (!ok) {
                libc.close(h.fd());
            }
        }
    }

    /** Writes the image under a fresh name (O_EXCL) and renames it into place: never half a helper. */
    private static void writeAndRename(int dirFd, String name, byte[] image) throws Refused {
        LibC libc = LibC.get();
        String tmp = name + "." + HexFormat.of().toHexDigits(new SecureRandom().nextLong()) + ".tmp";
        byte[] tmpPath = Encoding.cString(tmp);
        int fd = libc.openat(dirFd, tmpPath, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW
                | LibC.O_CLOEXEC, 0700);
        if (fd < 0) {
            throw Refused.failed("openat", tmp, LibC.errno());
        }
        boolean renamed = false;
        try {
            try {
                if (libc.fchmod(fd, 0755) != 0) {
                    throw Refused.failed("fchmod", tmp, LibC.errno());
                }
                writeFully(fd, image, tmp);
                if (libc.fsync(fd) != 0) {
                    throw Refused.failed("fsync", tmp, LibC.errno());
                }
            } finally {
                libc.close(fd); // no writer may stay open: exec refuses a file open for writing (ETXTBSY)
            }
            if (libc.renameat(dirFd, tmpPath, dirFd, Encoding.cString(name)) != 0) {
                throw Refused.failed("renameat", tmp, LibC.errno());
            }
            renamed = true;
        } finally {
            if (!renamed) {
                libc.unlinkat(dirFd, tmpPath, 0);
            }
        }
    }

    /** A directory or file in it must be this euid's alone, or another user could change the helper. */
    private static void checkOwned(Statx s, String what) throws Refused {
        int me = ProcessFacts.euid();
        if (s.uid() != me) {
            throw new Refused(what + "owned by uid " + Integer.toUnsignedString(s.uid()) + ", not by uid " + me);
        }
        if ((s.permissions() & 0022) != 0) {
            throw new Refused(what + "writable by group or others (mode " + Integer.toOctalString(s.permissions()) + ")");
        }
    }

    /** fstatvfs' ST_NOEXEC: exec of anything in this directory would fail with EACCES. */
    private static boolean mountedNoexec(int dirFd, Path dir) throws Refused {
        Pointer buf = Memory.allocateDirect(LibC.runtime(), 128, true);
        if (LibC.get().fstatvfs(dirFd, buf) != 0) {
            throw Refused.failed("fstatvfs", dir.toString(), LibC.errno());
        }
        return (buf.getLong(72) & LibC.ST_NOEXEC) != 0; // f_flag, see LibC.fstatvfs
    }

    /** Whether the held file is the jar's image: its size, then its sha256, read through the fd itself. */
    private static boolean holdsImage(Held h, long length, String sha) throws Refused {
        if (stat(h.fd()).size() != length) {
            return false;
        }
        MessageDigest digest = sha256();
        byte[] buf = new byte[64 * 1024];
        long offset = 0;
        while (true) {
            long n = LibC.get().pread(h.fd(), buf, buf.length, offset);
            if (n < 0) {
                if (LibC.errno() == Errno.EINTR) {
                    continue;
                }
                throw Refused.failed("pread", h.origin(), LibC.errno());
            }
            if (n == 0) {
                break;
            }
            digest.update(buf, 0, (int) n);
            offset += n;
        }
        return offset == length && HexFormat.of().formatHex(digest.digest()).equals(sha);
    }

    /**
     * Execs the image once with {@code --exec-check} (exits 0 at once): a memfd may be refused exec by
     * vm.memfd_noexec or an LSM, a file by its mount or an LSM, and only the kernel can tell.
     */
    private static void checkExecs(Held h) throws Refused {
        int pid;
        try {
            pid = HelperPool.spawnImage(h, -1, Argv.EXEC_CHECK_ARGV);
        } catch (SandboxException e) {
            throw new Refused("exec'ing it failed: " + e.getMessage());
        }
        int status = WaitStatus.reap(pid);
        if (status != 0 && status != -1) { // -1: reaped elsewhere in the JVM, after the exec succeeded
            throw new Refused("its exec check " + WaitStatus.describe(status));
        }
    }

    /** Moves {@code fd} above the numbers a spawn dup2's onto; closes {@code fd}. */
    private static Held hold(int fd, String origin) throws Refused {
        LibC libc = LibC.get();
        int moved = libc.fcntl(fd, LibC.F_DUPFD_CLOEXEC, EXEC_FD + 1);
        int errno = LibC.errno();
        libc.close(fd);
        if (moved < 0) {
            throw Refused.failed("fcntl(F_DUPFD_CLOEXEC)", origin, errno);
        }
        return new Held(moved, origin);
    }

    private static void writeFully(int fd, byte[] data, String what) throws Refused {
        int off = 0;
        while (off < data.length) {
            byte[] chunk = off == 0 ? data : Arrays.copyOfRange(data, off, data.length);
            long n = LibC.get().write(fd, chunk, chunk.length);
            if (n < 0) {
                if (LibC.errno() == Errno.EINTR) {
                    continue;
                }
                throw Refused.failed("write", what, LibC.errno());
            }
            off += (int) n;
        }
    }

    private static Statx stat(int fd) throws Refused {
        try {
            return Statx.of(fd);
        } catch (SandboxException e) {
            throw new Refused(e.getMessage());
        }
    }

    private static String sha256(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
