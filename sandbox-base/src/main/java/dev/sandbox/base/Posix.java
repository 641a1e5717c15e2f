package dev.sandbox.base;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The one jnr-ffi binding of the plain POSIX calls that both {@code sandbox-cgroups} (cgroupfs
 * writes with the call's own errno) and {@code sandbox-core} make; core's {@code LibC} extends it
 * with the calls only the core needs. A failing call reports through {@link #errno()}, read at
 * once on the same thread; {@link Errno} names it.
 *
 * <p><strong>Internal usage only.</strong>
 */
public interface Posix {

    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_RDWR = 2;
    int O_CLOEXEC = 0x80000;

    int open(@In byte[] path, int flags, int mode);

    int mkdir(@In byte[] path, int mode);

    int rmdir(@In byte[] path);

    int close(int fd);

    @ssize_t long read(int fd, @Out byte[] buf, @size_t long count);

    @ssize_t long pread(int fd, @Out byte[] buf, @size_t long count, long offset);

    @ssize_t long write(int fd, @In byte[] buf, @size_t long count);

    int kill(int pid, int signal);

    int geteuid();

    int getegid();

    /** struct rlimit on LP64 Linux: {@code rlim_cur}, {@code rlim_max}, two 8-byte fields. */
    int getrlimit(int resource, @Out long[] rlimit);

    /** The loaded binding; loading fails at once, not on first call, on a broken host. */
    static Posix get() {
        return Holder.POSIX;
    }

    /** The errno left by the last failing call on this thread (any jnr-ffi binding). */
    static int errno() {
        return Runtime.getRuntime(Holder.POSIX).getLastError();
    }

    /** Holder idiom: the library is loaded once, on first use. */
    final class Holder {
        static final Posix POSIX = LibraryLoader.create(Posix.class).failImmediately().load("c");

        private Holder() {
        }
    }
}
