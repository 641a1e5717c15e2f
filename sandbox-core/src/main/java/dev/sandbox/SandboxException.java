package dev.sandbox;

import dev.sandbox.base.Errno;

import java.io.IOException;
import java.util.Objects;

/**
 * A sandbox could not be started, or its helper failed, at a named step.
 *
 * <p>Every instance names the step that failed (a kernel call or a setup stage such as
 * {@code execve}, {@code bind}, {@code pivot_root}, {@code uid_map}), the path it acted on (empty
 * when the step has none) and the errno the kernel returned (0 when the failure was not a
 * failing system call). The message reads like a shell error:
 *
 * <pre>{@code execve /nope: ENOENT (No such file or directory)}</pre>
 *
 * <p>By the time this is thrown, everything the attempt created (processes, file descriptors,
 * mounts, temporary files) is gone.
 */
public final class SandboxException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String step;
    private final String path;
    private final int errno;
    /** The completed run whose clean-up failed; not serialized. */
    private transient SandboxResult result;

    /**
     * A failing system call at {@code step} on {@code path}, with an optional hint that says what
     * to do about it (may be empty).
     */
    public SandboxException(String step, String path, int errno, String hint) {
        super(format(step, path, errno, hint));
        this.step = Objects.requireNonNull(step, "step");
        this.path = Objects.requireNonNullElse(path, "");
        this.errno = errno;
    }

    /** A failure that is not a failing system call, with a sentence that explains it. */
    public SandboxException(String step, String path, String explanation, Throwable cause) {
        super(step + (path == null || path.isEmpty() ? "" : " " + path) + ": " + explanation, cause);
        this.step = Objects.requireNonNull(step, "step");
        this.path = Objects.requireNonNullElse(path, "");
        this.errno = 0;
    }

    private SandboxException(String step, String path, int errno, String message, Throwable cause, boolean unused) {
        super(message, cause);
        this.step = Objects.requireNonNull(step, "step");
        this.path = Objects.requireNonNullElse(path, "");
        this.errno = errno;
    }

    /**
     * A failure whose message another part of the library already wrote in full (it names the
     * setting, the path, the errno and the remedy), kept as is.
     */
    static SandboxException withMessage(String step, String path, int errno, String message, Throwable cause) {
        return new SandboxException(step, path, errno, message, cause, true);
    }

    /**
     * The sandbox's clean-up ({@code failure}: removing its cgroup) failed after {@code result}
     * completed: the same step, path and errno, and the result kept.
     */
    static SandboxException afterResult(SandboxException failure, SandboxResult result) {
        SandboxException e = new SandboxException(failure.step, failure.path, failure.errno, failure.getMessage()
                + " (after the command had ended with exit code " + result.exitCode() + "; see result())", failure,
                true);
        e.result = result;
        return e;
    }

    /**
     * When this failure happened after the command ran to its end (cleaning up its sandbox, such as
     * removing its cgroup, failed), the command's result; empty otherwise.
     */
    public java.util.Optional<SandboxResult> result() {
        return java.util.Optional.ofNullable(result);
    }

    private static String format(String step, String path, int errno, String hint) {
        StringBuilder sb = new StringBuilder(step);
        if (path != null && !path.isEmpty()) {
            sb.append(' ').append(path);
        }
        sb.append(": ").append(Errno.describe(errno));
        if (hint != null && !hint.isEmpty()) {
            sb.append("; ").append(hint);
        }
        return sb.toString();
    }

    /** The step that failed, for example {@code execve} or {@code bind}. */
    public String step() {
        return step;
    }

    /** The path the step acted on; empty when it has none. */
    public String path() {
        return path;
    }

    /** The errno the kernel returned, or 0 when the failure was not a failing system call. */
    public int errno() {
        return errno;
    }

    /** The errno's name, for example {@code ENOENT}; empty when {@link #errno()} is 0. */
    public String errnoName() {
        return errno == 0 ? "" : Errno.name(errno);
    }
}
