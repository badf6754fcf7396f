package dev.conduit.queue.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Waiting puts and gets wake when another handle makes room or adds items (clear, getBatch,
 * putAll), keep waiting when another handle closes, and end with QueueClosedException when the
 * queue is destroyed; a destroyed name opens a fresh queue. Waits are 30 s, so a missed wake-up
 * rescued only by a timeout would fail the 10 s bounds.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalWakeUpTest {
    private static final Duration LONG = Duration.ofSeconds(30);
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "wake-up-test");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private static QueueDescriptor descriptor(String name, int capacity) {
        return QueueDescriptor.local(name + "-" + System.nanoTime()).withCapacity(capacity);
    }

    /** Waits (spinning with yields, up to 10 s) until the condition holds: the waiters have gone to sleep. */
    private static void until(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() - deadline < 0, "not within 10 s: " + what);
            Thread.yield();
        }
    }

    private static List<Integer> sorted(List<Integer> items) {
        List<Integer> copy = new ArrayList<>(items);
        copy.sort(null);
        return copy;
    }

    @Test
    void waitingPutsWakeWhenAnotherHandleClearsOrTakesABatch() throws Exception {
        QueueDescriptor d = descriptor("wake-room", 3);
        MessageQueue<Integer> a = d.open();
        MessageQueue<Integer> b = d.open();
        a.putAll(List.of(0, 1, 2));
        List<Future<?>> puts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int v = 10 + i;
            puts.add(pool.submit(() -> {
                a.put(v, LONG);
                return null;
            }));
        }
        until(() -> a.metrics().waits() == 5, "5 puts waiting");
        assertEquals(3, b.clear());
        until(() -> puts.stream().filter(Future::isDone).count() == 3, "3 puts in after clear");
        for (Future<?> f : puts) {
            if (f.isDone()) {
                f.get(); // a put that ended did so by getting in
            }
        }
        List<Integer> all = new ArrayList<>(b.getBatch(3, Duration.ZERO));
        assertEquals(3, all.size());
        for (Future<?> f : puts) {
            f.get(10, TimeUnit.SECONDS);
        }
        all.addAll(b.getBatch(3, Duration.ZERO));
        assertEquals(List.of(10, 11, 12, 13, 14), sorted(all));
        b.destroy();
    }

    @Test
    void waitingGetsAllWakeWhenAPutAllLands() throws Exception {
        QueueDescriptor d = descriptor("wake-batch", 4);
        MessageQueue<Integer> a = d.open();
        MessageQueue<Integer> b = d.open();
        Set<Integer> got = ConcurrentHashMap.newKeySet();
        List<Future<?>> gets = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            gets.add(pool.submit(() -> got.add(b.get(LONG))));
        }
        until(() -> b.metrics().waits() == 4, "4 gets waiting");
        a.putAll(List.of(1, 2, 3, 4));
        for (Future<?> f : gets) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertEquals(Set.of(1, 2, 3, 4), got);
        a.destroy();
    }

    @Test
    void anotherHandleClosingLeavesWaitsAloneAndDestroyEndsThem() throws Exception {
        QueueDescriptor d = descriptor("wake-close", 1);
        MessageQueue<Integer> a = d.open();
        MessageQueue<Integer> other = d.open();
        MessageQueue<Integer> killer = d.open();
        a.put(0);
        Future<?> put = pool.submit(() -> {
            a.put(1, LONG);
            return null;
        });
        until(() -> a.metrics().waits() == 1, "the put waiting");
        other.close();
        assertEquals(1, a.size());
        assertTrue(!put.isDone(), "closing another handle ended a put of this one");
        killer.destroy();
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> put.get(10, TimeUnit.SECONDS));
        assertInstanceOf(QueueClosedException.class, e.getCause());
        assertThrows(QueueClosedException.class, () -> a.put(2, Duration.ZERO));
        assertThrows(QueueClosedException.class, () -> a.poll());
        assertThrows(QueueClosedException.class, () -> a.peek());
        assertThrows(QueueClosedException.class, a::clear);

        MessageQueue<Integer> fresh = d.open();
        assertEquals(0, fresh.size());
        assertEquals(0, fresh.metrics().puts());
        fresh.put(7);
        assertThrows(QueueClosedException.class, () -> a.poll());
        try (MessageQueue<Integer> same = d.open()) {
            assertEquals(7, same.get(Duration.ZERO));
        }
        fresh.destroy();
    }

    @Test
    void equalDescriptorsShareOneQueueAndDestroyThenOpenMakesANewOne() {
        QueueDescriptor d = descriptor("naming", 5);
        LocalQueue first = LocalQueues.open(d);
        assertSame(first, LocalQueues.open(QueueDescriptor.fromJson(d.toJson())));
        LocalQueues.destroy(first);
        LocalQueue second = LocalQueues.open(d);
        assertNotSame(first, second);
        assertTrue(first.destroyed);
        assertTrue(!second.destroyed);
        LocalQueues.destroy(second);
    }
}
