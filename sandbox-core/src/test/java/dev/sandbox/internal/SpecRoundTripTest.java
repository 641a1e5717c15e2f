package dev.sandbox.internal;

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

    @Example
    @Label("the readable form quotes and escapes")
    void readableForm() {
        Spec spec = new Spec(0x10000000 | 0x20000000 | 0x00020000,
                List.of(new Spec.IdMap(0, 1000, 1)), List.of(new Spec.IdMap(0, 1000, 1)), true,
                "box".getBytes(StandardCharsets.UTF_8), Protocol.ROOT_READ_ONLY,
                List.of(new Spec.Mount(Protocol.MOUNT_RO_BIND, 0, 0, "/a b".getBytes(StandardCharsets.UTF_8),
                        "/x\"y".getBytes(StandardCharsets.UTF_8)),
                        new Spec.Mount(Protocol.MOUNT_BIND, Protocol.MOUNT_F_IDMAP, 0, "/o".getBytes(StandardCharsets.UTF_8),
                                "/out".getBytes(StandardCharsets.UTF_8)),
                        new Spec.Mount(Protocol.MOUNT_TMPFS, 0, 1 << 20, new byte[0], "/tmp".getBytes(StandardCharsets.UTF_8))),
                Protocol.FEATURE_PROC | Protocol.FEATURE_DEV, null, "/bin".getBytes(StandardCharsets.UTF_8), 1500, 2000,
                List.of("echo".getBytes(StandardCharsets.UTF_8), new byte[] {'a', '\\', (byte) 0xff, '\n'}),
                List.of("K=v".getBytes(StandardCharsets.UTF_8)), 1L << 21,
                Protocol.SEC_NO_NEW_PRIVS | Protocol.SEC_LOCK_MOUNTS, new Spec.Ids(0, 0), new byte[16]);
        assertThat(spec.describe()).isEqualTo("""
                sandbox-spec v2
                namespaces user,mount,pid
                uid_map 0 1000 1
                gid_map 0 1000 1
                setgroups deny
                hostname "box"
                root read-only
                mount ro-bind "/a b" "/x\\"y"
                mount bind "/o" "/out" idmap
                mount tmpfs "/tmp" size=1048576
                features proc,dev
                path "/bin"
                security no-new-privs,lock-mounts
                caps 0x200000
                ids 0 0
                seccomp 2
                timeout_ms 1500
                grace_ms 2000
                arg "echo"
                arg "a\\\\\\xff\\x0a"
                env "K=v"
                """);
    }

    @Example
    @Label("the helper rejects a spec with a bad magic number, a NUL in a string, no command or no PATH")
    void rejectsMalformedSpecs() throws Exception {
        Spec ok = new Spec(0, List.of(), List.of(), false, null, Protocol.ROOT_HOST, List.of(), 0, null,
                "/bin".getBytes(StandardCharsets.UTF_8), 0, 0, List.of("true".getBytes(StandardCharsets.UTF_8)), List.of(),
                0, 0, null, null);
        assertThat(helperDescribes(ok.encode()).status()).isZero();
        byte[] badMagic = ok.encode();
        badMagic[0] ^= 0x55;
        assertThat(helperDescribes(badMagic).status()).isEqualTo(2);

        Spec nul = new Spec(0, List.of(), List.of(), false, null, Protocol.ROOT_HOST, List.of(), 0, null, null, 0, 0,
                List.of(new byte[] {'a', 0, 'b'}), List.of(), 0, 0, null, null);
        assertThat(helperDescribes(nul.encode()).status()).isEqualTo(2);

        Spec noPath = new Spec(0, List.of(), List.of(), false, null, Protocol.ROOT_HOST, List.of(), 0, null, null, 0, 0,
                List.of("true".getBytes(StandardCharsets.UTF_8)), List.of(), 0, 0, null, null);
        assertThat(helperDescribes(noPath.encode())).isEqualTo(new Result(2, "sandbox-helper: invalid spec: missing PATH\n"));

        Spec noArgs = new Spec(0, List.of(), List.of(), false, null, Protocol.ROOT_HOST, List.of(), 0, null, null, 0, 0,
                List.of(), List.of(), 0, 0, null, null);
        assertThat(helperDescribes(noArgs.encode()).status()).isEqualTo(2);

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

    @Provide
    Arbitrary<Spec> specs() {
        Arbitrary<byte[]> noNul = Arbitraries.bytes().filter(b -> b != 0).array(byte[].class).ofMaxSize(40);
        Arbitrary<byte[]> absolute = noNul.map(b -> {
            byte[] out = new byte[b.length + 1];
            out[0] = '/';
            System.arraycopy(b, 0, out, 1, b.length);
            return out;
        });
        Arbitrary<byte[]> nonEmpty = noNul.filter(b -> b.length > 0);
        Arbitrary<Spec.IdMap> idMap = Combinators.combine(Arbitraries.integers(), Arbitraries.integers(),
                Arbitraries.integers().filter(c -> c != 0)).as(Spec.IdMap::new);
        Arbitrary<Spec.Mount> mount = Combinators.combine(
                Arbitraries.of(Protocol.MOUNT_BIND, Protocol.MOUNT_RO_BIND, Protocol.MOUNT_TMPFS), absolute, absolute,
                Arbitraries.of(true, false), Arbitraries.longs().greaterOrEqual(0))
                .as((kind, src, dst, idmap, size) -> kind == Protocol.MOUNT_TMPFS
                        ? new Spec.Mount(kind, 0, size, new byte[0], dst)
                        : new Spec.Mount(kind, idmap ? Protocol.MOUNT_F_IDMAP : 0, 0, src, dst));
        Arbitrary<Integer> nsFlags = Arbitraries.subsetOf(0x10000000, 0x00020000, 0x20000000, 0x40000000, 0x04000000,
                0x08000000, 0x02000000, 0x00000080).map(s -> s.stream().reduce(0, (a, b) -> a | b));
        return Combinators.combine(
                nsFlags,
                idMap.list().ofMaxSize(3),
                idMap.list().ofMaxSize(3),
                Arbitraries.of(true, false),
                nonEmpty.injectNull(0.3),
                Arbitraries.of(Protocol.ROOT_HOST, Protocol.ROOT_READ_ONLY, Protocol.ROOT_EMPTY),
                mount.list().ofMaxSize(4),
                Arbitraries.integers().between(0, 31)
        ).flatAs((ns, uids, gids, deny, host, root, mounts, features) -> Combinators.combine(
                absolute.injectNull(0.3),
                noNul, // PATH: the JVM always sends it
                Arbitraries.longs().greaterOrEqual(0),
                Arbitraries.longs().greaterOrEqual(0),
                noNul.list().ofMinSize(1).ofMaxSize(6),
                noNul.list().ofMaxSize(6),
                Combinators.combine(Arbitraries.longs().between(0, Long.MAX_VALUE), Arbitraries.integers().between(0, 15),
                        Combinators.combine(Arbitraries.integers(), Arbitraries.integers()).as(Spec.Ids::new).injectNull(0.3),
                        Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(64).map(b -> java.util.Arrays.copyOf(b, b.length * 8))
                                .injectNull(0.3)).as((c, sb, i, f) -> java.util.Arrays.<Object>asList(c, sb, i, f))
        ).as((cwd, path, timeout, grace, args, env, sec) -> {
            // the decoder rejects mounts without a mount namespace and a hostname without a UTS one
            // the decoder's cross-field rules, which Sandbox.spec() keeps too
            int feats = features;
            if (root == Protocol.ROOT_HOST) {
                feats &= ~Protocol.FEATURE_DEV;
            }
            if ((ns & 0x40000000) == 0) {
                feats &= ~Protocol.FEATURE_LOOPBACK;
            }
            if ((ns & 0x40000000) == 0 || root != Protocol.ROOT_READ_ONLY) {
                feats &= ~Protocol.FEATURE_SYS;
            }
            long caps = (Long) sec.get(0);
            int security = (Integer) sec.get(1);
            Spec.Ids ids = (Spec.Ids) sec.get(2);
            byte[] seccomp = (byte[]) sec.get(3);
            boolean needsMountNs = !mounts.isEmpty() || root != Protocol.ROOT_HOST || (feats & 3) != 0
                    || (feats & Protocol.FEATURE_RO_CGROUP) != 0 || (security & Protocol.SEC_LOCK_MOUNTS) != 0;
            boolean needsUserNs = ids != null || (security & Protocol.SEC_LOCK_MOUNTS) != 0
                    || mounts.stream().anyMatch(m -> (m.flags() & Protocol.MOUNT_F_IDMAP) != 0);
            int flags = ns | (needsMountNs ? 0x00020000 : 0) | (host == null ? 0 : 0x04000000)
                    | (needsUserNs ? 0x10000000 : 0);
            return new Spec(flags, uids, gids, deny, host, root, mounts, feats, cwd, path, timeout, grace, args, env,
                    caps, security, ids, seccomp);
        }));
    }
}
