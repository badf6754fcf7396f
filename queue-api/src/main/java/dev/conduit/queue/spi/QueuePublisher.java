package dev.conduit.queue.spi;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link MessageQueue#asPublisher()}: each subscription takes items from the queue as its
 * subscriber requests them, on the shared async threads, and completes when the handle closes
 * (closed or destroyed through it), whatever the subscriber's demand then, or when its store ends
 * under it (the queue destroyed through another handle): seen at once with demand, and within
 * {@link #IDLE_CHECK_MILLIS} without (a check every so often while the subscriber has no demand).
 * Follows the Reactive Streams rules: non-positive requests end with {@code onError}, every signal to
 * one subscriber comes from its delivery loop (so they are serial, whichever thread requested or
 * cancelled), and cancellation stops delivery.
 *
 * <p>An item leaves the queue only to be handed to {@code onNext}: the loop takes one item at a
 * time, without waiting, just after checking that the subscription is still live (it waits for
 * items apart, without taking). A cancel made inside {@code onNext} leaves every further item in
 * the queue; a cancel from another thread at the very moment of a take may still see that one item
 * delivered, as rule 3.12's "eventually" allows.
 *
 * @param <T> the item type
 */
final class QueuePublisher<T> implements Flow.Publisher<T> {
    private static final Duration POLL = Duration.ofMillis(50);
    /** How often a subscription with no demand asks whether the queue ended under its handle. */
    static final long IDLE_CHECK_MILLIS = 500;
    private static final Executor IDLE_CHECK = CompletableFuture.delayedExecutor(IDLE_CHECK_MILLIS,
            TimeUnit.MILLISECONDS, AsyncSupport.executor());
    private final StoreQueue<T> q;

    QueuePublisher(StoreQueue<T> q) {
        this.q = q;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super T> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        Subscription<T> s = new Subscription<>(q, subscriber);
        s.start();
    }

    private static final class Subscription<T> implements Flow.Subscription {
        private final StoreQueue<T> q;
        private final Flow.Subscriber<? super T> subscriber;
        private final AtomicLong demand = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean();
        /** Cancelled by the subscriber, or terminated by the loop: nothing more is taken or signalled. */
        private volatile boolean done;
        /** A non-positive request, for the loop to signal (rule 3.9) from its own thread. */
        private volatile IllegalArgumentException badRequest;
        /** Starts the loop when the handle closes, to complete a subscriber that has no demand. */
        private final Runnable closeHook = this::drain;
        /** An idle check is scheduled: at most one per subscription. */
        private final AtomicBoolean idleCheckScheduled = new AtomicBoolean();
        /** The idle check is due: the loop asks the handle whether it has ended. */
        private volatile boolean idleCheckDue;

        Subscription(StoreQueue<T> q, Flow.Subscriber<? super T> subscriber) {
            this.q = q;
            this.subscriber = subscriber;
        }

        /**
         * Calls {@code onSubscribe} holding the loop's {@link #running} flag, so that what it
         * requests is delivered only after it returns (rule 1.3: signals are serial).
         */
        void start() {
            running.set(true);
            try {
                subscriber.onSubscribe(this);
            } catch (Throwable t) {
                done = true; // rule 2.13: a subscriber that threw is cancelled
                throw t;
            } finally {
                running.set(false);
            }
            // Added after onSubscribe, removed again if it cancelled: a close before the hook
            // was added is seen by hasWork below.
            q.addCloseHook(closeHook);
            if (done) {
                q.removeCloseHook(closeHook);
            }
            if (hasWork()) {
                drain();
            } else {
                scheduleIdleCheck();
            }
        }

        /**
         * While the subscriber has no demand no loop runs, and a destroy through another handle
         * runs none of this handle's close hooks: check for it later (then again, while idle).
         */
        private void scheduleIdleCheck() {
            if (!done && idleCheckScheduled.compareAndSet(false, true)) {
                IDLE_CHECK.execute(() -> {
                    idleCheckScheduled.set(false);
                    if (!done) {
                        idleCheckDue = true;
                        drain();
                    }
                });
            }
        }

        @Override
        public void request(long n) {
            if (done) {
                return;
            }
            if (n <= 0) {
                if (badRequest == null) {
                    badRequest = new IllegalArgumentException("request must be positive (rule 3.9), was " + n);
                }
            } else {
                demand.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
            }
            drain();
        }

        private void drain() {
            if (running.compareAndSet(false, true)) {
                AsyncSupport.executor().execute(this::loop);
            }
        }

        /**
         * Something to signal: a bad request, demand, or the handle's close (rules 1.4, 1.5: no
         * demand needed), or an idle check due.
         */
        private boolean hasWork() {
            return !done && (badRequest != null || demand.get() > 0 || q.isClosed() || idleCheckDue);
        }

        private void loop() {
            try {
                while (hasWork()) {
                    IllegalArgumentException bad = badRequest;
                    if (bad != null) {
                        fail(bad);
                        return;
                    }
                    if (demand.get() == 0) {
                        // No demand: here because the handle closed, or for the idle check.
                        idleCheckDue = false;
                        if (q.hasEnded()) {
                            complete();
                            return;
                        }
                        continue;
                    }
                    // Take without waiting, just after the check above: a wait for an item happens
                    // outside the take, so a cancel that comes during it leaves the item queued.
                    T item = q.pollOrNull();
                    if (item == null) {
                        q.awaitNotEmpty(POLL);
                        continue;
                    }
                    demand.decrementAndGet();
                    try {
                        subscriber.onNext(item);
                    } catch (Throwable t) {
                        // The subscriber's failure (rule 2.13), even a QueueClosedException of its
                        // own: not this queue completing.
                        fail(t);
                        return;
                    }
                }
            } catch (QueueClosedException e) {
                complete();
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(e);
                return;
            } catch (Throwable t) {
                fail(t);
                return;
            } finally {
                running.set(false);
            }
            // A request or bad request that came after the loop's last check but before running
            // was cleared found the loop running and left the work to it.
            if (hasWork()) {
                drain();
            } else {
                scheduleIdleCheck();
            }
        }

        private void complete() {
            if (!done) {
                done = true;
                q.removeCloseHook(closeHook);
                subscriber.onComplete();
            }
        }

        private void fail(Throwable t) {
            if (!done) {
                done = true;
                q.removeCloseHook(closeHook);
                subscriber.onError(t);
            }
        }

        @Override
        public void cancel() {
            done = true;
            q.removeCloseHook(closeHook); // rule 3.13: the handle keeps no reference to the subscriber
        }
    }
}
