package dev.sandbox;

import dev.sandbox.internal.HelperPool;
import dev.sandbox.internal.Launcher;
import dev.sandbox.internal.Rlimits;
import dev.sandbox.internal.Spec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The command's rlimits as the kernel shows them: {@code /proc/<command pid>/limits} read from the
 * host while it runs, what {@code ulimit} and real writes see inside, and an attempt to raise a hard
 * limit back.
 */
@DisplayName("rlimits: set right before exec, visible in /proc/<pid>/limits, not liftable from inside")
class RlimitsIT {

    private static final int SIGXFSZ = 25;
    private static final long MIB = 1 << 20;

    private static OwnRuntime own;

    @BeforeAll
    static void runtime() throws IOException {
        own = OwnRuntime.open();
    }

    @AfterAll
    static void nothingLeft() throws Exception {
        own.closeAndAssertNothingLeft();
    }

    private static Sandbox.Builder builder() {
        return Sandbox.builder().pidNs().runtime(own.runtime);
    }

    /** {@code /proc/<pid>/limits} as name → {soft, hard}, e.g. "Max open files" → ["77", "77"]. */
    static Map<String, List<String>> limits(long pid) throws IOException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(Path.of("/proc/" + pid + "/limits"));
        String header = lines.get(0);
        int soft = header.indexOf("Soft Limit");
        int hard = header.indexOf("Hard Limit");
        int units = header.indexOf("Units");
        for (String line : lines.subList(1, lines.size())) {
            out.put(line.substring(0, soft).trim(), List.of(line.substring(soft, hard).trim(),
                    line.substring(hard, Math.min(units, line.length())).trim()));
        }
        return out;
    }

    @Test
    @DisplayName("maxFileSize(1 MiB): a 3 MB write dies of SIGXFSZ and leaves 1 MiB on the host")
    void fileSizeLimitKillsTheWriter(@TempDir Path dir) throws Exception {
        Sandbox s = builder().maxFileSize(MIB).bind(dir, "/out").build();
        SandboxResult r = s.run("sh", "-c", "head -c 3000000 /dev/zero > /out/f");
        // sh reports its child's death by signal n as 128+n; when it execs head itself, so does the result
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(128 + SIGXFSZ);
        assertThat(Files.size(dir.resolve("f"))).isEqualTo(MIB);

        SandboxResult direct = s.run("head", "-c", "3000000", "/dev/zero");
        assertThat(direct.signal()).as("head writing to a pipe: FSIZE binds files only").isZero();
        assertThat(direct.stdout()).hasSize(3_000_000);
    }

    @Test
    @DisplayName("maxFileSize(1 MiB) with SIGXFSZ ignored: the program sees EFBIG, the host file stays at 1 MiB")
    void fileSizeLimitIsEfbigWhenTheSignalIsIgnored(@TempDir Path dir) throws Exception {
        SandboxResult r = builder().maxFileSize(MIB).bind(dir, "/out").env("LC_ALL", "C").build()
                .run("sh", "-c", "trap '' XFSZ; head -c 3000000 /dev/zero > /out/f; echo \"head: $?\"");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stderr()).contains("File too large"); // strerror(EFBIG)
        assertThat(r.stdout()).isEqualTo("head: 1\n");
        assertThat(Files.size(dir.resolve("f"))).isEqualTo(MIB);
    }

    @Test
    @DisplayName("defaults: core dumps off, NOFILE 1024 (not the JVM's raised soft limit), the rest the JVM's own")
    void defaultsAreCoreOffAndNofile1024AndTheJvmsOwnForTheRest() throws Exception {
        long nofile = Math.min(Rlimits.DEFAULT_OPEN_FILES, Rlimits.callerHard(Rlimit.NOFILE));
        Map<String, List<String>> jvm = limits(ProcessHandle.current().pid());
        try (SandboxedProcess p = builder().build().start("sleep", "30")) {
            Map<String, List<String>> seen = limits(p.pid());
            assertThat(seen.get("Max core file size")).containsExactly("0", "0");
            assertThat(seen.get("Max open files")).containsExactly("" + nofile, "" + nofile);
            Map<String, List<String>> rest = new LinkedHashMap<>(seen);
            rest.remove("Max core file size");
            rest.remove("Max open files");
            Map<String, List<String>> jvmRest = new LinkedHashMap<>(jvm);
            jvmRest.remove("Max core file size");
            jvmRest.remove("Max open files");
            assertThat(rest).isEqualTo(jvmRest).hasSize(14);
        }
        assertThat(builder().build().run("sh", "-c", "ulimit -n; ulimit -Hn; ulimit -c").stdout())
                .isEqualTo(nofile + "\n" + nofile + "\n0\n");
    }

    @Test
    @DisplayName("every limit set shows in /proc/<command pid>/limits and in ulimit inside")
    void limitsSetShowInProcAndUlimit() throws Exception {
        Sandbox s = builder().maxOpenFiles(77).maxFileSize(3 * MIB).maxStackSize(4 * MIB)
                .rlimit(Rlimit.LOCKS, 100, 200).rlimit(Rlimit.CORE, 4096, 8192).build();
        try (SandboxedProcess p = s.start("sleep", "30")) {
            Map<String, List<String>> seen = limits(p.pid());
            assertThat(seen.get("Max open files")).containsExactly("77", "77");
            assertThat(seen.get("Max file size")).containsExactly("" + 3 * MIB, "" + 3 * MIB);
            assertThat(seen.get("Max stack size")).containsExactly("" + 4 * MIB, "" + 4 * MIB);
            assertThat(seen.get("Max file locks")).containsExactly("100", "200");
            assertThat(seen.get("Max core file size")).containsExactly("4096", "8192");
        }
        // dash: -n in descriptors, -s in KiB, -f in 512-byte blocks
        assertThat(s.run("sh", "-c", "ulimit -n; ulimit -Hn; ulimit -s; ulimit -Hs; ulimit -f").stdout())
                .isEqualTo("77\n77\n4096\n4096\n6144\n");
        assertThat(s.describe("true")).contains("rlimit CORE soft=4096 hard=8192\n", "rlimit FSIZE soft=3145728 hard=3145728\n",
                "rlimit LOCKS soft=100 hard=200\n", "rlimit NOFILE soft=77 hard=77\n", "rlimit STACK soft=4194304 hard=4194304\n");
    }

    @Test
    @DisplayName("a hostile command cannot raise its hard limit back, not even as root inside with CAP_SYS_RESOURCE")
    void theHardLimitCannotBeRaisedFromInside() throws Exception {
        // no seccomp filter: only the kernel stands between the command and its hard limit
        Sandbox s = builder().mapRootUser().keepCapabilities(Capability.SYS_RESOURCE).seccomp(SeccompPolicy.unconfined())
                .maxOpenFiles(64).env("LC_ALL", "C").build();
        try (SandboxedProcess p = s.start("sh", "-c", "ulimit -H -n 4096; echo \"raise: $?\"; ulimit -S -n 4096; "
                + "echo \"soft: $?\"; ulimit -Hn; grep CapEff /proc/self/status; exec sleep 30")) {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            List<String> said = List.of(out.readLine(), out.readLine(), out.readLine(), out.readLine());
            assertThat(said).containsExactly("raise: 2", "soft: 2", "64", "CapEff:\t0000000001000000");
            assertThat(limits(p.pid()).get("Max open files")).containsExactly("64", "64");
            BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
            assertThat(err.readLine()).contains("Operation not permitted");
        }
    }

    @Test
    @DisplayName("a limit the kernel refuses is a failure named rlimit, RLIMIT_<name>, with its errno")
    void aRefusedLimitIsNamed() throws Exception {
        // the builder refuses a hard limit above the JVM's; a spec made without it meets the kernel's EPERM
        long hard = Rlimits.callerHard(Rlimit.NOFILE);
        Sandbox s = builder().build();
        Spec t = s.spec(List.of("true"), null);
        Spec raising = new Spec(t.namespaces(), t.uidMaps(), t.gidMaps(), t.setgroupsDeny(), t.hostname(), t.ops(),
                t.loopback(), t.path(), t.timeoutMillis(), t.graceMillis(), t.args(), t.env(), t.keepCaps(), t.security(),
                t.ids(), t.seccomp(), t.landlock(), t.cpuLimit(), List.of(new Spec.Limit(Rlimit.NOFILE.number(), hard + 1, hard + 1)), null);
        if (dev.sandbox.base.ProcessFacts.root()) {
            raising = raising.withHostIds(65534, 65534, false); // as a root caller's start would lease them
        }
        HelperPool pool = new HelperPool(0, Thread::new);
        Spec spec = raising;
        assertThatThrownBy(() -> Launcher.launch(spec, Redirect.PIPE, Redirect.PIPE, Redirect.PIPE, false, null, pool))
                .isInstanceOfSatisfying(SandboxException.class, e -> {
                    assertThat(e.step()).isEqualTo("rlimit");
                    assertThat(e.path()).isEqualTo("RLIMIT_NOFILE");
                    assertThat(e.errnoName()).isEqualTo("EPERM");
                    assertThat(e.getMessage()).startsWith("rlimit RLIMIT_NOFILE: EPERM").contains("can only lower hard limits");
                });
    }
}
