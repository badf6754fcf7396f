package dev.conduit.queue.priority;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueFullException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code metrics().rejected()} counts puts refused because the queue was full: an asynchronous put
 * that waits for room and then gets in was not refused, and one that REJECT refuses is one refusal.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PriorityAsyncRejectedCountTest {

    @Test
    void anAsyncPutThatWaitsForRoomAndGetsInIsNotCountedAsRejected() throws Exception {
        try (MessageQueue<String> q = QueueDescriptor.priority("async-wait").withCapacity(1).open()) {
            q.put("first");
            CompletableFuture<Void> f = q.putAsync("second");
            assertFalse(f.isDone());
            assertEquals("first", q.get(Duration.ofSeconds(5)));
            f.get(5, TimeUnit.SECONDS);
            assertEquals("second", q.get(Duration.ofSeconds(5)));
            assertEquals(0, q.metrics().rejected(), "no put was refused");
            q.destroy();
        }
    }

    @Test
    void anAsyncBatchThatWaitsForRoomAndGetsInIsNotCountedAsRejected() throws Exception {
        try (MessageQueue<String> q = QueueDescriptor.priority("async-wait-batch").withCapacity(2).open()) {
            q.put("first");
            CompletableFuture<Void> f = q.putAllAsync(List.of("a", "b"));
            assertFalse(f.isDone());
            assertEquals("first", q.get(Duration.ofSeconds(5)));
            f.get(5, TimeUnit.SECONDS);
            assertEquals(List.of("a", "b"), q.getBatch(2, Duration.ofSeconds(5)));
            assertEquals(0, q.metrics().rejected(), "no put was refused");
            q.destroy();
        }
    }

    @Test
    void anAsyncPutThatRejectRefusesIsCountedOnce() throws Exception {
        QueueDescriptor d = QueueDescriptor.priority("async-reject").withCapacity(1).withOption("backpressure", "REJECT");
        try (MessageQueue<String> q = d.open()) {
            q.put("first");
            ExecutionException e = assertThrows(ExecutionException.class, () -> q.putAsync("second").get(5, TimeUnit.SECONDS));
            assertInstanceOf(QueueFullException.class, e.getCause());
            ExecutionException b = assertThrows(ExecutionException.class,
                    () -> q.putAllAsync(List.of("x")).get(5, TimeUnit.SECONDS));
            assertInstanceOf(QueueFullException.class, b.getCause());
            assertEquals(2, q.metrics().rejected(), "two puts refused, once each");
            assertEquals(1, q.size());
            q.destroy();
        }
    }
}
