package dev.sandbox.base;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * errno numbers for the running architecture, their kernel names ({@code ENOENT}) and fixed
 * English descriptions. The table is jnr-constants' per-platform {@code Errno} (generated from
 * {@code <errno.h>}; x86_64 and aarch64 share the generic numbering), so nothing depends on
 * {@code strerror} or the locale.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Errno {

    public static final int EPERM = value(jnr.constants.platform.Errno.EPERM);
    public static final int ENOENT = value(jnr.constants.platform.Errno.ENOENT);
    public static final int ESRCH = value(jnr.constants.platform.Errno.ESRCH);
    public static final int EINTR = value(jnr.constants.platform.Errno.EINTR);
    public static final int EIO = value(jnr.constants.platform.Errno.EIO);
    public static final int EBADF = value(jnr.constants.platform.Errno.EBADF);
    public static final int ECHILD = value(jnr.constants.platform.Errno.ECHILD);
    public static final int EAGAIN = value(jnr.constants.platform.Errno.EAGAIN);
    public static final int ENOMEM = value(jnr.constants.platform.Errno.ENOMEM);
    public static final int EACCES = value(jnr.constants.platform.Errno.EACCES);
    public static final int EBUSY = value(jnr.constants.platform.Errno.EBUSY);
    public static final int EEXIST = value(jnr.constants.platform.Errno.EEXIST);
    public static final int ENODEV = value(jnr.constants.platform.Errno.ENODEV);
    public static final int ENOTDIR = value(jnr.constants.platform.Errno.ENOTDIR);
    public static final int EISDIR = value(jnr.constants.platform.Errno.EISDIR);
    public static final int EINVAL = value(jnr.constants.platform.Errno.EINVAL);
    public static final int EMFILE = value(jnr.constants.platform.Errno.EMFILE);
    public static final int ENOSPC = value(jnr.constants.platform.Errno.ENOSPC);
    public static final int EROFS = value(jnr.constants.platform.Errno.EROFS);
    public static final int EPIPE = value(jnr.constants.platform.Errno.EPIPE);
    public static final int ERANGE = value(jnr.constants.platform.Errno.ERANGE);
    public static final int ENOTEMPTY = value(jnr.constants.platform.Errno.ENOTEMPTY);
    public static final int ELOOP = value(jnr.constants.platform.Errno.ELOOP);
    public static final int ENOSYS = value(jnr.constants.platform.Errno.ENOSYS);
    public static final int EUSERS = value(jnr.constants.platform.Errno.EUSERS);
    public static final int EOPNOTSUPP = value(jnr.constants.platform.Errno.EOPNOTSUPP);
    public static final int ECONNRESET = value(jnr.constants.platform.Errno.ECONNRESET);

    private Errno() {
    }

    private static int value(jnr.constants.platform.Errno e) {
        if (!e.defined()) {
            throw new ExceptionInInitializerError("errno " + e.name() + " is not defined for this platform");
        }
        return e.intValue();
    }

    private static jnr.constants.platform.Errno lookup(int errno) {
        jnr.constants.platform.Errno e = errno > 0 ? jnr.constants.platform.Errno.valueOf(errno) : null;
        return e != null && e != jnr.constants.platform.Errno.__UNKNOWN_CONSTANT__ && e.defined() ? e : null;
    }

    /** {@code ENOENT} for 2; {@code errno 999} for a number this platform does not know. */
    public static String name(int errno) {
        jnr.constants.platform.Errno e = lookup(errno);
        return e != null ? e.name() : "errno " + errno;
    }

    /** Whether this platform has a name for {@code errno}. */
    public static boolean known(int errno) {
        return lookup(errno) != null;
    }

    /** {@code No such file or directory} for 2 (English, whatever the locale). */
    public static String description(int errno) {
        jnr.constants.platform.Errno e = lookup(errno);
        return e != null ? e.description() : "unknown error";
    }

    /** 2 for {@code ENOENT}; 0 for a name this platform does not know. */
    public static int number(String name) {
        try {
            jnr.constants.platform.Errno e = jnr.constants.platform.Errno.valueOf(name);
            return e.defined() ? e.intValue() : 0;
        } catch (IllegalArgumentException unknown) {
            return 0;
        }
    }

    /** {@code ENOENT (No such file or directory)}. */
    public static String describe(int errno) {
        return name(errno) + " (" + description(errno) + ")";
    }

    /**
     * The errno behind {@code e}, or 0 when it cannot be told: a failed {@link Posix} call carries
     * its own ({@link ErrnoException}); a JDK exception counts only by its exact type
     * ({@link NoSuchFileException} is ENOENT). Message text is never parsed: it is the C library's
     * translated {@code strerror}.
     */
    public static int of(IOException e) {
        if (e instanceof ErrnoException ee) {
            return ee.errno();
        }
        if (e instanceof NoSuchFileException) {
            return ENOENT;
        }
        if (e instanceof AccessDeniedException) {
            return EACCES;
        }
        if (e instanceof FileAlreadyExistsException) {
            return EEXIST;
        }
        if (e instanceof DirectoryNotEmptyException) {
            return ENOTEMPTY;
        }
        if (e instanceof NotDirectoryException) {
            return ENOTDIR;
        }
        return 0;
    }

    /**
     * The exception for a failed system call on {@code path}: the JDK's own type where one means
     * exactly this errno ({@link NoSuchFileException} for ENOENT, …), so callers that catch those keep
     * working, else an {@link ErrnoException}. The reason is {@link #describe}, never {@code strerror}.
     */
    public static IOException exception(String path, int errno) {
        String reason = describe(errno);
        if (errno == ENOENT) {
            return new NoSuchFileException(path, null, reason);
        }
        if (errno == EACCES) {
            return new AccessDeniedException(path, null, reason);
        }
        if (errno == EEXIST) {
            return new FileAlreadyExistsException(path, null, reason);
        }
        if (errno == ENOTEMPTY) {
            return new DirectoryNotEmptyException(path);
        }
        if (errno == ENOTDIR) {
            return new NotDirectoryException(path);
        }
        return new ErrnoException(path, errno);
    }
}
