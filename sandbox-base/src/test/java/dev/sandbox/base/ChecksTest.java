package dev.sandbox.base;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Checks: one message form, '<setting>: <what is wrong>; allowed: <range or form>'")
class ChecksTest {

    /** The one form every message has. */
    private static final String FORM = "[A-Za-z][A-Za-z0-9.\\[\\] -]*: .+; allowed: .+";

    @Test
    void rangesNameTheSettingTheValueAndTheRange() {
        assertThatThrownBy(() -> Checks.inRange("memoryMax", 100, 4096, 1L << 50, "bytes"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("memoryMax: got 100; allowed: 4096..1125899906842624 bytes")
                .message().matches(FORM);
        assertThat(Checks.inRange("pidsMax", 5, 1, 10, "")).isEqualTo(5);
        assertThatThrownBy(() -> Checks.inRange("pidsMax", 0, 1, 10, "")).hasMessage("pidsMax: got 0; allowed: 1..10");
    }

    @Test
    @DisplayName("text values in double quotes with Java escapes, numbers bare")
    void oneQuotingStyle() {
        assertThat(Checks.show(42)).isEqualTo("42");
        assertThat(Checks.show(0.5)).isEqualTo("0.5");
        assertThat(Checks.show("a b")).isEqualTo("\"a b\"");
        assertThat(Checks.show(Duration.ZERO)).isEqualTo("\"PT0S\"");
        assertThat(Checks.quote("say \"hi\"\\\n\0")).isEqualTo("\"say \\\"hi\\\"\\\\\\n\\u0000\"");
        assertThatThrownBy(() -> Checks.check(false, "hostname", "bad host", "RFC 1123 labels"))
                .hasMessage("hostname: got \"bad host\"; allowed: RFC 1123 labels");
    }

    @Test
    void pathsAndNul() {
        assertThat(Checks.target("bind", "//a//b/")).isEqualTo("/a/b");
        assertThatThrownBy(() -> Checks.target("bind", "a")).hasMessage("bind target: got \"a\"; allowed: an absolute path");
        assertThatThrownBy(() -> Checks.target("tmpfs", "/a/./b"))
                .hasMessage("tmpfs target: got \"/a/./b\"; allowed: a path without . or .. components");
        assertThatThrownBy(() -> Checks.target("bind", "/")).message().startsWith("bind target: got \"/\"; allowed: a path below /");
        assertThatThrownBy(() -> Checks.noNul("env A", "x\0y"))
                .hasMessage("env A: got \"x\\u0000y\", which contains a NUL character; allowed: text without NUL");
        assertThatThrownBy(() -> Checks.absolute("workingDirectory", null)).isInstanceOf(NullPointerException.class)
                .hasMessage("workingDirectory");
        assertThat(Checks.hostPath("bind", Path.of("/a/../b"))).isEqualTo(Path.of("/b"));
    }

    @Test
    void everyMessageHasTheForm() {
        for (Runnable r : new Runnable[] {
            () -> Checks.check(false, "cpus", Double.NaN, "0.01..4096 cores"),
            () -> Checks.absolute("workingDirectory", "tmp"),
            () -> Checks.noNul("command[1]", "a\0b"),
            () -> { throw Checks.invalid("root", "readOnlyRoot() and emptyRoot() both set", "at most one of them"); },
        }) {
            assertThatThrownBy(r::run).isInstanceOf(IllegalArgumentException.class).message().matches(FORM);
        }
    }
}
