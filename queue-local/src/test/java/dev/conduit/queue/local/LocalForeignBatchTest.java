package dev.conduit.queue.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.spi.BackendRegistry;
import dev.conduit.queue.spi.QueueStore;
import java.time.Duration;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A batch given as a list the library did not make (a user's {@code List} whose {@code get}
 * throws, one with a null) must fail without leaving the ring half-claimed: afterwards a get, a peek
 * and a clear still answer. Through {@link MessageQueue#putAll}, which copies the list first, and
 * through the SPI ({@link QueueStore#offerAll} of the store a {@code local} backend opens), which
 * hands the list to the store as it is. Each call runs on another thread and is given 10 s, since a
 * consumer of an unpublished claim spins for ever.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalForeignBatchTest {
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "foreign-batch-test");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    /** Three items; {@code get(1)} throws, as a user's lazy or remote-backed list might. */
    private static final class ThrowingList extends AbstractList<String> {
        @Override
        public String get(int index) {
            if (index == 1) {
                throw new IllegalStateException("this list cannot produce item " + index);
            }
            return "x" + index;
        }

        @Override
        public int size() {
            return 3;
        }
    }

    /** An ArrayList whose own toArray works (so {@code List.copyOf} copies it) but whose get throws. */
    private static final class ThrowingGetArrayList extends ArrayList<String> {
        ThrowingGetArrayList() {
            super(List.of("x0", "x1", "x2"));
        }

        @Override
        public String get(int index) {
            throw new IllegalStateException("get is not supported");
        }
    }

    private <V> V within10s(Callable<V> call, String what) throws Exception {
        Future<V> f = pool.submit(call);
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(what + " did not return within 10 s: the ring waits for a claim never published",
                    e);
        }
    }

    /**
     * Checks that the queue holding only "before" still serves peek, get, putAll and clear, and that
     * clear finds exactly the two items put (a refused batch added none).
     */
    private void assertStillServes(MessageQueue<String> q) throws Exception {
        assertEquals(Optional.of("before"), within10s(q::peek, "peek"));
        assertEquals("before", within10s(() -> q.get(Duration.ofSeconds(1)), "get"));
        within10s(() -> {
            q.putAll(List.of("a", "b"));
            return null;
        }, "putAll");
        assertEquals(2, (int) within10s(q::clear, "clear"));
        assertEquals(0, q.size());
    }

    private static QueueDescriptor descriptor() {
        return QueueDescriptor.local("foreign-batch-" + System.nanoTime()).withCapacity(8);
    }

    /**
     * Puts "before", then {@code offer} of a 3-item batch, which must either be refused whole with
     * the list's own exception (then only "before" is queued) or go in whole; then checks that the
     * queue still serves.
     */
    private void batchGoesInWholeOrNotAtAll(MessageQueue<String> q, Callable<?> offer, boolean mustRefuse)
            throws Exception {
        q.put("before");
        boolean refused = false;
        try {
            within10sUnchecked(offer);
        } catch (IllegalStateException e) {
            refused = true;
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        assertTrue(refused || !mustRefuse, "a batch whose list cannot produce its items went in");
        assertEquals(refused ? 1 : 4, (int) within10s(q::clear, "clear after the batch"),
                refused ? "a refused batch added items" : "a batch went in only in part");
        q.put("before");
        assertStillServes(q);
    }

    @Test
    void putAllOfAListWhoseGetThrowsLeavesTheQueueServing() throws Exception {
        MessageQueue<String> q = descriptor().open();
        try {
            batchGoesInWholeOrNotAtAll(q, () -> {
                q.putAll(new ThrowingList());
                return null;
            }, true);
            batchGoesInWholeOrNotAtAll(q, () -> {
                q.putAll(new ThrowingGetArrayList());
                return null;
            }, false);
        } finally {
            q.destroy();
        }
    }

    @Test
    void offerAllThroughTheSpiOfAListWhoseGetThrowsLeavesTheQueueServing() throws Exception {
        QueueDescriptor d = descriptor();
        MessageQueue<String> q = d.open();
        QueueStore<String> store = BackendRegistry.getDefault().backendFor("local").open(d, Codecs.string());
        try {
            batchGoesInWholeOrNotAtAll(q, () -> store.offerAll(new ThrowingList(), new int[3], 0), true);
            batchGoesInWholeOrNotAtAll(q, () -> store.offerAll(new ThrowingGetArrayList(), new int[3], 0), false);
        } finally {
            store.close();
            q.destroy();
        }
    }

    @Test
    void offerAllThroughTheSpiOfAListWithANullIsRefusedAndLeavesTheQueueServing() throws Exception {
        QueueDescriptor d = descriptor();
        MessageQueue<String> q = d.open();
        QueueStore<String> store = BackendRegistry.getDefault().backendFor("local").open(d, Codecs.string());
        try {
            q.put("before");
            assertThrows(NullPointerException.class,
                    () -> within10sUnchecked(() -> store.offerAll(Arrays.asList("a", null, "b"), new int[3], 0)));
            assertStillServes(q);
        } finally {
            store.close();
            q.destroy();
        }
    }

    @Test
    void offerOfANullThroughTheSpiIsRefusedAndLeavesTheQueueServing() throws Exception {
        QueueDescriptor d = descriptor();
        MessageQueue<String> q = d.open();
        QueueStore<String> store = BackendRegistry.getDefault().backendFor("local").open(d, Codecs.string());
        try {
            q.put("before");
            assertThrows(NullPointerException.class, () -> within10sUnchecked(() -> store.offer(null, 128, 0)));
            assertThrows(NullPointerException.class, () -> within10sUnchecked(() -> store.tryOffer(null, 128)));
            assertStillServes(q);
        } finally {
            store.close();
            q.destroy();
        }
    }

    @Test
    void offerAllThroughTheSpiOfMoreItemsThanTheCapacityIsRefusedAtOnce() throws Exception {
        for (String backpressure : new String[] {"DROP_OLDEST", "REJECT", "BLOCK"}) {
            QueueDescriptor d = descriptor().withOption("backpressure", backpressure);
            MessageQueue<String> q = d.open();
            QueueStore<String> store = BackendRegistry.getDefault().backendFor("local").open(d, Codecs.string());
            try {
                q.put("before");
                List<String> nine = List.of("1", "2", "3", "4", "5", "6", "7", "8", "9");
                assertThrows(IllegalArgumentException.class,
                        () -> within10sUnchecked(() -> store.offerAll(nine, new int[9], Long.MAX_VALUE)),
                        backpressure);
                assertThrows(IllegalArgumentException.class,
                        () -> within10sUnchecked(() -> store.tryOfferAllUncounted(nine, new int[9])), backpressure);
                assertStillServes(q);
            } finally {
                store.close();
                q.destroy();
            }
        }
    }

    /** {@link #within10s}, rethrowing the call's own exception as it is. */
    private void within10sUnchecked(Callable<?> call) throws Throwable {
        try {
            within10s(call, "offerAll");
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause();
        }
    }
}
