package dev.sandbox;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A sandboxed shell that tries to lift its own memoryMax and pidsMax by every path it can reach:
 * a cgroup file system it mounts itself (in its own cgroup namespace, or in one it makes with
 * {@code unshare --cgroup}), the group's and the leaf's limit files as the host's
 * {@code /sys/fs/cgroup} shows them, the same through every {@code /proc/<pid>/root} it sees, and
 * moving itself out of the group into the directories above. Tests check from the host that
 * nothing changed.
 *
 * <p>Start {@link #COMMAND}; {@link #attack} hands it the host paths of its groups and returns
 * its report, one line per attempt: {@code wrote <path>}, {@code refused <path>},
 * {@code mounted <controller> (<how>) at <its /proc/self/cgroup line>} or {@code refused mount ...};
 * {@link #allocate} then lets it allocate 300 MiB with {@code dd}.
 */
final class LiftLimits {

    private LiftLimits() {
    }

    private static final String TRY = "try() { [ -e \"$1\" ] || return 0; "
            + "if ( printf '%s\\n' \"$2\" > \"$1\" ) 2>/dev/null; then echo \"wrote $1\"; else echo \"refused $1\"; fi; }\n";

    /** Mounts each controller's hierarchy at /mnt (its root is the cgroup namespace's) and writes there. */
    private static final String OWN_MOUNT = TRY
            + "if mount -t cgroup2 none /mnt 2>/dev/null; then\n"
            + "  echo \"mounted cgroup2 ($0) at $(grep '^0::' /proc/self/cgroup)\"\n"
            + "  try /mnt/memory.swap.max max; try /mnt/memory.max max; try /mnt/memory.high max; try /mnt/pids.max max\n"
            + "  try /mnt/cgroup.subtree_control '+memory +pids'\n"
            + "  umount /mnt\n"
            + "else echo \"refused mount cgroup2 ($0)\"; fi\n"
            + "for c in memory pids; do\n"
            + "  if mount -t cgroup -o \"$c\" cgroup /mnt 2>/dev/null; then\n"
            + "    echo \"mounted $c ($0) at $(grep \":$c:\" /proc/self/cgroup)\"\n"
            + "    try /mnt/memory.memsw.limit_in_bytes 4294967296; try /mnt/memory.limit_in_bytes 4294967296\n"
            + "    try /mnt/pids.max max\n"
            + "    umount /mnt\n"
            + "  else echo \"refused mount $c ($0)\"; fi\n"
            + "done\n";

    private static final String MAIN = TRY
            + "read mem pids\n"
            // its own mounts first: a move out of the group below would change where they start
            + "sh -c \"$1\" own-cgroupns\n"
            + "unshare --cgroup sh -c \"$1\" unshare-cgroupns 2>/dev/null || echo 'refused unshare --cgroup'\n"
            + "for root in '' /proc/[0-9]*/root; do\n"
            + "  for g in \"$mem\" \"$mem/sandbox\"; do\n"
            // memsw first: v1 refuses a memory limit above the memory+swap one, which is no protection
            + "    try \"$root$g/memory.memsw.limit_in_bytes\" 4294967296; try \"$root$g/memory.limit_in_bytes\" 4294967296\n"
            // v2's names
            + "    try \"$root$g/memory.swap.max\" max; try \"$root$g/memory.max\" max; try \"$root$g/memory.high\" max\n"
            + "    try \"$root$g/cgroup.subtree_control\" '+memory +pids'\n"
            + "  done\n"
            + "  for g in \"$pids\" \"$pids/sandbox\"; do try \"$root$g/pids.max\" max; done\n"
            + "  for g in \"$mem/..\" \"$mem/../..\" \"$pids/..\" \"$pids/../..\"; do try \"$root$g/cgroup.procs\" $$; done\n"
            + "done\n"
            + "echo DONE\n"
            + "read _\n"
            + "exec dd if=/dev/zero of=/dev/null bs=300M count=1 2>/dev/null\n";

    /** The command to start in the sandbox. */
    static final List<String> COMMAND = List.of("sh", "-c", MAIN, "lift-limits", OWN_MOUNT);

    /**
     * Mounts its memory hierarchy (where its cgroup namespace starts), raises the memory limit
     * there to 4 GiB, says what happened on stderr, then allocates 300 MiB: OOM-killed if the
     * limit held.
     */
    static final List<String> THROUGH_OWN_MOUNT = List.of("sh", "-c", "{ if ! grep -q :memory: /proc/self/cgroup; then"
            // v2: the memory controller is on the unified hierarchy
            + " mount -t cgroup2 none /mnt && grep ^0:: /proc/self/cgroup && cd /mnt && printf max > memory.max 2>/dev/null"
            + " && echo raised;"
            + " elif mount -t cgroup -o memory cgroup /mnt"
            + " && grep :memory: /proc/self/cgroup && cd /mnt && { printf 4294967296 > memory.memsw.limit_in_bytes;"
            // memory+swap may not be below memory: raising needs it first, lowering last
            + " printf 4294967296 > memory.limit_in_bytes && printf 4294967296 > memory.memsw.limit_in_bytes; } 2>/dev/null;"
            + " then echo raised; fi; } >&2; exec dd if=/dev/zero of=/dev/null bs=300M count=1 2>/dev/null");

    /**
     * Gives the sandbox the host paths of its memory and pids groups (the parents of its leaves)
     * and returns its report once it has tried everything.
     */
    static List<String> attack(SandboxedProcess p, Path memoryGroup, Path pidsGroup) throws IOException {
        OutputStream in = p.getOutputStream();
        in.write((memoryGroup + " " + pidsGroup + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> report = new ArrayList<>();
        for (String line = out.readLine(); line != null && !line.equals("DONE"); line = out.readLine()) {
            report.add(line);
        }
        return report;
    }

    /** Lets the sandbox go on to allocate 300 MiB. */
    static void allocate(SandboxedProcess p) throws IOException {
        p.getOutputStream().write('\n');
        p.getOutputStream().close();
    }

    /** The report's lines that say a write into the host's view of cgroupfs succeeded. */
    static List<String> hostWrites(List<String> report) {
        return report.stream().filter(l -> l.startsWith("wrote ") && !l.startsWith("wrote /mnt/")).toList();
    }
}
