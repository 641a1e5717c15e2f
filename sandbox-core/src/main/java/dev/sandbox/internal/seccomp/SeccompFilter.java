package dev.sandbox.internal.seccomp;

import dev.sandbox.SeccompPolicy.Arch;
import dev.sandbox.base.Checks;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A seccomp policy as the compiler sees it: rules tried in order, the first whose system call
 * matches and whose comparisons all hold decides; none does, {@link #defaultReturn()} does.
 * {@link #evaluate} is the reference semantics that {@link SeccompProgram#compile} must agree with.
 *
 * <p><strong>Internal usage only.</strong>
 */
public record SeccompFilter(List<Rule> rules, int defaultReturn) {

    /** The bit the x32 ABI sets in x86_64 system call numbers ({@code __X32_SYSCALL_BIT}). */
    public static final int X32_SYSCALL_BIT = 0x40000000;

    public SeccompFilter {
        rules = List.copyOf(rules);
    }

    /**
     * One rule: system call {@code syscall} (a name of at least one architecture's table; on an
     * architecture without it the rule is absent) with every comparison holding gives
     * {@code returnValue}, a {@link SeccompReturn} value.
     */
    public record Rule(String syscall, List<Comparison> conditions, int returnValue) {
        public Rule {
            Objects.requireNonNull(syscall, "syscall");
            conditions = List.copyOf(conditions);
        }

        boolean matches(int nr, long[] args, SyscallTable table) {
            int number = table.number(syscall);
            if (number < 0 || number != nr) {
                return false;
            }
            for (Comparison c : conditions) {
                if (!c.test(args[c.arg()])) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(syscall);
            for (int i = 0; i < conditions.size(); i++) {
                sb.append(i == 0 ? " if " : " and ").append(conditions.get(i));
            }
            return sb.append(" -> ").append(SeccompReturn.describe(returnValue)).toString();
        }
    }

    /** How a comparison relates the argument to its value; all on unsigned 64-bit numbers. */
    public enum Op { EQ, NE, MASKED_EQ, LT, LE, GT, GE }

    /**
     * Argument {@code arg} (0 to 5) compared with {@code value} as unsigned 64-bit numbers;
     * {@link Op#MASKED_EQ} holds when {@code (argument & mask) == value}, and its value may have
     * no bit outside the mask (it could never hold). {@code mask} is -1 for the other operators.
     */
    public record Comparison(int arg, Op op, long value, long mask) {
        public Comparison {
            Objects.requireNonNull(op, "op");
            Checks.inRange("arg index", arg, 0, 5, "");
            if (op != Op.MASKED_EQ && mask != -1L) {
                throw Checks.invalid("mask", "got " + hex(mask), "-1 unless the op is MASKED_EQ");
            }
            if ((value & ~mask) != 0) {
                throw Checks.invalid("maskedEq value", "got " + hex(value), "no bit outside the mask " + hex(mask));
            }
        }

        boolean test(long argument) {
            switch (op) {
                case EQ:
                    return argument == value;
                case NE:
                    return argument != value;
                case MASKED_EQ:
                    return (argument & mask) == value;
                case LT:
                    return Long.compareUnsigned(argument, value) < 0;
                case LE:
                    return Long.compareUnsigned(argument, value) <= 0;
                case GT:
                    return Long.compareUnsigned(argument, value) > 0;
                case GE:
                    return Long.compareUnsigned(argument, value) >= 0;
                default:
                    throw new AssertionError(op);
            }
        }

        @Override
        public String toString() {
            switch (op) {
                case EQ:
                    return "arg" + arg + " == " + hex(value);
                case NE:
                    return "arg" + arg + " != " + hex(value);
                case MASKED_EQ:
                    return "arg" + arg + " & " + hex(mask) + " == " + hex(value);
                case LT:
                    return "arg" + arg + " < " + hex(value);
                case LE:
                    return "arg" + arg + " <= " + hex(value);
                case GT:
                    return "arg" + arg + " > " + hex(value);
                case GE:
                    return "arg" + arg + " >= " + hex(value);
                default:
                    throw new AssertionError(op);
            }
        }
    }

    /**
     * What the filter for {@code arch} returns for system call {@code nr} with {@code args}
     * (6 values; missing ones are 0) when {@code struct seccomp_data}'s arch is {@code arch}'s.
     * On x86_64 a number of {@value #X32_SYSCALL_BIT} or more (unsigned: the x32 ABI, and
     * negative numbers) kills the process whatever the rules say.
     */
    public int evaluate(Arch arch, int nr, long[] args) {
        Objects.requireNonNull(arch, "arch");
        checkArgs(args);
        if (arch == Arch.X86_64 && Integer.compareUnsigned(nr, X32_SYSCALL_BIT) >= 0) {
            return SeccompReturn.KILL_PROCESS;
        }
        long[] six = Arrays.copyOf(args, 6);
        SyscallTable table = SyscallTable.of(arch);
        for (Rule rule : rules) {
            if (rule.matches(nr, six, table)) {
                return rule.returnValue();
            }
        }
        return defaultReturn;
    }

    /** {@code args} holds 0 to 6 values, as {@link #evaluate} takes them. */
    public static void checkArgs(long[] args) {
        Objects.requireNonNull(args, "args");
        if (args.length > 6) {
            throw Checks.invalid("args", "got " + args.length + " values", "0 to 6");
        }
    }

    static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }
}
