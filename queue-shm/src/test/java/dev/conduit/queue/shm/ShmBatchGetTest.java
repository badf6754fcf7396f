package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.spi.QueueStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code getBatch} on shm, which takes the published run at a lane's head with one claim. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShmBatchGetTest {
    @TempDir
    Path dir;

    private QueueDescriptor shm(String id, int capacity, int lanes) {
        return QueueDescriptor.shm(id).withNamespace("test").withCapacity(capacity)
                .withOption("dir", dir.toString()).withOption("itemSize", "64")
                .withOption("lanes", Integer.toString(lanes));
    }

    @Test
    void aBatchGetTakesRunsInOrderAcrossTheRingsWrapAndCountsThemInTheMetrics() throws Exception {
        try (MessageQueue<String> q = shm("wrap", 6, 1).open(Codecs.string())) {
            int next = 0;
            int expected = 0;
            long bytes = 0;
            for (int round = 0; round < 50; round++) {
                int put = 1 + round % 6;
                for (int i = 0; i < put; i++) {
                    String item = "item-" + next++;
                    bytes += item.getBytes(StandardCharsets.UTF_8).length;
                    q.put(item);
                }
                int max = 1 + round % 4;
                while (q.size() > 0) {
                    List<String> got = q.getBatch(max, Duration.ofSeconds(1));
                    assertTrue(got.size() >= 1 && got.size() <= max, "took " + got.size() + " of at most " + max);
                    for (String s : got) {
                        assertEquals("item-" + expected++, s);
                    }
                }
            }
            assertEquals(next, expected);
            QueueMetrics m = q.metrics();
            assertEquals(next, m.puts());
            assertEquals(next, m.gets());
            assertEquals(bytes, m.bytesIn());
            assertEquals(bytes, m.bytesOut());
        }
    }

    @Test
    void aBatchGetTakesTheHigherLaneFirst() throws Exception {
        try (MessageQueue<String> q = shm("lanes", 8, 2).open(Codecs.string())) {
            q.put("low-0", 10);
            q.put("low-1", 10);
            q.put("high-0", 200);
            q.put("high-1", 200);
            assertEquals(List.of("high-0", "high-1", "low-0", "low-1"), q.getBatch(10, Duration.ofSeconds(1)));
        }
    }

    @Test
    void aSinkThatThrowsMidRunLeavesNoSlotHeldAndTheMetricsBalanced() throws Exception {
        QueueStore<String> store = new ShmBackend().open(shm("sink", 4, 1), Codecs.string());
        try {
            for (int i = 0; i < 4; i++) {
                assertTrue(store.offer("x" + i, MessageQueue.DEFAULT_PRIORITY, 0));
            }
            List<String> refusing = new ArrayList<>() {
                @Override
                public boolean add(String s) {
                    if (size() == 2) {
                        throw new IllegalStateException("full");
                    }
                    return super.add(s);
                }
            };
            assertThrows(IllegalStateException.class, () -> store.drainTo(refusing, 10, 0));
            assertEquals(List.of("x0", "x1"), refusing);
            // Every slot of the run was freed: the ring's four slots take four more items at once.
            for (int i = 0; i < 4; i++) {
                assertTrue(store.offer("y" + i, MessageQueue.DEFAULT_PRIORITY, 0), "slot " + i + " is free");
            }
            List<String> rest = new ArrayList<>();
            assertEquals(4, store.drainTo(rest, 10, 0));
            assertEquals(List.of("y0", "y1", "y2", "y3"), rest);
            QueueMetrics m = store.metrics();
            assertEquals(8, m.puts());
            assertEquals(m.puts(), m.gets() + m.dropped());
            assertEquals(1, m.dropped(), "the item after the refused one is freed unread and counted");
        } finally {
            store.destroy();
        }
    }

    @Test
    void concurrentBatchConsumersTakeEveryItemExactlyOnce() throws Exception {
        int producers = 2;
        int perProducer = 20_000;
        QueueDescriptor d = shm("mpmc", 64, 1);
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        AtomicLong duplicates = new AtomicLong();
        AtomicLong taken = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        try (MessageQueue<long[]> q = d.open(Codecs.longs())) {
            for (int p = 0; p < producers; p++) {
                long base = (long) p << 32;
                threads.add(new Thread(() -> {
                    try {
                        for (int i = 0; i < perProducer; i++) {
                            q.put(new long[] {base + i});
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            for (int c = 0; c < 2; c++) {
                threads.add(new Thread(() -> {
                    try {
                        while (taken.get() < (long) producers * perProducer) {
                            for (long[] v : q.getBatch(1 + (int) (taken.get() % 50), Duration.ofMillis(5))) {
                                if (!seen.add(v[0])) {
                                    duplicates.incrementAndGet();
                                }
                                taken.incrementAndGet();
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(50));
            }
            assertEquals(0, duplicates.get());
            assertEquals((long) producers * perProducer, seen.size());
            QueueMetrics m = q.metrics();
            assertEquals(m.puts(), m.gets());
            assertEquals(m.bytesIn(), m.bytesOut());
        }
    }
}
