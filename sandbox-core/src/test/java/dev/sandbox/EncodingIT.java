package dev.sandbox;

import dev.sandbox.testing.ForOthers;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bytes a sandbox receives do not depend on the caller's locale: a JVM started without
 * {@code LANG} (the POSIX locale, whose charset is ASCII — a CI runner, a systemd service, a
 * minimal container) still passes non-ASCII arguments and environment byte for byte, and reads
 * the command's output back as the same text. ProcessBuilder would send {@code ?} there.
 */
@DisplayName("Arguments, environment and output keep their bytes in a JVM without a locale")
class EncodingIT {

    static final String TRICKY = "ünïcödé €uro ✓";

    @Test
    void nonAsciiSurvivesThePosixLocale() throws Exception {
        String cp = ForOthers.classpath().stream().map(Path::toString).collect(Collectors.joining(":"));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "-cp", cp, Driver.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG") || k.equals("LANGUAGE"));
        pb.environment().put("LC_ALL", "C");
        Process jvm = pb.start();
        String out = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(jvm.exitValue()).as(out).isZero();
        String utf8 = HexFormat.of().formatHex(TRICKY.getBytes(StandardCharsets.UTF_8));
        assertThat(out).as("the child JVM really runs under an ASCII locale").contains("jnu=ANSI_X3.4-1968");
        assertThat(out).as("the bytes the command got, as od shows them").contains("arg=" + utf8 + "\n")
                .contains("env=" + utf8 + "\n");
        assertThat(out).as("stdout read back as text").contains("text-equal=true");
    }

    /** Runs in the child JVM: prints what the command received, in hex, and whether its output reads back equal. */
    public static final class Driver {
        public static void main(String[] args) throws Exception {
            System.out.println("jnu=" + System.getProperty("sun.jnu.encoding"));
            SandboxResult r = Sandbox.builder().env("TRICKY", TRICKY).build().run("sh", "-c",
                    "printf 'arg='; printf %s \"$1\" | od -An -tx1 | tr -d ' \\n'; echo;"
                            + " printf 'env='; printf %s \"$TRICKY\" | od -An -tx1 | tr -d ' \\n'; echo;"
                            + " printf %s \"$1\" >&2", "sh", TRICKY);
            System.out.print(r.stdout());
            System.out.println("text-equal=" + r.stderr().equals(TRICKY));
        }
    }
}
