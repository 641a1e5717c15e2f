package dev.sandbox.cgroups;

import dev.sandbox.testing.ForOthers;
import dev.sandbox.testing.HostRequirement;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cgroup library names the kernel's errno whatever the locale: its failures on real cgroup
 * files, in a JVM whose C library speaks German ({@code LC_ALL=de_DE.UTF-8}), still say
 * {@code EINVAL}, {@code EBUSY}, {@code ENOENT}. The errno comes from the system call itself
 * (sandbox-base's Posix binding) or the JDK's exception type, never from {@code strerror}'s text.
 */
class LocaleIndependentErrnoIT {

    private static final String LOCALE = "de_DE.UTF-8";

    @Test
    void errnoNamesDoNotDependOnTheLocale() throws Exception {
        CgroupHost host = CgroupHost.detect();
        HostRequirement.require(Kernel.isRoot(), "needs root to create cgroups");
        HostRequirement.require(host.v1Mounts().containsKey("pids") || host.v2Controllers().contains("pids"),
                "needs a cgroup hierarchy with the pids controller (this host: " + host + ")");
        HostRequirement.require(localeInstalled(), "needs the " + LOCALE + " locale (locale -a lists no de_DE.utf8;"
                + " .ci/run generates it: localedef -i de_DE -f UTF-8 de_DE.UTF-8)");
        HostRequirement.require(Files.isRegularFile(Path.of("/usr/share/locale/de/LC_MESSAGES/libc.mo")),
                "needs glibc's German messages (/usr/share/locale/de/LC_MESSAGES/libc.mo, Debian package libc-l10n)");

        String cp = ForOthers.classpath().stream().map(Path::toString).collect(Collectors.joining(":"));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "-cp", cp, LocaleErrnoDriver.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANGUAGE"));
        pb.environment().put("LC_ALL", LOCALE);
        pb.environment().put("LANG", LOCALE);
        Process jvm = pb.start();
        String out = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.print(out);
        assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(jvm.exitValue()).as(out).isZero();
        assertThat(out).as(out).contains("DONE");

        String jdk = out.lines().filter(l -> l.startsWith("JDK ")).findFirst().orElseThrow().substring(4);
        // the translation is active: the JDK's own message for EBUSY is glibc's German strerror
        assertThat(jdk).as("the JDK's message for rmdir(/proc) in the child, which must be translated")
                .isNotBlank().isNotEqualTo("Device or resource busy").doesNotContain("busy");

        Map<String, String> cases = new LinkedHashMap<>();
        for (String line : out.lines().filter(l -> l.startsWith("CASE ")).toList()) {
            String[] f = line.split(" ", 4);
            cases.put(f[1], f[2] + " " + (f.length > 3 ? f[3] : ""));
        }
        assertThat(cases).as(out).hasSize(9);
        for (Map.Entry<String, String> c : cases.entrySet()) {
            String expected = c.getKey().substring(0, c.getKey().indexOf('-'));
            assertThat(c.getValue()).as(c.getKey()).startsWith(expected + " ");
        }
        // the library's own message names the errno and describes it in English, not in the locale's words
        assertThat(cases.get("EBUSY-rmdir-process")).contains("EBUSY (Device or resource busy)");
        assertThat(cases.get("EINVAL-write")).contains("EINVAL (Invalid argument)");
        assertThat(cases.get("ESRCH-addProcess")).contains("ESRCH (No such process)").doesNotContain(jdk);
    }

    private static boolean localeInstalled() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("locale", "-a").redirectErrorStream(true).start();
        List<String> names = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .map(String::trim).toList();
        p.waitFor();
        return names.contains("de_DE.utf8") || names.contains("de_DE.UTF-8");
    }
}
