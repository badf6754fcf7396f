package dev.conduit.queue.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every operation of the ring at once, on capacities that are and are not powers of two: two
 * producers (single offers and batches up to the capacity), two consumers (polls, peeks, drains)
 * and a clearer. Each item is taken or cleared exactly once; per producer, each consumer sees its
 * items in order; a batch a consumer takes whole is contiguous. All threads are daemons joined with
 * a deadline, since a poll waiting for an unpublished claim spins without one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MpmcRingStressTest {
    private static final long RUN_MILLIS = 700;
    private static final long JOIN_MILLIS = 15_000;

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16})
    void offersBatchesPollsPeeksAndClearsLoseAndDuplicateNothing(int capacity) throws Exception {
        AtomicLong wholeBatches = new AtomicLong();
        MpmcRing ring = new MpmcRing(capacity);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong offered = new AtomicLong();
        AtomicLong cleared = new AtomicLong();
        AtomicLong taken = new AtomicLong();
        AtomicReference<String> failure = new AtomicReference<>();
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int pr = 0; pr < 2; pr++) {
            final long base = (long) pr << 40;
            // The first producer's batches are as large as the capacity: they need an empty ring.
            final boolean wholeRing = pr == 0;
            threads.add(new Thread(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                long next = 0;
                while (!stop.get()) {
                    if (r.nextInt(3) == 0) {
                        int n = wholeRing ? capacity : 1 + r.nextInt(capacity);
                        List<Long> batch = new ArrayList<>(n);
                        for (int k = 0; k < n; k++) {
                            batch.add(base + next + k);
                        }
                        if (ring.offerAll(batch)) {
                            if (wholeRing) {
                                wholeBatches.incrementAndGet();
                            }
                            next += n;
                            offered.addAndGet(n);
                        }
                    } else if (ring.offer(base + next)) {
                        next++;
                        offered.incrementAndGet();
                    }
                }
            }, "stress-producer-" + pr));
        }
        for (int co = 0; co < 2; co++) {
            threads.add(new Thread(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                long[] last = {-1, -1};
                while (!stop.get()) {
                    int op = r.nextInt(4);
                    if (op == 0) {
                        Object h = ring.peek();
                        if (h != null && !(h instanceof Long)) {
                            failure.compareAndSet(null, "peek returned " + h);
                        }
                        continue;
                    }
                    List<Object> got = new ArrayList<>();
                    if (op == 1) {
                        ring.drain(got::add, 1 + r.nextInt(capacity));
                    } else {
                        Object e = ring.poll();
                        if (e != null) {
                            got.add(e);
                        }
                    }
                    for (Object o : got) {
                        long v = (Long) o;
                        int pr = (int) (v >>> 40);
                        long s = v & ((1L << 40) - 1);
                        if (!seen.add(v)) {
                            failure.compareAndSet(null, "item " + pr + ":" + s + " taken twice");
                        }
                        if (s <= last[pr]) {
                            failure.compareAndSet(null, "item " + pr + ":" + s + " after " + pr + ":" + last[pr]);
                        }
                        last[pr] = s;
                        taken.incrementAndGet();
                    }
                }
            }, "stress-consumer-" + co));
        }
        threads.add(new Thread(() -> {
            while (!stop.get()) {
                cleared.addAndGet(ring.clear());
                int size = ring.size();
                if (size < 0 || size > capacity) {
                    failure.compareAndSet(null, "size " + size);
                }
                for (int k = 0; k < 200 && !stop.get(); k++) {
                    Thread.onSpinWait();
                }
            }
        }, "stress-clearer"));
        StressRun.runThenStop(threads, stop, RUN_MILLIS, JOIN_MILLIS, () -> " (capacity " + capacity + "), taken "
                + taken.get() + " of " + offered.get() + ", size " + ring.size());
        assertEquals(null, failure.get());
        assertTrue(wholeBatches.get() > 0, "no batch as large as the capacity got in");
        long rest = 0;
        while (ring.poll() != null) {
            rest++;
        }
        assertEquals(offered.get(), taken.get() + cleared.get() + rest,
                "capacity " + capacity + ": offered = taken + cleared + left");
        assertEquals(ring.producerCount(), ring.consumerCount());
        assertEquals(offered.get(), ring.producerCount());
    }
}
