package dev.sandbox.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;

/**
 * Everything sandbox-helper needs to start one command, as raw bytes: what the helper decodes
 * from fd 3. {@link #encode()} writes the versioned binary form of {@code protocol.h};
 * {@link #describe()} the readable form that {@code sandbox-helper --describe-spec} prints for
 * the same bytes, so the two ends can be checked against each other.
 *
 * <p><strong>Internal usage only.</strong>
 */
public record Spec(
        int namespaces,
        List<IdMap> uidMaps,
        List<IdMap> gidMaps,
        boolean setgroupsDeny,
        byte[] hostname,
        List<Op> ops,
        boolean loopback,
        byte[] path,
        long timeoutMillis,
        long graceMillis,
        List<byte[]> args,
        List<byte[]> env,
        long keepCaps,
        int security,
        Ids ids,
        byte[] seccomp,
        Landlock landlock,
        CpuLimit cpuLimit,
        List<Limit> rlimits,
        byte[] cgroup) {

    /** A spec without Landlock, a CPU-time limit, resource limits or a cgroup directory. */
    public Spec(int namespaces, List<IdMap> uidMaps, List<IdMap> gidMaps, boolean setgroupsDeny, byte[] hostname,
                List<Op> ops, boolean loopback, byte[] path, long timeoutMillis, long graceMillis, List<byte[]> args,
                List<byte[]> env, long keepCaps, int security, Ids ids, byte[] seccomp) {
        this(namespaces, uidMaps, gidMaps, setgroupsDeny, hostname, ops, loopback, path, timeoutMillis, graceMillis,
                args, env, keepCaps, security, ids, seccomp, null, null, List.of(), null);
    }

    /**
     * Landlock on ({@code SBX_T_LANDLOCK}): file access only beneath these rules ({@code SBX_T_LANDLOCK_RULE}),
     * in order; {@code SetupPlan} derives them.
     */
    public record Landlock(List<Rule> rules) {
        public Landlock {
            rules = List.copyOf(rules);
        }

        /** {@code access} is a {@code LANDLOCK_*} class, {@code flags} {@code LANDLOCK_F_*}, {@code path} absolute. */
        public record Rule(int access, int flags, byte[] path) {
            public Rule {
                Objects.requireNonNull(path, "path");
            }

            /** The readable form: {@code landlock-rule ACCESS[ optional] "PATH"}. */
            String describe() {
                String[] names = {null, "read", "read-write", "read-write-files"};
                return "landlock-rule " + names[access] + ((flags & Protocol.LANDLOCK_F_OPTIONAL) != 0 ? " optional" : "")
                        + " " + quote(path);
            }
        }
    }

    /**
     * {@code SBX_T_CPU_LIMIT}: the whole sandbox's CPU time in nanoseconds (> 0), watched by the
     * helper in the cgroup usage file sent with the spec (its per-process backstop is an
     * {@code RLIMIT_CPU} record among the rlimits: {@link Rlimits#of(java.util.Map, java.time.Duration)}).
     */
    public record CpuLimit(long limitNanos) {
    }

    /** The uid and gid (inside the user namespace) the command runs as. */
    public record Ids(int uid, int gid) {
    }

    /**
     * One resource limit of the command ({@code SBX_T_RLIMIT}): {@code resource} an {@code RLIMIT_*}
     * number, {@code soft} and {@code hard} unsigned, -1 for {@code RLIM_INFINITY}. Made by {@link Rlimits}.
     */
    public record Limit(int resource, long soft, long hard) {
    }

    /** One line of a uid_map or gid_map: {@code count} ids from {@code outside} seen as {@code inside}. */
    public record IdMap(int inside, int outside, int count) {
    }

    /**
     * One setup operation ({@code SBX_T_OP}): {@code kind} is an {@code OP_*}, {@code flags} are
     * {@code OP_F_*}; {@code size} (tmpfs bytes, 0: the kernel's default) and {@code mode} (tmpfs,
     * mkdir) are 0 for kinds that take none, {@code source} empty for kinds that take none. What
     * each kind takes is {@link Kind}, the twin of {@code spec.c}'s {@code sbx_op_kinds}.
     */
    public record Op(int kind, int flags, long size, int mode, byte[] source, byte[] target) {
        public Op {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(target, "target");
        }

        /** An operation that takes only a target. */
        public static Op of(int kind, int flags, String target) {
            return new Op(kind, flags, 0, 0, new byte[0], Encoding.bytes(target));
        }

        /** What an operation kind takes, and its name in the readable form and in a failure's step. */
        public enum Kind {
            NEW_ROOT(Protocol.OP_NEW_ROOT, "new-root", 0, Source.NONE, null, Target.ROOT, false, false),
            MIRROR_HOST(Protocol.OP_MIRROR_HOST, "mirror-host", Protocol.OP_F_RO, Source.NAMES, "skip", Target.ROOT,
                    false, false),
            BIND(Protocol.OP_BIND, "bind", Protocol.OP_F_RO | Protocol.OP_F_IDMAP | Protocol.OP_F_IDMAP_FALLBACK, Source.PATH, "from", Target.BELOW,
                    false, false),
            TMPFS(Protocol.OP_TMPFS, "tmpfs", 0, Source.NONE, null, Target.BELOW, true, true),
            PROC(Protocol.OP_PROC, "proc", 0, Source.NONE, null, Target.BELOW, false, false),
            DEV(Protocol.OP_DEV, "dev", 0, Source.NONE, null, Target.BELOW, false, false),
            SYSFS(Protocol.OP_SYSFS, "sysfs", 0, Source.NONE, null, Target.BELOW, false, false),
            MQUEUE(Protocol.OP_MQUEUE, "mqueue", 0, Source.NONE, null, Target.BELOW, false, false),
            SYMLINK(Protocol.OP_SYMLINK, "symlink", 0, Source.TEXT, "to", Target.BELOW, false, false),
            MKDIR(Protocol.OP_MKDIR, "mkdir", 0, Source.NONE, null, Target.BELOW, false, true),
            REMOUNT_RO(Protocol.OP_REMOUNT_RO, "remount-ro", Protocol.OP_F_RECURSIVE | Protocol.OP_F_OPTIONAL,
                    Source.NONE, null, Target.ANY, false, false),
            MASK(Protocol.OP_MASK, "mask", Protocol.OP_F_OPTIONAL, Source.NONE, null, Target.BELOW, false, false),
            SWITCH_ROOT(Protocol.OP_SWITCH_ROOT, "switch-root", 0, Source.NONE, null, Target.ROOT, false, false),
            CHDIR(Protocol.OP_CHDIR, "chdir", 0, Source.NONE, null, Target.ANY, false, false);

            /** What a kind's source is. */
            public enum Source { NONE, PATH, TEXT, NAMES }

            /** Which targets a kind accepts: exactly "/", a path below it, or any absolute path. */
            public enum Target { ROOT, BELOW, ANY }

            public final int number;
            public final String wireName;
            public final int flags;
            public final Source source;
            public final String sourceWord;
            public final Target target;
            public final boolean size;
            public final boolean mode;

            Kind(int number, String wireName, int flags, Source source, String sourceWord, Target target, boolean size,
                    boolean mode) {
                this.number = number;
                this.wireName = wireName;
                this.flags = flags;
                this.source = source;
                this.sourceWord = sourceWord;
                this.target = target;
                this.size = size;
                this.mode = mode;
            }

            /** The kind numbered {@code number} ({@code OP_*}). */
            public static Kind of(int number) {
                for (Kind k : values()) {
                    if (k.number == number) {
                        return k;
                    }
                }
                throw new IllegalArgumentException("operation kind " + number);
            }
        }

        /** The readable form: {@code op KIND "TARGET"[ WORD "SOURCE"][ FLAGS][ size=N][ mode=0NNN]}. */
        String describe() {
            Kind k = Kind.of(kind);
            StringBuilder sb = new StringBuilder("op ").append(k.wireName).append(' ').append(quote(target));
            if (k.source != Kind.Source.NONE) {
                sb.append(' ').append(k.sourceWord).append(' ').append(quote(source));
            }
            String[] flagNames = {"ro", "idmap", "recursive", "optional", "idmap-fallback"};
            for (int i = 0; i < flagNames.length; i++) {
                if ((flags & (1 << i)) != 0) {
                    sb.append(' ').append(flagNames[i]);
                }
            }
            if (k.size) {
                sb.append(" size=").append(Long.toUnsignedString(size));
            }
            if (k.mode) {
                sb.append(" mode=0").append(String.format("%03o", mode));
            }
            return sb.toString();
        }
    }

    public Spec {
        rlimits = List.copyOf(rlimits);
        uidMaps = List.copyOf(uidMaps);
        gidMaps = List.copyOf(gidMaps);
        ops = List.copyOf(ops);
        args = List.copyOf(args);
        env = List.copyOf(env);
    }

    /** This spec for another command. */
    public Spec withArgs(List<byte[]> newArgs) {
        return new Spec(namespaces, uidMaps, gidMaps, setgroupsDeny, hostname, ops, loopback, path,
                timeoutMillis, graceMillis, newArgs, env, keepCaps, security, ids, seccomp, landlock, cpuLimit, rlimits,
                cgroup);
    }

    /**
     * This spec with the sandbox created in the cgroup v2 directory {@code dir} (absolute; {@code
     * clone3(CLONE_INTO_CGROUP)}), or in its helper's cgroups when null.
     */
    public Spec withCgroup(String dir) {
        return new Spec(namespaces, uidMaps, gidMaps, setgroupsDeny, hostname, ops, loopback, path,
                timeoutMillis, graceMillis, args, env, keepCaps, security, ids, seccomp, landlock, cpuLimit,
                rlimits, dir == null ? null : Encoding.bytes(dir));
    }

    /**
     * This spec for a root caller's start under leased host ids: one map line each, the command
     * running as those ids inside (or as 0 with {@code mapRoot}).
     */
    public Spec withHostIds(int uid, int gid, boolean mapRoot) {
        return new Spec(namespaces, List.of(new IdMap(mapRoot ? 0 : uid, uid, 1)),
                List.of(new IdMap(mapRoot ? 0 : gid, gid, 1)), false, hostname, ops, loopback, path,
                timeoutMillis, graceMillis, args, env, keepCaps, security, new Ids(mapRoot ? 0 : uid, mapRoot ? 0 : gid),
                seccomp, landlock, cpuLimit, rlimits, cgroup);
    }

    /**
     * The message sent on fd 3: header, then records in a fixed order. A sandbox encodes the parts
     * its starts share once ({@link Template}); this encodes everything.
     */
    public byte[] encode() {
        return encode(null, null, null);
    }

    /** Encodes this spec; the shared parts come from {@code middle}, {@code tail} and {@code last} where not null. */
    private byte[] encode(byte[] middle, byte[] tail, byte[] last) {
        int size = 12 + headSize() + (middle != null ? middle.length : middleSize()) + argsSize()
                + (tail != null ? tail.length : tailSize()) + idsSize() + (last != null ? last.length : lastSize());
        ByteBuffer b = order(ByteBuffer.allocate(size));
        b.putInt(Protocol.SPEC_MAGIC).putInt(Protocol.SPEC_VERSION).putInt(size - 12);
        writeHead(b);
        if (middle != null) {
            b.put(middle);
        } else {
            writeMiddle(b);
        }
        writeArgs(b);
        if (tail != null) {
            b.put(tail);
        } else {
            writeTail(b);
        }
        writeIds(b);
        if (last != null) {
            b.put(last);
        } else {
            writeLast(b);
        }
        return b.array();
    }

    /**
     * A sandbox's spec with the records its starts share encoded once: a start's spec differs from
     * the template only in its arguments and (a root caller's) id maps and ids.
     */
    public static final class Template {
        private final Spec template;
        private final byte[] middle;
        private final byte[] tail;
        private final byte[] last;

        public Template(Spec template) {
            this.template = template;
            this.middle = order(ByteBuffer.allocate(template.middleSize())).array();
            template.writeMiddle(order(ByteBuffer.wrap(middle)));
            this.tail = order(ByteBuffer.allocate(template.tailSize())).array();
            template.writeTail(order(ByteBuffer.wrap(tail)));
            this.last = order(ByteBuffer.allocate(template.lastSize())).array();
            template.writeLast(order(ByteBuffer.wrap(last)));
        }

        public Spec spec() {
            return template;
        }

        /** The same bytes as {@code s.encode()}; the shared parts are copied when {@code s} shares them. */
        public byte[] encode(Spec s) {
            Spec t = template;
            boolean shared = s.namespaces == t.namespaces && s.hostname == t.hostname && s.ops == t.ops
                    && s.loopback == t.loopback && s.path == t.path && s.timeoutMillis == t.timeoutMillis
                    && s.graceMillis == t.graceMillis && s.env == t.env && s.keepCaps == t.keepCaps
                    && s.security == t.security && s.seccomp == t.seccomp && s.landlock == t.landlock
                    && s.cpuLimit == t.cpuLimit && s.rlimits == t.rlimits;
            return shared ? s.encode(middle, tail, last) : s.encode();
        }
    }

    private int headSize() {
        return record(4) + (uidMaps.size() + gidMaps.size()) * record(12) + (setgroupsDeny ? record(0) : 0);
    }

    /** NAMESPACES, the id maps, SETGROUPS_DENY. */
    private void writeHead(ByteBuffer b) {
        header(b, Protocol.T_NAMESPACES, 4).putInt(namespaces);
        for (IdMap m : uidMaps) {
            header(b, Protocol.T_UID_MAP, 12).putInt(m.inside()).putInt(m.outside()).putInt(m.count());
        }
        for (IdMap m : gidMaps) {
            header(b, Protocol.T_GID_MAP, 12).putInt(m.inside()).putInt(m.outside()).putInt(m.count());
        }
        if (setgroupsDeny) {
            header(b, Protocol.T_SETGROUPS_DENY, 0);
        }
    }

    private int middleSize() {
        int size = hostname != null ? record(hostname.length) : 0;
        for (Op o : ops) {
            size += record(28 + o.source().length + o.target().length);
        }
        return size + (loopback ? record(0) : 0) + (path != null ? record(path.length) : 0) + 2 * record(8)
                + (cpuLimit != null ? record(8) : 0);
    }

    /** HOSTNAME, the operations, LOOPBACK, PATH, TIMEOUT_MS, GRACE_MS, CPU_LIMIT. */
    private void writeMiddle(ByteBuffer b) {
        if (hostname != null) {
            header(b, Protocol.T_HOSTNAME, hostname.length).put(hostname);
        }
        for (Op o : ops) {
            header(b, Protocol.T_OP, 28 + o.source().length + o.target().length);
            b.putInt(o.kind()).putInt(o.flags()).putLong(o.size()).putInt(o.mode());
            b.putInt(o.source().length).put(o.source()).putInt(o.target().length).put(o.target());
        }
        if (loopback) {
            header(b, Protocol.T_LOOPBACK, 0);
        }
        if (path != null) {
            header(b, Protocol.T_PATH, path.length).put(path);
        }
        header(b, Protocol.T_TIMEOUT_MS, 8).putLong(timeoutMillis);
        header(b, Protocol.T_GRACE_MS, 8).putLong(graceMillis);
        if (cpuLimit != null) {
            header(b, Protocol.T_CPU_LIMIT, 8).putLong(cpuLimit.limitNanos());
        }
    }

    private int argsSize() {
        int size = 0;
        for (byte[] a : args) {
            size += record(a.length);
        }
        return size;
    }

    private void writeArgs(ByteBuffer b) {
        for (byte[] a : args) {
            header(b, Protocol.T_ARG, a.length).put(a);
        }
    }

    private int tailSize() {
        int size = 0;
        for (byte[] e : env) {
            size += record(e.length);
        }
        return size + (keepCaps != 0 ? record(8) : 0) + record(4);
    }

    /** The environment, CAPS, SECURITY. */
    private void writeTail(ByteBuffer b) {
        for (byte[] e : env) {
            header(b, Protocol.T_ENV, e.length).put(e);
        }
        if (keepCaps != 0) {
            header(b, Protocol.T_CAPS, 8).putLong(keepCaps);
        }
        header(b, Protocol.T_SECURITY, 4).putInt(security);
    }

    private int idsSize() {
        return (ids != null ? record(8) : 0) + (cgroup != null ? record(cgroup.length) : 0);
    }

    /** IDS and CGROUP: what a start may change (a root caller's leased ids, the start's group). */
    private void writeIds(ByteBuffer b) {
        if (ids != null) {
            header(b, Protocol.T_IDS, 8).putInt(ids.uid()).putInt(ids.gid());
        }
        if (cgroup != null) {
            header(b, Protocol.T_CGROUP, cgroup.length).put(cgroup);
        }
    }

    private int lastSize() {
        int size = seccomp != null ? record(seccomp.length) : 0;
        if (landlock != null) {
            size += record(4);
            for (Landlock.Rule r : landlock.rules()) {
                size += record(8 + r.path().length);
            }
        }
        return size + rlimits.size() * record(24);
    }

    /** SECCOMP, LANDLOCK, the Landlock rules, the RLIMIT records. */
    private void writeLast(ByteBuffer b) {
        if (seccomp != null) {
            header(b, Protocol.T_SECCOMP, seccomp.length).put(seccomp);
        }
        if (landlock != null) {
            header(b, Protocol.T_LANDLOCK, 4).putInt(0);
            for (Landlock.Rule r : landlock.rules()) {
                header(b, Protocol.T_LANDLOCK_RULE, 8 + r.path().length).putInt(r.access()).putInt(r.flags())
                        .put(r.path());
            }
        }
        for (Limit l : rlimits) {
            header(b, Protocol.T_RLIMIT, 24).putInt(l.resource()).putInt(0).putLong(l.soft()).putLong(l.hard());
        }
    }

    /** The bytes of a record with a payload of {@code payload} bytes. */
    private static int record(int payload) {
        return 8 + payload;
    }

    /** A record's header: u16 tag, u16 zero, u32 payload length; the payload follows. */
    private static ByteBuffer header(ByteBuffer b, int tag, int payload) {
        return b.putShort((short) tag).putShort((short) 0).putInt(payload);
    }

    /** The readable form, line for line what {@code sandbox-helper --describe-spec} prints. */
    public String describe() {
        StringBuilder sb = new StringBuilder("sandbox-spec v" + Protocol.SPEC_VERSION + "\n");
        sb.append("namespaces ").append(namespaceNames(namespaces)).append('\n');
        for (IdMap m : uidMaps) {
            sb.append("uid_map ").append(Integer.toUnsignedString(m.inside())).append(' ')
                    .append(Integer.toUnsignedString(m.outside())).append(' ')
                    .append(Integer.toUnsignedString(m.count())).append('\n');
        }
        for (IdMap m : gidMaps) {
            sb.append("gid_map ").append(Integer.toUnsignedString(m.inside())).append(' ')
                    .append(Integer.toUnsignedString(m.outside())).append(' ')
                    .append(Integer.toUnsignedString(m.count())).append('\n');
        }
        if (setgroupsDeny) {
            sb.append("setgroups deny\n");
        }
        if (hostname != null) {
            sb.append("hostname ").append(quote(hostname)).append('\n');
        }
        for (Op o : ops) {
            sb.append(o.describe()).append('\n');
        }
        if (loopback) {
            sb.append("loopback\n");
        }
        if (path != null) {
            sb.append("path ").append(quote(path)).append('\n');
        }
        sb.append("security ")
                .append(names(security, "no-new-privs", "new-session", "lock-mounts", "clear-groups", "net-ahead"))
                .append('\n');
        sb.append("caps 0x").append(Long.toHexString(keepCaps)).append('\n');
        if (ids != null) {
            sb.append("ids ").append(Integer.toUnsignedString(ids.uid())).append(' ')
                    .append(Integer.toUnsignedString(ids.gid())).append('\n');
        }
        if (seccomp != null) {
            sb.append("seccomp ").append(seccomp.length / 8).append('\n');
        }
        if (landlock != null) {
            sb.append("landlock\n");
            for (Landlock.Rule r : landlock.rules()) {
                sb.append(r.describe()).append('\n');
            }
        }
        for (Limit l : rlimits) {
            sb.append("rlimit ").append(dev.sandbox.Rlimit.of(l.resource()).name()).append(" soft=")
                    .append(Rlimits.show(l.soft())).append(" hard=").append(Rlimits.show(l.hard())).append('\n');
        }
        if (cgroup != null) {
            sb.append("cgroup ").append(quote(cgroup)).append('\n');
        }
        sb.append("timeout_ms ").append(Long.toUnsignedString(timeoutMillis)).append('\n');
        sb.append("grace_ms ").append(Long.toUnsignedString(graceMillis)).append('\n');
        if (cpuLimit != null) {
            sb.append("cpu_limit_ns ").append(Long.toUnsignedString(cpuLimit.limitNanos())).append('\n');
        }
        for (byte[] a : args) {
            sb.append("arg ").append(quote(a)).append('\n');
        }
        for (byte[] e : env) {
            sb.append("env ").append(quote(e)).append('\n');
        }
        return sb.toString();
    }

    private static final String[] NS_NAMES = {"user", "mount", "pid", "net", "uts", "ipc", "cgroup", "time"};
    private static final int[] NS_FLAGS = {0x10000000, 0x00020000, 0x20000000, 0x40000000, 0x04000000,
        0x08000000, 0x02000000, 0x00000080};

    static String namespaceNames(int flags) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < NS_FLAGS.length; i++) {
            if ((flags & NS_FLAGS[i]) != 0) {
                sb.append(sb.length() == 0 ? "" : ",").append(NS_NAMES[i]);
            }
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

    /** The names of the bits set in {@code bits}, bit i named names[i]; "none" when no bit is set. */
    private static String names(int bits, String... names) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            if ((bits & (1 << i)) != 0) {
                sb.append(sb.length() == 0 ? "" : ",").append(names[i]);
            }
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

    /** C-style quoting: printable ASCII as is, {@code "} and {@code \} escaped, the rest {@code \xNN}. */
    static String quote(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length + 2).append('"');
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c == '"' || c == '\\') {
                sb.append('\\').append((char) c);
            } else if (c >= 0x20 && c <= 0x7e) {
                sb.append((char) c);
            } else {
                sb.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            }
        }
        return sb.append('"').toString();
    }

    private static ByteBuffer order(ByteBuffer b) {
        return b.order(ByteOrder.nativeOrder());
    }
}
