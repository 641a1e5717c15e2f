package dev.sandbox.internal;

import jnr.constants.platform.Errno;

/**
 * errno numbers as the kernel names them ({@code ENOENT}) and as strerror describes them.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Errnos {

    private Errnos() {
    }

    /** {@code ENOENT} for 2; {@code errno 999} for a number this platform does not know. */
    public static String name(int errno) {
        Errno e = Errno.valueOf(errno);
        return e != null && e != Errno.__UNKNOWN_CONSTANT__ ? e.name() : "errno " + errno;
    }

    /** {@code No such file or directory} for 2. */
    public static String description(int errno) {
        Errno e = Errno.valueOf(errno);
        return e != null && e != Errno.__UNKNOWN_CONSTANT__ ? e.description() : "unknown error";
    }

    /** 2 for {@code ENOENT}; 0 for a name this platform does not know. */
    public static int number(String name) {
        try {
            Errno e = Errno.valueOf(name);
            return e.defined() ? e.intValue() : 0;
        } catch (IllegalArgumentException unknown) {
            return 0;
        }
    }

    /** {@code ENOENT (No such file or directory)}. */
    public static String describe(int errno) {
        return name(errno) + " (" + description(errno) + ")";
    }
}
