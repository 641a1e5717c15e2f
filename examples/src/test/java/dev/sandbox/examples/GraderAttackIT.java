package dev.sandbox.examples;

import dev.sandbox.internal.LibC;
import dev.sandbox.testing.HostRequirement;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The red team's attack 1 on the grader example, through its public entry point, judged by the host's /var. */
@DisplayName("The grader, run by root, withstands a submission that remounts the root read-write")
class GraderAttackIT {

    @Test
    @DisplayName("a submission remounting /var read-write cannot create a root-owned host file, and is not accepted")
    void remountingVarReadWriteFailsAndIsNotAccepted(@TempDir Path dir) throws Exception {
        HostRequirement.require(LibC.get().geteuid() == 0, "the attack is a root caller's: the test must run as root");
        Path planted = Path.of("/var/sandbox-attack-" + UUID.randomUUID());
        // the right answer only once the host file is written: "accepted" means the attack worked
        Path submission = Files.writeString(dir.resolve("attack.sh"), "read a b\n"
                + "mount -o remount,bind,rw /var 2>/dev/null || mount -o remount,bind,rw / 2>/dev/null\n"
                + "echo pwned > " + planted + " && echo $((a + b))\n");
        GraderExample.Verdict v;
        boolean written;
        try {
            v = GraderExample.grade(submission, "2 3\n", "5", Duration.ofSeconds(5));
            written = Files.exists(planted);
        } finally {
            Files.deleteIfExists(planted);
        }
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(written).as("a root-owned file the submission wrote to the host's /var (removed by the test)").isFalse();
        soft.assertThat(v.reason()).as("the grader's verdict").isNotEqualTo("accepted");
        soft.assertThat(v.passed()).isFalse();
        soft.assertThat(planted).doesNotExist();
        soft.assertAll();
    }
}
