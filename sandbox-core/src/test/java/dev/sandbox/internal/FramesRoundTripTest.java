package dev.sandbox.internal;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The helper's frame encoders ({@code frames.c}, through {@code sandbox-helper --describe-frames})
 * and the Java decoder ({@link Frames}) agree on every frame.
 */
@Label("sandbox-helper frame encoders and the Frames decoder")
class FramesRoundTripTest {

    /** The step and path bounds of error.h (SBX_STEP_MAX, SBX_ERRPATH_MAX), less the terminator. */
    private static final int STEP_MAX = 31;
    private static final int PATH_MAX = 4095;

    @Property(tries = 300)
    @Label("round-trip arbitrary STARTED, ERROR and EXIT frames (any bytes but NUL, boundary ints)")
    void roundTrips(@ForAll("frameLists") List<Object> frames) throws Exception {
        assertThat(decode(helperEncodes(frames))).isEqualTo(frames);
    }

    @Example
    @Label("the helper cuts a step and a path to their bounds, as it does when it records a failure")
    void cutsLongStepAndPath() throws Exception {
        byte[] step = "a-step-name-longer-than-its-bound-allows".getBytes(StandardCharsets.US_ASCII);
        byte[] path = new byte[PATH_MAX + 10];
        java.util.Arrays.fill(path, (byte) 'p');
        List<Object> got = decode(helperEncodes(List.of(new Frames.Failure(-1, step, path))));
        assertThat(got).containsExactly(new Frames.Failure(-1, java.util.Arrays.copyOf(step, STEP_MAX),
                java.util.Arrays.copyOf(path, PATH_MAX)));
    }

    @Example
    @Label("the EXIT flags keep their meaning through the helper's encoder: CPU time apart from the wall clock")
    void exitFlags() throws Exception {
        int killedBySigkill = 9;
        List<Object> got = decode(helperEncodes(List.of(
                new Exit(killedBySigkill, Protocol.EXIT_CPU_TIME, 1, 2, 3, null),
                new Exit(killedBySigkill, Protocol.EXIT_TIMED_OUT, 1, 2, 3, null))));
        assertThat(got).hasSize(2);
        Exit cpu = (Exit) got.get(0);
        Exit wall = (Exit) got.get(1);
        assertThat(cpu.cpuTimeExceeded()).isTrue();
        assertThat(cpu.timedOut()).isFalse();
        assertThat(cpu.destroyed()).isFalse();
        assertThat(wall.cpuTimeExceeded()).isFalse();
        assertThat(wall.timedOut()).isTrue();
    }

    @Example
    @Label("a malformed frame is refused, naming its type")
    void refusesMalformedFrames() {
        assertThatThrownBy(() -> Frames.error(new Frames.Frame(Protocol.FRAME_ERROR, new byte[] {0, 0, 0, 0, 9, 0, 0, 0})))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("malformed ERROR frame");
        assertThatThrownBy(() -> Frames.exit(new Frames.Frame(Protocol.FRAME_EXIT, new byte[31])))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("malformed EXIT frame");
        assertThatThrownBy(() -> Frames.started(new Frames.Frame(Protocol.FRAME_EXIT, new byte[8])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: STARTED");
        assertThatThrownBy(() -> Frames.read(new byte[] {1, 0, 0, 0, -1, -1, -1, -1}, 8))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("malformed frame");
    }

    @Example
    @Label("the helper refuses a malformed description line")
    void helperRefusesMalformedLines() throws Exception {
        for (String line : List.of("started 1", "error 1 00 -", "exit 0 -1 0 0 0", "started 2147483648 1", "hello 1")) {
            Process p = new ProcessBuilder(HelperBinary.command("--describe-frames")).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(line).isEqualTo(2);
            assertThat(err).as(line).contains("line 1: malformed");
        }
    }

    /** Every frame in {@code bytes}, decoded by its type; fails on trailing bytes. */
    private static List<Object> decode(byte[] bytes) {
        List<Object> out = new ArrayList<>();
        int at = 0;
        while (at < bytes.length) {
            byte[] rest = java.util.Arrays.copyOfRange(bytes, at, bytes.length);
            Frames.Frame f = Frames.read(rest, rest.length);
            assertThat(f).as("a whole frame at byte " + at).isNotNull();
            out.add(switch (f.type()) {
                case Protocol.FRAME_STARTED -> Frames.started(f);
                case Protocol.FRAME_ERROR -> Frames.error(f);
                case Protocol.FRAME_EXIT -> Frames.exit(f);
                default -> throw new AssertionError("frame type " + f.type());
            });
            at += Frames.HEADER_BYTES + f.payload().length;
        }
        return out;
    }

    private static byte[] helperEncodes(List<Object> frames) throws IOException, InterruptedException {
        StringBuilder text = new StringBuilder();
        HexFormat hex = HexFormat.of();
        for (Object f : frames) {
            if (f instanceof Frames.Started s) {
                text.append("started ").append(s.childPid()).append(' ').append(s.commandPid());
            } else if (f instanceof Frames.Failure e) {
                text.append("error ").append(e.errno())
                        .append(' ').append(e.step().length == 0 ? "-" : hex.formatHex(e.step()))
                        .append(' ').append(e.path().length == 0 ? "-" : hex.formatHex(e.path()));
            } else {
                Exit x = (Exit) f;
                text.append("exit ").append(x.waitStatus()).append(' ').append(Integer.toUnsignedString(x.flags()))
                        .append(' ').append(x.userMicros()).append(' ').append(x.systemMicros())
                        .append(' ').append(x.maxRssKib());
            }
            text.append('\n');
        }
        Path err = Files.createTempFile("describe-frames", ".err");
        try {
            Process p = new ProcessBuilder(HelperBinary.command("--describe-frames")).redirectError(err.toFile()).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(text.toString().getBytes(StandardCharsets.US_ASCII));
            }
            byte[] out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(Files.readString(err)).isZero();
            return out;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    @Provide
    Arbitrary<List<Object>> frameLists() {
        Arbitrary<Integer> ints = Arbitraries.oneOf(Arbitraries.integers(),
                Arbitraries.of(Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE));
        Arbitrary<Long> longs = Arbitraries.oneOf(Arbitraries.longs(),
                Arbitraries.of(Long.MIN_VALUE, -1L, 0L, 999_999L, 1_000_000L, Long.MAX_VALUE));
        Arbitrary<Object> started = Combinators.combine(ints, ints).as(Frames.Started::new);
        Arbitrary<Object> error = Combinators.combine(ints, noNul(STEP_MAX), noNul(PATH_MAX)).as(Frames.Failure::new);
        Arbitrary<Object> exit = Combinators.combine(ints, ints, longs, longs, longs)
                .as((status, flags, utime, stime, rss) -> new Exit(status, flags, utime, stime, rss, null));
        return Arbitraries.oneOf(started, error, exit).list().ofMinSize(1).ofMaxSize(4);
    }

    private static Arbitrary<byte[]> noNul(int max) {
        Arbitrary<Integer> size = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(0, Math.min(max, 40))),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(max - 1, max)));
        return size.flatMap(n -> Arbitraries.bytes().filter(b -> b != 0).array(byte[].class).ofSize(n));
    }
}
