package dev.sandbox.base;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the C headers say a macro is, by preprocessing them with a C compiler (the kernel's own numbers). */
final class CHeaders {

    private CHeaders() {
    }

    /** {@code cc} on PATH, or a test that cannot run: skipped, or failed under SANDBOX_TEST_REQUIRE_ALL=true. */
    static boolean onPath(String cc) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, cc))) {
                return true;
            }
        }
        return false;
    }

    static void require(boolean ok, String why) {
        if (!ok) {
            if (Boolean.parseBoolean(System.getenv("SANDBOX_TEST_REQUIRE_ALL"))) {
                throw new AssertionError("required host feature missing: " + why);
            }
            Assumptions.assumeTrue(false, why);
        }
    }

    /**
     * The value of each macro in {@code names} after {@code #include <header>}, by {@code cc -E}: a
     * name the headers do not define is absent from the result.
     */
    static Map<String, Long> values(String cc, String header, Collection<String> names, Path tmp)
            throws IOException, InterruptedException {
        StringBuilder src = new StringBuilder("#include <" + header + ">\n");
        for (String n : names) {
            src.append("@@ \"").append(n).append("\" = ").append(n).append('\n'); // the quoted name is not expanded
        }
        Path c = tmp.resolve("values.c");
        Files.writeString(c, src, StandardCharsets.US_ASCII);
        Process p = new ProcessBuilder(cc, "-E", "-P", "-D_GNU_SOURCE", c.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(cc + " -E failed: " + out);
        }
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : out.lines().filter(l -> l.startsWith("@@ ")).toList()) {
            String[] f = line.substring(3).split(" = ", 2);
            String expr = f[1].trim().replaceAll("[()\\s]", "");
            try {
                values.put(f[0].replace("\"", ""), Long.decode(expr));
            } catch (NumberFormatException undefinedOrExpression) {
                // not defined (the name itself came back) or not a plain number: left out
            }
        }
        return values;
    }

    static List<String> lines(Map<String, Long> m) {
        return m.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }
}
