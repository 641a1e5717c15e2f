package dev.sandbox;

import java.lang.ProcessBuilder.Redirect;

/**
 * A caller whose controlling terminal is its stdin ({@link SecurityIT} starts it under
 * {@code setsid -c} on a pty it owns): its sandboxes get that terminal as stdin and try TIOCSTI.
 * Prints one verdict line per case; each case types its own letter, so the test can tell on the
 * master side which one got through.
 *
 * <ul>
 *   <li>{@code control}: same session, seccomp unconfined — the terminal is the command's
 *       controlling terminal, nothing stands in the way (shows the attack is real here);
 *   <li>{@code session}: a new session, seccomp unconfined — only the session defends;
 *   <li>{@code seccomp}: same session, the default seccomp policy — only seccomp defends.
 * </ul>
 */
public final class TerminalDriver {

    private TerminalDriver() {
    }

    public static void main(String[] args) throws Exception {
        run("control", 'c', Sandbox.builder().sameSession().seccomp(SeccompPolicy.unconfined()));
        run("session", 'a', Sandbox.builder().seccomp(SeccompPolicy.unconfined()));
        run("seccomp", 'b', Sandbox.builder().sameSession());
    }

    private static void run(String name, char letter, Sandbox.Builder b) throws Exception {
        SandboxResult r = b.redirectInput(Redirect.INHERIT).build().run("sh", "-c", Attacks.tiocsti(name, letter));
        System.out.print(r.stdout().isEmpty() ? name + "=error " + r.stderr().strip() + "\n" : r.stdout());
        System.out.flush();
    }
}
