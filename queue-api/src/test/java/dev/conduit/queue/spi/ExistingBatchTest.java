package dev.conduit.queue.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueFullException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Batches on type {@code existing}, whose wrapped {@link ArrayBlockingQueue} takes items one at a
 * time: a batch that is refused must leave none of its items behind, and one that waits must not be
 * added twice.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExistingBatchTest {

    @Test
    void putAllThatTimesOutLeavesNoneOfItsItems() throws Exception {
        ArrayBlockingQueue<String> raw = new ArrayBlockingQueue<>(2);
        try (MessageQueue<String> q = QueueDescriptor.fromExisting(raw, "batch-" + UUID.randomUUID()).open()) {
            q.put("x");
            assertThrows(QueueFullException.class,
                    () -> q.putAll(List.of("a", "b"), MessageQueue.DEFAULT_PRIORITY, Duration.ofMillis(50)));
            assertEquals(List.of("x"), new ArrayList<>(raw), "a refused batch left part of itself in the queue");
            assertEquals(1, q.metrics().rejected());
            assertEquals(1, q.metrics().puts());
        }
    }

    @Test
    void putAllAsyncThatWaitsForRoomAddsEachItemOnce() throws Exception {
        ArrayBlockingQueue<String> raw = new ArrayBlockingQueue<>(2);
        try (MessageQueue<String> q = QueueDescriptor.fromExisting(raw, "batch-" + UUID.randomUUID()).open()) {
            q.put("x");
            CompletableFuture<Void> f = q.putAllAsync(List.of("a", "b"));
            assertEquals(List.of("x"), new ArrayList<>(raw), "a batch without room for all of it started going in");
            assertFalse(f.isDone());
            List<String> taken = new ArrayList<>();
            taken.add(q.get(Duration.ofSeconds(5)));
            f.get(5, TimeUnit.SECONDS);
            while (!q.isEmpty()) {
                taken.add(q.get(Duration.ofSeconds(5)));
            }
            assertEquals(List.of("x", "a", "b"), taken, "each item of the batch exactly once, in order");
            assertEquals(0, q.metrics().rejected(), "a batch that waited and got in was not refused");
            assertEquals(3, q.metrics().puts());
        }
    }
}
