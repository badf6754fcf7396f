package dev.conduit.queue.priority;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueFullException;
import dev.conduit.queue.QueueMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Short stress checks of the lock-free put paths against the lock holders (gets, clears, drops),
 * sized for a two-core machine shared with other work: each runs for about a second or a fixed
 * number of items and is bounded by {@link Timeout}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PriorityStressTest {
    private static final long RUN_NANOS = TimeUnit.MILLISECONDS.toNanos(1500);

    /**
     * DROP_OLDEST with single puts and batches of mixed priorities racing a consumer and a reader:
     * the size never passes the capacity, every metrics snapshot adds up, no item comes out twice,
     * and consumed plus dropped plus left equals put.
     */
    @Test
    void dropOldestUnderConcurrentPutsBatchesAndGetsLosesNothingUncountedAndNeverOverfills() throws Exception {
        int capacity = 8;
        QueueDescriptor d = QueueDescriptor.priority("stress-drop").withCapacity(capacity)
                .withOption("backpressure", "DROP_OLDEST");
        try (MessageQueue<Integer> q = d.open()) {
            AtomicInteger next = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger violations = new AtomicInteger();
            List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                long end = System.nanoTime() + RUN_NANOS;
                Future<?> single = pool.submit(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    while (System.nanoTime() < end) {
                        q.put(next.getAndIncrement(), r.nextInt(4) * 64);
                    }
                    return null;
                });
                Future<?> batches = pool.submit(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    while (System.nanoTime() < end) {
                        int n = 1 + r.nextInt(capacity);
                        List<Integer> items = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            items.add(next.getAndIncrement());
                        }
                        if (r.nextBoolean()) {
                            q.putAll(items, r.nextInt(4) * 64, Duration.ofSeconds(5));
                        } else {
                            q.transaction(tx -> {
                                for (Integer item : items) {
                                    tx.put(item, r.nextInt(4) * 64);
                                }
                            });
                        }
                    }
                    return null;
                });
                Future<?> reader = pool.submit(() -> {
                    while (!stop.get()) {
                        int size = q.size();
                        if (size < 0 || size > capacity) {
                            violations.incrementAndGet();
                            problems.add("size " + size);
                        }
                        QueueMetrics m = q.metrics();
                        if (m.size() != m.puts() - m.gets() - m.dropped() - m.cleared() || m.size() > capacity) {
                            violations.incrementAndGet();
                            problems.add(m.toString());
                        }
                    }
                    return null;
                });
                java.util.BitSet seen = new java.util.BitSet();
                long consumed = 0;
                while (!(single.isDone() && batches.isDone()) || q.size() > 0) {
                    for (int v : q.getBatch(1 + ThreadLocalRandom.current().nextInt(4), Duration.ofMillis(5))) {
                        assertFalse(seen.get(v), "delivered twice: " + v);
                        seen.set(v);
                        consumed++;
                    }
                }
                single.get(10, TimeUnit.SECONDS);
                batches.get(10, TimeUnit.SECONDS);
                stop.set(true);
                reader.get(10, TimeUnit.SECONDS);
                QueueMetrics m = q.metrics();
                assertEquals(0, violations.get(), () -> "bad snapshots: " + problems.subList(0, Math.min(5, problems.size())));
                assertEquals(next.get(), m.puts(), "every put counted once");
                assertEquals(m.puts(), consumed + m.dropped(), "consumed plus dropped");
                assertEquals(consumed, m.gets());
            } finally {
                pool.shutdownNow();
            }
            q.destroy();
        }
    }

    /**
     * Capacity 1 with blocking producers, a consumer and a thread that clears: every item put comes
     * out exactly once or is counted as cleared, and no put or get is left waiting.
     */
    @Test
    void capacityOneWithBlockingPutsGetsAndClearsDeliversOrClearsEveryItemOnce() throws Exception {
        int producers = 3;
        int perProducer = 20_000;
        try (MessageQueue<Integer> q = QueueDescriptor.priority("stress-one").withCapacity(1).open()) {
            ExecutorService pool = Executors.newFixedThreadPool(producers + 1);
            try {
                List<Future<?>> puts = new ArrayList<>();
                for (int p = 0; p < producers; p++) {
                    int base = p * perProducer;
                    puts.add(pool.submit(() -> {
                        for (int i = 0; i < perProducer; i++) {
                            q.put(base + i, (base + i) % 256, Duration.ofSeconds(10));
                        }
                        return null;
                    }));
                }
                AtomicLong cleared = new AtomicLong();
                AtomicBoolean stop = new AtomicBoolean();
                Future<?> clearer = pool.submit(() -> {
                    while (!stop.get()) {
                        cleared.addAndGet(q.clear());
                        Thread.onSpinWait();
                    }
                    return null;
                });
                int total = producers * perProducer;
                boolean[] seen = new boolean[total];
                long consumed = 0;
                while (consumed + cleared.get() < total) {
                    try {
                        int v = q.get(Duration.ofMillis(5));
                        assertFalse(seen[v], "delivered twice: " + v);
                        seen[v] = true;
                        consumed++;
                    } catch (QueueEmptyException e) {
                        // the clearer took it, or the producers are between items
                    }
                }
                for (Future<?> f : puts) {
                    f.get(10, TimeUnit.SECONDS);
                }
                stop.set(true);
                clearer.get(10, TimeUnit.SECONDS);
                cleared.addAndGet(q.clear());
                QueueMetrics m = q.metrics();
                assertEquals(total, consumed + cleared.get());
                assertEquals(total, m.puts());
                assertEquals(consumed, m.gets());
                assertEquals(cleared.get(), m.cleared());
                assertEquals(0, q.size());
            } finally {
                pool.shutdownNow();
            }
            q.destroy();
        }
    }

    /**
     * Puts and gets that are interrupted while they wait: a put that threw added nothing, a put that
     * returned added its item, a get that threw took nothing; every item that went in comes out.
     */
    @Test
    void interruptedPutsAndGetsLoseAndDuplicateNothing() throws Exception {
        try (MessageQueue<Integer> q = QueueDescriptor.priority("stress-interrupt").withCapacity(2).open()) {
            int producers = 2;
            int perProducer = 3_000;
            AtomicInteger added = new AtomicInteger();
            AtomicInteger taken = new AtomicInteger();
            AtomicBoolean producing = new AtomicBoolean(true);
            boolean[] seen = new boolean[producers * perProducer];
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            CountDownLatch producersDone = new CountDownLatch(producers);
            for (int p = 0; p < producers; p++) {
                int base = p * perProducer;
                threads.add(new Thread(() -> {
                    try {
                        for (int i = 0; i < perProducer; i++) {
                            try {
                                q.put(base + i, i % 3 * 100, Duration.ofSeconds(10));
                                added.incrementAndGet();
                            } catch (InterruptedException e) {
                                // not added: the check at the end counts it out
                            }
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        producersDone.countDown();
                    }
                }));
            }
            Thread consumer = new Thread(() -> {
                try {
                    while (producing.get() || q.size() > 0) {
                        try {
                            int v = q.get(Duration.ofMillis(20));
                            synchronized (seen) {
                                if (seen[v]) {
                                    failures.add(new AssertionError("delivered twice: " + v));
                                }
                                seen[v] = true;
                            }
                            taken.incrementAndGet();
                        } catch (InterruptedException | QueueEmptyException e) {
                            // nothing taken
                        }
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            });
            threads.add(consumer);
            threads.forEach(Thread::start);
            while (producersDone.getCount() > 0) {
                for (Thread t : threads) {
                    t.interrupt();
                }
                producersDone.await(200, TimeUnit.MICROSECONDS);
            }
            producing.set(false);
            consumer.join(10_000);
            assertFalse(consumer.isAlive());
            assertTrue(failures.isEmpty(), () -> "failures: " + failures);
            assertEquals(added.get(), taken.get(), "every item a put returned from is taken once");
            assertEquals(added.get(), q.metrics().puts());
            assertEquals(0, q.size());
            q.destroy();
        }
    }

    /**
     * Eight threads, four putting and four getting through a queue of two, on a machine of two
     * cores: lock holders lose their core to waiters, and the queue must still move every item
     * instead of livelocking on the spin lock.
     */
    @Test
    void eightThreadsOnASmallQueueMoveEveryItemWhenHoldersLoseTheirCore() throws Exception {
        int pairs = 4;
        int perProducer = 25_000;
        try (MessageQueue<Integer> q = QueueDescriptor.priority("stress-eight").withCapacity(2).open()) {
            ExecutorService pool = Executors.newFixedThreadPool(2 * pairs);
            try {
                List<Future<?>> all = new ArrayList<>();
                AtomicLong sum = new AtomicLong();
                AtomicInteger taken = new AtomicInteger();
                int total = pairs * perProducer;
                for (int p = 0; p < pairs; p++) {
                    int base = p * perProducer;
                    all.add(pool.submit(() -> {
                        for (int i = 0; i < perProducer; i++) {
                            if (!q.offer(base + i)) {
                                q.put(base + i, (base + i) % 256, Duration.ofSeconds(20));
                            }
                        }
                        return null;
                    }));
                    all.add(pool.submit(() -> {
                        while (taken.get() < total) {
                            q.poll().ifPresentOrElse(v -> {
                                sum.addAndGet(v);
                                taken.incrementAndGet();
                            }, Thread::yield);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : all) {
                    f.get(40, TimeUnit.SECONDS);
                }
                assertEquals(total, taken.get());
                assertEquals((long) total * (total - 1) / 2, sum.get());
                assertEquals(0, q.size());
            } finally {
                pool.shutdownNow();
            }
            q.destroy();
        }
    }

    /**
     * A queue longer than its inbox (so puts that find the inbox full move it themselves, and batches
     * longer than the inbox are put under the lock) with DROP_OLDEST: the same accounting holds.
     */
    @Test
    void dropOldestPastTheInboxWithBatchesLongerThanItKeepsEveryCount() throws Exception {
        int capacity = 4_100;
        QueueDescriptor d = QueueDescriptor.priority("stress-drop-long").withCapacity(capacity)
                .withOption("backpressure", "DROP_OLDEST");
        try (MessageQueue<Integer> q = d.open()) {
            AtomicInteger next = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger violations = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                long end = System.nanoTime() + RUN_NANOS;
                Future<?> single = pool.submit(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    while (System.nanoTime() < end) {
                        q.put(next.getAndIncrement(), r.nextInt(256));
                    }
                    return null;
                });
                Future<?> batches = pool.submit(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    while (System.nanoTime() < end) {
                        int n = r.nextInt(10) == 0 ? 4_097 + r.nextInt(capacity - 4_096) : 1 + r.nextInt(64);
                        List<Integer> items = new ArrayList<>(n);
                        for (int i = 0; i < n; i++) {
                            items.add(next.getAndIncrement());
                        }
                        q.putAll(items, r.nextInt(256), Duration.ofSeconds(5));
                    }
                    return null;
                });
                Future<?> reader = pool.submit(() -> {
                    while (!stop.get()) {
                        QueueMetrics m = q.metrics();
                        if (m.size() != m.puts() - m.gets() - m.dropped() - m.cleared() || m.size() > capacity
                                || q.size() > capacity) {
                            violations.incrementAndGet();
                        }
                    }
                    return null;
                });
                java.util.BitSet seen = new java.util.BitSet();
                long consumed = 0;
                while (!(single.isDone() && batches.isDone()) || q.size() > 0) {
                    for (int v : q.getBatch(256, Duration.ofMillis(5))) {
                        assertFalse(seen.get(v), "delivered twice: " + v);
                        seen.set(v);
                        consumed++;
                    }
                }
                single.get(10, TimeUnit.SECONDS);
                batches.get(10, TimeUnit.SECONDS);
                stop.set(true);
                reader.get(10, TimeUnit.SECONDS);
                QueueMetrics m = q.metrics();
                assertEquals(0, violations.get(), "snapshots that did not add up or passed the capacity");
                assertEquals(next.get(), m.puts());
                assertEquals(m.puts(), consumed + m.dropped());
            } finally {
                pool.shutdownNow();
            }
            q.destroy();
        }
    }

    /**
     * Blocking batches (some longer than the inbox) and single puts into a queue longer than its
     * inbox, two consumers taking batches and a thread that clears: nothing is lost, duplicated or
     * left waiting.
     */
    @Test
    void blockingBatchesPastTheInboxWithClearsDeliverOrClearEveryItemOnce() throws Exception {
        int capacity = 4_100;
        try (MessageQueue<Integer> q = QueueDescriptor.priority("stress-block-long").withCapacity(capacity).open()) {
            AtomicInteger next = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong cleared = new AtomicLong();
            AtomicLong consumed = new AtomicLong();
            java.util.BitSet seen = new java.util.BitSet();
            List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(5);
            try {
                long end = System.nanoTime() + RUN_NANOS;
                List<Future<?>> producers = new ArrayList<>();
                for (int p = 0; p < 2; p++) {
                    producers.add(pool.submit(() -> {
                        ThreadLocalRandom r = ThreadLocalRandom.current();
                        while (System.nanoTime() < end) {
                            int n = r.nextInt(8) == 0 ? 4_097 + r.nextInt(capacity - 4_096) : 1 + r.nextInt(64);
                            List<Integer> items = new ArrayList<>(n);
                            for (int i = 0; i < n; i++) {
                                items.add(next.getAndIncrement());
                            }
                            q.putAll(items, 128, Duration.ofSeconds(20));
                        }
                        return null;
                    }));
                }
                List<Future<?>> consumers = new ArrayList<>();
                for (int c = 0; c < 2; c++) {
                    consumers.add(pool.submit(() -> {
                        while (!stop.get() || q.size() > 0) {
                            List<Integer> got = q.getBatch(512, Duration.ofMillis(5));
                            synchronized (seen) {
                                for (int v : got) {
                                    if (seen.get(v)) {
                                        problems.add("delivered twice: " + v);
                                    }
                                    seen.set(v);
                                }
                            }
                            consumed.addAndGet(got.size());
                        }
                        return null;
                    }));
                }
                Future<?> clearer = pool.submit(() -> {
                    while (!stop.get()) {
                        cleared.addAndGet(q.clear());
                        LockSupportPause.pause();
                    }
                    return null;
                });
                for (Future<?> f : producers) {
                    f.get(30, TimeUnit.SECONDS);
                }
                stop.set(true);
                clearer.get(10, TimeUnit.SECONDS);
                for (Future<?> f : consumers) {
                    f.get(10, TimeUnit.SECONDS);
                }
                QueueMetrics m = q.metrics();
                assertTrue(problems.isEmpty(), () -> problems.subList(0, Math.min(5, problems.size())).toString());
                assertEquals(next.get(), m.puts());
                assertEquals(m.puts(), consumed.get() + cleared.get());
                assertEquals(consumed.get(), m.gets());
                assertEquals(cleared.get(), m.cleared());
            } finally {
                pool.shutdownNow();
            }
            q.destroy();
        }
    }

    /** A short pause between clears, so that most items reach the consumers. */
    private static final class LockSupportPause {
        static void pause() {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** A full queue with waiting single puts and a waiting batch: one clear lets all of them in. */
    @Test
    void clearWakesEveryWaitingPutSingleAndBatch() throws Exception {
        try (MessageQueue<Integer> q = QueueDescriptor.priority("stress-clear-wake").withCapacity(4).open()) {
            q.putAll(List.of(1, 2, 3, 4));
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                Future<?> a = pool.submit(() -> {
                    q.put(5, Duration.ofSeconds(5));
                    return null;
                });
                Future<?> b = pool.submit(() -> {
                    q.put(6, Duration.ofSeconds(5));
                    return null;
                });
                Future<?> c = pool.submit(() -> {
                    q.putAll(List.of(7, 8), 128, Duration.ofSeconds(5));
                    return null;
                });
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (q.metrics().waits() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertEquals(4, q.clear());
                long start = System.nanoTime();
                a.get(2, TimeUnit.SECONDS);
                b.get(2, TimeUnit.SECONDS);
                c.get(2, TimeUnit.SECONDS);
                assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(500));
                assertEquals(4, q.size());
            } finally {
                pool.shutdownNow();
            }
            q.destroy();
        } catch (QueueFullException e) {
            throw new AssertionError("a put waited out its timeout after the clear", e);
        }
    }
}
