package dev.sandbox.internal;

import dev.sandbox.SandboxException;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * What statx(2) says about an open file: the fields the JVM checks before it trusts a file it
 * holds. statx rather than fstat because struct statx has one layout on
 * every architecture (struct stat differs between x86_64 and aarch64).
 *
 * @param mode  {@code st_mode}: file type and permission bits
 * @param uid   the owner
 * @param size  the size in bytes
 */
record Statx(int mode, int uid, long size) {

    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final byte[] EMPTY = {0};

    /** The file {@code fd} refers to (statx with AT_EMPTY_PATH: no name is resolved). */
    static Statx of(int fd) throws SandboxException {
        Pointer buf = Memory.allocateDirect(LibC.runtime(), 256, true);
        if (LibC.get().statx(fd, EMPTY, LibC.AT_EMPTY_PATH, STATX_BASIC_STATS, buf) != 0) {
            throw new SandboxException("statx", "fd " + fd, LibC.errno(), "");
        }
        // struct statx: stx_uid at 20, stx_mode (u16) at 28, stx_size at 40
        return new Statx(buf.getShort(28) & 0xffff, buf.getInt(20), buf.getLong(40));
    }

    boolean isRegularFile() {
        return (mode & S_IFMT) == S_IFREG;
    }

    /** The permission bits, as {@code ls -l} shows them in octal. */
    int permissions() {
        return mode & 07777;
    }
}
