package dev.conduit.queue.spi;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link MessageQueue#asPublisher()}: each subscription takes items from the queue as its
 * subscriber requests them, on the shared async threads, and completes when the handle closes.
 * Follows the Reactive Streams rules: non-positive requests end with {@code onError}, signals to
 * one subscriber are serial, and cancellation stops delivery.
 *
 * @param <T> the item type
 */
final class QueuePublisher<T> implements Flow.Publisher<T> {
    private static final Duration POLL = Duration.ofMillis(50);
    private final MessageQueue<T> q;

    QueuePublisher(MessageQueue<T> q) {
        this.q = q;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super T> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber");
        Subscription<T> s = new Subscription<>(q, subscriber);
        subscriber.onSubscribe(s);
    }

    private static final class Subscription<T> implements Flow.Subscription {
        private final MessageQueue<T> q;
        private final Flow.Subscriber<? super T> subscriber;
        private final AtomicLong demand = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean();
        private volatile boolean done;

        Subscription(MessageQueue<T> q, Flow.Subscriber<? super T> subscriber) {
            this.q = q;
            this.subscriber = subscriber;
        }

        @Override
        public void request(long n) {
            if (done) {
                return;
            }
            if (n <= 0) {
                done = true;
                subscriber.onError(new IllegalArgumentException("request must be positive (rule 3.9), was " + n));
                return;
            }
            demand.getAndAccumulate(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
            drain();
        }

        private void drain() {
            if (running.compareAndSet(false, true)) {
                AsyncSupport.executor().execute(this::loop);
            }
        }

        private void loop() {
            try {
                while (!done && demand.get() > 0) {
                    List<T> batch = q.getBatch((int) Math.min(demand.get(), 256), POLL);
                    for (T item : batch) {
                        if (done) {
                            return;
                        }
                        demand.decrementAndGet();
                        subscriber.onNext(item);
                    }
                }
            } catch (QueueClosedException e) {
                if (!done) {
                    done = true;
                    subscriber.onComplete();
                }
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
            if (!done && demand.get() > 0) {
                drain();
            }
        }

        private void fail(Throwable t) {
            if (!done) {
                done = true;
                subscriber.onError(t);
            }
        }

        @Override
        public void cancel() {
            done = true;
        }
    }
}
