package dev.conduit.queue.shm;

import static dev.conduit.queue.shm.HeldCalls.BOUND_SECONDS;
import static dev.conduit.queue.shm.HeldCalls.await;
import static dev.conduit.queue.shm.HeldCalls.within;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A producer whose batch waits on a slot that a live consumer is still reading does not take the
 * slot from it, however long the read lasts (a debugger, SIGSTOP, a long pause in the codec). The
 * batch path freed a slot whose sequence had not moved for ten stall timeouts as a damaged one, by
 * a CAS that made the live consumer's free fail: the consumer then dropped the item it had read
 * and returned the next one, and the item was counted as a dead consumer's lost read.
 *
 * <p>The consumer is a thread of this process, held inside the codec's decode of the item of index
 * 0 (tagged, claimed, not freed); the batch needs that slot a lap later. Every wait is bounded.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LiveReaderNotForcedTest {
    private static final long STALL_TIMEOUT_MS = 50;
    /** Three times the ten stall timeouts after which the slot was forced. */
    private static final long WATCH_MILLIS = 30 * STALL_TIMEOUT_MS;

    @TempDir
    Path dir;

    @RegisterExtension
    final HeldCalls calls = new HeldCalls();

    private static byte[] item(int n) {
        return HeldCalls.item(0xF0CEL, n);
    }

    /** The bytes codec, whose decode holds the thread while {@code hold} is set. */
    private static Codec<byte[]> holding(AtomicBoolean hold, CountDownLatch inside, CountDownLatch go) {
        return HeldCalls.bytesCodec("holding-bytes", () -> {
            if (hold.getAndSet(false)) {
                inside.countDown();
                await(go);
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"multi", "single"})
    void aBatchWaitsForALiveConsumersReadHoweverLongItLasts(String producers) throws Exception {
        QueueDescriptor d = QueueDescriptor.shm("forced-" + producers).withNamespace("live-reader").withCapacity(2)
                .withOption("dir", dir.toString()).withOption("itemSize", "64").withOption("producers", producers)
                .withOption("stallTimeoutMs", Long.toString(STALL_TIMEOUT_MS));
        AtomicBoolean hold = new AtomicBoolean();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        try (MessageQueue<byte[]> q = d.open(holding(hold, inside, go))) {
            Duration bound = Duration.ofSeconds(BOUND_SECONDS);
            q.put(item(0), bound);
            q.put(item(1), bound);
            hold.set(true);
            CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> {
                try {
                    return q.get(bound);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }, calls.threads());
            assertTrue(inside.await(BOUND_SECONDS, TimeUnit.SECONDS), "the consumer reads index 0");
            // Room for one (the consumer index is past index 0): the batch claims index 2, whose slot
            // is index 0's, and waits for the consumer to free it.
            CompletableFuture<Void> batch = CompletableFuture.runAsync(() -> {
                try {
                    q.putAll(List.of(item(2)), 0, bound);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }, calls.threads());
            Thread.sleep(WATCH_MILLIS);
            boolean batchDone = batch.isDone();
            long dropped = q.metrics().dropped();
            go.countDown();
            assertArrayEquals(item(0), within(got), "the live consumer gets the item it was reading");
            assertFalse(batchDone, "the batch took the slot of a live consumer");
            assertEquals(0, dropped, "a live consumer's read counted as lost");
            within(batch);
            assertArrayEquals(item(1), q.get(bound));
            assertArrayEquals(item(2), q.get(bound));
            assertTrue(q.poll().isEmpty());
            assertEquals(0, q.metrics().dropped());
        }
    }
}
