package dev.sandbox.internal;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Native memory a thread reuses for the calls of every start (the spec's sendmsg, the helper's
 * posix_spawn, an epoll registration). jnr frees the memory of {@link Memory#allocateDirect} in a
 * finalizer; allocated per start, each start left half a dozen finalizable objects behind, and the
 * Finalizer thread's batch after a young GC slowed the starts that followed. Each thread's scratch
 * lives as long as the thread. Callers fill in every byte they pass on.
 *
 * <p><strong>Internal usage only.</strong>
 */
final class Scratch {

    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

    /** struct msghdr (56 bytes), struct iovec (16) and a cmsghdr with up to four ints (32): LP64. */
    final Pointer message = Memory.allocateDirect(LibC.runtime(), 104, true);
    /** posix_spawn_file_actions_t (80 bytes in glibc; room to spare). */
    final Pointer spawnActions = Memory.allocateDirect(LibC.runtime(), 512, true);
    /** One struct epoll_event. */
    final Pointer epollEvent = Memory.allocateDirect(LibC.runtime(), 16, true);
    private Pointer data;

    private Scratch() {
    }

    static Scratch get() {
        return LOCAL.get();
    }

    /** At least {@code size} bytes, contents undefined. */
    Pointer data(int size) {
        if (data == null || data.size() < size) {
            data = Memory.allocateDirect(LibC.runtime(), Math.max(size, 4096), false);
        }
        return data;
    }
}
