package dev.sandbox.internal;

import dev.sandbox.base.Posix;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls the JVM side needs, bound with jnr-ffi (jnr-posix lacks most of them or wraps them
 * lossily: its {@code posix_spawnp} drops the error code). The plain POSIX calls the cgroup library
 * makes too ({@code open}, {@code read}, {@code write}, {@code close}, {@code kill}, {@code geteuid},
 * …) are declared once, in {@link Posix}, and inherited here. Every call that fails reports through
 * {@link #errno()}, read at once; errno numbers and names are {@link dev.sandbox.base.Errno}'s.
 *
 * <p><strong>Internal usage only.</strong>
 */
public interface LibC extends Posix {

    int AF_UNIX = 1;
    int SOCK_STREAM = 1;
    int SOCK_CLOEXEC = 0x80000;
    int O_CREAT = 0x40;
    int O_EXCL = 0x80;
    int O_TRUNC = 0x200;
    int O_APPEND = 0x400;
    int O_NONBLOCK = 0x800;
    /** Differs between x86_64 and aarch64, so taken from jnr-constants' per-platform table. */
    int O_DIRECTORY = jnr.constants.platform.OpenFlags.O_DIRECTORY.intValue();
    /** Differs between x86_64 and aarch64, as {@link #O_DIRECTORY}. */
    int O_NOFOLLOW = jnr.constants.platform.OpenFlags.O_NOFOLLOW.intValue();
    int AT_EMPTY_PATH = 0x1000;
    int F_DUPFD_CLOEXEC = 1030;
    int F_ADD_SEALS = 1033;
    int F_GET_SEALS = 1034;
    int F_SEAL_SEAL = 0x1;
    int F_SEAL_SHRINK = 0x2;
    int F_SEAL_GROW = 0x4;
    int F_SEAL_WRITE = 0x8;
    int MFD_CLOEXEC = 0x1;
    int MFD_ALLOW_SEALING = 0x2;
    /** Since Linux 6.3: asks for an executable memfd explicitly (older kernels answer EINVAL). */
    int MFD_EXEC = 0x10;
    /** struct statvfs's f_flag bit for a file system mounted noexec. */
    long ST_NOEXEC = 8;
    int MSG_NOSIGNAL = 0x4000;
    int MSG_DONTWAIT = 0x40;
    int SOL_SOCKET = 1;
    int SCM_RIGHTS = 1;
    int EPOLL_CLOEXEC = 0x80000;
    int EPOLL_CTL_ADD = 1;
    int EPOLL_CTL_DEL = 2;
    int EPOLLIN = 0x1;
    int EPOLLERR = 0x8;
    int EPOLLHUP = 0x10;
    int WNOHANG = 1;
    short POLLIN = 0x1;

    int posix_spawn(@Out IntByReference pid, @In byte[] path, Pointer fileActions, Pointer attr,
                    Pointer argv, Pointer envp);

    int posix_spawn_file_actions_init(Pointer fileActions);

    int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

    int posix_spawn_file_actions_addopen(Pointer fileActions, int fd, @In byte[] path, int flags, int mode);

    int posix_spawn_file_actions_destroy(Pointer fileActions);

    int socketpair(int domain, int type, int protocol, @Out int[] fds);

    int pipe2(@Out int[] fds, int flags);

    int openat(int dirFd, @In byte[] path, int flags, int mode);

    int renameat(int oldDirFd, @In byte[] oldPath, int newDirFd, @In byte[] newPath);

    int unlinkat(int dirFd, @In byte[] path, int flags);

    int memfd_create(@In byte[] name, int flags);

    int fchmod(int fd, int mode);

    int fsync(int fd);

    /** Arch-independent layout, unlike struct stat: see {@link Statx}. */
    int statx(int dirFd, @In byte[] path, int flags, int mask, Pointer statx);

    /** struct statvfs: on LP64 Linux eleven 8-byte fields, {@code f_flag} the tenth (offset 72). */
    int fstatvfs(int fd, Pointer statvfs);

    int fcntl(int fd, int cmd, int arg);

    @ssize_t long recv(int fd, @Out byte[] buf, @size_t long count, int flags);

    @ssize_t long send(int fd, @In byte[] buf, @size_t long count, int flags);

    @ssize_t long sendmsg(int fd, Pointer msghdr, int flags);

    int waitpid(int pid, @Out int[] status, int options);

    int epoll_create1(int flags);

    int epoll_ctl(int epfd, int op, int fd, Pointer event);

    int epoll_wait(int epfd, Pointer events, int maxEvents, int timeoutMillis);

    /** {@code fds} holds struct pollfd's: {@code int fd}, then {@code short events, revents} (see {@link #pollIn}). */
    int poll(@In int[] fds, long nfds, int timeoutMillis);

    /** The second int of a struct pollfd that asks for {@link #POLLIN} (events is its first short). */
    static int pollIn() {
        return java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN ? POLLIN : POLLIN << 16;
    }

    /** The loaded binding; loading fails at once, not on first call, on a broken host. */
    static LibC get() {
        return Holder.LIBC;
    }

    /** The errno left by the last failing call on this thread. */
    static int errno() {
        return Runtime.getRuntime(Holder.LIBC).getLastError();
    }

    /** The jnr runtime the binding lives in, for native memory. */
    static Runtime runtime() {
        return Runtime.getRuntime(Holder.LIBC);
    }

    /** Holder idiom: the library is loaded once, on first use, never at class-init of the API. */
    final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately().load("c");

        private Holder() {
        }
    }
}
