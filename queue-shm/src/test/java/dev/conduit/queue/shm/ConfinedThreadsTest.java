package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thread-confined handles ({@code threads=confined} on the one-to-one ring): a million items from a
 * producer process to a consumer process, calls from a second thread refused with nothing changed,
 * what async calls and views do, the option combinations refused, and a producer and a consumer
 * killed with SIGKILL in the middle of the stream. The conformance suite runs in this mode too
 * ({@code ShmConfinedConformanceTest}), without its checks that share a handle between threads.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ConfinedThreadsTest {
    private static final long ITEMS = Long.getLong("conduit.shm.items", 1_000_000L);

    @TempDir
    Path dir;

    private QueueDescriptor queue(String id, int capacity, int itemSize) {
        return QueueDescriptor.shm(id).withNamespace("confined").withCapacity(capacity)
                .withOption("dir", dir.toString()).withOption("itemSize", Integer.toString(itemSize))
                .withOption("producers", "single").withOption("consumers", "single")
                .withOption("threads", "confined");
    }

    @Test
    void aProducerProcessAndAConsumerProcessExchangeAMillionItemsEachCountedAndChecksummed() throws Exception {
        QueueDescriptor d = queue("million", 4096, 64);
        OneToOneTransfer.run(dir, d, "consume-batches", ITEMS);
    }

    /** Runs {@code call} on a new thread and returns what it threw, or null. */
    static Throwable onAnotherThread(String name, Executable call) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                call.execute();
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, name);
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(t.isAlive(), "the call on thread " + name + " did not return");
        return thrown.get();
    }

    /** Asserts that {@code thrown} is the confined handle's refusal, naming {@code owner}. */
    static void assertRefused(Throwable thrown, String owner) {
        assertInstanceOf(QueueException.class, thrown, String.valueOf(thrown));
        String m = thrown.getMessage();
        assertTrue(m.contains("threads=confined") && m.contains("'" + owner + "'") && m.contains("Nothing was changed")
                && m.contains("threads=shared"), m);
    }

    @Test
    void callsFromAnotherThreadAreRefusedNamingTheOwnerAndChangeNothingWhileReadsWorkFromAnyThread()
            throws Exception {
        QueueDescriptor d = queue("wrong-thread", 8, 64);
        String owner = Thread.currentThread().getName();
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            for (int seq = 0; seq < 4; seq++) {
                q.put(ShmTestProcess.item(0, seq));
            }
            assertArrayEquals(ShmTestProcess.item(0, 0), q.get()); // this thread owns both sides now
            QueueMetrics before = q.metrics();
            byte[] other = ShmTestProcess.item(1, 0);
            List<Executable> refused = List.of(() -> q.put(other), () -> q.put(other, Duration.ofSeconds(1)),
                    () -> q.offer(other), () -> q.putNowait(other), () -> q.putAll(List.of(other, other)),
                    () -> q.transaction(tx -> tx.put(other)), q::get, () -> q.get(Duration.ofSeconds(1)), q::poll,
                    q::getNowait, () -> q.getBatch(10, Duration.ofSeconds(1)), q::clear,
                    () -> q.asBlockingQueue().poll(), () -> q.asBlockingQueue().offer(other));
            for (Executable call : refused) {
                assertRefused(onAnotherThread("intruder", call), owner);
            }
            QueueMetrics after = q.metrics();
            assertEquals(before.puts(), after.puts());
            assertEquals(before.gets(), after.gets());
            assertEquals(before.bytesIn(), after.bytesIn());
            assertEquals(before.bytesOut(), after.bytesOut());
            assertEquals(0, after.rejected());
            assertEquals(3, q.size());
            // Reads work from any thread.
            AtomicReference<Object[]> seen = new AtomicReference<>();
            assertEquals(null, onAnotherThread("reader", () -> seen.set(new Object[] {q.size(), q.isEmpty(),
                    q.peek().orElseThrow(), q.metrics().size(), q.awaitNotEmpty(Duration.ofSeconds(1)), q.capacity()})));
            assertEquals(3, seen.get()[0]);
            assertEquals(false, seen.get()[1]);
            assertArrayEquals(ShmTestProcess.item(0, 1), (byte[]) seen.get()[2]);
            assertEquals(3, seen.get()[3]);
            assertEquals(true, seen.get()[4]);
            assertEquals(8, seen.get()[5]);
            // Nothing was lost: the owner takes every item, in order.
            for (int seq = 1; seq < 4; seq++) {
                assertArrayEquals(ShmTestProcess.item(0, seq), q.get(Duration.ofSeconds(5)));
            }
            assertEquals(0, q.size());
            assertEquals(4, q.metrics().gets());
            // close() from any thread.
            assertEquals(null, onAnotherThread("closer", q::close));
            assertThrows(QueueClosedException.class, () -> q.put(other));
        }
    }

    @Test
    void aSideWhoseOwnerThreadEndedIsTakenByTheNextThreadThatCalls() throws Exception {
        QueueDescriptor d = queue("handover", 8, 64);
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            assertEquals(null, onAnotherThread("first-producer", () -> q.put(ShmTestProcess.item(0, 0))));
            assertEquals(null, onAnotherThread("first-consumer", () -> assertArrayEquals(ShmTestProcess.item(0, 0),
                    q.get(Duration.ofSeconds(5)))));
            q.put(ShmTestProcess.item(0, 1)); // both owners have ended: this thread takes both sides
            assertArrayEquals(ShmTestProcess.item(0, 1), q.get(Duration.ofSeconds(5)));
            assertRefused(onAnotherThread("late", () -> q.put(ShmTestProcess.item(0, 2))),
                    Thread.currentThread().getName());
            assertEquals(2, q.metrics().gets());
        }
    }

    @Test
    void asyncCallsWorkOnTheOwnerThreadWhenTheyNeedNoWaitAndFailClearlyWhenTheyWould() throws Exception {
        QueueDescriptor d = queue("async", 2, 64);
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            q.putAsync(ShmTestProcess.item(0, 0)).get(5, TimeUnit.SECONDS); // room now: done on this thread
            q.putAsync(ShmTestProcess.item(0, 1)).get(5, TimeUnit.SECONDS);
            ExecutionException full = assertThrows(ExecutionException.class,
                    () -> q.putAsync(ShmTestProcess.item(0, 2)).get(5, TimeUnit.SECONDS));
            assertAsyncRefused(full.getCause());
            assertArrayEquals(ShmTestProcess.item(0, 0), q.getAsync(Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS));
            assertArrayEquals(ShmTestProcess.item(0, 1), q.getAsync(Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS));
            ExecutionException empty = assertThrows(ExecutionException.class,
                    () -> q.getAsync(Duration.ofSeconds(10)).get(5, TimeUnit.SECONDS));
            assertAsyncRefused(empty.getCause());
            // The publisher delivers on the async threads: refused at its first take.
            q.put(ShmTestProcess.item(0, 3));
            CompletableFuture<Throwable> error = new CompletableFuture<>();
            q.asPublisher().subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    s.request(1);
                }

                @Override
                public void onNext(byte[] item) {
                    error.complete(null);
                }

                @Override
                public void onError(Throwable t) {
                    error.complete(t);
                }

                @Override
                public void onComplete() {
                    error.complete(null);
                }
            });
            assertAsyncRefused(error.get(10, TimeUnit.SECONDS));
            // The blocking queue view works on the owner thread; nothing above was lost.
            assertArrayEquals(ShmTestProcess.item(0, 3), q.asBlockingQueue().poll(1, TimeUnit.SECONDS));
            assertTrue(q.asBlockingQueue().offer(ShmTestProcess.item(0, 4)));
            assertArrayEquals(ShmTestProcess.item(0, 4), q.asBlockingQueue().take());
            QueueMetrics m = q.metrics();
            assertEquals(4, m.puts());
            assertEquals(4, m.gets());
        }
    }

    private static void assertAsyncRefused(Throwable t) {
        assertInstanceOf(QueueException.class, t, String.valueOf(t));
        assertTrue(t.getMessage().contains("async threads") && t.getMessage().contains("threads=confined"),
                t.getMessage());
    }

    @Test
    void confinedIsRefusedWithoutTheOneToOneRingAndHandlesOfOneProcessMustAgree() {
        QueueDescriptor d = queue("options", 8, 64);
        for (QueueDescriptor bad : List.of(d.withOption("producers", "multi").withOption("consumers", "multi"),
                d.withOption("consumers", "multi"), d.withOption("durable", "true"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> bad.open(Codecs.bytes()).size());
            assertTrue(e.getMessage().contains("'threads=confined' needs 'producers=single' and 'consumers=single'"),
                    e.getMessage());
        }
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> d.withOption("threads", "single").open(Codecs.bytes()).size());
        assertTrue(typo.getMessage().contains("'threads' must be shared or confined"), typo.getMessage());
        try (MessageQueue<byte[]> confined = d.open(Codecs.bytes());
                MessageQueue<byte[]> shared = d.withOption("threads", "shared").open(Codecs.bytes())) {
            assertEquals(0, confined.size());
            QueueException mixed = assertThrows(QueueException.class, shared::size);
            assertTrue(mixed.getMessage().contains("same 'threads' option"), mixed.getMessage());
        }
    }

    private static long logLength(Path log) throws Exception {
        return Files.exists(log) ? Files.size(log) : 0;
    }

    @Test
    void aProducerKilledMidStreamLosesAtMostItsPutInFlightAndTheQueueGoesOn() throws Exception {
        QueueDescriptor d = queue("dead-producer", 256, 16);
        Path log = dir.resolve("produced");
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<long[]> q = d.open(Codecs.longs())) {
            Process producer = children.start("chaos-produce", d.toJson(), "7", log.toString());
            List<Long> taken = new ArrayList<>();
            Consumer<List<long[]>> take = batch -> batch.forEach(v -> {
                assertEquals(7, v[0]);
                taken.add(v[1]);
            });
            while (logLength(log) < 8 * 20_000) { // consume while it produces
                take.accept(q.getBatch(64, Duration.ofMillis(100)));
                assertTrue(producer.isAlive(), children.logOf(0));
            }
            Children.kill9(producer);
            // Its last put may have been in flight: the consumer recovers that claim (the producer is dead).
            for (List<long[]> batch; !(batch = q.getBatch(64, Duration.ofMillis(1500))).isEmpty();) {
                take.accept(batch);
            }
            long returned = ShmTestProcess.records(log, 8).size(); // puts that had returned and were logged
            for (int i = 0; i < taken.size(); i++) {
                assertEquals(i, taken.get(i), "items in order, none lost or twice");
            }
            assertTrue(taken.size() >= returned && taken.size() <= returned + 1,
                    taken.size() + " taken, " + returned + " puts logged");
            QueueMetrics m = q.metrics();
            assertEquals(taken.size(), m.puts(), "a put in flight is abandoned, not counted: " + m);
            assertEquals(taken.size(), m.gets(), m.toString());
            assertEquals(0, m.dropped());
            assertEquals(0, m.size());
            q.put(new long[] {8, 0}); // this process takes the producer role over from the dead one
            assertArrayEquals(new long[] {8, 0}, q.get(Duration.ofSeconds(5)));
        }
    }

    @Test
    void aConsumerKilledMidStreamLosesOnlyTheRunItHadClaimedCountedAsDropped() throws Exception {
        QueueDescriptor d = queue("dead-consumer", 256, 16);
        Path log = dir.resolve("consumed");
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<long[]> q = d.open(Codecs.longs())) {
            Process consumer = children.start("batch-consume-log", d.toJson(), log.toString());
            long put = 0;
            while (logLength(log) < 16 * 20_000) { // produce while it consumes
                for (int i = 0; i < 64; i++) {
                    q.put(new long[] {7, put++}, Duration.ofSeconds(30));
                }
                assertTrue(consumer.isAlive(), children.logOf(0));
            }
            Children.kill9(consumer);
            List<long[]> consumed = ShmTestProcess.records(log, 16);
            List<long[]> rest = new ArrayList<>();
            for (List<long[]> batch; !(batch = q.getBatch(256, Duration.ofMillis(300))).isEmpty();) {
                rest.addAll(batch); // this process takes the consumer role over from the dead one
            }
            QueueMetrics m = q.metrics();
            for (int i = 0; i < consumed.size(); i++) {
                assertEquals(i, consumed.get(i)[1], "the dead consumer's items, in order");
            }
            // Between its log and what is left: items it took but had not logged (a taken batch is
            // delivered), then its claimed run, lost and counted as dropped; never an item twice.
            long lostOrUnlogged = (rest.isEmpty() ? put : rest.get(0)[1]) - consumed.size();
            assertTrue(lostOrUnlogged >= m.dropped() && lostOrUnlogged <= 64 + m.dropped(),
                    lostOrUnlogged + " missing, " + m);
            assertTrue(m.dropped() <= 64, "at most one claimed run is lost: " + m);
            for (int i = 0; i < rest.size(); i++) {
                assertEquals(put - rest.size() + i, rest.get(i)[1], "the rest, in order, to the last put");
            }
            assertEquals(put, m.puts());
            assertEquals(put - m.dropped(), m.gets(), m.toString());
            assertEquals(0, m.size());
            q.put(new long[] {8, 0});
            assertNotNull(q.get(Duration.ofSeconds(5)));
        }
    }
}
