package dev.conduit.queue.rpc;

import static dev.conduit.queue.rpc.RpcTestSupport.numbers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Consumer prefetch ({@code prefetch=N}, docs/rpc.md "Prefetch") against a real QueueServer on
 * loopback: order across held and queued items, timeouts, what size and metrics count, what close,
 * clear and destroy do with held items, subscribers, and exactly-once under several prefetching
 * consumers that come and go.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcPrefetchTest {
    @RegisterExtension
    static final LoopbackServer LOOPBACK = LoopbackServer.withDefaults();

    private static QueueDescriptor fresh(String name) {
        return LOOPBACK.fresh(name).withCapacity(10_000);
    }

    private static MessageQueue<String> prefetching(QueueDescriptor d, int n) {
        return d.withOption("prefetch", Integer.toString(n)).open(Codecs.string());
    }

    @Test
    void heldItemsComeFirstAndABatchLargerThanTheHoldingTakesTheQueueBehindThem() throws Exception {
        QueueDescriptor d = fresh("fifo");
        try (MessageQueue<String> producer = d.open(Codecs.string());
                MessageQueue<String> consumer = prefetching(d, 8)) {
            producer.putAll(numbers(0, 20));
            assertEquals("0", consumer.get(Duration.ofSeconds(5)));
            assertEquals(7, consumer.size() - producer.size(), "the consumer holds the rest of what it fetched");
            producer.putAll(numbers(20, 25));
            assertEquals(numbers(1, 4), consumer.getBatch(3, Duration.ofSeconds(5)));
            assertEquals(numbers(4, 25), consumer.getBatch(100, Duration.ofSeconds(5)));
            assertTrue(consumer.getBatch(10, Duration.ofMillis(20)).isEmpty());
        }
    }

    @Test
    void aPrefetchingGetOnAnEmptyQueueTimesOutOnTime() throws Exception {
        try (MessageQueue<String> q = prefetching(fresh("timeout"), 100)) {
            long t0 = System.nanoTime();
            assertThrows(QueueEmptyException.class, () -> q.get(Duration.ofMillis(200)));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 190 && ms < 2_000, "get(200 ms) took " + ms + " ms");
            assertTrue(q.getBatch(10, Duration.ofMillis(50)).isEmpty());
            assertTrue(q.poll().isEmpty());
        }
    }

    @Test
    void aGetWaitingOnAnotherGetOfTheSameHandleStillTimesOut() throws Exception {
        try (MessageQueue<String> q = prefetching(fresh("serialized"), 100)) {
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return q.get(Duration.ofSeconds(20));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(200);
            long t0 = System.nanoTime();
            assertTrue(q.getBatch(5, Duration.ofMillis(200)).isEmpty());
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 190 && ms < 2_000, "getBatch(200 ms) took " + ms + " ms");
            q.put("x");
            assertEquals("x", first.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void theHolderCountsHeldItemsAsQueuedAndOtherHandlesAsTaken() throws Exception {
        QueueDescriptor d = fresh("metrics");
        try (MessageQueue<String> plain = d.open(Codecs.string())) {
            plain.putAll(numbers(0, 10));
            try (MessageQueue<String> holder = prefetching(d, 100)) {
                assertEquals("0", holder.get(Duration.ofSeconds(5)));
                assertEquals(9, holder.size());
                assertEquals("1", holder.peek().orElseThrow());
                QueueMetrics mine = holder.metrics();
                assertEquals(9, mine.size());
                assertEquals(10, mine.puts());
                assertEquals(1, mine.gets());
                assertEquals(0, plain.size());
                assertEquals(10, plain.metrics().gets());
                assertTrue(holder.awaitNotEmpty(Duration.ZERO));
            }
            // Closing gave them back: every handle sees them queued again, in their order.
            assertEquals(9, plain.size());
            assertEquals("1", plain.peek().orElseThrow());
            QueueMetrics m = plain.metrics();
            assertEquals(9, m.size());
            assertEquals(1, m.gets());
            assertEquals(numbers(1, 10), plain.getBatch(100, Duration.ofSeconds(5)));
            assertEquals(10, plain.metrics().gets());
            assertEquals(plain.metrics().bytesIn(), plain.metrics().bytesOut());
        }
    }

    @Test
    void closeGivesHeldItemsBackAtTheHeadAheadOfLaterItemsEvenWhenTheQueueIsFull() throws Exception {
        QueueDescriptor d = LOOPBACK.fresh("full").withCapacity(4);
        try (MessageQueue<String> plain = d.open(Codecs.string())) {
            plain.putAll(List.of("a", "b", "c", "d"));
            MessageQueue<String> holder = prefetching(d, 4);
            assertEquals("a", holder.get(Duration.ofSeconds(5)));
            plain.putAll(List.of("e", "f", "g", "h"));
            assertTrue(plain.isFull());
            holder.close();
            assertEquals(7, plain.size(), "given-back items may exceed the capacity: they had room when taken");
            assertEquals(List.of("b", "c", "d", "e", "f", "g", "h"), plain.getBatch(10, Duration.ofSeconds(5)));
            assertThrows(QueueClosedException.class, () -> holder.get(Duration.ofMillis(10)));
        }
    }

    @Test
    void heldItemsOverAMegabyteGoBackInSeveralCallsAndKeepTheirOrder() throws Exception {
        QueueDescriptor d = fresh("large");
        String pad = "x".repeat(100_000);
        List<String> items = IntStream.range(0, 60).mapToObj(i -> i + ":" + pad).toList();
        try (MessageQueue<String> plain = d.open(Codecs.string())) {
            plain.putAll(items);
            try (MessageQueue<String> holder = prefetching(d, 1_000)) {
                assertEquals(items.get(0), holder.get(Duration.ofSeconds(5)));
                assertTrue(holder.size() - plain.size() > 20, "the holder holds megabytes");
            }
            List<String> back = new ArrayList<>();
            while (back.size() < items.size() - 1) {
                List<String> got = plain.getBatch(100, Duration.ofSeconds(5));
                assertFalse(got.isEmpty());
                back.addAll(got);
            }
            assertEquals(items.subList(1, items.size()), back);
        }
    }

    @Test
    void clearOnAPrefetchingHandleRemovesAndCountsItsHeldItems() throws Exception {
        QueueDescriptor d = fresh("clear");
        try (MessageQueue<String> holder = prefetching(d, 100);
                MessageQueue<String> plain = d.open(Codecs.string())) {
            holder.putAll(numbers(0, 10));
            assertEquals("0", holder.get(Duration.ofSeconds(5)));
            plain.put("late");
            assertEquals(10, holder.clear());
            assertEquals(0, holder.size());
            assertEquals(0, plain.size());
            assertEquals(10, plain.metrics().cleared());
            holder.put("next");
            assertEquals("next", holder.get(Duration.ofSeconds(5)));
        }
    }

    @Test
    void destroyDropsHeldItemsWithoutOpeningTheQueueAgain() throws Exception {
        QueueDescriptor d = fresh("destroy");
        MessageQueue<String> holder = prefetching(d, 100);
        holder.putAll(numbers(0, 10));
        assertEquals("0", holder.get(Duration.ofSeconds(5)));
        int before = LOOPBACK.server().queueCount();
        holder.destroy();
        assertEquals(before - 1, LOOPBACK.server().queueCount());
    }

    @Test
    void closeAfterAServerRestartSaysHowManyHeldItemsAreLost() throws Exception {
        QueueServer first = QueueServer.builder().port(0).start();
        int port = first.port();
        QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", port, "restart").withCapacity(100)
                .withOption("reconnectMillis", "5000");
        MessageQueue<String> holder = prefetching(d, 100);
        QueueServer second = null;
        try {
            holder.putAll(numbers(0, 10));
            assertEquals("0", holder.get(Duration.ofSeconds(5)));
            first.close();
            second = QueueServer.builder().port(port).start();
            dev.conduit.queue.QueueException e = assertThrows(dev.conduit.queue.QueueException.class, holder::close);
            assertTrue(e.getMessage().startsWith("9 items"), e.getMessage());
            assertInstanceOf(ServerRestartedException.class, e.getCause());
            try (MessageQueue<String> fresh = d.open(Codecs.string())) {
                assertEquals(0, fresh.size(), "nothing was given back to the new, empty queue");
            }
        } finally {
            first.close();
            if (second != null) {
                second.close();
            }
        }
    }

    @Test
    void closingAHandleEndsItsWaitingGetAtOnce() throws Exception {
        MessageQueue<String> q = prefetching(fresh("close-wait"), 100);
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return q.get(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(200);
        long t0 = System.nanoTime();
        q.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
        assertInstanceOf(QueueClosedException.class, e.getCause());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "close and the get's end took too long");
    }

    @Test
    void anInterruptedPrefetchingGetThrowsAndLosesNothing() throws Exception {
        QueueDescriptor d = fresh("interrupt");
        try (MessageQueue<String> q = prefetching(d, 100)) {
            AtomicInteger outcome = new AtomicInteger();
            Thread t = new Thread(() -> {
                try {
                    q.get(Duration.ofSeconds(30));
                    outcome.set(1);
                } catch (InterruptedException e) {
                    outcome.set(2);
                }
            });
            t.start();
            Thread.sleep(200);
            t.interrupt();
            t.join(10_000);
            assertFalse(t.isAlive());
            assertEquals(2, outcome.get());
            q.putAll(numbers(0, 3));
            assertEquals(numbers(0, 3), q.getBatch(10, Duration.ofSeconds(5)));
        }
    }

    @Test
    void aPrefetchingSubscriberGivesBackItsHeldItemsToItsOwnStream() throws Exception {
        QueueDescriptor d = fresh("bcast").withOption("broadcast", "true").withOption("prefetch", "16");
        try (MessageQueue<String> pub = d.open(Codecs.string())) {
            MessageQueue<String> alice = pub.subscriber("alice");
            MessageQueue<String> bob = pub.subscriber("bob");
            pub.putAll(List.of("1", "2", "3"));
            assertEquals("1", bob.get(Duration.ofSeconds(5)));
            assertEquals(2, bob.size());
            bob.close();
            try (MessageQueue<String> bobAgain = pub.subscriber("bob")) {
                assertEquals(2, bobAgain.size());
                assertEquals(List.of("2", "3"), bobAgain.getBatch(10, Duration.ofSeconds(5)));
            }
            assertEquals(List.of("1", "2", "3"), alice.getBatch(10, Duration.ofSeconds(5)));
            alice.close();
        }
    }

    @Test
    void prefetchOutOfRangeIsRefusedNamingTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fresh("bad").withOption("prefetch", "-1").open(Codecs.string()).size());
        assertTrue(e.getMessage().contains("prefetch"), e.getMessage());
    }

    /**
     * Producers put numbered items (single puts and pipelined batches); consumers, each a
     * prefetching handle that closes after a few batches (giving back what it holds) and opens
     * again, take them all: every item exactly once (count, sum, no item twice). Order across
     * consumers is not checked: an item given back at close may come after later items another
     * consumer took meanwhile.
     */
    @Test
    void severalPrefetchingConsumersAndProducersDeliverEveryItemExactlyOnce() throws Exception {
        QueueDescriptor d = LOOPBACK.fresh("exactly-once").withCapacity(500);
        int producers = 3;
        int perProducer = 3_000;
        int total = producers * perProducer;
        AtomicInteger taken = new AtomicInteger();
        AtomicLong sum = new AtomicLong();
        java.util.BitSet seen = new java.util.BitSet(total);
        ExecutorService pool = Executors.newFixedThreadPool(producers + 3);
        try {
            List<Future<?>> tasks = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int producer = p;
                tasks.add(pool.submit(() -> {
                    try (MessageQueue<String> q = d.open(Codecs.string())) {
                        List<CompletableFuture<Void>> sent = new ArrayList<>();
                        int i = 0;
                        while (i < perProducer) {
                            if (i % 200 < 100) {
                                q.put(producer + ":" + i++);
                            } else {
                                List<String> batch = new ArrayList<>();
                                for (int k = 0; k < 50; k++) {
                                    batch.add(producer + ":" + i++);
                                }
                                sent.add(q.putAllAsync(batch));
                            }
                        }
                        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                    }
                    return null;
                }));
            }
            for (int c = 0; c < 3; c++) {
                int prefetch = 16 << c;
                tasks.add(pool.submit(() -> {
                    while (taken.get() < total) {
                        try (MessageQueue<String> q = prefetching(d, prefetch)) {
                            for (int b = 0; b < 5 && taken.get() < total; b++) {
                                for (String s : q.getBatch(10, Duration.ofMillis(50))) {
                                    String[] parts = s.split(":");
                                    int producer = Integer.parseInt(parts[0]);
                                    int i = Integer.parseInt(parts[1]);
                                    int value = producer * perProducer + i;
                                    synchronized (seen) {
                                        assertFalse(seen.get(value), "item " + s + " delivered twice");
                                        seen.set(value);
                                    }
                                    sum.addAndGet(value);
                                    taken.incrementAndGet();
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
            for (Future<?> f : tasks) {
                try {
                    f.get(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("took " + taken.get() + " of " + total + " items in 45 s", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(total, taken.get());
        long n = total;
        assertEquals(n * (n - 1) / 2, sum.get());
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            assertEquals(0, q.size());
        }
    }
}
