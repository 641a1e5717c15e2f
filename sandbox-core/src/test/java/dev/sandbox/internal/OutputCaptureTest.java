package dev.sandbox.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("OutputCapture keeps at most the limit, reads the rest to its end and reports the overflow once")
class OutputCaptureTest {

    @Test
    @DisplayName("exactly the limit is kept whole and not truncated; one byte more is truncated")
    void atAndOverTheLimit() throws IOException {
        AtomicInteger overflows = new AtomicInteger();
        OutputCapture.Captured at = OutputCapture.read(new ByteArrayInputStream(bytes(1000)), 1000, overflows::incrementAndGet);
        assertThat(at.bytes()).isEqualTo(bytes(1000));
        assertThat(at.truncated()).isFalse();
        assertThat(overflows).hasValue(0);
        OutputCapture.Captured over = OutputCapture.read(new ByteArrayInputStream(bytes(1001)), 1000, overflows::incrementAndGet);
        assertThat(over.bytes()).isEqualTo(bytes(1000));
        assertThat(over.truncated()).isTrue();
        assertThat(overflows).hasValue(1);
    }

    @Test
    @DisplayName("a stream far past the limit, in odd-sized reads, is read to its end; the overflow is reported once")
    void readsToTheEnd() throws IOException {
        long total = 50L << 20;
        CountingZeros in = new CountingZeros(total);
        AtomicInteger overflows = new AtomicInteger();
        OutputCapture.Captured c = OutputCapture.read(in, 300_001, overflows::incrementAndGet);
        assertThat(c.bytes()).hasSize(300_001);
        assertThat(c.truncated()).isTrue();
        assertThat(in.served).as("read to the end").isEqualTo(total);
        assertThat(overflows).hasValue(1);
    }

    @Test
    @DisplayName("an empty stream is empty and not truncated")
    void empty() throws IOException {
        OutputCapture.Captured c = OutputCapture.read(InputStream.nullInputStream(), 1, () -> {
            throw new AssertionError("no overflow");
        });
        assertThat(c.bytes()).isEmpty();
        assertThat(c.truncated()).isFalse();
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    /** Zeros, served in reads of at most 7777 bytes, like a pipe that hands over what it holds. */
    private static final class CountingZeros extends InputStream {
        private final long total;
        long served;

        CountingZeros(long total) {
            this.total = total;
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (served == total) {
                return -1;
            }
            int n = (int) Math.min(Math.min(len, 7777), total - served);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            served += n;
            return n;
        }
    }
}
