package dev.sandbox.internal;

import dev.sandbox.Namespace;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The wire numbers have one source: every {@code SBX_NAME} constant of {@code protocol.h} (enum
 * member or {@code #define}) has the same value as {@code Protocol.NAME}, and the other way round.
 */
@DisplayName("Protocol.java and protocol.h")
class ProtocolContractTest {

    static final Path C_SOURCES = Path.of("src/main/c");

    @Test
    @DisplayName("name the same constants with the same numbers (SBX_NAME in C is NAME in Java)")
    void sameConstantsSameNumbers() throws Exception {
        Map<String, Long> c = constantsOf(Files.readString(C_SOURCES.resolve("protocol.h")));
        Map<String, Long> java = new TreeMap<>();
        for (Field f : Protocol.class.getDeclaredFields()) {
            int m = f.getModifiers();
            if (Modifier.isPublic(m) && Modifier.isStatic(m) && f.getType() == int.class) {
                java.put(f.getName(), f.getInt(null) & 0xffffffffL); // the C side's numbers are unsigned
            }
        }
        List<String> problems = new ArrayList<>();
        for (var e : c.entrySet()) {
            String javaName = e.getKey().substring("SBX_".length());
            Long j = java.get(javaName);
            if (j == null) {
                problems.add(e.getKey() + " = " + e.getValue() + " in protocol.h has no Protocol." + javaName);
            } else if (!j.equals(e.getValue())) {
                problems.add(e.getKey() + " = " + e.getValue() + " in protocol.h but Protocol." + javaName + " = " + j);
            }
        }
        for (String name : java.keySet()) {
            if (!c.containsKey("SBX_" + name)) {
                problems.add("Protocol." + name + " has no SBX_" + name + " in protocol.h");
            }
        }
        assertThat(problems).as("differences between protocol.h and Protocol.java").isEmpty();
        assertThat(c).as("constants parsed from protocol.h").hasSizeGreaterThan(40);
    }

    @Test
    @DisplayName("the parser reads enum members, #defines, shifts, products and references")
    void parserReadsTheForms() {
        assertThat(constantsOf("""
                #define SBX_A 0x10u /* hex */
                #define SBX_B (4u * 2u)
                enum x {
                    SBX_C = 1u << 3, /* shifted */
                    SBX_D = 7,
                };
                #define SBX_E SBX_D
                """)).containsExactly(Map.entry("SBX_A", 16L), Map.entry("SBX_B", 8L), Map.entry("SBX_C", 8L),
                Map.entry("SBX_D", 7L), Map.entry("SBX_E", 7L));
    }

    @Test
    @DisplayName("Namespace's clone flags and names are the helper's (sandbox-helper --describe-namespaces)")
    void namespacesMatchTheHelper() throws Exception {
        Process p = new ProcessBuilder(HelperBinary.command("--describe-namespaces")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        String expected = Arrays.stream(Namespace.values())
                .map(n -> String.format("%s 0x%08x%n", n.name().toLowerCase(Locale.ROOT), n.cloneFlag()))
                .collect(Collectors.joining());
        assertThat(new TreeSet<>(out.lines().toList())).isEqualTo(new TreeSet<>(expected.lines().toList()));
    }

    private static final Pattern OP_KIND = Pattern.compile(
            "\\[SBX_OP_(\\w+)\\]\\s*=\\s*\\{\\s*\"([^\"]*)\",\\s*([^,]+),\\s*SRC_(\\w+),\\s*(NULL|\"[^\"]*\"),\\s*TGT_(\\w+),\\s*([01]),\\s*([01])\\s*\\}");

    @Test
    @DisplayName("Spec.Op.Kind is spec.c's table of operation kinds: number, name, flags, source, target, size, mode")
    void operationKindsMatchTheHelpersTable() throws Exception {
        Map<String, Long> c = constantsOf(Files.readString(C_SOURCES.resolve("protocol.h")));
        String table = Files.readString(C_SOURCES.resolve("spec.c"));
        List<String> fromC = new ArrayList<>();
        Matcher m = OP_KIND.matcher(table);
        while (m.find()) {
            long flags = 0;
            for (String f : m.group(3).split("\\|")) {
                String name = f.trim();
                flags |= name.equals("0") ? 0 : c.get(name);
            }
            String word = m.group(5).equals("NULL") ? null : m.group(5).substring(1, m.group(5).length() - 1);
            fromC.add(String.join(" ", m.group(1), String.valueOf(c.get("SBX_OP_" + m.group(1))), m.group(2),
                    String.valueOf(flags), m.group(4), String.valueOf(word), m.group(6), m.group(7), m.group(8)));
        }
        List<String> fromJava = new ArrayList<>();
        for (Spec.Op.Kind k : Spec.Op.Kind.values()) {
            fromJava.add(String.join(" ", k.name(), String.valueOf(k.number), k.wireName, String.valueOf(k.flags),
                    k.source.name(), String.valueOf(k.sourceWord), k.target.name(), k.size ? "1" : "0", k.mode ? "1" : "0"));
        }
        assertThat(fromJava).as("Spec.Op.Kind (left) against spec.c's sbx_op_kinds").isEqualTo(fromC);
        assertThat(fromC).hasSize((int) (long) c.get("SBX_OP_LAST"));
    }

    private static final Pattern DEFINE = Pattern.compile("^#define\\s+(SBX_\\w+)\\s+(.+?)\\s*(/\\*.*)?$",
            Pattern.MULTILINE);
    private static final Pattern ENUM = Pattern.compile("enum\\s+\\w+\\s*\\{(.*?)\\}", Pattern.DOTALL);
    private static final Pattern MEMBER = Pattern.compile("(SBX_\\w+)\\s*=\\s*([^,]+),");

    /** Every SBX_* constant of a C header with its value, in the order of the file. */
    static Map<String, Long> constantsOf(String header) {
        String text = header.replaceAll("(?s)/\\*.*?\\*/", " ");
        Map<String, Long> out = new LinkedHashMap<>();
        record Item(int at, String name, String expr) {
        }
        List<Item> items = new ArrayList<>();
        Matcher d = DEFINE.matcher(text);
        while (d.find()) {
            if (!d.group(1).endsWith("_H")) { // the include guard
                items.add(new Item(d.start(), d.group(1), d.group(2)));
            }
        }
        Matcher e = ENUM.matcher(text);
        while (e.find()) {
            Matcher m = MEMBER.matcher(e.group(1) + ",");
            while (m.find()) {
                items.add(new Item(e.start(1) + m.start(), m.group(1), m.group(2)));
            }
        }
        items.sort((a, b) -> Integer.compare(a.at(), b.at()));
        for (Item i : items) {
            Long previous = out.put(i.name(), new Expr(i.expr().trim(), out, i.name()).parse());
            assertThat(previous).as(i.name() + " defined twice").isNull();
        }
        return out;
    }

    /** The constant expressions protocol.h uses: integers (u suffix, hex), names, ( ), *, <<, |. */
    private static final class Expr {
        private final String s;
        private final Map<String, Long> known;
        private final String name;
        private int pos;

        Expr(String s, Map<String, Long> known, String name) {
            this.s = s;
            this.known = known;
            this.name = name;
        }

        long parse() {
            long v = or();
            skip();
            if (pos != s.length()) {
                throw new AssertionError(name + ": cannot read '" + s + "' at " + pos);
            }
            return v;
        }

        private long or() {
            long v = shift();
            while (eat("|")) {
                v |= shift();
            }
            return v;
        }

        private long shift() {
            long v = product();
            while (eat("<<")) {
                v <<= product();
            }
            return v;
        }

        private long product() {
            long v = atom();
            while (eat("*")) {
                v *= atom();
            }
            return v;
        }

        private long atom() {
            skip();
            if (eat("(")) {
                long v = or();
                if (!eat(")")) {
                    throw new AssertionError(name + ": unbalanced parentheses in '" + s + "'");
                }
                return v;
            }
            Matcher m = Pattern.compile("0[xX][0-9a-fA-F]+|[0-9]+|[A-Za-z_]\\w*").matcher(s).region(pos, s.length());
            if (!m.lookingAt()) {
                throw new AssertionError(name + ": cannot read '" + s + "' at " + pos);
            }
            String tok = m.group();
            pos = m.end();
            while (pos < s.length() && "uUlL".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
            if (Character.isDigit(tok.charAt(0))) {
                return tok.startsWith("0x") || tok.startsWith("0X") ? Long.parseLong(tok.substring(2), 16)
                        : Long.parseLong(tok);
            }
            Long v = known.get(tok);
            if (v == null) {
                throw new AssertionError(name + " refers to " + tok + ", not defined before it in protocol.h");
            }
            return v;
        }

        private boolean eat(String op) {
            skip();
            if (s.startsWith(op, pos)) {
                pos += op.length();
                return true;
            }
            return false;
        }

        private void skip() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }
    }
}
