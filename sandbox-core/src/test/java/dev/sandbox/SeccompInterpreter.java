package dev.sandbox;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Runs a seccomp program the way the kernel would, for tests: first the kernel's load-time
 * checks (bpf_check_classic, seccomp_check_filter), then classic BPF over a
 * {@code struct seccomp_data}. Knows only the instructions the compiler is meant to use; any
 * other fails the test.
 */
final class SeccompInterpreter {

    static final int SECCOMP_DATA_SIZE = 64;
    static final int MAX_INSTRUCTIONS = 4096;

    // linux/filter.h
    private static final int LD_W_ABS = 0x00 | 0x00 | 0x20;
    private static final int ALU_AND_K = 0x04 | 0x50 | 0x00;
    private static final int JMP_JA = 0x05 | 0x00;
    private static final int JMP_JEQ_K = 0x05 | 0x10 | 0x00;
    private static final int JMP_JGT_K = 0x05 | 0x20 | 0x00;
    private static final int JMP_JGE_K = 0x05 | 0x30 | 0x00;
    private static final int JMP_JSET_K = 0x05 | 0x40 | 0x00;
    private static final int RET_K = 0x06 | 0x00;

    private SeccompInterpreter() {
    }

    /** {@code struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }}, little-endian. */
    static byte[] seccompData(int auditArch, int nr, long instructionPointer, long[] args) {
        ByteBuffer b = ByteBuffer.allocate(SECCOMP_DATA_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(nr).putInt(auditArch).putLong(instructionPointer);
        for (int i = 0; i < 6; i++) {
            b.putLong(i < args.length ? args[i] : 0);
        }
        return b.array();
    }

    /** The program's return value for {@code data}; an AssertionError when the kernel would refuse the program. */
    static int run(byte[] program, byte[] data) {
        check(program);
        ByteBuffer p = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer d = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        int a = 0;
        for (int pc = 0; ; pc++) {
            int at = pc * 8;
            int code = p.getShort(at) & 0xffff;
            int jt = p.get(at + 2) & 0xff;
            int jf = p.get(at + 3) & 0xff;
            int k = p.getInt(at + 4);
            switch (code) {
                case LD_W_ABS:
                    a = d.getInt(k);
                    break;
                case ALU_AND_K:
                    a &= k;
                    break;
                case JMP_JA:
                    pc += k;
                    break;
                case JMP_JEQ_K:
                    pc += a == k ? jt : jf;
                    break;
                case JMP_JGT_K:
                    pc += Integer.compareUnsigned(a, k) > 0 ? jt : jf;
                    break;
                case JMP_JGE_K:
                    pc += Integer.compareUnsigned(a, k) >= 0 ? jt : jf;
                    break;
                case JMP_JSET_K:
                    pc += (a & k) != 0 ? jt : jf;
                    break;
                case RET_K:
                    return k;
                default:
                    throw new AssertionError("unreachable: check() let opcode " + code + " through");
            }
        }
    }

    /** What the kernel checks when the filter is installed, and that only known instructions occur. */
    static void check(byte[] program) {
        if (program.length == 0 || program.length % 8 != 0) {
            throw new AssertionError("program of " + program.length + " bytes: not 1 or more 8-byte instructions");
        }
        int length = program.length / 8;
        if (length > MAX_INSTRUCTIONS) {
            throw new AssertionError("program of " + length + " instructions: more than BPF_MAXINSNS");
        }
        ByteBuffer p = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        for (int pc = 0; pc < length; pc++) {
            int code = p.getShort(pc * 8) & 0xffff;
            int jt = p.get(pc * 8 + 2) & 0xff;
            int jf = p.get(pc * 8 + 3) & 0xff;
            int k = p.getInt(pc * 8 + 4);
            String where = "instruction " + pc + " (code 0x" + Integer.toHexString(code) + ", k 0x" + Integer.toHexString(k) + ")";
            switch (code) {
                case LD_W_ABS:
                    if (Integer.compareUnsigned(k, SECCOMP_DATA_SIZE) >= 0 || (k & 3) != 0) {
                        throw new AssertionError(where + ": load outside struct seccomp_data or unaligned");
                    }
                    break;
                case JMP_JA:
                    if (Integer.compareUnsigned(k, length - pc - 1) >= 0) {
                        throw new AssertionError(where + ": ja past the end");
                    }
                    break;
                case JMP_JEQ_K:
                case JMP_JGT_K:
                case JMP_JGE_K:
                case JMP_JSET_K:
                    if (pc + 1 + jt >= length || pc + 1 + jf >= length) {
                        throw new AssertionError(where + ": jt " + jt + " or jf " + jf + " past the end");
                    }
                    break;
                case ALU_AND_K:
                case RET_K:
                    break;
                default:
                    throw new AssertionError(where + ": an instruction this interpreter does not know");
            }
        }
        if ((p.getShort((length - 1) * 8) & 0xffff) != RET_K) {
            throw new AssertionError("the last instruction is not a return");
        }
    }
}
