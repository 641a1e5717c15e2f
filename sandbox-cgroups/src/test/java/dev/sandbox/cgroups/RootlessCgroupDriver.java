package dev.sandbox.cgroups;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Runs as an unprivileged user (RootlessCgroupIT starts it under setpriv): creates a group with
 * memoryMax and reports, line by line, what happened. Output: {@code ERROR <base64 message>} when
 * create fails; {@code GROUP <child pid> <group name>} when it works, then it waits for a line on
 * stdin (the test inspects the kernel meanwhile), closes the group and prints {@code CLOSED}.
 *
 * <p>Arguments: {@code undelegated} (the default prefix), or {@code delegated <prefix>}.
 */
public final class RootlessCgroupDriver {

    private RootlessCgroupDriver() {
    }

    public static void main(String[] args) throws Exception {
        Limits limits = Limits.builder().memoryMax(64L << 20).build();
        Cgroups cgroups = args[0].equals("delegated") ? Cgroups.at(CgroupHost.detect(), args[1]) : Cgroups.detect();
        Cgroup group;
        try {
            group = cgroups.create(limits);
        } catch (CgroupException e) {
            System.out.println("ERROR " + Base64.getEncoder().encodeToString(e.getMessage().getBytes(StandardCharsets.UTF_8)));
            return;
        }
        Process child = new ProcessBuilder("sleep", "30").start();
        try (Cgroup g = group) {
            g.addProcess(child.pid());
            System.out.println("GROUP " + child.pid() + " " + g.name());
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
        System.out.println("CLOSED");
    }
}
