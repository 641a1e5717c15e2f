package dev.sandbox.cgroups.internal;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Map;

/**
 * The errno behind a JDK {@link IOException}, as the kernel names it ({@code EBUSY}).
 *
 * <p>The JDK reports a failed system call either as a typed {@link FileSystemException}
 * ({@link NoSuchFileException} is ENOENT) or as a message that is glibc's {@code strerror} text;
 * this maps both back, so errors can name the errno the kernel returned.
 *
 * <p><strong>Internal usage only.</strong>
 *
 * @param name        {@code EACCES}, or {@code EIO?} when the cause cannot be told
 * @param description {@code Permission denied}
 */
public record Errno(String name, String description) {

    public static final Errno EACCES = new Errno("EACCES", "Permission denied");
    public static final Errno ENOENT = new Errno("ENOENT", "No such file or directory");
    public static final Errno EBUSY = new Errno("EBUSY", "Device or resource busy");

    private static final Map<String, String> BY_STRERROR = Map.ofEntries(
            Map.entry("Operation not permitted", "EPERM"),
            Map.entry("No such file or directory", "ENOENT"),
            Map.entry("No such process", "ESRCH"),
            Map.entry("Interrupted system call", "EINTR"),
            Map.entry("Input/output error", "EIO"),
            Map.entry("No such device or address", "ENXIO"),
            Map.entry("Argument list too long", "E2BIG"),
            Map.entry("Bad file descriptor", "EBADF"),
            Map.entry("Resource temporarily unavailable", "EAGAIN"),
            Map.entry("Cannot allocate memory", "ENOMEM"),
            Map.entry("Permission denied", "EACCES"),
            Map.entry("Device or resource busy", "EBUSY"),
            Map.entry("File exists", "EEXIST"),
            Map.entry("Invalid cross-device link", "EXDEV"),
            Map.entry("No such device", "ENODEV"),
            Map.entry("Not a directory", "ENOTDIR"),
            Map.entry("Is a directory", "EISDIR"),
            Map.entry("Invalid argument", "EINVAL"),
            Map.entry("Too many open files", "EMFILE"),
            Map.entry("Too many open files in system", "ENFILE"),
            Map.entry("File too large", "EFBIG"),
            Map.entry("No space left on device", "ENOSPC"),
            Map.entry("Read-only file system", "EROFS"),
            Map.entry("Numerical result out of range", "ERANGE"),
            Map.entry("Directory not empty", "ENOTEMPTY"),
            Map.entry("Operation not supported", "EOPNOTSUPP"),
            Map.entry("Too many levels of symbolic links", "ELOOP"),
            Map.entry("Disk quota exceeded", "EDQUOT"),
            Map.entry("Stale file handle", "ESTALE"));

    /** The errno behind {@code e}. */
    public static Errno of(IOException e) {
        if (e instanceof NoSuchFileException) {
            return ENOENT;
        }
        if (e instanceof AccessDeniedException) {
            return EACCES;
        }
        if (e instanceof FileAlreadyExistsException) {
            return new Errno("EEXIST", "File exists");
        }
        if (e instanceof DirectoryNotEmptyException) {
            return new Errno("ENOTEMPTY", "Directory not empty");
        }
        if (e instanceof NotDirectoryException) {
            return new Errno("ENOTDIR", "Not a directory");
        }
        String text = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
        if (text != null) {
            String name = BY_STRERROR.get(text.trim());
            if (name != null) {
                return new Errno(name, text.trim());
            }
            // FileNotFoundException and friends: "path (Permission denied)"
            int open = text.lastIndexOf(" (");
            if (open >= 0 && text.endsWith(")")) {
                String inner = text.substring(open + 2, text.length() - 1);
                name = BY_STRERROR.get(inner);
                if (name != null) {
                    return new Errno(name, inner);
                }
            }
        }
        return new Errno("EIO?", text == null ? e.getClass().getSimpleName() : text);
    }

    /** Whether the errno could be told (not {@code EIO?}). */
    public boolean known() {
        return !name.endsWith("?");
    }

    /** Whether {@code e} is this errno. */
    public boolean is(IOException e) {
        return of(e).name.equals(name);
    }

    /** {@code EACCES (Permission denied)}. */
    @Override
    public String toString() {
        return name + " (" + description + ")";
    }
}
