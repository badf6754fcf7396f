package dev.conduit.queue.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code asBlockingQueue()} against {@link BlockingQueue}'s and {@link java.util.Collection}'s
 * Javadoc, and {@link Deadline}'s saturating arithmetic. Runs on the {@code existing} backend over a
 * real {@link ArrayBlockingQueue}.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BlockingQueueViewTest {

    private static MessageQueue<String> newQueue(int capacity) {
        return QueueDescriptor.fromExisting(new ArrayBlockingQueue<String>(capacity),
                "view-" + UUID.randomUUID()).open();
    }

    @Test
    void drainToItselfIsRefusedAndANonPositiveMaximumDrainsNothing() throws Exception {
        try (MessageQueue<String> q = newQueue(4)) {
            BlockingQueue<String> view = q.asBlockingQueue();
            view.put("a");
            assertThrows(IllegalArgumentException.class, () -> view.drainTo(view));
            assertThrows(IllegalArgumentException.class, () -> view.drainTo(view, 1));
            assertThrows(NullPointerException.class, () -> view.drainTo(null));
            List<String> sink = new ArrayList<>();
            assertEquals(0, view.drainTo(sink, 0));
            assertEquals(0, view.drainTo(sink, -1));
            assertEquals(1, view.size());
            assertEquals(1, view.drainTo(sink, 5));
            assertEquals(List.of("a"), sink);
        }
    }

    @Test
    void addOnAFullQueueThrowsIllegalStateAndNullsAreRefused() throws Exception {
        try (MessageQueue<String> q = newQueue(1)) {
            BlockingQueue<String> view = q.asBlockingQueue();
            assertThrows(NullPointerException.class, () -> view.offer(null));
            assertThrows(NullPointerException.class, () -> view.put(null));
            assertThrows(NullPointerException.class, () -> view.offer(null, 1, TimeUnit.SECONDS));
            assertThrows(NullPointerException.class, () -> view.add(null));
            assertTrue(view.add("a"));
            assertEquals(0, view.remainingCapacity());
            assertThrows(IllegalStateException.class, () -> view.add("b"));
            assertEquals(List.of("a"), q.getBatch(4, Duration.ZERO));
        }
    }

    @Test
    void negativeTimeoutsDoNotWaitAndHugeOnesDoNotOverflow() throws Exception {
        try (MessageQueue<String> q = newQueue(1)) {
            BlockingQueue<String> view = q.asBlockingQueue();
            long start = System.nanoTime();
            assertNull(view.poll(-1, TimeUnit.SECONDS));
            assertNull(view.poll(Long.MIN_VALUE, TimeUnit.NANOSECONDS));
            assertTrue(view.offer("a", Long.MAX_VALUE, TimeUnit.DAYS));
            assertFalse(view.offer("b", -1, TimeUnit.SECONDS));
            assertFalse(view.offer("b", Long.MIN_VALUE, TimeUnit.DAYS));
            assertEquals("a", view.poll(Long.MAX_VALUE, TimeUnit.DAYS));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "a call that must not wait waited");
        }
    }

    @Test
    void interruptedTakeThrowsAndTakesNothingLater() throws Exception {
        try (MessageQueue<String> q = newQueue(2)) {
            BlockingQueue<String> view = q.asBlockingQueue();
            Thread.currentThread().interrupt();
            try {
                assertThrows(InterruptedException.class, view::take);
            } finally {
                Thread.interrupted();
            }
            view.put("a");
            assertEquals("a", view.poll(1, TimeUnit.SECONDS));
        }
    }

    @Test
    void unsupportedCollectionOperationsSaySoAsDocumented() throws Exception {
        try (MessageQueue<String> q = newQueue(2)) {
            BlockingQueue<String> view = q.asBlockingQueue();
            view.put("a");
            assertThrows(UnsupportedOperationException.class, () -> view.contains("a"));
            assertThrows(UnsupportedOperationException.class, () -> view.remove("a"));
            assertThrows(UnsupportedOperationException.class, view::iterator);
            assertThrows(UnsupportedOperationException.class, view::toArray);
            assertEquals(1, view.size(), "a refused operation must leave the item");
        }
    }

    @Test
    void deadlineArithmeticSaturates() {
        assertEquals(Deadline.FOREVER, Deadline.toNanos(Duration.ofSeconds(Long.MAX_VALUE)));
        assertEquals(Deadline.FOREVER, Deadline.toNanos(Duration.ofNanos(Long.MAX_VALUE)));
        assertEquals(0, Deadline.toNanos(Duration.ofSeconds(Long.MIN_VALUE)));
        assertEquals(0, Deadline.toNanos(Duration.ofNanos(-1)));
        assertEquals(Deadline.FOREVER, Deadline.remaining(Deadline.deadline(Deadline.FOREVER)));
        long almostForever = Deadline.remaining(Deadline.deadline(Deadline.FOREVER - 1));
        assertTrue(almostForever > Long.MAX_VALUE / 2, "a huge timeout wrapped: " + almostForever);
        assertEquals(0, Deadline.remaining(Deadline.deadline(0)) > 1_000_000_000L ? 1 : 0);
    }
}
