package dev.sandbox.cgroups.internal;

import dev.sandbox.base.Errno;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("cgroupfs file formats and errno names")
class FormatsTest {

    @Test
    void flatKeyedFiles() {
        String cpuStat = "usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 0\n";
        assertThat(Formats.flatKeyed(cpuStat)).containsEntry("usage_usec", 2000L).containsEntry("system_usec", 500L);
        assertThat(Formats.key("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill")).hasValue(3);
        assertThat(Formats.key("populated 1\n", "frozen")).isEmpty();
    }

    @Test
    void singleValuesAndMax() {
        assertThat(Formats.single("67108864\n")).isEqualTo(67108864L);
        assertThat(Formats.single("max\n")).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void pidsAndWords() {
        assertThat(Formats.pids("12\n345\n")).containsExactly(12L, 345L);
        assertThat(Formats.pids("")).isEmpty();
        assertThat(Formats.words("cpuset cpu io memory pids\n")).containsExactly("cpuset", "cpu", "io", "memory", "pids");
        assertThat(Formats.words("+memory +pids")).isEqualTo(Set.of("memory", "pids"));
        assertThat(Formats.words("\n")).isEmpty();
    }

    @Test
    void cpuLists() {
        assertThat(CpuList.format(CpuList.parse("0-2,4,5,7-7"))).isEqualTo("0-2,4-5,7");
        assertThat(CpuList.parse("\n").isEmpty()).isTrue();
        assertThatThrownBy(() -> CpuList.parse("1,,2")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CpuList.parse("9000")).hasMessage("CPU 9000 is above 8191");
    }

    @Test
    void errnoFromExceptionTypesNeverFromText() {
        assertThat(Errno.of(new AccessDeniedException("/x"))).isEqualTo(Errno.EACCES);
        assertThat(Errno.of(new NoSuchFileException("/x"))).isEqualTo(Errno.ENOENT);
        assertThat(Errno.of(Errno.exception("/x", Errno.EBUSY))).isEqualTo(Errno.EBUSY);
        assertThat(Errno.of(Errno.exception("/x", Errno.ENOENT))).isInstanceOf(Integer.class).isEqualTo(Errno.ENOENT);
        assertThat(Errno.exception("/x", Errno.ENOENT)).isInstanceOf(NoSuchFileException.class);
        // message text is the C library's strerror, translated by the locale: it is never parsed
        assertThat(Errno.of(new FileSystemException("/x", null, "Device or resource busy"))).isZero();
        assertThat(Errno.of(new IOException("Invalid argument"))).isZero();
    }

}
