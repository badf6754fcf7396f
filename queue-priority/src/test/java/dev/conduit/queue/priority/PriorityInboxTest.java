package dev.conduit.queue.priority;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The paths of {@link PriorityQueueState} that a queue longer than its inbox (4096 slots) takes:
 * puts that find the inbox full move it into the lanes themselves, and a batch longer than the
 * inbox is put under the lock. Capacity and order must not notice.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PriorityInboxTest {
    private static final int CAPACITY = 10_000;

    @Test
    void aQueueLongerThanItsInboxFillsToItsCapacityAndKeepsPriorityThenFifoOrder() throws Exception {
        try (MessageQueue<Integer> q = QueueDescriptor.priority("inbox-long").withCapacity(CAPACITY).open()) {
            for (int i = 0; i < CAPACITY; i++) {
                q.put(i, i % 2 == 0 ? 100 : 200, Duration.ZERO);
            }
            assertFalse(q.offer(-1));
            assertEquals(CAPACITY, q.size());
            List<Integer> out = q.getBatch(CAPACITY, Duration.ZERO);
            List<Integer> expected = new ArrayList<>();
            IntStream.range(0, CAPACITY).filter(i -> i % 2 == 1).forEach(expected::add);
            IntStream.range(0, CAPACITY).filter(i -> i % 2 == 0).forEach(expected::add);
            assertEquals(expected, out);
            assertEquals(0, q.size());
            q.destroy();
        }
    }

    @Test
    void aBatchLongerThanTheInboxIsAtomicAndOrderedAfterEarlierPuts() throws Exception {
        try (MessageQueue<Integer> q = QueueDescriptor.priority("inbox-batch").withCapacity(CAPACITY).open()) {
            q.put(-2);
            q.put(-1);
            List<Integer> batch = IntStream.range(0, 6_000).boxed().toList();
            q.putAll(batch);
            assertEquals(6_002, q.size());
            List<Integer> tooMany = IntStream.range(0, 4_000).boxed().toList();
            assertFalse(tryPutAll(q, tooMany), "4000 more do not fit in the 3998 free slots");
            assertEquals(6_002, q.size());
            List<Integer> out = q.getBatch(CAPACITY, Duration.ZERO);
            assertEquals(List.of(-2, -1), out.subList(0, 2));
            assertEquals(batch, out.subList(2, out.size()));
            QueueMetrics m = q.metrics();
            assertEquals(6_002, m.puts());
            assertEquals(m.size(), m.puts() - m.gets() - m.dropped() - m.cleared());
            q.destroy();
        }
    }

    @Test
    void dropOldestPastTheInboxKeepsTheCapacityAndCountsEveryDrop() throws Exception {
        QueueDescriptor d = QueueDescriptor.priority("inbox-drop").withCapacity(CAPACITY)
                .withOption("backpressure", "DROP_OLDEST");
        try (MessageQueue<Integer> q = d.open()) {
            for (int i = 0; i < CAPACITY + 500; i++) {
                q.put(i);
            }
            assertEquals(CAPACITY, q.size());
            QueueMetrics m = q.metrics();
            assertEquals(500, m.dropped());
            assertEquals(500, q.get(Duration.ZERO));
            q.destroy();
        }
    }

    @Test
    void manyProducersAndConsumersThroughALongQueueDeliverEveryItemOnce() throws Exception {
        int producers = 3;
        int perProducer = 40_000;
        try (MessageQueue<Integer> q = QueueDescriptor.priority("inbox-mpmc").withCapacity(CAPACITY).open()) {
            ExecutorService pool = Executors.newFixedThreadPool(producers + 2);
            try {
                List<Future<?>> puts = new ArrayList<>();
                for (int p = 0; p < producers; p++) {
                    int base = p * perProducer;
                    puts.add(pool.submit(() -> {
                        for (int i = 0; i < perProducer; i++) {
                            if (i % 1000 == 0) {
                                q.putAll(List.of(base + i, base + i + 1), 50, Duration.ofSeconds(30));
                                i++;
                            } else {
                                q.put(base + i, Duration.ofSeconds(30));
                            }
                        }
                        return null;
                    }));
                }
                int total = producers * perProducer;
                AtomicInteger taken = new AtomicInteger();
                boolean[] seen = new boolean[total];
                List<Future<?>> gets = new ArrayList<>();
                for (int c = 0; c < 2; c++) {
                    gets.add(pool.submit(() -> {
                        while (taken.get() < total) {
                            List<Integer> got = q.getBatch(64, Duration.ofMillis(10));
                            synchronized (seen) {
                                for (int v : got) {
                                    assertFalse(seen[v], "delivered twice: " + v);
                                    seen[v] = true;
                                }
                            }
                            taken.addAndGet(got.size());
                        }
                        return null;
                    }));
                }
                for (Future<?> f : puts) {
                    f.get(50, TimeUnit.SECONDS);
                }
                for (Future<?> f : gets) {
                    f.get(50, TimeUnit.SECONDS);
                }
                assertEquals(total, taken.get());
                assertEquals(0, q.size());
            } finally {
                pool.shutdownNow();
            }
            q.destroy();
        }
    }

    private static boolean tryPutAll(MessageQueue<Integer> q, List<Integer> items) throws InterruptedException {
        try {
            q.putAll(items, MessageQueue.DEFAULT_PRIORITY, Duration.ZERO);
            return true;
        } catch (dev.conduit.queue.QueueFullException e) {
            return false;
        }
    }
}
