package dev.sandbox;

import dev.sandbox.internal.HelperBinary;
import dev.sandbox.internal.LibC;
import dev.sandbox.testing.HostRequirement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The attack a red team found: with no usable ~/.cache the helper went to
 * {@code java.io.tmpdir/dev.sandbox-<uid>}, which another local user could plant as a symbolic link
 * and re-point after the JVM's checks, so that later spawns exec'd their program. Each test plays
 * that user (uid 65534 through setpriv, in a sticky world-writable directory standing in for /tmp)
 * against a child JVM, and asks the kernel what ran.
 */
@DisplayName("The helper binary cannot be swapped: no path is re-resolved after it was checked")
class HelperSwapIT {

    private static final int NOBODY = 65534;

    private Path tmp;      // stands in for /tmp: root's, mode 1777
    private Path evil;     // the other user's directory, a fake helper under every name the JVM could exec
    private Path marker;   // what a fake helper writes when anyone ever execs it
    private Path rootOwn;  // a directory of the victim's that passes an ownership check (as /usr/bin would)

    @BeforeEach
    void plantFakeHelpers(@TempDir Path base) throws Exception {
        HostRequirement.require(LibC.get().geteuid() == 0 && Kernel.onPath("setpriv"),
                "needs root, to play the victim and (through setpriv, util-linux) another user");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        tmp = Files.createDirectory(base.resolve("tmp"));
        Kernel.host("chmod", "1777", tmp.toString());
        rootOwn = Files.createDirectory(base.resolve("root-own"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        marker = base.resolve("marker");
        evil = tmp.resolve("evil");
        String fake = "#!/bin/sh\\ntouch " + marker + "\\nexit 1\\n";
        asNobody("mkdir " + evil + " && for n in sandbox-helper " + HelperDriver.extractedName() + "; do printf '"
                + fake + "' > " + evil + "/$n && chmod 755 " + evil + "/$n; done");
    }

    @Test
    void aLinkPlantedInTmpAndRepointedAfterTheFirstStartExecsNothingOfTheOtherUser() throws Exception {
        Path planted = tmp.resolve("dev.sandbox-0");
        asNobody("ln -s " + rootOwn + " " + planted);
        try (HelperDriver.Child child = HelperDriver.start("-Djava.io.tmpdir=" + tmp, "-Duser.home=/nonexistent")) {
            assertThat(child.await("ran true ")).isEqualTo("0");
            child.await("ready");
            asNobody("ln -sfn " + evil + " " + planted); // after whatever the JVM checked
            child.proceed();
            child.await("helper exe ");
            assertThat(child.skipped()).as("the sandboxes started after the swap")
                    .containsExactly("ran echo 0 again 0", "ran echo 0 again 1", "ran echo 0 again 2", "ran pidns 0");
            long helper = Kernel.parentOf(Long.parseLong(child.await("running ")));
            assertThat(Files.readSymbolicLink(Path.of("/proc/" + helper + "/exe")).toString())
                    .as("what the kernel exec'd for a running sandbox's helper").isEqualTo(HelperIT.MEMFD);
            child.proceed();
            child.await("done");
            assertThat(child.exitValue()).isZero();
        }
        assertThat(rootOwn).as("nothing written through the planted link").isEmptyDirectory();
    }

    @Test
    void aHelperDirThatIsAPlantedLinkIsRefusedAndTheMessageSaysSo() throws Exception {
        Path planted = tmp.resolve("dev.sandbox-0");
        asNobody("ln -s " + rootOwn + " " + planted);
        try (HelperDriver.Child child = HelperDriver.start("-D" + HelperBinary.DIR_PROPERTY + "=" + planted)) {
            assertThat(child.await("failed ")).isEqualTo("SandboxException: helper: found no directory to run the helper from: "
                    + planted + " (a symbolic link to " + rootOwn + ", which could be re-pointed); set -D"
                    + HelperBinary.DIR_PROPERTY + " to a directory you own on a file system that allows exec");
            assertThat(child.exitValue()).isEqualTo(1);
        }
        assertThat(rootOwn).as("nothing written through the planted link").isEmptyDirectory();
    }

    @Test
    void whenMemfdsMayNotBeExecdALinkPlantedInTmpIsRefusedAndTheMessageSaysWhy() throws Exception {
        HostRequirement.require(Kernel.onPath("unshare"), "needs unshare (util-linux) to set vm.memfd_noexec=2 in a pid namespace");
        HostRequirement.require(java.nio.file.Files.exists(java.nio.file.Path.of("/proc/sys/vm/memfd_noexec")),
                "needs vm.memfd_noexec (Linux 6.3+): before it, the kernel has no way to forbid exec'ing memfds");
        Path planted = tmp.resolve("dev.sandbox-0");
        asNobody("ln -s " + rootOwn + " " + planted);
        try (HelperDriver.Child child = HelperDriver.start(HelperDriver.MEMFD_NOEXEC, "-Djava.io.tmpdir=" + tmp,
                "-Duser.home=/nonexistent")) {
            assertThat(child.await("failed ")).startsWith("SandboxException: helper: found no directory to run the helper from: "
                    + planted + " (a symbolic link to " + rootOwn + ", which could be re-pointed); nor a memfd: ");
            assertThat(child.exitValue()).isEqualTo(1);
        }
        assertThat(rootOwn).as("nothing written through the planted link").isEmptyDirectory();
    }

    @Test
    void aHelperDirPlantedByAnotherUserIsRefusedAndTheMessageSaysWhose() throws Exception {
        Path planted = tmp.resolve("dev.sandbox-0");
        asNobody("mkdir -m 755 " + planted + " && cp -p " + evil + "/* " + planted);
        try (HelperDriver.Child child = HelperDriver.start("-D" + HelperBinary.DIR_PROPERTY + "=" + planted)) {
            assertThat(child.await("failed ")).contains("found no directory to run the helper from: "
                    + planted + " (owned by uid " + NOBODY + ", not by uid 0)");
            assertThat(child.exitValue()).isEqualTo(1);
        }
    }

    @Test
    void replacingTheExtractedHelperAndRepointingItsDirAfterTheFirstStartChangesNothing() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("helpers"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path extracted = dir.resolve(HelperDriver.extractedName());
        try (HelperDriver.Child child = HelperDriver.start("-D" + HelperBinary.DIR_PROPERTY + "=" + dir)) {
            assertThat(child.await("ran true ")).isEqualTo("0");
            assertThat(child.await("origin ")).isEqualTo(extracted.toString());
            child.await("ready");
            // Standing in for an attacker who got write access after the checks: a new file under
            // the helper's name, then the directory itself swapped for a link to theirs.
            Files.delete(extracted);
            Files.copy(evil.resolve(extracted.getFileName()), extracted);
            Files.move(dir, tmp.resolve("helpers.moved"));
            Files.createSymbolicLink(dir, evil);
            child.proceed();
            child.await("helper exe ");
            assertThat(child.skipped()).as("the sandboxes started after the swap")
                    .containsExactly("ran echo 0 again 0", "ran echo 0 again 1", "ran echo 0 again 2", "ran pidns 0");
            long helper = Kernel.parentOf(Long.parseLong(child.await("running ")));
            assertThat(Files.readAllBytes(Path.of("/proc/" + helper + "/exe")))
                    .as("the image the kernel exec'd for a running sandbox's helper").isEqualTo(HelperDriver.jarImage());
            child.proceed();
            child.await("done");
            assertThat(child.exitValue()).isZero();
        }
    }

    @AfterEach
    void noFakeHelperEverRan() {
        if (marker != null) {
            assertThat(marker).as("a fake helper ran: the JVM exec'd the other user's program").doesNotExist();
        }
    }

    /** Runs {@code script} as uid/gid 65534 with no supplementary groups: the other local user. */
    private static void asNobody(String script) throws IOException, InterruptedException {
        Kernel.host("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "sh", "-c", script);
    }
}
