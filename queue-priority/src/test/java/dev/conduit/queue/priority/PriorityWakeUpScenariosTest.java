package dev.conduit.queue.priority;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each change that lets a waiting call through wakes it at once, not at the waiters' periodic
 * re-check (200 ms): a waiting put and clear(), a batch get, or a get on another handle whose own
 * waiting put was closed away; a waiting get and a putAll through the inbox or under the lock.
 * Several rounds each, since a lost wake-up only loses some races.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PriorityWakeUpScenariosTest {
    private static final int ROUNDS = 10;
    /** Well under the 200 ms periodic re-check that would hide a lost wake-up. */
    private static final long PROMPT_NANOS = TimeUnit.MILLISECONDS.toNanos(120);

    private final List<Thread> waiters = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Runs a call that will wait on a thread of its own. */
    private <V> FutureTask<V> start(Callable<V> call) {
        FutureTask<V> task = new FutureTask<>(call);
        Thread t = new Thread(task, "waiter");
        t.setDaemon(true);
        waiters.add(t);
        t.start();
        return task;
    }

    /** Waits until the metrics count {@code waits} callers that waited and every waiter sleeps. */
    private void awaitWaits(MessageQueue<?> q, long waits) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline && (q.metrics().waits() < waits
                || waiters.stream().anyMatch(t -> t.isAlive() && t.getState() != Thread.State.TIMED_WAITING))) {
            Thread.sleep(1); // polls the condition above; the waiters' state has no latch to wait on
        }
        assertTrue(q.metrics().waits() >= waits, "callers did not start waiting");
        waiters.clear();
    }

    private static void assertPrompt(long startNanos, String what) {
        long took = System.nanoTime() - startNanos;
        assertTrue(took < PROMPT_NANOS, what + " took " + took / 1_000_000 + " ms");
    }

    @Test
    void clearLetsWaitingSingleAndBatchPutsIn() throws Exception {
        try (MessageQueue<Integer> q = QueueDescriptor.priority("wake-clear").withCapacity(3).open()) {
            for (int round = 0; round < ROUNDS; round++) {
                q.putAll(List.of(1, 2, 3));
                long waits = q.metrics().waits();
                Future<?> single = start(() -> {
                    q.put(4, Duration.ofSeconds(5));
                    return null;
                });
                Future<?> batch = start(() -> {
                    q.putAll(List.of(5, 6), 100, Duration.ofSeconds(5));
                    return null;
                });
                awaitWaits(q, waits + 2);
                long start = System.nanoTime();
                assertEquals(3, q.clear());
                single.get(5, TimeUnit.SECONDS);
                batch.get(5, TimeUnit.SECONDS);
                assertPrompt(start, "puts after a clear");
                assertEquals(3, q.clear());
            }
            q.destroy();
        }
    }

    @Test
    void aBatchGetLetsEveryPutItMadeRoomForIn() throws Exception {
        try (MessageQueue<Integer> q = QueueDescriptor.priority("wake-batch-get").withCapacity(3).open()) {
            for (int round = 0; round < ROUNDS; round++) {
                q.putAll(List.of(1, 2, 3));
                long waits = q.metrics().waits();
                List<Future<?>> puts = IntStream.range(0, 3).<Future<?>>mapToObj(i -> start(() -> {
                    q.put(10 + i, Duration.ofSeconds(5));
                    return null;
                })).toList();
                awaitWaits(q, waits + 3);
                long start = System.nanoTime();
                assertEquals(3, q.getBatch(3, Duration.ZERO).size());
                for (Future<?> f : puts) {
                    f.get(5, TimeUnit.SECONDS);
                }
                assertPrompt(start, "three puts after a batch get of three");
                assertEquals(3, q.clear());
            }
            q.destroy();
        }
    }

    @Test
    void aWaitingGetReceivesAPutAllThroughTheInboxAndOneLongerThanIt() throws Exception {
        int capacity = 5_000;
        try (MessageQueue<Integer> q = QueueDescriptor.priority("wake-putall").withCapacity(capacity).open()) {
            for (int round = 0; round < ROUNDS; round++) {
                int n = round % 2 == 0 ? 3 : 4_500;
                List<Integer> batch = IntStream.range(0, n).boxed().toList();
                long waits = q.metrics().waits();
                Future<List<Integer>> get = start(() -> q.getBatch(capacity, Duration.ofSeconds(5)));
                awaitWaits(q, waits + 1);
                long start = System.nanoTime();
                q.putAll(batch);
                List<Integer> got = get.get(5, TimeUnit.SECONDS);
                assertPrompt(start, "a waiting get after a putAll of " + n);
                assertEquals(batch, got, "the whole batch, in order");
            }
            q.destroy();
        }
    }

    @Test
    void closingAHandleWithAWaitingPutLeavesAnotherHandlesWaitingPutToBeWoken() throws Exception {
        QueueDescriptor d = QueueDescriptor.priority("wake-close").withCapacity(1);
        try (MessageQueue<Integer> q = d.open()) {
            for (int round = 0; round < ROUNDS; round++) {
                q.put(0);
                MessageQueue<Integer> closing = d.open();
                MessageQueue<Integer> staying = d.open();
                long waits = q.metrics().waits();
                Future<?> doomed = start(() -> {
                    closing.put(1, Duration.ofSeconds(5));
                    return null;
                });
                Future<?> kept = start(() -> {
                    staying.put(2, Duration.ofSeconds(5));
                    return null;
                });
                awaitWaits(q, waits + 2);
                closing.close();
                ExecutionException e = assertThrows(ExecutionException.class, () -> doomed.get(5, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof QueueClosedException, () -> "not closed: " + e.getCause());
                long start = System.nanoTime();
                assertEquals(0, q.get(Duration.ZERO));
                kept.get(5, TimeUnit.SECONDS);
                assertPrompt(start, "the other handle's put after a get");
                assertEquals(2, q.get(Duration.ZERO));
                staying.close();
            }
            q.destroy();
        }
    }
}
