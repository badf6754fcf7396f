package dev.conduit.queue.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One handle's async puts keep their call order: once one waits for room, later ones queue behind
 * it, and giving up on a queued one withdraws it without disturbing the others. Runs on the
 * {@code existing} backend over a real {@link ArrayBlockingQueue}, whose async puts wait on
 * {@link AsyncSupport}'s threads.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AsyncPutOrderTest {
    /** How long a withdrawn put is given to (wrongly) land once there is room. */
    private static final Duration WINDOW = Duration.ofMillis(300);

    private static MessageQueue<String> newQueue(int capacity) {
        return QueueDescriptor.fromExisting(new ArrayBlockingQueue<String>(capacity),
                "async-order-" + UUID.randomUUID()).open();
    }

    private static List<String> drain(MessageQueue<String> q, int n) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(q.get(Duration.ofSeconds(5)));
        }
        return out;
    }

    private static void assertStaysEmpty(MessageQueue<String> q) throws InterruptedException {
        long end = System.nanoTime() + WINDOW.toNanos();
        while (System.nanoTime() < end) {
            assertEquals(0, q.size(), "a withdrawn put added its item");
            Thread.sleep(5);
        }
    }

    @Test
    void aPutAsyncMadeWhenRoomAppearsQueuesBehindTheOneAlreadyWaiting() throws Exception {
        for (int trial = 0; trial < 200; trial++) {
            try (MessageQueue<String> q = newQueue(1)) {
                q.put("first");
                CompletableFuture<Void> a = q.putAsync("a");
                assertEquals("first", q.get(Duration.ofSeconds(5))); // room, while "a" may still be waking up
                CompletableFuture<Void> b = q.putAsync("b");
                CompletableFuture<Void> c = q.putAllAsync(List.of("c"));
                assertEquals(List.of("a", "b", "c"), drain(q, 3), "trial " + trial);
                CompletableFuture.allOf(a, b, c).get(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void givingUpOnQueuedPutsWithdrawsThemAndTheOthersGoInInCallOrder() throws Exception {
        try (MessageQueue<String> q = newQueue(1)) {
            q.put("first");
            CompletableFuture<Void> a = q.putAsync("a");
            CompletableFuture<Void> b = q.putAsync("b");
            CompletableFuture<Void> c = q.putAllAsync(List.of("c"));
            CompletableFuture<Void> d = q.putAsync("d");
            CompletableFuture<Void> e = q.putAsync("e").orTimeout(20, TimeUnit.MILLISECONDS);
            CompletableFuture<Void> f = q.putAsync("f");
            assertFalse(a.isDone() || b.isDone() || c.isDone() || d.isDone() || f.isDone(), "all wait behind a full queue");
            assertTrue(b.cancel(true), "a put queued behind another is withdrawn");
            assertTrue(c.completeExceptionally(new IllegalStateException("given up")), "a queued batch too");
            Throwable timedOut = e.handle((v, x) -> x).get(5, TimeUnit.SECONDS);
            assertTrue(timedOut instanceof TimeoutException, "orTimeout on a queued put: " + timedOut);
            assertEquals(List.of("first", "a", "d", "f"), drain(q, 4));
            CompletableFuture.allOf(a, d, f).get(5, TimeUnit.SECONDS);
            assertTrue(b.isCancelled());
            assertTrue(c.isCompletedExceptionally());
            assertStaysEmpty(q);
        }
    }

    @Test
    void cancellingTheWaitingPutLetsTheQueuedOnesGoInOrder() throws Exception {
        try (MessageQueue<String> q = newQueue(1)) {
            q.put("first");
            CompletableFuture<Void> a = q.putAsync("a");
            CompletableFuture<Void> b = q.putAsync("b");
            CompletableFuture<Void> c = q.putAsync("c");
            assertTrue(a.cancel(true), "the put waiting for room is withdrawn");
            assertEquals(List.of("first", "b", "c"), drain(q, 3));
            CompletableFuture.allOf(b, c).get(5, TimeUnit.SECONDS);
            assertStaysEmpty(q);
        }
    }

    @Test
    void asyncPutsWithRoomGoInAtOnceAndLaterOnesDoNotWait() throws Exception {
        try (MessageQueue<String> q = newQueue(2)) {
            q.put("first");
            CompletableFuture<Void> a = q.putAsync("a");
            assertTrue(a.isDone(), "a put that finds room completes at once");
            CompletableFuture<Void> b = q.putAsync("b"); // full: waits
            assertEquals(List.of("first", "a", "b"), drain(q, 3));
            b.get(5, TimeUnit.SECONDS);
            // The lane is empty again: the next put with room is made at once.
            assertTrue(q.putAsync("c").isDone(), "once nothing waits, a put with room goes in at once");
            assertEquals(List.of("c"), drain(q, 1));
        }
    }

    @Test
    void theFuturesOfAsyncPutsCompleteInCallOrder() throws Exception {
        try (MessageQueue<String> q = newQueue(3)) {
            q.putAll(List.of("x", "y", "z"));
            List<String> completed = java.util.Collections.synchronizedList(new ArrayList<>());
            List<CompletableFuture<Void>> puts = new ArrayList<>();
            for (String item : List.of("a", "b", "c", "d")) {
                // Waiting on the dependent, not the put's own future, which get() may see complete
                // before this has run.
                puts.add(q.putAsync(item).thenRun(() -> completed.add(item)));
            }
            // "a" waits for room as the first put; once it goes in, "b" tries from the queue and waits too.
            List<String> taken = new ArrayList<>(List.of(q.get(Duration.ofSeconds(5))));
            puts.get(0).get(5, TimeUnit.SECONDS);
            assertEquals(List.of("a"), completed);
            // Room for all three: "b" goes in, then "c" and "d" at once; "b" completes before them.
            taken.addAll(q.getBatch(3, Duration.ofSeconds(5)));
            CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
            assertEquals(List.of("a", "b", "c", "d"), completed);
            taken.addAll(drain(q, q.size()));
            assertEquals(List.of("x", "y", "z", "a", "b", "c", "d"), taken);
        }
    }

    @Test
    void queuedPutsOfAClosedHandleFailAndAddNothing() throws Exception {
        ArrayBlockingQueue<String> backing = new ArrayBlockingQueue<>(1);
        QueueDescriptor d = QueueDescriptor.fromExisting(backing, "async-order-" + UUID.randomUUID());
        MessageQueue<String> q = d.open();
        q.put("first");
        CompletableFuture<Void> a = q.putAsync("a");
        CompletableFuture<Void> b = q.putAsync("b");
        q.close();
        Throwable ea = a.handle((v, x) -> x).get(5, TimeUnit.SECONDS);
        Throwable eb = b.handle((v, x) -> x).get(5, TimeUnit.SECONDS);
        assertTrue(ea != null && eb != null, "puts of a closed handle fail: " + ea + ", " + eb);
        assertEquals(List.of("first"), List.copyOf(backing));
    }
}
