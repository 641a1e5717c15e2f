package dev.sandbox;

import dev.sandbox.base.Checks;
import dev.sandbox.base.Errno;
import dev.sandbox.internal.seccomp.SeccompFilter.Comparison;
import dev.sandbox.internal.seccomp.SeccompFilter.Op;
import dev.sandbox.internal.seccomp.SeccompFilter.Rule;
import dev.sandbox.internal.seccomp.SeccompFilter;
import dev.sandbox.internal.seccomp.SeccompProgram;
import dev.sandbox.internal.seccomp.SeccompReturn;
import dev.sandbox.internal.seccomp.SyscallTable;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Which system calls a sandboxed command may make: a seccomp filter installed right before
 * {@code execve}, inherited by everything the command starts, and impossible to remove.
 * Immutable and thread-safe.
 *
 * <pre>{@code
 * // an allow-list: everything else fails with EPERM
 * SeccompPolicy tight = SeccompPolicy.builder()
 *     .defaultAction(Action.errno(1))
 *     .allow("read", "write", "exit_group", "brk", "mmap", "munmap")
 *     .build();
 * // a deny-list on top of the default
 * SeccompPolicy noSockets = SeccompPolicy.defaultUntrusted().newBuilder()
 *     .deny("socket")
 *     .rule("ioctl", Action.errno(25), SeccompPolicy.arg(1).maskedEq(0xFFFFFFFFL, 0x5401))
 *     .build();
 * }</pre>
 *
 * <p>Rules are tried in declaration order: the first whose system call matches and whose
 * {@link ArgCondition conditions} all hold decides the {@link Action}; when none does, the
 * default action decides. System calls are named as the kernel names them ({@code openat},
 * {@code clone3}); a name that exists on only one of x86_64 and aarch64 (such as {@code open},
 * which aarch64 lacks) is simply absent from the other architecture's filter.
 *
 * <p>Whatever the rules say, the filter kills the process when {@code seccomp_data.arch} is not
 * the architecture it was compiled for (a 32-bit or foreign ABI entered through another door),
 * and on x86_64 when the system call number is {@code 0x40000000} or more (the x32 ABI, whose
 * numbers would otherwise dodge every rule). {@link #evaluate} tells what a policy decides.
 *
 * <h2>The default: {@link #defaultUntrusted()}</h2>
 *
 * Modelled on Docker's default profile but written as a deny-list (default {@link Action#allow()}),
 * so that shells, compilers, JVMs and interpreters run unchanged. Denied calls fail with
 * {@code EPERM} unless noted:
 * <ul>
 *   <li><b>kernel code and reboot</b>: {@code init_module finit_module delete_module create_module
 *       get_kernel_syms query_module kexec_load kexec_file_load reboot};</li>
 *   <li><b>the clock</b>, which no namespace scopes: {@code settimeofday clock_settime
 *       clock_adjtime adjtimex} (breaks {@code adjtimex -p}-style status readers too);</li>
 *   <li><b>kernel keyrings</b>, not namespaced: {@code add_key keyctl request_key} (breaks
 *       {@code keyctl}, kerberos' KEYRING: caches);</li>
 *   <li><b>the mount tree</b>, final once the sandbox is built: {@code mount umount2 pivot_root
 *       chroot move_mount open_tree fsopen fsconfig fsmount fspick mount_setattr}
 *       (breaks tools that chroot, such as {@code debootstrap});</li>
 *   <li><b>namespaces</b>: {@code setns}; {@code unshare} and {@code clone} with
 *       {@code CLONE_NEWUSER} (0x10000000) in the flags (argument 0 on both architectures): a
 *       new user namespace brings a full set of capabilities over a large kernel surface;
 *       {@code clone3} fails with {@code ENOSYS} (38), since its flags sit in memory a filter
 *       cannot read, so that the C library falls back to {@code clone}. Breaks nested
 *       sandboxes (bubblewrap, rootless podman, Chrome's own sandbox: run it with
 *       {@code --no-sandbox});</li>
 *   <li><b>other processes</b>: {@code ptrace process_vm_readv process_vm_writev kcmp pidfd_getfd}
 *       (breaks gdb, strace, {@code jhsdb}; {@code jcmd} and {@code jstack} still work);</li>
 *   <li><b>kernel attack surface and host-wide observation</b>: {@code bpf perf_event_open
 *       userfaultfd io_uring_setup io_uring_enter io_uring_register fanotify_init
 *       lookup_dcookie syslog} (io_uring runs its operations past seccomp; programs that use it
 *       fall back to ordinary calls on EPERM; breaks {@code perf} and {@code dmesg});</li>
 *   <li><b>escaping the mount namespace by file handle</b>: {@code open_by_handle_at
 *       name_to_handle_at};</li>
 *   <li><b>devices and host administration</b>: {@code quotactl quotactl_fd swapon swapoff acct
 *       nfsservctl vhangup iopl ioperm} and the obsolete {@code sysfs _sysctl uselib ustat};</li>
 *   <li><b>the terminal</b>: {@code ioctl} with request {@code TIOCSTI} (0x5412, push input into
 *       the terminal of whoever reads it) or {@code TIOCLINUX} (0x541C); the kernel reads the
 *       request as a 32-bit {@code unsigned int}, so only its low 32 bits are compared;</li>
 *   <li><b>personality</b>: allowed only for 0x0 (PER_LINUX), 0x8 (PER_LINUX32), 0x20000
 *       (UNAME26), 0x20008 and 0xffffffff (query), as Docker; other personalities (such as
 *       READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE, which {@code setarch -R} uses) fail. The
 *       kernel reads a 32-bit {@code unsigned int} here too, so the low 32 bits are compared.</li>
 * </ul>
 * Names of other architectures in Docker's list ({@code vm86 vm86old umount stime}) exist on
 * neither x86_64 nor aarch64. Unlike Docker, the NUMA calls ({@code mbind set_mempolicy
 * get_mempolicy move_pages}) stay allowed, for {@code -XX:+UseNUMA} and libnuma.
 */
public final class SeccompPolicy {

    /** The architectures a filter is compiled for; each has its own system call numbers. */
    public enum Arch {
        /** x86_64 (AUDIT_ARCH_X86_64); the x32 ABI is refused. */
        X86_64,
        /** aarch64 (AUDIT_ARCH_AARCH64), with the kernel's generic system call table. */
        AARCH64;

        /**
         * The architecture this JVM runs on, from {@code os.arch}.
         *
         * @throws UnsupportedOperationException on any other architecture
         */
        public static Arch host() {
            return ofOsArch(System.getProperty("os.arch"));
        }

        static Arch ofOsArch(String osArch) {
            switch (String.valueOf(osArch).toLowerCase(Locale.ROOT)) {
                case "amd64":
                case "x86_64":
                    return X86_64;
                case "aarch64":
                case "arm64":
                    return AARCH64;
                default:
                    throw new UnsupportedOperationException("os.arch: got " + Checks.quote(osArch)
                            + "; allowed: amd64, x86_64, aarch64 or arm64 (seccomp filters are built for those only)");
            }
        }
    }

    /**
     * What the kernel does with a system call a rule (or the default) picks: a value, compared
     * with {@code equals}.
     */
    public static final class Action {

        private static final Action ALLOW = new Action(SeccompReturn.ALLOW);
        private static final Action KILL_PROCESS = new Action(SeccompReturn.KILL_PROCESS);
        private static final Action KILL_THREAD = new Action(SeccompReturn.KILL_THREAD);
        private static final Action TRAP = new Action(SeccompReturn.TRAP);
        private static final Action LOG = new Action(SeccompReturn.LOG);
        private static final Action EPERM = new Action(SeccompReturn.errno(Errno.EPERM));

        private final int seccompReturn;

        private Action(int seccompReturn) {
            this.seccompReturn = seccompReturn;
        }

        /** The call runs. */
        public static Action allow() {
            return ALLOW;
        }

        /**
         * The call does not run and returns {@code -errno}; {@code errno} is 1 to 4095
         * ({@code 1} is EPERM, {@code 38} ENOSYS).
         */
        public static Action errno(int errno) {
            return errno == Errno.EPERM ? EPERM : new Action(SeccompReturn.errno(errno));
        }

        /** The whole process dies as by an uncatchable SIGSYS (core dump; wait status says SIGSYS). */
        public static Action killProcess() {
            return KILL_PROCESS;
        }

        /** Only the calling thread dies (rarely what you want: the rest of the process goes on). */
        public static Action killThread() {
            return KILL_THREAD;
        }

        /** The call does not run and the thread gets a catchable SIGSYS. */
        public static Action trap() {
            return TRAP;
        }

        /** The call runs and the kernel logs it (audit log or {@code dmesg}). */
        public static Action log() {
            return LOG;
        }

        int seccompReturn() {
            return seccompReturn;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Action && ((Action) o).seccompReturn == seccompReturn;
        }

        @Override
        public int hashCode() {
            return seccompReturn;
        }

        /** The factory that makes this action: {@code allow}, {@code errno(EPERM)}, {@code killProcess}, ... */
        @Override
        public String toString() {
            return SeccompReturn.describe(seccompReturn);
        }
    }

    /**
     * Argument {@code index} of a system call, to compare with {@link #eq}, {@link #maskedEq}
     * and the rest. Arguments are unsigned 64-bit numbers, as the kernel hands them to the
     * filter: a negative {@code long} is a large number ({@code -1} is the largest), and a
     * 32-bit {@code int} argument may carry anything in its high half, so compare those with
     * {@code maskedEq(0xFFFFFFFFL, value)}.
     */
    public static final class Arg {
        private final int index;

        private Arg(int index) {
            this.index = index;
        }

        /** Holds when the argument equals {@code value}. */
        public ArgCondition eq(long value) {
            return condition(Op.EQ, value, -1L);
        }

        /** Holds when the argument differs from {@code value}. */
        public ArgCondition ne(long value) {
            return condition(Op.NE, value, -1L);
        }

        /**
         * Holds when {@code (argument & mask) == value}: {@code maskedEq(flag, flag)} tests that a
         * flag is set, {@code maskedEq(flag, 0)} that it is clear. {@code value} may have no bit
         * outside {@code mask} (it could never hold).
         */
        public ArgCondition maskedEq(long mask, long value) {
            return condition(Op.MASKED_EQ, value, mask);
        }

        /** Holds when the argument is below {@code value}, unsigned. */
        public ArgCondition lt(long value) {
            return condition(Op.LT, value, -1L);
        }

        /** Holds when the argument is at most {@code value}, unsigned. */
        public ArgCondition le(long value) {
            return condition(Op.LE, value, -1L);
        }

        /** Holds when the argument is above {@code value}, unsigned. */
        public ArgCondition gt(long value) {
            return condition(Op.GT, value, -1L);
        }

        /** Holds when the argument is at least {@code value}, unsigned. */
        public ArgCondition ge(long value) {
            return condition(Op.GE, value, -1L);
        }

        private ArgCondition condition(Op op, long value, long mask) {
            return new ArgCondition(new Comparison(index, op, value, mask));
        }
    }

    /** A test of one system call argument, made by {@link #arg(int)}; a value. */
    public static final class ArgCondition {
        private final Comparison comparison;

        private ArgCondition(Comparison comparison) {
            this.comparison = comparison;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ArgCondition && ((ArgCondition) o).comparison.equals(comparison);
        }

        @Override
        public int hashCode() {
            return comparison.hashCode();
        }

        /** For example {@code arg1 & 0xffffffff == 0x5412}. */
        @Override
        public String toString() {
            return comparison.toString();
        }
    }

    private static final SeccompPolicy UNCONFINED = new SeccompPolicy(null);

    /** Null for {@link #unconfined()}. */
    private final SeccompFilter filter;
    private final byte[] x86Program;
    private final byte[] aarch64Program;

    private SeccompPolicy(SeccompFilter filter) {
        this.filter = filter;
        this.x86Program = filter == null ? new byte[0] : SeccompProgram.compile(filter, Arch.X86_64);
        this.aarch64Program = filter == null ? new byte[0] : SeccompProgram.compile(filter, Arch.AARCH64);
    }

    /**
     * The default of every sandbox: a deny-list of the calls that reach beyond the sandbox or
     * into rarely needed kernel code, everything else allowed. The class documentation lists
     * every rule, why it is there and what it breaks.
     */
    public static SeccompPolicy defaultUntrusted() {
        return DefaultUntrusted.POLICY;
    }

    /** No filter at all: every system call of every ABI is allowed. */
    public static SeccompPolicy unconfined() {
        return UNCONFINED;
    }

    /** An empty builder: no rules, default action {@link Action#allow()}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding this policy's default action and rules, to append rules to (they come
     * after the existing ones, so they decide only calls no existing rule decides). For
     * {@link #unconfined()}, an empty builder.
     */
    public Builder newBuilder() {
        Builder b = new Builder();
        if (filter != null) {
            b.defaultReturn = filter.defaultReturn();
            b.rules.addAll(filter.rules());
        }
        return b;
    }

    /**
     * Argument {@code index} (0 to 5) of the system call, to build an {@link ArgCondition}:
     * {@code arg(1).maskedEq(0xFFFFFFFFL, 0x5412)}.
     */
    public static Arg arg(int index) {
        Checks.inRange("arg index", index, 0, 5, "");
        return new Arg(index);
    }

    /** Whether this is {@link #unconfined()}: no filter is installed. */
    public boolean isUnconfined() {
        return filter == null;
    }

    /**
     * What this policy's filter for {@code arch} decides for system call number {@code nr} with
     * arguments {@code args} (at most 6; missing ones are 0), made through {@code arch}'s own
     * ABI. On x86_64 a number of {@code 0x40000000} or more, compared unsigned (the x32 ABI,
     * and every negative number), is {@link Action#killProcess()}. {@link #unconfined()}
     * allows everything.
     */
    public Action evaluate(Arch arch, int nr, long[] args) {
        Objects.requireNonNull(arch, "arch");
        if (filter == null) {
            SeccompFilter.checkArgs(args);
            return Action.allow();
        }
        return action(filter.evaluate(arch, nr, args));
    }

    /**
     * The classic BPF program for {@code arch}: {@code struct sock_filter[]}, 8 bytes an
     * instruction ({@code u16 code, u8 jt, u8 jf, u32 k}, little-endian), for
     * {@code seccomp(SECCOMP_SET_MODE_FILTER)}. Empty for {@link #unconfined()}: install
     * nothing. Compiled once, at {@link Builder#build()}; each call returns a fresh copy.
     */
    byte[] program(Arch arch) {
        Objects.requireNonNull(arch, "arch");
        return (arch == Arch.X86_64 ? x86Program : aarch64Program).clone();
    }

    private static Action action(int seccompReturn) {
        switch (seccompReturn) {
            case SeccompReturn.ALLOW:
                return Action.allow();
            case SeccompReturn.KILL_PROCESS:
                return Action.killProcess();
            case SeccompReturn.KILL_THREAD:
                return Action.killThread();
            case SeccompReturn.TRAP:
                return Action.trap();
            case SeccompReturn.LOG:
                return Action.log();
            default:
                return Action.errno(seccompReturn & 0xffff);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SeccompPolicy && Objects.equals(((SeccompPolicy) o).filter, filter);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(filter);
    }

    /** The default action and the rules, one a line, in order. */
    @Override
    public String toString() {
        if (filter == null) {
            return "SeccompPolicy.unconfined()";
        }
        StringBuilder sb = new StringBuilder("SeccompPolicy{default ")
                .append(SeccompReturn.describe(filter.defaultReturn()))
                .append(", ").append(filter.rules().size()).append(filter.rules().size() == 1 ? " rule" : " rules");
        for (Rule rule : filter.rules()) {
            sb.append("\n  ").append(rule);
        }
        return sb.append(filter.rules().isEmpty() ? "}" : "\n}").toString();
    }

    /**
     * Collects the default action and the rules of a {@link SeccompPolicy}. Each method checks
     * its arguments at once and names the bad one; {@link #build()} compiles the filter.
     */
    public static final class Builder {
        private int defaultReturn = SeccompReturn.ALLOW;
        private final List<Rule> rules = new ArrayList<>();

        private Builder() {
        }

        /** What a system call that no rule decides gets. Default: {@link Action#allow()}. */
        public Builder defaultAction(Action action) {
            Objects.requireNonNull(action, "action");
            defaultReturn = action.seccompReturn();
            return this;
        }

        /** Rules that allow each of {@code syscalls}, whatever the arguments; at least one name. */
        public Builder allow(String... syscalls) {
            return each("allow", syscalls, Action.allow());
        }

        /** Rules that make each of {@code syscalls} fail with EPERM, whatever the arguments; at least one name. */
        public Builder deny(String... syscalls) {
            return each("deny", syscalls, Action.errno(1));
        }

        /**
         * A rule: system call {@code syscall}, when all {@code conditions} hold (none: always),
         * gets {@code action}. {@code syscall} is a name from the x86_64 or the aarch64 table.
         */
        public Builder rule(String syscall, Action action, ArgCondition... conditions) {
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(conditions, "conditions");
            List<Comparison> comparisons = new ArrayList<>(conditions.length);
            for (int i = 0; i < conditions.length; i++) {
                comparisons.add(Objects.requireNonNull(conditions[i], "conditions[" + i + "]").comparison);
            }
            rules.add(new Rule(checkSyscall(syscall), comparisons, action.seccompReturn()));
            return this;
        }

        /**
         * The policy, its filters compiled for both architectures.
         *
         * @throws IllegalArgumentException when a filter would exceed 4096 instructions (BPF_MAXINSNS)
         */
        public SeccompPolicy build() {
            return new SeccompPolicy(new SeccompFilter(rules, defaultReturn));
        }

        private Builder each(String method, String[] syscalls, Action action) {
            Objects.requireNonNull(syscalls, "syscalls");
            if (syscalls.length == 0) {
                throw Checks.invalid(method + " syscalls", "got none", "at least one name");
            }
            for (int i = 0; i < syscalls.length; i++) {
                Objects.requireNonNull(syscalls[i], "syscalls[" + i + "]");
                checkSyscall(syscalls[i]);
            }
            for (String syscall : syscalls) {
                rules.add(new Rule(syscall, List.of(), action.seccompReturn()));
            }
            return this;
        }

        private static String checkSyscall(String syscall) {
            Objects.requireNonNull(syscall, "syscall");
            Checks.check(SyscallTable.exists(syscall), "syscall", syscall, "a syscall name of x86_64 or aarch64");
            return syscall;
        }
    }

    /** Built on first use, once per JVM. */
    private static final class DefaultUntrusted {
        static final SeccompPolicy POLICY = build();

        private static final long CLONE_NEWUSER = 0x10000000L;
        private static final long LOW_32_BITS = 0xFFFFFFFFL;
        private static final long TIOCSTI = 0x5412;
        private static final long TIOCLINUX = 0x541C;

        private static SeccompPolicy build() {
            Builder b = builder();
            String[] denied = {
                // kernel code and reboot
                "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms", "query_module",
                "kexec_load", "kexec_file_load", "reboot",
                // the clock
                "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime",
                // kernel keyrings
                "add_key", "keyctl", "request_key",
                // the mount tree
                "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
                "fsmount", "fspick", "mount_setattr",
                // namespaces
                "setns",
                // other processes
                "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
                // kernel attack surface, host-wide observation
                "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
                "fanotify_init", "lookup_dcookie", "syslog",
                // file handles
                "open_by_handle_at", "name_to_handle_at",
                // devices, host administration, obsolete calls
                "quotactl", "quotactl_fd", "swapon", "swapoff", "acct", "nfsservctl", "vhangup", "iopl", "ioperm",
                "vm86", "vm86old", "sysfs", "_sysctl", "uselib", "ustat",
            };
            for (String syscall : denied) {
                // Docker's list names i386-only calls too; those exist on neither architecture here.
                if (SyscallTable.exists(syscall)) {
                    b.deny(syscall);
                }
            }
            b.rule("unshare", Action.errno(1), arg(0).maskedEq(CLONE_NEWUSER, CLONE_NEWUSER));
            b.rule("clone", Action.errno(1), arg(0).maskedEq(CLONE_NEWUSER, CLONE_NEWUSER));
            b.rule("clone3", Action.errno(Errno.ENOSYS));
            b.rule("ioctl", Action.errno(1), arg(1).maskedEq(LOW_32_BITS, TIOCSTI));
            b.rule("ioctl", Action.errno(1), arg(1).maskedEq(LOW_32_BITS, TIOCLINUX));
            for (long persona : new long[] {0x0, 0x8, 0x20000, 0x20008, 0xffffffffL}) {
                b.rule("personality", Action.allow(), arg(0).maskedEq(LOW_32_BITS, persona));
            }
            b.deny("personality");
            return b.build();
        }
    }
}
