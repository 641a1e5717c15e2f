package dev.sandbox.internal;

import dev.sandbox.SandboxException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Finds the sandbox-helper executable: the path in the {@value #PATH_PROPERTY} system property,
 * or the copy shipped in the jar, extracted once into a content-addressed cache directory
 * ({@code sandbox-helper-<sha256>}) that is owned by this user and not mounted {@code noexec}.
 *
 * <p>Cache directories tried in order: {@value #DIR_PROPERTY}, {@code $XDG_CACHE_HOME/dev.sandbox},
 * {@code ~/.cache/dev.sandbox}, {@code java.io.tmpdir/dev.sandbox-<uid>}.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class HelperBinary {

    /** Use this helper executable instead of the one in the jar. */
    public static final String PATH_PROPERTY = "sandbox.helper";
    /** Extract the helper into this directory. */
    public static final String DIR_PROPERTY = "sandbox.helper.dir";

    private static volatile Path cached;

    private HelperBinary() {
    }

    /** The helper's path; found (and extracted) once per JVM. */
    public static Path path() throws SandboxException {
        Path p = cached;
        if (p == null) {
            synchronized (HelperBinary.class) {
                p = cached;
                if (p == null) {
                    p = locate();
                    cached = p;
                }
            }
        }
        return p;
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

    private static Path locate() throws SandboxException {
        String override = System.getProperty(PATH_PROPERTY);
        if (override != null && !override.isEmpty()) {
            Path p = Path.of(override).toAbsolutePath();
            if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
                throw new SandboxException("helper", p.toString(),
                        "-D" + PATH_PROPERTY + " names no executable file", null);
            }
            return p;
        }
        if (!System.getProperty("os.name", "").equals("Linux")) {
            throw new SandboxException("helper", "", "sandbox runs on Linux only, not on "
                    + System.getProperty("os.name"), null);
        }
        String resource = "/META-INF/native/" + platform() + "/sandbox-helper";
        byte[] image;
        try (InputStream in = HelperBinary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new SandboxException("helper", resource, "this jar carries no helper for "
                        + platform() + "; build one from sandbox-core/src/main/c and set -D"
                        + PATH_PROPERTY + "=<path>", null);
            }
            image = in.readAllBytes();
        } catch (IOException e) {
            throw new SandboxException("helper", resource, "cannot read the helper from the jar", e);
        }
        String name = "sandbox-helper-" + sha256(image).substring(0, 24);
        List<String> refused = new ArrayList<>();
        for (Path dir : candidateDirs()) {
            try {
                Path p = install(dir, name, image);
                if (p != null) {
                    return p;
                }
                refused.add(dir + " (mounted noexec)");
            } catch (IOException e) {
                refused.add(dir + " (" + e + ")");
            }
        }
        throw new SandboxException("helper", "", "found no directory to run the helper from: "
                + String.join(", ", refused) + "; set -D" + DIR_PROPERTY
                + " to a directory you own on a file system that allows exec", null);
    }

    private static List<Path> candidateDirs() {
        List<Path> dirs = new ArrayList<>();
        String prop = System.getProperty(DIR_PROPERTY);
        if (prop != null && !prop.isEmpty()) {
            dirs.add(Path.of(prop).toAbsolutePath());
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
        dirs.add(Path.of(System.getProperty("java.io.tmpdir"), "dev.sandbox-" + LibC.get().geteuid()));
        return dirs;
    }

    /** The installed helper, or null when {@code dir} does not allow exec. */
    private static Path install(Path dir, String name, byte[] image) throws IOException {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        checkOwnDirectory(dir);
        Path target = dir.resolve(name);
        if (Files.isRegularFile(target) && Files.size(target) == image.length
                && sha256(Files.readAllBytes(target)).equals(sha256(image))) {
            return Files.isExecutable(target) ? target : null;
        }
        Path tmp = Files.createTempFile(dir, name, ".tmp");
        try {
            Files.write(tmp, image);
            Files.setPosixFilePermissions(tmp, Set.of(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
                    PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE,
                    PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        // access(X_OK) fails on a noexec mount, which is what we need to know.
        return Files.isExecutable(target) ? target : null;
    }

    /** A shared directory such as /tmp must not let another user swap the helper under us. */
    private static void checkOwnDirectory(Path dir) throws IOException {
        int owner = (Integer) Files.getAttribute(dir, "unix:uid");
        int mode = (Integer) Files.getAttribute(dir, "unix:mode");
        int me = LibC.get().geteuid();
        if (owner != me) {
            throw new IOException("owned by uid " + owner + ", not by uid " + me);
        }
        if ((mode & 0022) != 0) {
            throw new IOException("writable by group or others (mode " + Integer.toOctalString(mode & 0777) + ")");
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
