package dev.sandbox.internal.seccomp;

import dev.sandbox.SeccompPolicy.Arch;
import dev.sandbox.testing.Host;
import dev.sandbox.testing.HostRequirement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("The syscall tables")
class SeccompSyscallTableTest {

    private static final Path X86_64_HEADER = Path.of("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
    private static final Path AARCH64_INCLUDE = Path.of("/usr/aarch64-linux-gnu/include");
    private static final Path AARCH64_HEADER = AARCH64_INCLUDE.resolve("asm/unistd.h");

    @Nested
    @DisplayName("equal the kernel headers")
    class EqualTheHeaders {

        @Test
        @DisplayName("x86_64: every __NR_ of asm/unistd_64.h (package linux-libc-dev)")
        void x86_64() throws IOException {
            HostRequirement.require(Files.isRegularFile(X86_64_HEADER),
                    X86_64_HEADER + " is missing: apt-get install linux-libc-dev");
            Map<String, Integer> header = new TreeMap<>();
            Matcher m = Pattern.compile("(?m)^#define __NR_(\\w+)\\s+(\\d+)\\s*$").matcher(Files.readString(X86_64_HEADER));
            while (m.find()) {
                header.put(m.group(1), Integer.parseInt(m.group(2)));
            }
            assertThat(header).hasSizeGreaterThan(300);
            assertThat(new TreeMap<>(SyscallTable.of(Arch.X86_64).numbers())).isEqualTo(header);
        }

        @Test
        @DisplayName("aarch64: every __NR_ the preprocessor makes of asm/unistd.h (package linux-libc-dev-arm64-cross)")
        void aarch64() throws Exception {
            HostRequirement.require(Files.isRegularFile(AARCH64_HEADER),
                    AARCH64_HEADER + " is missing: apt-get install linux-libc-dev-arm64-cross");
            HostRequirement.require(Host.onPath("gcc"), "gcc is missing (it preprocesses the header): apt-get install gcc");
            // asm/unistd.h picks from asm-generic/unistd.h with #if and aliases (__NR_fcntl is
            // __NR3264_fcntl): let the preprocessor choose and resolve the aliases here.
            Path input = Files.createTempFile("seccomp-unistd", ".h");
            String macros;
            try {
                Files.writeString(input, "#include <asm/unistd.h>\n");
                macros = Host.run("gcc", "-E", "-dM", "-nostdinc", "-I" + AARCH64_INCLUDE, input.toString());
            } finally {
                Files.delete(input);
            }
            Map<String, String> defines = new LinkedHashMap<>();
            Matcher m = Pattern.compile("(?m)^#define (\\w+) (\\w+)$").matcher(macros);
            while (m.find()) {
                defines.put(m.group(1), m.group(2));
            }
            Map<String, Integer> header = new TreeMap<>();
            for (String macro : defines.keySet()) {
                if (macro.startsWith("__NR_") && !macro.equals("__NR_syscalls") && !macro.equals("__NR_arch_specific_syscall")) {
                    String value = macro;
                    while (defines.containsKey(value)) {
                        value = defines.get(value);
                    }
                    header.put(macro.substring("__NR_".length()), Integer.parseInt(value));
                }
            }
            assertThat(header).hasSizeGreaterThan(280);
            assertThat(new TreeMap<>(SyscallTable.of(Arch.AARCH64).numbers())).isEqualTo(header);
        }
    }

    @Nested
    @DisplayName("know the architectures apart")
    class KnowTheArchitecturesApart {

        @Test
        @DisplayName("aarch64 has the generic table: openat, renameat, clone3, no open, no fork, no stat")
        void aarch64UsesTheGenericTable() {
            SyscallTable aarch64 = SyscallTable.of(Arch.AARCH64);
            assertThat(aarch64.number("openat")).isEqualTo(56);
            assertThat(aarch64.number("renameat")).isEqualTo(38);
            assertThat(aarch64.number("fstat")).isEqualTo(80);
            assertThat(aarch64.number("fcntl")).isEqualTo(25);
            assertThat(aarch64.number("clone")).isEqualTo(220);
            assertThat(aarch64.number("clone3")).isEqualTo(435);
            assertThat(aarch64.number("ioctl")).isEqualTo(29);
            assertThat(aarch64.number("open")).isEqualTo(-1);
            assertThat(aarch64.number("fork")).isEqualTo(-1);
            assertThat(aarch64.number("stat")).isEqualTo(-1);
        }

        @Test
        @DisplayName("x86_64 has its own numbers, and the legacy calls")
        void x86_64HasItsOwnNumbers() {
            SyscallTable x86 = SyscallTable.of(Arch.X86_64);
            assertThat(x86.number("read")).isZero();
            assertThat(x86.number("open")).isEqualTo(2);
            assertThat(x86.number("ioctl")).isEqualTo(16);
            assertThat(x86.number("clone")).isEqualTo(56);
            assertThat(x86.number("openat")).isEqualTo(257);
            assertThat(x86.number("clone3")).isEqualTo(435);
            assertThat(x86.number("_sysctl")).isEqualTo(156);
            assertThat(x86.number("vm86")).isEqualTo(-1);
        }

        @Test
        @DisplayName("a name exists when either architecture has it")
        void existsOnEither() {
            assertThat(SyscallTable.exists("open")).isTrue();
            assertThat(SyscallTable.exists("renameat")).isTrue();
            assertThat(SyscallTable.exists("vm86")).isFalse();
            assertThat(SyscallTable.exists("nosuch")).isFalse();
        }
    }
}
