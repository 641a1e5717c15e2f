package dev.sandbox.examples;

import dev.sandbox.Sandbox;
import dev.sandbox.SandboxException;
import dev.sandbox.SandboxResult;
import dev.sandbox.SandboxedProcess;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code sandbox-run}: run one command in a sandbox from the shell, bubblewrap-style.
 *
 * <pre>
 * java -jar examples/target/sandbox-run.jar --pid --net --ro-root --tmpfs /tmp -- sh -c 'ps; ip link'
 * </pre>
 *
 * Exits with the command's exit status (128+n when signal n killed it), 124 on timeout like
 * coreutils' timeout, 125 when the sandbox could not be set up, 2 on a usage error. When a limit
 * or a signal ended the command, one line on stderr names the verdict, e.g.
 * {@code sandbox-run: OOM_KILLED (exit status 137)}.
 */
public final class SandboxRun {

    private static final String USAGE = """
            usage: sandbox-run [options] [--] command [args...]
              --user            new user namespace (caller's ids mapped to themselves)
              --map-root        new user namespace, caller mapped to root inside
              --pid --mount --uts --ipc --net --cgroup --time
                                new namespace of that type
              --hostname NAME   hostname inside (implies --uts)
              --ro-root         read-only view of the host's root
              --empty-root      empty root: only declared mounts
              --bind SRC DST    read-write bind mount
              --ro-bind SRC DST read-only bind mount
              --tmpfs DST       fresh tmpfs (256 MiB)
              --tmpfs-size DST SIZE  fresh tmpfs of SIZE, e.g. 64m
              --cap-add CAP     keep a capability, e.g. SYS_ADMIN or CAP_NET_ADMIN (default: none)
              --seccomp unconfined   no seccomp filter (default: the untrusted-code policy)
              --allow-new-privs setuid binaries may raise privileges (no_new_privs off)
              --same-session    stay in the caller's session (no setsid)
              --run-as-caller   a root caller's command runs as host root (not a leased uid)
              --chdir DIR       working directory inside
              --setenv NAME VAL set an environment variable
              --clearenv        start from an empty environment
              --timeout SECONDS wall-clock limit (then SIGTERM, SIGKILL after the grace period)
              --memory-max SIZE memory limit of the sandbox's own cgroup, e.g. 64m, 1g (swap off)
              --cpus N          CPU bandwidth in cores, e.g. 0.5
              --pids-max N      most processes and threads at once
              --describe        print the spec the helper would get, do not run
              --probe           print what this host supports and exit
            """;

    private SandboxRun() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    static int run(String[] args) throws Exception {
        Sandbox.Builder b = Sandbox.builder().inheritIO();
        boolean describe = false;
        int i = 0;
        try {
            for (; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--")) {
                    i++;
                    break;
                }
                if (!a.startsWith("--")) {
                    break;
                }
                switch (a) {
                    case "--user" -> b.userNs();
                    case "--map-root" -> b.mapRootUser();
                    case "--pid" -> b.pidNs();
                    case "--mount" -> b.mountNs();
                    case "--uts" -> b.utsNs();
                    case "--ipc" -> b.ipcNs();
                    case "--net" -> b.netNs();
                    case "--cgroup" -> b.cgroupNs();
                    case "--time" -> b.timeNs();
                    case "--hostname" -> b.hostname(value(args, ++i, a));
                    case "--ro-root" -> b.readOnlyRoot();
                    case "--empty-root" -> b.emptyRoot();
                    case "--bind" -> b.bind(Path.of(value(args, ++i, a)), value(args, ++i, a));
                    case "--ro-bind" -> b.readOnlyBind(Path.of(value(args, ++i, a)), value(args, ++i, a));
                    case "--tmpfs" -> b.tmpfs(value(args, ++i, a));
                    case "--tmpfs-size" -> b.tmpfs(value(args, ++i, a), size(value(args, ++i, a)));
                    case "--cap-add" -> b.keepCapabilities(capability(value(args, ++i, a)));
                    case "--seccomp" -> {
                        String v = value(args, ++i, a);
                        if (!v.equals("unconfined")) {
                            throw new IllegalArgumentException("--seccomp: got \"" + v + "\"; allowed: unconfined");
                        }
                        b.seccomp(dev.sandbox.SeccompPolicy.unconfined());
                    }
                    case "--allow-new-privs" -> b.allowNewPrivileges();
                    case "--same-session" -> b.sameSession();
                    case "--run-as-caller" -> b.runAsCallerUid();
                    case "--chdir" -> b.workingDirectory(value(args, ++i, a));
                    case "--setenv" -> b.env(value(args, ++i, a), value(args, ++i, a));
                    case "--clearenv" -> b.clearEnv();
                    case "--timeout" -> b.timeout(Duration.ofMillis((long) (Double.parseDouble(value(args, ++i, a)) * 1000)));
                    case "--memory-max" -> b.memoryMax(size(value(args, ++i, a)));
                    case "--cpus" -> b.cpus(Double.parseDouble(value(args, ++i, a)));
                    case "--pids-max" -> b.pidsMax(Long.parseLong(value(args, ++i, a)));
                    case "--describe" -> describe = true;
                    case "--probe" -> {
                        System.out.print(Sandbox.probe().report());
                        return 0;
                    }
                    case "--help" -> {
                        System.out.print(USAGE);
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (i >= args.length) {
                throw new IllegalArgumentException("no command given");
            }
            List<String> command = new ArrayList<>(Arrays.asList(args).subList(i, args.length));
            Sandbox sandbox = b.build();
            if (describe) {
                System.out.print(sandbox.describe(command.toArray(String[]::new)));
                return 0;
            }
            try (SandboxedProcess p = sandbox.start(command)) {
                int code = p.waitFor();
                if (p.failure().isPresent()) {
                    System.err.println("sandbox-run: " + p.failure().get().getMessage());
                    return 125;
                }
                SandboxResult.Status status = p.status();
                if (status != SandboxResult.Status.EXITED) {
                    System.err.println("sandbox-run: " + status + " (exit status " + code + ")");
                }
                return status == SandboxResult.Status.TIMED_OUT ? 124 : code;
            }
        } catch (IllegalArgumentException e) {
            System.err.println("sandbox-run: " + e.getMessage());
            System.err.print(USAGE);
            return 2;
        } catch (SandboxException e) {
            System.err.println("sandbox-run: " + e.getMessage());
            return 125;
        }
    }

    /** 64m, 1g, 512k or plain bytes. */
    private static dev.sandbox.Capability capability(String name) {
        String n = name.toUpperCase(java.util.Locale.ROOT);
        n = n.startsWith("CAP_") ? n.substring(4) : n;
        try {
            return dev.sandbox.Capability.valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--cap-add: got \"" + name + "\"; allowed: a capability name such as SYS_ADMIN");
        }
    }

    private static long size(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        long unit = 1;
        if (t.endsWith("k")) {
            unit = 1L << 10;
        } else if (t.endsWith("m")) {
            unit = 1L << 20;
        } else if (t.endsWith("g")) {
            unit = 1L << 30;
        }
        try {
            return Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1)) * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size: got \"" + text + "\"; allowed: bytes, or a number with k, m or g");
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }
}
