package dev.sandbox.base;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ErrnoTest {

    /** Every name jnr-constants' generic table knows, with the value it gives on this machine. */
    private static Map<String, Long> table() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (jnr.constants.platform.Errno e : jnr.constants.platform.Errno.values()) {
            if (e.defined() && e != jnr.constants.platform.Errno.__UNKNOWN_CONSTANT__) {
                m.put(e.name(), (long) e.intValue());
            }
        }
        return m;
    }

    /** The constants Errno declares (EPERM, ENOENT, …), by reflection. */
    private static Map<String, Long> declared() throws IllegalAccessException {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Field f : Errno.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                m.put(f.getName(), (long) f.getInt(null));
            }
        }
        return m;
    }

    @Test
    @DisplayName("the table and Errno's constants match <errno.h> of this machine, as the C compiler sees it")
    void matchesErrnoHOfThisMachine(@TempDir Path tmp) throws Exception {
        CHeaders.require(CHeaders.onPath("gcc"), "needs gcc to read <errno.h>");
        Map<String, Long> table = table();
        Map<String, Long> c = CHeaders.values("gcc", "errno.h", table.keySet(), tmp);
        assertThat(c).as("names <errno.h> defines").hasSizeGreaterThan(120);
        List<String> ours = new ArrayList<>();
        for (String name : c.keySet()) {
            ours.add(name + "=" + table.get(name));
        }
        assertThat(ours).containsExactlyElementsOf(CHeaders.lines(c));
        assertThat(c.keySet()).as("the names messages use are all in <errno.h>")
                .contains("EPERM", "ENOENT", "EBUSY", "EINVAL", "ENOTEMPTY", "ESRCH", "EROFS", "EUSERS");
        Map<String, Long> declared = declared();
        assertThat(declared).hasSizeGreaterThan(20);
        assertThat(CHeaders.lines(CHeaders.values("gcc", "errno.h", declared.keySet(), tmp)))
                .containsExactlyElementsOf(CHeaders.lines(declared));
    }

    @Test
    @DisplayName("jnr-constants' aarch64 table matches aarch64's <errno.h> (cross headers)")
    void aarch64TableMatchesItsHeaders(@TempDir Path tmp) throws Exception {
        CHeaders.require(CHeaders.onPath("aarch64-linux-gnu-gcc"),
                "needs aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu, installed by .ci/run) to read aarch64's <errno.h>");
        Map<String, Long> table = new LinkedHashMap<>();
        for (jnr.constants.platform.linux.aarch64.Errno e : jnr.constants.platform.linux.aarch64.Errno.values()) {
            if (e.defined()) {
                table.put(e.name(), e.longValue());
            }
        }
        Map<String, Long> c = CHeaders.values("aarch64-linux-gnu-gcc", "errno.h", table.keySet(), tmp);
        assertThat(c).hasSizeGreaterThan(120);
        List<String> ours = new ArrayList<>();
        for (String name : c.keySet()) {
            ours.add(name + "=" + table.get(name));
        }
        assertThat(ours).containsExactlyElementsOf(CHeaders.lines(c));
        // x86_64 and aarch64 share the generic numbering, so one table serves both
        for (Map.Entry<String, Long> e : declared().entrySet()) {
            assertThat(c.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void namesNumbersAndDescriptions() {
        assertThat(Errno.name(Errno.ENOENT)).isEqualTo("ENOENT");
        assertThat(Errno.number("EBUSY")).isEqualTo(Errno.EBUSY);
        assertThat(Errno.number("ENOSUCH")).isZero();
        assertThat(Errno.describe(Errno.EACCES)).isEqualTo("EACCES (Permission denied)");
        assertThat(Errno.describe(Errno.EBUSY)).isEqualTo("EBUSY (Device or resource busy)");
        assertThat(Errno.name(9999)).isEqualTo("errno 9999");
        assertThat(Errno.description(9999)).isEqualTo("unknown error");
        assertThat(Errno.known(0)).isFalse();
        assertThat(Errno.known(Errno.EINVAL)).isTrue();
    }

    @Test
    @DisplayName("the errno of an exception comes from its type or the call, never from its text")
    void ofExceptions() {
        assertThat(Errno.of(new NoSuchFileException("/x"))).isEqualTo(Errno.ENOENT);
        assertThat(Errno.of(new AccessDeniedException("/x"))).isEqualTo(Errno.EACCES);
        assertThat(Errno.of(new FileAlreadyExistsException("/x"))).isEqualTo(Errno.EEXIST);
        assertThat(Errno.of(new DirectoryNotEmptyException("/x"))).isEqualTo(Errno.ENOTEMPTY);
        assertThat(Errno.of(new NotDirectoryException("/x"))).isEqualTo(Errno.ENOTDIR);
        assertThat(Errno.of(new ErrnoException("/x", Errno.EBUSY))).isEqualTo(Errno.EBUSY);
        assertThat(Errno.of(new FileSystemException("/x", null, "Device or resource busy"))).isZero();
        assertThat(Errno.of(new FileSystemException("/x", null, "Das Gerät oder die Ressource ist belegt"))).isZero();
        assertThat(Errno.of(new IOException("Invalid argument"))).isZero();
    }

    @Test
    @DisplayName("exception() keeps the JDK's exact types, so callers that catch them keep working")
    void exceptionTypes() {
        assertThat(Errno.exception("/x", Errno.ENOENT)).isInstanceOf(NoSuchFileException.class)
                .hasMessage("/x: ENOENT (No such file or directory)");
        assertThat(Errno.exception("/x", Errno.EACCES)).isInstanceOf(AccessDeniedException.class);
        assertThat(Errno.exception("/x", Errno.EEXIST)).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Errno.exception("/x", Errno.ENOTEMPTY)).isInstanceOf(DirectoryNotEmptyException.class);
        assertThat(Errno.exception("/x", Errno.ENOTDIR)).isInstanceOf(NotDirectoryException.class);
        assertThat(Errno.exception("/x", Errno.EBUSY)).isInstanceOf(ErrnoException.class)
                .hasMessage("/x: EBUSY (Device or resource busy)");
        for (int errno : new int[] {Errno.ENOENT, Errno.EACCES, Errno.EEXIST, Errno.ENOTEMPTY, Errno.ENOTDIR, Errno.EBUSY,
            Errno.EINVAL}) {
            assertThat(Errno.of(Errno.exception("/x", errno))).isEqualTo(errno);
        }
    }

    @Test
    @DisplayName("a failed Posix call reports the kernel's errno")
    void posixErrno(@TempDir Path tmp) {
        Posix posix = Posix.get();
        assertThat(posix.rmdir(Encoding.cString(tmp.resolve("missing").toString()))).isEqualTo(-1);
        assertThat(Posix.errno()).isEqualTo(Errno.ENOENT);
        assertThat(posix.mkdir(Encoding.cString(tmp.toString()), 0700)).isEqualTo(-1);
        assertThat(Posix.errno()).isEqualTo(Errno.EEXIST);
        assertThat(posix.close(-1)).isEqualTo(-1);
        assertThat(Posix.errno()).isEqualTo(Errno.EBADF);
    }
}
