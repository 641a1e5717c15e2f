package dev.sandbox.cgroups.internal;

import dev.sandbox.cgroups.CgroupException;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The library's top-level directories ({@code <hierarchy>/sandbox}): made on first use, never
 * removed by the library (other JVMs share them), remembered — with what a backend learned about
 * them — so the hot path does not look again. Also makes a group directory below them.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class Prefixes {

    private static final Object NOTHING = new Object();
    private static final Map<Path, Object> KNOWN = new ConcurrentHashMap<>();

    /** Work on the prefix directory once it exists. */
    @FunctionalInterface
    public interface Step {
        void run() throws CgroupException;
    }

    private Prefixes() {
    }

    /** Makes {@code prefixDir} unless it exists; its parent must exist. */
    public static void ensure(CgroupFs fs, Path prefixDir, String setting) throws CgroupException {
        if (KNOWN.containsKey(prefixDir)) {
            return;
        }
        try {
            fs.mkdir(prefixDir);
        } catch (FileAlreadyExistsException fine) {
            // made earlier, or by another JVM
        } catch (NoSuchFileException e) {
            throw Failures.io(setting, "create", prefixDir, e, "its parent " + prefixDir.getParent()
                    + " does not exist (the library creates only the last component of the prefix)");
        } catch (IOException e) {
            throw Failures.io(setting, "create", prefixDir, e);
        }
        KNOWN.putIfAbsent(prefixDir, NOTHING);
    }

    /** What a backend recorded about {@code prefixDir}, or {@code null}. */
    public static Object state(Path prefixDir) {
        Object s = KNOWN.get(prefixDir);
        return s == NOTHING ? null : s;
    }

    /** Records what a backend learned about {@code prefixDir} (it exists). */
    public static void state(Path prefixDir, Object value) {
        KNOWN.put(prefixDir, value);
    }

    /** Forgets {@code prefixDir}: something removed it from outside. */
    public static void forget(Path prefixDir) {
        KNOWN.remove(prefixDir);
    }

    /**
     * Makes the group directory {@code leaf} inside {@code shared} (a JVM marker directory
     * directly below {@code prefixDir}), making the prefix and acquiring the marker directory
     * first. When a directory vanished since it was remembered, makes them again, once.
     */
    public static void makeGroup(CgroupFs fs, Path prefixDir, SharedDir shared, SharedDir.Setup setup,
                                 Step prefixSetup, Path leaf, String setting) throws CgroupException {
        for (int attempt = 0; ; attempt++) {
            ensure(fs, prefixDir, setting);
            if (prefixSetup != null) {
                prefixSetup.run();
            }
            try {
                shared.acquire(fs, setup);
            } catch (NoSuchFileException e) {
                forget(prefixDir);
                if (attempt > 0) {
                    throw Failures.io(setting, "create", shared.path(), e);
                }
                continue;
            } catch (CgroupException e) {
                throw e;
            } catch (IOException e) {
                throw Failures.io(setting, "create", shared.path(), e);
            }
            try {
                fs.mkdir(leaf);
                return;
            } catch (NoSuchFileException e) {
                shared.releaseVanished();
                forget(prefixDir);
                if (attempt > 0) {
                    throw Failures.io(setting, "create", leaf, e);
                }
            } catch (IOException e) {
                shared.release();
                throw Failures.io(setting, "create", leaf, e);
            }
        }
    }
}
