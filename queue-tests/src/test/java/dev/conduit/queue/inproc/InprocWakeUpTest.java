package dev.conduit.queue.inproc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * In the in-JVM backends ({@code local} and {@code priority}) a take wakes one waiting single-item
 * put and every waiting batch put: these check that the wake-up reaches the put that can use the
 * room, whoever else waits, well within the signal's 200 ms safety re-check.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InprocWakeUpTest {
    private static final Duration PROMPT = Duration.ofMillis(150);
    /**
     * Each waiting put on its own thread: the common pool may have a single thread on a 2-core
     * machine (JDK 25 uses it even then), where the second put would only start once the first ended.
     */
    private static final Executor THREAD_PER_TASK = task -> {
        Thread t = new Thread(task, "wake-up-test-put");
        t.setDaemon(true);
        t.start();
    };

    /** The backend under test, by type name. */
    private static QueueDescriptor queue(String type, String id) {
        return type.equals("local") ? QueueDescriptor.local(id) : QueueDescriptor.priority(id);
    }

    /** Gives a just-started put time to find the queue full and go to sleep. */
    private static void awaitWaiting() throws InterruptedException {
        Thread.sleep(50);
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "priority"})
    void aTakeLetsAWaitingSinglePutInEvenWhileABatchPutThatCannotFitWaitsToo(String type) throws Exception {
        try (MessageQueue<String> q = queue(type, "wake-single").withCapacity(2).open()) {
            q.put("a");
            q.put("b");
            CompletableFuture<Void> batch = CompletableFuture.runAsync(() -> {
                try {
                    q.putAll(List.of("x", "y"), MessageQueue.DEFAULT_PRIORITY, Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, THREAD_PER_TASK);
            awaitWaiting();
            CompletableFuture<Void> single = CompletableFuture.runAsync(() -> {
                try {
                    q.put("c", Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, THREAD_PER_TASK);
            awaitWaiting();
            long start = System.nanoTime();
            assertEquals("a", q.get(Duration.ofSeconds(1)));
            single.get(5, TimeUnit.SECONDS);
            long took = System.nanoTime() - start;
            assertTrue(took < PROMPT.toNanos(), "the single put waited " + took / 1_000_000 + " ms after the take");
            assertEquals(List.of("b", "c"), List.of(q.get(Duration.ofSeconds(1)), q.get(Duration.ofSeconds(1))));
            batch.get(5, TimeUnit.SECONDS);
            assertEquals(List.of("x", "y"), q.getBatch(2, Duration.ofSeconds(1)));
            q.destroy();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "priority"})
    void everyTakeLetsOneOfSeveralWaitingSinglePutsIn(String type) throws Exception {
        try (MessageQueue<Integer> q = queue(type, "wake-many").withCapacity(1).open()) {
            q.put(0);
            int waiting = 4;
            CompletableFuture<?>[] puts = new CompletableFuture<?>[waiting];
            for (int i = 0; i < waiting; i++) {
                int item = i + 1;
                puts[i] = CompletableFuture.runAsync(() -> {
                    try {
                        q.put(item, Duration.ofSeconds(10));
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, THREAD_PER_TASK);
            }
            awaitWaiting();
            long start = System.nanoTime();
            int sum = 0;
            for (int i = 0; i <= waiting; i++) {
                sum += q.get(Duration.ofSeconds(1));
            }
            long took = System.nanoTime() - start;
            CompletableFuture.allOf(puts).get(5, TimeUnit.SECONDS);
            assertEquals(1 + 2 + 3 + 4, sum);
            assertTrue(took < 2 * PROMPT.toNanos(), "five takes behind four waiting puts took " + took / 1_000_000 + " ms");
            assertEquals(0, q.size());
            assertEquals(5, q.metrics().puts());
            assertEquals(5, q.metrics().gets());
            q.destroy();
        }
    }

    @Test
    void priorityDropOldestBatchCountsEveryDroppedItemAndTheMetricsAddUp() throws Exception {
        QueueDescriptor d = QueueDescriptor.priority("drop-batch").withCapacity(3).withOption("backpressure", "DROP_OLDEST");
        try (MessageQueue<String> q = d.open()) {
            q.put("low", 10);
            q.put("mid", 100);
            q.putAll(List.of("h1", "h2"), 200, Duration.ZERO);
            assertEquals(1, q.metrics().dropped());
            assertEquals(List.of("h1", "h2", "mid"), q.getBatch(10, Duration.ZERO));
            assertEquals(4, q.metrics().puts());
            assertEquals(3, q.metrics().gets());
            q.destroy();
        }
    }
}
