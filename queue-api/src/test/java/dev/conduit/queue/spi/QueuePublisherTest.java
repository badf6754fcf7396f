package dev.conduit.queue.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code asPublisher()} against the Reactive Streams rules that matter for a queue: cancelling loses
 * no item, and signals stay serial even when a bad request comes from another thread. Runs on the
 * {@code existing} backend over a real {@link ArrayBlockingQueue}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QueuePublisherTest {

    private static MessageQueue<Long> newQueue(int capacity) {
        return QueueDescriptor.fromExisting(new ArrayBlockingQueue<Long>(capacity),
                "publisher-" + UUID.randomUUID()).open();
    }

    /** Waits up to 5 s for {@code condition}; no latch can say when the publisher's loop has stopped. */
    private static void eventually(java.util.function.BooleanSupplier condition, String what) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    @Test
    void cancelInsideOnNextLeavesEveryUndeliveredItemInTheQueue() throws Exception {
        int n = 10;
        try (MessageQueue<Long> q = newQueue(n)) {
            for (long i = 0; i < n; i++) {
                q.put(i);
            }
            List<Long> got = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<Flow.Subscription> sub = new CompletableFuture<>();
            q.asPublisher().subscribe(new Flow.Subscriber<Long>() {
                private Flow.Subscription s;

                @Override
                public void onSubscribe(Flow.Subscription s) {
                    this.s = s;
                    sub.complete(s);
                }

                @Override
                public void onNext(Long item) {
                    got.add(item);
                    s.cancel();
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onComplete() {
                }
            });
            sub.get(5, TimeUnit.SECONDS).request(n);
            eventually(() -> !got.isEmpty(), "the first item was not delivered");
            // Long enough for a loop that went on after the cancel to take more.
            Thread.sleep(200);
            assertEquals(n, got.size() + q.size(), "delivered " + got + " and left " + q.size()
                    + " in the queue: the publisher took items it never delivered");
            assertEquals(List.of(0L), got, "the publisher delivered after a cancel made inside onNext");
        }
    }

    @Test
    void badRequestFromAnotherThreadIsNotSignalledWhileOnNextRuns() throws Exception {
        try (MessageQueue<Long> q = newQueue(4)) {
            q.put(1L);
            CountDownLatch inOnNext = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean delivering = new AtomicBoolean();
            AtomicBoolean overlapped = new AtomicBoolean();
            CompletableFuture<Throwable> error = new CompletableFuture<>();
            CompletableFuture<Flow.Subscription> sub = new CompletableFuture<>();
            q.asPublisher().subscribe(new Flow.Subscriber<Long>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    sub.complete(s);
                }

                @Override
                public void onNext(Long item) {
                    delivering.set(true);
                    inOnNext.countDown();
                    try {
                        release.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    delivering.set(false);
                }

                @Override
                public void onError(Throwable t) {
                    overlapped.compareAndSet(false, delivering.get());
                    error.complete(t);
                }

                @Override
                public void onComplete() {
                    error.complete(null);
                }
            });
            Flow.Subscription s = sub.get(5, TimeUnit.SECONDS);
            s.request(1);
            assertTrue(inOnNext.await(5, TimeUnit.SECONDS), "onNext was not called");
            s.request(0);
            release.countDown();
            Throwable t = error.get(5, TimeUnit.SECONDS);
            assertInstanceOf(IllegalArgumentException.class, t, "rule 3.9: onError(IllegalArgumentException)");
            assertFalse(overlapped.get(), "rule 1.3: onError was called while onNext was still running");
        }
    }

    @Test
    void demandAddingUpPastLongMaxValueIsUnbounded() throws Exception {
        int n = 20;
        try (MessageQueue<Long> q = newQueue(n)) {
            for (long i = 0; i < n; i++) {
                q.put(i);
            }
            List<Long> got = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<Flow.Subscription> sub = new CompletableFuture<>();
            CompletableFuture<Throwable> error = new CompletableFuture<>();
            q.asPublisher().subscribe(new Flow.Subscriber<Long>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    sub.complete(s);
                }

                @Override
                public void onNext(Long item) {
                    got.add(item);
                }

                @Override
                public void onError(Throwable t) {
                    error.complete(t);
                }

                @Override
                public void onComplete() {
                }
            });
            Flow.Subscription s = sub.get(5, TimeUnit.SECONDS);
            s.request(Long.MAX_VALUE - 1);
            s.request(Long.MAX_VALUE);
            eventually(() -> got.size() == n, "got " + got.size() + " of " + n + " items");
            assertFalse(error.isDone(), () -> "onError: " + error.join());
        }
    }

    @Test
    void subscriberThatThrowsFromOnNextGetsOnErrorEvenWhenItThrowsQueueClosed() throws Exception {
        try (MessageQueue<Long> q = newQueue(4)) {
            q.put(1L);
            q.put(2L);
            CompletableFuture<Throwable> end = new CompletableFuture<>();
            CompletableFuture<Flow.Subscription> sub = new CompletableFuture<>();
            dev.conduit.queue.QueueClosedException thrown =
                    new dev.conduit.queue.QueueClosedException("the subscriber's own downstream queue is closed");
            q.asPublisher().subscribe(new Flow.Subscriber<Long>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    sub.complete(s);
                }

                @Override
                public void onNext(Long item) {
                    throw thrown;
                }

                @Override
                public void onError(Throwable t) {
                    end.complete(t);
                }

                @Override
                public void onComplete() {
                    end.complete(null);
                }
            });
            sub.get(5, TimeUnit.SECONDS).request(1);
            assertEquals(thrown, end.get(5, TimeUnit.SECONDS),
                    "the subscriber's failure was reported as the queue completing");
            assertEquals(1, q.size(), "an item was taken after the subscriber failed");
        }
    }

    @Test
    void nothingIsSignalledWhileOnSubscribeIsStillRunning() throws Exception {
        try (MessageQueue<Long> q = newQueue(4)) {
            q.put(1L);
            AtomicBoolean subscribing = new AtomicBoolean();
            AtomicBoolean overlapped = new AtomicBoolean();
            CountDownLatch delivered = new CountDownLatch(1);
            q.asPublisher().subscribe(new Flow.Subscriber<Long>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    subscribing.set(true);
                    s.request(1);
                    try {
                        // Rule 1.3: the item must wait for this to return, so this wait times out.
                        delivered.await(300, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    subscribing.set(false);
                }

                @Override
                public void onNext(Long item) {
                    overlapped.compareAndSet(false, subscribing.get());
                    delivered.countDown();
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onComplete() {
                }
            });
            assertTrue(delivered.await(5, TimeUnit.SECONDS), "the requested item was not delivered");
            assertFalse(overlapped.get(), "rule 1.3: onNext was called while onSubscribe was still running");
        }
    }
}
