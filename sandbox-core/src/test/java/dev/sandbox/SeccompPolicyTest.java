package dev.sandbox;

import dev.sandbox.SeccompPolicy.Action;
import dev.sandbox.SeccompPolicy.Arch;
import dev.sandbox.internal.seccomp.SyscallTable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static dev.sandbox.SeccompPolicy.arg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("SeccompPolicy")
class SeccompPolicyTest {

    private static final long[] NO_ARGS = {};

    @Nested
    @DisplayName("rejects bad settings with a message that names them")
    class Rejects {

        @Test
        void anUnknownSyscall() {
            assertThatThrownBy(() -> SeccompPolicy.builder().deny("read", "nosuch"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("syscall: got \"nosuch\"; allowed: a syscall name of x86_64 or aarch64");
            assertThatThrownBy(() -> SeccompPolicy.builder().rule("vm86", Action.allow()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("syscall: got \"vm86\"; allowed: a syscall name of x86_64 or aarch64");
        }

        @Test
        void noSyscallNames() {
            assertThatThrownBy(() -> SeccompPolicy.builder().allow())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("allow syscalls: got none; allowed: at least one name");
        }

        @Test
        void anErrnoOutOfRange() {
            assertThatThrownBy(() -> Action.errno(0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("errno: got 0; allowed: 1..4095");
            assertThatThrownBy(() -> Action.errno(4096))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("errno: got 4096; allowed: 1..4095");
        }

        @Test
        void anArgumentIndexOutOfRange() {
            assertThatThrownBy(() -> arg(6))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("arg index: got 6; allowed: 0..5");
            assertThatThrownBy(() -> arg(-1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("arg index: got -1; allowed: 0..5");
        }

        @Test
        void aMaskedValueWithBitsOutsideTheMask() {
            assertThatThrownBy(() -> arg(0).maskedEq(0xF0, 0x1F0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("maskedEq value: got 0x1f0; allowed: no bit outside the mask 0xf0");
        }

        @Test
        void nulls() {
            assertThatThrownBy(() -> SeccompPolicy.builder().deny("read", null))
                    .isInstanceOf(NullPointerException.class).hasMessage("syscalls[1]");
            assertThatThrownBy(() -> SeccompPolicy.builder().rule(null, Action.allow()))
                    .isInstanceOf(NullPointerException.class).hasMessage("syscall");
            assertThatThrownBy(() -> SeccompPolicy.builder().rule("read", null))
                    .isInstanceOf(NullPointerException.class).hasMessage("action");
            assertThatThrownBy(() -> SeccompPolicy.builder().rule("read", Action.allow(), arg(0).eq(1), null))
                    .isInstanceOf(NullPointerException.class).hasMessage("conditions[1]");
            assertThatThrownBy(() -> SeccompPolicy.builder().defaultAction(null))
                    .isInstanceOf(NullPointerException.class).hasMessage("action");
        }

        @Test
        void tooManyArgumentsToEvaluate() {
            assertThatThrownBy(() -> SeccompPolicy.defaultUntrusted().evaluate(Arch.X86_64, 0, new long[7]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("args: got 7 values; allowed: 0 to 6");
        }

        @Test
        void anArchitectureWithoutFilters() {
            assertThatThrownBy(() -> Arch.ofOsArch("ppc64le"))
                    .isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageStartingWith("os.arch: got \"ppc64le\"; allowed: amd64, x86_64, aarch64 or arm64");
        }
    }

    @Nested
    @DisplayName("evaluates")
    class Evaluates {

        @Test
        @DisplayName("the first rule whose syscall matches and whose conditions all hold")
        void firstMatchingRuleDecides() {
            SeccompPolicy p = SeccompPolicy.builder()
                    .rule("ioctl", Action.errno(25), arg(1).eq(0x5401), arg(0).gt(2))
                    .rule("ioctl", Action.errno(9), arg(1).eq(0x5401))
                    .allow("ioctl")
                    .defaultAction(Action.killProcess())
                    .build();
            int ioctl = nr(Arch.X86_64, "ioctl");
            assertThat(p.evaluate(Arch.X86_64, ioctl, new long[] {3, 0x5401})).isEqualTo(Action.errno(25));
            assertThat(p.evaluate(Arch.X86_64, ioctl, new long[] {2, 0x5401})).isEqualTo(Action.errno(9));
            assertThat(p.evaluate(Arch.X86_64, ioctl, new long[] {3, 0x5402})).isEqualTo(Action.allow());
            assertThat(p.evaluate(Arch.X86_64, nr(Arch.X86_64, "read"), NO_ARGS)).isEqualTo(Action.killProcess());
        }

        @Test
        @DisplayName("an allow-list: everything else gets the default")
        void allowList() {
            SeccompPolicy p = SeccompPolicy.builder().defaultAction(Action.errno(1)).allow("read", "write").build();
            for (Arch arch : Arch.values()) {
                assertThat(p.evaluate(arch, nr(arch, "write"), NO_ARGS)).isEqualTo(Action.allow());
                assertThat(p.evaluate(arch, nr(arch, "openat"), NO_ARGS)).isEqualTo(Action.errno(1));
            }
        }

        @Test
        @DisplayName("a rule on a syscall the architecture lacks as absent there")
        void absentOnOneArchitecture() {
            SeccompPolicy p = SeccompPolicy.builder().deny("open").build();
            assertThat(p.evaluate(Arch.X86_64, nr(Arch.X86_64, "open"), NO_ARGS)).isEqualTo(Action.errno(1));
            // aarch64 has no open; its number 2 is io_submit
            assertThat(p.evaluate(Arch.AARCH64, 2, NO_ARGS)).isEqualTo(Action.allow());
        }

        @Test
        @DisplayName("arguments as unsigned 64-bit numbers")
        void unsignedArguments() {
            SeccompPolicy p = SeccompPolicy.builder()
                    .rule("write", Action.errno(7), arg(2).gt(0xFFFFFFFFL))
                    .build();
            int write = nr(Arch.AARCH64, "write");
            assertThat(p.evaluate(Arch.AARCH64, write, new long[] {1, 0, -1})).isEqualTo(Action.errno(7));
            assertThat(p.evaluate(Arch.AARCH64, write, new long[] {1, 0, Long.MIN_VALUE})).isEqualTo(Action.errno(7));
            assertThat(p.evaluate(Arch.AARCH64, write, new long[] {1, 0, 0xFFFFFFFFL})).isEqualTo(Action.allow());
        }

        @Test
        @DisplayName("an x32 or negative syscall number on x86_64 as killProcess, but not on aarch64")
        void x32() {
            SeccompPolicy p = SeccompPolicy.builder().build();
            assertThat(p.evaluate(Arch.X86_64, 0x40000000, NO_ARGS)).isEqualTo(Action.killProcess());
            assertThat(p.evaluate(Arch.X86_64, -1, NO_ARGS)).isEqualTo(Action.killProcess());
            assertThat(p.evaluate(Arch.X86_64, 0x3FFFFFFF, NO_ARGS)).isEqualTo(Action.allow());
            assertThat(p.evaluate(Arch.AARCH64, 0x40000000, NO_ARGS)).isEqualTo(Action.allow());
        }

        @Test
        @DisplayName("unconfined() as allowing everything")
        void unconfined() {
            assertThat(SeccompPolicy.unconfined().isUnconfined()).isTrue();
            assertThat(SeccompPolicy.builder().build().isUnconfined()).isFalse();
            assertThat(SeccompPolicy.unconfined().evaluate(Arch.X86_64, 0x40000000, NO_ARGS)).isEqualTo(Action.allow());
        }
    }

    @Nested
    @DisplayName("is a value")
    class IsAValue {

        @Test
        void actionsCompareByWhatTheyDo() {
            assertThat(Action.errno(1)).isEqualTo(Action.errno(1)).hasSameHashCodeAs(Action.errno(1))
                    .isNotEqualTo(Action.errno(2)).isNotEqualTo(Action.allow());
            assertThat(Action.killThread()).isNotEqualTo(Action.killProcess());
        }

        @Test
        void policiesCompareByTheirRules() {
            assertThat(SeccompPolicy.builder().deny("mount").build())
                    .isEqualTo(SeccompPolicy.builder().deny("mount").build())
                    .isNotEqualTo(SeccompPolicy.builder().deny("umount2").build())
                    .isNotEqualTo(SeccompPolicy.unconfined());
            assertThat(SeccompPolicy.defaultUntrusted()).isSameAs(SeccompPolicy.defaultUntrusted());
        }

        @Test
        @DisplayName("newBuilder() appends to the same default and rules")
        void newBuilderAppends() {
            SeccompPolicy base = SeccompPolicy.builder().defaultAction(Action.log()).deny("mount").build();
            SeccompPolicy more = base.newBuilder().allow("mount").deny("socket").build();
            int mount = nr(Arch.X86_64, "mount");
            assertThat(more.evaluate(Arch.X86_64, mount, NO_ARGS)).isEqualTo(Action.errno(1));
            assertThat(more.evaluate(Arch.X86_64, nr(Arch.X86_64, "socket"), NO_ARGS)).isEqualTo(Action.errno(1));
            assertThat(more.evaluate(Arch.X86_64, nr(Arch.X86_64, "read"), NO_ARGS)).isEqualTo(Action.log());
            assertThat(base.newBuilder().build()).isEqualTo(base);
            assertThat(SeccompPolicy.unconfined().newBuilder().build()).isEqualTo(SeccompPolicy.builder().build());
        }
    }

    @Nested
    @DisplayName("reads well")
    class ReadsWell {

        @Test
        void actions() {
            assertThat(Action.errno(1)).hasToString("errno(EPERM)");
            assertThat(Action.errno(38)).hasToString("errno(ENOSYS)");
            assertThat(Action.errno(4000)).hasToString("errno(4000)");
            assertThat(Action.allow()).hasToString("allow");
            assertThat(Action.killProcess()).hasToString("killProcess");
        }

        @Test
        void policies() {
            SeccompPolicy p = SeccompPolicy.builder()
                    .defaultAction(Action.errno(1))
                    .allow("read")
                    .rule("ioctl", Action.errno(1), arg(1).maskedEq(0xFFFFFFFFL, 0x5412), arg(0).lt(3))
                    .build();
            assertThat(p).hasToString("SeccompPolicy{default errno(EPERM), 2 rules\n"
                    + "  read -> allow\n"
                    + "  ioctl if arg1 & 0xffffffff == 0x5412 and arg0 < 0x3 -> errno(EPERM)\n"
                    + "}");
            assertThat(SeccompPolicy.builder().build()).hasToString("SeccompPolicy{default allow, 0 rules}");
            assertThat(SeccompPolicy.unconfined()).hasToString("SeccompPolicy.unconfined()");
        }
    }

    @Nested
    @DisplayName("knows the host")
    class KnowsTheHost {

        @Test
        void byItsOsArchNames() {
            assertThat(Arch.ofOsArch("amd64")).isEqualTo(Arch.X86_64);
            assertThat(Arch.ofOsArch("x86_64")).isEqualTo(Arch.X86_64);
            assertThat(Arch.ofOsArch("aarch64")).isEqualTo(Arch.AARCH64);
            assertThat(Arch.ofOsArch("arm64")).isEqualTo(Arch.AARCH64);
            assertThat(Arch.host()).isEqualTo(Arch.ofOsArch(System.getProperty("os.arch")));
        }
    }

    private static int nr(Arch arch, String syscall) {
        int nr = SyscallTable.of(arch).number(syscall);
        assertThat(nr).as(syscall + " on " + arch).isNotNegative();
        return nr;
    }
}
