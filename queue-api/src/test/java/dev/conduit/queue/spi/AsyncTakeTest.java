package dev.conduit.queue.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code getAsync} whose future the caller completes first (cancel, {@code orTimeout}) must not take
 * an item it can no longer deliver: every item put is either in a future or still in the queue.
 * Runs on the {@code existing} backend over a real {@link ArrayBlockingQueue}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AsyncTakeTest {
    /** How long a cancelled getter is given to (wrongly) take an item put after the cancel. */
    private static final Duration WINDOW = Duration.ofMillis(300);

    private static MessageQueue<String> newQueue(int capacity) {
        return QueueDescriptor.fromExisting(new ArrayBlockingQueue<String>(capacity),
                "async-take-" + UUID.randomUUID()).open();
    }

    /** Fails if the item put after the getter gave up is taken by it within {@link #WINDOW}. */
    private static void assertItemStays(MessageQueue<String> q, String item) throws Exception {
        q.put(item);
        long end = System.nanoTime() + WINDOW.toNanos();
        while (System.nanoTime() < end) {
            assertEquals(1, q.size(), "the abandoned getAsync took the item put after it was given up: item lost");
            Thread.sleep(5);
        }
        assertEquals(item, q.get(Duration.ofSeconds(5)));
    }

    @Test
    void getAsyncCancelledWhileWaitingTakesNoItemPutLater() throws Exception {
        try (MessageQueue<String> q = newQueue(4)) {
            CompletableFuture<String> f = q.getAsync(Duration.ofSeconds(30));
            assertTrue(f.cancel(true));
            assertItemStays(q, "after-cancel");
        }
    }

    @Test
    void getAsyncEndedByOrTimeoutTakesNoItemPutLater() throws Exception {
        try (MessageQueue<String> q = newQueue(4)) {
            CompletableFuture<String> f = q.getAsync(Duration.ofSeconds(30)).orTimeout(20, TimeUnit.MILLISECONDS);
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> f.get(5, TimeUnit.SECONDS));
            assertInstanceOf(TimeoutException.class, e.getCause());
            assertItemStays(q, "after-timeout");
        }
    }

    @Test
    void everyItemIsEitherInItsGetAsyncFutureOrStillQueuedWhenCancelRacesTheTake() throws Exception {
        int rounds = 300;
        try (MessageQueue<String> q = newQueue(rounds)) {
            List<CompletableFuture<String>> futures = new ArrayList<>();
            Set<String> put = new HashSet<>();
            for (int i = 0; i < rounds; i++) {
                CompletableFuture<String> f = q.getAsync(Duration.ofSeconds(30));
                futures.add(f);
                String item = "item-" + i;
                put.add(item);
                q.put(item);
                // Cancel at about the moment the waiting getter takes the item.
                if (i % 2 == 0) {
                    Thread.onSpinWait();
                }
                f.cancel(true);
            }
            Set<String> seen = new HashSet<>();
            for (CompletableFuture<String> f : futures) {
                if (!f.isCancelled()) {
                    String v = f.get(5, TimeUnit.SECONDS);
                    assertTrue(seen.add(v), "delivered twice: " + v);
                }
            }
            // Give cancelled getters time to (wrongly) finish a take, then count what is left.
            Thread.sleep(WINDOW.toMillis());
            for (String v = q.poll().orElse(null); v != null; v = q.poll().orElse(null)) {
                assertTrue(seen.add(v), "delivered twice: " + v);
            }
            put.removeAll(seen);
            assertTrue(put.isEmpty(), put.size() + " items were neither delivered nor left in the queue: " + put);
            assertFalse(seen.isEmpty());
        }
    }
}
