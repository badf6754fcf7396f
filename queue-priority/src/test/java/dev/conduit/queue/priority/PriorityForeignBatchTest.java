package dev.conduit.queue.priority;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.time.Duration;
import java.util.ArrayList;
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
 * it) must fail before it claims room, or go in whole: a claim never written makes every take, peek
 * and clear wait for it for ever, holding the queue's lock. Each call runs on another thread and is
 * given 10 s.
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

    private <V> V within10s(Callable<V> call, String what) throws Exception {
        Future<V> f = pool.submit(call);
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(what + " did not return within 10 s: the queue waits for a claim never written",
                    e);
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
}
