package dev.sandbox;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

/**
 * Runs as an unprivileged user (RootlessIT starts it under setpriv, or in-process when the test
 * itself is unprivileged): starts sandboxes and reports, line by line, what it saw; waits on
 * stdin while the test inspects a running sandbox from outside.
 *
 * <p>Output lines: {@code PID <host pid>}, {@code RESULT <name> <exit> <base64 stdout>},
 * {@code ERROR <name> <base64 message>}, {@code LIMITED <name> <host pid> <memory group> <pids group> <base64 report>} (a
 * sandbox that tried to lift its limits, {@link LiftLimits}, waits for the test to look),
 * {@code RLIMITS <host pid> <base64 report>} (a sandbox with rlimits that tried to raise its hard
 * NOFILE, waits for the test to read its {@code /proc/<pid>/limits}), {@code REUSED <helper> <helper> <init pid>} (the
 * helpers of two sandboxes one after the other, the second running: waits for the test to look),
 * {@code LEFTOVER <daemon pid> <gone> <helper> <helper> <pid>} (a sandbox without a pid namespace left a
 * daemon in its own session; whether it was gone once the sandbox was closed, that sandbox's helper, and
 * the helper and pid of the next one, which runs: waits for the test to look).
 */
public final class RootlessDriver {

    public static void main(String[] args) throws Exception {
        Path writable = Path.of(args[0]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

        Sandbox all = Sandbox.builder().mapRootUser().pidNs().netNs().utsNs().ipcNs().cgroupNs().timeNs()
                .hostname("rootless").readOnlyRoot().tmpfs("/tmp").bind(writable, "/out").build();
        try (SandboxedProcess p = all.start("sleep", "30")) {
            System.out.println("PID " + p.pid());
            System.out.flush();
            in.readLine(); // the test has looked
        }
        // the pool's helper serves sandbox after sandbox for an unprivileged caller too
        Sandbox twice = Sandbox.builder().mapRootUser().pidNs().build();
        long firstHelper;
        try (SandboxedProcess p = twice.start("sleep", "30")) {
            firstHelper = Kernel.parentOf(p.initPid());
            p.destroyForcibly();
            p.waitFor();
        }
        try (SandboxedProcess p = twice.start("sleep", "30")) {
            System.out.println("REUSED " + firstHelper + " " + Kernel.parentOf(p.initPid()) + " " + p.initPid());
            System.out.flush();
            in.readLine(); // the test has looked at the helper
        }
        // a daemon that a sandbox without a pid namespace leaves behind is gone before its helper serves again
        Sandbox noPidNs = Sandbox.builder().mountNs().build();
        long daemon;
        long daemonHelper;
        try (SandboxedProcess p = noPidNs.start("sh", "-c", "setsid sh -c 'sleep 60 >/dev/null & echo $!' </dev/null 2>/dev/null; sleep 0.2")) {
            daemonHelper = Kernel.parentOf(p.pid());
            daemon = Long.parseLong(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine().trim());
            p.waitFor();
        }
        boolean daemonGone = !java.nio.file.Files.exists(Path.of("/proc/" + daemon));
        try (SandboxedProcess p = noPidNs.start("sleep", "30")) {
            System.out.println("LEFTOVER " + daemon + " " + daemonGone + " " + daemonHelper + " " + Kernel.parentOf(p.pid()) + " " + p.pid());
            System.out.flush();
            in.readLine(); // the test has looked for the daemon and at the helper
        }
        result("root-inside", all.run("sh", "-c",
                "id -u; id -g; cat /proc/sys/kernel/hostname; cat /proc/self/uid_map; echo $$; touch /usr/x 2>/dev/null || echo ro; echo hi > /out/file && echo wrote"));
        result("own-uid", Sandbox.builder().userNs().pidNs().build().run("sh", "-c", "id -u; cat /proc/self/uid_map"));
        result("implied-user", Sandbox.builder().netNs().build().run("sh", "-c", "cat /proc/self/uid_map"));
        result("hardened", Sandbox.hardened().build().run("python3", "-c",
                "import os, socket; print(6*7, socket.if_nameindex(), os.path.exists('/home'), os.getuid())"));
        // one verdict per hostile program, as the unprivileged caller sees them
        SandboxResult flood = Sandbox.builder().pidNs().outputLimit(4096).killOnOutputLimit().build().run("yes");
        SandboxResult fsize = Sandbox.builder().pidNs().tmpfs("/tmp").build()
                .run("sh", "-c", "ulimit -f 2; exec head -c 100000 /dev/zero > /tmp/big");
        SandboxResult segv = Sandbox.builder().pidNs().build().run("sh", "-c", "kill -SEGV $$");
        SandboxResult sys = Sandbox.builder().seccomp(SeccompPolicy.builder().rule("getppid", SeccompPolicy.Action.killProcess())
                .build()).build().run("perl", "-e", "print getppid()");
        SandboxResult slow = Sandbox.builder().pidNs().timeout(java.time.Duration.ofMillis(1000)).build().run("sleep", "30");
        System.out.println("RESULT verdicts 0 " + b64(flood.status() + " " + flood.stdout().length() + " " + fsize.status()
                + " " + segv.status() + " " + sys.status() + " " + slow.status()));
        // rlimits bind an unprivileged caller's command too, and it cannot raise the hard one back
        Sandbox limits = Sandbox.builder().mapRootUser().pidNs().bind(writable, "/out").maxOpenFiles(64)
                .maxFileSize(1 << 20).maxStackSize(4 << 20).build();
        try (SandboxedProcess p = limits.start("sh", "-c", "ulimit -H -n 4096 2>/dev/null; echo $?; exec sleep 30")) {
            String raise = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            System.out.println("RLIMITS " + p.pid() + " " + b64(raise));
            System.out.flush();
            in.readLine(); // the test has read /proc/<pid>/limits
        }
        result("rlimits", limits.run("sh", "-c",
                "exec 2>/dev/null; ulimit -n; ulimit -Hn; ulimit -s; ulimit -c; head -c 3000000 /dev/zero > /out/big; echo $?"));
        try {
            Sandbox.builder().maxOpenFiles(Integer.MAX_VALUE);
            System.out.println("ERROR rlimit-above " + b64("no exception"));
        } catch (IllegalArgumentException e) {
            System.out.println("ERROR rlimit-above " + b64(e.getMessage()));
        }
        try {
            Sandbox.builder().pidNs().build().start("/nope");
            System.out.println("ERROR missing-exec " + b64("no exception"));
        } catch (SandboxException e) {
            System.out.println("ERROR missing-exec " + b64(e.getMessage()));
        }
        try {
            Sandbox.builder().pidNs().memoryMax(64L << 20).build().start("true");
            System.out.println("ERROR no-delegation " + b64("no exception"));
        } catch (SandboxException e) {
            System.out.println("ERROR no-delegation " + b64(e.getMessage()));
        }
        try {
            Sandbox.builder().pidNs().cpuTimeLimit(java.time.Duration.ofSeconds(1)).build().start("true");
            System.out.println("ERROR cpu-no-delegation " + b64("no exception"));
        } catch (SandboxException e) {
            System.out.println("ERROR cpu-no-delegation " + b64(e.getMessage()));
        }
        if (args.length > 1) {
            // the CPU time of two busy processes in a group of our own: the limit holds, the group's count says so
            SandboxResult busy = Sandbox.builder().pidNs().cpuTimeLimit(java.time.Duration.ofSeconds(1))
                    .cgroups(dev.sandbox.cgroups.Cgroups.at(dev.sandbox.cgroups.CgroupHost.detect(), args[1])).build()
                    .run("sh", "-c", "while :; do :; done & while :; do :; done");
            System.out.println("RESULT delegated-cpu 0 " + b64(busy.cpuTimeExceeded() + " " + busy.signal() + " "
                    + busy.usage().flatMap(dev.sandbox.cgroups.Usage::cpuTotal).map(java.time.Duration::toNanos).orElse(-1L)));
            // a subtree the test (as root) delegated to us (v1: chowned directories, v2: our own group): limits work there
            Sandbox limited = Sandbox.builder().pidNs().memoryMax(64L << 20)
                    .cgroups(dev.sandbox.cgroups.Cgroups.at(dev.sandbox.cgroups.CgroupHost.detect(), args[1])).build();
            SandboxResult where = limited.run("cat", "/proc/self/cgroup");
            result("delegated-where", where);
            SandboxResult big = limited.run("dd", "if=/dev/zero", "of=/dev/null", "bs=300M", "count=1");
            System.out.println("RESULT delegated-oom 0 " + b64(big.oomKilled() + " " + big.signal()));
            System.out.println("RESULT delegated-verdict 0 " + b64(big.status().toString()));
            // the sandbox owns its group's files like we do: a cgroupfs it mounts starts at its leaf
            // (by default it cannot mount at all; here it keeps CAP_SYS_ADMIN and no seccomp filter)
            SandboxResult mounted = Sandbox.builder().mapRootUser().cgroupNs().pidNs().memoryMax(64L << 20)
                    .keepCapabilities(Capability.SYS_ADMIN).seccomp(SeccompPolicy.unconfined())
                    .cgroups(dev.sandbox.cgroups.Cgroups.at(dev.sandbox.cgroups.CgroupHost.detect(), args[1])).build()
                    .run(LiftLimits.THROUGH_OWN_MOUNT);
            System.out.println("RESULT own-mount-oom 0 " + b64(mounted.oomKilled() + " " + mounted.signal() + " " + mounted.stderr()));
            // it tries to lift its limits by every path: with a cgroup ns, without one, and without a pid ns
            // (then /proc shows every host process, and /proc/<pid>/root their views)
            Sandbox base = Sandbox.builder().mapRootUser().memoryMax(64L << 20).pidsMax(20)
                    .cgroups(dev.sandbox.cgroups.Cgroups.at(dev.sandbox.cgroups.CgroupHost.detect(), args[1])).build();
            java.util.Map<String, Sandbox> lifts = new java.util.LinkedHashMap<>();
            lifts.put("lift-cgroupns", base.newBuilder().pidNs().cgroupNs().build());
            lifts.put("lift-no-cgroupns", base.newBuilder().pidNs().build());
            lifts.put("lift-no-pidns", base.newBuilder().mountNs().cgroupNs().build());
            for (java.util.Map.Entry<String, Sandbox> lift : lifts.entrySet()) {
                String name = lift.getKey();
                try (SandboxedProcess p = lift.getValue().start(LiftLimits.COMMAND)) {
                    java.util.Map<String, Path> leaves = Kernel.groupsOf(p.pid());
                    Path memory = leaves.get("memory").getParent();
                    Path pids = leaves.get("pids").getParent();
                    java.util.List<String> report = LiftLimits.attack(p, memory, pids);
                    System.out.println("LIMITED " + name + " " + p.pid() + " " + memory + " " + pids + " "
                            + b64(String.join("\n", report)));
                    System.out.flush();
                    in.readLine(); // the test has read the group's limits from the host
                    LiftLimits.allocate(p);
                    p.waitFor();
                    System.out.println("RESULT " + name + "-oom 0 " + b64(p.oomKilled() + " " + p.exitValue()));
                }
            }
        }
        try {
            // /root is mode 700 and owned by the host's root, which the user namespace does not map.
            Sandbox.builder().mapRootUser().workingDirectory("/root").build().start("true");
            System.out.println("ERROR cwd-denied " + b64("no exception"));
        } catch (SandboxException e) {
            System.out.println("ERROR cwd-denied " + b64(e.getMessage()));
        }
        // Landlock, unprivileged: without a mount namespace, and in an empty root with a writable bind
        result("landlock-no-mountns", Sandbox.builder().landlockReadOnly("/usr").build()
                .run("sh", "-c", "cat /etc/hostname 2>&1; echo ran"));
        Sandbox.Builder empty = Sandbox.builder().emptyRoot().pidNs().bind(writable, "/out").landlock();
        for (String dir : new String[] {"/usr", "/bin", "/lib", "/lib64"}) {
            if (java.nio.file.Files.exists(Path.of(dir))) {
                empty.readOnlyBind(Path.of(dir), dir);
            }
        }
        result("landlock-empty-root", empty.build().run("sh", "-c", "ls / 2>&1; echo ll > /out/landlock && echo wrote"));
        System.out.flush();
    }

    private static void result(String name, SandboxResult r) {
        System.out.println("RESULT " + name + " " + r.exitCode() + " " + b64(r.stdout() + r.stderr()));
        System.out.flush();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
