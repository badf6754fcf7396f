package dev.conduit.queue.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conduit.queue.BackendNotFoundException;
import dev.conduit.queue.Backpressure;
import dev.conduit.queue.Capability;
import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.QueueFullException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.Transaction;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The conformance suite (TCK): every rule of DESIGN.md's "Semantics every backend keeps", written
 * once and run against each backend by a small subclass. A check that needs a capability the
 * backend lacks ({@link Capability#PRIORITY}, {@link Capability#TRANSACTIONS},
 * {@link Capability#BROADCAST}, {@link Capability#ITEM_SIZE_LIMIT}, {@link Capability#CROSS_PROCESS})
 * is skipped by an assumption, never deleted; so is a check that needs a backpressure policy other
 * than the one the subclass's descriptors choose.
 *
 * <h2>What a subclass implements</h2>
 * <ul>
 *   <li><b>Required:</b> {@link #descriptor(String, int)}: a descriptor of a fresh queue with that id
 *       and capacity, that no other test uses. Add whatever the backend needs: a namespace, a server
 *       address, a backpressure option. Each test calls it with a unique id and destroys the queue
 *       when it ends (through a fresh handle, so closed handles are no obstacle).</li>
 *   <li>{@link #descriptor(String, int, Map)}: the same with extra options (default: adds them with
 *       {@link QueueDescriptor#withOptions}); override if the backend spells an option differently.</li>
 *   <li>{@link #open(QueueDescriptor, Codec)}: how to open a handle (default
 *       {@code d.open(codec)}); {@link #open(QueueDescriptor)} uses it with the default object
 *       codec. Override for client-side settings that a descriptor does not carry.</li>
 *   <li>{@link #stress()}: thread and item counts for the concurrent checks (default 4 producers,
 *       4 consumers, {@value Stress#DEFAULT_ITEMS_PER_PRODUCER} items each, or the
 *       {@code conduit.tck.*} system properties). Remote backends return fewer items.</li>
 *   <li>{@link #timingSlack()}: how late a timed call may return (default 250 ms).</li>
 *   <li>{@link #broadcastOptions()}: the descriptor options that make a queue broadcast (default
 *       {@code broadcast=true}); only read when the backend has BROADCAST.</li>
 * </ul>
 * Set-up and tear-down that the backend needs (start a server, a Ray runtime) go in the subclass's
 * own {@code @BeforeAll}/{@code @AfterAll}. A subclass that finds a real bug keeps the check and
 * overrides that one test method with {@code @Test @Disabled("BUG: ...")} calling {@code super}.
 *
 * <p>Every test is bounded by {@link Timeout}, so a bug fails instead of hanging.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class QueueConformanceTest {
    /** The timeout used by the timing checks: long enough to measure, short enough to be quick. */
    private static final Duration SHORT = Duration.ofMillis(100);
    /** How long a check waits for something that should happen at once, before failing. */
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private final List<MessageQueue<?>> handles = new CopyOnWriteArrayList<>();
    private final List<QueueDescriptor> created = new CopyOnWriteArrayList<>();
    private final AtomicInteger queueCounter = new AtomicInteger();
    private String testName = "test";

    // ------------------------------------------------------------------------------------------
    // What a subclass provides

    /**
     * A descriptor of a fresh queue for one test.
     *
     * @param id a unique id (letters, digits, '.', '_', '-'; at most 100 characters)
     * @param capacity the capacity the test needs
     * @return the descriptor; opening it must reach an empty queue that no other test uses
     */
    protected abstract QueueDescriptor descriptor(String id, int capacity);

    /**
     * A descriptor of a fresh queue with extra options.
     *
     * @param id a unique id
     * @param capacity the capacity
     * @param options options to add to what {@link #descriptor(String, int)} sets
     * @return the descriptor
     */
    protected QueueDescriptor descriptor(String id, int capacity, Map<String, String> options) {
        return descriptor(id, capacity).withOptions(options);
    }

    /**
     * Opens a handle with the default object codec.
     *
     * @param <T> the item type
     * @param d the descriptor
     * @return a handle; the suite closes it after the test
     */
    protected <T> MessageQueue<T> open(QueueDescriptor d) {
        return open(d, Codecs.objects());
    }

    /**
     * Opens a handle with a codec.
     *
     * @param <T> the item type
     * @param d the descriptor
     * @param codec the item codec
     * @return a handle
     */
    protected <T> MessageQueue<T> open(QueueDescriptor d, Codec<T> codec) {
        return d.open(codec);
    }

    /** @return thread and item counts for the concurrent checks */
    protected Stress stress() {
        return Stress.fromSystemProperties();
    }

    /** @return how much later than its timeout a timed call may return */
    protected Duration timingSlack() {
        return Duration.ofMillis(250);
    }

    /**
     * Whether a handle may be used by several threads at once, as the contract says by default. A
     * suite for thread-confined handles (one thread per side, such as shm's {@code threads=confined})
     * returns false, and the checks that call one side of a handle (its puts, or its takes) from
     * several threads (concurrent producers or consumers, async calls that wait and the Flow
     * publisher, which run on Conduit's async threads) are skipped. The other checks keep to one
     * thread per side, or hand a side over only after the thread that used it has ended; reads,
     * {@code close()} and {@link Thread#interrupt()} come from any thread.
     *
     * @return true unless the backend's handles are thread-confined
     */
    protected boolean handlesAreSharedBetweenThreads() {
        return true;
    }

    private void assumeHandlesSharedBetweenThreads() {
        assumeTrue(handlesAreSharedBetweenThreads(), "the suite's handles are thread-confined");
    }

    /** @return the options that make a queue broadcast, for backends with BROADCAST */
    protected Map<String, String> broadcastOptions() {
        return Map.of("broadcast", "true");
    }

    // ------------------------------------------------------------------------------------------
    // Fixture

    @BeforeEach
    void rememberTestName(TestInfo info) {
        testName = info.getTestMethod().map(m -> m.getName()).orElse("test");
    }

    @AfterEach
    void closeHandlesAndDestroyQueues() {
        for (MessageQueue<?> h : handles) {
            try {
                h.close();
            } catch (RuntimeException e) {
                // The test may have broken the handle on purpose; destroying the queue is what matters.
            }
        }
        for (QueueDescriptor d : created) {
            try {
                open(d).destroy();
            } catch (QueueException e) {
                // Destroyed by the test already, and this backend cannot reopen a destroyed queue.
            }
        }
    }

    /** A descriptor for a new queue, destroyed after the test. */
    private QueueDescriptor newDescriptor(int capacity, Map<String, String> options) {
        String name = testName.length() > 60 ? testName.substring(0, 60) : testName;
        String id = "tck-" + name + "-" + queueCounter.incrementAndGet() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        QueueDescriptor d = options.isEmpty() ? descriptor(id, capacity) : descriptor(id, capacity, options);
        created.add(d);
        return d;
    }

    private <T> MessageQueue<T> newQueue(int capacity) {
        return handle(open(newDescriptor(capacity, Map.of())));
    }

    private <T> MessageQueue<T> newQueue(int capacity, Map<String, String> options) {
        return handle(open(newDescriptor(capacity, options)));
    }

    /** Remembers a handle so that it is closed after the test. */
    private <T> MessageQueue<T> handle(MessageQueue<T> q) {
        handles.add(q);
        return q;
    }

    private static Backpressure policy(MessageQueue<?> q) {
        return Backpressure.parse(q.descriptor().option("backpressure", null));
    }

    private static void assumeCapability(MessageQueue<?> q, Capability c) {
        assumeTrue(q.capabilities().contains(c), "backend lacks " + c);
    }

    private static void assumePolicy(MessageQueue<?> q, Backpressure p) {
        assumeTrue(policy(q) == p, "check needs backpressure " + p + ", queue has " + policy(q));
    }

    private static <T> void putAllOf(MessageQueue<T> q, List<T> items) throws InterruptedException {
        for (T item : items) {
            q.put(item);
        }
    }

    /** Takes exactly {@code n} items, failing if they do not arrive promptly. */
    private static <T> List<T> take(MessageQueue<T> q, int n) throws InterruptedException {
        List<T> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(q.get(PATIENCE));
        }
        return out;
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }

    /** Asserts that a timed call waited its whole timeout and returned promptly after it. */
    private void assertWaitedFor(Duration timeout, long elapsedNanos, String call) {
        assertTrue(elapsedNanos >= timeout.toNanos(), call + " returned after " + elapsedNanos / 1_000_000.0
                + " ms, before its " + timeout.toMillis() + " ms timeout");
        assertTrue(elapsedNanos < timeout.plus(timingSlack()).toNanos(), call + " returned after "
                + elapsedNanos / 1_000_000.0 + " ms: more than " + timingSlack().toMillis() + " ms past its "
                + timeout.toMillis() + " ms timeout");
    }

    /** Asserts that a call that must not wait returned within the timing slack. */
    private void assertPrompt(long elapsedNanos, String call) {
        assertTrue(elapsedNanos < timingSlack().toNanos(), call + " took " + elapsedNanos / 1_000_000.0
                + " ms; it must not wait");
    }

    /**
     * A call running on its own thread, so a test can watch it block, interrupt it, or unblock it.
     */
    private static final class Background<V> {
        final Thread thread;
        final CompletableFuture<V> result = new CompletableFuture<>();

        Background(String name, Callable<V> call) {
            thread = new Thread(() -> {
                try {
                    result.complete(call.call());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
        }

        /** Waits until the thread is parked (or 2 s pass), then a little longer. */
        void awaitBlocked() throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (!result.isDone() && System.nanoTime() < end) {
                Thread.State s = thread.getState();
                if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                    break;
                }
                Thread.sleep(1);
            }
            Thread.sleep(30);
            assertFalse(result.isDone(), () -> "the call should still be blocked, but ended with " + outcome());
        }

        /**
         * Waits until the call's thread has passed {@code step} (the set-up it does before the call
         * under test), failing if the call ends first or {@link #PATIENCE} passes.
         */
        void awaitStep(CountDownLatch step) throws InterruptedException {
            long end = System.nanoTime() + PATIENCE.toNanos();
            while (!step.await(10, TimeUnit.MILLISECONDS)) {
                if (result.isDone()) {
                    throw new AssertionError("the call ended before its set-up was done, with " + outcome());
                }
                if (System.nanoTime() > end) {
                    throw new AssertionError("the call's set-up was not done within " + PATIENCE.toSeconds() + " s");
                }
            }
        }

        /**
         * Waits until the call's thread has ended (or {@link #PATIENCE} passes), so that a
         * thread-confined side it used passes to the next thread that calls.
         */
        void awaitEnded() throws InterruptedException {
            thread.join(PATIENCE.toMillis());
            assertFalse(thread.isAlive(), "the call's thread did not end within " + PATIENCE.toSeconds() + " s");
        }

        private String outcome() {
            try {
                return String.valueOf(result.getNow(null));
            } catch (CompletionException e) {
                return e.getCause().toString();
            }
        }

        V value() throws Exception {
            try {
                return result.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new AssertionError("the call failed", e.getCause());
            }
        }

        Throwable failure() throws Exception {
            try {
                V v = result.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                throw new AssertionError("the call returned " + v + " instead of failing");
            } catch (ExecutionException e) {
                return e.getCause();
            } catch (TimeoutException e) {
                throw new AssertionError("the call did not end within " + PATIENCE.toSeconds() + " s", e);
            }
        }
    }

    private static <V> List<V> joinAll(List<Future<V>> futures) throws Exception {
        List<V> out = new ArrayList<>();
        for (Future<V> f : futures) {
            try {
                out.add(f.get(120, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof AssertionError) {
                    throw (AssertionError) e.getCause();
                }
                throw new AssertionError("a worker thread failed", e.getCause());
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // Basic put and get

    @Test
    void putThenGetReturnsTheSameItem() throws Exception {
        MessageQueue<String> q = newQueue(4);
        q.put("hello");
        assertEquals("hello", q.get(PATIENCE));
        assertTrue(q.isEmpty());
    }

    @Test
    void handleReportsTheDescriptorItWasOpenedWith() {
        QueueDescriptor d = newDescriptor(8, Map.of());
        MessageQueue<String> q = handle(open(d));
        assertEquals(d, q.descriptor());
        assertEquals(d.createdAt(), q.descriptor().createdAt());
    }

    @Test
    void twoHandlesOnOneDescriptorReachTheSameQueue() throws Exception {
        QueueDescriptor d = newDescriptor(8, Map.of());
        MessageQueue<String> a = handle(open(d));
        MessageQueue<String> b = handle(open(d));
        a.put("from-a");
        assertEquals("from-a", b.get(PATIENCE));
        b.put("from-b");
        assertEquals("from-b", a.get(PATIENCE));
    }

    @Test
    void itemsFromOneProducerArriveInTheOrderTheyWerePut() throws Exception {
        MessageQueue<Long> q = newQueue(16);
        assumePolicy(q, Backpressure.BLOCK);
        int n = Math.min(5_000, stress().itemsPerProducer());
        Background<Void> producer = new Background<>("fifo-producer", () -> {
            putAllOf(q, range(0, n));
            return null;
        });
        for (long i = 0; i < n; i++) {
            assertEquals(i, q.get(PATIENCE));
        }
        producer.value();
    }

    @Test
    void itemsOfEachProducerArriveInOrderWhenProducersInterleave() throws Exception {
        assumeHandlesSharedBetweenThreads();
        Stress s = stress();
        MessageQueue<Long> q = newQueue(64);
        assumePolicy(q, Backpressure.BLOCK);
        int per = s.itemsPerProducer();
        ExecutorService pool = Executors.newFixedThreadPool(s.producers());
        try {
            List<Future<Void>> producers = new ArrayList<>();
            for (int p = 0; p < s.producers(); p++) {
                long base = (long) p * per;
                producers.add(pool.submit(() -> {
                    putAllOf(q, range(base, base + per));
                    return null;
                }));
            }
            long[] next = new long[s.producers()];
            for (int i = 0; i < s.totalItems(); i++) {
                long v = q.get(PATIENCE);
                int p = (int) (v / per);
                assertEquals(next[p], v % per, "producer " + p + "'s items out of order");
                next[p]++;
            }
            joinAll(producers);
        } finally {
            pool.shutdownNow();
        }
        assertTrue(q.isEmpty());
    }

    // ------------------------------------------------------------------------------------------
    // Exactly once under many producers and consumers

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aQueueOfCapacityOneHandsEveryItemAcrossThreadsOnceInOrder() throws Exception {
        assumeHandlesSharedBetweenThreads();
        MessageQueue<Long> producerSide = newQueue(1);
        assumePolicy(producerSide, Backpressure.BLOCK);
        MessageQueue<Long> consumerSide = handle(open(producerSide.descriptor()));
        // A slot freed and refilled at once, item after item: where a ring's "published" and "free"
        // marks can coincide (one slot), a put that slips between a get's claim and its free loses
        // its item and stalls every later get.
        int n = Math.min(stress().itemsPerProducer(), 2_000);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Void> producer = pool.submit(() -> {
                putAllOf(producerSide, range(0, n));
                return null;
            });
            for (long i = 0; i < n; i++) {
                assertEquals(i, consumerSide.get(PATIENCE), "item " + i + " of " + n);
            }
            producer.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertTrue(consumerSide.isEmpty());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void everyItemIsDeliveredExactlyOnceUnderManyProducersAndConsumers() throws Exception {
        assumeHandlesSharedBetweenThreads();
        Stress s = stress();
        MessageQueue<Long> producerSide = newQueue(64);
        assumePolicy(producerSide, Backpressure.BLOCK);
        MessageQueue<Long> consumerSide = handle(open(producerSide.descriptor()));
        int per = s.itemsPerProducer();
        int total = s.totalItems();
        AtomicIntegerArray seen = new AtomicIntegerArray(total);
        AtomicLong checksum = new AtomicLong();
        AtomicInteger delivered = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(s.producers() + s.consumers());
        try {
            List<Future<Void>> producers = new ArrayList<>();
            for (int p = 0; p < s.producers(); p++) {
                long base = (long) p * per;
                boolean batched = p % 2 == 1;
                producers.add(pool.submit(() -> {
                    List<Long> items = range(base, base + per);
                    if (batched) {
                        for (int i = 0; i < items.size(); i += 8) {
                            producerSide.putAll(items.subList(i, Math.min(items.size(), i + 8)));
                        }
                    } else {
                        putAllOf(producerSide, items);
                    }
                    return null;
                }));
            }
            List<Future<Void>> consumers = new ArrayList<>();
            for (int c = 0; c < s.consumers(); c++) {
                boolean batched = c % 2 == 1;
                consumers.add(pool.submit(() -> {
                    // What one consumer sees of each producer's stream must still be in order.
                    long[] lastSeq = new long[s.producers()];
                    Arrays.fill(lastSeq, -1);
                    while (delivered.get() < total) {
                        List<Long> got;
                        if (batched) {
                            got = consumerSide.getBatch(16, Duration.ofMillis(20));
                        } else {
                            got = consumerSide.poll().map(List::of).orElse(List.of());
                            if (got.isEmpty()) {
                                try {
                                    got = List.of(consumerSide.get(Duration.ofMillis(20)));
                                } catch (QueueEmptyException e) {
                                    continue;
                                }
                            }
                        }
                        for (long v : got) {
                            assertTrue(v >= 0 && v < total, "item " + v + " was never put");
                            assertEquals(1, seen.incrementAndGet((int) v), "item " + v + " delivered twice");
                            int p = (int) (v / per);
                            long seq = v % per;
                            assertTrue(seq > lastSeq[p], "producer " + p + ": item " + seq + " after " + lastSeq[p]);
                            lastSeq[p] = seq;
                            checksum.addAndGet(mix(v));
                        }
                        delivered.addAndGet(got.size());
                    }
                    return null;
                }));
            }
            joinAll(producers);
            joinAll(consumers);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(total, delivered.get());
        long expected = 0;
        for (long v = 0; v < total; v++) {
            assertEquals(1, seen.get((int) v), "item " + v + " delivered " + seen.get((int) v) + " times");
            expected += mix(v);
        }
        assertEquals(expected, checksum.get(), "checksum of delivered items");
        assertEquals(0, producerSide.size());
        // Each side reads its own handle; that every handle sees the same counters is a separate check.
        assertEquals(total, producerSide.metrics().puts(), "metrics puts");
        assertEquals(total, consumerSide.metrics().gets(), "metrics gets");
    }

    private static long mix(long v) {
        long z = v * 0x9E3779B97F4A7C15L;
        return z ^ (z >>> 29);
    }

    // ------------------------------------------------------------------------------------------
    // Priorities

    @Test
    void higherPriorityIsDeliveredFirstAndEqualPrioritiesInFifoOrder() throws Exception {
        MessageQueue<String> q = newQueue(16);
        assumeCapability(q, Capability.PRIORITY);
        q.put("A", 100);
        q.put("B", 200);
        q.put("C", 100);
        q.put("D", 150);
        assertEquals(List.of("B", "D", "A", "C"), take(q, 4));
    }

    @Test
    void priorityOrderHoldsForManyRandomPrioritiesAcrossGetAndGetBatch() throws Exception {
        MessageQueue<long[]> q = newQueue(600);
        assumeCapability(q, Capability.PRIORITY);
        Random rnd = new Random(42);
        List<long[]> expected = new ArrayList<>();
        for (int seq = 0; seq < 500; seq++) {
            int prio = rnd.nextInt(4) == 0 ? rnd.nextInt(256) : new int[] {0, 128, 255}[rnd.nextInt(3)];
            long[] item = {prio, seq};
            q.put(item, prio);
            expected.add(item);
        }
        expected.sort((x, y) -> x[0] != y[0] ? Long.compare(y[0], x[0]) : Long.compare(x[1], y[1]));
        List<long[]> got = new ArrayList<>();
        while (got.size() < expected.size()) {
            if (got.size() % 2 == 0) {
                got.add(q.get(PATIENCE));
            } else {
                got.addAll(q.getBatch(7, PATIENCE));
            }
        }
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(Arrays.toString(expected.get(i)), Arrays.toString(got.get(i)), "position " + i);
        }
    }

    @Test
    void peekShowsTheHighestPriorityItem() throws Exception {
        MessageQueue<String> q = newQueue(8);
        assumeCapability(q, Capability.PRIORITY);
        q.put("low", 1);
        q.put("high", 250);
        assertEquals(Optional.of("high"), q.peek());
    }

    @Test
    void backendWithoutPriorityAcceptsPrioritiesAndKeepsFifoOrder() throws Exception {
        MessageQueue<String> q = newQueue(8);
        assumeFalse(q.capabilities().contains(Capability.PRIORITY), "backend has PRIORITY");
        q.put("first", 0);
        q.put("second", 255);
        q.put("third", 7, PATIENCE);
        q.put("fourth");
        assertEquals(List.of("first", "second", "third", "fourth"), take(q, 4));
    }

    // ------------------------------------------------------------------------------------------
    // Atomic batches and transactions

    /** How a producer writes one batch in the atomicity checks. */
    @FunctionalInterface
    private interface BatchWriter {
        void write(MessageQueue<Long> q, List<Long> batch) throws Exception;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void putAllIsSeenWholeContiguousAndInOrderByAConcurrentConsumer() throws Exception {
        assertBatchesAreAtomic(MessageQueue::putAll);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void putAllAsyncIsSeenWholeContiguousAndInOrderByAConcurrentConsumer() throws Exception {
        assertBatchesAreAtomic((q, batch) -> q.putAllAsync(batch).get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void putAllAsyncBatchesOfOneProducerArriveInCallOrderWithoutWaitingForEachOther() throws Exception {
        MessageQueue<Long> q = newQueue(256);
        assumePolicy(q, Backpressure.BLOCK);
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (int b = 0; b < 20; b++) {
            List<Long> batch = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                batch.add((long) b * 10 + i);
            }
            pending.add(q.putAllAsync(batch));
        }
        for (CompletableFuture<Void> f : pending) {
            f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        assertEquals(range(0, 200), take(q, 200));
        assertTrue(q.isEmpty());
    }

    @Test
    void putAllAsyncRefusesANullItemAndABatchThatCanNeverFitAndAddsNothing() throws Exception {
        MessageQueue<String> q = newQueue(4);
        q.put("kept");
        assertThrows(NullPointerException.class, () -> q.putAllAsync(Arrays.asList("x", null, "y")));
        assertThrows(IllegalArgumentException.class, () -> q.putAllAsync(List.of("1", "2", "3", "4", "5")));
        assertEquals(1, q.size());
        assertEquals(List.of("kept"), take(q, 1));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void transactionIsSeenWholeContiguousAndInOrderByAConcurrentConsumer() throws Exception {
        assertBatchesAreAtomic((q, batch) -> q.transaction(tx -> batch.forEach(tx::put)));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void tryWithResourcesTransactionIsSeenWholeByAConcurrentConsumer() throws Exception {
        assertBatchesAreAtomic((q, batch) -> {
            try (Transaction<Long> tx = q.beginTransaction()) {
                batch.forEach(tx::put);
                tx.commit();
            }
        });
    }

    /** Item layout for the atomicity checks: producer, batch number, index in batch, batch size. */
    private static long marker(int producer, int batch, int index, int size) {
        return ((long) producer << 48) | ((long) batch << 16) | ((long) index << 8) | size;
    }

    private void assertBatchesAreAtomic(BatchWriter writer) throws Exception {
        assumeHandlesSharedBetweenThreads();
        MessageQueue<Long> q = newQueue(64);
        assumeCapability(q, Capability.TRANSACTIONS);
        assumePolicy(q, Backpressure.BLOCK);
        int producers = Math.max(2, Math.min(4, stress().producers()));
        int batches = Math.max(10, stress().itemsPerProducer() / 20);
        int[] sizes = new int[batches];
        Random rnd = new Random(7);
        int total = 0;
        for (int b = 0; b < batches; b++) {
            sizes[b] = 2 + rnd.nextInt(11);
            total += sizes[b] * producers;
        }
        ExecutorService pool = Executors.newFixedThreadPool(producers);
        try {
            List<Future<Void>> futures = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int producer = p;
                futures.add(pool.submit(() -> {
                    for (int b = 0; b < batches; b++) {
                        List<Long> batch = new ArrayList<>();
                        for (int i = 0; i < sizes[b]; i++) {
                            batch.add(marker(producer, b, i, sizes[b]));
                        }
                        writer.write(q, batch);
                    }
                    return null;
                }));
            }
            BatchChecker checker = new BatchChecker(producers);
            int received = 0;
            while (received < total) {
                List<Long> got;
                if (rnd.nextBoolean()) {
                    got = q.getBatch(1 + rnd.nextInt(5), Duration.ofMillis(100));
                } else {
                    try {
                        got = List.of(q.get(Duration.ofMillis(100)));
                    } catch (QueueEmptyException e) {
                        got = List.of();
                    }
                }
                if (got.isEmpty() && futures.stream().allMatch(Future::isDone)) {
                    break;
                }
                for (long v : got) {
                    checker.accept(v);
                }
                received += got.size();
                // The rest of a batch whose head was seen must be visible now, without waiting.
                while (checker.midBatch()) {
                    Optional<Long> next = q.poll();
                    assertTrue(next.isPresent(), () -> "batch split: " + checker.describe()
                            + " seen but the rest of the batch is not visible");
                    checker.accept(next.get());
                    received++;
                }
            }
            joinAll(futures);
            assertEquals(total, received, "items received");
            assertTrue(q.isEmpty());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Follows the consumer's stream of markers and fails on a split, interleaved or reordered batch. */
    private static final class BatchChecker {
        private final int[] nextBatch;
        private int producer = -1;
        private int batch;
        private int nextIndex;
        private int size;

        BatchChecker(int producers) {
            nextBatch = new int[producers];
        }

        void accept(long v) {
            int p = (int) (v >>> 48);
            int b = (int) ((v >>> 16) & 0xFFFFFFFFL);
            int i = (int) ((v >>> 8) & 0xFF);
            int n = (int) (v & 0xFF);
            if (producer < 0) {
                assertEquals(0, i, "a batch must start at its first item; got item " + i + " of producer " + p
                        + "'s batch " + b);
                assertEquals(nextBatch[p], b, "producer " + p + "'s batches out of order");
                producer = p;
                batch = b;
                size = n;
                nextIndex = 1;
            } else {
                assertEquals(producer + "/" + batch + "/" + nextIndex, p + "/" + b + "/" + i,
                        "batch interleaved or reordered (producer/batch/index)");
                nextIndex++;
            }
            if (nextIndex == size) {
                nextBatch[producer]++;
                producer = -1;
            }
        }

        boolean midBatch() {
            return producer >= 0;
        }

        String describe() {
            return nextIndex + " of " + size + " items of producer " + producer + "'s batch " + batch;
        }
    }

    @Test
    void lambdaTransactionCommitsWhenTheBodyReturns() throws Exception {
        MessageQueue<String> q = newQueue(8);
        q.transaction(tx -> {
            tx.put("h");
            tx.put("b");
            assertEquals(0, q.size(), "transaction items must not be visible before commit");
            assertEquals(2, tx.size());
        });
        assertEquals(2, q.size());
        assertEquals(List.of("h", "b"), take(q, 2));
    }

    @Test
    void lambdaTransactionDiscardsItsPutsAndRethrowsWhenTheBodyThrows() throws Exception {
        MessageQueue<String> q = newQueue(8);
        q.put("before");
        IllegalStateException boom = new IllegalStateException("boom");
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> q.transaction(tx -> {
            tx.put("t1");
            throw boom;
        }));
        assertSame(boom, thrown);
        Exception checked = assertThrows(Exception.class, () -> q.transaction(tx -> {
            tx.put("t2");
            throw new IOException("checked");
        }));
        assertTrue(causes(checked).stream().anyMatch(t -> t instanceof IOException),
                "the body's checked exception must propagate (possibly wrapped): " + checked);
        assertEquals(List.of("before"), take(q, 1));
        assertTrue(q.poll().isEmpty(), "a failed transaction's items must be discarded");
    }

    private static List<Throwable> causes(Throwable t) {
        List<Throwable> out = new ArrayList<>();
        for (Throwable c = t; c != null && !out.contains(c); c = c.getCause()) {
            out.add(c);
        }
        return out;
    }

    @Test
    void tryWithResourcesTransactionRollsBackUnlessCommitted() throws Exception {
        MessageQueue<String> q = newQueue(8);
        try (Transaction<String> tx = q.beginTransaction()) {
            tx.put("lost-1");
            tx.put("lost-2", 200);
            assertEquals(2, tx.size());
            assertFalse(tx.isCommitted());
        }
        assertEquals(0, q.size());
        Transaction<String> committed;
        try (Transaction<String> tx = q.beginTransaction()) {
            tx.put("kept");
            assertEquals(0, q.size(), "transaction items must not be visible before commit");
            tx.commit();
            committed = tx;
        }
        assertTrue(committed.isCommitted());
        assertEquals(List.of("kept"), take(q, 1));
        assertTrue(q.isEmpty());
    }

    @Test
    void finishedTransactionRefusesMorePuts() throws Exception {
        MessageQueue<String> q = newQueue(8);
        Transaction<String> committed = q.beginTransaction();
        committed.put("x");
        committed.commit();
        assertThrows(IllegalStateException.class, () -> committed.put("y"));
        Transaction<String> rolledBack = q.beginTransaction();
        rolledBack.put("z");
        rolledBack.rollback();
        rolledBack.rollback();
        assertThrows(IllegalStateException.class, () -> rolledBack.put("w"));
        assertEquals(List.of("x"), take(q, 1));
        assertTrue(q.isEmpty());
    }

    @Test
    void transactionCommitWithTimeoutOnAFullQueueThrowsAddsNothingAndStaysOpen() throws Exception {
        MessageQueue<String> q = newQueue(2);
        assumePolicy(q, Backpressure.BLOCK);
        assumeCapability(q, Capability.TRANSACTIONS);
        q.put("a");
        Transaction<String> tx = q.beginTransaction();
        tx.put("t1");
        tx.put("t2");
        long start = System.nanoTime();
        assertThrows(QueueFullException.class, () -> tx.commit(SHORT));
        assertWaitedFor(SHORT, System.nanoTime() - start, "commit(timeout)");
        assertFalse(tx.isCommitted());
        assertEquals(1, q.size());
        assertEquals("a", q.get(PATIENCE));
        tx.commit(PATIENCE);
        assertEquals(List.of("t1", "t2"), take(q, 2));
    }

    // ------------------------------------------------------------------------------------------
    // Timeouts

    @Test
    void getTimesOutNoSoonerThanItsTimeoutAndPromptlyAfter() throws Exception {
        MessageQueue<String> q = newQueue(4);
        long start = System.nanoTime();
        assertThrows(QueueEmptyException.class, () -> q.get(SHORT));
        assertWaitedFor(SHORT, System.nanoTime() - start, "get(timeout)");
    }

    @Test
    void putOnAFullQueueTimesOutNoSoonerThanItsTimeoutAndAddsNothing() throws Exception {
        MessageQueue<String> q = newQueue(2);
        assumePolicy(q, Backpressure.BLOCK);
        q.put("a");
        q.put("b");
        long start = System.nanoTime();
        assertThrows(QueueFullException.class, () -> q.put("c", SHORT));
        assertWaitedFor(SHORT, System.nanoTime() - start, "put(timeout)");
        start = System.nanoTime();
        assertThrows(QueueFullException.class, () -> q.put("c", 200, SHORT));
        assertWaitedFor(SHORT, System.nanoTime() - start, "put(priority, timeout)");
        assertEquals(List.of("a", "b"), take(q, 2));
        assertTrue(q.isEmpty());
    }

    @Test
    void putAllOnAFullQueueTimesOutNoSoonerThanItsTimeoutAndAddsNothing() throws Exception {
        MessageQueue<String> q = newQueue(3);
        assumePolicy(q, Backpressure.BLOCK);
        q.put("a");
        q.put("b");
        long start = System.nanoTime();
        assertThrows(QueueFullException.class,
                () -> q.putAll(List.of("x", "y"), MessageQueue.DEFAULT_PRIORITY, SHORT));
        assertWaitedFor(SHORT, System.nanoTime() - start, "putAll(timeout)");
        if (q.capabilities().contains(Capability.TRANSACTIONS)) {
            assertEquals(2, q.size(), "an atomic putAll that timed out must add nothing");
            assertEquals(List.of("a", "b"), take(q, 2));
        }
    }

    @Test
    void getBatchOnAnEmptyQueueReturnsAnEmptyListAfterItsTimeout() throws Exception {
        MessageQueue<String> q = newQueue(4);
        long start = System.nanoTime();
        List<String> got = q.getBatch(10, SHORT);
        assertWaitedFor(SHORT, System.nanoTime() - start, "getBatch(timeout)");
        assertEquals(List.of(), got);
    }

    @Test
    void awaitNotEmptyReturnsFalseAfterItsTimeout() throws Exception {
        MessageQueue<String> q = newQueue(4);
        QueueMetrics before = q.metrics();
        long start = System.nanoTime();
        assertFalse(q.awaitNotEmpty(SHORT));
        assertWaitedFor(SHORT, System.nanoTime() - start, "awaitNotEmpty(timeout)");
        QueueMetrics after = q.metrics();
        // Waiting refuses, drops and moves nothing.
        assertEquals(before.puts(), after.puts(), "puts after a timed-out awaitNotEmpty");
        assertEquals(before.gets(), after.gets(), "gets after a timed-out awaitNotEmpty");
        assertEquals(before.rejected(), after.rejected(), "rejected after a timed-out awaitNotEmpty");
        assertEquals(before.dropped(), after.dropped(), "dropped after a timed-out awaitNotEmpty");
        assertEquals(0, after.size());
    }

    @Test
    void getAsyncCompletesWithQueueEmptyAfterItsTimeout() throws Exception {
        assumeHandlesSharedBetweenThreads();
        MessageQueue<String> q = newQueue(4);
        long start = System.nanoTime();
        CompletableFuture<String> f = q.getAsync(SHORT);
        CompletionException e = assertThrows(CompletionException.class, f::join);
        assertWaitedFor(SHORT, System.nanoTime() - start, "getAsync(timeout)");
        assertInstanceOf(QueueEmptyException.class, e.getCause());
    }

    @Test
    void zeroTimeoutsDoNotWait() throws Exception {
        MessageQueue<String> q = newQueue(1);
        long start = System.nanoTime();
        assertThrows(QueueEmptyException.class, () -> q.get(Duration.ZERO));
        assertEquals(List.of(), q.getBatch(3, Duration.ZERO));
        assertFalse(q.awaitNotEmpty(Duration.ZERO));
        assertPrompt(System.nanoTime() - start, "get/getBatch/awaitNotEmpty with zero timeout");
        if (policy(q) == Backpressure.BLOCK) {
            q.put("a");
            start = System.nanoTime();
            assertThrows(QueueFullException.class, () -> q.put("b", Duration.ZERO));
            assertThrows(QueueFullException.class, () -> q.put("b", Duration.ofMillis(-5)));
            assertPrompt(System.nanoTime() - start, "put with zero or negative timeout");
        }
    }

    @Test
    void blockedGetReturnsAnItemPutLaterByAnotherThread() throws Exception {
        MessageQueue<String> q = newQueue(4);
        Background<String> getter = new Background<>("blocked-get", q::get);
        getter.awaitBlocked();
        q.put("late");
        assertEquals("late", getter.value());
    }

    @Test
    void blockedGetBatchReturnsOnceTheFirstItemArrives() throws Exception {
        MessageQueue<String> q = newQueue(4);
        Background<List<String>> getter = new Background<>("blocked-getBatch", () -> q.getBatch(10, PATIENCE));
        getter.awaitBlocked();
        q.put("late");
        assertEquals(List.of("late"), getter.value());
    }

    @Test
    void awaitNotEmptyReturnsTrueOnceAnItemArrivesAndTakesNothing() throws Exception {
        MessageQueue<String> q = newQueue(4);
        Background<Boolean> waiter = new Background<>("awaitNotEmpty", () -> q.awaitNotEmpty(PATIENCE));
        waiter.awaitBlocked();
        q.put("x");
        assertTrue(waiter.value());
        assertEquals(1, q.size());
        assertTrue(q.awaitNotEmpty(Duration.ZERO));
    }

    @Test
    void blockedPutCompletesOnceAGetMakesRoom() throws Exception {
        MessageQueue<String> q = newQueue(1);
        assumePolicy(q, Backpressure.BLOCK);
        CountDownLatch filled = new CountDownLatch(1);
        // The putter fills the queue itself, so that one thread makes every put (thread-confined handles).
        Background<Void> putter = new Background<>("blocked-put", () -> {
            q.put("first");
            filled.countDown();
            q.put("second");
            return null;
        });
        putter.awaitStep(filled);
        putter.awaitBlocked();
        assertEquals("first", q.get(PATIENCE));
        putter.value();
        assertEquals("second", q.get(PATIENCE));
    }

    // ------------------------------------------------------------------------------------------
    // Interruption

    @Test
    void interruptEndsABlockedGetWithInterruptedExceptionAndTakesNothing() throws Exception {
        MessageQueue<String> q = newQueue(4);
        Background<String> getter = new Background<>("interrupted-get", q::get);
        getter.awaitBlocked();
        getter.thread.interrupt();
        assertInstanceOf(InterruptedException.class, getter.failure());
        getter.awaitEnded(); // this thread takes next: a thread-confined consumer side passes to it
        q.put("after");
        assertEquals(1, q.size(), "the interrupted get must not have taken the item");
        assertEquals("after", q.get(PATIENCE));
    }

    @Test
    void interruptEndsABlockedTimedGetAndAwaitNotEmpty() throws Exception {
        MessageQueue<String> q = newQueue(4);
        Background<String> getter = new Background<>("interrupted-timed-get", () -> q.get(PATIENCE));
        getter.awaitBlocked();
        getter.thread.interrupt();
        assertInstanceOf(InterruptedException.class, getter.failure());
        Background<Boolean> waiter = new Background<>("interrupted-await", () -> q.awaitNotEmpty(PATIENCE));
        waiter.awaitBlocked();
        waiter.thread.interrupt();
        assertInstanceOf(InterruptedException.class, waiter.failure());
    }

    @Test
    void interruptEndsABlockedPutWithInterruptedExceptionAndAddsNothing() throws Exception {
        MessageQueue<String> q = newQueue(2);
        assumePolicy(q, Backpressure.BLOCK);
        CountDownLatch filled = new CountDownLatch(1);
        // The putter fills the queue itself, so that one thread makes every put (thread-confined handles).
        Background<Void> putter = new Background<>("interrupted-put", () -> {
            q.put("a");
            q.put("b");
            filled.countDown();
            q.put("c");
            return null;
        });
        putter.awaitStep(filled);
        putter.awaitBlocked();
        putter.thread.interrupt();
        assertInstanceOf(InterruptedException.class, putter.failure());
        assertEquals(List.of("a", "b"), take(q, 2));
        assertTrue(q.poll().isEmpty(), "the interrupted put must not have added its item");
    }

    @Test
    void getCalledWithTheInterruptFlagSetOnAnEmptyQueueThrowsInterruptedException() throws Exception {
        MessageQueue<String> q = newQueue(4);
        Background<String> getter = new Background<>("pre-interrupted-get", () -> {
            Thread.currentThread().interrupt();
            return q.get(PATIENCE);
        });
        assertInstanceOf(InterruptedException.class, getter.failure());
        getter.awaitEnded(); // this thread takes next: a thread-confined consumer side passes to it
        q.put("x");
        assertEquals("x", q.get(PATIENCE));
    }

    // ------------------------------------------------------------------------------------------
    // Bad input

    @Test
    void nullItemsAreRejectedAndNothingIsLost() throws Exception {
        MessageQueue<String> q = newQueue(8);
        q.put("kept");
        assertThrows(NullPointerException.class, () -> q.put(null));
        assertThrows(NullPointerException.class, () -> q.put(null, PATIENCE));
        assertThrows(NullPointerException.class, () -> q.put(null, 5));
        assertThrows(NullPointerException.class, () -> q.put(null, 5, PATIENCE));
        assertThrows(NullPointerException.class, () -> q.putNowait(null));
        assertThrows(NullPointerException.class, () -> q.offer(null));
        assertThrows(NullPointerException.class, () -> q.putAsync(null));
        assertThrows(NullPointerException.class, () -> q.putAll(Arrays.asList("x", null, "y")));
        assertThrows(NullPointerException.class, () -> q.transaction(tx -> tx.put(null)));
        assertEquals(1, q.size());
        assertEquals(List.of("kept"), take(q, 1));
        assertTrue(q.isEmpty());
    }

    @Test
    void prioritiesOutsideZeroTo255AreRejectedAndNothingIsLost() throws Exception {
        MessageQueue<String> q = newQueue(8);
        q.put("kept");
        for (int bad : new int[] {-1, 256, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            assertThrows(IllegalArgumentException.class, () -> q.put("x", bad), "priority " + bad);
            assertThrows(IllegalArgumentException.class, () -> q.put("x", bad, PATIENCE), "priority " + bad);
            assertThrows(IllegalArgumentException.class, () -> q.putAll(List.of("x"), bad, PATIENCE),
                    "priority " + bad);
            assertThrows(IllegalArgumentException.class, () -> q.transaction(tx -> tx.put("x", bad)),
                    "priority " + bad);
        }
        q.put("low", MessageQueue.MIN_PRIORITY);
        q.put("high", MessageQueue.MAX_PRIORITY);
        assertEquals(3, q.size());
        assertEquals(Set.of("kept", "low", "high"), Set.copyOf(take(q, 3)));
    }

    @Test
    void batchLargerThanTheCapacityIsRejectedAndAddsNothing() throws Exception {
        MessageQueue<String> q = newQueue(4);
        q.put("kept");
        List<String> five = List.of("1", "2", "3", "4", "5");
        assertThrows(IllegalArgumentException.class, () -> q.putAll(five));
        assertThrows(IllegalArgumentException.class, () -> q.transaction(tx -> five.forEach(tx::put)));
        assertEquals(1, q.size());
        assertEquals("kept", q.get(PATIENCE));
        q.putAll(List.of());
        assertTrue(q.isEmpty(), "an empty putAll adds nothing");
    }

    @Test
    void getBatchRefusesAMaximumBelowOne() throws Exception {
        MessageQueue<String> q = newQueue(4);
        q.put("kept");
        assertThrows(IllegalArgumentException.class, () -> q.getBatch(0, SHORT));
        assertThrows(IllegalArgumentException.class, () -> q.getBatch(-1, SHORT));
        assertEquals(1, q.size());
    }

    @Test
    void closedHandleThrowsQueueClosedExceptionAndTheQueueKeepsItsItems() throws Exception {
        QueueDescriptor d = newDescriptor(8, Map.of());
        MessageQueue<String> q = handle(open(d));
        q.put("kept");
        q.close();
        q.close();
        assertThrows(QueueClosedException.class, () -> q.put("x"));
        assertThrows(QueueClosedException.class, () -> q.put("x", SHORT));
        assertThrows(QueueClosedException.class, () -> q.putNowait("x"));
        assertThrows(QueueClosedException.class, () -> q.offer("x"));
        assertThrows(QueueClosedException.class, () -> q.putAll(List.of("x")));
        assertThrows(QueueClosedException.class, () -> q.get(SHORT));
        assertThrows(QueueClosedException.class, q::getNowait);
        assertThrows(QueueClosedException.class, q::poll);
        assertThrows(QueueClosedException.class, q::peek);
        assertThrows(QueueClosedException.class, () -> q.getBatch(4, SHORT));
        assertThrows(QueueClosedException.class, () -> q.awaitNotEmpty(SHORT));
        assertThrows(QueueClosedException.class, q::clear);
        // destroy() through a closed handle touches nothing, and says how to reach the queue.
        QueueClosedException refused = assertThrows(QueueClosedException.class, q::destroy);
        assertTrue(refused.getMessage().contains("open().destroy()"), refused.getMessage());
        MessageQueue<String> other = handle(open(d));
        assertEquals(List.of("kept"), take(other, 1));
        assertTrue(other.isEmpty());
    }

    @Test
    void closingAHandleEndsItsBlockedGetWithQueueClosedException() throws Exception {
        MessageQueue<String> q = newQueue(4);
        Background<String> getter = new Background<>("get-then-close", () -> q.get(PATIENCE));
        getter.awaitBlocked();
        long start = System.nanoTime();
        q.close();
        assertInstanceOf(QueueClosedException.class, getter.failure());
        assertPrompt(System.nanoTime() - start, "a blocked get after close");
    }

    @Test
    void oversizeItemIsRejectedWithItemTooLargeAndNothingIsLost() throws Exception {
        MessageQueue<byte[]> q = newQueue(8);
        assumeCapability(q, Capability.ITEM_SIZE_LIMIT);
        long limit = q.metrics().maxItemBytes();
        assertTrue(limit > 0 && limit < Integer.MAX_VALUE, "maxItemBytes with ITEM_SIZE_LIMIT: " + limit);
        byte[] small = {1, 2, 3};
        q.put(small);
        byte[] huge = new byte[(int) limit + 1];
        assertThrows(ItemTooLargeException.class, () -> q.put(huge));
        assertThrows(ItemTooLargeException.class, () -> q.putNowait(huge));
        assertThrows(ItemTooLargeException.class, () -> q.putAll(List.of(small, huge)));
        assertEquals(1, q.size());
        assertArrayEquals(small, q.get(PATIENCE));
        assertTrue(q.isEmpty());
    }

    @Test
    void unlimitedBackendReportsNoItemSizeLimit() {
        MessageQueue<String> q = newQueue(4);
        assumeFalse(q.capabilities().contains(Capability.ITEM_SIZE_LIMIT), "backend has ITEM_SIZE_LIMIT");
        assertEquals(-1, q.metrics().maxItemBytes());
    }

    private static void assertArrayEquals(byte[] expected, byte[] actual) {
        assertEquals(Arrays.toString(expected), Arrays.toString(actual));
    }

    // ------------------------------------------------------------------------------------------
    // Non-blocking calls, peek, clear, size

    @Test
    void nonBlockingGetsOnAnEmptyQueueAnswerAtOnce() {
        MessageQueue<String> q = newQueue(4);
        long start = System.nanoTime();
        assertThrows(QueueEmptyException.class, q::getNowait);
        assertEquals(Optional.empty(), q.poll());
        assertEquals(Optional.empty(), q.peek());
        assertPrompt(System.nanoTime() - start, "getNowait/poll/peek on an empty queue");
    }

    @Test
    void nonBlockingGetsTakeTheHeadInOrder() throws Exception {
        MessageQueue<String> q = newQueue(4);
        q.put("a");
        q.put("b");
        assertEquals("a", q.getNowait());
        assertEquals(Optional.of("b"), q.poll());
        assertTrue(q.isEmpty());
    }

    @Test
    void nonBlockingPutsOnAFullQueueAnswerAtOnce() {
        MessageQueue<String> q = newQueue(2);
        assumeFalse(policy(q) == Backpressure.DROP_OLDEST, "DROP_OLDEST always makes room");
        q.putNowait("a");
        assertTrue(q.offer("b"));
        long start = System.nanoTime();
        assertThrows(QueueFullException.class, () -> q.putNowait("c"));
        assertFalse(q.offer("c"));
        assertPrompt(System.nanoTime() - start, "putNowait/offer on a full queue");
        assertEquals(2, q.size());
        assertEquals(List.of("a", "b"), List.of(q.getNowait(), q.getNowait()));
    }

    @Test
    void peekReturnsTheHeadWithoutRemovingIt() throws Exception {
        MessageQueue<String> q = newQueue(4);
        q.put("a");
        q.put("b");
        assertEquals(Optional.of("a"), q.peek());
        assertEquals(Optional.of("a"), q.peek());
        assertEquals(2, q.size());
        assertEquals("a", q.get(PATIENCE));
        assertEquals(Optional.of("b"), q.peek());
    }

    @Test
    void getBatchTakesAtMostItsMaximumInQueueOrder() throws Exception {
        MessageQueue<Long> q = newQueue(16);
        putAllOf(q, range(0, 10));
        assertEquals(range(0, 4), q.getBatch(4, PATIENCE));
        assertEquals(range(4, 10), q.getBatch(100, PATIENCE));
        assertTrue(q.isEmpty());
    }

    @Test
    void clearRemovesEverythingAndReturnsTheCount() throws Exception {
        MessageQueue<String> q = newQueue(8);
        putAllOf(q, List.of("a", "b", "c", "d", "e"));
        assertEquals(5, q.clear());
        assertEquals(0, q.size());
        assertTrue(q.isEmpty());
        assertEquals(0, q.clear());
        q.put("after");
        assertEquals("after", q.get(PATIENCE));
    }

    @Test
    void sizeIsEmptyIsFullAndCapacityDescribeTheQueue() throws Exception {
        MessageQueue<String> q = newQueue(3);
        assertEquals(3, q.capacity());
        assertEquals(0, q.size());
        assertTrue(q.isEmpty());
        assertFalse(q.isFull());
        q.put("a");
        q.put("b");
        assertEquals(2, q.size());
        assertFalse(q.isEmpty());
        assertFalse(q.isFull());
        q.put("c");
        assertEquals(3, q.size());
        assertTrue(q.isFull());
        q.get(PATIENCE);
        assertFalse(q.isFull());
        assertEquals(2, q.size());
    }

    // ------------------------------------------------------------------------------------------
    // Backpressure policies

    @Test
    void rejectPolicyRefusesAtOnceWhateverTheTimeout() throws Exception {
        MessageQueue<String> q = newQueue(2);
        assumePolicy(q, Backpressure.REJECT);
        q.put("a");
        q.put("b");
        long start = System.nanoTime();
        assertThrows(QueueFullException.class, () -> q.put("c"));
        assertThrows(QueueFullException.class, () -> q.put("c", PATIENCE));
        assertThrows(QueueFullException.class, () -> q.put("c", 255));
        assertThrows(QueueFullException.class, () -> q.putAll(List.of("c")));
        assertPrompt(System.nanoTime() - start, "puts on a full REJECT queue");
        assertEquals(4, q.metrics().rejected());
        assertEquals(List.of("a", "b"), take(q, 2));
    }

    @Test
    void dropOldestPolicyMakesRoomByDroppingTheOldestItemAndCountsIt() throws Exception {
        MessageQueue<String> q = newQueue(3);
        assumePolicy(q, Backpressure.DROP_OLDEST);
        putAllOf(q, List.of("a", "b", "c"));
        q.put("d");
        assertEquals(3, q.size());
        assertEquals(1, q.metrics().dropped());
        assertTrue(q.offer("e"));
        q.putNowait("f");
        assertEquals(3, q.metrics().dropped());
        q.putAll(List.of("g", "h"));
        assertEquals(5, q.metrics().dropped());
        QueueMetrics m = q.metrics();
        assertEquals(8, m.puts());
        assertEquals(m.size(), m.puts() - m.gets() - m.dropped() - m.cleared());
        assertEquals(List.of("f", "g", "h"), take(q, 3));
    }

    @Test
    void dropOldestPolicyDropsTheLowestPriorityFirstAndANewLowestItemItself() throws Exception {
        MessageQueue<String> q = newQueue(3);
        assumePolicy(q, Backpressure.DROP_OLDEST);
        assumeCapability(q, Capability.PRIORITY);
        q.put("x", 200);
        q.put("y", 50);
        q.put("z", 100);
        q.put("w", 100);
        assertEquals(1, q.metrics().dropped());
        q.put("v", 10);
        assertEquals(2, q.metrics().dropped());
        assertEquals(List.of("x", "z", "w"), take(q, 3));
        QueueMetrics m = q.metrics();
        assertEquals(5, m.puts());
        assertEquals(m.size(), m.puts() - m.gets() - m.dropped() - m.cleared());
    }

    // ------------------------------------------------------------------------------------------
    // Metrics

    @Test
    void metricsAddUpAfterPutsGetsAndRefusals() throws Exception {
        MessageQueue<String> q = newQueue(4);
        assumeFalse(policy(q) == Backpressure.DROP_OLDEST, "DROP_OLDEST never refuses");
        putAllOf(q, List.of("a", "b", "c"));
        assertEquals("a", q.get(PATIENCE));
        assertEquals(List.of("b", "c"), q.getBatch(10, PATIENCE));
        q.putAll(List.of("d", "e", "f", "g"));
        assertFalse(q.offer("h"));
        QueueMetrics m = q.metrics();
        assertEquals(4, m.size());
        assertEquals(4, m.capacity());
        assertEquals(7, m.puts());
        assertEquals(3, m.gets());
        assertEquals(0, m.dropped());
        assertEquals(1, m.rejected());
        assertEquals(1.0, m.utilization(), 1e-9);
        assertEquals(100.0, m.utilizationPercent(), 1e-9);
        assertEquals(m.size(), m.puts() - m.gets() - m.dropped() - m.cleared());
        q.get(PATIENCE);
        q.getNowait();
        m = q.metrics();
        assertEquals(2, m.size());
        assertEquals(0.5, m.utilization(), 1e-9);
        assertEquals(m.size(), m.puts() - m.gets() - m.dropped() - m.cleared());
        assertEquals(2, q.clear());
        m = q.metrics();
        assertEquals(0, m.size());
        assertEquals(2, m.cleared());
        assertEquals(m.size(), m.puts() - m.gets() - m.dropped() - m.cleared());
    }

    @Test
    void metricsAreSharedByEveryHandleOnTheQueue() throws Exception {
        QueueDescriptor d = newDescriptor(8, Map.of());
        MessageQueue<String> a = handle(open(d));
        MessageQueue<String> b = handle(open(d));
        a.put("x");
        a.put("y");
        b.get(PATIENCE);
        for (MessageQueue<String> h : List.of(a, b)) {
            QueueMetrics m = h.metrics();
            assertEquals(2, m.puts());
            assertEquals(1, m.gets());
            assertEquals(1, m.size());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Descriptors

    @Test
    void descriptorJsonRoundTripOpensTheSameQueue() throws Exception {
        MessageQueue<String> q = newQueue(8);
        q.put("through-json");
        QueueDescriptor back = QueueDescriptor.fromJson(q.descriptor().toJson());
        assertEquals(q.descriptor(), back);
        assertEquals(q.descriptor().createdAt(), back.createdAt());
        MessageQueue<String> other = handle(open(back));
        assertEquals("through-json", other.get(PATIENCE));
        other.put("reply");
        assertEquals("reply", q.get(PATIENCE));
    }

    @Test
    void descriptorSentThroughAQueueWithTheDefaultCodecOpensTheSameQueue() throws Exception {
        MessageQueue<QueueDescriptor> control = newQueue(4);
        MessageQueue<String> work = newQueue(4);
        work.put("task");
        control.put(work.descriptor());
        QueueDescriptor received = control.get(PATIENCE);
        assertEquals(work.descriptor(), received);
        assertEquals(work.descriptor().createdAt(), received.createdAt());
        MessageQueue<String> other = handle(open(received));
        assertEquals("task", other.get(PATIENCE));
        other.put("done");
        assertEquals("done", work.get(PATIENCE));
    }

    @Test
    void openIsLazyAndAnUnknownTypeFailsOnFirstUseNamingTheType() {
        QueueDescriptor bogus = QueueDescriptor.of("no-such-backend", "tck-lazy-" + UUID.randomUUID());
        MessageQueue<String> q = bogus.open();
        assertEquals(bogus, q.descriptor());
        BackendNotFoundException e = assertThrows(BackendNotFoundException.class, () -> q.put("x"));
        assertEquals("no-such-backend", e.type());
        assertTrue(e.getMessage().contains("'no-such-backend'"), e.getMessage());
        assertTrue(e.getMessage().contains("QueueBackend"), "message should say what to add: " + e.getMessage());
        q.close();
    }

    @Test
    void openingAHandleAndClosingItUnusedTouchesNothing() throws Exception {
        QueueDescriptor d = newDescriptor(4, Map.of());
        MessageQueue<String> unused = open(d);
        unused.close();
        MessageQueue<String> q = handle(open(d));
        q.put("x");
        assertEquals("x", q.get(PATIENCE));
    }

    @Test
    void destroyRemovesTheQueueAndClosesTheHandle() throws Exception {
        QueueDescriptor d = newDescriptor(4, Map.of());
        MessageQueue<String> q = handle(open(d));
        q.put("gone");
        q.destroy();
        assertThrows(QueueClosedException.class, () -> q.put("x"));
        assertThrows(QueueClosedException.class, q::destroy, "a destroyed handle is closed");
        MessageQueue<String> fresh = handle(open(d));
        try {
            assertEquals(0, fresh.size(), "a queue reopened after destroy must be a fresh, empty queue");
            assertEquals(Optional.empty(), fresh.poll());
        } catch (QueueException expected) {
            // Allowed by the contract: the backend cannot reopen a destroyed queue.
        }
    }

    // ------------------------------------------------------------------------------------------
    // Async calls and views

    @Test
    void putAsyncAndGetAsyncDeliverTheItem() throws Exception {
        // Neither call needs to wait, so neither needs Conduit's async threads (thread-confined handles).
        MessageQueue<String> q = newQueue(4);
        q.putAsync("async").get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertEquals(1, q.size());
        assertEquals("async", q.getAsync(PATIENCE).get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    void getAsyncOnAnEmptyQueueCompletesWithAnItemPutLater() throws Exception {
        assumeHandlesSharedBetweenThreads(); // the waiting get runs on Conduit's async threads
        MessageQueue<String> q = newQueue(4);
        CompletableFuture<String> pending = q.getAsync(PATIENCE);
        q.put("later");
        assertEquals("later", pending.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    void getAsyncGivenUpByItsCallerTakesNoItemPutLater() throws Exception {
        assumeHandlesSharedBetweenThreads(); // the waiting get runs on Conduit's async threads
        MessageQueue<String> q = newQueue(4);
        CompletableFuture<String> cancelled = q.getAsync(PATIENCE);
        assertTrue(cancelled.cancel(true));
        CompletableFuture<String> timedOut = q.getAsync(PATIENCE).orTimeout(20, TimeUnit.MILLISECONDS);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> timedOut.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertInstanceOf(TimeoutException.class, e.getCause());
        q.put("kept");
        // No latch can say that an abandoned getter will never take: watch for a while instead.
        long end = System.nanoTime() + SHORT.multipliedBy(3).toNanos();
        while (System.nanoTime() < end) {
            assertEquals(1, q.size(), "a getAsync whose future was cancelled or timed out took the item: lost");
            Thread.sleep(5);
        }
        assertEquals("kept", q.get(PATIENCE));
    }

    @Test
    void putAsyncOnAFullQueueCompletesOnceThereIsRoom() throws Exception {
        assumeHandlesSharedBetweenThreads();
        MessageQueue<String> q = newQueue(1);
        assumePolicy(q, Backpressure.BLOCK);
        q.put("first");
        CompletableFuture<Void> f = q.putAsync("second");
        Thread.sleep(50);
        assertFalse(f.isDone(), "putAsync on a full queue must wait for room");
        assertEquals("first", q.get(PATIENCE));
        f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertEquals("second", q.get(PATIENCE));
    }

    @Test
    void putAsyncThatWaitsForRoomAndGetsInCountsNoRefusal() throws Exception {
        assumeHandlesSharedBetweenThreads();
        MessageQueue<String> q = newQueue(1);
        assumePolicy(q, Backpressure.BLOCK);
        q.put("first");
        long rejectedBefore = q.metrics().rejected();
        CompletableFuture<Void> one = q.putAsync("second");
        CompletableFuture<Void> batch = q.putAllAsync(List.of("third"));
        assertFalse(one.isDone() && batch.isDone(), "puts on a full queue must wait for room");
        List<String> taken = new ArrayList<>();
        taken.add(q.get(PATIENCE));
        taken.add(q.get(PATIENCE));
        taken.add(q.get(PATIENCE));
        one.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        batch.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertEquals("first", taken.get(0));
        assertEquals(Set.of("second", "third"), Set.copyOf(taken.subList(1, 3)));
        QueueMetrics m = q.metrics();
        assertEquals(rejectedBefore, m.rejected(), "an async put that waited and got in was counted as refused");
        assertEquals(m.size(), m.puts() - m.gets() - m.dropped() - m.cleared());
    }

    @Test
    void putAsyncRefusedByTheRejectPolicyCountsOneRefusal() throws Exception {
        MessageQueue<String> q = newQueue(1);
        assumePolicy(q, Backpressure.REJECT);
        q.put("first");
        long rejectedBefore = q.metrics().rejected();
        ExecutionException single = assertThrows(ExecutionException.class,
                () -> q.putAsync("second").get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertInstanceOf(QueueFullException.class, single.getCause());
        ExecutionException batch = assertThrows(ExecutionException.class,
                () -> q.putAllAsync(List.of("third")).get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertInstanceOf(QueueFullException.class, batch.getCause());
        assertEquals(rejectedBefore + 2, q.metrics().rejected(), "each refused async put counts once");
        assertEquals(List.of("first"), take(q, 1));
        assertEquals(0, q.size());
    }

    @Test
    void putAsyncWhoseCancelSucceededNeverAddsItsItem() throws Exception {
        assumeHandlesSharedBetweenThreads(); // the waiting put runs on Conduit's async threads
        MessageQueue<String> q = newQueue(1);
        assumePolicy(q, Backpressure.BLOCK);
        q.put("first");
        CompletableFuture<Void> f = q.putAsync("second");
        boolean cancelled = f.cancel(true);
        assertEquals("first", q.get(PATIENCE));
        if (!cancelled) {
            // The put could not be withdrawn: its future must then say what it did.
            f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertEquals("second", q.get(PATIENCE));
            return;
        }
        assertTrue(f.isCancelled());
        // No latch can say that a withdrawn put will never land: watch for a while instead.
        long end = System.nanoTime() + SHORT.multipliedBy(3).toNanos();
        while (System.nanoTime() < end) {
            assertEquals(0, q.size(), "a putAsync whose cancel returned true added its item");
            Thread.sleep(5);
        }
    }

    /**
     * FIFO per producer holds for async puts too: a putAsync that finds the queue full and waits
     * must not be overtaken by a later putAsync (or putAllAsync) of the same handle that finds room
     * a consumer has just made. Each round fills the queue with a synchronous put and then issues a
     * burst of async puts in a row while a consumer takes; every item carries the next number, so
     * the consumer must see them strictly increasing. Their futures complete in call order too.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void asyncPutsOfOneProducerArriveInCallOrderWhileTheQueueIsFull() throws Exception {
        assumeHandlesSharedBetweenThreads(); // waiting async puts run on Conduit's async threads
        MessageQueue<Long> q = newQueue(2);
        assumePolicy(q, Backpressure.BLOCK);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int rounds = 500;
        Background<List<Long>> consumer = new Background<>("async-fifo-consumer", () -> {
            List<Long> seen = new ArrayList<>();
            for (long v = q.get(PATIENCE); v != Long.MAX_VALUE; v = q.get(PATIENCE)) {
                seen.add(v);
            }
            return seen;
        });
        long next = 0;
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        // The first number of each async put, in the order its future completed.
        List<Long> completed = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int r = 0; r < rounds && System.nanoTime() < end; r++) {
            // A synchronous put is ordered after this handle's async puts only once they are done.
            for (CompletableFuture<Void> f : pending) {
                f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            }
            pending.clear();
            q.put(next++);
            for (int i = 0; i < 4; i++) {
                pending.add(recorded(q.putAsync(next), next++, completed));
            }
            pending.add(recorded(q.putAllAsync(List.of(next, next + 1)), next, completed));
            next += 2;
            pending.add(recorded(q.putAsync(next), next++, completed));
        }
        for (CompletableFuture<Void> f : pending) {
            f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        q.put(Long.MAX_VALUE);
        List<Long> seen = consumer.value();
        assertEquals(next, seen.size(), "items lost or duplicated");
        for (int i = 1; i < seen.size(); i++) {
            long before = seen.get(i - 1);
            long after = seen.get(i);
            assertTrue(after > before, "item " + after + " (put later) arrived before item " + before
                    + " of the same producer, at position " + i + " of " + seen.size() + ": "
                    + seen.subList(Math.max(0, i - 8), Math.min(seen.size(), i + 8)));
        }
        synchronized (completed) {
            for (int i = 1; i < completed.size(); i++) {
                assertTrue(completed.get(i) > completed.get(i - 1), "the future of the put of " + completed.get(i)
                        + " completed before that of " + completed.get(i - 1) + ", made earlier: "
                        + completed.subList(Math.max(0, i - 8), Math.min(completed.size(), i + 8)));
            }
        }
    }

    /**
     * Adds {@code first} to {@code completed} when {@code f} completes.
     *
     * @return a future that completes as {@code f} does, once {@code first} is added: waiting on
     *     {@code f} itself could return before that, and the next round's puts record first
     */
    private static CompletableFuture<Void> recorded(CompletableFuture<Void> f, long first, List<Long> completed) {
        return f.whenComplete((v, e) -> completed.add(first));
    }

    @Test
    void blockingQueueViewKeepsTheBlockingQueueContract() throws Exception {
        MessageQueue<String> q = newQueue(3);
        assumePolicy(q, Backpressure.BLOCK);
        BlockingQueue<String> view = q.asBlockingQueue();
        assertTrue(view.offer("a"));
        view.put("b");
        assertTrue(view.offer("c", 1, TimeUnit.SECONDS));
        assertFalse(view.offer("d", 50, TimeUnit.MILLISECONDS));
        assertEquals(0, view.remainingCapacity());
        assertEquals(3, view.size());
        assertEquals("a", view.peek());
        assertEquals("a", view.take());
        assertEquals("b", view.poll(1, TimeUnit.SECONDS));
        List<String> sink = new ArrayList<>();
        assertEquals(1, view.drainTo(sink));
        assertEquals(List.of("c"), sink);
        assertTrue(view.offer("e"));
        assertEquals("e", view.poll());
        assertNullish(view.peek());
        assertNullish(view.poll());
        assertNullish(view.poll(20, TimeUnit.MILLISECONDS));
        assertTrue(view.isEmpty());
    }

    private static void assertNullish(Object o) {
        assertEquals(null, o);
    }

    /** A task that records that it ran; a record, so byte-moving backends can carry it once allowed. */
    public record RecordedTask(String runId, int n) implements Runnable {
        static final Map<String, AtomicIntegerArray> RUNS = new ConcurrentHashMap<>();

        @Override
        public void run() {
            RUNS.get(runId).incrementAndGet(n);
        }
    }

    @Test
    void blockingQueueViewServesAsAThreadPoolExecutorWorkQueue() throws Exception {
        Codecs.allow(RecordedTask.class);
        assumeHandlesSharedBetweenThreads(); // the executor's two workers take from one handle
        MessageQueue<Runnable> q = newQueue(64);
        assumePolicy(q, Backpressure.BLOCK);
        String run = UUID.randomUUID().toString();
        int tasks = 50;
        AtomicIntegerArray ran = new AtomicIntegerArray(tasks);
        RecordedTask.RUNS.put(run, ran);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(2, 2, 1, TimeUnit.SECONDS, q.asBlockingQueue());
        try {
            for (int i = 0; i < tasks; i++) {
                pool.execute(new RecordedTask(run, i));
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(PATIENCE.toSeconds(), TimeUnit.SECONDS),
                    "the executor did not drain its Conduit work queue");
        } finally {
            pool.shutdownNow();
            RecordedTask.RUNS.remove(run);
        }
        for (int i = 0; i < tasks; i++) {
            assertEquals(1, ran.get(i), "task " + i + " ran " + ran.get(i) + " times");
        }
        assertTrue(q.isEmpty());
    }

    /** A subscriber that records what it receives and requests only when told to. */
    private static final class RecordingSubscriber<T> implements Flow.Subscriber<T> {
        final List<T> items = Collections.synchronizedList(new ArrayList<>());
        final CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();
        final CompletableFuture<Void> completed = new CompletableFuture<>();

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription.complete(s);
        }

        @Override
        public void onNext(T item) {
            items.add(item);
        }

        @Override
        public void onError(Throwable t) {
            completed.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            completed.complete(null);
        }

        void awaitItems(int n) throws InterruptedException {
            long end = System.nanoTime() + PATIENCE.toNanos();
            while (items.size() < n && System.nanoTime() < end) {
                Thread.sleep(2);
            }
            assertEquals(n, items.size(), "items delivered to the subscriber");
        }
    }

    @Test
    void publisherDeliversOnlyWhatTheSubscriberRequestedAndCompletesOnClose() throws Exception {
        assumeHandlesSharedBetweenThreads();
        MessageQueue<Long> q = newQueue(32);
        putAllOf(q, range(0, 20));
        RecordingSubscriber<Long> sub = new RecordingSubscriber<>();
        q.asPublisher().subscribe(sub);
        Flow.Subscription s = sub.subscription.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        s.request(5);
        sub.awaitItems(5);
        Thread.sleep(150);
        assertEquals(5, sub.items.size(), "the publisher delivered more than was requested");
        assertEquals(15, q.size(), "the publisher took more items than were requested");
        s.request(Long.MAX_VALUE);
        sub.awaitItems(20);
        assertEquals(range(0, 20), new ArrayList<>(sub.items));
        q.close();
        sub.completed.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void publisherCancelledInsideOnNextLeavesTheUndeliveredItemsQueued() throws Exception {
        assumeHandlesSharedBetweenThreads();
        MessageQueue<Long> q = newQueue(16);
        putAllOf(q, range(0, 10));
        List<Long> items = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch first = new CountDownLatch(1);
        CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();
        q.asPublisher().subscribe(new Flow.Subscriber<Long>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription.complete(s);
            }

            @Override
            public void onNext(Long item) {
                items.add(item);
                subscription.join().cancel();
                first.countDown();
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        subscription.get(PATIENCE.toSeconds(), TimeUnit.SECONDS).request(10);
        assertTrue(first.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "the first item was not delivered");
        Thread.sleep(SHORT.toMillis()); // time for a loop that went on after the cancel to take more
        assertEquals(List.of(0L), new ArrayList<>(items), "delivered after a cancel made inside onNext");
        assertEquals(range(1, 10), take(q, 9), "the items the publisher did not deliver must stay queued");
    }

    @Test
    void publisherSignalsOnErrorForANonPositiveRequest() throws Exception {
        MessageQueue<Long> q = newQueue(4);
        RecordingSubscriber<Long> sub = new RecordingSubscriber<>();
        q.asPublisher().subscribe(sub);
        sub.subscription.get(PATIENCE.toSeconds(), TimeUnit.SECONDS).request(0);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> sub.completed.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
    }

    // ------------------------------------------------------------------------------------------
    // Stress checks in the JCTools spirit

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void sizeNeverExceedsTheCapacityNorGoesNegativeUnderConcurrentPutsAndGets() throws Exception {
        assumeHandlesSharedBetweenThreads();
        int capacity = 16;
        MessageQueue<Long> q = newQueue(capacity);
        int producers = Math.max(1, stress().producers() / 2);
        int consumers = Math.max(1, stress().consumers() / 2);
        int per = Math.max(1, stress().itemsPerProducer() / 4);
        int total = producers * per;
        AtomicBoolean producersDone = new AtomicBoolean();
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger consumed = new AtomicInteger();
        AtomicReference<String> violation = new AtomicReference<>();
        ExecutorService pool = Executors.newFixedThreadPool(producers + consumers + 1);
        try {
            Future<Void> observer = pool.submit(() -> {
                while (!done.get()) {
                    int size = q.size();
                    if (size < 0 || size > capacity) {
                        violation.compareAndSet(null, "size() returned " + size + " with capacity " + capacity);
                    }
                    Thread.yield();
                }
                return null;
            });
            List<Future<Void>> producing = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                producing.add(pool.submit(() -> {
                    for (long i = 0; i < per; ) {
                        if (q.offer(i)) {
                            i++;
                        } else {
                            Thread.yield();
                        }
                    }
                    return null;
                }));
            }
            List<Future<Void>> consuming = new ArrayList<>();
            for (int c = 0; c < consumers; c++) {
                consuming.add(pool.submit(() -> {
                    // DROP_OLDEST may drop items, so stop on "producers done and queue empty", not on a count.
                    while (!(producersDone.get() && q.isEmpty())) {
                        if (q.poll().isPresent()) {
                            consumed.incrementAndGet();
                        } else {
                            Thread.yield();
                        }
                    }
                    return null;
                }));
            }
            joinAll(producing);
            producersDone.set(true);
            joinAll(consuming);
            done.set(true);
            observer.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        assertEquals(null, violation.get());
        assertEquals(total, consumed.get() + q.metrics().dropped(), "items consumed plus items dropped");
        assertEquals(0, q.size());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void pollAfterIsEmptyReturnedFalseSucceedsForASingleConsumer() throws Exception {
        MessageQueue<Long> q = newQueue(32);
        assumePolicy(q, Backpressure.BLOCK);
        int n = stress().itemsPerProducer();
        Background<Void> producer = new Background<>("producer", () -> {
            putAllOf(q, range(0, n));
            return null;
        });
        long expected = 0;
        while (expected < n) {
            if (!q.isEmpty()) {
                Optional<Long> item = q.poll();
                assertTrue(item.isPresent(), "poll() failed right after isEmpty() returned false");
                assertEquals(expected, item.get());
                expected++;
            } else {
                Thread.onSpinWait();
            }
        }
        producer.value();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void stateWrittenIntoAnItemBeforePutIsVisibleToTheConsumer() throws Exception {
        MessageQueue<int[]> q = newQueue(32);
        assumePolicy(q, Backpressure.BLOCK);
        int n = stress().itemsPerProducer();
        Background<Void> producer = new Background<>("producer", () -> {
            for (int i = 0; i < n; i++) {
                int[] box = new int[3];
                box[0] = i;
                box[1] = i * 31;
                box[2] = ~i;
                q.put(box);
            }
            return null;
        });
        for (int i = 0; i < n; i++) {
            int[] box = q.get(PATIENCE);
            assertEquals(i, box[0]);
            assertEquals(i * 31, box[1], "field written before put not visible");
            assertEquals(~i, box[2], "field written before put not visible");
        }
        producer.value();
    }

    // ------------------------------------------------------------------------------------------
    // Broadcast and cross-process

    @Test
    void everyNamedSubscriberSeesEveryItemAndKeepsItsPlaceAcrossHandles() throws Exception {
        MessageQueue<String> probe = newQueue(4);
        assumeCapability(probe, Capability.BROADCAST);
        MessageQueue<String> q = newQueue(16, broadcastOptions());
        MessageQueue<String> a = handle(q.subscriber("a"));
        MessageQueue<String> b = handle(q.subscriber("b"));
        for (int i = 0; i < 5; i++) {
            q.put("m" + i);
        }
        assertEquals(List.of("m0", "m1"), take(a, 2));
        assertEquals(List.of("m0", "m1", "m2", "m3", "m4"), take(b, 5));
        a.close();
        MessageQueue<String> again = handle(open(q.descriptor()));
        MessageQueue<String> a2 = handle(again.subscriber("a"));
        assertEquals(List.of("m2", "m3", "m4"), take(a2, 3));
        assertThrows(QueueEmptyException.class, () -> a2.get(SHORT));
    }

    @Test
    void subscriberIsUnsupportedWithoutBroadcast() {
        MessageQueue<String> q = newQueue(4);
        assumeFalse(q.capabilities().contains(Capability.BROADCAST), "backend has BROADCAST");
        assertThrows(UnsupportedOperationException.class, () -> q.subscriber("a"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anotherJvmOpeningTheDescriptorJsonReachesTheSameQueue() throws Exception {
        MessageQueue<String> requests = newQueue(16);
        assumeCapability(requests, Capability.CROSS_PROCESS);
        MessageQueue<String> replies = newQueue(16);
        int n = 200;
        try (JavaProcess peer = JavaProcess.start(TckPeer.class, requests.descriptor().toJson(),
                replies.descriptor().toJson(), Integer.toString(n))) {
            Background<Void> sender = new Background<>("pinger", () -> {
                for (int i = 0; i < n; i++) {
                    requests.put("ping-" + i, Duration.ofSeconds(60));
                }
                return null;
            });
            for (int i = 0; i < n; i++) {
                try {
                    assertEquals("pong-" + i, replies.get(Duration.ofSeconds(60)));
                } catch (QueueEmptyException e) {
                    fail("no reply " + i + " from the child JVM; its output:\n" + peer.output(), e);
                }
            }
            sender.value();
            assertEquals(0, peer.awaitExit(60), peer.output());
        }
    }
}
