package dev.sandbox.cgroups;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A cgroup operation the kernel refused, or a limit that could not be applied exactly as asked.
 * The library fails closed: a {@link Cgroup} never runs with a limit silently missing.
 *
 * <p>The message names the setting or step ({@code memoryMax}, {@code addProcess}), the file or
 * directory, the errno or reason, and what to do about it, for example:
 * <pre>
 * memoryMax: cannot create /sys/fs/cgroup/memory/sandbox: EACCES (Permission denied); as an
 * unprivileged user, delegate a subtree: ...
 * </pre>
 */
public final class CgroupException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String setting;
    private final transient Path path;
    private final String errno;

    /**
     * @param setting the {@link Limits} setting or the step that failed, e.g. {@code memoryMax}, {@code close}
     * @param path    the cgroupfs file or directory involved, or {@code null}
     * @param errno   the errno name ({@code EACCES}), or {@code null} when no system call failed or its errno is unknown
     * @param message the whole message, starting with {@code setting}
     * @param cause   the underlying exception, or {@code null}
     */
    public CgroupException(String setting, Path path, String errno, String message, Throwable cause) {
        super(message, cause);
        this.setting = setting;
        this.path = path;
        this.errno = errno;
    }

    /** The {@link Limits} setting or the step that failed: {@code memoryMax}, {@code create}, {@code killAll}. */
    public String setting() {
        return setting;
    }

    /** The cgroupfs file or directory involved. */
    public Optional<Path> path() {
        return Optional.ofNullable(path);
    }

    /**
     * The errno name of the failed system call ({@code EACCES}); empty for a refusal that was no
     * system call, or when the JDK did not reveal the errno (the message then quotes its text).
     */
    public Optional<String> errno() {
        return Optional.ofNullable(errno);
    }
}
