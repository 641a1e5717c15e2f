package dev.sandbox.internal.seccomp;

import dev.sandbox.base.Checks;
import dev.sandbox.base.Errno;

/**
 * The values a seccomp filter returns ({@code SECCOMP_RET_*} of {@code linux/seccomp.h}): the
 * action in the high 16 bits, its data (the errno) in the low 16.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class SeccompReturn {

    public static final int KILL_PROCESS = 0x80000000;
    public static final int KILL_THREAD = 0x00000000;
    public static final int TRAP = 0x00030000;
    public static final int ERRNO = 0x00050000;
    public static final int LOG = 0x7ffc0000;
    public static final int ALLOW = 0x7fff0000;

    /** The largest errno the kernel hands back (MAX_ERRNO); the data field itself has 16 bits. */
    public static final int MAX_ERRNO = 4095;

    private SeccompReturn() {
    }

    /** {@code ERRNO | errno}; {@code errno} is 1 to {@value #MAX_ERRNO}. */
    public static int errno(int errno) {
        Checks.inRange("errno", errno, 1, MAX_ERRNO, "");
        return ERRNO | errno;
    }

    /** {@code allow}, {@code errno(EPERM)}, {@code killProcess}, ...: the name of the factory that makes it. */
    public static String describe(int value) {
        switch (value & 0xffff0000) {
            case KILL_PROCESS:
                return "killProcess";
            case KILL_THREAD:
                return "killThread";
            case TRAP:
                return "trap";
            case ERRNO: {
                int errno = value & 0xffff;
                String name = Errno.name(errno);
                return "errno(" + (name.startsWith("E") ? name : Integer.toString(errno)) + ")";
            }
            case LOG:
                return "log";
            case ALLOW:
                return "allow";
            default:
                return String.format("0x%08x", value);
        }
    }
}
