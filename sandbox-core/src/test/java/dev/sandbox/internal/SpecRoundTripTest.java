package dev.sandbox.internal;

import dev.sandbox.Rlimit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Example;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Java encoder and the helper's C decoder agree on every spec: the helper's readable form
 * of the bytes Java sent equals Java's readable form of what it meant to send.
 */
@Label("Spec encoder and sandbox-helper decoder")
class SpecRoundTripTest {

    @Property(tries = 300)
    @Label("round-trip arbitrary args, env and paths (any bytes but NUL)")
    void roundTrips(@ForAll("specs") Spec spec) throws Exception {
        assertThat(helperDescribes(spec.encode())).isEqualTo(new Result(0, spec.describe()));
    }

    @Property(tries = 300)
    @Label("a sandbox's template encodes each start's spec to the same bytes as the spec itself")
    void templateEncodesTheSameBytes(@ForAll("specs") Spec spec) {
        Spec.Template template = new Spec.Template(spec);
        Spec start = spec.withArgs(List.of(b("/bin/true"), b("x y"))).withHostIds(100_000, 100_001, false);
        assertThat(template.encode(start)).isEqualTo(start.encode());
        assertThat(template.encode(spec)).isEqualTo(spec.encode());
        Spec other = withOps(spec.namespaces(), List.of());
        assertThat(template.encode(other)).isEqualTo(other.encode());
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A spec holding {@code ops} and just enough else to be valid. */
    private static Spec withOps(int namespaces, List<Spec.Op> ops) {
        return new Spec(namespaces, List.of(), List.of(), false, null, ops, false, b("/bin"), 0, 0, List.of(b("true")),
                List.of(), 0, 0, null, null);
    }

    @Example
    @Label("the readable form quotes and escapes")
    void readableForm() {
        Spec spec = new Spec(0x10000000 | 0x20000000 | 0x00020000 | 0x40000000,
                List.of(new Spec.IdMap(0, 1000, 1)), List.of(new Spec.IdMap(0, 1000, 1)), true,
                b("box"),
                List.of(Spec.Op.of(Protocol.OP_NEW_ROOT, 0, "/"),
                        new Spec.Op(Protocol.OP_MIRROR_HOST, Protocol.OP_F_RO, 0, 0, b("proc/dev"), b("/")),
                        new Spec.Op(Protocol.OP_BIND, Protocol.OP_F_RO, 0, 0, b("/a b"), b("/x\"y")),
                        new Spec.Op(Protocol.OP_BIND, Protocol.OP_F_IDMAP, 0, 0, b("/o"), b("/out")),
                        new Spec.Op(Protocol.OP_TMPFS, 0, 1 << 20, 01777, new byte[0], b("/tmp")),
                        new Spec.Op(Protocol.OP_SYMLINK, 0, 0, 0, b("../x"), b("/tmp/l")),
                        new Spec.Op(Protocol.OP_MKDIR, 0, 0, 0700, new byte[0], b("/tmp/d")),
                        Spec.Op.of(Protocol.OP_MASK, Protocol.OP_F_OPTIONAL, "/proc/kcore"),
                        Spec.Op.of(Protocol.OP_REMOUNT_RO, Protocol.OP_F_RECURSIVE | Protocol.OP_F_OPTIONAL, "/proc/sys"),
                        Spec.Op.of(Protocol.OP_REMOUNT_RO, 0, "/"),
                        Spec.Op.of(Protocol.OP_SWITCH_ROOT, 0, "/"),
                        Spec.Op.of(Protocol.OP_CHDIR, 0, "/tmp")),
                true, b("/bin"), 1500, 2000,
                List.of(b("echo"), new byte[] {'a', '\\', (byte) 0xff, '\n'}),
                List.of(b("K=v")), 1L << 21,
                Protocol.SEC_NO_NEW_PRIVS | Protocol.SEC_LOCK_MOUNTS, new Spec.Ids(0, 0), new byte[16], null,
                new Spec.CpuLimit(1_500_000_000L),
                List.of(new Spec.Limit(Rlimit.NOFILE.number(), 64, 1024), new Spec.Limit(Rlimit.FSIZE.number(), 1 << 20, -1)), null);
        String expected = """
                sandbox-spec v5
                namespaces user,mount,pid,net
                uid_map 0 1000 1
                gid_map 0 1000 1
                setgroups deny
                hostname "box"
                op new-root "/"
                op mirror-host "/" skip "proc/dev" ro
                op bind "/x\\"y" from "/a b" ro
                op bind "/out" from "/o" idmap
                op tmpfs "/tmp" size=1048576 mode=01777
                op symlink "/tmp/l" to "../x"
                op mkdir "/tmp/d" mode=0700
                op mask "/proc/kcore" optional
                op remount-ro "/proc/sys" recursive optional
                op remount-ro "/"
                op switch-root "/"
                op chdir "/tmp"
                loopback
                path "/bin"
                security no-new-privs,lock-mounts
                caps 0x200000
                ids 0 0
                seccomp 2
                rlimit NOFILE soft=64 hard=1024
                rlimit FSIZE soft=1048576 hard=unlimited
                timeout_ms 1500
                grace_ms 2000
                cpu_limit_ns 1500000000
                arg "echo"
                arg "a\\\\\\xff\\x0a"
                env "K=v"
                """;
        assertThat(spec.describe()).isEqualTo(expected);
    }

    @Example
    @Label("the helper prints a Sandbox's operation list as Sandbox.describe() does")
    void sandboxDescribeMatchesTheHelper() throws Exception {
        SetupPlan plan = SetupPlan.of(new SetupPlan.Settings(0x00020000 | 0x20000000 | 0x40000000,
                SetupPlan.Root.READ_ONLY,
                List.of(new SetupPlan.Mount(SetupPlan.MountKind.BIND, "/src", "/work", 0),
                        new SetupPlan.Mount(SetupPlan.MountKind.TMPFS, null, "/tmp", 1 << 20)),
                false, true, "/work"));
        Spec spec = new Spec(0x00020000 | 0x20000000 | 0x40000000, List.of(), List.of(), false, null, plan.ops(),
                plan.loopback(), b("/bin"), 0, 0, List.of(b("true")), List.of(), 0, 0, null, null);
        assertThat(helperDescribes(spec.encode())).isEqualTo(new Result(0, spec.describe()));
        assertThat(spec.describe()).contains("""
                op new-root "/"
                op mirror-host "/" skip "proc/dev/sys" ro
                op sysfs "/sys"
                op dev "/dev"
                op proc "/proc"
                op tmpfs "/run" size=268435456 mode=0755
                """).contains("""
                op bind "/work" from "/src"
                op tmpfs "/tmp" size=1048576 mode=0755
                op mask "/proc/acpi" optional
                """).contains("""
                op mask "/sys/devices/virtual/powercap" optional
                op remount-ro "/sys/fs/cgroup" recursive optional
                op remount-ro "/"
                op switch-root "/"
                op chdir "/work"
                loopback
                """);
    }

    @Example
    @Label("the helper refuses structurally invalid operations, naming why")
    void refusesBadOperations() throws Exception {
        int ns = 0x00020000 | 0x10000000;
        Spec.Op ok = Spec.Op.of(Protocol.OP_TMPFS, 0, "/t");
        assertThat(helperDescribes(withOps(ns, List.of(ok))).status()).isZero();
        assertThat(refusal(ns, Spec.Op.of(Protocol.OP_TMPFS, 0, "/a/../etc")))
                .isEqualTo("tmpfs operation: target not absolute or with a . or .. component");
        assertThat(refusal(ns, Spec.Op.of(Protocol.OP_TMPFS, 0, "/a/./b")))
                .isEqualTo("tmpfs operation: target not absolute or with a . or .. component");
        assertThat(refusal(ns, Spec.Op.of(Protocol.OP_TMPFS, 0, "relative")))
                .isEqualTo("tmpfs operation: target not absolute or with a . or .. component");
        assertThat(refusal(ns, new Spec.Op(Protocol.OP_BIND, 0, 0, 0, b("src"), b("/t"))))
                .isEqualTo("bind operation: source not absolute or with a . or .. component");
        assertThat(refusal(ns, new Spec.Op(Protocol.OP_BIND, 0, 0, 0, b("/x/.."), b("/t"))))
                .isEqualTo("bind operation: source not absolute or with a . or .. component");
        assertThat(refusal(ns, Spec.Op.of(99, 0, "/t"))).isEqualTo("unknown operation kind 99");
        assertThat(refusal(ns, Spec.Op.of(0, 0, "/t"))).isEqualTo("unknown operation kind 0");
        assertThat(refusal(ns, Spec.Op.of(Protocol.OP_TMPFS, Protocol.OP_F_RO, "/t")))
                .isEqualTo("tmpfs operation: flags 0x1 not allowed");
        assertThat(refusal(ns, Spec.Op.of(Protocol.OP_MASK, 1 << 7, "/t")))
                .isEqualTo("mask operation: flags 0x80 not allowed");
        assertThat(refusal(ns, new Spec.Op(Protocol.OP_PROC, 0, 4096, 0, new byte[0], b("/proc"))))
                .isEqualTo("proc operation with a size");
        assertThat(refusal(ns, new Spec.Op(Protocol.OP_TMPFS, 0, 0, 010000, new byte[0], b("/t"))))
                .isEqualTo("tmpfs operation: mode 010000");
        assertThat(refusal(ns, new Spec.Op(Protocol.OP_MIRROR_HOST, 0, 0, 0, b("proc/../x"), b("/"))))
                .isEqualTo("mirror-host operation: an empty, . or .. name");
        assertThat(refusal(ns, Spec.Op.of(Protocol.OP_TMPFS, 0, "/"))).isEqualTo("tmpfs operation: target /");
        assertThat(refusal(ns, Spec.Op.of(Protocol.OP_NEW_ROOT, 0, "/x"))).isEqualTo("new-root operation: target other than /");
        assertThat(refusal(ns, new Spec.Op(Protocol.OP_TMPFS, 0, 0, 0, new byte[0], new byte[] {'/', 'a', 0})))
                .isEqualTo("NUL byte in tmpfs operation");
        assertThat(refusal(ns, Spec.Op.of(Protocol.OP_TMPFS, 0, "/" + "a/".repeat(2048))))
                .isEqualTo("tmpfs operation: a path of 4096 bytes or more");
        // order and namespaces: what keeps the host out of reach
        assertThat(refusal(0x10000000, ok)).isEqualTo("tmpfs operation without CLONE_NEWNS");
        assertThat(refusal(0x00020000, new Spec.Op(Protocol.OP_BIND, Protocol.OP_F_IDMAP, 0, 0, b("/s"), b("/t"))))
                .isEqualTo("idmapped bind without CLONE_NEWUSER");
        assertThat(refusal(ns, ok, Spec.Op.of(Protocol.OP_NEW_ROOT, 0, "/"), Spec.Op.of(Protocol.OP_SWITCH_ROOT, 0, "/")))
                .isEqualTo("new-root operation not first");
        assertThat(refusal(ns, Spec.Op.of(Protocol.OP_NEW_ROOT, 0, "/"), ok))
                .isEqualTo("new-root operation without switch-root");
        assertThat(refusal(ns, Spec.Op.of(Protocol.OP_SWITCH_ROOT, 0, "/")))
                .isEqualTo("switch-root operation without new-root");
        assertThat(refusal(ns, new Spec.Op(Protocol.OP_MIRROR_HOST, 0, 0, 0, new byte[0], b("/"))))
                .isEqualTo("mirror-host operation without new-root");
        assertThat(refusal(ns, Spec.Op.of(Protocol.OP_CHDIR, 0, "/"), ok)).isEqualTo("tmpfs operation after chdir");
        assertThat(refusal(ns, Spec.Op.of(Protocol.OP_NEW_ROOT, 0, "/"), Spec.Op.of(Protocol.OP_SWITCH_ROOT, 0, "/"), ok))
                .isEqualTo("tmpfs operation after switch-root");
        // a chdir alone needs no mount namespace; too many operations
        assertThat(helperDescribes(withOps(0, List.of(Spec.Op.of(Protocol.OP_CHDIR, 0, "/tmp")))).status()).isZero();
        List<Spec.Op> many = java.util.Collections.nCopies(Protocol.OP_MAX, Spec.Op.of(Protocol.OP_CHDIR, 0, "/"));
        assertThat(helperDescribes(withOps(0, many).encode()).status()).isZero();
        List<Spec.Op> tooMany = java.util.Collections.nCopies(Protocol.OP_MAX + 1, Spec.Op.of(Protocol.OP_CHDIR, 0, "/"));
        assertThat(helperDescribes(withOps(0, tooMany).encode()))
                .isEqualTo(new Result(2, "sandbox-helper: invalid spec: more than 4096 operations\n"));
    }

    @Example
    @Label("the helper refuses malformed Landlock rules")
    void refusesBadLandlockRules() throws Exception {
        assertThat(landlockRefusal(new Spec.Landlock.Rule(4, 0, b("/usr")))).isEqualTo("LANDLOCK_RULE with unknown access 4");
        assertThat(landlockRefusal(new Spec.Landlock.Rule(0, 0, b("/usr")))).isEqualTo("LANDLOCK_RULE with unknown access 0");
        assertThat(landlockRefusal(new Spec.Landlock.Rule(1, 2, b("/usr")))).isEqualTo("LANDLOCK_RULE with unknown flags 0x2");
        assertThat(landlockRefusal(new Spec.Landlock.Rule(1, 0, b("")))).isEqualTo("LANDLOCK_RULE payload is 8 bytes, expected at least 9");
        for (String bad : List.of("usr", "/usr/../etc", "/./usr")) {
            assertThat(landlockRefusal(new Spec.Landlock.Rule(1, 0, b(bad)))).as(bad)
                    .startsWith("LANDLOCK_RULE path not absolute");
        }
    }

    private static String landlockRefusal(Spec.Landlock.Rule rule) throws IOException, InterruptedException {
        Spec s = withOps(0, List.of());
        Result r = helperDescribes(new Spec(s.namespaces(), s.uidMaps(), s.gidMaps(), false, null, s.ops(), false, s.path(),
                0, 0, s.args(), s.env(), 0, 0, null, null, new Spec.Landlock(List.of(rule)), null, List.of(), null).encode());
        assertThat(r.status()).as(r.text()).isEqualTo(2);
        return r.text().substring("sandbox-helper: invalid spec: ".length(), r.text().length() - 1);
    }

    @Example
    @Label("the helper refuses an unknown resource, soft above hard and a resource set twice")
    void refusesBadRlimits() throws Exception {
        assertThat(helperDescribes(withRlimits(new Spec.Limit(Rlimit.STACK.number(), -2, -1),
                new Spec.Limit(Rlimit.CORE.number(), 0, 0))).status()).isZero();
        assertThat(rlimitRefusal(new Spec.Limit(16, 0, 0))).isEqualTo("RLIMIT: unknown resource 16");
        assertThat(rlimitRefusal(new Spec.Limit(-1, 0, 0))).isEqualTo("RLIMIT: unknown resource 4294967295");
        assertThat(rlimitRefusal(new Spec.Limit(Rlimit.NOFILE.number(), 11, 10)))
                .isEqualTo("RLIMIT RLIMIT_NOFILE: soft 11 above hard 10");
        assertThat(rlimitRefusal(new Spec.Limit(Rlimit.NOFILE.number(), -1, 10)))
                .isEqualTo("RLIMIT RLIMIT_NOFILE: soft 18446744073709551615 above hard 10");
        assertThat(rlimitRefusal(new Spec.Limit(Rlimit.AS.number(), 1, 1), new Spec.Limit(Rlimit.AS.number(), 1, 1)))
                .isEqualTo("repeated RLIMIT RLIMIT_AS");
        byte[] reserved = withRlimits(new Spec.Limit(Rlimit.CPU.number(), 1, 2)).encode();
        reserved[reserved.length - 20] = 1; // the u32 after the resource
        Result r = helperDescribes(reserved);
        assertThat(r).isEqualTo(new Result(2, "sandbox-helper: invalid spec: RLIMIT RLIMIT_CPU: non-zero reserved field\n"));
    }

    private static Spec withRlimits(Spec.Limit... limits) {
        return new Spec(0, List.of(), List.of(), false, null, List.of(), false, b("/bin"), 0, 0, List.of(b("true")),
                List.of(), 0, 0, null, null, null, null, List.of(limits), null);
    }

    private static String rlimitRefusal(Spec.Limit... limits) throws IOException, InterruptedException {
        Result r = helperDescribes(withRlimits(limits).encode());
        assertThat(r.status()).as(r.text()).isEqualTo(2);
        String prefix = "sandbox-helper: invalid spec: ";
        assertThat(r.text()).startsWith(prefix).endsWith("\n");
        return r.text().substring(prefix.length(), r.text().length() - 1);
    }

    private static Result helperDescribes(Spec spec) throws IOException, InterruptedException {
        return helperDescribes(spec.encode());
    }

    /** The helper's reason for refusing a spec with these operations. */
    private static String refusal(int namespaces, Spec.Op... ops) throws IOException, InterruptedException {
        Result r = helperDescribes(withOps(namespaces, List.of(ops)).encode());
        assertThat(r.status()).as(r.text()).isEqualTo(2);
        String prefix = "sandbox-helper: invalid spec: ";
        assertThat(r.text()).startsWith(prefix).endsWith("\n");
        return r.text().substring(prefix.length(), r.text().length() - 1);
    }

    @Example
    @Label("the helper rejects a spec with a bad magic number, a NUL in a string, no command, no PATH, a CPU limit of 0 or an unknown tag")
    void rejectsMalformedSpecs() throws Exception {
        Spec ok = new Spec(0, List.of(), List.of(), false, null, List.of(), false,
                b("/bin"), 0, 0, List.of(b("true")), List.of(), 0, 0, null, null);
        assertThat(helperDescribes(ok.encode()).status()).isZero();
        byte[] badMagic = ok.encode();
        badMagic[0] ^= 0x55;
        assertThat(helperDescribes(badMagic).status()).isEqualTo(2);

        Spec nul = new Spec(0, List.of(), List.of(), false, null, List.of(), false, null, 0, 0,
                List.of(new byte[] {'a', 0, 'b'}), List.of(), 0, 0, null, null);
        assertThat(helperDescribes(nul.encode()).status()).isEqualTo(2);

        Spec noPath = new Spec(0, List.of(), List.of(), false, null, List.of(), false, null, 0, 0,
                List.of(b("true")), List.of(), 0, 0, null, null);
        assertThat(helperDescribes(noPath.encode())).isEqualTo(new Result(2, "sandbox-helper: invalid spec: missing PATH\n"));

        Spec noArgs = new Spec(0, List.of(), List.of(), false, null, List.of(), false, null, 0, 0,
                List.of(), List.of(), 0, 0, null, null);
        assertThat(helperDescribes(noArgs.encode()).status()).isEqualTo(2);

        Spec noCpu = new Spec(0, List.of(), List.of(), false, null, List.of(), false, b("/bin"), 0, 0,
                List.of(b("true")), List.of(), 0, 0, null, null, null, new Spec.CpuLimit(0), List.of(), null);
        assertThat(helperDescribes(noCpu.encode())).isEqualTo(new Result(2, "sandbox-helper: invalid spec: CPU_LIMIT 0 ns"
                + " (expected: > 0)\n"));
        byte[] unknownTag = ok.encode(); // tag 22: past the last this helper knows
        ByteBuffer.wrap(unknownTag).order(ByteOrder.nativeOrder()).putShort(12, (short) 22);
        assertThat(helperDescribes(unknownTag)).isEqualTo(new Result(2, "sandbox-helper: invalid spec: unknown tag 22\n"));
        assertThat(helperDescribes(ok.withCgroup("sys/fs/cgroup/x").encode())).isEqualTo(new Result(2,
                "sandbox-helper: invalid spec: CGROUP is not an absolute path shorter than 4096 bytes\n"));

        byte[] truncated = ok.encode();
        ByteBuffer.wrap(truncated).order(ByteOrder.nativeOrder()).putInt(8, truncated.length); // claims more than sent
        assertThat(helperDescribes(truncated).status()).isEqualTo(2);
    }

    /** The helper's exit status and its stdout, or its stderr (the reason) when it refused the spec. */
    record Result(int status, String text) {
    }

    private static Result helperDescribes(byte[] encoded) throws IOException, InterruptedException {
        java.nio.file.Path err = java.nio.file.Files.createTempFile("describe-spec", ".err");
        try {
            Process p = new ProcessBuilder(HelperBinary.command("--describe-spec"))
                    .redirectError(err.toFile()).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(encoded);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            return new Result(p.exitValue(), p.exitValue() == 0 ? out : java.nio.file.Files.readString(err));
        } finally {
            java.nio.file.Files.deleteIfExists(err);
        }
    }

    /** Landlock off, or on with up to 5 rules of every access class and flag. */
    private static Arbitrary<Spec.Landlock> landlock() {
        Arbitrary<Spec.Landlock.Rule> rule = Combinators.combine(Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(0, 1), absolutePaths()).as(Spec.Landlock.Rule::new);
        return rule.list().ofMaxSize(5).map(Spec.Landlock::new).injectNull(0.4);
    }

    /** An absolute path of arbitrary bytes but NUL, with no "." or ".." component. */
    private static Arbitrary<byte[]> absolutePaths() {
        return Arbitraries.bytes().filter(x -> x != 0).array(byte[].class).ofMaxSize(40).map(p -> {
            byte[] out = new byte[p.length + 1];
            out[0] = '/';
            System.arraycopy(p, 0, out, 1, p.length);
            return out;
        }).filter(p -> !hasDotComponent(p));
    }

    private static boolean hasDotComponent(byte[] path) {
        for (String c : new String(path, StandardCharsets.ISO_8859_1).split("/", -1)) {
            if (c.equals(".") || c.equals("..")) {
                return true;
            }
        }
        return false;
    }

    private static boolean allSlashes(byte[] path) {
        for (byte x : path) {
            if (x != '/') {
                return false;
            }
        }
        return true;
    }

    /** One structurally valid operation of {@code kind}: its fields as the kind takes them, nothing else. */
    private static Arbitrary<Spec.Op> op(Spec.Op.Kind kind) {
        Arbitrary<byte[]> noNul = Arbitraries.bytes().filter(x -> x != 0).array(byte[].class).ofMaxSize(40);
        Arbitrary<byte[]> source = switch (kind.source) {
            case NONE -> Arbitraries.just(new byte[0]);
            case PATH -> absolutePaths();
            case TEXT -> noNul.filter(x -> x.length > 0);
            case NAMES -> Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz.").ofMinLength(1).ofMaxLength(8)
                    .filter(n -> !n.equals(".") && !n.equals("..")).list().ofMaxSize(4)
                    .map(l -> String.join("/", l).getBytes(StandardCharsets.UTF_8));
        };
        Arbitrary<byte[]> target = switch (kind.target) {
            case ROOT -> Arbitraries.of("/", "//").map(t -> t.getBytes(StandardCharsets.UTF_8));
            case BELOW -> absolutePaths().filter(p -> !allSlashes(p));
            case ANY -> absolutePaths();
        };
        // idmap-fallback only comes with idmap (a structural rule of the helper's)
        Arbitrary<Integer> flags = Arbitraries.integers().between(0, 31).map(f -> f & kind.flags)
                .map(f -> (f & Protocol.OP_F_IDMAP) == 0 ? f & ~Protocol.OP_F_IDMAP_FALLBACK : f);
        Arbitrary<Long> size = kind.size ? Arbitraries.longs() : Arbitraries.just(0L);
        Arbitrary<Integer> mode = kind.mode ? Arbitraries.integers().between(0, 07777) : Arbitraries.just(0);
        return Combinators.combine(flags, size, mode, source, target)
                .as((f, sz, m, src, dst) -> new Spec.Op(kind.number, f, sz, m, src, dst));
    }

    /**
     * An operation list in the order the helper accepts: maybe new-root first, operations of any
     * kind that changes the view, switch-root when new-root began it, then chdir operations.
     * No cross-field rule of SetupPlan: any mix, repeated, in any order.
     */
    private static Arbitrary<List<Spec.Op>> opLists() {
        List<Spec.Op.Kind> middle = List.of(Spec.Op.Kind.BIND, Spec.Op.Kind.TMPFS, Spec.Op.Kind.PROC, Spec.Op.Kind.DEV,
                Spec.Op.Kind.SYSFS, Spec.Op.Kind.MQUEUE, Spec.Op.Kind.SYMLINK, Spec.Op.Kind.MKDIR,
                Spec.Op.Kind.REMOUNT_RO, Spec.Op.Kind.MASK);
        Arbitrary<Spec.Op> anyMiddle = Arbitraries.oneOf(middle.stream().map(SpecRoundTripTest::op).toList());
        Arbitrary<Spec.Op> stagedMiddle = Arbitraries.oneOf(anyMiddle, op(Spec.Op.Kind.MIRROR_HOST));
        Arbitrary<List<Spec.Op>> chdirs = op(Spec.Op.Kind.CHDIR).list().ofMaxSize(2);
        Arbitrary<List<Spec.Op>> host = Combinators.combine(anyMiddle.list().ofMaxSize(6), chdirs).as((m, c) -> {
            List<Spec.Op> all = new java.util.ArrayList<>(m);
            all.addAll(c);
            return all;
        });
        Arbitrary<List<Spec.Op>> staged = Combinators.combine(op(Spec.Op.Kind.NEW_ROOT), stagedMiddle.list().ofMaxSize(6),
                op(Spec.Op.Kind.SWITCH_ROOT), chdirs).as((n, m, sw, c) -> {
                    List<Spec.Op> all = new java.util.ArrayList<>();
                    all.add(n);
                    all.addAll(m);
                    all.add(sw);
                    all.addAll(c);
                    return all;
                });
        return Arbitraries.oneOf(host, staged);
    }

    /** Limits of distinct resources, each soft <= hard (unsigned; -1 is RLIM_INFINITY). */
    private static Arbitrary<List<Spec.Limit>> rlimitLists() {
        Arbitrary<Long> value = Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.just(-1L), Arbitraries.longs().between(0, 1 << 20));
        return Combinators.combine(Arbitraries.of(Rlimit.values()), value, value).as((r, a, c) -> Long.compareUnsigned(a, c) <= 0
                ? new Spec.Limit(r.number(), a, c) : new Spec.Limit(r.number(), c, a))
                .list().ofMaxSize(5).uniqueElements(Spec.Limit::resource);
    }

    @Provide
    Arbitrary<Spec> specs() {
        Arbitrary<byte[]> noNul = Arbitraries.bytes().filter(b -> b != 0).array(byte[].class).ofMaxSize(40);
        Arbitrary<byte[]> nonEmpty = noNul.filter(b -> b.length > 0);
        Arbitrary<Spec.IdMap> idMap = Combinators.combine(Arbitraries.integers(), Arbitraries.integers(),
                Arbitraries.integers().filter(c -> c != 0)).as(Spec.IdMap::new);
        Arbitrary<Integer> nsFlags = Arbitraries.subsetOf(0x10000000, 0x00020000, 0x20000000, 0x40000000, 0x04000000,
                0x08000000, 0x02000000, 0x00000080).map(s -> s.stream().reduce(0, (a, b) -> a | b));
        return Combinators.combine(
                nsFlags,
                idMap.list().ofMaxSize(3),
                idMap.list().ofMaxSize(3),
                Arbitraries.of(true, false),
                nonEmpty.injectNull(0.3),
                opLists(),
                Arbitraries.of(true, false)
        ).flatAs((ns, uids, gids, deny, host, ops, loopback) -> Combinators.combine(
                noNul, // PATH: the JVM always sends it
                Arbitraries.longs().greaterOrEqual(0),
                Arbitraries.longs().greaterOrEqual(0),
                noNul.list().ofMinSize(1).ofMaxSize(6),
                noNul.list().ofMaxSize(6),
                Combinators.combine(Arbitraries.longs().between(0, Long.MAX_VALUE), Arbitraries.integers().between(0, 31),
                        Combinators.combine(Arbitraries.integers(), Arbitraries.integers()).as(Spec.Ids::new).injectNull(0.3),
                        Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(64).map(b -> java.util.Arrays.copyOf(b, b.length * 8))
                                .injectNull(0.3),
                        landlock(),
                        Arbitraries.longs().between(1, Long.MAX_VALUE).map(Spec.CpuLimit::new).injectNull(0.5),
                        rlimitLists(),
                        noNul.map(b -> { // CGROUP: an absolute path
                            byte[] d = new byte[b.length + 1];
                            d[0] = '/';
                            System.arraycopy(b, 0, d, 1, b.length);
                            return d;
                        }).injectNull(0.5))
                        .as((c, sb, i, f, l, cpu, rl, g) -> java.util.Arrays.<Object>asList(c, sb, i, f, l, cpu, rl, g))
        ).as((path, timeout, grace, args, env, sec) -> {
            // only the namespaces the structure needs: operations other than chdir a mount namespace,
            // idmap, ids and lock-mounts a user namespace, a hostname UTS, loopback and net-ahead a network namespace
            long caps = (Long) sec.get(0);
            int security = (Integer) sec.get(1);
            Spec.Ids ids = (Spec.Ids) sec.get(2);
            byte[] seccomp = (byte[]) sec.get(3);
            Spec.Landlock landlock = (Spec.Landlock) sec.get(4);
            @SuppressWarnings("unchecked")
            List<Spec.Limit> rlimits = (List<Spec.Limit>) sec.get(6);
            boolean needsMountNs = ops.stream().anyMatch(o -> o.kind() != Protocol.OP_CHDIR)
                    || (security & Protocol.SEC_LOCK_MOUNTS) != 0;
            boolean needsUserNs = ids != null || (security & Protocol.SEC_LOCK_MOUNTS) != 0
                    || ops.stream().anyMatch(o -> (o.flags() & Protocol.OP_F_IDMAP) != 0);
            int flags = ns | (needsMountNs ? 0x00020000 : 0) | (host == null ? 0 : 0x04000000)
                    | (needsUserNs ? 0x10000000 : 0)
                    | (loopback || (security & Protocol.SEC_NET_AHEAD) != 0 ? 0x40000000 : 0);
            return new Spec(flags, uids, gids, deny, host, ops, loopback, path, timeout, grace, args, env,
                    caps, security, ids, seccomp, landlock, (Spec.CpuLimit) sec.get(5), rlimits, (byte[]) sec.get(7));
        }));
    }
}
