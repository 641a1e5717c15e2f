package dev.sandbox;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The test interpreter the compiler is checked against: it must itself be right. */
@DisplayName("The test's classic BPF interpreter")
class SeccompInterpreterTest {

    private static final byte[] DATA = SeccompInterpreter.seccompData(0xC000003E, 16, 0x1234,
            new long[] {7, 0xFFFFFFFF00005412L});

    @Nested
    @DisplayName("runs")
    class Runs {

        @Test
        @DisplayName("loads nr, arch and the argument halves at their offsets, little-endian")
        void loadsSeccompData() {
            assertThat(SeccompInterpreter.run(program(
                    insn(0x20, 0, 0, 0), insn(0x15, 0, 5, 16),
                    insn(0x20, 0, 0, 4), insn(0x15, 0, 3, 0xC000003E),
                    insn(0x20, 0, 0, 28), insn(0x15, 0, 1, 0xFFFFFFFF),
                    insn(0x06, 0, 0, 1), insn(0x06, 0, 0, 2)), DATA)).isEqualTo(1);
        }

        @Test
        @DisplayName("compares unsigned, tests bits, masks and jumps")
        void comparesUnsigned() {
            // A = 0xFFFFFFFF (high half of arg1) is above 1 unsigned; & 0xF0 is 0xF0; jset 0x100 holds.
            byte[] program = program(
                    insn(0x20, 0, 0, 28),
                    insn(0x25, 0, 5, 1),
                    insn(0x35, 0, 4, 0xFFFFFFFF),
                    insn(0x45, 0, 3, 0x100),
                    insn(0x54, 0, 0, 0xF0),
                    insn(0x15, 0, 1, 0xF0),
                    insn(0x05, 0, 0, 1),
                    insn(0x06, 0, 0, 3),
                    insn(0x06, 0, 0, 0x7fff0000));
            assertThat(SeccompInterpreter.run(program, DATA)).isEqualTo(0x7fff0000);
            byte[] highHalfOne = SeccompInterpreter.seccompData(0xC000003E, 16, 0, new long[] {7, 0x1_0000_5412L});
            assertThat(SeccompInterpreter.run(program, highHalfOne)).isEqualTo(3);
        }
    }

    @Nested
    @DisplayName("refuses what the kernel refuses, or what it does not know")
    class Refuses {

        @Test
        void anUnknownInstruction() {
            // BPF_MISC | BPF_TAX
            assertThatThrownBy(() -> run(insn(0x07, 0, 0, 0), insn(0x06, 0, 0, 0)))
                    .isInstanceOf(AssertionError.class).hasMessageContaining("does not know");
        }

        @Test
        void aJumpPastTheEnd() {
            assertThatThrownBy(() -> run(insn(0x15, 1, 0, 0), insn(0x06, 0, 0, 0)))
                    .isInstanceOf(AssertionError.class).hasMessageContaining("past the end");
            assertThatThrownBy(() -> run(insn(0x05, 0, 0, 1), insn(0x06, 0, 0, 0)))
                    .isInstanceOf(AssertionError.class).hasMessageContaining("past the end");
        }

        @Test
        void aLoadOutsideSeccompDataOrUnaligned() {
            assertThatThrownBy(() -> run(insn(0x20, 0, 0, 64), insn(0x06, 0, 0, 0)))
                    .isInstanceOf(AssertionError.class).hasMessageContaining("outside struct seccomp_data");
            assertThatThrownBy(() -> run(insn(0x20, 0, 0, 2), insn(0x06, 0, 0, 0)))
                    .isInstanceOf(AssertionError.class).hasMessageContaining("unaligned");
        }

        @Test
        void aProgramThatDoesNotEndInAReturn() {
            assertThatThrownBy(() -> run(insn(0x06, 0, 0, 0), insn(0x20, 0, 0, 0)))
                    .isInstanceOf(AssertionError.class).hasMessageContaining("not a return");
        }

        @Test
        void anEmptyOrTooLongProgram() {
            assertThatThrownBy(() -> SeccompInterpreter.run(new byte[0], DATA))
                    .isInstanceOf(AssertionError.class);
            assertThatThrownBy(() -> SeccompInterpreter.run(new byte[8 * 4097], DATA))
                    .isInstanceOf(AssertionError.class).hasMessageContaining("BPF_MAXINSNS");
        }
    }

    private static int run(byte[]... instructions) {
        return SeccompInterpreter.run(program(instructions), DATA);
    }

    static byte[] insn(int code, int jt, int jf, int k) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) code).put((byte) jt).put((byte) jf).putInt(k).array();
    }

    static byte[] program(byte[]... instructions) {
        ByteBuffer b = ByteBuffer.allocate(instructions.length * 8);
        for (byte[] i : instructions) {
            b.put(i);
        }
        return b.array();
    }
}
