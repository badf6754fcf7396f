package dev.conduit.queue.shm;

import static dev.conduit.queue.shm.HeldCalls.BOUND_SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A get whose codec throws an Error (a deep graph's StackOverflowError, a missing class, a user
 * codec's AssertionError) frees the slot it claimed, and counts the item as lost. In a
 * multi-consumer file the Error escaped between the reader tag and the free: the slot stayed held
 * with this live process's tag, which a producer never takes from a live process, so a batch that
 * lapped onto it waited (with no deadline: its indices were claimed) until this process exited.
 *
 * <p>Real queue, real codec; the Error is thrown once, by the decode of the first item. The batch
 * runs on a daemon thread of the test, waited for at most {@link #PUT_ALL_SECONDS}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DecodeErrorFreesTheSlotTest {
    private static final long PUT_ALL_SECONDS = 10;

    @TempDir
    Path dir;

    private static byte[] item(int n) {
        return HeldCalls.item(0xE770L, n);
    }

    /** The bytes codec, whose decode throws a StackOverflowError once while {@code fail} is set. */
    private static Codec<byte[]> failingOnce(AtomicBoolean fail) {
        return HeldCalls.bytesCodec("failing-bytes", () -> {
            if (fail.getAndSet(false)) {
                throw new StackOverflowError("decode of a deep graph");
            }
        });
    }

    @ParameterizedTest(name = "producers={0}, consumers={1}")
    @CsvSource({"multi,multi", "single,multi", "single,single"})
    void anErrorInDecodeFreesTheSlotAndCountsTheItemAsLost(String producers, String consumers) throws Exception {
        QueueDescriptor d = QueueDescriptor.shm("decode-error-" + producers + "-" + consumers)
                .withNamespace("decode-error").withCapacity(2).withOption("dir", dir.toString())
                .withOption("itemSize", "64").withOption("producers", producers).withOption("consumers", consumers)
                .withOption("stallTimeoutMs", "50");
        AtomicBoolean fail = new AtomicBoolean();
        try (MessageQueue<byte[]> q = d.open(failingOnce(fail))) {
            Duration bound = Duration.ofSeconds(BOUND_SECONDS);
            q.put(item(0), bound);
            q.put(item(1), bound);
            fail.set(true);
            assertThrows(StackOverflowError.class, () -> q.get(bound), "the codec's Error reaches the caller");

            assertArrayEquals(item(1), q.get(bound), "the next get returns the following item");

            // The consumer index is 2: a batch of two claims indices 2 and 3, the first of which is
            // the slot of index 0, the item whose decode failed.
            CompletableFuture<Void> batch = new CompletableFuture<>();
            Thread putter = new Thread(() -> {
                try {
                    q.putAll(List.of(item(2), item(3)), 0, Duration.ofSeconds(PUT_ALL_SECONDS));
                    batch.complete(null);
                } catch (Throwable t) {
                    batch.completeExceptionally(t);
                }
            }, "decode-error-batch");
            putter.setDaemon(true); // before the fix it never ends: it must not hold the JVM
            putter.start();
            try {
                batch.get(2 * PUT_ALL_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                fail("a batch onto the slot of the failed read did not end within " + 2 * PUT_ALL_SECONDS
                        + " s (its timeout is " + PUT_ALL_SECONDS + " s): the slot is still held by this live"
                        + " process's reader tag");
            }

            assertEquals(1, q.metrics().dropped(), "the item whose decode failed is counted as lost");
            assertArrayEquals(item(2), q.get(bound));
            assertArrayEquals(item(3), q.get(bound));
            assertTrue(q.poll().isEmpty());
            assertEquals(1, q.metrics().dropped());
        }
    }
}
