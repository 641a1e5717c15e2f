package dev.sandbox.base;

import java.nio.file.FileSystemException;

/**
 * A failed system call on a path, with the errno the call itself returned. Its reason is
 * {@link Errno#describe} ({@code EBUSY (Device or resource busy)}), the same under every locale.
 * Made by {@link Errno#exception}, which prefers the JDK's own exception types where they are exact.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class ErrnoException extends FileSystemException {

    private final int errno;

    public ErrnoException(String path, int errno) {
        super(path, null, Errno.describe(errno));
        this.errno = errno;
    }

    /** The errno of the failed call. */
    public int errno() {
        return errno;
    }
}
