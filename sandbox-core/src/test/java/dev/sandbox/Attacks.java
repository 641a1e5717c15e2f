package dev.sandbox;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shell scripts a sandboxed command runs to attack its own sandbox, shared by
 * {@link SecurityIT} (root caller) and {@link SecurityDriver} (uid 65534). Every attempt prints
 * one line {@code name=done} or {@code name=refused}; {@link #verdicts} reads them back. An
 * attempt escalates the way a real attacker would (remount, unmount, then try again) and counts
 * as done when its last step worked.
 */
final class Attacks {

    /** Writes {@code $2} to file {@code $1} and fails when open, write or close fails (sysctls fail at write). */
    static final String WRITE = "wr() { perl -e 'open(my $f, \">\", $ARGV[0]) or die \"$!\\n\"; "
            + "print $f $ARGV[1]; close($f) or die \"$!\\n\"' \"$1\" \"$2\"; }; ";

    private Attacks() {
    }

    /** Prints {@code name=done} when {@code command} succeeds, else {@code name=refused}; its own output is dropped. */
    static String attempt(String name, String command) {
        return "if ( " + command + " ) >/dev/null 2>&1; then echo " + name + "=done; else echo " + name + "=refused; fi; ";
    }

    /** Runs {@code command} for its side effects only, whatever it says. */
    static String quietly(String command) {
        return "( " + command + " ) >/dev/null 2>&1; ";
    }

    /** Single-quotes {@code s} for sh. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** Remounts {@code mountPoint} read-write (bind and plain forms) or unmounts it, whichever the kernel lets through. */
    static String makeWritable(String... mountPoints) {
        StringBuilder sb = new StringBuilder();
        for (String m : mountPoints) {
            sb.append(quietly("mount -o remount,bind,rw " + quote(m))).append(quietly("mount -o remount,rw " + quote(m)));
        }
        return sb.toString();
    }

    /** Unmounts {@code mountPoint}, lazily if it is busy. */
    static String unmount(String mountPoint) {
        return attempt("umount" + mountPoint.replace('/', '-'),
                "umount " + quote(mountPoint) + " || umount -l " + quote(mountPoint));
    }

    /** Writes {@code value} (the value already there) to a sysctl or sysfs knob, after trying to make it writable. */
    static String writeKnob(String name, String file, String value, String... mountPoints) {
        return WRITE + "if wr " + quote(file) + " " + quote(value) + " >/dev/null 2>&1; then echo " + name + "=done; else "
                + makeWritable(mountPoints) + attempt(name, "wr " + quote(file) + " " + quote(value)) + "fi; ";
    }

    /** Whether {@code /proc/<hostPid>} exists inside: a host process seen through the sandbox's /proc. */
    static String seesHostPid(long hostPid) {
        return "if test -d /proc/" + hostPid + "; then echo host-pid=visible; else echo host-pid=hidden; fi; ";
    }

    /** TIOCSTI (0x5412) of one byte on stdin, as an attacker who wants to type into the caller's terminal. */
    static String tiocsti() {
        return tiocsti("tiocsti", 'x');
    }

    /**
     * TIOCSTI of {@code c} on stdin, after trying TIOCSCTTY (0x540E), first plain then stealing
     * (arg 1), to make stdin its controlling terminal: TIOCSTI needs no capability on one's own
     * controlling terminal while {@code dev.tty.legacy_tiocsti} is 1.
     */
    static String tiocsti(String name, char c) {
        return "perl -e 'ioctl(STDIN, 0x540E, 0) or ioctl(STDIN, 0x540E, 1); my $c = \"" + c + "\"; "
                + "if (ioctl(STDIN, 0x5412, $c)) { print \"" + name + "=done\\n\" } else { print \"" + name + "=refused $!\\n\" }'; ";
    }

    /** PTRACE_ATTACH (16) of {@code pidExpr} via syscall 101 (x86_64); prints ptrace=done or refused with errno. */
    static String ptraceAttach(String pidExpr) {
        // on success: wait for the attach stop (__WALL), then detach so the monitor runs on
        return "perl -e 'my $p = $ARGV[0] + 0; if (syscall(101, 16, $p, 0, 0) == 0) { waitpid($p, 0x40000000); "
                + "syscall(101, 17, $p, 0, 0); print \"ptrace=done\\n\" } else { print \"ptrace=refused $!\\n\" }' "
                + pidExpr + "; ";
    }

    /**
     * Reaching the caller's JVM ({@code pid}) by other means than a signal: its environment, its
     * memory opened for writing (the open alone does the kernel's ptrace-attach check; nothing is
     * written), and a signal to every process the command may signal ({@code kill -0 -1} succeeds
     * when any process besides the command itself is within reach).
     */
    static String reachJvm(long pid) {
        return attempt("jvm-environ", "head -c1 /proc/" + pid + "/environ")
                + attempt("jvm-mem", "perl -e 'open(my $f, \"+<\", $ARGV[0]) or die \"$!\\n\"' /proc/" + pid + "/mem")
                + attempt("kill-all", "kill -0 -1");
    }

    /** Connects to a unix socket at {@code path}. */
    static String connectUnix(String path) {
        return "perl -e 'use Socket; socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die \"socket: $!\\n\"; "
                + "if (connect($s, pack_sockaddr_un($ARGV[0]))) { print \"connect=done\\n\" } "
                + "else { print \"connect=refused $!\\n\" }' " + quote(path) + "; ";
    }

    /** Creates a System V shared memory segment with {@code key} (IPC_CREAT | 0600). */
    static String shmCreate(int key) {
        return "perl -e 'my $id = shmget(" + key + ", 4096, 01600); "
                + "print defined $id ? \"shm=done $id\\n\" : \"shm=refused $!\\n\"'; ";
    }

    /** Reads the {@code name=value} lines an attack printed; the value is everything after '=' (first word = verdict). */
    static Map<String, String> verdicts(String output) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(0, eq).matches("[a-z0-9-]+")) {
                out.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return out;
    }

    /** The first word of a verdict: done, refused, visible, hidden, ... */
    static String verdict(Map<String, String> verdicts, String name) {
        String v = verdicts.get(name);
        if (v == null) {
            throw new AssertionError("the attack printed no verdict for " + name + ": " + verdicts);
        }
        return v.split(" ", 2)[0];
    }
}
