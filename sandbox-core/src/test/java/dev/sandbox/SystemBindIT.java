package dev.sandbox;

import dev.sandbox.testing.HostRequirement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A root caller's binds: {@code readOnlyBind} shows the source's owner as the sandbox's leased uid
 * (idmapped mounts; binds of the same owner share one id-mapping namespace in the helper), while
 * {@code systemBind} keeps the host's owners and permissions, as for any unprivileged user.
 */
@DisplayName("systemBind keeps the host's owners and permissions; readOnlyBind shows the caller's files as the sandbox's")
class SystemBindIT {

    @BeforeAll
    static void requireRoot() {
        HostRequirement.require(dev.sandbox.internal.LibC.get().geteuid() == 0,
                "needs root (an unprivileged caller's binds are never idmapped: both kinds are the same)");
    }

    @Test
    @DisplayName("a root-only file: readable through readOnlyBind (two binds of one owner), refused through systemBind")
    void ownersAsTheHostHasThem(@TempDir Path tmp) throws Exception {
        Path a = Files.createDirectory(tmp.resolve("a"));
        Path b = Files.createDirectory(tmp.resolve("b"));
        for (Path d : new Path[] {a, b}) {
            Files.writeString(d.resolve("secret"), "only root\n");
            Files.setPosixFilePermissions(d.resolve("secret"), PosixFilePermissions.fromString("rw-------"));
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        String script = "id -u; stat -c %u /a/secret /b/secret /usr/bin/env; cat /a/secret /b/secret 2>&1";
        SandboxResult idmapped = Sandbox.builder().pidNs().readOnlyBind(a, "/a").readOnlyBind(b, "/b").build()
                .run("sh", "-c", script);
        String[] lines = idmapped.stdout().split("\n");
        String me = lines[0];
        assertThat(me).isNotEqualTo("0");
        assertThat(lines[1]).as("/a/secret's owner").isEqualTo(me);
        assertThat(lines[2]).as("/b/secret's owner").isEqualTo(me);
        assertThat(lines[3]).as("/usr/bin/env through the host root (not a bind)").isNotEqualTo(me);
        assertThat(idmapped.stdout()).endsWith("only root\nonly root\n");

        SandboxResult system = Sandbox.builder().pidNs().systemBind(a, "/a").systemBind(b, "/b").build()
                .run("sh", "-c", script);
        lines = system.stdout().split("\n");
        assertThat(lines[1]).as("/a/secret's owner: host root, unmapped").isEqualTo("65534");
        assertThat(lines[2]).isEqualTo("65534");
        assertThat(system.stdout()).doesNotContain("only root").contains("Permission denied");
        assertThat(Sandbox.builder().systemBind(a, "/a").build().describe("true")).contains("op bind \"/a\" from")
                .doesNotContain("idmap");
    }

    @Test
    @DisplayName("hardened() shows /usr as the host has it: root's files owned by nobody, not by the sandbox's uid")
    void hardenedSystemDirectories() throws Exception {
        SandboxResult r = Sandbox.hardened().build().run("sh", "-c", "id -u; stat -c %u /usr/bin/env /usr");
        String[] lines = r.stdout().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[1]).isEqualTo("65534").isNotEqualTo(lines[0]);
        assertThat(lines[2]).isEqualTo("65534");
    }
}
