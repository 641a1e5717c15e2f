package dev.sandbox;

import dev.sandbox.SeccompPolicy.Action;
import dev.sandbox.SeccompPolicy.Arch;
import dev.sandbox.SeccompPolicy.ArgCondition;
import dev.sandbox.internal.seccomp.SyscallTable;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Group;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static dev.sandbox.SeccompPolicy.arg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The compiled program, run by {@link SeccompInterpreter} over a {@code struct seccomp_data},
 * returns exactly what {@link SeccompPolicy#evaluate} says, for random policies and calls.
 */
@Label("SeccompPolicy compiled to classic BPF")
class SeccompProgramTest {

    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final int AUDIT_ARCH_AARCH64 = 0xC00000B7;
    private static final int RET_KILL_PROCESS = 0x80000000;

    /** Every name of either table: some exist on one architecture only. */
    private static final List<String> NAMES = new ArrayList<>(new TreeSet<>(union()));

    private static final List<Long> BOUNDARIES = List.of(
            0L, 1L, 2L, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFEL, 0xFFFFFFFFL, 0x1_0000_0000L, 0x1_0000_0001L, 0x1_FFFF_FFFFL,
            0xFFFFFFFF_00000000L, 0xFFFFFFFF_00005412L, 0x7FFFFFFF_FFFFFFFFL, Long.MIN_VALUE, Long.MIN_VALUE + 1, -2L, -1L);

    @Group
    @Label("agrees with evaluate()")
    class AgreesWithEvaluate {

        @Property(tries = 2000)
        @Label("for random policies and calls, on both architectures")
        void forRandomPolicies(@ForAll("cases") Case c) {
            assertThat(c.run()).isEqualTo(c.expected());
        }

        @Property(tries = 1000)
        @Label("for long policies, up to thousands of instructions, whose jumps need trampolines")
        void forLongPolicies(@ForAll("longCases") Case c) {
            assertThat(c.policy.program(c.arch).length / 8).isBetween(600, 4096);
            assertThat(c.run()).isEqualTo(c.expected());
        }

        @Property(tries = 1000)
        @Label("for defaultUntrusted()")
        void forDefaultUntrusted(@ForAll("untrustedCases") Case c) {
            assertThat(c.run()).isEqualTo(c.expected());
        }
    }

    @Group
    @Label("kills the process whatever the rules say")
    class Kills {

        @Property(tries = 1000)
        @Label("when seccomp_data.arch is another architecture's")
        void onAnotherArchitecture(@ForAll("cases") Case c, @ForAll int otherArch) {
            int audit = auditArch(c.arch);
            int wrong = otherArch == audit ? auditArch(c.arch == Arch.X86_64 ? Arch.AARCH64 : Arch.X86_64) : otherArch;
            byte[] data = SeccompInterpreter.seccompData(wrong, c.nr, 0, c.args);
            assertThat(SeccompInterpreter.run(c.policy.program(c.arch), data)).isEqualTo(RET_KILL_PROCESS);
        }

        @Property(tries = 1000)
        @Label("for an x32 system call number on x86_64 (nr >= 0x40000000)")
        void forX32Numbers(@ForAll("cases") Case c) {
            Case x32 = new Case(c.policy, Arch.X86_64, c.nr | 0x40000000, c.args);
            assertThat(x32.run()).isEqualTo(RET_KILL_PROCESS);
            assertThat(x32.expected()).isEqualTo(RET_KILL_PROCESS);
        }
    }

    @Group
    @Label("lays the program out as the helper expects")
    class Layout {

        @Example
        @Label("arch check, nr load, x32 check on x86_64, rules, default")
        void header() {
            SeccompPolicy p = SeccompPolicy.builder().defaultAction(Action.errno(1)).allow("read").build();
            assertThat(instructions(p.program(Arch.X86_64))).containsExactly(
                    "20 00 00 00000004", // ld [4]          arch
                    "15 01 00 c000003e", // jeq AUDIT_ARCH_X86_64, +1
                    "06 00 00 80000000", // ret KILL_PROCESS
                    "20 00 00 00000000", // ld [0]          nr
                    "35 00 01 40000000", // jge 0x40000000
                    "06 00 00 80000000", // ret KILL_PROCESS
                    "15 00 01 00000000", // jeq read
                    "06 00 00 7fff0000", // ret ALLOW
                    "06 00 00 00050001"); // ret ERRNO(EPERM)
            assertThat(instructions(p.program(Arch.AARCH64))).containsExactly(
                    "20 00 00 00000004",
                    "15 01 00 c00000b7",
                    "06 00 00 80000000",
                    "20 00 00 00000000",
                    "15 00 01 0000003f", // jeq read (63)
                    "06 00 00 7fff0000",
                    "06 00 00 00050001");
        }

        @Example
        @Label("unconfined() has no program: install nothing")
        void unconfinedIsEmpty() {
            assertThat(SeccompPolicy.unconfined().program(Arch.X86_64)).isEmpty();
            assertThat(SeccompPolicy.unconfined().program(Arch.AARCH64)).isEmpty();
        }

        @Example
        @Label("compiled once: every call hands out an equal, fresh copy")
        void compiledOnce() {
            SeccompPolicy p = SeccompPolicy.defaultUntrusted();
            byte[] first = p.program(Arch.X86_64);
            first[0] ^= 1;
            assertThat(p.program(Arch.X86_64)).isEqualTo(SeccompPolicy.defaultUntrusted().program(Arch.X86_64))
                    .isNotEqualTo(first);
        }

        @Example
        @Label("a program over 4096 instructions (BPF_MAXINSNS) is refused at build(), naming its size")
        void tooLong() {
            // each rule: the high and the low half of arg 0 loaded and compared, and its own return (5);
            // then the prelude, the dispatch, a trampoline to the block and the default (9)
            SeccompPolicy.Builder b = SeccompPolicy.builder();
            for (int i = 0; i < 818; i++) {
                b.rule("read", SeccompPolicy.Action.errno(1 + i), SeccompPolicy.arg(0).eq(i));
            }
            assertThatThrownBy(b::build)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("policy: 818 rules compile to 4099 instructions for X86_64"
                            + "; allowed: at most 4096 instructions (BPF_MAXINSNS)");
        }

        @Example
        @Label("a program of nearly 4096 instructions is fine")
        void longestFits() {
            SeccompPolicy.Builder b = SeccompPolicy.builder();
            for (int i = 0; i < 817; i++) {
                b.rule("read", SeccompPolicy.Action.errno(1 + i), SeccompPolicy.arg(0).eq(i));
            }
            assertThat(b.build().program(Arch.X86_64)).hasSize(4094 * 8);
        }
    }

    @Group
    @Label("defaultUntrusted() on the kernel's own numbers")
    class DefaultUntrusted {

        @Example
        @Label("denies TIOCSTI whatever the high half of the request (ioctl(0, 0xFFFFFFFF00005412))")
        void deniesTiocstiWithHighBits() {
            for (Arch arch : Arch.values()) {
                for (long request : new long[] {0x5412, 0xFFFFFFFF_00005412L, 0x541C, 0x1_0000_541CL}) {
                    Case c = call(arch, "ioctl", 0, request);
                    assertThat(c.run()).as("%s ioctl 0x%x", arch, request).isEqualTo(0x00050001).isEqualTo(c.expected());
                }
                assertThat(call(arch, "ioctl", 0, 0x5401).run()).as("TCGETS").isEqualTo(0x7fff0000);
            }
        }

        @Example
        @Label("denies new user namespaces, answers clone3 with ENOSYS, allows plain threads")
        void namespaces() {
            for (Arch arch : Arch.values()) {
                assertThat(call(arch, "unshare", 0x10000000L).run()).isEqualTo(0x00050001);
                assertThat(call(arch, "unshare", 0x00020000L).run()).isEqualTo(0x7fff0000);
                assertThat(call(arch, "clone", 0x10000000L | 0x20000000L | 17).run()).isEqualTo(0x00050001);
                assertThat(call(arch, "clone", 0x003d0f00L).run()).as("pthread_create's flags").isEqualTo(0x7fff0000);
                assertThat(call(arch, "clone3", 0).run()).isEqualTo(0x00050000 | 38);
                assertThat(call(arch, "setns", 3, 0).run()).isEqualTo(0x00050001);
            }
        }

        @Example
        @Label("allows Docker's personalities only")
        void personality() {
            for (Arch arch : Arch.values()) {
                for (long allowed : new long[] {0, 8, 0x20000, 0x20008, 0xFFFFFFFFL}) {
                    assertThat(call(arch, "personality", allowed).run()).isEqualTo(0x7fff0000);
                }
                assertThat(call(arch, "personality", 0x0040000).run()).as("ADDR_NO_RANDOMIZE").isEqualTo(0x00050001);
            }
        }

        @Example
        @Label("leaves ordinary calls alone and denies the listed ones on the architecture that has them")
        void ordinaryCalls() {
            assertThat(call(Arch.X86_64, "open", 0, 0).run()).isEqualTo(0x7fff0000);
            assertThat(call(Arch.AARCH64, "openat", 0, 0).run()).isEqualTo(0x7fff0000);
            assertThat(call(Arch.X86_64, "iopl", 3).run()).isEqualTo(0x00050001);
            assertThat(call(Arch.AARCH64, "mount", 0).run()).isEqualTo(0x00050001);
            assertThat(call(Arch.AARCH64, "io_uring_setup", 0).run()).isEqualTo(0x00050001);
        }

        private Case call(Arch arch, String syscall, long... args) {
            int nr = SyscallTable.of(arch).number(syscall);
            assertThat(nr).as(syscall + " on " + arch).isNotNegative();
            return new Case(SeccompPolicy.defaultUntrusted(), arch, nr, args);
        }
    }

    /** A policy and one call to it. */
    static final class Case {
        final SeccompPolicy policy;
        final Arch arch;
        final int nr;
        final long[] args;

        Case(SeccompPolicy policy, Arch arch, int nr, long[] args) {
            this.policy = policy;
            this.arch = arch;
            this.nr = nr;
            this.args = Arrays.copyOf(args, 6);
        }

        /** The compiled program's return value. */
        int run() {
            byte[] data = SeccompInterpreter.seccompData(auditArch(arch), nr, 0x7f00_0000_1000L, args);
            return SeccompInterpreter.run(policy.program(arch), data);
        }

        /** What evaluate() says, as the kernel's SECCOMP_RET_* value. */
        int expected() {
            return seccompReturn(policy.evaluate(arch, nr, args));
        }

        @Override
        public String toString() {
            return arch + " nr " + nr + " (" + name(arch, nr) + ") args "
                    + Arrays.stream(args).mapToObj(a -> "0x" + Long.toHexString(a)).collect(Collectors.toList())
                    + "\n" + policy;
        }
    }

    // ---------------------------------------------------------------- generators
    //
    // The arbitraries draw plain numbers ("recipes") and turn them into policies and calls in
    // ordinary code, so that generating a case stays cheap and shrinking stays meaningful.

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<List<RuleRecipe>> rules = ruleRecipes(Arbitraries.integers().between(0, 3)).list().ofMaxSize(8);
        return Combinators.combine(pools(4), Arbitraries.of(Arch.class), witnesses(), rules, actions(), calls())
                .as((pool, arch, witness, r, defaultAction, call) -> {
                    List<Rule> built = new ArrayList<>();
                    for (RuleRecipe recipe : r) {
                        built.add(recipe.rule(pool, witness));
                    }
                    return call.on(policy(built, defaultAction), arch, pool, witness);
                });
    }

    @Provide
    Arbitrary<Case> longCases() {
        // A few rules whose conditions span more than 255 instructions, among a few hundred short ones.
        Arbitrary<List<RuleRecipe>> big = ruleRecipes(Arbitraries.integers().between(45, 60)).list().ofMinSize(1).ofMaxSize(5);
        Arbitrary<Filler> filler = Combinators.combine(Arbitraries.integers().between(150, 280), Arbitraries.longs(),
                Arbitraries.integers().between(0, 1000).list().ofSize(5)).as(Filler::new);
        return Combinators.combine(pools(6), Arbitraries.of(Arch.class), witnesses(), big, filler, actions(), calls())
                .as((pool, arch, witness, b, f, defaultAction, call) -> {
                    List<Rule> rules = f.rules();
                    for (int i = 0; i < b.size(); i++) {
                        rules.add(Math.min(f.positions().get(i), rules.size()), b.get(i).rule(pool, witness));
                    }
                    return call.on(policy(rules, defaultAction), arch, pool, witness);
                });
    }

    @Provide
    Arbitrary<Case> untrustedCases() {
        List<String> named = List.of("ioctl", "clone", "unshare", "clone3", "personality", "mount", "ptrace", "read",
                "openat", "open", "bpf", "setns", "iopl", "socket", "execve");
        return Combinators.combine(Arbitraries.of(Arch.class), witnesses(), calls())
                .as((arch, witness, call) -> call.on(SeccompPolicy.defaultUntrusted(), arch, named, witness));
    }

    private static Arbitrary<List<String>> pools(int size) {
        return Arbitraries.of(NAMES).list().ofMinSize(1).ofMaxSize(size);
    }

    private static Arbitrary<long[]> witnesses() {
        return Arbitraries.oneOf(Arbitraries.of(BOUNDARIES), Arbitraries.longs(), Arbitraries.longs().between(0L, 100L))
                .array(long[].class).ofSize(6);
    }

    private static Arbitrary<Action> actions() {
        return Arbitraries.oneOf(
                Arbitraries.of(Action.allow(), Action.killProcess(), Action.killThread(), Action.trap(), Action.log()),
                Arbitraries.integers().between(1, 4095).map(Action::errno));
    }

    private static Arbitrary<RuleRecipe> ruleRecipes(Arbitrary<Integer> conditionCount) {
        Arbitrary<ConditionRecipe> condition = Combinators.combine(
                Arbitraries.integers().between(0, 5),
                Arbitraries.frequency(Tuple.of(19, true), Tuple.of(1, false)),
                Arbitraries.integers().between(0, 6),
                Arbitraries.integers().between(0, NEAR_KINDS - 1),
                Arbitraries.integers().between(0, MASK_KINDS - 1),
                Arbitraries.longs()).as(ConditionRecipe::new);
        return Combinators.combine(Arbitraries.integers().between(0, 5), actions(),
                conditionCount.flatMap(n -> condition.list().ofSize(n))).as(RuleRecipe::new);
    }

    private static Arbitrary<CallRecipe> calls() {
        return Combinators.combine(
                Arbitraries.frequency(Tuple.of(8, 0), Tuple.of(1, 1), Tuple.of(1, 2)),
                Arbitraries.integers().between(0, 5),
                Arbitraries.integers(),
                Arbitraries.frequency(Tuple.of(3, true), Tuple.of(2, false)),
                Arbitraries.integers().between(0, NEAR_KINDS - 1).array(int[].class).ofSize(6),
                Arbitraries.longs().array(long[].class).ofSize(6)).as(CallRecipe::new);
    }

    /** A rule on {@code pool[name % size]} with conditions built around the witness. */
    record RuleRecipe(int name, Action action, List<ConditionRecipe> conditions) {
        Rule rule(List<String> pool, long[] witness) {
            List<ArgCondition> built = new ArrayList<>();
            for (ConditionRecipe c : conditions) {
                built.add(c.condition(witness));
            }
            return new Rule(pool.get(name % pool.size()), action, built);
        }
    }

    /**
     * A condition on argument {@code arg}: when {@code holds}, one that holds for the witness (so
     * that long chains sometimes all hold), else any; its value lies near the witness's.
     */
    record ConditionRecipe(int arg, boolean holds, int op, int nearKind, int maskKind, long random) {
        ArgCondition condition(long[] witness) {
            long w = witness[arg];
            long v = near(w, nearKind, random);
            long m = mask(maskKind, random);
            SeccompPolicy.Arg a = SeccompPolicy.arg(arg);
            if (holds) {
                switch (op) {
                    case 0: return a.eq(w);
                    case 1: return a.le(w);
                    case 2: return a.ge(w);
                    case 3: return a.maskedEq(m, w & m);
                    case 4: return a.ne(v != w ? v : w + 1);
                    case 5: return Long.compareUnsigned(v, w) > 0 ? a.lt(v) : w != -1 ? a.lt(w + 1) : a.le(w);
                    default: return Long.compareUnsigned(v, w) < 0 ? a.gt(v) : w != 0 ? a.gt(w - 1) : a.ge(w);
                }
            }
            switch (op) {
                case 0: return a.eq(v);
                case 1: return a.le(v);
                case 2: return a.ge(v);
                case 3: return a.maskedEq(m, v & m);
                case 4: return a.ne(v);
                case 5: return a.lt(v);
                default: return a.gt(v);
            }
        }
    }

    /**
     * A call: {@code nrKind} 0 takes a number of the pool's calls on the architecture, 1 a small
     * number, 2 any; the arguments are the witness or each near it.
     */
    record CallRecipe(int nrKind, int name, int anyNr, boolean witness, int[] nearKinds, long[] randoms) {
        Case on(SeccompPolicy policy, Arch arch, List<String> pool, long[] witnessArgs) {
            int nr = SyscallTable.of(arch).number(pool.get(name % pool.size()));
            if (nrKind == 1 || nr < 0) {
                nr = Math.floorMod(anyNr, 460);
            } else if (nrKind == 2) {
                nr = anyNr;
            }
            long[] args = witnessArgs.clone();
            if (!witness) {
                for (int i = 0; i < 6; i++) {
                    args[i] = near(witnessArgs[i], nearKinds[i], randoms[i]);
                }
            }
            return new Case(policy, arch, nr, args);
        }
    }

    /** About a thousand rules without conditions, from a seed; positions for the big rules among them. */
    record Filler(int count, long seed, List<Integer> positions) {
        List<Rule> rules() {
            java.util.Random random = new java.util.Random(seed);
            List<Rule> rules = new ArrayList<>(count + 5);
            for (int i = 0; i < count; i++) {
                Action action = random.nextBoolean() ? Action.allow() : Action.errno(1 + random.nextInt(4095));
                // conditional, so that no rule makes the later ones of its syscall dead code
                rules.add(new Rule(NAMES.get(random.nextInt(NAMES.size())), action,
                        List.of(SeccompPolicy.arg(random.nextInt(6)).eq(random.nextInt(8)))));
            }
            return rules;
        }
    }

    private static final int NEAR_KINDS = 13;
    private static final int MASK_KINDS = 9;

    /** {@code w} itself, its neighbours, values that share one of its halves, boundaries, or {@code random}. */
    static long near(long w, int kind, long random) {
        long hi = w & 0xFFFFFFFF_00000000L;
        long lo = w & 0xFFFFFFFFL;
        switch (kind) {
            case 0: return w;
            case 1: return w + 1;
            case 2: return w - 1;
            case 3: return hi | ((lo + 1) & 0xFFFFFFFFL);
            case 4: return hi | ((lo - 1) & 0xFFFFFFFFL);
            case 5: return hi;
            case 6: return hi | 0xFFFFFFFFL;
            case 7: return (hi + 0x1_0000_0000L) | lo;
            case 8: return (hi - 0x1_0000_0000L) | lo;
            case 9: return lo;
            case 10: return 0xFFFFFFFF_00000000L | lo;
            case 11: return BOUNDARIES.get(Math.floorMod(random, BOUNDARIES.size()));
            default: return random;
        }
    }

    static long mask(int kind, long random) {
        switch (kind) {
            case 0: return -1L;
            case 1: return 0xFFFFFFFFL;
            case 2: return 0xFFFFFFFF_00000000L;
            case 3: return 0L;
            case 4: return 0x10000000L;
            case 5: return 0xFFL;
            case 6: return 0x8000_0000_0000_0001L;
            case 7: return 1L << (random & 63);
            default: return random;
        }
    }

    // ---------------------------------------------------------------- helpers

    /** A rule as generated; the builder gets it as {@code rule(syscall, action, conditions...)}. */
    record Rule(String syscall, Action action, List<ArgCondition> conditions) {
    }

    private static SeccompPolicy policy(List<Rule> rules, Action defaultAction) {
        SeccompPolicy.Builder b = SeccompPolicy.builder().defaultAction(defaultAction);
        for (Rule r : rules) {
            b.rule(r.syscall(), r.action(), r.conditions().toArray(new ArgCondition[0]));
        }
        return b.build();
    }

    /** The kernel's SECCOMP_RET_* value for an action, written out here rather than taken from the code under test. */
    static int seccompReturn(Action action) {
        if (action.equals(Action.allow())) {
            return 0x7fff0000;
        } else if (action.equals(Action.killProcess())) {
            return 0x80000000;
        } else if (action.equals(Action.killThread())) {
            return 0x00000000;
        } else if (action.equals(Action.trap())) {
            return 0x00030000;
        } else if (action.equals(Action.log())) {
            return 0x7ffc0000;
        }
        for (int errno = 1; errno <= 4095; errno++) {
            if (action.equals(Action.errno(errno))) {
                return 0x00050000 | errno;
            }
        }
        throw new AssertionError("no SECCOMP_RET_* value for " + action);
    }

    static int auditArch(Arch arch) {
        return arch == Arch.X86_64 ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_AARCH64;
    }

    private static String name(Arch arch, int nr) {
        return SyscallTable.of(arch).numbers().entrySet().stream().filter(e -> e.getValue() == nr)
                .map(java.util.Map.Entry::getKey).findFirst().orElse("no such call");
    }

    /** "cc jt jf kkkkkkkk" for each instruction (code's low byte suffices here). */
    private static List<String> instructions(byte[] program) {
        ByteBuffer b = ByteBuffer.wrap(program).order(ByteOrder.LITTLE_ENDIAN);
        List<String> out = new ArrayList<>();
        while (b.hasRemaining()) {
            int code = b.getShort() & 0xffff;
            int jt = b.get() & 0xff;
            int jf = b.get() & 0xff;
            int k = b.getInt();
            out.add(String.format("%02x %02x %02x %08x", code, jt, jf, k));
        }
        return out;
    }

    private static List<String> union() {
        List<String> all = new ArrayList<>(SyscallTable.of(Arch.X86_64).numbers().keySet());
        all.addAll(SyscallTable.of(Arch.AARCH64).numbers().keySet());
        return all;
    }
}
