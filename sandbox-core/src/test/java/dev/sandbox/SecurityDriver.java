package dev.sandbox;

import dev.sandbox.cgroups.CgroupHost;
import dev.sandbox.cgroups.Cgroups;
import dev.sandbox.internal.LibC;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.sandbox.base.Signals.SIGCONT;
import static dev.sandbox.base.Signals.SIGKILL;

/**
 * The unprivileged side of {@link SecurityIT}: runs as uid 65534 (the test starts it under
 * setpriv), performs each attack from inside a sandbox and prints one line per result; while a
 * sandbox runs it names the pids and waits on stdin so the test (root) can read the host's view.
 *
 * <p>Arguments {@code key=value}: {@code work} (prepared by the test: {@code out}, {@code ro/file},
 * {@code hidden/secret}, {@code suid/id}, {@code suid/sleep}), {@code marker} (a number no other
 * process has on its command line), {@code socket} (a host unix socket), {@code shmKey},
 * {@code delegated} (a cgroup prefix delegated to us: chowned v1 directories, or below our own delegated v2 group; optional).
 *
 * <p>Output lines: {@code PID <name> <command pid> <helper pid>},
 * {@code RESULT <name> <exit> <signal> <base64 stdout+stderr>}, {@code ERROR <name> <base64 message>}.
 */
public final class SecurityDriver {

    private static BufferedReader in;

    private SecurityDriver() {
    }

    /**
     * The configurations whose command must run with no capabilities, no_new_privs, seccomp and
     * its own session, keyed by a name without spaces. {@code limitsIn}: where the limited one
     * gets its groups (null: the library's default).
     */
    static Map<String, Sandbox.Builder> matrix(Path writable, Cgroups limitsIn) {
        Map<String, Sandbox.Builder> m = new LinkedHashMap<>();
        m.put("no-namespaces", Sandbox.builder());
        m.put("userNs", Sandbox.builder().userNs());
        m.put("mapRootUser+pidNs+mountNs", Sandbox.builder().mapRootUser().pidNs().mountNs());
        m.put("readOnlyRoot+netNs", Sandbox.builder().readOnlyRoot().netNs());
        Sandbox.Builder empty = Sandbox.builder().emptyRoot().readOnlyBind(Path.of("/usr"), "/usr").bind(writable, "/out");
        for (String link : List.of("/bin", "/lib", "/lib64")) {
            if (Files.exists(Path.of(link))) {
                empty.readOnlyBind(Path.of(link), link);
            }
        }
        m.put("emptyRoot+binds", empty);
        Sandbox.Builder limited = Sandbox.builder().pidNs().memoryMax(64L << 20).pidsMax(64);
        if (limitsIn != null) {
            limited.cgroups(limitsIn);
        }
        m.put("limits", limited);
        return m;
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (String a : argv) {
            args.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        Path work = Path.of(args.get("work"));
        String marker = args.get("marker");
        String hidden = work.resolve("hidden").toString();
        long self = ProcessHandle.current().pid();
        in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Cgroups delegated = args.containsKey("delegated") ? Cgroups.at(CgroupHost.detect(), args.get("delegated")) : null;

        for (Map.Entry<String, Sandbox.Builder> e : matrix(work.resolve("out"), delegated).entrySet()) {
            if (e.getKey().equals("limits") && delegated == null) {
                continue; // no subtree delegated to uid 65534 on this host: limits fail closed (RootlessIT)
            }
            step("matrix:" + e.getKey(), () -> {
                try (SandboxedProcess p = e.getValue().build().start("/bin/sleep", "30")) {
                    look("matrix:" + e.getKey(), p.pid(), -1);
                }
            });
        }

        step("ro-bind", () -> result("ro-bind", Sandbox.builder().mapRootUser().readOnlyBind(work.resolve("ro"), "/data").build()
                .run("sh", "-c", Attacks.makeWritable("/data") + Attacks.WRITE + Attacks.attempt("ro-write", "wr /data/file changed"))));
        step("tmpfs", () -> result("tmpfs", Sandbox.builder().mapRootUser().tmpfs(hidden).build()
                .run("sh", "-c", Attacks.attempt("umount-tmpfs", "umount " + hidden + " || umount -l " + hidden)
                        + "echo secret=$(cat " + hidden + "/secret 2>/dev/null)")));
        step("proc", () -> result("proc", Sandbox.builder().mapRootUser().pidNs().build()
                .run("sh", "-c", Attacks.attempt("umount-proc", "umount /proc || umount -l /proc") + Attacks.seesHostPid(self))));
        // The same three, keeping CAP_SYS_ADMIN without a seccomp filter: only the locked view stands in the way.
        step("locked", () -> result("locked", Sandbox.builder().mapRootUser().pidNs()
                .readOnlyBind(work.resolve("ro"), "/data").tmpfs(hidden)
                .keepCapabilities(Capability.SYS_ADMIN).seccomp(SeccompPolicy.unconfined()).build()
                .run("sh", "-c", "grep CapEff /proc/self/status; "
                        + Attacks.attempt("umount-proc", "umount /proc || umount -l /proc") + Attacks.seesHostPid(self)
                        + Attacks.makeWritable("/data") + Attacks.WRITE + Attacks.attempt("ro-write", "wr /data/file changed")
                        + Attacks.attempt("umount-tmpfs", "umount " + hidden + " || umount -l " + hidden)
                        + "echo secret=$(cat " + hidden + "/secret 2>/dev/null)")));
        step("tiocsti", () -> {
            try (Pty pty = Pty.open()) {
                SandboxResult r = Sandbox.builder().redirectInput(Redirect.from(new File(pty.slavePath()))).build()
                        .run("sh", "-c", Attacks.tiocsti());
                String master = pty.readMaster(300);
                System.out.println("RESULT tiocsti " + r.exitCode() + " " + r.signal() + " "
                        + b64(r.stdout() + r.stderr() + "master=" + master.replace("\n", "\\n").replace("\r", "\\r") + "\n"));
            }
        });

        step("stop", () -> {
            StopOutcome o = stopMonitor(marker, (command, helper) -> look("stop", command, helper));
            System.out.println("RESULT stop 0 0 " + b64("returned=" + o.returned() + "\ntimed-out=" + o.timedOut() + "\n"));
        });
        step("kill", () -> killMonitor(marker));
        step("monitor-access", () -> {
            try (SandboxedProcess p = Sandbox.builder().build().start("sh", "-c",
                    "read go; " + Attacks.ptraceAttach("$PPID") + Attacks.attempt("environ", "cat /proc/$PPID/environ"))) {
                long helper = Kernel.stat(p.pid(), 4);
                go(p);
                finish("monitor-access", p, helper);
            }
        });
        step("jvm", () -> result("jvm", Sandbox.builder().build().run("sh", "-c",
                Attacks.attempt("signal-jvm", "kill -0 " + self) + Attacks.attempt("cont-jvm", "kill -CONT " + self)
                        + Attacks.reachJvm(self))));

        step("socket", () -> result("socket", Sandbox.builder().readOnlyRoot().netNs().build()
                .run("sh", "-c", Attacks.connectUnix(args.get("socket")) + "echo run=$(ls -A /run | tr '\\n' ' ')")));
        int key = Integer.parseInt(args.get("shmKey"));
        step("shm", () -> result("shm", Sandbox.builder().build().run("sh", "-c", Attacks.shmCreate(key))));
        if (delegated != null) {
            step("shm-limits", () -> result("shm-limits", Sandbox.builder().memoryMax(64L << 20).cgroups(delegated).build()
                    .run("sh", "-c", Attacks.shmCreate(key + 1))));
        }
        step("unshare", () -> result("unshare", Sandbox.builder().build().run("unshare", "-U", "true")));

        step("setuid-id", () -> result("setuid-id", Sandbox.builder().build().run(work.resolve("suid/id").toString(), "-u")));
        step("setuid-sleep", () -> {
            try (SandboxedProcess p = Sandbox.builder().build().start(work.resolve("suid/sleep").toString(), "30")) {
                look("setuid-sleep", p.pid(), -1);
            }
        });
        step("bind-owner", () -> result("bind-owner", Sandbox.builder().mapRootUser().bind(work.resolve("out"), "/out").build()
                .run("sh", "-c", "echo x > /out/owned")));
        System.out.flush();
        System.exit(0); // a close() stuck on a killed monitor must not keep this JVM alive
    }

    /** How attack 6's SIGSTOP went: the monitor's pid, whether run() came back within 6 s, and timed out. */
    record StopOutcome(long helper, boolean returned, boolean timedOut, Duration took) {
    }

    /** Looks at a running sandbox from outside: its command's and its monitor's pid. */
    interface WhileRunning {
        void look(long command, long helper) throws Exception;
    }

    /**
     * Attack 6: SIGSTOP to the monitor, under a 1 s timeout that must still end the sandbox.
     * Through run() on another thread: a monitor stopped before it reported the command would
     * block start() for good. A monitor left stopped is continued, so the sandbox can end.
     */
    static StopOutcome stopMonitor(String marker, WhileRunning whileRunning) throws Exception {
        Sandbox s = Sandbox.builder().timeout(Duration.ofSeconds(1)).killGracePeriod(Duration.ofMillis(200)).build();
        long t0 = System.nanoTime();
        CompletableFuture<SandboxResult> run = CompletableFuture.supplyAsync(() -> {
            try {
                return s.run("sh", "-c", "kill -STOP $PPID; exec sleep " + marker);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long command = SecurityIT.awaitProcess("sleep " + marker, 3000); // exec'd: the kill is done
        if (command < 0) {
            throw new IllegalStateException("no process sleep " + marker + " within 3 s");
        }
        long helper = Kernel.stat(command, 4);
        whileRunning.look(command, helper);
        SandboxResult r = null;
        try {
            r = run.get(6, TimeUnit.SECONDS);
        } catch (TimeoutException stuck) {
            LibC.get().kill((int) helper, SIGCONT);
            run.get(10, TimeUnit.SECONDS);
        }
        return new StopOutcome(helper, r != null, r != null && r.timedOut(), Duration.ofNanos(System.nanoTime() - t0));
    }

    /** Attack 6: SIGKILL to the monitor after starting a grandchild in its own session. */
    private static void killMonitor(String marker) throws Exception {
        String m = marker + "1";
        SandboxedProcess p = Sandbox.builder().build()
                .start("sh", "-c", "read go; setsid sleep " + m + " & kill -KILL $PPID; echo killed; exec sleep " + m);
        long helper = Kernel.stat(p.pid(), 4);
        go(p);
        SandboxIT.readLine(p.getInputStream());
        SecurityIT.awaitProcesses("sleep " + m, 2, 3000);
        look("kill", p.pid(), helper);
        Thread closer = new Thread(p::close);
        closer.setDaemon(true);
        closer.start();
        closer.join(10_000);
        SecurityIT.awaitProcesses("sleep " + m, 0, 3000);
        System.out.println("RESULT kill 0 0 " + b64("closed=" + !closer.isAlive() + "\nleft=" + Kernel.processesWith("sleep " + m) + "\n"));
    }

    /** One attack; a failure to even start it is reported, and the next attack runs. */
    private interface Step {
        void run() throws Exception;
    }

    private static void step(String name, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            error(name, e);
        }
    }

    private static void go(SandboxedProcess p) throws IOException {
        OutputStream o = p.getOutputStream();
        o.write("go\n".getBytes(StandardCharsets.UTF_8));
        o.flush();
    }

    /** Waits for the command; a monitor left stopped by a successful attack is continued first. */
    private static void finish(String name, SandboxedProcess p, long helper) throws Exception {
        if (!p.waitFor(3, TimeUnit.SECONDS)) {
            LibC.get().kill((int) helper, SIGCONT);
            p.waitFor(10, TimeUnit.SECONDS);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println("RESULT " + name + " " + p.exitValue() + " 0 " + b64(out + err));
    }

    /** Names a running sandbox's pids and waits until the test has looked at them. */
    private static void look(String name, long pid, long helper) throws IOException {
        System.out.println("PID " + name + " " + pid + " " + helper);
        System.out.flush();
        in.readLine();
    }

    private static void result(String name, SandboxResult r) {
        System.out.println("RESULT " + name + " " + r.exitCode() + " " + r.signal() + " " + b64(r.stdout() + r.stderr()));
        System.out.flush();
    }

    private static void error(String name, Exception e) {
        System.out.println("ERROR " + name + " " + b64(String.valueOf(e.getMessage())));
        System.out.flush();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
