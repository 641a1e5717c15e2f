package dev.sandbox;

import dev.sandbox.SandboxResult.Status;
import dev.sandbox.internal.Protocol;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("SandboxResult.Status: one verdict from the wait status, the helper's flags, the OOM count and the JVM's kill")
class StatusTest {

    private static final int TIMED_OUT = Protocol.EXIT_TIMED_OUT;
    private static final int KILLED = Protocol.EXIT_KILLED;
    private static final int CPU = Protocol.EXIT_CPU_TIME;

    private static int exited(int code) {
        return code << 8;
    }

    private static int signaled(int signal) {
        return signal;
    }

    private static Status decide(int waitStatus, int flags, boolean oom, boolean outputKill, boolean seccomp) {
        return Status.decide(waitStatus, flags, oom, outputKill, seccomp);
    }

    @Test
    @DisplayName("an exit, with any status, is EXITED; a signal no limit explains is SIGNALED")
    void exitAndSignal() {
        assertThat(decide(exited(0), 0, false, false, true)).isEqualTo(Status.EXITED);
        assertThat(decide(exited(3), 0, false, false, true)).isEqualTo(Status.EXITED);
        assertThat(decide(exited(128 + 25), 0, false, false, true)).as("a shell reporting its child's SIGXFSZ").isEqualTo(Status.EXITED);
        assertThat(decide(signaled(11), 0, false, false, true)).isEqualTo(Status.SIGNALED);
        assertThat(decide(signaled(11) | 0x80, 0, false, false, true)).as("with a core dump").isEqualTo(Status.SIGNALED);
        assertThat(decide(signaled(9), KILLED, false, false, true)).as("destroyForcibly()").isEqualTo(Status.SIGNALED);
    }

    @Test
    @DisplayName("SIGXFSZ, SIGXCPU and SIGSYS name their limit; SIGSYS only under a seccomp filter")
    void limitSignals() {
        assertThat(decide(signaled(25), 0, false, false, false)).isEqualTo(Status.FILE_SIZE_EXCEEDED);
        assertThat(decide(signaled(24), 0, false, false, false)).isEqualTo(Status.CPU_TIME_EXCEEDED);
        assertThat(decide(signaled(31) | 0x80, 0, false, false, true)).isEqualTo(Status.SECCOMP_KILLED);
        assertThat(decide(signaled(31), 0, false, false, false)).as("unconfined").isEqualTo(Status.SIGNALED);
    }

    @Test
    @DisplayName("the helper's CPU-time flag is CPU_TIME_EXCEEDED, whatever signal the kill left")
    void cpuTimeFlag() {
        assertThat(decide(signaled(9), CPU, false, false, true)).isEqualTo(Status.CPU_TIME_EXCEEDED);
        assertThat(decide(exited(0), CPU, false, false, true)).isEqualTo(Status.CPU_TIME_EXCEEDED);
    }

    @Test
    @DisplayName("the JVM's output kill counts only when the helper says the kill reached the running command")
    void outputKill() {
        assertThat(decide(signaled(9), KILLED, false, true, true)).isEqualTo(Status.OUTPUT_LIMIT_EXCEEDED);
        assertThat(decide(exited(0), 0, false, true, true)).as("the command had ended by itself").isEqualTo(Status.EXITED);
    }

    @Test
    @DisplayName("precedence: timeout, CPU time, output kill, then OOM, then the signal")
    void precedence() {
        int all = TIMED_OUT | CPU | KILLED;
        assertThat(decide(signaled(9), all, true, true, true)).isEqualTo(Status.TIMED_OUT);
        assertThat(decide(signaled(9), CPU | KILLED, true, true, true)).isEqualTo(Status.CPU_TIME_EXCEEDED);
        assertThat(decide(signaled(9), KILLED, true, true, true)).isEqualTo(Status.OUTPUT_LIMIT_EXCEEDED);
        assertThat(decide(signaled(9), KILLED, true, false, true)).as("destroyed after an OOM kill").isEqualTo(Status.OOM_KILLED);
        assertThat(decide(signaled(25), 0, true, false, true)).isEqualTo(Status.OOM_KILLED);
        assertThat(decide(exited(0), 0, true, false, true)).as("OOM hit another process of the sandbox").isEqualTo(Status.OOM_KILLED);
    }

    @Test
    @DisplayName("succeeded() is EXITED with status 0, and toString shows the verdict and the output's size")
    void succeededAndToString() {
        SandboxResult ok = result(0, 0, Status.EXITED, false);
        assertThat(ok.succeeded()).isTrue();
        assertThat(result(3, 0, Status.EXITED, false).succeeded()).isFalse();
        assertThat(result(0, 0, Status.OOM_KILLED, false).succeeded()).isFalse();
        SandboxResult truncated = result(0, 0, Status.EXITED, true);
        assertThat(truncated.succeeded()).isTrue();
        assertThat(truncated.outputTruncated()).isTrue();
        assertThat(truncated.toString()).startsWith("SandboxResult[status=EXITED, exitCode=0")
                .contains("stdout=" + "x".repeat(200) + "... (300 chars, truncated)").doesNotContain("x".repeat(201));
    }

    private static SandboxResult result(int exit, int signal, Status status, boolean truncated) {
        return new SandboxResult(exit, signal, "x".repeat(300), "", false, false, false, java.time.Duration.ZERO,
                java.time.Duration.ZERO, java.time.Duration.ZERO, 0, java.util.Optional.empty(), status, truncated, false);
    }
}
