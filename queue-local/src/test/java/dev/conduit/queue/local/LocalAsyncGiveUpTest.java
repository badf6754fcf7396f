package dev.conduit.queue.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A caller that gives up on an async call's future other than by {@code cancel} ({@code orTimeout},
 * {@code completeExceptionally}, {@code completeAsync}) must be told the truth: a {@code putAsync}
 * whose future failed added nothing, one whose future succeeded added its item; a {@code getAsync}
 * whose future someone else completed took nothing. On {@code local} queues with BLOCK backpressure.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalAsyncGiveUpTest {
    /** How long a put that was given up is left to (wrongly) land, once, after all trials. */
    private static final Duration WINDOW = Duration.ofMillis(300);
    private static final int TRIALS = 600;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "give-up-test");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private static MessageQueue<String> fullQueueOfOne() throws InterruptedException {
        MessageQueue<String> q = QueueDescriptor.local("give-up-" + System.nanoTime()).withCapacity(1).open();
        q.put("filler");
        return q;
    }

    private static void spinMicros(long micros) {
        long end = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(micros);
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    /**
     * Runs {@link #TRIALS} puts into full queues of one, each given up by {@code giveUp} while a
     * consumer makes room: a third of them give up before the room appears, a third after the put
     * completed, and a third race the two at random. Then counts, across all queues, the items
     * that went in against the futures that report success.
     */
    private void eachPutGivenUpAddsItsItemExactlyWhenItsFutureSucceeds(
            BiConsumer<CompletableFuture<Void>, Long> giveUp, Class<? extends Throwable> giveUpFailure)
            throws Exception {
        List<MessageQueue<String>> queues = new ArrayList<>();
        int succeeded = 0;
        int failed = 0;
        try {
            for (int i = 0; i < TRIALS; i++) {
                MessageQueue<String> q = fullQueueOfOne();
                queues.add(q);
                CompletableFuture<Void> f = q.putAsync("item-" + i);
                assertFalse(f.isDone(), "putAsync on a full queue must wait");
                int mode = i % 3;
                long giveUpMicros = ThreadLocalRandom.current().nextLong(200);
                long roomMicros = ThreadLocalRandom.current().nextLong(200);
                if (mode == 0) {
                    giveUp.accept(f, 0L);
                    f.handle((v, e) -> null).get(10, TimeUnit.SECONDS);
                    assertEquals("filler", q.get(Duration.ofSeconds(10)));
                } else if (mode == 1) {
                    assertEquals("filler", q.get(Duration.ofSeconds(10)));
                    f.get(10, TimeUnit.SECONDS);
                    giveUp.accept(f, 0L);
                } else {
                    Future<String> room = pool.submit(() -> {
                        spinMicros(roomMicros);
                        return q.get(Duration.ofSeconds(10));
                    });
                    giveUp.accept(f, giveUpMicros);
                    assertEquals("filler", room.get(10, TimeUnit.SECONDS));
                }
                // Ends either way: the put's outcome, or the abandonment.
                Throwable outcome = f.handle((v, e) -> e).get(10, TimeUnit.SECONDS);
                if (outcome == null) {
                    succeeded++;
                } else {
                    Throwable cause = outcome instanceof CompletionException ? outcome.getCause() : outcome;
                    assertInstanceOf(giveUpFailure, cause, "a put's future failed otherwise than by the give-up");
                    failed++;
                }
            }
            // A put wrongly left running after its future failed lands once it has room, which
            // every queue has had since its trial: give the stragglers one window, then count.
            Thread.sleep(WINDOW.toMillis());
            int added = 0;
            for (MessageQueue<String> q : queues) {
                added += q.size();
            }
            assertTrue(succeeded > 0 && failed > 0, "both outcomes occur: " + succeeded + " succeeded, "
                    + failed + " failed");
            assertEquals(succeeded, added, "items that went in (" + added + ") against futures that report "
                    + "success (" + succeeded + "; " + failed + " failed after the give-up)");
        } finally {
            for (MessageQueue<String> q : queues) {
                q.destroy();
            }
        }
    }

    @Test
    void putAsyncGivenUpByOrTimeoutAddsItsItemExactlyWhenItsFutureSucceeds() throws Exception {
        eachPutGivenUpAddsItsItemExactlyWhenItsFutureSucceeds(
                (f, micros) -> f.orTimeout(micros, TimeUnit.MICROSECONDS), TimeoutException.class);
    }

    @Test
    void putAsyncGivenUpByCompleteExceptionallyAddsItsItemExactlyWhenItsFutureSucceeds() throws Exception {
        eachPutGivenUpAddsItsItemExactlyWhenItsFutureSucceeds((f, micros) -> {
            spinMicros(micros);
            f.completeExceptionally(new IllegalStateException("given up"));
        }, IllegalStateException.class);
    }

    @Test
    void putAsyncGivenUpByAFailingCompleteAsyncAddsItsItemExactlyWhenItsFutureSucceeds() throws Exception {
        eachPutGivenUpAddsItsItemExactlyWhenItsFutureSucceeds((f, micros) -> {
            spinMicros(micros);
            f.completeAsync(() -> {
                throw new IllegalStateException("given up");
            }, Runnable::run);
        }, IllegalStateException.class);
    }

    @Test
    void putAllAsyncGivenUpByOrTimeoutBeforeThereIsRoomAddsNothing() throws Exception {
        MessageQueue<String> q = QueueDescriptor.local("give-up-all-" + System.nanoTime()).withCapacity(2).open();
        try {
            q.putAll(List.of("f1", "f2"));
            CompletableFuture<Void> f = q.putAllAsync(List.of("a", "b")).orTimeout(1, TimeUnit.MILLISECONDS);
            Throwable outcome = f.handle((v, e) -> e).get(10, TimeUnit.SECONDS);
            assertInstanceOf(TimeoutException.class, outcome);
            assertEquals(List.of("f1", "f2"), q.getBatch(2, Duration.ofSeconds(10)));
            Thread.sleep(WINDOW.toMillis());
            assertEquals(0, q.size(), "the batch whose future timed out went in");
        } finally {
            q.destroy();
        }
    }
    /**
     * A waiting {@code getAsync} whose future someone else completed with {@code complete} must take
     * nothing: the item put afterwards stays queued for {@link #WINDOW}, then a get has it.
     */
    private static void getAsyncCompletedFromOutsideTakesNothing(
            java.util.function.Consumer<CompletableFuture<String>> completion) throws Exception {
        MessageQueue<String> q = QueueDescriptor.local("give-up-get-" + System.nanoTime()).withCapacity(4).open();
        try {
            CompletableFuture<String> f = q.getAsync(Duration.ofSeconds(30));
            assertFalse(f.isDone(), "getAsync on an empty queue must wait");
            completion.accept(f);
            f.handle((v, e) -> null).get(10, TimeUnit.SECONDS);
            q.put("real");
            long end = System.nanoTime() + WINDOW.toNanos();
            while (System.nanoTime() - end < 0) {
                assertEquals(1, q.size(), "the getAsync completed by someone else took the item put later: lost");
                Thread.sleep(5);
            }
            assertEquals("real", q.get(Duration.ofSeconds(10)));
        } finally {
            q.destroy();
        }
    }

    @Test
    void getAsyncCompletedByCompleteAsyncTakesNoItemPutLater() throws Exception {
        getAsyncCompletedFromOutsideTakesNothing(f -> f.completeAsync(() -> "given"));
    }

    @Test
    void getAsyncCompletedByAFailingCompleteAsyncTakesNoItemPutLater() throws Exception {
        getAsyncCompletedFromOutsideTakesNothing(f -> f.completeAsync(() -> {
            throw new IllegalStateException("given up");
        }, Runnable::run));
    }
    @Test
    void getAsyncWhoseOutcomeIsObtrudedTakesNoItemPutLater() throws Exception {
        getAsyncCompletedFromOutsideTakesNothing(f -> f.obtrudeValue("forced"));
        getAsyncCompletedFromOutsideTakesNothing(f -> f.obtrudeException(new IllegalStateException("forced")));
    }

    @Test
    void putAsyncWhoseFailureIsObtrudedBeforeThereIsRoomAddsNothing() throws Exception {
        MessageQueue<String> q = fullQueueOfOne();
        try {
            CompletableFuture<Void> f = q.putAsync("item");
            assertFalse(f.isDone(), "putAsync on a full queue must wait");
            f.obtrudeException(new IllegalStateException("forced"));
            assertEquals("filler", q.get(Duration.ofSeconds(10)));
            Thread.sleep(WINDOW.toMillis());
            assertEquals(0, q.size(), "the put whose future was forced to fail went in");
            assertTrue(f.isCompletedExceptionally());
        } finally {
            q.destroy();
        }
    }
}
