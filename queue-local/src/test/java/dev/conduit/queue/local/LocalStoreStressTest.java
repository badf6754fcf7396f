package dev.conduit.queue.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueFullException;
import dev.conduit.queue.QueueMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Three handles of one local queue at once: producers (put with a short timeout, offer, putAll),
 * consumers (get, getBatch, poll, peek) and a clearer. Afterwards every accepted item was delivered
 * once, cleared, dropped or is still queued; the metrics say the same; each consumer saw each
 * producer's items in order. Threads are daemons joined with a deadline.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalStoreStressTest {
    private static final long RUN_MILLIS = 600;
    private static final long JOIN_MILLIS = 15_000;

    @ParameterizedTest
    @CsvSource({"BLOCK,1", "BLOCK,3", "BLOCK,6", "BLOCK,8", "REJECT,5", "DROP_OLDEST,1", "DROP_OLDEST,3",
        "DROP_OLDEST,7", "DROP_OLDEST,8"})
    void everyAcceptedItemIsAccountedForOnceAndTheMetricsAddUp(String policy, int capacity) throws Exception {
        QueueDescriptor d = QueueDescriptor.local("stress-" + policy + "-" + capacity + "-" + System.nanoTime())
                .withCapacity(capacity).withOption("backpressure", policy);
        MessageQueue<Long> producerHandle = d.open();
        MessageQueue<Long> consumerHandle = d.open();
        MessageQueue<Long> clearHandle = d.open();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong accepted = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        AtomicLong cleared = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int pr = 0; pr < 2; pr++) {
            final long base = (long) pr << 40;
            threads.add(new Thread(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                long next = 0;
                try {
                    while (!stop.get()) {
                        int op = r.nextInt(3);
                        if (op == 0) {
                            int n = 1 + r.nextInt(capacity);
                            List<Long> batch = new ArrayList<>(n);
                            for (int k = 0; k < n; k++) {
                                batch.add(base + next + k);
                            }
                            try {
                                producerHandle.putAll(batch, 0, Duration.ofMillis(1));
                                next += n;
                                accepted.addAndGet(n);
                            } catch (QueueFullException e) {
                                refused.incrementAndGet();
                            }
                        } else if (op == 1) {
                            if (producerHandle.offer(base + next)) {
                                next++;
                                accepted.incrementAndGet();
                            } else {
                                refused.incrementAndGet();
                            }
                        } else {
                            try {
                                producerHandle.put(base + next, Duration.ofMillis(1));
                                next++;
                                accepted.incrementAndGet();
                            } catch (QueueFullException e) {
                                refused.incrementAndGet();
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "store-producer-" + pr));
        }
        for (int co = 0; co < 2; co++) {
            threads.add(new Thread(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                long[] last = {-1, -1};
                try {
                    while (!stop.get()) {
                        List<Long> got = new ArrayList<>();
                        int op = r.nextInt(4);
                        if (op == 0) {
                            consumerHandle.peek();
                            continue;
                        } else if (op == 1) {
                            got = consumerHandle.getBatch(1 + r.nextInt(capacity), Duration.ofMillis(1));
                        } else if (op == 2) {
                            Optional<Long> o = consumerHandle.poll();
                            o.ifPresent(got::add);
                        } else {
                            try {
                                got.add(consumerHandle.get(Duration.ofMillis(1)));
                            } catch (QueueEmptyException e) {
                                // nothing in time
                            }
                        }
                        for (long v : got) {
                            int pr = (int) (v >>> 40);
                            long s = v & ((1L << 40) - 1);
                            if (!seen.add(v)) {
                                throw new AssertionError("item " + pr + ":" + s + " delivered twice");
                            }
                            if (s <= last[pr]) {
                                throw new AssertionError("item " + pr + ":" + s + " after " + pr + ":" + last[pr]);
                            }
                            last[pr] = s;
                            delivered.incrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "store-consumer-" + co));
        }
        threads.add(new Thread(() -> {
            try {
                while (!stop.get()) {
                    cleared.addAndGet(clearHandle.clear());
                    for (int k = 0; k < 500 && !stop.get(); k++) {
                        Thread.onSpinWait();
                    }
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }, "store-clearer"));
        StressRun.runThenStop(threads, stop, RUN_MILLIS, JOIN_MILLIS, () -> "");
        assertNull(failure.get());
        QueueMetrics m = producerHandle.metrics();
        int size = m.size();
        assertEquals(accepted.get(), m.puts(), "puts");
        assertEquals(delivered.get(), m.gets(), "gets");
        assertEquals(cleared.get(), m.cleared(), "cleared");
        assertEquals(refused.get(), m.rejected(), "rejected");
        assertEquals(m.size(), m.puts() - m.gets() - m.dropped() - m.cleared(), "puts - gets - dropped - cleared");
        if (!"DROP_OLDEST".equals(policy)) {
            assertEquals(0, m.dropped());
        }
        long rest = consumerHandle.getBatch(capacity, Duration.ZERO).size();
        assertEquals(size, rest);
        assertEquals(accepted.get(), delivered.get() + cleared.get() + m.dropped() + rest);
        producerHandle.destroy();
        consumerHandle.close();
        clearHandle.close();
    }
}
