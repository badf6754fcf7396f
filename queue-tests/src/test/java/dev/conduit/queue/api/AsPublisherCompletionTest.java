package dev.conduit.queue.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code asPublisher()} "completes when the handle is closed" (its Javadoc; Reactive Streams rule
 * 1.5: a finite stream signals {@code onComplete}, which needs no demand), also for a subscriber
 * that has no outstanding demand at that moment: one that requested exactly what it wanted and
 * waits for the end of the stream.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AsPublisherCompletionTest {

    @Test
    void closingTheHandleCompletesASubscriberWithNoOutstandingDemand() throws Exception {
        QueueDescriptor d = QueueDescriptor.local("publisher-complete-" + UUID.randomUUID()).withCapacity(8);
        try (MessageQueue<Long> feed = d.open(); MessageQueue<Long> view = d.open()) {
            feed.put(1L);
            feed.put(2L);
            List<Long> got = new CopyOnWriteArrayList<>();
            CountDownLatch both = new CountDownLatch(2);
            CountDownLatch completed = new CountDownLatch(1);
            view.asPublisher().subscribe(new Flow.Subscriber<Long>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    s.request(2);
                }

                @Override
                public void onNext(Long item) {
                    got.add(item);
                    both.countDown();
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onComplete() {
                    completed.countDown();
                }
            });
            assertTrue(both.await(5, TimeUnit.SECONDS), "the two requested items were not delivered: " + got);
            view.close();
            assertTrue(completed.await(5, TimeUnit.SECONDS),
                    "no onComplete within 5 s of closing the handle: the subscriber had no demand left");
            assertEquals(List.of(1L, 2L), got);
            feed.destroy();
        }
    }

    @Test
    void subscribingToAClosedHandleCompletesWithoutARequest() throws Exception {
        QueueDescriptor d = QueueDescriptor.local("publisher-closed-" + UUID.randomUUID()).withCapacity(8);
        try (MessageQueue<Long> feed = d.open()) {
            MessageQueue<Long> view = d.open();
            feed.put(1L);
            view.close();
            CountDownLatch completed = new CountDownLatch(1);
            List<Long> got = new CopyOnWriteArrayList<>();
            view.asPublisher().subscribe(new Flow.Subscriber<Long>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                }

                @Override
                public void onNext(Long item) {
                    got.add(item);
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onComplete() {
                    completed.countDown();
                }
            });
            assertTrue(completed.await(5, TimeUnit.SECONDS), "no onComplete within 5 s from a closed handle");
            assertEquals(List.of(), got);
            assertEquals(1, feed.size(), "the closed handle's publisher took an item");
            feed.destroy();
        }
    }
}
