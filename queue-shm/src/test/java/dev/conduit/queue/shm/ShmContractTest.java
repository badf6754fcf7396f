package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Queue-contract checks of the shared-memory ring that the conformance suite does not make. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShmContractTest {
    @TempDir
    Path dir;

    private QueueDescriptor shm(String id, int capacity) {
        return QueueDescriptor.shm(id).withNamespace("test").withCapacity(capacity)
                .withOption("dir", dir.toString()).withOption("itemSize", "64");
    }

    /**
     * The capacity is per lane: a put into a full high lane makes room by dropping that lane's
     * oldest item, and only that one. Dropping items of another lane frees nothing for it.
     */
    @Test
    void dropOldestIntoAFullLaneDropsOneItemOfThatLane() throws Exception {
        QueueDescriptor d = shm("drop-lanes", 2).withOption("lanes", "2").withOption("backpressure", "DROP_OLDEST");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("l1", 0);
            q.put("l2", 0);
            q.put("h1", 200);
            q.put("h2", 200);
            q.put("h3", 200);
            QueueMetrics m = q.metrics();
            assertEquals(1, m.dropped(), "one put past a full lane drops one item");
            assertEquals(4, q.size());
            for (String expected : List.of("h2", "h3", "l1", "l2")) {
                assertEquals(expected, q.get(Duration.ofSeconds(1)));
            }
        }
    }

    /** The same for a batch: it drops only as many of its own lane's oldest items as it needs room for. */
    @Test
    void dropOldestBatchIntoAFullLaneDropsOnlyWhatItNeeds() throws Exception {
        QueueDescriptor d = shm("drop-lanes-batch", 2).withOption("lanes", "2")
                .withOption("backpressure", "DROP_OLDEST");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("l1", 0);
            q.put("l2", 0);
            q.put("h1", 200);
            q.putAll(List.of("h2", "h3"), 200, Duration.ofSeconds(1));
            assertEquals(1, q.metrics().dropped(), "a batch of 2 into a lane of capacity 2 holding 1 drops 1");
            assertEquals(4, q.size());
        }
    }

    /** An item of exactly itemSize encoded bytes fits; one byte more is refused whole, and nothing is lost. */
    @Test
    void anItemAtTheSizeLimitFitsAndOneByteMoreIsRefused() throws Exception {
        QueueDescriptor d = shm("size-limit", 4);
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            q.put(new byte[] {1});
            byte[] full = new byte[64];
            java.util.Arrays.fill(full, (byte) 7);
            q.put(full);
            assertThrows(ItemTooLargeException.class, () -> q.put(new byte[65]));
            assertThrows(ItemTooLargeException.class, () -> q.putAll(List.of(new byte[] {2}, new byte[65])));
            assertEquals(2, q.size());
            assertArrayEquals(new byte[] {1}, q.get(Duration.ofSeconds(1)));
            assertArrayEquals(full, q.get(Duration.ofSeconds(1)));
            QueueMetrics m = q.metrics();
            assertEquals(2, m.puts());
            assertEquals(0, m.rejected());
        }
    }

    /** puts - gets - dropped - cleared == size, across clear() and DROP_OLDEST. */
    @Test
    void theMetricsAddUpAcrossClearAndDrops() throws Exception {
        QueueDescriptor d = shm("metrics", 3).withOption("lanes", "2").withOption("backpressure", "DROP_OLDEST");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            for (int i = 0; i < 5; i++) {
                q.put("l" + i, 0);
                q.put("h" + i, 200);
            }
            assertEquals("h2", q.get(Duration.ofSeconds(1)));
            assertEquals(5, q.clear());
            q.put("x", 0);
            QueueMetrics m = q.metrics();
            assertEquals(1, q.size());
            assertEquals(11, m.puts());
            assertEquals(1, m.gets());
            assertEquals(4, m.dropped());
            assertEquals(5, m.cleared());
            assertEquals(m.size(), m.puts() - m.gets() - m.dropped() - m.cleared());
        }
    }

    /** Closing one handle of a file leaves another handle of it, waiting in get(), working. */
    @Test
    void closingOneHandleLeavesAnotherWaitingHandleWorking() throws Exception {
        QueueDescriptor d = shm("close-one", 2);
        MessageQueue<String> waiter = d.open(Codecs.string());
        MessageQueue<String> other = d.open(Codecs.string());
        CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
            try {
                return waiter.get(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100); // let it wait; the result does not depend on it
        other.close();
        assertThrows(QueueClosedException.class, () -> other.put("no"));
        try (MessageQueue<String> third = d.open(Codecs.string())) {
            third.put("x");
        }
        assertEquals("x", got.get(5, TimeUnit.SECONDS));
        waiter.close();
    }

    /** Destroying the queue through one handle ends another handle's blocking get with QueueClosedException. */
    @Test
    void destroyThroughOneHandleEndsAnotherHandlesBlockingGet() throws Exception {
        QueueDescriptor d = shm("destroy-one", 2);
        MessageQueue<String> waiter = d.open(Codecs.string());
        MessageQueue<String> destroyer = d.open(Codecs.string());
        CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
            try {
                return waiter.get();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100); // let it wait; the result does not depend on it
        destroyer.destroy();
        ExecutionException e = assertThrows(ExecutionException.class, () -> got.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof QueueClosedException, e.getCause().toString());
        waiter.close();
    }

    /** Another process's destroy ends this process's blocking get and put with QueueClosedException. */
    @Test
    void destroyByAnotherProcessEndsBlockingCalls() throws Exception {
        QueueDescriptor d = shm("destroy-elsewhere", 1);
        try (MessageQueue<String> getter = d.open(Codecs.string());
                MessageQueue<String> putter = QueueDescriptor.shm("destroy-elsewhere-full").withNamespace("test")
                        .withCapacity(1).withOption("dir", dir.toString()).open(Codecs.string());
                Children children = new Children(dir.resolve("logs"))) {
            CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
                try {
                    return getter.get();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            putter.put("fills it");
            CompletableFuture<Void> put = CompletableFuture.runAsync(() -> {
                try {
                    putter.put("waits");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Process first = children.start("destroy", d.toJson());
            assertEquals(0, Children.await(first, 30), children.logOf(0));
            ExecutionException e = assertThrows(ExecutionException.class, () -> got.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof QueueClosedException, e.getCause().toString());
            QueueDescriptor full = QueueDescriptor.shm("destroy-elsewhere-full").withNamespace("test").withCapacity(1)
                    .withOption("dir", dir.toString());
            Process second = children.start("destroy", full.toJson());
            assertEquals(0, Children.await(second, 30), children.logOf(1));
            e = assertThrows(ExecutionException.class, () -> put.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof QueueClosedException, e.getCause().toString());
        }
    }
}
