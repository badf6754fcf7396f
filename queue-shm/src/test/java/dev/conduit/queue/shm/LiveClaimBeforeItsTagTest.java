package dev.conduit.queue.shm;

import static dev.conduit.queue.shm.HeldCalls.BOUND_SECONDS;
import static dev.conduit.queue.shm.HeldCalls.await;
import static dev.conduit.queue.shm.HeldCalls.held;
import static dev.conduit.queue.shm.HeldCalls.within;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A live process caught between its claim of index 0 (or its read of index 0) and its tag store is
 * not taken for a dead one. The tag words of a new file's slots are 0, which read with
 * {@link RingLayout#tagIndex} alone as "a tag for index 0 of no process": a consumer stuck 2 ms on a
 * live producer's untagged claim of index 0 tombstoned it, and a single producer, which publishes
 * with a plain store, then wrote its item over the tombstone after the consumer had stepped past
 * it, so a put that returned was never delivered; likewise a producer waiting for the slot of index
 * ring length took over a live consumer's untagged read of index 0, whose item was lost.
 *
 * <p>The racy state is built in this process, which stays alive: the producer (or consumer) is a
 * thread of this process held inside the real put (or get) path, with the slot's tag word put back
 * to the 0 it held before its tag store; or, for a multi-producer claim (whose put cannot be held
 * before its tag), the index CAS is made as a producer makes it, and the rest of the put is then
 * done as that producer does it. Every wait is bounded.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LiveClaimBeforeItsTagTest {
    /** Far longer than the liveness check (2 ms) that took the live claim over. */
    private static final long WATCH_MILLIS = 300;
    /** Longer than the test: no untagged claim is taken over for its stall timeout here. */
    private static final String STALL_TIMEOUT_MS = "600000";

    @TempDir
    Path dir;

    @RegisterExtension
    final HeldCalls calls = new HeldCalls();

    private QueueDescriptor queue(String id, int capacity, String producers, String consumers) {
        return QueueDescriptor.shm(id).withNamespace("live-claim").withCapacity(capacity)
                .withOption("dir", dir.toString()).withOption("itemSize", "64")
                .withOption("producers", producers).withOption("consumers", consumers)
                .withOption("stallTimeoutMs", STALL_TIMEOUT_MS);
    }

    private static byte[] item(int n) {
        return HeldCalls.item(0x11CEL, n);
    }

    private static long word(SharedRing ring, int offset) {
        return (long) SharedRing.LONG.getAcquire(ring.buf, offset);
    }

    /** The consumer calls a shared-consumer test waits in, each for one item at most. */
    private static Function<MessageQueue<byte[]>, byte[]> consumerCall(String how) {
        return q -> {
            try {
                if (how.equals("get")) {
                    return q.get(Duration.ofSeconds(BOUND_SECONDS));
                }
                List<byte[]> got = q.getBatch(1, Duration.ofSeconds(BOUND_SECONDS));
                return got.isEmpty() ? null : got.get(0);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        };
    }

    @Test
    void aWordOfZeroIsATagForNoIndexAndATagMatchesOnlyItsOwnIndex() {
        assertFalse(RingLayout.isTagFor(0, 0), "a new file's tag word");
        long ringLength = 8;
        for (long index : new long[] {0, 1, ringLength, (1L << 48) - 1, 1L << 48, (1L << 48) + ringLength}) {
            long tag = RingLayout.tag(index, 3, 7);
            assertTrue(RingLayout.isTagFor(tag, index), "the tag of index " + index);
            assertFalse(RingLayout.isTagFor(tag, index + ringLength), "a stale tag a lap later, index " + index);
            assertFalse(RingLayout.isTagFor(tag & ~0xFFL, index), "no user entry, index " + index);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"get", "getBatch"})
    void aLiveSingleProducersUntaggedClaimOfIndexZeroIsWaitedForAndDeliveredOnce(String how) throws Exception {
        QueueDescriptor d = queue("single-" + how, 8, "single", "multi");
        ShmOptions o = ShmOptions.of(d);
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
            try {
                int slot = ring.layout.slotOffset(0, 0);
                assertEquals(0, word(ring, slot + RingLayout.SLOT_WRITER), "a new file's writer word");
                CountDownLatch inside = new CountDownLatch(1);
                CountDownLatch go = new CountDownLatch(1);
                CompletableFuture<Integer> put = CompletableFuture.supplyAsync(
                        () -> ring.tryOffer(0, held(item(0), inside, go), new SharedRing.Stall()), calls.threads());
                await(inside);
                // The put holds index 0 (producer index 1, sequence 0): put its writer word back to
                // the 0 it held before the tag store, as a producer preempted between its index CAS
                // and its tag leaves the slot.
                assertEquals(0, word(ring, slot + RingLayout.SLOT_SEQUENCE), "claimed, not published");
                SharedRing.LONG.setRelease(ring.buf, slot + RingLayout.SLOT_WRITER, 0L);
                CompletableFuture<byte[]> got =
                        CompletableFuture.supplyAsync(() -> consumerCall(how).apply(q), calls.threads());
                Thread.sleep(WATCH_MILLIS);
                assertFalse(got.isDone(), "the consumer returned while a live producer held the head");
                assertEquals(0, word(ring, slot + RingLayout.SLOT_SEQUENCE),
                        "the consumer took the live producer's claim over");
                assertEquals(0, ring.counter(RingLayout.ABANDONED_OFFSET));
                go.countDown();
                assertEquals(SharedRing.OK, within(put));
                assertArrayEquals(item(0), within(got), "the waiting consumer gets the item");
                assertTrue(q.poll().isEmpty(), "delivered once");
                assertAroundTheRingAndCounted(q, 20);
            } finally {
                ShmFile.release(o.path(), ring);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"get", "getBatch"})
    void aLiveMultiProducersUntaggedClaimOfIndexZeroIsNotTakenOverBeforeTheStallTimeout(String how)
            throws Exception {
        QueueDescriptor d = queue("multi-" + how, 8, "multi", "multi");
        ShmOptions o = ShmOptions.of(d);
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
            try {
                int laneBase = ring.layout.laneOffset(0);
                int slot = ring.layout.slotOffset(0, 0);
                // A producer's index CAS, then nothing yet: the claim of index 0, untagged.
                assertTrue(SharedRing.LONG.compareAndSet(ring.buf, laneBase + RingLayout.PRODUCER_INDEX, 0L, 1L));
                CompletableFuture<byte[]> got =
                        CompletableFuture.supplyAsync(() -> consumerCall(how).apply(q), calls.threads());
                Thread.sleep(WATCH_MILLIS);
                assertFalse(got.isDone(), "the consumer returned while a live producer held the head");
                assertEquals(0, word(ring, slot + RingLayout.SLOT_SEQUENCE),
                        "the consumer took the claim over before the stall timeout");
                assertEquals(0, ring.counter(RingLayout.ABANDONED_OFFSET));
                // The rest of the put, as SharedRing.tryOffer does it: batch size and tag, the
                // i -> i|WRITING CAS (which a takeover would have made fail), length and payload,
                // publish, bytes in.
                byte[] bytes = item(0);
                SharedRing.INT.set(ring.buf, slot + RingLayout.SLOT_BATCH, 1);
                SharedRing.LONG.setRelease(ring.buf, slot + RingLayout.SLOT_WRITER,
                        RingLayout.tag(0, ring.users().user(), ring.users().generation()));
                assertTrue(SharedRing.LONG.compareAndSet(ring.buf, slot + RingLayout.SLOT_SEQUENCE, 0L,
                        RingLayout.WRITING), "the claim is still the producer's");
                SharedRing.INT.set(ring.buf, slot + RingLayout.SLOT_ITEM_LENGTH, bytes.length);
                ring.buf.put(slot + ring.layout.payloadOffset(), bytes);
                SharedRing.LONG.setRelease(ring.buf, slot + RingLayout.SLOT_SEQUENCE, 1L);
                ring.add(laneBase + RingLayout.BYTES_IN, bytes.length);
                assertArrayEquals(bytes, within(got), "the waiting consumer gets the item");
                assertTrue(q.poll().isEmpty(), "delivered once");
                assertAroundTheRingAndCounted(q, 20);
            } finally {
                ShmFile.release(o.path(), ring);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"multi", "single"})
    void aLiveConsumersUntaggedReadOfIndexZeroIsNotTakenOverByAProducerALapLater(String producers)
            throws Exception {
        // Capacity 2 fills the ring (length 2), so a put of index 2 waits on the slot of index 0.
        QueueDescriptor d = queue("reader-" + producers, 2, producers, "multi");
        ShmOptions o = ShmOptions.of(d);
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
            try {
                int slot = ring.layout.slotOffset(0, 0);
                q.put(item(0));
                q.put(item(1));
                assertEquals(0, word(ring, slot + RingLayout.SLOT_READER), "a new file's reader word");
                CountDownLatch inside = new CountDownLatch(1);
                CountDownLatch go = new CountDownLatch(1);
                Codec<byte[]> heldCodec = new Codec<>() {
                    @Override
                    public String name() {
                        return "held";
                    }

                    @Override
                    public byte[] encode(byte[] item) {
                        return item;
                    }

                    @Override
                    public byte[] decode(byte[] bytes, int offset, int length) {
                        byte[] copy = java.util.Arrays.copyOfRange(bytes, offset, offset + length);
                        inside.countDown();
                        await(go);
                        return copy;
                    }
                };
                CompletableFuture<Object> read = CompletableFuture.supplyAsync(
                        () -> ring.tryPoll(0, heldCodec, new SharedRing.Stall()), calls.threads());
                await(inside);
                // The read holds index 0 (consumer index 1, sequence 1): put its reader word back to
                // the 0 it held before the tag store, as a consumer preempted between its index CAS
                // and its tag leaves the slot.
                assertEquals(1, word(ring, slot + RingLayout.SLOT_SEQUENCE), "claimed, not freed");
                SharedRing.LONG.setRelease(ring.buf, slot + RingLayout.SLOT_READER, 0L);
                CompletableFuture<Void> put = CompletableFuture.runAsync(() -> {
                    try {
                        q.put(item(2), Duration.ofSeconds(BOUND_SECONDS));
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }, calls.threads());
                Thread.sleep(WATCH_MILLIS);
                assertFalse(put.isDone(), "the put went into the slot a live consumer is reading");
                assertEquals(1, word(ring, slot + RingLayout.SLOT_SEQUENCE),
                        "the producer took the live consumer's read over");
                assertEquals(0, ring.counter(RingLayout.LOST_READS_OFFSET));
                go.countDown();
                assertArrayEquals(item(0), (byte[]) within(read), "the consumer's read counts");
                within(put);
                assertArrayEquals(item(1), q.get(Duration.ofSeconds(BOUND_SECONDS)));
                assertArrayEquals(item(2), q.get(Duration.ofSeconds(BOUND_SECONDS)));
                assertTrue(q.poll().isEmpty());
                QueueMetrics m = q.metrics();
                assertEquals(3, m.puts(), m.toString());
                assertEquals(3, m.gets(), m.toString());
                assertEquals(0, m.dropped(), m.toString());
            } finally {
                ShmFile.release(o.path(), ring);
            }
        }
    }

    /**
     * A producer process that dies between its claim of index 0 and its tag is still recovered,
     * now as an untagged claim: by the consumer (the role names a dead process) or, when a new
     * producer comes first, by that producer before it puts (before, the 0 in the writer word read
     * as a tag and the new producer left the claim to consumers).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aProducerProcessKilledBetweenItsClaimOfIndexZeroAndItsTagIsRecovered(boolean producerFirst)
            throws Exception {
        QueueDescriptor d = queue("dead-" + producerFirst, 8, "single", "multi");
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            Process dying = children.start("halt-after-claim", d.toJson());
            assertEquals(3, Children.await(dying, 60), children.logOf(0));
            assertEquals(1, q.size(), "the dead claim of index 0");
            ShmOptions o = ShmOptions.of(d);
            SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
            try {
                int slot = ring.layout.slotOffset(0, 0);
                assertEquals(0, word(ring, slot + RingLayout.SLOT_WRITER), "untagged");
                if (producerFirst) {
                    q.put(item(0));
                    assertEquals(1 | RingLayout.TOMBSTONE, word(ring, slot + RingLayout.SLOT_SEQUENCE),
                            "the new producer tombstoned the untagged claim before it put");
                } else {
                    assertTrue(q.getBatch(1, Duration.ofMillis(300)).isEmpty());
                    assertEquals(0, q.size(), "the consumer's timed getBatch recovered the dead claim");
                    q.put(item(0));
                }
                assertArrayEquals(item(0), q.get(Duration.ofSeconds(BOUND_SECONDS)));
                assertTrue(q.poll().isEmpty());
                assertEquals(1, ring.counter(RingLayout.ABANDONED_OFFSET), "the dead claim, once");
                assertCounted(q, 1);
            } finally {
                ShmFile.release(o.path(), ring);
            }
        }
    }

    /**
     * A guard for the one-to-one ring, whose slots carry no tags: a consumer waiting on a live
     * producer's unpublished head with a timed {@link ShmReader#read} does not take it over.
     */
    @Test
    void aZeroCopyReaderWaitsForALiveProducersUnpublishedHead() throws Exception {
        QueueDescriptor d = queue("one-to-one", 8, "single", "single");
        ShmOptions o = ShmOptions.of(d);
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes()); ShmReader reader = ShmQueues.reader(d)) {
            SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
            try {
                int seq = ring.layout.slotOffset(0, 0) + RingLayout.DENSE_SLOT_SEQUENCE;
                CountDownLatch inside = new CountDownLatch(1);
                CountDownLatch go = new CountDownLatch(1);
                CompletableFuture<Integer> put = CompletableFuture.supplyAsync(
                        () -> ring.tryOffer(0, held(item(0), inside, go), new SharedRing.Stall()), calls.threads());
                await(inside);
                byte[][] seen = new byte[1][];
                CompletableFuture<Integer> got = CompletableFuture.supplyAsync(() -> {
                    try {
                        return reader.read((b, off, len) -> {
                            seen[0] = new byte[len];
                            b.get(off, seen[0], 0, len);
                        }, 1, Duration.ofSeconds(BOUND_SECONDS));
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }, calls.threads());
                Thread.sleep(WATCH_MILLIS);
                assertFalse(got.isDone(), "the reader returned while a live producer held the head");
                assertEquals(0, word(ring, seq), "the reader took the live producer's claim over");
                go.countDown();
                assertEquals(SharedRing.OK, within(put));
                assertEquals(1, within(got));
                assertArrayEquals(item(0), seen[0]);
                assertTrue(q.poll().isEmpty(), "delivered once");
                QueueMetrics m = q.metrics();
                assertEquals(1, m.puts(), m.toString());
                assertEquals(1, m.gets(), m.toString());
                assertEquals(0, m.dropped(), m.toString());
            } finally {
                ShmFile.release(o.path(), ring);
            }
        }
    }

    /**
     * Items 1 to {@code n - 1} are put and got one by one (around the ring, through slot 0 again),
     * then the counters show {@code n} items in all (item 0 already delivered).
     */
    private static void assertAroundTheRingAndCounted(MessageQueue<byte[]> q, int n) throws InterruptedException {
        for (int i = 1; i < n; i++) {
            q.put(item(i), Duration.ofSeconds(BOUND_SECONDS));
            assertArrayEquals(item(i), q.get(Duration.ofSeconds(BOUND_SECONDS)));
        }
        assertCounted(q, n);
    }

    private static void assertCounted(MessageQueue<byte[]> q, int n) {
        QueueMetrics m = q.metrics();
        assertEquals(n, m.puts(), m.toString());
        assertEquals(n, m.gets(), m.toString());
        assertEquals(0, m.dropped(), m.toString());
        assertEquals(0, q.size());
        assertEquals((long) n * item(0).length, m.bytesIn(), m.toString());
        assertEquals(m.bytesIn(), m.bytesOut(), m.toString());
    }
}
