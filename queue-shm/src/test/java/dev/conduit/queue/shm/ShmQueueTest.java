package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.Capability;
import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueFullException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShmQueueTest {
    @TempDir
    Path dir;

    private QueueDescriptor shm(String id, int capacity) {
        return QueueDescriptor.shm(id).withNamespace("test").withCapacity(capacity)
                .withOption("dir", dir.toString()).withOption("itemSize", "256");
    }

    @Test
    void itemsComeOutInOrderAndTheFileIsNamedByNamespaceAndId() throws Exception {
        try (MessageQueue<String> q = shm("fifo", 8).open(Codecs.string())) {
            for (int i = 0; i < 20; i++) {
                q.put("a" + i);
                q.put("b" + i);
                assertEquals("a" + i, q.get());
                assertEquals("b" + i, q.get());
            }
            assertTrue(Files.exists(dir.resolve("conduit.test@fifo.shm")));
            assertTrue(q.capabilities().contains(Capability.CROSS_PROCESS));
        }
    }

    @Test
    void twoHandlesShareOneQueueAndCapacityIsExact() throws Exception {
        QueueDescriptor d = shm("exact", 5);
        try (MessageQueue<String> a = d.open(Codecs.string()); MessageQueue<String> b = d.open(Codecs.string())) {
            for (int i = 0; i < 5; i++) {
                a.putNowait("x" + i);
            }
            assertTrue(b.isFull());
            assertFalse(b.offer("too many"));
            assertThrows(QueueFullException.class, () -> a.put("late", Duration.ofMillis(20)));
            assertEquals("x0", b.get());
            assertEquals(4, a.size());
        }
    }

    @Test
    void getTimesOutWhenEmptyAndHonoursTheTimeout() throws Exception {
        try (MessageQueue<String> q = shm("timeout", 4).open(Codecs.string())) {
            long t0 = System.nanoTime();
            assertThrows(QueueEmptyException.class, () -> q.get(Duration.ofMillis(50)));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 49, "waited " + ms + " ms");
            assertThrows(QueueEmptyException.class, q::getNowait);
        }
    }

    @Test
    void itemLargerThanTheSlotIsRefusedBeforeAnythingIsWritten() throws Exception {
        try (MessageQueue<byte[]> q = shm("large", 4).open(Codecs.bytes())) {
            q.put(new byte[] {1, 2, 3});
            assertThrows(ItemTooLargeException.class, () -> q.put(new byte[257]));
            assertThrows(ItemTooLargeException.class, () -> q.putAll(List.of(new byte[1], new byte[300])));
            q.put(new byte[256]);
            assertEquals(2, q.size());
            assertArrayEquals(new byte[] {1, 2, 3}, q.get());
            assertEquals(256, q.get().length);
            assertEquals(256, q.metrics().maxItemBytes());
        }
    }

    @Test
    void putAllIsAllOrNothingAndContiguous() throws Exception {
        try (MessageQueue<String> q = shm("batch", 6).open(Codecs.string())) {
            q.put("first");
            q.putAll(List.of("a", "b", "c"));
            assertThrows(QueueFullException.class, () -> q.putAll(List.of("d", "e", "f"), 128, Duration.ofMillis(10)));
            assertEquals(4, q.size());
            q.transaction(tx -> {
                tx.put("t1");
                tx.put("t2");
            });
            assertEquals(List.of("first", "a", "b", "c", "t1", "t2"), q.getBatch(10, Duration.ofMillis(10)));
        }
    }

    @Test
    void higherLanesAreReadFirst() throws Exception {
        QueueDescriptor d = shm("lanes", 8).withOption("lanes", "4");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("low", 0);
            q.put("mid", 128);
            q.put("high", 255);
            q.put("mid2", 130);
            assertEquals(List.of("high", "mid", "mid2", "low"),
                    List.of(q.get(), q.get(), q.get(), q.get()));
            assertFalse(q.capabilities().contains(Capability.PRIORITY));
        }
    }

    @Test
    void metricsAreKeptInTheFileAndSeenByEveryHandle() throws Exception {
        QueueDescriptor d = shm("metrics", 10);
        try (MessageQueue<byte[]> a = d.open(Codecs.bytes()); MessageQueue<byte[]> b = d.open(Codecs.bytes())) {
            a.put(new byte[10]);
            a.put(new byte[20]);
            b.get();
            QueueMetrics m = b.metrics();
            assertEquals(2, m.puts());
            assertEquals(1, m.gets());
            assertEquals(1, m.size());
            assertEquals(10, m.capacity());
            assertEquals(30, m.bytesIn());
            assertEquals(10, m.bytesOut());
            assertEquals(0.1, m.utilization(), 1e-9);
            assertEquals(1, b.clear());
            assertEquals(2, a.metrics().puts());
            assertEquals(1, a.metrics().gets());
            assertEquals(0, a.metrics().size());
        }
    }

    @Test
    void destroyRemovesTheFileAndClosesOtherHandles() throws Exception {
        QueueDescriptor d = shm("destroy", 4);
        MessageQueue<String> other = d.open(Codecs.string());
        other.put("x");
        MessageQueue<String> q = d.open(Codecs.string());
        assertEquals(1, q.size());
        q.destroy();
        assertFalse(Files.exists(dir.resolve("conduit.test@destroy.shm")));
        assertThrows(QueueClosedException.class, () -> other.put("y"));
        other.close();
        try (MessageQueue<String> again = d.open(Codecs.string())) {
            assertEquals(0, again.size());
        }
    }

    @Test
    void listReportsSizeCapacityUsersAndAgeAndCleanupSparesLiveQueues() throws Exception {
        try (MessageQueue<String> q = shm("listed", 16).open(Codecs.string())) {
            q.put("one");
            q.put("two");
            List<ShmQueueInfo> all = ShmQueues.list(dir);
            assertEquals(1, all.size());
            ShmQueueInfo info = all.get(0);
            assertEquals("test", info.namespace());
            assertEquals("listed", info.id());
            assertEquals(2, info.size());
            assertEquals(16, info.capacity());
            assertEquals(1, info.users());
            assertTrue(info.creatorAlive());
            assertFalse(info.age().isNegative());
            assertEquals(List.of(), ShmQueues.cleanup(dir));
        }
    }

    @Test
    void attachingWithAnotherGeometryIsRefused() throws Exception {
        try (MessageQueue<String> q = shm("geometry", 16).open(Codecs.string())) {
            q.put("x");
            MessageQueue<String> wrong = shm("geometry", 32).open(Codecs.string());
            dev.conduit.queue.QueueException e = assertThrows(dev.conduit.queue.QueueException.class, wrong::size);
            assertTrue(e.getMessage().contains("capacity 16"), e.getMessage());
        }
    }

    @Test
    void primitiveArraysGoStraightIntoTheSlot() throws Exception {
        QueueDescriptor floats = shm("floats", 2).withOption("itemSize", Integer.toString(4 * 1024));
        try (MessageQueue<float[]> q = floats.open(Codecs.floats())) {
            float[] v = new float[1024];
            for (int i = 0; i < v.length; i++) {
                v[i] = i * 0.5f;
            }
            q.put(v);
            assertArrayEquals(v, q.get());
        }
    }

    @Test
    void manyThreadsExchangeEveryItemExactlyOnce() throws Exception {
        int producers = 2;
        int perProducer = Integer.getInteger("conduit.shm.threadItems", 100_000);
        QueueDescriptor d = shm("threads", 64);
        ConcurrentHashMap<Long, Boolean> seen = new ConcurrentHashMap<>();
        AtomicLong duplicates = new AtomicLong();
        try (MessageQueue<long[]> q = d.open(Codecs.longs())) {
            List<Thread> threads = new ArrayList<>();
            CountDownLatch done = new CountDownLatch(2);
            for (int p = 0; p < producers; p++) {
                long id = p;
                threads.add(new Thread(() -> {
                    try {
                        for (long i = 0; i < perProducer; i++) {
                            if (i % 100 == 0) {
                                q.putAll(List.of(new long[] {id, i}, new long[] {id, i + 1}));
                                i++;
                            } else {
                                q.put(new long[] {id, i});
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            for (int c = 0; c < 2; c++) {
                threads.add(new Thread(() -> {
                    long[] last = new long[producers];
                    java.util.Arrays.fill(last, -1);
                    try {
                        while (seen.size() < producers * perProducer) {
                            for (long[] v : q.getBatch(32, Duration.ofMillis(5))) {
                                if (seen.put(v[0] * 10_000_000L + v[1], true) != null) {
                                    duplicates.incrementAndGet();
                                }
                                // FIFO per producer as seen by one consumer
                                if (v[1] <= last[(int) v[0]]) {
                                    duplicates.addAndGet(1_000_000_000L);
                                }
                                last[(int) v[0]] = v[1];
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.countDown();
                    }
                }));
            }
            threads.forEach(Thread::start);
            assertTrue(done.await(50, TimeUnit.SECONDS), "consumers got " + seen.size());
            for (Thread t : threads) {
                t.join(1000);
            }
            assertEquals(0, duplicates.get());
            assertEquals(producers * perProducer, seen.size());
            assertEquals(0, q.size());
        }
    }
}
