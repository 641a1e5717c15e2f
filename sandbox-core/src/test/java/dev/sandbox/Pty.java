package dev.sandbox;

import dev.sandbox.internal.LibC;
import jnr.ffi.LibraryLoader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A pseudo-terminal pair the test owns (posix_openpt), so a sandbox's stdin can be a terminal
 * whose other side the test reads: what a TIOCSTI from inside would type shows up there as echo.
 * Test-only binding, in {@link LibC}'s style.
 */
final class Pty implements AutoCloseable {

    /** The libc calls of the pty API; {@link LibC} has the rest. */
    public interface Calls {
        int posix_openpt(int flags);

        int grantpt(int fd);

        int unlockpt(int fd);

        String ptsname(int fd);
    }

    private static final int O_NOCTTY = 0x100;
    private static final int F_SETFL = 4;
    private static final Calls CALLS = LibraryLoader.create(Calls.class).failImmediately().load("c");

    private final int master;
    private final int slave;
    private final String slavePath;

    private Pty(int master, int slave, String slavePath) {
        this.master = master;
        this.slave = slave;
        this.slavePath = slavePath;
    }

    /** Opens a pair; the test keeps the slave open too, so the master never reads EIO while the sandbox has closed it. */
    static Pty open() throws IOException {
        LibC libc = LibC.get();
        int m = CALLS.posix_openpt(LibC.O_RDWR | O_NOCTTY | LibC.O_CLOEXEC);
        check("posix_openpt", m);
        try {
            check("grantpt", CALLS.grantpt(m));
            check("unlockpt", CALLS.unlockpt(m));
            String path = CALLS.ptsname(m);
            if (path == null) {
                throw new IOException("ptsname failed with error(" + LibC.errno() + ")");
            }
            check("fcntl O_NONBLOCK", libc.fcntl(m, F_SETFL, LibC.O_RDWR | LibC.O_NONBLOCK));
            int s = libc.open(path.getBytes(StandardCharsets.UTF_8), LibC.O_RDWR | O_NOCTTY | LibC.O_CLOEXEC, 0);
            check("open " + path, s);
            return new Pty(m, s, path);
        } catch (IOException e) {
            libc.close(m);
            throw e;
        }
    }

    private static void check(String call, int rc) throws IOException {
        if (rc < 0) {
            throw new IOException(call + " failed with error(" + LibC.errno() + ")");
        }
    }

    /** {@code /dev/pts/<n>}. */
    String slavePath() {
        return slavePath;
    }

    /** Everything that reaches the master side within {@code millis} (the line discipline echoes asynchronously). */
    String readMaster(long millis) throws InterruptedException {
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[256];
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < deadline) {
            long n = LibC.get().read(master, buf, buf.length);
            if (n > 0) {
                sb.append(new String(buf, 0, (int) n, StandardCharsets.UTF_8));
            } else {
                Thread.sleep(10);
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        LibC.get().close(slave);
        LibC.get().close(master);
    }
}
