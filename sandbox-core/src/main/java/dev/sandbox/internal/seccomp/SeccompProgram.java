package dev.sandbox.internal.seccomp;

import dev.sandbox.SeccompPolicy.Arch;
import dev.sandbox.base.Checks;
import dev.sandbox.internal.seccomp.SeccompFilter.Comparison;
import dev.sandbox.internal.seccomp.SeccompFilter.Rule;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * Compiles a {@link SeccompFilter} to classic BPF for one architecture: the bytes of a
 * {@code struct sock_filter[]} ({@code u16 code, u8 jt, u8 jf, u32 k}, 8 bytes an instruction,
 * little-endian) ready for {@code seccomp(SECCOMP_SET_MODE_FILTER)}.
 *
 * <p>The program checks {@code seccomp_data.arch} (another architecture kills the process),
 * on x86_64 kills x32 numbers ({@code nr >= 0x40000000}), then finds the syscall number's rules
 * by a binary search (unsigned comparisons, so a negative number is above them all) and tries
 * them in order; no rule, or none that holds, gives the default. A 64-bit argument is compared as two 32-bit halves, high half first.
 * It is emitted back to front, so every jump target is known when the jump is written; a
 * target beyond the 8-bit reach of {@code jt}/{@code jf} is reached through a {@code ja}
 * (32-bit offset) placed right after the jump.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class SeccompProgram {

    /** BPF_MAXINSNS: the kernel refuses longer programs. */
    public static final int MAX_INSTRUCTIONS = 4096;
    public static final int INSTRUCTION_SIZE = 8;

    public static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    public static final int AUDIT_ARCH_AARCH64 = 0xC00000B7;

    // struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
    static final int OFFSET_NR = 0;
    static final int OFFSET_ARCH = 4;
    static final int OFFSET_ARGS = 16;

    // Opcodes (linux/filter.h): class | size/op | mode/source.
    static final int LD_W_ABS = 0x00 | 0x00 | 0x20;
    static final int ALU_AND_K = 0x04 | 0x50 | 0x00;
    static final int JMP_JA = 0x05 | 0x00;
    static final int JMP_JEQ_K = 0x05 | 0x10 | 0x00;
    static final int JMP_JGT_K = 0x05 | 0x20 | 0x00;
    static final int JMP_JGE_K = 0x05 | 0x30 | 0x00;
    static final int JMP_JSET_K = 0x05 | 0x40 | 0x00;
    static final int RET_K = 0x06 | 0x00;

    private SeccompProgram() {
    }

    public static int auditArch(Arch arch) {
        switch (arch) {
            case X86_64:
                return AUDIT_ARCH_X86_64;
            case AARCH64:
                return AUDIT_ARCH_AARCH64;
            default:
                throw Checks.invalid("arch", "got " + Checks.quote(String.valueOf(arch)), "X86_64 or AARCH64");
        }
    }

    /**
     * The program for {@code arch}: a fresh array, a multiple of {@value #INSTRUCTION_SIZE}
     * bytes long.
     *
     * @throws IllegalArgumentException when it would exceed {@value #MAX_INSTRUCTIONS} instructions
     */
    public static byte[] compile(SeccompFilter filter, Arch arch) {
        SyscallTable table = SyscallTable.of(arch);
        Emitter e = new Emitter();

        // The rules of each syscall number, in declaration order: a rule for another number can
        // never match, so first-match semantics hold within each number's block.
        java.util.TreeMap<Integer, java.util.List<Rule>> byNumber = new java.util.TreeMap<>();
        List<Rule> rules = filter.rules();
        for (Rule rule : rules) {
            int nr = table.number(rule.syscall());
            if (nr >= 0) { // else not a system call of this architecture
                byNumber.computeIfAbsent(nr, n -> new java.util.ArrayList<>()).add(rule);
            }
        }
        int fallback = e.ret(filter.defaultReturn());
        // One return per action: a denied call's dispatch jumps straight to it.
        java.util.Map<Integer, Integer> returns = new java.util.HashMap<>();
        returns.put(filter.defaultReturn(), fallback);
        int[] numbers = new int[byNumber.size()];
        int[] blocks = new int[byNumber.size()];
        int b = 0;
        for (java.util.Map.Entry<Integer, java.util.List<Rule>> entry : byNumber.entrySet()) {
            numbers[b] = entry.getKey();
            blocks[b++] = block(e, entry.getValue(), fallback, returns);
        }
        int next = dispatch(e, numbers, blocks, 0, numbers.length - 1, fallback);

        if (arch == Arch.X86_64) {
            int kill = e.ret(SeccompReturn.KILL_PROCESS);
            next = e.jump(JMP_JGE_K, SeccompFilter.X32_SYSCALL_BIT, kill, next);
        }
        int loadNr = e.load(OFFSET_NR);
        int wrongArch = e.ret(SeccompReturn.KILL_PROCESS);
        e.jump(JMP_JEQ_K, auditArch(arch), loadNr, wrongArch);
        e.load(OFFSET_ARCH);

        if (e.size() > MAX_INSTRUCTIONS) {
            throw Checks.invalid("policy", rules.size() + " rules compile to " + e.size() + " instructions for " + arch,
                    "at most " + MAX_INSTRUCTIONS + " instructions (BPF_MAXINSNS)");
        }
        return e.bytes();
    }

    /**
     * The rules of one syscall number, tried in order; the first that holds returns its action, and
     * when none does the policy's default applies. Entered with A = nr (the comparisons load arguments).
     */
    private static int block(Emitter e, List<Rule> rules, int fallback, java.util.Map<Integer, Integer> returns) {
        int last = 0; // rules after the first unconditional one can never decide
        while (last < rules.size() - 1 && !rules.get(last).conditions().isEmpty()) {
            last++;
        }
        int next = fallback;
        for (int i = last; i >= 0; i--) {
            Rule rule = rules.get(i);
            int pass = returns.computeIfAbsent(rule.returnValue(), e::ret);
            List<Comparison> conditions = rule.conditions();
            for (int c = conditions.size() - 1; c >= 0; c--) {
                pass = comparison(e, conditions.get(c), pass, next);
            }
            next = pass;
        }
        return next;
    }

    /**
     * A binary search over the sorted syscall numbers (A = nr) leading to each number's block, or
     * to the default. The kernel emulates the filter for every syscall number when it is installed
     * (its cache of always-allowed calls) and runs it on every call: a short path per number keeps
     * both cheap, where a chain of one comparison per rule cost 300 us to install on this project's
     * machine.
     */
    private static int dispatch(Emitter e, int[] numbers, int[] blocks, int lo, int hi, int fallback) {
        if (hi - lo < 4) {
            int next = fallback;
            for (int i = hi; i >= lo; i--) {
                next = e.jump(JMP_JEQ_K, numbers[i], blocks[i], next);
            }
            return next;
        }
        int mid = (lo + hi + 1) >>> 1;
        int above = dispatch(e, numbers, blocks, mid, hi, fallback);
        int below = dispatch(e, numbers, blocks, lo, mid - 1, fallback);
        return e.jump(JMP_JGE_K, numbers[mid], above, below);
    }

    /** Code that goes to {@code pass} when {@code c} holds, to {@code fail} otherwise; returns its entry. */
    private static int comparison(Emitter e, Comparison c, int pass, int fail) {
        int lo = OFFSET_ARGS + 8 * c.arg();
        int hi = lo + 4;
        int valueLo = (int) c.value();
        int valueHi = (int) (c.value() >>> 32);
        switch (c.op()) {
            case EQ: {
                e.jump(JMP_JEQ_K, valueLo, pass, fail);
                int low = e.load(lo);
                e.jump(JMP_JEQ_K, valueHi, low, fail);
                return e.load(hi);
            }
            case NE: {
                e.jump(JMP_JEQ_K, valueLo, fail, pass);
                int low = e.load(lo);
                e.jump(JMP_JEQ_K, valueHi, low, pass);
                return e.load(hi);
            }
            case MASKED_EQ: {
                int low = maskedHalf(e, lo, (int) c.mask(), valueLo, pass, fail);
                return maskedHalf(e, hi, (int) (c.mask() >>> 32), valueHi, low, fail);
            }
            case GT:
                return ordered(e, c, JMP_JGT_K, pass, fail);
            case GE:
                return ordered(e, c, JMP_JGE_K, pass, fail);
            case LT:
                return ordered(e, c, JMP_JGE_K, fail, pass);
            case LE:
                return ordered(e, c, JMP_JGT_K, fail, pass);
            default:
                throw new AssertionError(c.op());
        }
    }

    /**
     * Unsigned order of the argument and the value: a greater high half goes to {@code ifAbove},
     * a smaller one to {@code ifBelow}; equal high halves leave it to {@code lowOpcode} on the low
     * halves (true: {@code ifAbove}).
     */
    private static int ordered(Emitter e, Comparison c, int lowOpcode, int ifAbove, int ifBelow) {
        int lo = OFFSET_ARGS + 8 * c.arg();
        int valueHi = (int) (c.value() >>> 32);
        e.jump(lowOpcode, (int) c.value(), ifAbove, ifBelow);
        int low = e.load(lo);
        int equal = e.jump(JMP_JEQ_K, valueHi, low, ifBelow);
        e.jump(JMP_JGT_K, valueHi, ifAbove, equal);
        return e.load(lo + 4);
    }

    /** One half of {@code (arg & mask) == value}: nothing when the mask is 0, else a load and a test. */
    private static int maskedHalf(Emitter e, int offset, int mask, int value, int pass, int fail) {
        if (mask == 0) {
            return pass;
        }
        if (value == 0) {
            e.jump(JMP_JSET_K, mask, fail, pass);
        } else if (value == mask && Integer.bitCount(mask) == 1) {
            e.jump(JMP_JSET_K, mask, pass, fail);
        } else {
            e.jump(JMP_JEQ_K, value, pass, fail);
            if (mask != -1) {
                e.stmt(ALU_AND_K, mask);
            }
        }
        return e.load(offset);
    }

    /**
     * Writes a program last instruction first. A label is an instruction's index counted from the
     * end, so it never changes as instructions are put in front of it.
     */
    private static final class Emitter {
        private int[] code = new int[64];
        private int[] jt = new int[64];
        private int[] jf = new int[64];
        private int[] k = new int[64];
        private int size;

        int size() {
            return size;
        }

        int load(int offset) {
            return stmt(LD_W_ABS, offset);
        }

        int ret(int value) {
            return stmt(RET_K, value);
        }

        int stmt(int opcode, int value) {
            return put(opcode, 0, 0, value);
        }

        /** A conditional jump to labels {@code ifTrue} and {@code ifFalse}; returns its label. */
        int jump(int opcode, int value, int ifTrue, int ifFalse) {
            // At most one trampoline comes between a target and the jump after the first check,
            // hence 254 there.
            if (distance(ifTrue) > 254) {
                ifTrue = put(JMP_JA, 0, 0, distance(ifTrue));
            }
            if (distance(ifFalse) > 255) {
                ifFalse = put(JMP_JA, 0, 0, distance(ifFalse));
            }
            if (distance(ifTrue) > 255 || distance(ifFalse) > 255) {
                throw new IllegalStateException("jt " + distance(ifTrue) + " or jf " + distance(ifFalse) + " beyond 255");
            }
            return put(opcode, distance(ifTrue), distance(ifFalse), value);
        }

        /** How many instructions a jump put next would skip to reach {@code label}. */
        private int distance(int label) {
            return size - label - 1;
        }

        private int put(int opcode, int ifTrue, int ifFalse, int value) {
            if (size == code.length) {
                code = Arrays.copyOf(code, size * 2);
                jt = Arrays.copyOf(jt, size * 2);
                jf = Arrays.copyOf(jf, size * 2);
                k = Arrays.copyOf(k, size * 2);
            }
            code[size] = opcode;
            jt[size] = ifTrue;
            jf[size] = ifFalse;
            k[size] = value;
            return size++;
        }

        byte[] bytes() {
            ByteBuffer out = ByteBuffer.allocate(size * INSTRUCTION_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = size - 1; i >= 0; i--) {
                out.putShort((short) code[i]).put((byte) jt[i]).put((byte) jf[i]).putInt(k[i]);
            }
            return out.array();
        }
    }
}
