package dev.sandbox.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Step} lists exactly the steps the helper can report: the string literals its C sources
 * pass as a {@code const char *step} argument (to {@code fail}, {@code fail_errno} or any function
 * that hands its step on to them).
 */
@DisplayName("Step and the helper's C sources")
class StepTest {

    @Test
    @DisplayName("name the same steps (a step added in C without Step fails here)")
    void sameSteps() throws IOException {
        List<String> problems = new ArrayList<>();
        Set<String> c = stepsOf(cSources(), problems);
        assertThat(problems).as("step arguments that are neither a literal nor a passed-on step").isEmpty();
        Set<String> java = Arrays.stream(Step.values()).map(Step::wireName).collect(Collectors.toCollection(TreeSet::new));
        assertThat(java).as("Step's names (left) against the C sources' steps").isEqualTo(c);
    }

    @Test
    @DisplayName("the scan follows a step through a function that passes it on, and flags one it cannot read")
    void scanFollowsPassedOnSteps() {
        List<String> problems = new ArrayList<>();
        Set<String> steps = stepsOf(Map.of("x.c", """
                int fail(const char *step, int err, const char *path) { return -1; }
                static int walk(int fd, const char *path, const char *step) { return fail(step, 1, path); }
                int f(void) {
                    /* fail("commented", 0, ""); */
                    walk(1, "/a,b", "mkdir");
                    walk(*(int[]){1, 2}, "/", "tmpfs");
                    fail("bind", 2, g("x", 3));
                    return fail(name, 0, "");
                }
                """), problems);
        assertThat(steps).containsExactly("bind", "mkdir", "tmpfs");
        assertThat(problems).containsExactly("x.c: fail(name, 0, \"\")");
    }

    @Test
    @DisplayName("Step.of finds a step by its wire name")
    void ofFindsByWireName() {
        assertThat(Step.of("pivot_root")).contains(Step.PIVOT_ROOT);
        assertThat(Step.of("mount-private")).contains(Step.MOUNT_PRIVATE);
        assertThat(Step.of("no such step")).isEmpty();
    }

    static Map<String, String> cSources() throws IOException {
        Map<String, String> out = new HashMap<>();
        try (Stream<Path> files = Files.list(ProtocolContractTest.C_SOURCES)) {
            for (Path p : files.filter(p -> p.toString().endsWith(".c")).toList()) {
                out.put(p.getFileName().toString(), Files.readString(p, StandardCharsets.ISO_8859_1));
            }
        }
        return out;
    }

    private static final Pattern TOKENS = Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])*'|/\\*.*?\\*/|//[^\\n]*",
            Pattern.DOTALL);
    private static final Pattern DEFINITION = Pattern.compile("\\b(\\w+)\\s*\\(([^()]*)\\)\\s*\\{");
    private static final Pattern STEP_PARAMETER = Pattern.compile("const\\s+char\\s*\\*\\s*step");

    /** The step literals of some C sources; anything else passed as a step goes to {@code problems}. */
    static Set<String> stepsOf(Map<String, String> sources, List<String> problems) {
        Map<String, String> code = new HashMap<>();
        sources.forEach((file, text) -> code.put(file, TOKENS.matcher(text)
                .replaceAll(m -> m.group().startsWith("/") ? " " : Matcher.quoteReplacement(m.group()))));
        Map<String, Integer> stepArgument = new HashMap<>(); // function -> index of its step parameter
        for (String text : code.values()) {
            Matcher d = DEFINITION.matcher(text);
            while (d.find()) {
                String[] params = d.group(2).split(",");
                for (int i = 0; i < params.length; i++) {
                    if (STEP_PARAMETER.matcher(params[i]).find()) {
                        stepArgument.put(d.group(1), i);
                    }
                }
            }
        }
        Set<String> steps = new TreeSet<>();
        for (var source : new TreeSet<>(code.keySet())) {
            String text = code.get(source);
            for (var f : stepArgument.entrySet()) {
                Matcher call = Pattern.compile("\\b" + f.getKey() + "\\s*\\(").matcher(text);
                while (call.find()) {
                    List<String> args = arguments(text, call.end());
                    String arg = args.size() > f.getValue() ? args.get(f.getValue()) : "";
                    if (arg.startsWith("\"") && arg.endsWith("\"")) {
                        steps.add(arg.substring(1, arg.length() - 1));
                    } else if (!arg.equals("step") && !STEP_PARAMETER.matcher(arg).find()) {
                        problems.add(source + ": " + f.getKey() + "(" + String.join(", ", args) + ")");
                    }
                }
            }
        }
        return steps;
    }

    /** The top-level arguments of a call whose '(' ends just before {@code from}. */
    private static List<String> arguments(String text, int from) {
        List<String> args = new ArrayList<>();
        int depth = 0;
        int start = from;
        for (int i = from; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '"' || ch == '\'') {
                i = skipQuoted(text, i);
            } else if (ch == '(' || ch == '{' || ch == '[') {
                depth++;
            } else if ((ch == '}' || ch == ']') && depth > 0) {
                depth--;
            } else if (ch == ')' && depth-- == 0 || ch == ',' && depth == 0) {
                args.add(text.substring(start, i).trim());
                start = i + 1;
                if (ch == ')') {
                    return args;
                }
            }
        }
        return args;
    }

    private static int skipQuoted(String text, int at) {
        char quote = text.charAt(at);
        int i = at + 1;
        while (text.charAt(i) != quote) {
            i += text.charAt(i) == '\\' ? 2 : 1;
        }
        return i;
    }
}
