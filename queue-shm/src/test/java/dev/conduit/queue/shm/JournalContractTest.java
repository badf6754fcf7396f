package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Queue-contract checks of the journal that the conformance suite does not make. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JournalContractTest {
    @TempDir
    Path dir;

    private QueueDescriptor journal(String id) {
        return QueueDescriptor.of("journal", id).withNamespace("j").withCapacity(2).withOption("dir", dir.toString());
    }

    /** A handle waiting in get() when another handle of the same journal destroys it must not wait on forever. */
    @Test
    void destroyByAnotherHandleEndsAWaitingGet() throws Exception {
        QueueDescriptor d = journal("destroyed-get");
        MessageQueue<String> waiter = d.open(Codecs.string());
        MessageQueue<String> destroyer = d.open(Codecs.string());
        CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
            try {
                return waiter.get();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(waitForWaiting(got));
        destroyer.destroy();
        ExecutionException e = assertThrows(ExecutionException.class, () -> got.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof QueueClosedException, e.getCause().toString());
        waiter.close();
    }

    /** A handle waiting in put() on a full journal when another handle destroys it must not wait on forever. */
    @Test
    void destroyByAnotherHandleEndsAWaitingPut() throws Exception {
        QueueDescriptor d = journal("destroyed-put");
        MessageQueue<String> waiter = d.open(Codecs.string());
        MessageQueue<String> destroyer = d.open(Codecs.string());
        waiter.putAll(java.util.List.of("a", "b"));
        CompletableFuture<Void> put = CompletableFuture.runAsync(() -> {
            try {
                waiter.put("c");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(waitForWaiting(put));
        destroyer.destroy();
        ExecutionException e = assertThrows(ExecutionException.class, () -> put.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof QueueClosedException, e.getCause().toString());
        waiter.close();
    }

    /** @return true once the call has been running a while without ending (it is waiting) */
    private static boolean waitForWaiting(CompletableFuture<?> call) throws InterruptedException {
        Thread.sleep(200); // the call cannot signal that it waits; it must merely not have ended
        return !call.isDone();
    }

    /** clear() returns what it removed and the metrics add up; timed calls end at their timeout. */
    @Test
    void clearCountsAndTimedCallsEndAtTheirTimeout() throws Exception {
        QueueDescriptor d = journal("clear").withCapacity(3);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.putAll(java.util.List.of("a", "b", "c"));
            assertEquals("a", q.get(Duration.ofSeconds(1)));
            assertEquals(2, q.clear());
            q.put("d");
            var m = q.metrics();
            assertEquals(1, m.size());
            assertEquals(4, m.puts());
            assertEquals(1, m.gets());
            assertEquals(2, m.cleared());
            assertEquals(m.size(), m.puts() - m.gets() - m.dropped() - m.cleared());
            q.putAll(java.util.List.of("e", "f"));
            long t0 = System.nanoTime();
            assertThrows(dev.conduit.queue.QueueFullException.class, () -> q.put("g", Duration.ofMillis(50)));
            long putMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(putMs >= 50 && putMs < 1000, putMs + " ms");
            assertEquals(1, q.metrics().rejected());
            q.clear();
            t0 = System.nanoTime();
            assertTrue(q.getBatch(5, Duration.ofMillis(50)).isEmpty());
            assertEquals(false, q.awaitNotEmpty(Duration.ofMillis(50)));
            long getMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(getMs >= 100 && getMs < 2000, getMs + " ms");
        }
    }

    /** A handle waiting in get() when another process destroys the journal must not wait on forever. */
    @Test
    void destroyByAnotherProcessEndsAWaitingGet() throws Exception {
        QueueDescriptor d = journal("destroyed-elsewhere");
        try (MessageQueue<String> waiter = d.open(Codecs.string());
                Children children = new Children(dir.resolve("logs"))) {
            CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
                try {
                    return waiter.get(Duration.ofSeconds(40));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Process destroyer = children.startWith(Path.of(System.getProperty("java.home"), "bin", "java"),
                    java.util.List.of(ChronicleFlags.commandLine().split(" ")), "journal-destroy", d.toJson());
            assertEquals(0, Children.await(destroyer, 30), children.logOf(0));
            ExecutionException e = assertThrows(ExecutionException.class, () -> got.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof QueueClosedException, e.getCause().toString());
        }
    }

    /**
     * The largest item Chronicle takes goes in; one byte more is refused with ItemTooLargeException
     * before anything of its batch is written, and the journal goes on as before.
     */
    @Test
    void anItemAtTheSizeLimitFitsAndOneByteMoreIsRefused() throws Exception {
        QueueDescriptor d = QueueDescriptor.of("journal", "large").withNamespace("j").withCapacity(4)
                .withOption("dir", dir.toString());
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            int max = (int) Journal.open(JournalStore.directory(d)).maxPayload();
            byte[] limit = new byte[max];
            limit[max - 1] = 9;
            q.put(limit);
            assertEquals(9, q.get(Duration.ofSeconds(5))[max - 1]);
            assertThrows(dev.conduit.queue.ItemTooLargeException.class,
                    () -> q.putAll(java.util.List.of(new byte[] {1}, new byte[max + 1])));
            assertEquals(0, q.size());
            q.put(new byte[] {3});
            org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[] {3}, q.get(Duration.ofSeconds(5)));
            assertEquals(0, q.size());
            assertEquals(2, q.metrics().puts());
        }
    }

    /** backpressure=REJECT refuses a put on a full journal at once, as on the ring, instead of waiting. */
    @Test
    void rejectRefusesAtOnceOnAFullJournal() throws Exception {
        QueueDescriptor d = QueueDescriptor.shm("reject").withNamespace("j").withCapacity(1)
                .withOption("dir", dir.toString()).withOption("durable", "true").withOption("backpressure", "REJECT");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("a");
            long t0 = System.nanoTime();
            assertThrows(dev.conduit.queue.QueueFullException.class, () -> q.put("b", Duration.ofSeconds(5)));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 1000, "refused after " + ms + " ms");
            CompletableFuture<Void> put = CompletableFuture.runAsync(() -> {
                try {
                    q.put("c");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            ExecutionException e = assertThrows(ExecutionException.class, () -> put.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof dev.conduit.queue.QueueFullException, e.getCause().toString());
            assertEquals(2, q.metrics().rejected());
            assertEquals(1, q.size());
        }
    }

    /** The journal cannot drop for its subscribers: DROP_OLDEST is refused when the store opens, not ignored. */
    @Test
    void dropOldestIsRefusedAtOpen() {
        QueueDescriptor d = journal("drop").withOption("backpressure", "DROP_OLDEST");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> q.put("x"));
            assertTrue(e.getMessage().contains("backpressure"), e.getMessage());
        }
    }
}
