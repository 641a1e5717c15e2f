package dev.sandbox.internal;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

import java.util.ArrayList;
import java.util.List;

/**
 * The helper's argv and envp as native arrays, built once: the helper takes everything else
 * from its spec, so every spawn passes the same arrays (the one-time exec check its own argv).
 */
final class Argv {

    private static final List<Pointer> STRINGS = new ArrayList<>(); // keeps the strings' memory reachable
    static final Pointer HELPER_ARGV = array("sandbox-helper");
    /** A helper that makes a network namespace while it waits for its spec (netns.c). */
    static final Pointer NET_AHEAD_ARGV = array("sandbox-helper", "--net-ahead");
    /** A pool's helper: after EXIT it waits for {@code CMD_RECYCLE} and serves the next sandbox (main.c). */
    static final Pointer REUSE_ARGV = array("sandbox-helper", "--reuse");
    /** Both of the above. */
    static final Pointer NET_AHEAD_REUSE_ARGV = array("sandbox-helper", "--net-ahead", "--reuse");
    /** Exits 0 at once: proof that the image the JVM holds can be exec'd (see HelperBinary). */
    static final Pointer EXEC_CHECK_ARGV = array("sandbox-helper", "--exec-check");
    static final Pointer EMPTY_ENV = array();

    private Argv() {
    }

    private static Pointer array(String... strings) {
        jnr.ffi.Runtime rt = LibC.runtime();
        int ptr = rt.addressSize();
        Pointer array = Memory.allocateDirect(rt, (strings.length + 1) * ptr, true);
        for (int i = 0; i < strings.length; i++) {
            byte[] c = Encoding.cString(strings[i]);
            Pointer s = Memory.allocateDirect(rt, c.length, true);
            s.put(0, c, 0, c.length);
            array.putPointer((long) i * ptr, s);
            STRINGS.add(s);
        }
        array.putPointer((long) strings.length * ptr, null);
        return array;
    }
}
