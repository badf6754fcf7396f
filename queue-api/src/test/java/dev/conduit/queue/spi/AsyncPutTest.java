package dev.conduit.queue.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A waiting {@code putAsync} whose future is cancelled: {@code cancel} returning true must mean the
 * item was not and will not be added; returning false, that the future completes with the put's
 * outcome. Runs on the {@code existing} backend over a real {@link ArrayBlockingQueue}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AsyncPutTest {
    /** How long a cancelled put is given to (wrongly) land once there is room. */
    private static final Duration WINDOW = Duration.ofMillis(300);

    private static MessageQueue<String> newQueue(int capacity) {
        return QueueDescriptor.fromExisting(new ArrayBlockingQueue<String>(capacity),
                "async-put-" + UUID.randomUUID()).open();
    }

    @Test
    void putAsyncCancelledWhileWaitingForRoomAddsNothingOnceThereIsRoom() throws Exception {
        try (MessageQueue<String> q = newQueue(1)) {
            q.put("first");
            CompletableFuture<Void> f = q.putAsync("second");
            assertFalse(f.isDone(), "putAsync on a full queue must wait");
            assertTrue(f.cancel(true), "a put still waiting for room can be withdrawn");
            assertTrue(f.isCancelled());
            assertEquals("first", q.get(Duration.ofSeconds(5)));
            long end = System.nanoTime() + WINDOW.toNanos();
            while (System.nanoTime() < end) {
                assertEquals(0, q.size(), "the put whose future said cancelled added its item");
                Thread.sleep(5);
            }
        }
    }

    @Test
    void putAllAsyncCancelledWhileWaitingForRoomAddsNothing() throws Exception {
        // Full, so that the existing backend's putAll (not atomic: no TRANSACTIONS) adds no prefix.
        try (MessageQueue<String> q = newQueue(2)) {
            q.put("first");
            q.put("second");
            CompletableFuture<Void> f = q.putAllAsync(List.of("a", "b"));
            assertFalse(f.isDone(), "putAllAsync without room for the batch must wait");
            assertTrue(f.cancel(true));
            assertEquals(List.of("first", "second"), q.getBatch(2, Duration.ofSeconds(5)));
            long end = System.nanoTime() + WINDOW.toNanos();
            while (System.nanoTime() < end) {
                assertEquals(0, q.size(), "the batch whose future said cancelled added items");
                Thread.sleep(5);
            }
        }
    }

    @Test
    void eachCancelledPutAsyncAddedNothingAndEachOtherAddedItsItemWhenCancelRacesRoom() throws Exception {
        int rounds = 200;
        try (MessageQueue<String> q = newQueue(1)) {
            Set<String> expected = new HashSet<>();
            Set<String> got = new HashSet<>();
            List<String> cancelledButAdded = new ArrayList<>();
            Set<String> cancelled = new HashSet<>();
            q.put("blocker");
            for (int i = 0; i < rounds; i++) {
                String item = "item-" + i;
                CompletableFuture<Void> f = q.putAsync(item);
                // Make room at about the moment of the cancel.
                String taken = q.get(Duration.ofSeconds(5));
                got.add(taken);
                boolean c = f.cancel(true);
                if (c) {
                    assertTrue(f.isCancelled());
                    cancelled.add(item);
                } else {
                    f.get(5, TimeUnit.SECONDS);
                    expected.add(item);
                }
                if (q.isEmpty() && q.offer("refill-" + i)) {
                    expected.add("refill-" + i);
                }
            }
            Thread.sleep(WINDOW.toMillis());
            for (String v = q.poll().orElse(null); v != null; v = q.poll().orElse(null)) {
                got.add(v);
            }
            for (String v : got) {
                if (cancelled.contains(v)) {
                    cancelledButAdded.add(v);
                }
            }
            assertTrue(cancelledButAdded.isEmpty(), "cancelled puts that added their item: " + cancelledButAdded);
            expected.add("blocker");
            expected.removeAll(got);
            assertTrue(expected.isEmpty(), "puts that completed but whose item never arrived: " + expected);
        }
    }
    @Test
    void putAsyncWhoseStoreFutureIsCancelledByTheStoreEndsCancelled() throws Exception {
        QueueDescriptor d = QueueDescriptor.fromExisting(new ArrayBlockingQueue<String>(1), "async-put-" + UUID.randomUUID());
        @SuppressWarnings("unchecked")
        QueueStore<String> real = (QueueStore<String>) BackendRegistry.getDefault().backendFor(d.type())
                .open(d, dev.conduit.queue.codec.Codecs.string());
        CompletableFuture<Boolean> cancelledByTheStore = new CompletableFuture<>();
        cancelledByTheStore.cancel(false);
        // The real store, except that its async put answers with a future the store itself cancelled.
        @SuppressWarnings("unchecked")
        QueueStore<String> store = (QueueStore<String>) java.lang.reflect.Proxy.newProxyInstance(
                QueueStore.class.getClassLoader(), new Class<?>[] {QueueStore.class}, (proxy, m, args) -> {
                    if (m.getName().equals("offerAsync")) {
                        return cancelledByTheStore;
                    }
                    try {
                        return m.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (MessageQueue<String> q = StoreQueue.of(d, store)) {
            CompletableFuture<Void> f = q.putAsync("x");
            Throwable outcome = f.handle((v, e) -> e).get(5, TimeUnit.SECONDS);
            assertTrue(outcome instanceof java.util.concurrent.CancellationException, "outcome: " + outcome);
        }
    }
}
