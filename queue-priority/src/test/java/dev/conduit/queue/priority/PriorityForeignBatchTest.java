package dev.conduit.queue.priority;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A put whose items or priorities cannot all be read (a list that grew while {@code putAll} read
 * it, a user list whose {@code get} throws, too few priorities, a null, a priority out of range)
 * must fail before it claims room, or go in whole: a claim never written makes every take, peek
 * and clear wait for it for ever, holding the queue's lock. Through {@link MessageQueue#putAll} and
 * through the SPI ({@link QueueStore} of the {@code priority} backend). Each call runs on another
 * thread and is given 10 s.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PriorityForeignBatchTest {
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "priority-foreign-batch-test");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    /**
     * A list that another thread appends to just after a reader asked its size: here the append is
     * made by the first {@code size()} call itself, so that the race is hit every time.
     */
    private static final class AppendedAfterSizeList extends ArrayList<String> {
        private boolean appended;

        AppendedAfterSizeList(List<String> items) {
            super(items);
        }

        @Override
        public int size() {
            int n = super.size();
            if (!appended) {
                appended = true;
                super.add("late");
            }
            return n;
        }
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

    private <V> V within10s(Callable<V> call, String what) throws Exception {
        Future<V> f = pool.submit(call);
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(what + " did not return within 10 s: it waits for a claim never written, "
                    + "or for room that can never be", e);
        }
    }

    /** Runs a put on another thread within 10 s; returns its exception, or null if it returned. */
    private Throwable putOutcome(Callable<?> put) throws Exception {
        try {
            within10s(put, "the put");
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /**
     * Checks that the queue, holding "before" and whatever a put that returned added, still serves
     * peek, get and clear within 10 s each, and that clear finds exactly {@code expectedAfterGet}.
     */
    private void assertStillServes(MessageQueue<String> q, int expectedAfterGet) throws Exception {
        assertEquals(Optional.of("before"), within10s(q::peek, "peek"));
        assertEquals("before", within10s(() -> q.get(Duration.ofSeconds(1)), "get"));
        assertEquals(expectedAfterGet, (int) within10s(q::clear, "clear"), "items left after the put");
    }

    private static QueueDescriptor descriptor(String backpressure) {
        QueueDescriptor d = QueueDescriptor.priority("foreign-batch-" + System.nanoTime()).withCapacity(16);
        return backpressure == null ? d : d.withOption("backpressure", backpressure);
    }

    @Test
    void putAllOfAListThatGrowsWhileItIsReadGoesInWholeOrNotAtAll() throws Exception {
        for (String backpressure : new String[] {null, "DROP_OLDEST"}) {
            MessageQueue<String> q = descriptor(backpressure).open();
            try {
                // A higher priority than the batch's, so that "before" is the head either way.
                q.put("before", 255);
                Throwable t = putOutcome(() -> {
                    q.putAll(new AppendedAfterSizeList(List.of("a", "b")), 1, Duration.ofSeconds(1));
                    return null;
                });
                // Whatever the put did, it did all of it: the list as read (two items, or three with
                // the late one) or nothing.
                int added = t == null ? q.size() - 1 : 0;
                assertEquals(t == null, added == 2 || added == 3, "put returned " + t + " with " + added + " added");
                assertStillServes(q, added);
            } finally {
                q.destroy();
            }
        }
    }

    /** One SPI put that must be refused with {@code refusal} before it claims room. */
    private void spiPutIsRefusedAndTheQueueServes(String backpressure, Class<? extends Throwable> refusal,
            SpiPut put) throws Exception {
        QueueDescriptor d = descriptor(backpressure);
        MessageQueue<String> q = d.open();
        QueueStore<String> store = BackendRegistry.getDefault().backendFor("priority").open(d, Codecs.string());
        try {
            q.put("before", 255);
            Throwable t = putOutcome(() -> put.run(store));
            assertEquals(refusal, t == null ? null : t.getClass(), "the put's outcome: " + t);
            assertStillServes(q, 0);
        } finally {
            store.close();
            q.destroy();
        }
    }

    /** A put through the SPI. */
    private interface SpiPut {
        Object run(QueueStore<String> store) throws Exception;
    }

    @Test
    void spiOfferAllOfAListWhoseGetThrowsIsRefusedAndTheQueueServes() throws Exception {
        for (String backpressure : new String[] {null, "DROP_OLDEST"}) {
            spiPutIsRefusedAndTheQueueServes(backpressure, IllegalStateException.class,
                    s -> s.offerAll(new ThrowingList(), new int[] {1, 1, 1}, 0));
        }
    }

    @Test
    void spiOfferAllWithTooFewPrioritiesIsRefusedAndTheQueueServes() throws Exception {
        for (String backpressure : new String[] {null, "DROP_OLDEST"}) {
            spiPutIsRefusedAndTheQueueServes(backpressure, IllegalArgumentException.class,
                    s -> s.offerAll(List.of("a", "b", "c"), new int[] {1, 1}, 0));
        }
    }

    @Test
    void spiOfferOfANullIsRefusedAndTheQueueServes() throws Exception {
        for (String backpressure : new String[] {null, "DROP_OLDEST"}) {
            spiPutIsRefusedAndTheQueueServes(backpressure, NullPointerException.class, s -> s.offer(null, 1, 0));
            spiPutIsRefusedAndTheQueueServes(backpressure, NullPointerException.class,
                    s -> s.offerAll(Arrays.asList("a", null), new int[] {1, 1}, 0));
        }
    }

    @Test
    void spiPutOfAPriorityOutOfRangeIsRefusedAndTheQueueServes() throws Exception {
        for (String backpressure : new String[] {null, "DROP_OLDEST"}) {
            spiPutIsRefusedAndTheQueueServes(backpressure, IllegalArgumentException.class, s -> s.offer("a", 256, 0));
            spiPutIsRefusedAndTheQueueServes(backpressure, IllegalArgumentException.class,
                    s -> s.offerAll(List.of("a", "b"), new int[] {1, -1}, 0));
        }
    }

    @Test
    void spiOfferAllOfMoreItemsThanTheCapacityIsRefusedAtOnce() throws Exception {
        String[] seventeen = new String[17];
        java.util.Arrays.fill(seventeen, "x");
        for (String backpressure : new String[] {"DROP_OLDEST", "REJECT", "BLOCK"}) {
            spiPutIsRefusedAndTheQueueServes(backpressure, IllegalArgumentException.class,
                    s -> s.offerAll(List.of(seventeen), new int[17], Long.MAX_VALUE));
            spiPutIsRefusedAndTheQueueServes(backpressure, IllegalArgumentException.class,
                    s -> s.tryOfferAllUncounted(List.of(seventeen), new int[17]));
        }
    }

    @Test
    void aRefusedPutLeavesNothingBehind() throws Exception {
        QueueDescriptor d = descriptor(null);
        MessageQueue<String> q = d.open();
        QueueStore<String> store = BackendRegistry.getDefault().backendFor("priority").open(d, Codecs.string());
        try {
            assertThrows(Exception.class, () -> store.offerAll(new ThrowingList(), new int[] {1, 1, 1}, 0));
            assertEquals(0, q.size());
            q.put("after");
            assertEquals("after", within10s(() -> q.get(Duration.ofSeconds(1)), "get"));
        } finally {
            store.close();
            q.destroy();
        }
    }
}
